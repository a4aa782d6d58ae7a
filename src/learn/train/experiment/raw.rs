//! The experiment file as written: the TOML tables before validation,
//! shared by the file's reader ([`super`]) and the per-layer readers
//! ([`super::l2mu`], [`super::meta`]).

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExperiment {
    pub(super) data: RawData,
    #[serde(default, rename = "layer")]
    pub(super) layers: Vec<RawLayer>,
    pub(super) readout: RawReadout,
    #[serde(default)]
    pub(super) training: RawTraining,
    #[serde(default)]
    pub(super) output: Option<RawOutput>,
    /// Read by `continual::experiment`; here only noted.
    pub(super) continual: Option<toml::Value>,
    pub(super) hlop: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawData {
    /// "spikes" (default) or "real" (see `train::data`).
    pub(super) format: Option<Spanned<String>>,
    pub(super) train: Spanned<String>,
    pub(super) test: Spanned<String>,
    pub(super) dt: Spanned<String>,
    pub(super) duration: Option<Spanned<String>>,
    pub(super) channel_group: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLayer {
    /// "lif" (default: the neuron decides LIF or CuBa LIF) or "l2mu".
    pub(super) kind: Option<Spanned<String>>,
    pub(super) size: Spanned<i64>,
    pub(super) neuron: Option<Spanned<String>>,
    pub(super) tau_m: Option<Spanned<String>>,
    pub(super) tau_syn: Option<Spanned<String>>,
    pub(super) threshold: Option<Spanned<f64>>,
    pub(super) recurrent: Option<bool>,
    // L2MU only (see `experiment::l2mu`).
    pub(super) order: Option<Spanned<i64>>,
    pub(super) theta: Option<Spanned<String>>,
    pub(super) memory_size: Option<Spanned<i64>>,
    /// Per-synapse delays of the layer's inputs (LIF layers only).
    pub(super) delays: Option<Spanned<RawDelays>>,
    // Meta only (see `experiment::meta`).
    pub(super) firing: Option<Spanned<String>>,
    pub(super) delta_u: Option<Spanned<f64>>,
    pub(super) rho_0: Option<Spanned<String>>,
    pub(super) estimator: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDelays {
    pub(super) mode: Spanned<String>,
    pub(super) max_delay: Option<Spanned<String>>,
    pub(super) lr_scale: Option<Spanned<f64>>,
    pub(super) sharpen: Option<Spanned<f64>>,
    pub(super) retrain: Option<Spanned<usize>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReadout {
    pub(super) kind: Spanned<String>,
    pub(super) tau_m: Spanned<String>,
    pub(super) threshold: Option<Spanned<f64>>,
    /// Read only the last part of each sample (a time), e.g. one step.
    pub(super) window: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTraining {
    pub(super) epochs: Option<Spanned<i64>>,
    pub(super) batch_size: Option<Spanned<i64>>,
    pub(super) optimizer: Option<Spanned<String>>,
    pub(super) lr: Option<Spanned<f64>>,
    pub(super) momentum: Option<Spanned<f64>>,
    pub(super) surrogate: Option<Spanned<String>>,
    pub(super) surrogate_scale: Option<Spanned<f64>>,
    pub(super) rule: Option<Spanned<String>>,
    pub(super) learn_tau: Option<bool>,
    pub(super) learn_threshold: Option<bool>,
    pub(super) learn_escape: Option<bool>,
    pub(super) init_gain: Option<Spanned<f64>>,
    pub(super) seed: Option<u64>,
    pub(super) threads: Option<Spanned<i64>>,
    pub(super) schedule: Option<Spanned<String>>,
    pub(super) decay_every: Option<Spanned<i64>>,
    pub(super) decay_factor: Option<Spanned<f64>>,
    pub(super) clip_grad_norm: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOutput {
    pub(super) dir: Option<String>,
}
