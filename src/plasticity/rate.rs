//! Hebbian rules in the simulator: the rate form of [`super::hebbian`]
//! driven by spike traces. Each synapse has a presynaptic trace `x`
//! (jumping by 1 at each arrival, decaying with `tau_pre`), each target a
//! postsynaptic trace `y` (`tau_post`); every `every` steps the weights take
//! one Euler step of the rule (see [`HebbianRule`]) in the dimensionless
//! weight `u = w / w_ref`, then are clipped to `[w_min, w_max]`.
//!
//! The subspace rule's anti-Hebbian term sums over every target of a
//! presynaptic neuron, so it needs the whole target population in one part
//! (validation admits it only on populations that are never split).

use super::spec::{HebbianRule, HebbianSpec};
use crate::engine::persist::{Persist, Snapshot};
use crate::synapse::Csr;

#[derive(Debug, Clone)]
/// A Hebbian rate rule's state: per-synapse pre traces, per-target post traces, weights.
pub struct TraceHebbian {
    spec: HebbianSpec,
    x: Vec<f64>,
    x_last: Vec<f64>,
    y: Vec<f64>,
    y_last: Vec<f64>,
    /// Scratch: traces at the update time.
    y_now: Vec<f64>,
}

fn decayed(value: f64, last: f64, t: f64, tau: f64) -> f64 {
    if value == 0.0 {
        return 0.0;
    }
    value * (-(t - last) / tau).exp()
}

impl TraceHebbian {
    /// The state of rule `spec` for `synapses` synapses onto `targets` target neurons.
    pub fn new(spec: HebbianSpec, synapses: usize, targets: usize) -> Self {
        Self {
            spec,
            x: vec![0.0; synapses],
            x_last: vec![f64::NEG_INFINITY; synapses],
            y: vec![0.0; targets],
            y_last: vec![f64::NEG_INFINITY; targets],
            y_now: vec![0.0; targets],
        }
    }

    /// Steps between weight updates.
    pub fn every(&self) -> u64 {
        self.spec.every
    }

    /// A presynaptic spike arrives at synapse `s` at time `t` (seconds).
    pub fn on_pre(&mut self, s: usize, t: f64) {
        self.x[s] = decayed(self.x[s], self.x_last[s], t, self.spec.tau_pre) + 1.0;
        self.x_last[s] = t;
    }

    /// Target neuron `post` fires at time `t` (seconds).
    pub fn on_post(&mut self, post: usize, t: f64) {
        self.y[post] = decayed(self.y[post], self.y_last[post], t, self.spec.tau_post) + 1.0;
        self.y_last[post] = t;
    }

    /// One Euler step of length `h` seconds at time `t`.
    pub fn update(&mut self, t: f64, h: f64, csr: &Csr, weights: &mut [f64]) {
        let sp = &self.spec;
        for (i, y) in self.y_now.iter_mut().enumerate() {
            *y = decayed(self.y[i], self.y_last[i], t, sp.tau_post);
        }
        let rate = sp.eta * h;
        for pre in 0..csr.offsets.len() - 1 {
            let row = csr.row(pre as u32);
            // The subspace rule's reconstruction of this input: sum_k u_kj y_k.
            let reconstruction = match sp.rule {
                HebbianRule::OjaSubspace => row
                    .clone()
                    .map(|s| weights[s] / sp.w_ref * self.y_now[csr.targets[s] as usize])
                    .sum(),
                _ => 0.0,
            };
            for s in row {
                let y = self.y_now[csr.targets[s] as usize];
                let x = decayed(self.x[s], self.x_last[s], t, sp.tau_pre);
                let u = weights[s] / sp.w_ref;
                let du = match sp.rule {
                    HebbianRule::Hebbian { decay } => x * y - decay * u,
                    HebbianRule::Oja => y * (x - y * u),
                    HebbianRule::OjaSubspace => y * (x - reconstruction),
                };
                weights[s] = ((u + rate * du) * sp.w_ref).clamp(sp.w_min, sp.w_max);
            }
        }
    }
}

impl Persist for TraceHebbian {
    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("hebbian");
        s.slice(&mut self.x);
        s.slice(&mut self.x_last);
        s.slice(&mut self.y);
        s.slice(&mut self.y_last);
        s.slice(&mut self.y_now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plasticity::hebbian;
    use crate::synapse::csr::Synapse;
    use nalgebra::{DMatrix, DVector};

    fn spec(rule: HebbianRule) -> HebbianSpec {
        HebbianSpec {
            rule,
            eta: 10.0,
            tau_pre: 0.02,
            tau_post: 0.05,
            w_ref: 1e-3,
            w_min: -1.0,
            w_max: 1.0,
            every: 10,
        }
    }

    fn one_synapse() -> Csr {
        let s = Synapse {
            pre: 0,
            post: 0,
            weight: 1e-3,
            delay: 1,
            seconds: 0.0,
        };
        Csr::from_synapses(1, vec![s], false)
    }

    #[test]
    fn one_update_matches_the_rule_with_decayed_traces() {
        let csr = one_synapse();
        for rule in [
            HebbianRule::Hebbian { decay: 0.5 },
            HebbianRule::Oja,
            HebbianRule::OjaSubspace,
        ] {
            let mut r = TraceHebbian::new(spec(rule), 1, 1);
            r.on_pre(0, 0.10);
            r.on_pre(0, 0.11);
            r.on_post(0, 0.12);
            let mut w = [2e-3];
            r.update(0.13, 1e-3, &csr, &mut w);
            let x = (-0.03f64 / 0.02).exp() + (-0.02f64 / 0.02).exp();
            let y = (-0.01f64 / 0.05).exp();
            let u = 2.0;
            let du = match rule {
                HebbianRule::Hebbian { decay } => x * y - decay * u,
                HebbianRule::Oja | HebbianRule::OjaSubspace => y * (x - y * u),
            };
            let expected = (u + 10.0 * 1e-3 * du) * 1e-3;
            assert!(
                (w[0] - expected).abs() < 1e-15,
                "{rule:?}: {} vs {expected}",
                w[0]
            );
        }
    }

    #[test]
    fn subspace_update_is_the_matrix_rule_on_traces() {
        // 3 sources onto 2 targets, all to all: one update equals
        // `oja_subspace_update` on H (2 x 3) with the traces as x and y.
        let mut synapses = Vec::new();
        for pre in 0..3u32 {
            for post in 0..2u32 {
                synapses.push(Synapse {
                    pre,
                    post,
                    weight: 0.0,
                    delay: 1,
                    seconds: 0.0,
                });
            }
        }
        let csr = Csr::from_synapses(3, synapses, false);
        let mut r = TraceHebbian::new(spec(HebbianRule::OjaSubspace), 6, 2);
        let u0 = [0.3, -0.2, 0.5, 0.1, -0.4, 0.7];
        let mut w: Vec<f64> = u0.iter().map(|u| u * 1e-3).collect();
        // Every synapse of source j sees the same arrivals.
        let arrivals = [vec![0.101], vec![0.095, 0.11], vec![0.12]];
        for (pre, times) in arrivals.iter().enumerate() {
            for &t in times {
                for s in csr.row(pre as u32) {
                    r.on_pre(s, t);
                }
            }
        }
        r.on_post(0, 0.115);
        r.on_post(1, 0.09);
        r.on_post(1, 0.118);
        let t = 0.125;
        r.update(t, 1e-3, &csr, &mut w);

        let decay =
            |list: &[f64], tau: f64| -> f64 { list.iter().map(|s| (-(t - s) / tau).exp()).sum() };
        let x = DVector::from_iterator(3, arrivals.iter().map(|a| decay(a, 0.02)));
        let y = DVector::from_vec(vec![decay(&[0.115], 0.05), decay(&[0.09, 0.118], 0.05)]);
        // CSR order is (pre, post): H[post][pre] = u0[pre * 2 + post].
        let mut h = DMatrix::from_fn(2, 3, |i, j| u0[j * 2 + i]);
        hebbian::oja_subspace_update(&mut h, &x, &y, 10.0 * 1e-3);
        for pre in 0..3 {
            for post in 0..2 {
                let got = w[pre * 2 + post] / 1e-3;
                assert!(
                    (got - h[(post, pre)]).abs() < 1e-12,
                    "{got} vs {}",
                    h[(post, pre)]
                );
            }
        }
    }
}
