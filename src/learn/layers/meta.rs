//! A layer of probabilistic meta neurons trained through time: the
//! simulator's escape-noise `meta` neuron (`neuron::meta`) with its
//! intrinsic parameters learned jointly with the weights.
//!
//! The membrane is the [`Lif`] layer's (potentials in threshold-scale
//! units, one-step delays, hard reset to 0); instead of a hard threshold a
//! neuron spikes at random with the escape probability of its potential:
//!
//! ```text
//! U_t = beta V_{t-1} + a_t
//! p_t = 1 - exp(-rho_0 exp((U_t - theta) / delta_u))   ("exponential", rho_0 per step)
//!     = 1 / (1 + exp(-(U_t - theta) / delta_u))          ("sigmoid")
//! S_t = [xi_t < p_t],  xi_t ~ U[0, 1),   V_t = U_t (1 - S_t)
//! ```
//!
//! Step 0 is the initial state (`U_0 = 0`) and draws nothing, as the
//! simulator thresholds only after a step's inputs. Each neuron draws one
//! uniform number per step from its own stream, the simulator's stream of a
//! `meta` population of the same name (`engine::rng::stream(seed, "meta",
//! "name#j")`): run with the seed the simulator uses, the layer draws
//! exactly the simulator's spikes. The membrane and `p_t` are computed in
//! f64 whatever the training scalar, so that the potentials agree with the
//! simulator's to rounding, not to f32 precision.
//!
//! **Gradient estimators** (the spike's derivative in the backward pass;
//! the reset is detached, as in [`Lif`]):
//!
//! * [`Estimator::Probability`]: the spike is replaced by its expectation,
//!   `dS/dx := dp/dx` for `x` = `U`, `theta`, `delta_u`, `rho_0`
//!   (straight-through through the escape probability, the stochastic-neuron
//!   view of surrogate gradients of Gygax & Zenke 2024). It optimises the
//!   mean-field network, which does not see what the noise costs: on
//!   spike-digits it raises `delta_u` (see docs/src/guide/training.md).
//! * [`Estimator::ThresholdNoise`] (reparameterisation): the draw is a
//!   random threshold. `xi < p` exactly when `U > theta + delta_u n`, with
//!   `n = ln(-ln(1 - xi)) - ln rho_0` (exponential) or `ln(xi / (1 - xi))`
//!   (sigmoid), so `S = H(U - theta - delta_u n)` with `n` held fixed, and
//!   `dS/dx := surrogate'(U - theta - delta_u n) · d(U - theta - delta_u
//!   n)/dx`. The noise parameters get the gradient of the spikes that
//!   actually happened, so noise that hurts is turned down.
//!
//! `smooth = true` runs the smooth function whose exact gradient each
//! estimator computes: `y = p` (probability) or `y = F(U - theta - delta_u
//! n)` with `F' = surrogate'` (threshold noise, same draws), without reset;
//! the finite-difference tests check the backward pass on it.

use super::lif::Lif;
use super::{Layer, Trace};
use crate::engine::rng;
use crate::learn::real::Real;
use crate::learn::surrogate::Surrogate;
use rand::RngExt;

/// The escape function of a meta layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firing {
    /// `1 - exp(-rho_0 exp(x))`, `x = (U - theta)/delta_u`.
    Exponential,
    /// `1 / (1 + exp(-x))`.
    Sigmoid,
}

/// How the backward pass differentiates a random spike (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimator {
    /// Differentiates the firing probability `p` (module docs).
    Probability,
    /// Differentiates the noisy threshold crossing with the surrogate (module docs).
    ThresholdNoise,
}

/// The meta-specific part of a layer's shape (the rest is a `LifShape`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetaShape {
    /// How the potential becomes a firing probability.
    pub firing: Firing,
    /// Noise scale, threshold-scale units.
    pub delta_u: f64,
    /// Escape rate at threshold, per step (exponential only).
    pub rho_0: f64,
    /// How the backward pass differentiates a random spike.
    pub estimator: Estimator,
}

/// Lower bounds that keep the escape function defined after an optimiser
/// step.
const MIN_DELTA_U: f64 = 1e-3;
const MIN_RHO_0: f64 = 1e-6;
/// Bound on the standard threshold noise `n + ln rho_0`: `xi` = 0 would
/// give -∞ (the spike itself is decided by `xi < p`).
const MAX_NOISE: f64 = 40.0;

#[derive(Debug, Clone)]
/// A layer of meta neurons: a LIF layer whose spikes are drawn from escape noise.
pub struct MetaLayer<T> {
    /// Weights, recurrence, `tau`, `theta` and the surrogate of the
    /// threshold-noise estimator, as a LIF layer (`spiking`, `tau_syn`
    /// unused).
    pub lif: Lif<T>,
    /// How the potential becomes a firing probability.
    pub firing: Firing,
    /// How the backward pass differentiates a random spike.
    pub estimator: Estimator,
    /// `delta_u` (one value).
    pub delta_u: Vec<T>,
    /// `rho_0` per step (one value; empty for the sigmoid).
    pub rho_0: Vec<T>,
    /// Whether `delta_u` and `rho_0` receive gradients.
    pub learn_escape: bool,
    /// The smooth forward of the estimator, for gradient checks.
    pub smooth: bool,
    /// Population name of the export; names the random streams.
    pub name: String,
}

/// `p` and its derivatives with respect to `U`, `delta_u` and `rho_0` at
/// one potential (`dp/dtheta = -dp/dU`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Escape {
    /// The firing probability `p`.
    pub p: f64,
    /// `dp/dU`.
    pub d_u: f64,
    /// `dp/d delta_u`.
    pub d_delta_u: f64,
    /// `dp/d rho_0`.
    pub d_rho_0: f64,
}

impl Firing {
    /// The escape probability alone (the forward pass's), the simulator's
    /// expression (`neuron::meta::EscapeNoise`) with `dt · rho_0` = `rho_0`
    /// per step.
    pub fn probability(self, u: f64, theta: f64, delta_u: f64, rho_0: f64) -> f64 {
        let x = (u - theta) / delta_u;
        match self {
            Firing::Exponential => -(-rho_0 * x.exp()).exp_m1(),
            Firing::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        }
    }

    /// [`Firing::probability`] and its derivatives.
    pub fn escape(self, u: f64, theta: f64, delta_u: f64, rho_0: f64) -> Escape {
        let x = (u - theta) / delta_u;
        let (p, dp_dx, d_rho_0) = match self {
            Firing::Exponential => {
                let e = x.exp();
                let z = rho_0 * e;
                let p = -(-z).exp_m1();
                // z e^{-z} → 0 as z → ∞; avoid ∞ · 0.
                let survive = (-z).exp();
                let dp_dx = if z.is_finite() { z * survive } else { 0.0 };
                let d_rho = if e.is_finite() { e * survive } else { 0.0 };
                (p, dp_dx, d_rho)
            }
            Firing::Sigmoid => {
                let p = 1.0 / (1.0 + (-x).exp());
                (p, p * (1.0 - p), 0.0)
            }
        };
        Escape {
            p,
            d_u: dp_dx / delta_u,
            d_delta_u: -dp_dx * x / delta_u,
            d_rho_0,
        }
    }

    /// The standard threshold noise of a draw `xi`: `xi < p` exactly when
    /// `(U - theta)/delta_u > noise(xi) - ln rho_0` (exponential; the
    /// sigmoid has no `ln rho_0`).
    pub fn noise(self, xi: f64) -> f64 {
        let n = match self {
            Firing::Exponential => (-(-xi).ln_1p()).ln(),
            Firing::Sigmoid => (xi / (1.0 - xi)).ln(),
        };
        n.clamp(-MAX_NOISE, MAX_NOISE)
    }
}

/// A meta layer's escape parameters in f64.
struct Intrinsic {
    firing: Firing,
    theta: f64,
    delta_u: f64,
    rho_0: f64,
    /// `ln rho_0` (exponential), 0 (sigmoid).
    ln_rho_0: f64,
}

impl Intrinsic {
    fn probability(&self, u: f64) -> f64 {
        self.firing
            .probability(u, self.theta, self.delta_u, self.rho_0)
    }

    fn escape(&self, u: f64) -> Escape {
        self.firing.escape(u, self.theta, self.delta_u, self.rho_0)
    }

    /// `U - theta - delta_u n` for the standard noise `z` (`n = z - ln
    /// rho_0`): the potential above the random threshold.
    fn above(&self, u: f64, z: f64) -> f64 {
        u - self.theta - self.delta_u * (z - self.ln_rho_0)
    }

    /// The estimator's `dS/dU`, `dS/ddelta_u`, `dS/drho_0` (`dS/dtheta =
    /// -dS/dU`) at potential `u` and standard noise `z`.
    fn sensitivity(&self, estimator: Estimator, surrogate: Surrogate, u: f64, z: f64) -> Escape {
        match estimator {
            Estimator::Probability => self.escape(u),
            Estimator::ThresholdNoise => {
                let ds = surrogate.grad(self.above(u, z));
                let d_rho_0 = match self.firing {
                    Firing::Exponential => ds * self.delta_u / self.rho_0,
                    Firing::Sigmoid => 0.0,
                };
                Escape {
                    p: 0.0,
                    d_u: ds,
                    d_delta_u: -ds * (z - self.ln_rho_0),
                    d_rho_0,
                }
            }
        }
    }
}

/// `F` with `F' = surrogate.grad`: the smooth spike of the threshold-noise
/// estimator's gradient check.
fn primitive(surrogate: Surrogate, x: f64) -> f64 {
    match surrogate {
        Surrogate::FastSigmoid { slope } => x / (1.0 + slope * x.abs()),
        Surrogate::Arctan { alpha } => {
            (std::f64::consts::FRAC_PI_2 * alpha * x).atan() / std::f64::consts::PI
        }
    }
}

fn add_row<T: Real>(acc: &mut [f64], row: &[T], x: f64) {
    for (a, &w) in acc.iter_mut().zip(row) {
        *a += x * w.to_f64();
    }
}

fn add_row_t<T: Real>(acc: &mut [T], row: &[T], x: T) {
    for (a, &w) in acc.iter_mut().zip(row) {
        *a += x * w;
    }
}

fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    a.iter().zip(b).map(|(&x, &y)| x * y).sum()
}

impl<T: Real> MetaLayer<T> {
    /// A meta layer with `lif`'s weights, recurrence, `tau`, `theta` and
    /// surrogate.
    pub fn new(lif: Lif<T>, shape: &MetaShape, learn_escape: bool, name: String) -> Self {
        let rho_0 = match shape.firing {
            Firing::Exponential => vec![T::from_f64(shape.rho_0)],
            Firing::Sigmoid => Vec::new(),
        };
        Self {
            lif,
            firing: shape.firing,
            estimator: shape.estimator,
            delta_u: vec![T::from_f64(shape.delta_u)],
            rho_0,
            learn_escape,
            smooth: false,
            name,
        }
    }

    /// The escape parameters in f64, read once per pass.
    fn intrinsic(&self) -> Intrinsic {
        let rho_0 = self.rho_0.first().map_or(1.0, |r| r.to_f64());
        Intrinsic {
            firing: self.firing,
            theta: self.lif.theta[0].to_f64(),
            delta_u: self.delta_u[0].to_f64(),
            rho_0,
            ln_rho_0: match self.firing {
                Firing::Exponential => rho_0.ln(),
                Firing::Sigmoid => 0.0,
            },
        }
    }

    /// The escape probability and its derivatives at potential `u`.
    pub fn escape(&self, u: f64) -> Escape {
        self.intrinsic().escape(u)
    }

    /// Whether the forward draws.
    fn draws(&self) -> bool {
        !(self.smooth && self.estimator == Estimator::Probability)
    }

    /// Whether the trace keeps the threshold noise of each draw.
    fn keeps_noise(&self) -> bool {
        self.estimator == Estimator::ThresholdNoise
    }

    fn recurrent(&self) -> bool {
        !self.lif.rec.is_empty()
    }

    fn streams(&self, noise_seed: u64) -> Vec<rand_pcg::Pcg64> {
        (0..self.lif.n_out)
            .map(|j| rng::stream(noise_seed, "meta", &format!("{}#{j}", self.name)))
            .collect()
    }

    /// The factor of `U_{t-1}` in `V_{t-1}` as the backward pass sees it.
    fn kept(&self, y: T) -> T {
        if self.smooth { T::one() } else { T::one() - y }
    }

    /// Output and membrane after step potential `u` with draw `xi` of
    /// standard noise `z`.
    fn fire(&self, k: &Intrinsic, u: f64, xi: f64, z: f64) -> (f64, f64) {
        match (self.smooth, self.estimator) {
            (true, Estimator::Probability) => (k.probability(u), u),
            (true, Estimator::ThresholdNoise) => (primitive(self.lif.surrogate, k.above(u, z)), u),
            (false, _) if xi < k.probability(u) => (1.0, 0.0),
            (false, _) => (0.0, u),
        }
    }
}

impl<T: Real> Layer<T> for MetaLayer<T> {
    fn n_in(&self) -> usize {
        self.lif.n_in
    }

    fn n_out(&self) -> usize {
        self.lif.n_out
    }

    fn spiking(&self) -> bool {
        true
    }

    fn params(&self) -> Vec<&[T]> {
        let l = &self.lif;
        vec![&l.w, &l.rec, &l.tau, &l.theta, &self.delta_u, &self.rho_0]
    }

    fn params_mut(&mut self) -> Vec<&mut Vec<T>> {
        let l = &mut self.lif;
        vec![
            &mut l.w,
            &mut l.rec,
            &mut l.tau,
            &mut l.theta,
            &mut self.delta_u,
            &mut self.rho_0,
        ]
    }

    fn param_names(&self) -> Vec<&'static str> {
        vec![
            "weights",
            "recurrent",
            "tau",
            "threshold",
            "delta_u",
            "rho_0",
        ]
    }

    fn forward(&self, input: &[T], steps: usize) -> Trace<T> {
        self.forward_noisy(input, steps, 0)
    }

    /// The trace's `u` holds `U` (`[step][n_out]`) followed, for the
    /// threshold-noise estimator, by the standard noise of each draw (0 at
    /// step 0).
    fn forward_noisy(&self, input: &[T], steps: usize, noise_seed: u64) -> Trace<T> {
        let (n_in, n) = (self.lif.n_in, self.lif.n_out);
        let beta = (-1.0 / self.lif.tau[0].to_f64()).exp();
        let draws = self.draws();
        let k = self.intrinsic();
        let mut streams = if draws {
            self.streams(noise_seed)
        } else {
            Vec::new()
        };
        let keeps_noise = self.keeps_noise();
        let mut u = vec![T::zero(); if keeps_noise { 2 } else { 1 } * steps * n];
        let mut y = vec![T::zero(); steps * n];
        let mut v = vec![0.0f64; n];
        let mut a = vec![0.0f64; n];
        for t in 1..steps {
            a.iter_mut().for_each(|x| *x = 0.0);
            for (i, &x) in input[(t - 1) * n_in..t * n_in].iter().enumerate() {
                if x != T::zero() {
                    add_row(&mut a, &self.lif.w[i * n..(i + 1) * n], x.to_f64());
                }
            }
            if self.recurrent() {
                for k in 0..n {
                    let s = y[(t - 1) * n + k];
                    if s != T::zero() {
                        add_row(&mut a, &self.lif.rec[k * n..(k + 1) * n], s.to_f64());
                    }
                }
            }
            for j in 0..n {
                let uj = beta * v[j] + a[j];
                u[t * n + j] = T::from_f64(uj);
                let xi = if draws {
                    streams[j].random::<f64>()
                } else {
                    0.0
                };
                let z = if keeps_noise {
                    let z = self.firing.noise(xi);
                    u[(steps + t) * n + j] = T::from_f64(z);
                    z
                } else {
                    0.0
                };
                let (yj, vj) = self.fire(&k, uj, xi, z);
                y[t * n + j] = T::from_f64(yj);
                v[j] = vj;
            }
        }
        Trace { u, y }
    }

    fn backward(
        &self,
        input: &[T],
        trace: &Trace<T>,
        grad_y: &[T],
        grads: &mut [Vec<T>],
        want_input: bool,
    ) -> Option<Vec<T>> {
        let (n_in, n) = (self.lif.n_in, self.lif.n_out);
        let steps = trace.y.len() / n;
        let noise = |t: usize, j: usize| -> f64 {
            trace.u.get((steps + t) * n + j).map_or(0.0, |z| z.to_f64())
        };
        let beta = T::from_f64((-1.0 / self.lif.tau[0].to_f64()).exp());
        let k = self.intrinsic();
        let mut grad_in = want_input.then(|| vec![T::zero(); steps * n_in]);
        let mut delta_next = vec![T::zero(); n];
        let mut delta = vec![T::zero(); n];
        let mut g = vec![T::zero(); n];
        let (mut d_beta, mut d_theta, mut d_delta_u, mut d_rho_0) = (0.0, 0.0, 0.0, 0.0);
        let [gw, grec, ..] = grads else {
            unreachable!("a meta layer has six tensors")
        };
        // Step 0 is the initial state: nothing depends on the parameters.
        for t in (1..steps).rev() {
            let ut = &trace.u[t * n..(t + 1) * n];
            let yt = &trace.y[t * n..(t + 1) * n];
            g.copy_from_slice(&grad_y[t * n..(t + 1) * n]);
            if self.recurrent() && t + 1 < steps {
                for (k, gk) in g.iter_mut().enumerate() {
                    *gk += dot(&self.lif.rec[k * n..(k + 1) * n], &delta_next);
                }
            }
            for j in 0..n {
                let e = k.sensitivity(
                    self.estimator,
                    self.lif.surrogate,
                    ut[j].to_f64(),
                    noise(t, j),
                );
                let gj = g[j].to_f64();
                d_theta -= gj * e.d_u;
                d_delta_u += gj * e.d_delta_u;
                d_rho_0 += gj * e.d_rho_0;
                delta[j] = T::from_f64(gj * e.d_u) + beta * self.kept(yt[j]) * delta_next[j];
            }
            let u_prev = &trace.u[(t - 1) * n..t * n];
            let y_prev = &trace.y[(t - 1) * n..t * n];
            for j in 0..n {
                d_beta += (delta[j] * u_prev[j] * self.kept(y_prev[j])).to_f64();
            }
            for (i, &x) in input[(t - 1) * n_in..t * n_in].iter().enumerate() {
                if x != T::zero() {
                    add_row_t(&mut gw[i * n..(i + 1) * n], &delta, x);
                }
            }
            if let Some(gi) = grad_in.as_mut() {
                for i in 0..n_in {
                    gi[(t - 1) * n_in + i] = dot(&self.lif.w[i * n..(i + 1) * n], &delta);
                }
            }
            if self.recurrent() {
                for (k, &s) in y_prev.iter().enumerate() {
                    if s != T::zero() {
                        add_row_t(&mut grec[k * n..(k + 1) * n], &delta, s);
                    }
                }
            }
            std::mem::swap(&mut delta, &mut delta_next);
        }
        // beta = exp(-1/tau): d beta / d tau = beta / tau^2.
        let tau = self.lif.tau[0].to_f64();
        grads[2][0] += T::from_f64(d_beta * beta.to_f64() / (tau * tau));
        grads[3][0] += T::from_f64(d_theta);
        if self.learn_escape {
            grads[4][0] += T::from_f64(d_delta_u);
            if let Some(r) = grads[5].first_mut() {
                *r += T::from_f64(d_rho_0);
            }
        }
        grad_in
    }

    fn as_meta(&self) -> Option<&MetaLayer<T>> {
        Some(self)
    }

    fn constrain(&mut self) {
        let l = &mut self.lif;
        l.tau[0] = max(l.tau[0], 0.5);
        l.theta[0] = max(l.theta[0], 1e-3);
        self.delta_u[0] = max(self.delta_u[0], MIN_DELTA_U);
        if let Some(r) = self.rho_0.first_mut() {
            *r = max(*r, MIN_RHO_0);
        }
    }
}

fn max<T: Real>(x: T, low: f64) -> T {
    if x < T::from_f64(low) {
        T::from_f64(low)
    } else {
        x
    }
}
