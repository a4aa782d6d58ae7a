//! Optimisers: SGD with momentum and Adam over a network's tensors
//! ([`Optimizer`], what the trainer uses), and Adam over flat f64 slices
//! ([`Adam`]) for blocks trained on their own (the L2MU cell's `fit`, DCLS
//! tests), with the softmax cross-entropy those blocks minimise. Both Adams
//! make the same update ([`adam_update`]) in the same order.
//!
//! The module knows tensors, not networks: an [`Optimizer`] updates any
//! [`Tensors`] (a [`Network`](super::net::Network) is one), so that
//! layers may use [`Adam`] while networks are made of layers.

use super::real::Real;

/// Parameter gradients, `[layer][tensor][element]`, laid out as the
/// layers' [`params`](super::layers::Layer::params).
pub type Grads<T> = Vec<Vec<Vec<T>>>;

/// What an [`Optimizer`] updates: tensors in groups (a network's layers),
/// each with a learning-rate scale.
pub trait Tensors {
    /// Zero gradients shaped like the tensors.
    fn zero_grads(&self) -> Grads<f32>;
    /// Calls `f(group, tensor, lr_scale, values)` for every tensor, groups
    /// and tensors in order.
    fn for_each_tensor_mut(&mut self, f: &mut TensorVisit<'_>);
}

/// What [`Tensors::for_each_tensor_mut`] calls: `(group, tensor, lr_scale,
/// values)`.
pub type TensorVisit<'a> = dyn FnMut(usize, usize, f64, &mut Vec<f32>) + 'a;

#[derive(Debug, Clone, Copy, PartialEq)]
/// The optimiser and its settings (`optimizer`).
pub enum OptimizerKind {
    /// Stochastic gradient descent with momentum.
    Sgd {
        /// Momentum (0: plain SGD).
        momentum: f64,
    },
    /// Adam.
    Adam {
        /// Decay of the first moment.
        beta1: f64,
        /// Decay of the second moment.
        beta2: f64,
        /// Added to the denominator.
        eps: f64,
    },
}

/// Optimiser state: one moment buffer (SGD momentum, Adam's first moment)
/// and, for Adam, a second, shaped like the gradients.
#[derive(Debug, Clone, PartialEq)]
pub struct Optimizer {
    /// Which optimiser.
    pub kind: OptimizerKind,
    /// Learning rate.
    pub lr: f64,
    /// Updates made so far.
    pub step: u64,
    /// First moments (SGD: the velocity).
    pub m: Grads<f32>,
    /// Second moments (Adam).
    pub v: Grads<f32>,
}

impl Optimizer {
    /// An optimiser of `kind` at learning rate `lr` for the tensors of `net`, its moments zero.
    pub fn new(kind: OptimizerKind, lr: f64, net: &impl Tensors) -> Self {
        Self {
            kind,
            lr,
            step: 0,
            m: net.zero_grads(),
            v: net.zero_grads(),
        }
    }

    /// Applies `grads` (already averaged over the batch).
    pub fn apply(&mut self, net: &mut impl Tensors, grads: &Grads<f32>) {
        self.step += 1;
        let (kind, lr, t) = (self.kind, self.lr, self.step);
        let (ms, vs) = (&mut self.m, &mut self.v);
        net.for_each_tensor_mut(&mut |l, p, scale, param| {
            let lr64 = lr * scale;
            let lr = lr64 as f32;
            let (m, v, g) = (&mut ms[l][p], &mut vs[l][p], &grads[l][p]);
            match kind {
                OptimizerKind::Sgd { momentum } => {
                    let mu = momentum as f32;
                    for ((w, m), &g) in param.iter_mut().zip(m.iter_mut()).zip(g) {
                        *m = mu * *m + g;
                        *w -= lr * *m;
                    }
                }
                OptimizerKind::Adam { beta1, beta2, eps } => {
                    let c1 = 1.0 - beta1.powf(t as f64);
                    let c2 = 1.0 - beta2.powf(t as f64);
                    // The whole step size in f64, rounded once.
                    let step = (lr64 * c2.sqrt() / c1) as f32;
                    adam_update(param, m, v, g, step, [beta1, beta2, eps]);
                }
            }
        });
    }
}

/// One Adam update of `w` with its moments `m`, `v` and gradient `g`.
/// `step` is the whole step size lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), computed by the
/// caller in f64 and rounded once to `T`; `[β₁, β₂, ε]` are rounded to `T`.
/// Shared by the trainer's [`Optimizer`] (f32) and the slice-based
/// [`Adam`] (f64), so both do the same arithmetic in the same
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

/// Adam (Kingma & Ba 2015) over a list of flat f64 parameter slices, for
/// blocks used outside a trainer network (the L2MU cell's `fit`, DCLS
/// tests). Such blocks keep their parameters as several `Vec<f64>`; the
/// optimiser keeps one moment pair per slice, in the order the slices are
/// given, so the caller must always pass them in the same order.
///
/// State: first and second moments per parameter slice.
#[derive(Debug, Clone)]
pub struct Adam {
    /// Learning rate.
    pub lr: f64,
    /// Decay of the first moment.
    pub beta1: f64,
    /// Decay of the second moment.
    pub beta2: f64,
    /// Added to the denominator.
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
