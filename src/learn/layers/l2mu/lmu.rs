//! Legendre Memory Unit matrices (Voelker, Kajić, Eliasmith 2019).
//!
//! A memory channel is the d-dimensional LTI system θ·ṁ = A m + B u whose
//! transfer function is the [d−1/d] Padé approximant of the pure delay
//! e^{−θs}, written in the basis of shifted Legendre polynomials. Its state
//! therefore holds the last θ of the input as Legendre coefficients, and
//! u(t − θ') is read back as Σ_i P̃_i(θ'/θ) m_i(t).
//!
//! Time is counted in training steps (Δt = 1): θ is a number of steps.

use nalgebra::{DMatrix, DVector};

/// How the continuous system is turned into a per-step update
/// m_t = Ā m_{t−1} + B̄ u_t.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discretizer {
    /// Zero-order hold: exact for an input held constant over each step.
    Zoh,
    /// Forward Euler, Ā = I + A/θ, B̄ = B/θ; stable only when θ is large
    /// compared with the spread of A's eigenvalues (roughly θ ≳ d²/2).
    Euler,
}

/// The continuous A (d×d): a_ij = (2i+1)·(−1 if i<j, else (−1)^{i−j+1}).
pub fn legendre_a(order: usize) -> DMatrix<f64> {
    DMatrix::from_fn(order, order, |i, j| {
        let sign = if i < j || (i - j) % 2 == 0 { -1.0 } else { 1.0 };
        (2 * i + 1) as f64 * sign
    })
}

/// The continuous B (d): b_i = (2i+1)·(−1)^i.
pub fn legendre_b(order: usize) -> DVector<f64> {
    DVector::from_fn(order, |i, _| {
        let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
        (2 * i + 1) as f64 * sign
    })
}

/// The discrete pair (Ā, B̄) of an order-`order` memory with window
/// `theta` steps.
///
/// ZOH uses the matrix exponential of the augmented matrix
/// [[A/θ, B/θ], [0, 0]]: its top-left block is Ā = e^{A/θ} and its
/// top-right block ∫₀¹ e^{As/θ} ds · B/θ = A⁻¹(Ā − I)B, obtained without
/// inverting A; this is what keras-lmu and L2MU compute. (algorithms.md
/// writes B̄ with an extra 1/θ; the augmented form, and the tests, say
/// otherwise.)
pub fn discretize(order: usize, theta: f64, method: Discretizer) -> (DMatrix<f64>, DVector<f64>) {
    let a = legendre_a(order) / theta;
    let b = legendre_b(order) / theta;
    match method {
        Discretizer::Euler => (DMatrix::identity(order, order) + a, b),
        Discretizer::Zoh => {
            let mut aug = DMatrix::zeros(order + 1, order + 1);
            aug.view_mut((0, 0), (order, order)).copy_from(&a);
            aug.view_mut((0, order), (order, 1)).copy_from(&b);
            let e = aug.exp();
            let abar = e.view((0, 0), (order, order)).into_owned();
            let bbar = e.view((0, order), (order, 1)).column(0).into_owned();
            (abar, bbar)
        }
    }
}

/// The shifted Legendre polynomials P̃_i(r) = P_i(2r − 1), i = 0..order−1,
/// at r = θ'/θ ∈ [0, 1]: the decoder of the delayed input u(t − θ').
pub fn delay_decoder(order: usize, r: f64) -> DVector<f64> {
    let x = 2.0 * r - 1.0;
    let mut p = DVector::zeros(order);
    for i in 0..order {
        p[i] = match i {
            0 => 1.0,
            1 => x,
            // Bonnet's recurrence: stable for |x| ≤ 1.
            _ => {
                let n = (i - 1) as f64;
                ((2.0 * n + 1.0) * x * p[i - 1] - n * p[i - 2]) / (n + 1.0)
            }
        };
    }
    p
}

/// Run one memory channel over an input sequence and return the state after
/// every step (m_t = Ā m_{t−1} + B̄ u_t, m_{−1} = 0).
pub fn run_memory(abar: &DMatrix<f64>, bbar: &DVector<f64>, input: &[f64]) -> Vec<DVector<f64>> {
    let mut m = DVector::zeros(bbar.len());
    input
        .iter()
        .map(|&u| {
            m = abar * &m + bbar * u;
            m.clone()
        })
        .collect()
}

/// Transforms that make a first-order synapse act as the LMU integrator
/// (NEF principle 3, discrete form).
///
/// The synapse is the unit-gain low-pass s_t = a·s_{t−1} + (1 − a)·v_t
/// with a = e^{−Δt/τ_s}, Δt = 1 step. Feeding it v_t = A_H s_{t−1} + B_H u_t
/// with A_H = (Ā − aI)/(1 − a) and B_H = B̄/(1 − a) gives
/// s_t = Ā s_{t−1} + B̄ u_t, the memory itself. A synapse that adds raw
/// weights without the (1 − a) factor (the simulator's CuBa current) needs
/// (1 − a)·A_H = Ā − aI and (1 − a)·B_H = B̄ instead.
pub fn nef_synapse_mapping(
    abar: &DMatrix<f64>,
    bbar: &DVector<f64>,
    tau_s_steps: f64,
) -> (DMatrix<f64>, DVector<f64>) {
    let a = (-1.0 / tau_s_steps).exp();
    let n = abar.nrows();
    let a_h = (abar - DMatrix::identity(n, n) * a) / (1.0 - a);
    let b_h = bbar / (1.0 - a);
    (a_h, b_h)
}
