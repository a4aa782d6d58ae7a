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
            $(
                #[doc = concat!("`model = \"", $name, "\"` and its parameters.")]
                $variant($params),
            )*
        }

        /// The names model files may give in `model = "…"`, in the
        /// registry's order.
        pub const MODEL_NAMES: &[&str] = &[$($name,)*];

        /// Each model's name and its example `params` and `init`.
        pub fn examples() -> Vec<(&'static str, (&'static str, &'static str))> {
            vec![$(($name, <$params as NeuronModel>::example()),)*]
        }

        impl NeuronKind {
            /// The model, through the trait every model implements.
            pub fn model(&self) -> &dyn NeuronModel {
                match self {
                    $(NeuronKind::$variant(p) => p,)*
                }
            }

            /// The model, mutable, through the trait every model implements.
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
    /// The LIF membrane of models that have one.
    pub fn membrane(&self) -> Option<&super::membrane::MembraneParams> {
        self.model().membrane()
    }

    /// The LIF membrane, mutable, of models that have one.
    pub fn membrane_mut(&mut self) -> Option<&mut super::membrane::MembraneParams> {
        self.model_mut().membrane_mut()
    }
}

#[cfg(test)]
mod tests {
    //! Every registered model, built from its example: what it declares
    //! (recordable variables, synapse kinds) is what the built model has.

    use super::*;
    use crate::model::spec::Port;
    use crate::model::validate::parse_model;
    use std::path::Path;

    fn built(
        name: &str,
        (params, init): (&str, &str),
    ) -> (NeuronKind, Box<dyn crate::neuron::Neuron>) {
        let text = format!(
            "[simulation]\ndt = \"0.1 ms\"\nduration = \"10 ms\"\n\n[[population]]\nname = \"p\"\n\
             size = 4\nmodel = \"{name}\"\nparams = {{ {params} }}\ninit = {{ {init} }}\n"
        );
        let spec = parse_model(Path::new("m.toml"), &text)
            .unwrap_or_else(|e| panic!("{name}'s example: {e}"));
        let p = &spec.populations[0];
        (p.kind.clone(), crate::neuron::build(p, &spec.simulation))
    }

    #[test]
    fn every_model_has_an_example_that_parses_under_its_name() {
        let examples = examples();
        assert_eq!(
            examples.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            MODEL_NAMES
        );
        for (name, example) in examples {
            let (kind, neuron) = built(name, example);
            assert_eq!(kind.model_name(), name);
            assert_eq!(neuron.size(), 4, "{name}");
        }
    }

    #[test]
    fn declared_variables_are_the_built_models_variables() {
        for (name, example) in examples() {
            let (kind, neuron) = built(name, example);
            let mut declared: Vec<&str> = kind.model().recordable().to_vec();
            let mut has: Vec<&str> = neuron.variables().iter().map(|v| v.name).collect();
            declared.sort();
            has.sort();
            assert_eq!(declared, has, "{name}");
        }
    }

    #[test]
    fn declared_synapses_have_ports_in_the_built_model() {
        for (name, example) in examples() {
            let (kind, neuron) = built(name, example);
            let m = kind.model();
            let takes = m.synapses();
            let ports = neuron.ports();
            let wanted = [
                (takes.delta, &[Port::Voltage][..]),
                (takes.current, &[Port::CurrentExc, Port::CurrentInh][..]),
                (
                    takes.conductance,
                    &[Port::ConductanceExc, Port::ConductanceInh][..],
                ),
                (m.takes_sic(), &[Port::Sic][..]),
            ];
            for (declared, needs) in wanted {
                for port in needs {
                    assert_eq!(
                        ports.contains(port),
                        declared,
                        "{name}: port {port:?} declared {declared}"
                    );
                }
            }
            if takes.delta || takes.current || takes.conductance {
                assert!(takes.takes(takes.default), "{name}: default synapse");
            }
        }
    }
}
