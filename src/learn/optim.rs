//! Optimisers over the flat list of a network's tensors.

use super::net::{Grads, Network};
use super::real::Real;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptimizerKind {
    Sgd { momentum: f64 },
    Adam { beta1: f64, beta2: f64, eps: f64 },
}

/// Optimiser state: one moment buffer (SGD momentum, Adam's first moment)
/// and, for Adam, a second, shaped like the gradients.
#[derive(Debug, Clone, PartialEq)]
pub struct Optimizer {
    pub kind: OptimizerKind,
    pub lr: f64,
    pub step: u64,
    pub m: Grads<f32>,
    pub v: Grads<f32>,
}

impl Optimizer {
    pub fn new(kind: OptimizerKind, lr: f64, net: &Network<f32>) -> Self {
        Self {
            kind,
            lr,
            step: 0,
            m: net.zero_grads(),
            v: net.zero_grads(),
        }
    }

    /// Applies `grads` (already averaged over the batch).
    pub fn apply(&mut self, net: &mut Network<f32>, grads: &Grads<f32>) {
        self.step += 1;
        for (l, layer) in net.layers.iter_mut().enumerate() {
            let scales: Vec<f64> = (0..layer.params().len())
                .map(|p| layer.lr_scale(p))
                .collect();
            for (p, param) in layer.params_mut().into_iter().enumerate() {
                let lr64 = self.lr * scales[p];
                let lr = lr64 as f32;
                let (m, v, g) = (&mut self.m[l][p], &mut self.v[l][p], &grads[l][p]);
                match self.kind {
                    OptimizerKind::Sgd { momentum } => {
                        let mu = momentum as f32;
                        for ((w, m), &g) in param.iter_mut().zip(m.iter_mut()).zip(g) {
                            *m = mu * *m + g;
                            *w -= lr * *m;
                        }
                    }
                    OptimizerKind::Adam { beta1, beta2, eps } => {
                        let c1 = 1.0 - beta1.powf(self.step as f64);
                        let c2 = 1.0 - beta2.powf(self.step as f64);
                        // The whole step size in f64, rounded once.
                        let step = (lr64 * c2.sqrt() / c1) as f32;
                        adam_update(param, m, v, g, step, [beta1, beta2, eps]);
                    }
                }
            }
        }
    }
}

/// One Adam update of `w` with its moments `m`, `v` and gradient `g`.
/// `step` is the whole step size lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), computed by the
/// caller in f64 and rounded once to `T`; `[β₁, β₂, ε]` are rounded to `T`.
/// Shared by the trainer's [`Optimizer`] (f32) and the slice-based
/// [`super::adam::Adam`] (f64), so both do the same arithmetic in the same
/// order.
pub fn adam_update<T: Real>(
    w: &mut [T],
    m: &mut [T],
    v: &mut [T],
    g: &[T],
    step: T,
    hyper: [f64; 3],
) {
    let [b1, b2, eps] = hyper.map(T::from_f64);
    for (((w, m), v), &g) in w.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(g) {
        *m = b1 * *m + (T::one() - b1) * g;
        *v = b2 * *v + (T::one() - b2) * g * g;
        *w -= step * *m / (v.sqrt() + eps);
    }
}

/// Adds `from` into `into` element by element.
pub fn accumulate<T: Real>(into: &mut Grads<T>, from: &Grads<T>) {
    for (a, b) in into.iter_mut().flatten().zip(from.iter().flatten()) {
        for (x, &y) in a.iter_mut().zip(b) {
            *x += y;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::net::{LifShape, Readout};
    use crate::learn::surrogate::Surrogate;

    /// A small network whose every parameter is treated as one coordinate
    /// of the problem, all starting at `start`.
    fn net(start: f32) -> Network<f32> {
        let shape = LifShape {
            size: 3,
            tau: 4.0,
            threshold: 1.0,
            recurrent: true,
            spiking: true,
            tau_syn: None,
        };
        let mut net = Network::<f32>::lif(
            2,
            &[shape],
            Readout::Membrane,
            Surrogate::Arctan { alpha: 2.0 },
            1.0,
            1,
        );
        for layer in &mut net.layers {
            for p in layer.params_mut() {
                p.fill(start);
            }
        }
        net
    }

    fn coordinates(net: &Network<f32>) -> Vec<f32> {
        net.layers
            .iter()
            .flat_map(|l| l.params().concat())
            .collect()
    }

    /// Gradients `g(w)` of every coordinate.
    fn grads_of(net: &Network<f32>, g: impl Fn(f32) -> f32) -> Grads<f32> {
        net.layers
            .iter()
            .map(|l| {
                l.params()
                    .iter()
                    .map(|p| p.iter().map(|&w| g(w)).collect())
                    .collect()
            })
            .collect()
    }

    /// Heavy-ball SGD on f(w) = a w²/2 from w₀ = 1, m₀ = 0:
    /// `m_t = μ m_{t-1} + a w_{t-1}`, `w_t = w_{t-1} - lr m_t`, whose
    /// solution is `w_t = A r₁ᵗ + B r₂ᵗ` with r the roots of
    /// `r² - (1 + μ - lr a) r + μ = 0`, and `A + B = 1`,
    /// `A r₁ + B r₂ = 1 - lr a`.
    #[test]
    fn sgd_with_momentum_follows_the_closed_form_on_a_quadratic() {
        let (a, lr, mu) = (2.0f64, 0.1, 0.25);
        let mut net = net(1.0);
        let mut opt = Optimizer::new(OptimizerKind::Sgd { momentum: mu }, lr, &net);
        let (s, p) = (1.0 + mu - lr * a, mu);
        let disc = (s * s - 4.0 * p).sqrt();
        let (r1, r2) = ((s + disc) / 2.0, (s - disc) / 2.0);
        let b = (r1 - (1.0 - lr * a)) / (r1 - r2);
        let a_coef = 1.0 - b;
        for t in 1..=30 {
            let g = grads_of(&net, |w| a as f32 * w);
            opt.apply(&mut net, &g);
            let expected = a_coef * r1.powi(t) + b * r2.powi(t);
            for w in coordinates(&net) {
                assert!(
                    (f64::from(w) - expected).abs() < 1e-5,
                    "step {t}: {w} vs {expected}"
                );
            }
        }
        // Without momentum the same steps are plain gradient descent.
        let mut net0 = self::net(1.0);
        let mut plain = Optimizer::new(OptimizerKind::Sgd { momentum: 0.0 }, lr, &net0);
        for _ in 0..5 {
            let g = grads_of(&net0, |w| a as f32 * w);
            plain.apply(&mut net0, &g);
        }
        let expected = (1.0 - lr * a).powi(5);
        assert!(
            coordinates(&net0)
                .iter()
                .all(|&w| (f64::from(w) - expected).abs() < 1e-6)
        );
    }

    /// Adam as published (Kingma & Ba 2015, Algorithm 1):
    /// `m̂ = m/(1-β₁ᵗ)`, `v̂ = v/(1-β₂ᵗ)`, `w -= lr m̂/(√v̂ + ε)`, written out
    /// for the gradients 1, -2, 0.5 from w = 3.
    #[test]
    fn adam_takes_the_published_first_steps() {
        let (lr, b1, b2, eps) = (0.01f64, 0.9, 0.999, 1e-8);
        let mut net = net(3.0);
        let mut opt = Optimizer::new(
            OptimizerKind::Adam {
                beta1: b1,
                beta2: b2,
                eps,
            },
            lr,
            &net,
        );
        let (mut m, mut v, mut w) = (0.0f64, 0.0f64, 3.0f64);
        for (t, g) in [1.0f64, -2.0, 0.5].into_iter().enumerate() {
            let t = t as i32 + 1;
            m = b1 * m + (1.0 - b1) * g;
            v = b2 * v + (1.0 - b2) * g * g;
            let (m_hat, v_hat) = (m / (1.0 - b1.powi(t)), v / (1.0 - b2.powi(t)));
            w -= lr * m_hat / (v_hat.sqrt() + eps);
            let grads = grads_of(&net, |_| g as f32);
            opt.apply(&mut net, &grads);
            for x in coordinates(&net) {
                assert!((f64::from(x) - w).abs() < 1e-6, "step {t}: {x} vs {w}");
            }
        }
        // By hand: step 1 moves by lr whatever the gradient's size (3 →
        // 2.99); step 2 by lr (-0.11/0.19)/√(0.004999/0.001999) = -0.0036610;
        // step 3 by lr (-0.049/0.271)/√(0.005244001/0.002997001) = -0.0013669.
        assert!((w - 2.995_028).abs() < 1e-6, "{w}");
    }
}
