//! Validated plasticity of a projection, in SI and in the projection's
//! weight unit (volts for every port, as `ProjectionSpec::weight`).

/// How spikes pair up in a trace rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    /// Every pre spike pairs with every post spike: traces add 1 per spike.
    AllToAll,
    /// Each spike pairs only with the nearest earlier spike of the other
    /// side: traces are reset to 1 per spike (Morrison et al. 2008's
    /// symmetric nearest-spike interaction).
    Nearest,
}

/// How the size of a change depends on the weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightDependence {
    /// Changes of fixed size (amplitudes in weight units), clipped to the bounds.
    Additive,
    /// Soft bounds: potentiation scaled by `w_max - w`, depression by
    /// `w - w_min` (amplitudes are dimensionless fractions).
    Multiplicative,
}

/// Trace-based STDP. Pair STDP is the triplet rule with `a3_plus = a3_minus = 0`.
///
/// Pfister & Gerstner 2006: pre traces `r1` (tau_plus), `r2` (tau_x), post
/// traces `o1` (tau_minus), `o2` (tau_y). At a pre arrival
/// `w -= o1 (a2_minus + a3_minus r2)`, at a post spike
/// `w += r1 (a2_plus + a3_plus o2)`, each trace taken just before its own
/// spike's increment.
#[derive(Debug, Clone, PartialEq)]
pub struct StdpSpec {
    /// Time constant of the pre trace `r1`, seconds.
    pub tau_plus: f64,
    /// Time constant of the post trace `o1`, seconds.
    pub tau_minus: f64,
    /// Time constant of the slow pre trace `r2`, seconds.
    pub tau_x: f64,
    /// Time constant of the slow post trace `o2`, seconds.
    pub tau_y: f64,
    /// Pair potentiation amplitude (weight units, or a fraction when multiplicative).
    pub a2_plus: f64,
    /// Triplet potentiation amplitude.
    pub a3_plus: f64,
    /// Pair depression amplitude.
    pub a2_minus: f64,
    /// Triplet depression amplitude.
    pub a3_minus: f64,
    /// Lower weight bound, weight units.
    pub w_min: f64,
    /// Upper weight bound, weight units.
    pub w_max: f64,
    /// How spikes pair up.
    pub pairing: Pairing,
    /// How a change depends on the weight.
    pub dependence: WeightDependence,
}

/// Which rate (trace) rule a Hebbian projection follows; `u = w / w_ref`,
/// `x` the pre trace of the synapse, `y` the post trace of its target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HebbianRule {
    /// `du/dt = eta (x y - decay u)`.
    Hebbian {
        /// The decay rate (dimensionless, per unit of `eta`).
        decay: f64,
    },
    /// Oja 1982: `du/dt = eta y (x - y u)`.
    Oja,
    /// Oja's subspace rule: `du_ij/dt = eta y_i (x_ij - sum_k u_kj y_k)`
    /// (Hebbian `y x`, anti-Hebbian lateral `y y^T U`).
    OjaSubspace,
}

/// A Hebbian rule on spike traces, applied as an Euler step every `every`
/// clock steps.
#[derive(Debug, Clone, PartialEq)]
pub struct HebbianSpec {
    /// The rule.
    pub rule: HebbianRule,
    /// Learning rate, 1/s.
    pub eta: f64,
    /// Time constant of the presynaptic trace, seconds.
    pub tau_pre: f64,
    /// Time constant of the postsynaptic trace, seconds.
    pub tau_post: f64,
    /// Weight that counts as 1 in the rule.
    pub w_ref: f64,
    /// Lower weight bound, weight units.
    pub w_min: f64,
    /// Upper weight bound, weight units.
    pub w_max: f64,
    /// Steps between updates.
    pub every: u64,
}

#[derive(Debug, Clone, PartialEq)]
/// A projection's plasticity rule, validated.
pub enum PlasticitySpec {
    /// Trace-based STDP (pair or triplet).
    Stdp(StdpSpec),
    /// A Hebbian rate rule driven by spike traces.
    Hebbian(HebbianSpec),
}

impl PlasticitySpec {
    /// The weight bounds `(w_min, w_max)`, weight units.
    pub fn bounds(&self) -> (f64, f64) {
        match self {
            PlasticitySpec::Stdp(s) => (s.w_min, s.w_max),
            PlasticitySpec::Hebbian(h) => (h.w_min, h.w_max),
        }
    }
}
