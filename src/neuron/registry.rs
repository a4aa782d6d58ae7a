//! The neuron models, one line each: the name model files use, the
//! variant of [`NeuronKind`] and the model's parameter type (which
//! implements [`NeuronModel`] in the model's file). Adding a model is its
//! file and one line here.

use super::model::{ModelParams, NeuronModel};
use crate::model::ModelError;

macro_rules! registry {
    ($($name:literal => $variant:ident($params:ty),)*) => {
        /// A validated population's model and its parameters.
        #[derive(Debug, Clone, PartialEq)]
        pub enum NeuronKind {
            $($variant($params),)*
        }

        /// The names model files may give in `model = "…"`, in the
        /// registry's order.
        pub const MODEL_NAMES: &[&str] = &[$($name,)*];

        impl NeuronKind {
            /// The model, through the trait every model implements.
            pub fn model(&self) -> &dyn NeuronModel {
                match self {
                    $(NeuronKind::$variant(p) => p,)*
                }
            }

            pub fn model_mut(&mut self) -> &mut dyn NeuronModel {
                match self {
                    $(NeuronKind::$variant(p) => p,)*
                }
            }

            /// The name the model file gave.
            pub fn model_name(&self) -> &'static str {
                match self {
                    $(NeuronKind::$variant(_) => $name,)*
                }
            }

            /// Parse the parameters of the model called `name`; `None` for
            /// a name no model has.
            pub fn parse(name: &str, r: &ModelParams) -> Option<Result<NeuronKind, ModelError>> {
                match name {
                    $($name => Some(<$params as NeuronModel>::parse(r).map(NeuronKind::$variant)),)*
                    _ => None,
                }
            }
        }
    };
}

registry! {
    "lif" => Lif(super::membrane::MembraneParams),
    "cuba_lif" => CubaLif(super::cuba_lif::CubaParams),
    "spike_source" => SpikeSource(super::spike_source::SpikeList),
    "poisson" => Poisson(super::poisson::PoissonRate),
    "astrocyte" => Astrocyte(super::astrocyte::AstrocyteParams),
    "amsu_lif" => AmsuLif(super::amsu::AmsuParams),
    "meta" => Meta(super::meta::MetaParams),
    "discrete_lif" => DiscreteLif(super::discrete_lif::DiscreteLifParams),
    "cond_lif" => CondLif(super::cond_lif::CondLifParams),
    "adex" => Adex(super::adex::AdexParams),
}

impl NeuronKind {
    pub fn membrane(&self) -> Option<&super::membrane::MembraneParams> {
        self.model().membrane()
    }

    pub fn membrane_mut(&mut self) -> Option<&mut super::membrane::MembraneParams> {
        self.model_mut().membrane_mut()
    }
}
