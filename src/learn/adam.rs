//! Adam (Kingma & Ba 2015) over a list of flat parameter slices.
//!
//! The blocks here keep their parameters as several `Vec<f64>`; the
//! optimiser keeps one moment pair per slice, in the order the slices are
//! given, so the caller must always pass them in the same order.

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
        for (k, (p, g)) in params.iter_mut().zip(grads).enumerate() {
            let (m, v) = (&mut self.m[k], &mut self.v[k]);
            for i in 0..p.len() {
                m[i] = self.beta1 * m[i] + (1.0 - self.beta1) * g[i];
                v[i] = self.beta2 * v[i] + (1.0 - self.beta2) * g[i] * g[i];
                p[i] -= lr * m[i] / (v[i].sqrt() + self.eps);
            }
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
