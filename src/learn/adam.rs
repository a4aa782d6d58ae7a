//! Adam (Kingma & Ba 2015) over a list of flat f64 parameter slices, for
//! blocks used outside a trainer [`Network`](super::net::Network) (the L2MU
//! cell's `fit`, DCLS tests).
//!
//! The blocks here keep their parameters as several `Vec<f64>`; the
//! optimiser keeps one moment pair per slice, in the order the slices are
//! given, so the caller must always pass them in the same order. The update
//! itself is the trainer's ([`super::optim::adam_update`]).

use super::optim::adam_update;

/// Adam state: first and second moments per parameter slice.
#[derive(Debug, Clone)]
pub struct Adam {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    step: i32,
    m: Vec<Vec<f64>>,
    v: Vec<Vec<f64>>,
}

impl Adam {
    /// Adam with the usual β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
    pub fn new(lr: f64) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            step: 0,
            m: Vec::new(),
            v: Vec::new(),
        }
    }

    /// One update of every slice in `params` with the matching gradient.
    pub fn step(&mut self, params: &mut [&mut [f64]], grads: &[&[f64]]) {
        assert_eq!(
            params.len(),
            grads.len(),
            "one gradient per parameter slice"
        );
        if self.m.is_empty() {
            self.m = grads.iter().map(|g| vec![0.0; g.len()]).collect();
            self.v = self.m.clone();
        }
        self.step += 1;
        // Bias correction folded into the step size.
        let c1 = 1.0 - self.beta1.powi(self.step);
        let c2 = 1.0 - self.beta2.powi(self.step);
        let lr = self.lr * c2.sqrt() / c1;
        let hyper = [self.beta1, self.beta2, self.eps];
        for (k, (p, g)) in params.iter_mut().zip(grads).enumerate() {
            adam_update(p, &mut self.m[k], &mut self.v[k], g, lr, hyper);
        }
    }
}

/// Softmax cross-entropy of `logits` against class `label`; returns the loss
/// and writes ∂loss/∂logits into `grad`.
pub fn cross_entropy(logits: &[f64], label: usize, grad: &mut [f64]) -> f64 {
    let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = logits.iter().map(|l| (l - max).exp()).sum();
    for (g, l) in grad.iter_mut().zip(logits) {
        *g = (l - max).exp() / z;
    }
    grad[label] -= 1.0;
    z.ln() + max - logits[label]
}

/// Index of the largest value (first one on ties).
pub fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With a constant gradient g the bias-corrected moments are m̂ = g and
    /// v̂ = g², so step t moves each parameter by exactly
    /// lr·g/(|g| + ε/√(1 − β₂ᵗ)) (Adam's ε acts on the uncorrected √v).
    #[test]
    fn steps_under_a_constant_gradient_move_by_the_closed_form() {
        let mut adam = Adam::new(0.01);
        let mut w = vec![1.0, -2.0, 0.5];
        let g = [0.3, -4.0, 1e-3];
        for t in 1..=3 {
            let before = w.clone();
            adam.step(&mut [&mut w[..]], &[&g[..]]);
            let c2: f64 = 1.0 - 0.999f64.powi(t);
            for ((b, a), g) in before.iter().zip(&w).zip(&g) {
                let moved = b - a;
                let expected = 0.01 * g / (g.abs() + 1e-8 / c2.sqrt());
                assert!(
                    (moved - expected).abs() < 1e-12 * expected.abs(),
                    "step {t}: moved {moved}, expected {expected}"
                );
            }
        }
    }
}
