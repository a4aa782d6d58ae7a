//! Validated parameters of the astrocyte, AM-SU and meta neuron models.
//!
//! Concentrations are plain numbers in µM (the unit of the Li–Rinzel
//! literature and of NEST's `astrocyte_lr_1994`); rates are frequencies in
//! SI, their concentration factor in µM (`rate_serca` in µM/s, `k_ip3r` in
//! 1/(µM·s)). Everything else is SI.

use super::spec::{MembraneParams, ValueSpec};

/// The Li–Rinzel astrocyte (De Young–Keizer IP3 receptor, Nadkarni & Jung
/// 2003 defaults, as NEST's `astrocyte_lr_1994`). Our substitute for the
/// AM-SU paper's unpublished equations, not the paper's model.
#[derive(Debug, Clone, PartialEq)]
pub struct AstrocyteParams {
    pub ca_tot: f64,
    pub ip3_0: f64,
    pub kd_ip3_1: f64,
    pub kd_ip3_2: f64,
    pub kd_act: f64,
    pub kd_inh: f64,
    pub km_serca: f64,
    /// Slow inward current per unit of `ln(y)`, amperes.
    pub sic_scale: f64,
    /// Calcium above which a SIC flows, µM.
    pub sic_th: f64,
    /// IP3 added per unit of presynaptic weight, µM.
    pub delta_ip3: f64,
    pub k_ip3r: f64,
    pub rate_ip3r: f64,
    pub rate_l: f64,
    pub rate_serca: f64,
    pub ratio_er_cyt: f64,
    pub tau_ip3: f64,
    /// Longest RK4 substep, seconds.
    pub max_step: f64,
    pub init_ip3: ValueSpec,
    pub init_ca: ValueSpec,
    pub init_h: ValueSpec,
}

/// What the AM-SU astrocyte trace acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modulation {
    /// `v_th_eff = v_rest + (v_th - v_rest)(1 + kappa tanh a)`.
    Threshold,
    /// Synaptic jumps scaled by `max(0, 1 + kappa tanh a)`.
    Gain,
}

/// The lighter AM-SU-style unit (our proposal, not the paper's): LIF neurons
/// in groups, each group with a slow trace of its mean spiking that
/// modulates the group's threshold or input gain.
#[derive(Debug, Clone, PartialEq)]
pub struct AmsuParams {
    pub membrane: MembraneParams,
    /// Neurons per group (contiguous; the population size is a multiple).
    pub group_size: u32,
    pub tau_a: f64,
    pub kappa: f64,
    pub modulation: Modulation,
}

/// How a meta neuron turns its state into a spike.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaParams {
    /// Escape noise on a LIF membrane.
    Escape {
        membrane: MembraneParams,
        escape: Escape,
        /// Noise scale `Δu`, volts.
        delta_u: f64,
    },
    /// Levy & Baxter (2002): each input passes with probability `success`
    /// and then adds `weight · Q`, `Q ~ U[0, 1]`; inhibitory (negative)
    /// inputs add `inhibition · weight`; spike iff the sum reaches `g`.
    LevyBaxter {
        success: f64,
        /// Activation threshold, volts (the unit of the weights).
        g: f64,
        inhibition: f64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Escape {
    /// `P = 1 - exp(-dt · rho_0 · exp((v - v_th) / Δu))`.
    Exponential { rho_0: f64 },
    /// `P = 1 / (1 + exp(-(v - v_th) / Δu))` per step.
    Sigmoid,
}
