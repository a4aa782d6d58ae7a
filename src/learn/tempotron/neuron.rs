//! The Tempotron (Gütig & Sompolinsky 2006) for a LIF and for a meta
//! (escape-noise) neuron, with the meta neuron's intrinsic parameters
//! learned beside the weights.
//!
//! The potential is `V(t) = Σ_i w_i Σ_{t_i < t} K(t - t_i)` (rest 0), with
//! `K(t) = V0 (e^{-t/τ} - e^{-t/τ_s})`, `τ_s = τ/4`, `V0` normalising the
//! peak of `K` to 1. A LIF tempotron fires when `V` reaches `v_th`; a meta
//! tempotron fires in each step of `dt` with the escape probability of
//! `V - v_th` (`neuron::meta::EscapeNoise`). After a spike the potential is
//! reset to rest and recovers with `τ` (a reset kernel `-V(t_s) e^{-(t-t_s)/τ}`),
//! which shapes the output train that the LZC read-out sees; the decision
//! is "fires at least once".
//!
//! Learning, on an error only (no spike for a `+` pattern, a spike for a
//! `-` pattern), at `t_max = argmax V` of the reset-free potential:
//! * weights: `Δw_i = ±λ Σ_{t_i < t_max} K(t_max - t_i)` (the rule);
//! * threshold: `Δv_th = ∓λ_θ` (a miss lowers it, a false alarm raises it);
//! * membrane time constant: `Δτ = ±λ_τ ∂V(t_max)/∂τ` (central difference),
//!   moving `V(t_max)` the way the error asks.
//!
//! The last two are our form of "intrinsic parameters learned jointly with
//! the weights" (Rudnicka et al., arXiv 2508.11674, whose rule could not be
//! retrieved): gradient steps on the same margin the Tempotron uses. The
//! noise scale `delta_u` is a plain field too but is not learned here.

use rand::RngExt;
use rand_pcg::Pcg64;

use super::patterns::Pattern;
use crate::neuron::meta::EscapeNoise;

/// The Tempotron's PSP kernel for a membrane time constant `tau`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kernel {
    /// Membrane time constant, seconds.
    pub tau: f64,
    /// Synaptic time constant (`tau / 4`), seconds.
    pub tau_s: f64,
    /// Normalisation: the kernel peaks at 1.
    pub v0: f64,
}

impl Kernel {
    /// The kernel of membrane time constant `tau` (seconds), peak 1.
    pub fn new(tau: f64) -> Self {
        let tau_s = tau / 4.0;
        let peak = tau * tau_s * (tau / tau_s).ln() / (tau - tau_s);
        let v0 = 1.0 / ((-peak / tau).exp() - (-peak / tau_s).exp());
        Self { tau, tau_s, v0 }
    }

    /// The kernel at `t` seconds after an input spike (0 before it).
    pub fn at(&self, t: f64) -> f64 {
        if t < 0.0 {
            return 0.0;
        }
        self.v0 * ((-t / self.tau).exp() - (-t / self.tau_s).exp())
    }
}

/// How the potential becomes spikes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Readout {
    /// Deterministic threshold.
    Lif,
    /// Escape noise around `v_th` (its `v_th` field is ignored: the
    /// tempotron's own, learned, threshold is used).
    Meta(EscapeNoise),
}

/// Learning rates of the weights and of the intrinsic parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// Learning rate of the weights.
    pub weights: f64,
    /// Learning rate of the threshold.
    pub threshold: f64,
    /// Learning rate of the membrane time constant.
    pub tau_m: f64,
}

/// What a tempotron did with one pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// Output spike times (with reset), seconds.
    pub spikes: Vec<f64>,
    /// Maximum of the reset-free potential and its time.
    pub v_max: f64,
    /// Time of `v_max`, seconds.
    pub t_max: f64,
}

impl Response {
    /// Whether the neuron fired (the potential reached threshold).
    pub fn fired(&self) -> bool {
        !self.spikes.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq)]
/// The Tempotron: a neuron that learns to fire for one class of patterns and not for the other.
pub struct Tempotron {
    /// Weight of each afferent, in units of the kernel's peak.
    pub weights: Vec<f64>,
    /// Membrane time constant `τ` (s).
    pub tau_m: f64,
    /// Threshold in units of the kernel's peak.
    pub v_th: f64,
    /// How the potential becomes spikes.
    pub readout: Readout,
    /// Evaluation step (s).
    pub dt: f64,
}

/// Shortest membrane time constant learning may reach, seconds.
const TAU_FLOOR: f64 = 1e-3;

impl Tempotron {
    /// Weights drawn uniformly from `[0, w_max)`.
    pub fn new(
        afferents: usize,
        w_max: f64,
        tau_m: f64,
        v_th: f64,
        readout: Readout,
        dt: f64,
        rng: &mut Pcg64,
    ) -> Self {
        Self {
            weights: (0..afferents)
                .map(|_| w_max * rng.random::<f64>())
                .collect(),
            tau_m,
            v_th,
            readout,
            dt,
        }
    }

    /// The reset-free potential at the grid points `k·dt`, `k < duration/dt`:
    /// two exponential traces, each spike entering at the first grid point
    /// at or after it with its exact decay.
    pub fn potential(&self, p: &Pattern) -> Vec<f64> {
        let k = Kernel::new(self.tau_m);
        let n = (p.duration / self.dt).round() as usize;
        let (mut jump_slow, mut jump_fast) = (vec![0.0; n], vec![0.0; n]);
        for (w, times) in self.weights.iter().zip(&p.afferents) {
            for &t in times {
                let g = (t / self.dt).ceil() as usize;
                if g < n {
                    let lag = g as f64 * self.dt - t;
                    jump_slow[g] += w * (-lag / k.tau).exp();
                    jump_fast[g] += w * (-lag / k.tau_s).exp();
                }
            }
        }
        let (ds, df) = ((-self.dt / k.tau).exp(), (-self.dt / k.tau_s).exp());
        let (mut slow, mut fast) = (0.0, 0.0);
        (0..n)
            .map(|g| {
                slow = slow * ds + jump_slow[g];
                fast = fast * df + jump_fast[g];
                k.v0 * (slow - fast)
            })
            .collect()
    }

    /// `V(t)` summed directly from the spikes, for membrane constant `tau`.
    pub fn potential_at(&self, p: &Pattern, t: f64, tau: f64) -> f64 {
        let k = Kernel::new(tau);
        self.weights
            .iter()
            .zip(&p.afferents)
            .map(|(w, times)| w * times.iter().map(|&ti| k.at(t - ti)).sum::<f64>())
            .sum()
    }

    /// Run the neuron on `p`. The meta readout draws from `rng`.
    pub fn respond(&self, p: &Pattern, rng: &mut Pcg64) -> Response {
        let v = self.potential(p);
        let (mut v_max, mut t_max) = (f64::NEG_INFINITY, 0.0);
        let mut spikes = Vec::new();
        let decay = (-self.dt / self.tau_m).exp();
        let mut reset = 0.0;
        for (g, &vg) in v.iter().enumerate() {
            let t = g as f64 * self.dt;
            if vg > v_max {
                (v_max, t_max) = (vg, t);
            }
            reset *= decay;
            let u = vg - reset;
            let fire = match self.readout {
                Readout::Lif => u >= self.v_th,
                Readout::Meta(noise) => {
                    let noise = EscapeNoise {
                        v_th: self.v_th,
                        ..noise
                    };
                    rng.random::<f64>() < noise.probability(u, self.dt)
                }
            };
            if fire {
                spikes.push(t);
                reset += u;
            }
        }
        Response {
            spikes,
            v_max,
            t_max,
        }
    }

    /// Apply the learning rule for pattern `p` of class `positive` given the
    /// response; returns whether it was an error.
    pub fn learn(&mut self, p: &Pattern, positive: bool, r: &Response, rates: &Rates) -> bool {
        if r.fired() == positive {
            return false;
        }
        let sign = if positive { 1.0 } else { -1.0 };
        let k = Kernel::new(self.tau_m);
        let t_max = r.t_max;
        let eps = 1e-3 * self.tau_m;
        let dv_dtau = (self.potential_at(p, t_max, self.tau_m + eps)
            - self.potential_at(p, t_max, self.tau_m - eps))
            / (2.0 * eps);
        for (w, times) in self.weights.iter_mut().zip(&p.afferents) {
            let drive: f64 = times
                .iter()
                .take_while(|&&ti| ti < t_max)
                .map(|&ti| k.at(t_max - ti))
                .sum();
            *w += sign * rates.weights * drive;
        }
        if matches!(self.readout, Readout::Meta(_)) {
            self.v_th = (self.v_th - sign * rates.threshold).max(1e-3);
            self.tau_m = (self.tau_m + sign * rates.tau_m * dv_dtau).max(TAU_FLOOR);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng;
    use crate::learn::tempotron::patterns::poisson;

    #[test]
    fn the_kernel_peaks_at_one() {
        // The maximum of e^{-t/τ} - e^{-t/τ_s} is at t* = τ τ_s ln(τ/τ_s)/(τ - τ_s).
        let k = Kernel::new(15e-3);
        let (tau, tau_s) = (15e-3f64, 3.75e-3f64);
        let t_star = tau * tau_s * (tau / tau_s).ln() / (tau - tau_s);
        assert!((k.at(t_star) - 1.0).abs() < 1e-12);
        assert!(k.at(t_star - 1e-4) < 1.0 && k.at(t_star + 1e-4) < 1.0);
        assert_eq!(k.at(-1e-3), 0.0);
    }

    #[test]
    fn the_traced_potential_equals_the_direct_sum() {
        let mut r = rng::stream(3, "test", "tempotron");
        let p = poisson(50, 0.3, 10.0, &mut r);
        let t = Tempotron::new(50, 0.2, 15e-3, 1.0, Readout::Lif, 1e-3, &mut r);
        let v = t.potential(&p);
        for g in (0..v.len()).step_by(7) {
            let direct = t.potential_at(&p, g as f64 * 1e-3, 15e-3);
            assert!((v[g] - direct).abs() < 1e-12, "{g}: {} vs {direct}", v[g]);
        }
    }

    #[test]
    fn an_error_moves_v_max_the_right_way() {
        let mut r = rng::stream(4, "test", "tempotron");
        let p = poisson(100, 0.5, 5.0, &mut r);
        let mut t = Tempotron::new(100, 0.01, 15e-3, 1.0, Readout::Lif, 1e-3, &mut r);
        let before = t.respond(&p, &mut r);
        assert!(!before.fired());
        let rates = Rates {
            weights: 0.05,
            threshold: 0.0,
            tau_m: 0.0,
        };
        assert!(t.learn(&p, true, &before, &rates));
        let after = t.respond(&p, &mut r);
        assert!(after.v_max > before.v_max);
    }
}
