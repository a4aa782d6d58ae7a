//! Legendre Memory Unit matrices: the Legendre construction, its
//! discretisations, delay decoding and the synapse mapping.

use nalgebra::{DMatrix, DVector};
use spikesim::learn::layers::l2mu::lmu::{
    Discretizer, delay_decoder, discretize, legendre_a, legendre_b, nef_synapse_mapping, run_memory,
};

fn max_abs_diff(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (a - b).abs().max()
}

#[test]
fn a_and_b_match_hand_computed_order_3_and_4() {
    // a_ij = (2i+1)(−1 if i<j else (−1)^{i−j+1}), b_i = (2i+1)(−1)^i, by hand.
    let a3 = DMatrix::from_row_slice(3, 3, &[-1., -1., -1., 3., -3., -3., -5., 5., -5.]);
    assert_eq!(legendre_a(3), a3);
    assert_eq!(legendre_b(3), DVector::from_vec(vec![1., -3., 5.]));
    let a4 = DMatrix::from_row_slice(
        4,
        4,
        &[
            -1., -1., -1., -1., 3., -3., -3., -3., -5., 5., -5., -5., 7., -7., 7., -7.,
        ],
    );
    assert_eq!(legendre_a(4), a4);
    assert_eq!(legendre_b(4), DVector::from_vec(vec![1., -3., 5., -7.]));
}

/// e^M by a Taylor series after scaling by 2^-s, then squaring: an
/// independent route from nalgebra's Padé approximant.
fn expm_taylor(m: &DMatrix<f64>) -> DMatrix<f64> {
    let n = m.nrows();
    let s = 10;
    let scaled = m / 2f64.powi(s);
    let mut term = DMatrix::identity(n, n);
    let mut sum = DMatrix::identity(n, n);
    for k in 1..30 {
        term = &term * &scaled / k as f64;
        sum += &term;
    }
    for _ in 0..s {
        sum = &sum * &sum;
    }
    sum
}

#[test]
fn zoh_matches_closed_form() {
    for &(order, theta) in &[(4, 10.0), (6, 25.0), (8, 7.0)] {
        let (abar, bbar) = discretize(order, theta, Discretizer::Zoh);
        let a = legendre_a(order);
        let b = legendre_b(order);
        let expect_a = expm_taylor(&(&a / theta));
        let eye = DMatrix::identity(order, order);
        // ZOH of ṁ = (A/θ)m + (B/θ)u: B̄ = (A/θ)⁻¹(Ā − I)B/θ = A⁻¹(Ā − I)B.
        // (algorithms.md writes an extra /θ; the augmented-matrix form used
        // by keras-lmu and L2MU gives this one.)
        let expect_b = a.clone().try_inverse().unwrap() * (&expect_a - eye) * &b;
        assert!(max_abs_diff(&abar, &expect_a) < 1e-11, "Ā order {order}");
        assert!((&bbar - expect_b).abs().max() < 1e-11, "B̄ order {order}");
    }
}

#[test]
fn euler_is_first_order_and_close_to_zoh_for_long_windows() {
    let (abar, bbar) = discretize(4, 10.0, Discretizer::Euler);
    let expect = DMatrix::identity(4, 4) + legendre_a(4) / 10.0;
    assert!(max_abs_diff(&abar, &expect) < 1e-15);
    assert!((&bbar - legendre_b(4) / 10.0).abs().max() < 1e-15);
    // The two agree to first order in 1/θ: the gap shrinks like 1/θ².
    let gap = |theta: f64| {
        let (az, _) = discretize(4, theta, Discretizer::Zoh);
        let (ae, _) = discretize(4, theta, Discretizer::Euler);
        max_abs_diff(&az, &ae)
    };
    let ratio = gap(1000.0) / gap(2000.0);
    assert!((ratio - 4.0).abs() < 0.05, "ratio {ratio}");
}

#[test]
fn memory_of_a_sine_decodes_the_delayed_value() {
    // u(t−θ') ≈ Σ_i P̃_i(θ'/θ) m_i(t): the memory really holds the window.
    let theta = 100.0;
    let period = 400.0;
    let steps = 1500;
    let u: Vec<f64> = (0..steps)
        .map(|t| (2.0 * std::f64::consts::PI * t as f64 / period).sin())
        .collect();
    for &order in &[6usize, 8] {
        let (abar, bbar) = discretize(order, theta, Discretizer::Zoh);
        let states = run_memory(&abar, &bbar, &u);
        for &frac in &[0.0, 0.5, 1.0] {
            let dec = delay_decoder(order, frac);
            let lag = frac * theta;
            let mut worst = 0.0f64;
            // Skip the transient of the first windows.
            for (t, m) in states.iter().enumerate().skip(4 * theta as usize) {
                // u_t is held over (t−1, t]: the held signal is the sine
                // advanced by half a step.
                let when = t as f64 + 0.5 - lag;
                let truth = (2.0 * std::f64::consts::PI * when / period).sin();
                worst = worst.max((dec.dot(m) - truth).abs());
            }
            let tol = 2e-3;
            eprintln!("order {order} θ'/θ {frac}: worst error {worst:.2e}");
            assert!(worst < tol, "order {order} θ'/θ {frac}: {worst}");
        }
    }
}

#[test]
fn synapse_mapping_reproduces_the_discrete_memory() {
    let (abar, bbar) = discretize(6, 20.0, Discretizer::Zoh);
    let tau_s = 5.0;
    let (a_h, b_h) = nef_synapse_mapping(&abar, &bbar, tau_s);
    let a = (-1.0 / tau_s).exp();
    let u: Vec<f64> = (0..300)
        .map(|t| ((t as f64) * 0.07).sin() + 0.3 * ((t as f64) * 0.31).cos())
        .collect();
    let direct = run_memory(&abar, &bbar, &u);
    // Unit-gain low-pass synapse driven by A_H s + B_H u.
    let mut s = DVector::zeros(6);
    // Raw-weight synapse (current += weight·input, decay a) with (1−a)·A_H, (1−a)·B_H.
    let mut raw = DVector::zeros(6);
    for (t, &ut) in u.iter().enumerate() {
        let v = &a_h * &s + &b_h * ut;
        s = &s * a + v * (1.0 - a);
        raw = &raw * a + (&a_h * &raw + &b_h * ut) * (1.0 - a);
        assert!((&s - &direct[t]).abs().max() < 1e-9, "step {t}");
        assert!((&raw - &direct[t]).abs().max() < 1e-9, "raw step {t}");
    }
}
