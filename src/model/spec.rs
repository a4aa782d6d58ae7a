//! The validated model: every quantity in SI, every name resolved, every file
//! loaded. Building a network from a `ModelSpec` cannot fail on user input.

use std::path::PathBuf;

pub use crate::neuron::amsu::{AmsuParams, Modulation};
pub use crate::neuron::astrocyte::AstrocyteParams;
pub use crate::neuron::cuba_lif::CubaParams;
pub use crate::neuron::discrete_lif::DiscreteLifParams;
pub use crate::neuron::membrane::MembraneParams;
pub use crate::neuron::meta::{Escape, MetaParams};
pub use crate::neuron::poisson::PoissonRate;
pub use crate::neuron::registry::NeuronKind;
pub use crate::neuron::spike_source::SpikeList;
pub use crate::plasticity::PlasticitySpec;

pub mod fixed;

/// How a per-neuron or per-synapse value is drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueSpec {
    /// The same value for every element, SI units.
    Constant(f64),
    /// One value per element (neuron or synapse), in order.
    Array(Vec<f64>),
    /// Uniform between `low` and `high`, SI units.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// A normal distribution; values outside `[min, max]` (both inclusive,
    /// infinite when not given) are drawn again, as NEST's `redraw`.
    Normal {
        /// Mean, SI units.
        mean: f64,
        /// Standard deviation, SI units.
        std: f64,
        /// Lower bound (values below are redrawn; `-inf` when not given).
        min: f64,
        /// Upper bound (values above are redrawn; `inf` when not given).
        max: f64,
    },
}

impl ValueSpec {
    /// Whether every value the spec names (constants, array entries,
    /// bounds, mean and spread) satisfies `ok`.
    pub fn all(&self, ok: impl Fn(f64) -> bool) -> bool {
        match self {
            ValueSpec::Constant(v) => ok(*v),
            ValueSpec::Array(a) => a.iter().all(|v| ok(*v)),
            ValueSpec::Uniform { low, high } => ok(*low) && ok(*high),
            ValueSpec::Normal {
                mean,
                std,
                min,
                max,
            } => {
                let bound_ok = |b: f64| b.is_infinite() || ok(b);
                ok(*mean) && ok(*std) && bound_ok(*min) && bound_ok(*max)
            }
        }
    }

    /// The mean of the values the spec gives (0 for an empty array): the
    /// constant, the array's mean, the middle of a uniform range, a normal's
    /// mean (before redrawing values outside its bounds, as NEST's examples
    /// count it).
    pub fn mean(&self) -> f64 {
        match self {
            ValueSpec::Constant(v) => *v,
            ValueSpec::Array(a) if a.is_empty() => 0.0,
            ValueSpec::Array(a) => a.iter().sum::<f64>() / a.len() as f64,
            ValueSpec::Uniform { low, high } => 0.5 * (low + high),
            ValueSpec::Normal { mean, .. } => *mean,
        }
    }

    /// The largest value the spec can give (0 for an empty array); a
    /// normal distribution without `max` has none, so it counts `stds`
    /// standard deviations above its mean.
    pub fn upper_bound(&self, stds: f64) -> f64 {
        match self {
            ValueSpec::Constant(v) => *v,
            ValueSpec::Array(a) => a.iter().copied().reduce(f64::max).unwrap_or(0.0),
            ValueSpec::Uniform { high, .. } => *high,
            ValueSpec::Normal {
                mean,
                std,
                min,
                max,
                ..
            } => (mean + stds * std).min(*max).max(*min),
        }
    }

    /// Multiply every value by `factor` (unit conversions).
    pub fn scaled(&self, factor: f64) -> ValueSpec {
        match self {
            ValueSpec::Constant(v) => ValueSpec::Constant(v * factor),
            ValueSpec::Array(a) => ValueSpec::Array(a.iter().map(|v| v * factor).collect()),
            ValueSpec::Uniform { low, high } => ValueSpec::Uniform {
                low: low * factor,
                high: high * factor,
            },
            ValueSpec::Normal {
                mean,
                std,
                min,
                max,
            } => {
                // An absent bound stays absent (no 0 · ∞); a negative factor
                // swaps the bounds.
                let scale = |b: f64| {
                    if b.is_infinite() {
                        b * factor.signum()
                    } else {
                        b * factor
                    }
                };
                let (a, b) = (scale(*min), scale(*max));
                ValueSpec::Normal {
                    mean: mean * factor,
                    std: std * factor.abs(),
                    min: a.min(b),
                    max: a.max(b),
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// The engine that runs a float model (`simulation.engine`).
pub enum EngineKind {
    /// Clock-driven: every neuron advanced every step of dt.
    Clock,
    /// Event-driven: neurons advanced from event to event, exact spike times.
    Event,
}

#[derive(Debug, Clone, PartialEq)]
/// The `[simulation]` section, validated.
pub struct SimulationSpec {
    /// Time step, seconds.
    pub dt: f64,
    /// Simulated duration, seconds.
    pub duration: f64,
    /// Number of clock steps: `round(duration / dt)`.
    pub steps: u64,
    /// Seed of every random stream of the run.
    pub seed: u64,
    /// The engine that runs the model.
    pub engine: EngineKind,
    /// Worker threads requested (0 = all cores).
    pub threads: u32,
}

/// A piecewise-constant function of time: `values[i]` holds from `times[i]`
/// until `times[i + 1]` (the last one until the end of the run).
#[derive(Debug, Clone, PartialEq)]
pub struct Piecewise {
    /// Times where the value changes, seconds, increasing.
    pub times: Vec<f64>,
    /// The value from each time on, SI units.
    pub values: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq)]
/// One `[[population]]`, validated.
pub struct PopulationSpec {
    /// Its name.
    pub name: String,
    /// Number of neurons.
    pub size: u32,
    /// Its neuron model and parameters.
    pub kind: NeuronKind,
    /// Whether its spikes are recorded.
    pub record_spikes: bool,
    /// Poisson background input (`background`), if any.
    pub background: Option<BackgroundSpec>,
}

/// Poisson input from `indegree` independent external sources of `rate`
/// each, drawn per neuron and step without storing a synapse: in each step
/// a neuron receives a Poisson number of events with mean
/// `rate * indegree * dt`, each of `weight` (as NEST's `poisson_generator`
/// does for every target it is connected to).
#[derive(Debug, Clone, PartialEq)]
pub struct BackgroundSpec {
    /// Rate of one external source, in Hz.
    pub rate: f64,
    /// Independent external sources per neuron.
    pub indegree: u32,
    /// Weight of one event in the port's internal unit (volts).
    pub weight: f64,
    /// The port (synapse kind) the events arrive on.
    pub port: Port,
}

impl BackgroundSpec {
    /// Mean number of events a neuron receives per step of `dt`.
    pub fn events_per_step(&self, dt: f64) -> f64 {
        self.rate * self.indegree as f64 * dt
    }
}

#[derive(Debug, Clone, PartialEq)]
/// How a projection connects its populations (`connect`).
pub enum ConnectRule {
    /// Every source neuron to every target neuron.
    AllToAll,
    /// Source neuron i to target neuron i (same sizes).
    OneToOne,
    /// Each pair independently with this probability.
    FixedProbability(f64),
    /// Each target neuron from this many source neurons, drawn without replacement.
    FixedIndegree(u32),
    /// `total` synapses, sources and targets drawn uniformly (NEST's
    /// `fixed_total_number`); `multapses` allows a pair more than once.
    FixedTotalNumber {
        /// Number of synapses.
        total: u64,
        /// Whether a pair may be drawn more than once.
        multapses: bool,
    },
    /// Explicit synapses: pre, post and, when the file gives them, weight and delay.
    List(Vec<ListedSynapse>),
    /// `rows[post][pre]`; zero entries make no synapse.
    Dense(Vec<Vec<f64>>),
}

#[derive(Debug, Clone, PartialEq)]
/// One synapse of a listed connection (a file or a matrix).
pub struct ListedSynapse {
    /// Source neuron.
    pub pre: u32,
    /// Target neuron.
    pub post: u32,
    /// Its own weight in SI units, else the projection's.
    pub weight: Option<f64>,
    /// Its own delay in seconds, else the projection's.
    pub delay: Option<f64>,
}

/// Where a synapse's weight lands in its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Port {
    /// Instantaneous jump of the membrane potential.
    Voltage,
    /// Excitatory synaptic current (CuBa).
    CurrentExc,
    /// Inhibitory synaptic current (CuBa).
    CurrentInh,
    /// Tripartite synapse onto an astrocyte: its IP3 rises by `delta_ip3`
    /// per unit weight.
    Glia,
    /// Slow inward current from an astrocyte, a drive (`r_m · i`) that
    /// holds while the astrocyte keeps sending it.
    Sic,
    /// Excitatory synaptic conductance (siemens per unit weight).
    ConductanceExc,
    /// Inhibitory synaptic conductance (siemens per unit weight).
    ConductanceInh,
}

impl Port {
    /// The port's name in model files.
    pub fn name(self) -> &'static str {
        match self {
            Port::Voltage => "v",
            Port::CurrentExc => "i_syn_e",
            Port::CurrentInh => "i_syn_i",
            Port::Glia => "ip3",
            Port::Sic => "sic",
            Port::ConductanceExc => "g_ex",
            Port::ConductanceInh => "g_in",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
/// One `[[projection]]`, validated.
pub struct ProjectionSpec {
    /// Its name (`from->to` unless named).
    pub name: String,
    /// Index of the source population.
    pub from: usize,
    /// Index of the target population.
    pub to: usize,
    /// How it connects them.
    pub rule: ConnectRule,
    /// Weight in the target port's internal unit: volts for voltage and
    /// current ports (currents are carried as `r_m * i`), siemens for
    /// conductance ports.
    pub weight: ValueSpec,
    /// Delay in seconds.
    pub delay: ValueSpec,
    /// The port (synapse kind) it drives on the target.
    pub port: Port,
    /// Whether a neuron may connect to itself (same population only).
    pub allow_autapses: bool,
    /// Its plasticity rule, if plastic.
    pub plasticity: Option<PlasticitySpec>,
}

#[derive(Debug, Clone, PartialEq)]
/// One current stimulus (`[[stimulus]]` of currents) onto a population.
pub struct CurrentStimulusSpec {
    /// Index of the target population.
    pub population: usize,
    /// Targeted neurons; `None` means all.
    pub neurons: Option<Vec<u32>>,
    /// Drive as a voltage (`r_m * i`), piecewise constant in time.
    pub drive: Piecewise,
}

#[derive(Debug, Clone, PartialEq)]
/// One `[[record]]` of state variables.
pub struct RecordSpec {
    /// Index of the population.
    pub population: usize,
    /// The variables sampled.
    pub variables: Vec<String>,
    /// The neurons sampled (indices within the population); `None` for all.
    pub neurons: Option<Vec<u32>>,
    /// Sampling interval, in steps.
    pub every: u64,
}

/// Snapshots of a plastic projection's weights at chosen grid steps.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightRecordSpec {
    /// Index of the projection.
    pub projection: usize,
    /// Ascending, distinct, within `0..=steps`.
    pub steps: Vec<u64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
/// The `[output]` section: where results and plots go.
pub struct OutputSpec {
    /// The results file (HDF5).
    pub path: Option<PathBuf>,
    /// The raster plot.
    pub raster: Option<PathBuf>,
    /// The membrane-potential plot.
    pub potential: Option<PathBuf>,
    /// Weight plots of the first recorded projection.
    pub weight_histogram: Option<PathBuf>,
    /// Weight course plot (snapshots over time) of the first recorded projection.
    pub weight_course: Option<PathBuf>,
    /// Firing rate over time of the first population with recorded spikes.
    pub rate: Option<PathBuf>,
}

/// A whole validated run description.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// The model file's path (names it in errors, resolves the files it refers to).
    pub path: PathBuf,
    /// The text that was validated (after overrides).
    pub text: String,
    /// The `[simulation]` section.
    pub simulation: SimulationSpec,
    /// The populations, in file order.
    pub populations: Vec<PopulationSpec>,
    /// The projections, in file order.
    pub projections: Vec<ProjectionSpec>,
    /// Current stimuli.
    pub currents: Vec<CurrentStimulusSpec>,
    /// State recordings.
    pub records: Vec<RecordSpec>,
    /// Weight recordings.
    pub weight_records: Vec<WeightRecordSpec>,
    /// Where results and plots go.
    pub output: OutputSpec,
    /// The integer network when `[simulation] arithmetic = "fixed"`; then
    /// `populations`, `projections` and `records` above are empty.
    pub fixed: Option<fixed::FixedModel>,
    /// Accepted values worth a word (e.g. beyond the chip's declared widths).
    pub warnings: Vec<super::ModelError>,
}

impl ModelSpec {
    /// Index of the population named `name`.
    pub fn population_index(&self, name: &str) -> Option<usize> {
        self.populations.iter().position(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_of_each_kind_of_spec() {
        assert_eq!(ValueSpec::mean(&ValueSpec::Constant(2.0)), 2.0);
        assert_eq!(ValueSpec::mean(&ValueSpec::Array(vec![1.0, 2.0, 6.0])), 3.0);
        let u = ValueSpec::Uniform {
            low: 1.0,
            high: 3.0,
        };
        assert_eq!(ValueSpec::mean(&u), 2.0);
    }
}
