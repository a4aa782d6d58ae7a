//! The fixed-point part of the validated model (`[simulation] arithmetic =
//! "fixed"`): the integer network that runs in Loihi's arithmetic
//! (`engine::fixed`); time is counted in steps. Validated by
//! `model::validate::fixed`.

use super::{ConnectRule, RecordSpec};
use crate::synapse::fixed::SignMode;

/// The validated integer network.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedModel {
    /// The populations, in file order.
    pub populations: Vec<FixedPopulation>,
    /// The projections, in file order.
    pub projections: Vec<FixedProjection>,
    /// Recorded `u` / `v`; `every` and `neurons` as in float mode.
    pub records: Vec<RecordSpec>,
}

#[derive(Debug, Clone, PartialEq)]
/// One population of a fixed-point model.
pub struct FixedPopulation {
    /// Its name.
    pub name: String,
    /// Number of neurons.
    pub size: u32,
    /// Its neuron model and integer parameters.
    pub kind: FixedKind,
    /// Whether its spikes are recorded.
    pub record_spikes: bool,
}

#[derive(Debug, Clone, PartialEq)]
/// The neuron model of a fixed-point population.
pub enum FixedKind {
    /// Loihi's current-based LIF, integer state.
    Lif(LoihiLifParams),
    /// `rows[neuron][column]`, every row the same length.
    SpikePattern(Vec<Vec<bool>>),
}

/// Per-neuron integer parameters and initial state of a Loihi LIF population.
#[derive(Debug, Clone, PartialEq)]
pub struct LoihiLifParams {
    /// Current decay per step, fraction of 2^12, per neuron.
    pub du: Vec<u16>,
    /// Voltage decay per step, fraction of 2^12, per neuron.
    pub dv: Vec<u16>,
    /// Threshold mantissa (shifted left by 6 bits), per neuron.
    pub vth: Vec<i64>,
    /// Bias mantissa, per neuron.
    pub bias_mant: Vec<i32>,
    /// Bias exponent (the bias is `bias_mant << bias_exp`), per neuron.
    pub bias_exp: Vec<i32>,
    /// Initial current, chip integers, per neuron.
    pub u: Vec<i32>,
    /// Initial voltage, chip integers, per neuron.
    pub v: Vec<i32>,
}

/// Weights as written; clipped and truncated when the network is built.
#[derive(Debug, Clone, PartialEq)]
pub enum FixedWeights {
    /// `rows[post][pre]`.
    Dense(Vec<Vec<i64>>),
    /// A sparse rule (never `Dense` or `List`) with one integer weight.
    Rule(ConnectRule, i64),
}

#[derive(Debug, Clone, PartialEq)]
/// One projection of a fixed-point model.
pub struct FixedProjection {
    /// Its name.
    pub name: String,
    /// Index of the source population.
    pub from: usize,
    /// Index of the target population.
    pub to: usize,
    /// Its integer weights.
    pub weights: FixedWeights,
    /// Whether a neuron may connect to itself.
    pub allow_autapses: bool,
    /// Weight exponent: weights are shifted by it (and by 6 bits) onto the current.
    pub weight_exp: i32,
    /// Bits of the weight mantissa.
    pub num_weight_bits: u8,
    /// `None`: inferred from the weights' signs when built.
    pub sign_mode: Option<SignMode>,
    /// `delay = "0 ms"`: the spikes of a step reach the targets in that
    /// step, instead of through the chip's one-step pipeline.
    pub zero_delay: bool,
}

impl FixedModel {
    /// Index of the population named `name`.
    pub fn population_index(&self, name: &str) -> Option<usize> {
        self.populations.iter().position(|p| p.name == name)
    }
}
