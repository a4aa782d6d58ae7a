//! Hebbian rules as pure linear algebra on `nalgebra` matrices, usable
//! without the simulator (the continual-learning code builds HLOP on
//! them). Rows of `H` are the weight vectors of the subspace neurons;
//! `y = H x` is their (linear) response.

use nalgebra::{DMatrix, DVector};

/// Plain Hebbian learning with decay: `w += eta (y x - decay w)`.
pub fn hebbian_step(w: &mut DVector<f64>, x: &DVector<f64>, y: f64, eta: f64, decay: f64) {
    *w *= 1.0 - eta * decay;
    w.axpy(eta * y, x, 1.0);
}

/// Oja's single-neuron rule with `y = w·x`: `w += eta y (x - y w)`.
/// Converges to the unit-norm top eigenvector of the input covariance.
pub fn oja_step(w: &mut DVector<f64>, x: &DVector<f64>, eta: f64) {
    let y = w.dot(x);
    *w *= 1.0 - eta * y * y;
    w.axpy(eta * y, x, 1.0);
}

/// Oja's subspace rule for one sample, `y = H x`:
/// `H += eta (y x^T - y y^T H) = eta y (x - H^T y)^T`, a Hebbian term and an
/// anti-Hebbian (lateral) term. The rows of `H` converge to an orthonormal
/// basis of the input covariance's top-k principal subspace.
pub fn oja_subspace_step(h: &mut DMatrix<f64>, x: &DVector<f64>, eta: f64) {
    let y = &*h * x;
    oja_subspace_update(h, x, &y, eta);
}

/// The subspace rule with the responses `y` given (in the simulator they
/// are the subspace neurons' spike traces rather than `H x`):
/// `H += eta y (x - H^T y)^T`.
pub fn oja_subspace_update(h: &mut DMatrix<f64>, x: &DVector<f64>, y: &DVector<f64>, eta: f64) {
    let residual = x - h.tr_mul(y);
    h.ger(eta, y, &residual, 1.0);
}

/// The HLOP batch form: `x` holds one sample per row (B x n);
/// `dH = (1/B) Y^T (X - Y H)` with `Y = X H^T`, each entry clamped to
/// `[-clamp, clamp]`, then `H += eta dH`. Returns `dH`.
pub fn oja_subspace_batch(
    h: &mut DMatrix<f64>,
    x: &DMatrix<f64>,
    eta: f64,
    clamp: f64,
) -> DMatrix<f64> {
    let y = x * h.transpose();
    let reconstruction = &y * &*h;
    let mut delta = y.tr_mul(&(x - reconstruction)) / x.nrows() as f64;
    delta.apply(|d| *d = d.clamp(-clamp, clamp));
    *h += &delta * eta;
    delta
}

/// An orthonormal basis (as columns) of the span of `a`'s columns.
fn orthonormal_columns(a: &DMatrix<f64>) -> DMatrix<f64> {
    let svd = a.clone().svd(true, false);
    let u = svd.u.expect("requested U");
    u.columns(0, a.ncols().min(a.nrows())).into_owned()
}

/// Principal angles (radians, ascending) between the column spans of `a`
/// and `b`: `acos` of the singular values of `Qa^T Qb`.
pub fn principal_angles(a: &DMatrix<f64>, b: &DMatrix<f64>) -> Vec<f64> {
    let qa = orthonormal_columns(a);
    let qb = orthonormal_columns(b);
    let cosines = (qa.transpose() * qb).singular_values();
    let mut angles: Vec<f64> = cosines.iter().map(|c| c.clamp(-1.0, 1.0).acos()).collect();
    angles.sort_by(f64::total_cmp);
    angles
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    use rand_pcg::Pcg64;

    /// A covariance with eigenvalues `lambda` along the columns of a random
    /// orthogonal matrix: returns (Q, sqrt-factor L = Q diag(sqrt lambda)).
    fn normal(rng: &mut Pcg64) -> f64 {
        StandardNormal.sample(rng)
    }

    fn covariance(lambda: &[f64], rng: &mut Pcg64) -> (DMatrix<f64>, DMatrix<f64>) {
        let n = lambda.len();
        let g = DMatrix::from_fn(n, n, |_, _| normal(rng));
        let q = g.qr().q();
        let l = &q
            * DMatrix::from_diagonal(&DVector::from_iterator(n, lambda.iter().map(|v| v.sqrt())));
        (q, l)
    }

    fn sample(l: &DMatrix<f64>, rng: &mut Pcg64) -> DVector<f64> {
        let z = DVector::from_fn(l.ncols(), |_, _| normal(rng));
        l * z
    }

    /// Learning rate falling from `eta0` as `1/(1 + t/t0)`: large early for
    /// speed, small late so the sampling noise dies out.
    fn eta(t: usize, eta0: f64, t0: f64) -> f64 {
        eta0 / (1.0 + t as f64 / t0)
    }

    #[test]
    fn oja_subspace_finds_the_top_k_eigenvectors() {
        let mut rng = Pcg64::seed_from_u64(5);
        let lambda = [6.0, 5.0, 4.0, 1.0, 0.8, 0.6, 0.4, 0.3, 0.2, 0.1];
        let (q, l) = covariance(&lambda, &mut rng);
        // Check the known covariance: Q diag(lambda) Q^T has those eigenvalues.
        let c = &l * l.transpose();
        let mut eig: Vec<f64> = c
            .clone()
            .symmetric_eigen()
            .eigenvalues
            .iter()
            .copied()
            .collect();
        eig.sort_by(|a, b| b.total_cmp(a));
        for (e, l) in eig.iter().zip(lambda) {
            assert!((e - l).abs() < 1e-9);
        }
        let k = 3;
        let mut h = DMatrix::from_fn(k, lambda.len(), |_, _| 0.1 * normal(&mut rng));
        for t in 0..1_000_000 {
            let x = sample(&l, &mut rng);
            oja_subspace_step(&mut h, &x, eta(t, 0.02, 500.0));
        }
        let top = q.columns(0, k).into_owned();
        let angles = principal_angles(&h.transpose(), &top);
        assert!(angles.iter().all(|&a| a < 1e-2), "{angles:?}");
        // The rows end orthonormal: H H^T = I.
        let gram = &h * h.transpose();
        assert!((gram - DMatrix::identity(k, k)).abs().max() < 2e-2);
    }

    #[test]
    fn oja_batch_form_finds_the_top_k_eigenvectors() {
        let mut rng = Pcg64::seed_from_u64(6);
        let lambda = [3.0, 2.5, 0.5, 0.4, 0.3, 0.2];
        let (q, l) = covariance(&lambda, &mut rng);
        let k = 2;
        let mut h = DMatrix::from_fn(k, lambda.len(), |_, _| 0.1 * normal(&mut rng));
        let batch = 64;
        for t in 0..5000 {
            let rows: Vec<_> = (0..batch)
                .map(|_| sample(&l, &mut rng).transpose())
                .collect();
            let x = DMatrix::from_rows(&rows);
            oja_subspace_batch(&mut h, &x, eta(t, 0.05, 500.0), 10.0);
        }
        let angles = principal_angles(&h.transpose(), &q.columns(0, k).into_owned());
        assert!(angles.iter().all(|&a| a < 1e-2), "{angles:?}");
    }

    #[test]
    fn oja_single_neuron_finds_the_top_eigenvector() {
        let mut rng = Pcg64::seed_from_u64(7);
        let lambda = [4.0, 1.5, 1.0, 0.5, 0.2];
        let (q, l) = covariance(&lambda, &mut rng);
        let mut w = DVector::from_fn(lambda.len(), |_, _| normal(&mut rng));
        for t in 0..1_000_000 {
            let x = sample(&l, &mut rng);
            oja_step(&mut w, &x, eta(t, 0.02, 500.0));
        }
        let top = q.column(0);
        let cosine = w.dot(&top).abs() / w.norm();
        // Angle below 1e-2 rad.
        assert!(cosine > (1e-2f64).cos(), "cos = {cosine}");
        assert!((w.norm() - 1.0).abs() < 1e-2, "|w| = {}", w.norm());
    }

    #[test]
    fn hebbian_with_decay_settles_at_its_fixed_point() {
        // Constant input: w* = y x / decay.
        let x = DVector::from_vec(vec![1.0, 2.0, 0.5]);
        let mut w = DVector::zeros(3);
        for _ in 0..20_000 {
            hebbian_step(&mut w, &x, 0.5, 0.01, 0.2);
        }
        let expected = &x * (0.5 / 0.2);
        assert!((w - expected).abs().max() < 1e-9);
    }

    #[test]
    fn principal_angles_of_known_planes() {
        // span{e1, e2} against span{e1, cos a e2 + sin a e3}.
        let a = 0.3f64;
        let p = DMatrix::from_column_slice(3, 2, &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
        let r = DMatrix::from_column_slice(3, 2, &[1.0, 0.0, 0.0, 0.0, a.cos(), a.sin()]);
        let angles = principal_angles(&p, &r);
        assert!(
            angles[0].abs() < 1e-7 && (angles[1] - a).abs() < 1e-12,
            "{angles:?}"
        );
    }
}
