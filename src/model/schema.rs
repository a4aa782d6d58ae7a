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
pub struct RawModel {
    pub simulation: Spanned<RawSimulation>,
    #[serde(default, rename = "population")]
    pub populations: Vec<Spanned<RawPopulation>>,
    #[serde(default, rename = "projection")]
    pub projections: Vec<Spanned<RawProjection>>,
    #[serde(default, rename = "stimulus")]
    pub stimuli: Vec<Spanned<RawStimulus>>,
    #[serde(default, rename = "record")]
    pub records: Vec<Spanned<RawRecord>>,
    #[serde(default)]
    pub output: Option<Spanned<RawOutput>>,
    #[serde(default)]
    pub scale: Option<Spanned<RawScale>>,
}

/// `[scale]`: neuron and indegree scaling factors, and the full-scale rates
/// the indegree scaling's DC compensation needs (see `validate::scale`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScale {
    #[serde(default)]
    pub neurons: Option<Spanned<Value>>,
    #[serde(default)]
    pub indegree: Option<Spanned<Value>>,
    #[serde(default)]
    pub rates: Option<Spanned<ValueMap>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    /// Required in float mode; in fixed-point mode the nominal step (default 1 ms).
    #[serde(default)]
    pub dt: Option<Spanned<String>>,
    #[serde(default)]
    pub duration: Option<Spanned<String>>,
    /// `"float"` (default) or `"fixed"` (see `model::fixed`).
    #[serde(default)]
    pub arithmetic: Option<Spanned<String>>,
    /// Fixed-point mode counts time in steps.
    #[serde(default)]
    pub steps: Option<Spanned<i64>>,
    #[serde(default)]
    pub seed: Option<Spanned<u64>>,
    #[serde(default)]
    pub engine: Option<Spanned<String>>,
    #[serde(default)]
    pub threads: Option<Spanned<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPopulation {
    pub name: Spanned<String>,
    pub size: Spanned<i64>,
    pub model: Spanned<String>,
    #[serde(default)]
    pub params: Option<Spanned<ValueMap>>,
    #[serde(default)]
    pub init: Option<Spanned<ValueMap>>,
    #[serde(default)]
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
pub struct RawProjection {
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    pub from: Spanned<String>,
    pub to: Spanned<String>,
    pub connect: Spanned<Value>,
    #[serde(default)]
    pub weight: Option<Spanned<Value>>,
    #[serde(default)]
    pub delay: Option<Spanned<Value>>,
    #[serde(default)]
    pub synapse: Option<Spanned<String>>,
    #[serde(default)]
    pub receptor: Option<Spanned<String>>,
    #[serde(default)]
    pub allow_autapses: Option<bool>,
    // Fixed-point projections.
    #[serde(default)]
    pub weight_exp: Option<Spanned<i64>>,
    #[serde(default)]
    pub num_weight_bits: Option<Spanned<i64>>,
    #[serde(default)]
    pub sign_mode: Option<Spanned<String>>,
    #[serde(default)]
    pub plasticity: Option<Spanned<RawPlasticity>>,
}

/// `plasticity = { <rule> = { parameter = value, ... } }`.
pub type RawPlasticity = std::collections::BTreeMap<String, Spanned<ValueMap>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStimulus {
    pub kind: Spanned<String>,
    pub population: Spanned<String>,
    #[serde(default)]
    pub neurons: Option<Spanned<Vec<i64>>>,
    // Current stimuli.
    #[serde(default)]
    pub amplitude: Option<Spanned<Value>>,
    #[serde(default)]
    pub start: Option<Spanned<String>>,
    #[serde(default)]
    pub stop: Option<Spanned<String>>,
    #[serde(default)]
    pub times: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub amplitudes: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub file: Option<Spanned<String>>,
    // Poisson stimuli.
    #[serde(default)]
    pub rate: Option<Spanned<Value>>,
    #[serde(default)]
    pub rate_file: Option<Spanned<String>>,
    #[serde(default)]
    pub weight: Option<Spanned<Value>>,
    #[serde(default)]
    pub delay: Option<Spanned<Value>>,
    #[serde(default)]
    pub synapse: Option<Spanned<String>>,
    #[serde(default)]
    pub receptor: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecord {
    /// A population's state variables, or (with `projection`) weights.
    #[serde(default)]
    pub population: Option<Spanned<String>>,
    #[serde(default)]
    pub variables: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub neurons: Option<Spanned<Vec<i64>>>,
    #[serde(default)]
    pub every: Option<Spanned<i64>>,
    #[serde(default)]
    pub projection: Option<Spanned<String>>,
    #[serde(default)]
    pub weights: Option<Spanned<bool>>,
    #[serde(default)]
    pub times: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub interval: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    #[serde(default)]
    pub raster: Option<Spanned<String>>,
    #[serde(default)]
    pub potential: Option<Spanned<String>>,
    #[serde(default)]
    pub weight_histogram: Option<Spanned<String>>,
    #[serde(default)]
    pub weight_course: Option<Spanned<String>>,
    #[serde(default)]
    pub rate: Option<Spanned<String>>,
}
