//! The postsynaptic potential (PSP) of one spike at a current synapse, for
//! `spikesim check`: a current-synapse weight given in mV is the jump of
//! `r_m * i`, not the PSP, which is smaller by a factor set by the two time
//! constants (a first model with "2 mV" weights can stay silent). `check`
//! prints each such projection's PSP peak and warns when it is a tiny
//! fraction of the distance from rest to threshold.
//!
//! With the current jumping by `w` (as a voltage `r_m * i`) at t = 0 and
//! decaying with `tau_s`, the membrane (relative to rest) follows
//! `tau_m dv/dt = -v + w exp(-t/tau_s)`, so
//! `v(t) = w tau_s / (tau_s - tau_m) (exp(-t/tau_s) - exp(-t/tau_m))`,
//! which peaks at `t* = tau_s tau_m ln(tau_s/tau_m) / (tau_s - tau_m)` with
//! `v(t*) = w (tau_s/tau_m)^(tau_m/(tau_m - tau_s))`; for `tau_s = tau_m`
//! it is `w t/tau exp(-t/tau)`, peaking at `w / e`. Without a leak
//! (`leak = false`) the membrane keeps the whole charge: `w tau_s / tau_m`.

use crate::model::spec::{ModelSpec, ProjectionSpec};

/// Relative difference of `tau_s` and `tau_m` under which the equal-time-
/// constant limit is used (the general form then loses digits to the
/// cancellation in `tau_m - tau_s`).
const EQUAL_TAUS: f64 = 1e-6;

/// Fraction of `v_th - v_rest` under which the mean weight's PSP draws a
/// warning.
pub const TINY_PSP: f64 = 0.01;

/// The peak of the PSP of one spike of weight `weight` (volts, the jump of
/// `r_m * i`) at a current synapse of time constant `tau_s` onto a leaky
/// membrane of time constant `tau_m` (seconds); the sign is the weight's.
pub fn psp_peak(weight: f64, tau_s: f64, tau_m: f64) -> f64 {
    let r = tau_s / tau_m;
    if (r - 1.0).abs() < EQUAL_TAUS {
        return weight / std::f64::consts::E;
    }
    weight * r.powf(1.0 / (1.0 - r))
}

/// The time of that peak after the spike (seconds).
pub fn psp_peak_time(tau_s: f64, tau_m: f64) -> f64 {
    if ((tau_s / tau_m) - 1.0).abs() < EQUAL_TAUS {
        return tau_m;
    }
    tau_s * tau_m * (tau_s / tau_m).ln() / (tau_s - tau_m)
}

/// One current-synapse projection's PSP: what `check` prints about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectionPsp {
    /// The projection's name (`from->to` unless the file names it).
    pub name: String,
    /// The mean weight, volts (the jump of `r_m * i`).
    pub weight: f64,
    /// The synaptic time constant of the receptor, seconds.
    pub tau_s: f64,
    /// The target's membrane time constant, seconds.
    pub tau_m: f64,
    /// The PSP peak of one spike of the mean weight, volts.
    pub peak: f64,
    /// `v_th - v_rest` of the target, volts (infinite for a population that
    /// never fires).
    pub to_threshold: f64,
}

impl ProjectionPsp {
    /// The line `check` prints.
    pub fn line(&self) -> String {
        format!(
            "  projection {}: mean weight {} mV (jump of r_m*i) gives a PSP peak of {} mV \
             (tau_syn {} ms, tau_m {} ms)",
            self.name,
            millivolts(self.weight),
            millivolts(self.peak),
            millivolts(self.tau_s),
            millivolts(self.tau_m)
        )
    }

    /// The warning when the PSP peak is under [`TINY_PSP`] of the distance
    /// from rest to threshold (none for a target that never fires, or
    /// whose rest is at or above threshold).
    pub fn warning(&self) -> Option<String> {
        let gap = self.to_threshold;
        if !(gap.is_finite() && gap > 0.0) || self.peak.abs() >= TINY_PSP * gap {
            return None;
        }
        Some(format!(
            "projection {}: one spike of the mean weight ({} mV) moves the membrane by at most \
             {} mV, under 1% of v_th - v_rest = {} mV: a current-synapse weight is the jump of \
             r_m*i, not the PSP (peak = w (tau_s/tau_m)^(tau_m/(tau_m - tau_s)))",
            self.name,
            millivolts(self.weight),
            millivolts(self.peak),
            millivolts(gap)
        ))
    }
}

/// A value in thousandths (V -> mV, s -> ms) with 4 significant digits.
fn millivolts(v: f64) -> String {
    let m = v * 1e3;
    if m == 0.0 || !m.is_finite() {
        return format!("{m}");
    }
    let digits = (3 - m.abs().log10().floor() as i32).max(0) as usize;
    format!("{m:.digits$}")
}

/// The PSP of every projection onto current synapses of a `cuba_lif`
/// population whose weights jump the current (`input = "forcing"` spreads
/// a weight over a step and is left out), in file order.
pub fn current_synapse_psps(spec: &ModelSpec) -> Vec<ProjectionPsp> {
    spec.projections
        .iter()
        .filter_map(|p| projection_psp(spec, p))
        .collect()
}

fn projection_psp(spec: &ModelSpec, p: &ProjectionSpec) -> Option<ProjectionPsp> {
    let model = spec.populations.get(p.to)?.kind.model();
    let tau_s = model.current_jump_tau(p.port)?;
    let m = model.membrane()?;
    let weight = p.weight.mean();
    let peak = if m.leak {
        psp_peak(weight, tau_s, m.tau_m)
    } else {
        weight * tau_s / m.tau_m
    };
    let to_threshold = if m.spiking {
        m.v_th - m.v_rest
    } else {
        f64::INFINITY
    };
    Some(ProjectionPsp {
        name: p.name.clone(),
        weight,
        tau_s,
        tau_m: m.tau_m,
        peak,
        to_threshold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The PSP's maximum by integrating the two equations with small
    /// exact-exponential steps for the current and RK4 for the membrane.
    fn numeric_peak(w: f64, tau_s: f64, tau_m: f64) -> (f64, f64) {
        let dt = tau_m.min(tau_s) * 1e-4;
        let f = |t: f64, v: f64| (-v + w * (-t / tau_s).exp()) / tau_m;
        let (mut t, mut v, mut best) = (0.0, 0.0f64, (0.0f64, 0.0));
        while t < 20.0 * tau_m.max(tau_s) {
            let k1 = f(t, v);
            let k2 = f(t + dt / 2.0, v + dt / 2.0 * k1);
            let k3 = f(t + dt / 2.0, v + dt / 2.0 * k2);
            let k4 = f(t + dt, v + dt * k3);
            v += dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
            t += dt;
            if v.abs() > best.0.abs() {
                best = (v, t);
            }
        }
        best
    }

    #[test]
    fn the_closed_form_peak_matches_an_integration() {
        for (w, tau_s, tau_m) in [
            (2e-3, 5e-3, 20e-3),
            (1.62e-3, 5e-3, 20e-3),
            (-9e-3, 10e-3, 20e-3),
            (1e-3, 30e-3, 10e-3),
            (1e-3, 20e-3, 20e-3),
            (1e-3, 20e-3 * (1.0 + 1e-8), 20e-3),
        ] {
            let (peak, at) = numeric_peak(w, tau_s, tau_m);
            let closed = psp_peak(w, tau_s, tau_m);
            assert!(
                (closed - peak).abs() < 1e-6 * w.abs(),
                "{w} {tau_s} {tau_m}: {closed} vs {peak}"
            );
            let t = psp_peak_time(tau_s, tau_m);
            assert!((t - at).abs() < 1e-3 * tau_m, "{t} vs {at}");
        }
    }

    #[test]
    fn limits_of_the_peak() {
        // Equal time constants: w/e at t = tau.
        assert!((psp_peak(1.0, 0.02, 0.02) - (-1.0f64).exp()).abs() < 1e-15);
        // Just off equal: continuous with the limit.
        assert!((psp_peak(1.0, 0.02 * (1.0 + 1e-5), 0.02) - (-1.0f64).exp()).abs() < 1e-5);
        // A fast synapse delivers its charge at once: w tau_s / tau_m.
        let r = 1e-4;
        assert!((psp_peak(1.0, r * 0.02, 0.02) - r).abs() < 1e-2 * r);
        // The cuba example: 1.62 mV with tau_s 5 ms, tau_m 20 ms.
        let expected = 1.62e-3 * 0.25f64.powf(4.0 / 3.0);
        assert!((psp_peak(1.62e-3, 5e-3, 20e-3) - expected).abs() < 1e-15);
    }

    #[test]
    fn a_tiny_psp_draws_a_warning_and_a_fair_one_none() {
        let psp = |peak: f64, to_threshold: f64| ProjectionPsp {
            name: "a->b".into(),
            weight: 2e-3,
            tau_s: 5e-3,
            tau_m: 20e-3,
            peak,
            to_threshold,
        };
        let w = psp(0.1e-3, 15e-3)
            .warning()
            .expect("0.1 mV of 15 mV is tiny");
        assert!(w.contains("under 1% of v_th - v_rest = 15.00 mV"), "{w}");
        assert!(psp(1e-3, 15e-3).warning().is_none());
        assert!(psp(-0.1e-3, 15e-3).warning().is_some(), "inhibitory too");
        assert!(psp(0.1e-3, f64::INFINITY).warning().is_none());
        assert!(
            psp(0.1e-3, -1e-3).warning().is_none(),
            "rest above threshold"
        );
        assert_eq!(millivolts(0.31497e-3), "0.3150");
        assert_eq!(millivolts(15e-3), "15.00");
    }
}
