//! The fixed-point part of the validated model (`[simulation] arithmetic =
//! "fixed"`): the integer network that runs in Loihi's arithmetic
//! (`engine::fixed`); time is counted in steps. Validated by
//! `model::validate::fixed`.

use super::{ConnectRule, RecordSpec};
use crate::synapse::fixed::SignMode;

/// The validated integer network.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedModel {
    pub populations: Vec<FixedPopulation>,
    pub projections: Vec<FixedProjection>,
    /// Recorded `u` / `v`; `every` and `neurons` as in float mode.
    pub records: Vec<RecordSpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FixedPopulation {
    pub name: String,
    pub size: u32,
    pub kind: FixedKind,
    pub record_spikes: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FixedKind {
    Lif(LoihiLifParams),
    /// `rows[neuron][column]`, every row the same length.
    SpikePattern(Vec<Vec<bool>>),
}

/// Per-neuron integer parameters and initial state of a Loihi LIF population.
#[derive(Debug, Clone, PartialEq)]
pub struct LoihiLifParams {
    pub du: Vec<u16>,
    pub dv: Vec<u16>,
    pub vth: Vec<i64>,
    pub bias_mant: Vec<i32>,
    pub bias_exp: Vec<i32>,
    pub u: Vec<i32>,
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
pub struct FixedProjection {
    pub name: String,
    pub from: usize,
    pub to: usize,
    pub weights: FixedWeights,
    pub allow_autapses: bool,
    pub weight_exp: i32,
    pub num_weight_bits: u8,
    /// `None`: inferred from the weights' signs when built.
    pub sign_mode: Option<SignMode>,
    /// `delay = "0 ms"`: the spikes of a step reach the targets in that
    /// step, instead of through the chip's one-step pipeline.
    pub zero_delay: bool,
}

impl FixedModel {
    pub fn population_index(&self, name: &str) -> Option<usize> {
        self.populations.iter().position(|p| p.name == name)
    }
}
