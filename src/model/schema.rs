//! The model file as written: serde structures that mirror the TOML, with the
//! byte spans kept so that validation can point at a line.
//!
//! Values whose form varies (a quantity, a per-neuron array or a distribution)
//! stay as TOML values here and are interpreted by `validate`.

use serde::Deserialize;
use toml::{Spanned, Value};

/// A table whose entries keep their own positions (parameters, initial values).
pub type ValueMap = std::collections::BTreeMap<String, Spanned<Value>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
/// A whole model file as written, before validation.
pub struct RawModel {
    /// `[simulation]`.
    pub simulation: Spanned<RawSimulation>,
    #[serde(default, rename = "population")]
    /// `[[population]]` tables, in file order.
    pub populations: Vec<Spanned<RawPopulation>>,
    #[serde(default, rename = "projection")]
    /// `[[projection]]` tables, in file order.
    pub projections: Vec<Spanned<RawProjection>>,
    #[serde(default, rename = "stimulus")]
    /// `[[stimulus]]` tables, in file order.
    pub stimuli: Vec<Spanned<RawStimulus>>,
    #[serde(default, rename = "record")]
    /// `[[record]]` tables, in file order.
    pub records: Vec<Spanned<RawRecord>>,
    #[serde(default)]
    /// `[output]`, if given.
    pub output: Option<Spanned<RawOutput>>,
    #[serde(default)]
    /// `[scale]`, if given.
    pub scale: Option<Spanned<RawScale>>,
}

/// `[scale]`: neuron and indegree scaling factors, and the full-scale rates
/// the indegree scaling's DC compensation needs (see `validate::scale`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScale {
    #[serde(default)]
    /// `neurons`: the factor that scales every population's size.
    pub neurons: Option<Spanned<Value>>,
    #[serde(default)]
    /// `indegree`: the factor that scales every projection's indegree.
    pub indegree: Option<Spanned<Value>>,
    #[serde(default)]
    /// `rates`: each population's full-scale rate (a frequency), for the DC compensation of
    /// indegree scaling.
    pub rates: Option<Spanned<ValueMap>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
/// `[simulation]` as written.
pub struct RawSimulation {
    /// Required in float mode; in fixed-point mode the nominal step (default 1 ms).
    #[serde(default)]
    pub dt: Option<Spanned<String>>,
    #[serde(default)]
    /// `duration`: simulated time, a duration such as `"1 s"` (or `steps` for fixed-point
    /// models).
    pub duration: Option<Spanned<String>>,
    /// `"float"` (default) or `"fixed"` (see `model::fixed`).
    #[serde(default)]
    pub arithmetic: Option<Spanned<String>>,
    /// Fixed-point mode counts time in steps.
    #[serde(default)]
    pub steps: Option<Spanned<i64>>,
    #[serde(default)]
    /// `seed`: seed of every random stream.
    pub seed: Option<Spanned<u64>>,
    #[serde(default)]
    /// `engine`: `"clock"` or `"event"`.
    pub engine: Option<Spanned<String>>,
    #[serde(default)]
    /// `threads`: worker threads (0: every core).
    pub threads: Option<Spanned<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
/// `[[population]]` as written.
pub struct RawPopulation {
    /// `name`: the population's name.
    pub name: Spanned<String>,
    /// `size`: number of neurons.
    pub size: Spanned<i64>,
    /// `model`: the neuron model (`lif`, `cuba_lif`, `adex`, `poisson`, ...).
    pub model: Spanned<String>,
    #[serde(default)]
    /// `params`: the model's parameters.
    pub params: Option<Spanned<ValueMap>>,
    #[serde(default)]
    /// `init`: initial values of the model's state.
    pub init: Option<Spanned<ValueMap>>,
    #[serde(default)]
    /// `record_spikes`: whether its spikes are recorded (default true).
    pub record_spikes: Option<bool>,
    /// The rows of a fixed-point `spike_pattern` source.
    #[serde(default)]
    pub pattern: Option<Spanned<Value>>,
    /// Per-neuron Poisson background: `{ rate, indegree, weight, receptor }`.
    #[serde(default)]
    pub background: Option<Spanned<ValueMap>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
/// `[[projection]]` as written.
pub struct RawProjection {
    #[serde(default)]
    /// `name`: the projection's name (default `from->to`).
    pub name: Option<Spanned<String>>,
    /// `from`: the source population.
    pub from: Spanned<String>,
    /// `to`: the target population.
    pub to: Spanned<String>,
    /// `connect`: the connection rule (a name or a table).
    pub connect: Spanned<Value>,
    #[serde(default)]
    /// `weight`: a quantity, per-synapse array or distribution.
    pub weight: Option<Spanned<Value>>,
    #[serde(default)]
    /// `delay`: a duration, per-synapse array or distribution.
    pub delay: Option<Spanned<Value>>,
    #[serde(default)]
    /// `synapse`: the synapse kind on the target.
    pub synapse: Option<Spanned<String>>,
    #[serde(default)]
    /// `receptor`: the target's port (receptor) it drives.
    pub receptor: Option<Spanned<String>>,
    #[serde(default)]
    /// `allow_autapses`: whether a neuron may connect to itself.
    pub allow_autapses: Option<bool>,
    // Fixed-point projections.
    #[serde(default)]
    /// `weight_exp` (fixed point): the weight exponent.
    pub weight_exp: Option<Spanned<i64>>,
    #[serde(default)]
    /// `num_weight_bits` (fixed point): bits of the weight mantissa.
    pub num_weight_bits: Option<Spanned<i64>>,
    #[serde(default)]
    /// `sign_mode` (fixed point): how weights' signs are kept.
    pub sign_mode: Option<Spanned<String>>,
    #[serde(default)]
    /// `plasticity`: the plasticity rule and its parameters.
    pub plasticity: Option<Spanned<RawPlasticity>>,
}

/// `plasticity = { <rule> = { parameter = value, ... } }`.
pub type RawPlasticity = std::collections::BTreeMap<String, Spanned<ValueMap>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
/// `[[stimulus]]` as written: a current or Poisson input onto a population.
pub struct RawStimulus {
    /// `kind`: the kind of stimulus.
    pub kind: Spanned<String>,
    /// `population`: the target population.
    pub population: Spanned<String>,
    #[serde(default)]
    /// `neurons`: the targeted neurons (default all).
    pub neurons: Option<Spanned<Vec<i64>>>,
    // Current stimuli.
    #[serde(default)]
    /// `amplitude` (current): a constant current.
    pub amplitude: Option<Spanned<Value>>,
    #[serde(default)]
    /// `start` (current): when it starts, a duration.
    pub start: Option<Spanned<String>>,
    #[serde(default)]
    /// `stop` (current): when it stops, a duration.
    pub stop: Option<Spanned<String>>,
    #[serde(default)]
    /// `times` (current): when a piecewise-constant current changes.
    pub times: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    /// `amplitudes` (current): its values from each of `times` on.
    pub amplitudes: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    /// `file`: a CSV file of times and amplitudes (or rates).
    pub file: Option<Spanned<String>>,
    // Poisson stimuli.
    #[serde(default)]
    /// `rate` (Poisson): the rate, a frequency.
    pub rate: Option<Spanned<Value>>,
    #[serde(default)]
    /// `rate_file` (Poisson): a CSV file of times and rates.
    pub rate_file: Option<Spanned<String>>,
    #[serde(default)]
    /// `weight` (Poisson): the weight of one input spike.
    pub weight: Option<Spanned<Value>>,
    #[serde(default)]
    /// `delay` (Poisson): the delay of input spikes.
    pub delay: Option<Spanned<Value>>,
    #[serde(default)]
    /// `synapse` (Poisson): the synapse kind on the target.
    pub synapse: Option<Spanned<String>>,
    #[serde(default)]
    /// `receptor` (Poisson): the target's port it drives.
    pub receptor: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
/// `[[record]]` as written: state variables of a population, or weights of a projection.
pub struct RawRecord {
    /// A population's state variables, or (with `projection`) weights.
    #[serde(default)]
    pub population: Option<Spanned<String>>,
    #[serde(default)]
    /// `variables`: the state variables to sample.
    pub variables: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    /// `neurons`: the neurons to sample (default all).
    pub neurons: Option<Spanned<Vec<i64>>>,
    #[serde(default)]
    /// `every`: sampling interval in steps (default 1).
    pub every: Option<Spanned<i64>>,
    #[serde(default)]
    /// `projection`: the projection whose weights are recorded.
    pub projection: Option<Spanned<String>>,
    #[serde(default)]
    /// `weights`: whether the projection's weights are recorded.
    pub weights: Option<Spanned<bool>>,
    #[serde(default)]
    /// `times`: when weights are recorded, durations.
    pub times: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    /// `interval`: the interval between weight snapshots, a duration.
    pub interval: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
/// `[output]` as written: where results and plots go.
pub struct RawOutput {
    #[serde(default)]
    /// `path`: the results file (HDF5).
    pub path: Option<Spanned<String>>,
    #[serde(default)]
    /// `raster`: the raster plot (PNG or SVG).
    pub raster: Option<Spanned<String>>,
    #[serde(default)]
    /// `potential`: the membrane-potential plot.
    pub potential: Option<Spanned<String>>,
    #[serde(default)]
    /// `weight_histogram`: the weight histogram plot.
    pub weight_histogram: Option<Spanned<String>>,
    #[serde(default)]
    /// `weight_course`: the weight course plot.
    pub weight_course: Option<Spanned<String>>,
    #[serde(default)]
    /// `rate`: the population rate plot.
    pub rate: Option<Spanned<String>>,
}
