//! Trace-based STDP (pair and triplet) on the synapses of one projection
//! part. Traces are kept as their value just after the last spike and the
//! time of that spike, and decayed in closed form when read, so the rule is
//! exact at any spike times (clock grid or event engine).
//!
//! Presynaptic traces belong to synapses, not to presynaptic neurons: a
//! presynaptic spike counts when it *arrives* at the synapse, after that
//! synapse's own delay. Postsynaptic traces belong to target neurons.
//!
//! At equal times a presynaptic arrival is applied before the postsynaptic
//! spike it may have caused: that pair counts as causal (Δt = 0 potentiates
//! by `a2_plus`).

use super::spec::{Pairing, StdpSpec, WeightDependence};
use crate::engine::persist::{Persist, Snapshot};

#[derive(Debug, Clone)]
/// STDP's state: per-synapse pre traces, per-target post traces, weights.
pub struct Stdp {
    spec: StdpSpec,
    /// Per synapse: pre traces (tau_plus, tau_x) after the last arrival.
    r1: Vec<f64>,
    r2: Vec<f64>,
    pre_last: Vec<f64>,
    /// Per target neuron: post traces (tau_minus, tau_y) after the last spike.
    o1: Vec<f64>,
    o2: Vec<f64>,
    post_last: Vec<f64>,
}

/// A trace's value at `t`, from its value `value` just after time `last`.
fn decayed(value: f64, last: f64, t: f64, tau: f64) -> f64 {
    if value == 0.0 {
        return 0.0;
    }
    value * (-(t - last) / tau).exp()
}

impl Stdp {
    /// The state of rule `spec` for `synapses` synapses onto `targets` target neurons.
    pub fn new(spec: StdpSpec, synapses: usize, targets: usize) -> Self {
        Self {
            spec,
            r1: vec![0.0; synapses],
            r2: vec![0.0; synapses],
            pre_last: vec![f64::NEG_INFINITY; synapses],
            o1: vec![0.0; targets],
            o2: vec![0.0; targets],
            post_last: vec![f64::NEG_INFINITY; targets],
        }
    }

    fn bump(&self, value: f64) -> f64 {
        match self.spec.pairing {
            Pairing::AllToAll => value + 1.0,
            Pairing::Nearest => 1.0,
        }
    }

    fn clip(&self, w: f64) -> f64 {
        w.clamp(self.spec.w_min, self.spec.w_max)
    }

    /// A presynaptic spike reaches synapse `s` (onto target `post`) at `t`:
    /// depress `w`, then count the arrival in the synapse's traces.
    pub fn on_pre(&mut self, s: usize, post: usize, t: f64, w: &mut f64) {
        let sp = &self.spec;
        let o1 = decayed(self.o1[post], self.post_last[post], t, sp.tau_minus);
        let r1 = decayed(self.r1[s], self.pre_last[s], t, sp.tau_plus);
        let r2 = decayed(self.r2[s], self.pre_last[s], t, sp.tau_x);
        let depression = o1 * (sp.a2_minus + sp.a3_minus * r2);
        if depression != 0.0 {
            let scale = match sp.dependence {
                WeightDependence::Additive => 1.0,
                WeightDependence::Multiplicative => *w - sp.w_min,
            };
            *w = self.clip(*w - depression * scale);
        }
        self.r1[s] = self.bump(r1);
        self.r2[s] = self.bump(r2);
        self.pre_last[s] = t;
    }

    /// Target `post` fires at `t`: potentiate each of its incoming synapses
    /// `incoming` (indices into `weights`), then count the spike.
    pub fn on_post(&mut self, post: usize, t: f64, incoming: &[u32], weights: &mut [f64]) {
        let sp = &self.spec;
        let o1 = decayed(self.o1[post], self.post_last[post], t, sp.tau_minus);
        let o2 = decayed(self.o2[post], self.post_last[post], t, sp.tau_y);
        let amplitude = sp.a2_plus + sp.a3_plus * o2;
        for &s in incoming {
            let s = s as usize;
            let r1 = decayed(self.r1[s], self.pre_last[s], t, sp.tau_plus);
            if r1 == 0.0 {
                continue;
            }
            let w = &mut weights[s];
            let scale = match sp.dependence {
                WeightDependence::Additive => 1.0,
                WeightDependence::Multiplicative => sp.w_max - *w,
            };
            *w = (*w + r1 * amplitude * scale).clamp(sp.w_min, sp.w_max);
        }
        self.o1[post] = self.bump(o1);
        self.o2[post] = self.bump(o2);
        self.post_last[post] = t;
    }
}

impl Persist for Stdp {
    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("stdp");
        s.slice(&mut self.r1);
        s.slice(&mut self.r2);
        s.slice(&mut self.pre_last);
        s.slice(&mut self.o1);
        s.slice(&mut self.o2);
        s.slice(&mut self.post_last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(pairing: Pairing) -> StdpSpec {
        StdpSpec {
            tau_plus: 0.02,
            tau_minus: 0.03,
            tau_x: 1.0,
            tau_y: 1.0,
            a2_plus: 0.01,
            a3_plus: 0.0,
            a2_minus: 0.012,
            a3_minus: 0.0,
            w_min: 0.0,
            w_max: 1.0,
            pairing,
            dependence: WeightDependence::Additive,
        }
    }

    #[test]
    fn one_pair_follows_the_exponential_window() {
        for dt in [0.001, 0.005, 0.02, 0.07] {
            let mut stdp = Stdp::new(pair(Pairing::AllToAll), 2, 2);
            let mut w = [0.5, 0.5];
            // Causal pair on synapse 0 (target 0), anti-causal on 1 (target 1).
            stdp.on_pre(0, 0, 1.0, &mut w[0]);
            stdp.on_post(0, 1.0 + dt, &[0], &mut w);
            stdp.on_post(1, 1.0, &[1], &mut w);
            let mut w1 = w[1];
            stdp.on_pre(1, 1, 1.0 + dt, &mut w1);
            let plus = 0.01 * (-dt / 0.02f64).exp();
            let minus = 0.012 * (-dt / 0.03f64).exp();
            assert!((w[0] - 0.5 - plus).abs() < 1e-15, "{dt}");
            assert!((w1 - 0.5 + minus).abs() < 1e-15, "{dt}");
        }
    }

    #[test]
    fn weights_stay_within_bounds() {
        let mut spec = pair(Pairing::AllToAll);
        spec.a2_plus = 0.7;
        let mut stdp = Stdp::new(spec, 1, 1);
        let mut w = [0.9];
        stdp.on_pre(0, 0, 0.0, &mut w[0]);
        stdp.on_post(0, 0.0, &[0], &mut w);
        assert_eq!(w[0], 1.0);
    }
}
