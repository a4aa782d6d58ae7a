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
