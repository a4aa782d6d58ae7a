//! The one trait every neuron model implements for the rest of the code:
//! what its parameters are and how they are checked, what can be recorded,
//! which synapses it takes, how it is built, what it costs, and the hooks
//! the scale, fixed-point and event-engine checks ask it for. Each model's
//! parameter type implements it in the model's own file; the registry
//! (`registry.rs`) lists the models by name.

use rand_pcg::Pcg64;

use super::Neuron;
use crate::model::ModelError;
use crate::model::spec::{Port, SimulationSpec, ValueSpec};
pub use crate::model::validate::{ModelParams, Params};

use super::membrane::MembraneParams;
use super::per_neuron::PerNeuron;

/// What a model's parameter type provides. `parse` builds it from the
/// population's tables; everything else reads it.
pub trait NeuronModel: std::fmt::Debug + Send + Sync {
    /// Read and check `params` and `init` (unknown keys refused, units and
    /// ranges checked, errors located).
    fn parse(r: &ModelParams) -> Result<Self, ModelError>
    where
        Self: Sized;

    /// The smallest `params` (and `init`) of a working population, as TOML
    /// inline-table bodies: documentation, and what the registry's tests
    /// build every model from.
    fn example() -> (&'static str, &'static str)
    where
        Self: Sized;

    /// Names of the variables a `[[record]]` may ask for.
    fn recordable(&self) -> &'static [&'static str];

    /// Which kinds of synapse (`synapse = "…"` in a projection) end in
    /// this model; every model takes `delta` unless it says otherwise. A
    /// model that takes none cannot be a projection's target.
    fn synapses(&self) -> Synapses {
        Synapses::DELTA
    }

    /// A population of `n` neurons in its initial state; `init` is the
    /// population's stream for random initial values.
    fn build(
        &self,
        n: usize,
        sim: &SimulationSpec,
        name: &str,
        init: &mut Pcg64,
    ) -> Box<dyn Neuron>;

    /// Bytes of state per neuron (its per-neuron vectors), for the memory
    /// estimate.
    fn state_bytes(&self) -> f64;

    /// Slices of the population hold whole multiples of this many neurons.
    fn split_granule(&self) -> u32 {
        1
    }

    /// The LIF membrane, for models that have one.
    fn membrane(&self) -> Option<&MembraneParams> {
        None
    }

    /// The LIF membrane, mutable, for models that have one.
    fn membrane_mut(&mut self) -> Option<&mut MembraneParams> {
        None
    }

    /// How long one unit of input at `port` keeps acting on the membrane
    /// (its mean effect per event is `weight · tau`): the synaptic time
    /// constant of a current port, the membrane's for voltage jumps.
    fn port_tau(&self, port: Port) -> Option<f64> {
        match port {
            Port::Voltage => self.membrane().map(|m| m.tau_m),
            _ => None,
        }
    }

    /// The time constant of a current synapse at `port` whose weight is a
    /// jump of `r_m * i` that then decays (seconds): there a weight in volts
    /// is not the PSP, which `spikesim check` prints. `None` for every other
    /// input.
    fn current_jump_tau(&self, _port: Port) -> Option<f64> {
        None
    }

    /// Whether an astrocyte's slow inward current may drive the membrane.
    fn takes_sic(&self) -> bool {
        false
    }

    /// The expected firing rate of a source population (Hz), for the
    /// memory estimate; `None`: an ordinary neuron.
    fn expected_rate(&self, _size: f64, _duration: f64) -> Option<f64> {
        None
    }

    /// Checks that need the simulation section (engine, `dt`), as
    /// `(parameter, message)`: the parameter is `None` when the model
    /// itself does not fit.
    fn check_simulation(
        &self,
        _sim: &SimulationSpec,
    ) -> Result<(), (Option<&'static str>, String)> {
        Ok(())
    }

    /// The time constants that pace the event engine's closed form (it
    /// looks at a neuron every 2 of the shortest); empty for models it
    /// steps on the grid or does not pace.
    fn event_time_constants(&self) -> Vec<(&'static str, f64)> {
        Vec::new()
    }

    /// The membrane of a model the event engine runs in closed form.
    fn exact_membrane(&self) -> Option<&MembraneParams> {
        None
    }

    /// What fixed-point mode needs of the model; `None`: it has no
    /// fixed-point counterpart.
    fn quantizable(&self) -> Option<Quantizable<'_>> {
        None
    }

    /// The spikes `(time, neuron)` of a source that emits a fixed list of
    /// them (a `spike_source`), for fixed-point mode's spike patterns.
    fn spike_times(&self) -> Option<&[(f64, u32)]> {
        None
    }
}

/// Which synapse kinds a model receives and which one a projection gets
/// when it names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Synapses {
    /// The synapse kind a projection gets when it names none.
    pub default: &'static str,
    /// Voltage jumps (`Port::Voltage`).
    pub delta: bool,
    /// Exponential synaptic currents (`Port::Current{Exc,Inh}`).
    pub current: bool,
    /// Exponential synaptic conductances (`Port::Conductance{Exc,Inh}`).
    pub conductance: bool,
}

impl Synapses {
    /// Sources, and models whose inputs are the special synapses the
    /// projection checks route themselves (astrocytes, Levy–Baxter).
    pub const NONE: Synapses = Synapses {
        default: "delta",
        delta: false,
        current: false,
        conductance: false,
    };

    /// Voltage jumps only (`synapse = "delta"`).
    pub const DELTA: Synapses = Synapses {
        default: "delta",
        delta: true,
        current: false,
        conductance: false,
    };

    /// Whether the model receives the synapse kind `synapse` (a model-file name).
    pub fn takes(&self, synapse: &str) -> bool {
        match synapse {
            "delta" => self.delta,
            "current" => self.current,
            "conductance" => self.conductance,
            _ => false,
        }
    }
}

/// The parts of a LIF or CuBa LIF population that fixed-point mode maps
/// onto the chip's neuron.
pub struct Quantizable<'a> {
    /// The LIF membrane.
    pub membrane: &'a MembraneParams,
    /// `(tau_syn_e, tau_syn_i)` of a CuBa population.
    pub tau_syn: Option<(f64, f64)>,
    /// Initial synaptic currents `(exc, inh)` of a CuBa population.
    pub init_syn: Option<(&'a ValueSpec, &'a ValueSpec)>,
    /// Options of a CuBa population the mapping must know of: its inputs
    /// force the current over a step (`input = "forcing"`), a constant
    /// forcing of the current (`syn_drive`), and the options it cannot map
    /// (per-neuron synaptic time constants), as model-file keys.
    pub forcing: bool,
    /// A constant forcing of the synaptic current (`syn_drive`), per neuron.
    pub syn_drive: Option<&'a PerNeuron>,
    /// Options it cannot map, as model-file keys.
    pub unmapped: Vec<&'static str>,
}
