//! The trainer's optimisers on a small network's tensors, against closed
//! forms (moved from `learn::optim`'s unit tests, which may not build a
//! network: networks are made above the optimiser).

use spikesim::learn::net::Network;
use spikesim::learn::net::{LifShape, Readout};
use spikesim::learn::optim::{Grads, Optimizer, OptimizerKind};
use spikesim::learn::surrogate::Surrogate;

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
