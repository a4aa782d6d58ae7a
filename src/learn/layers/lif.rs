//! [`Lif`] is a dense projection onto leaky integrate-and-fire neurons whose
//! discrete equations are exactly what the simulator's exact-integration LIF
//! computes with `dt` = one step, `v_rest = v_reset = 0`, no refractory time
//! and synaptic delays of one step (potentials in threshold-scale units):
//!
//! ```text
//! a_t = sum_i W_ij y_{t-1,i} + sum_k R_kj s_{t-1,k}     (one-step delay)
//! U_t = beta V_{t-1} + a_t,  beta = exp(-1/tau)          (tau in steps)
//! S_t = H(U_t - theta),      V_t = U_t (1 - S_t)          (hard reset to 0)
//! ```
//!
//! With a synaptic time constant `tau_s` (steps) the layer is the CuBa LIF:
//! the drive `a_t` jumps a synaptic current that decays by `alpha =
//! exp(-1/tau_s)` and feeds the membrane through the exact one-step
//! propagator `kappa` (see `neuron::membrane::synaptic_propagator`):
//!
//! ```text
//! U_t = beta V_{t-1} + kappa I_{t-1},   I_t = alpha I_{t-1} + a_t
//! ```
//!
//! (the simulator's `cuba_lif` with `tau_syn_e = tau_syn_i = tau_s`). Its
//! membrane time constant is kept fixed in training, as `kappa` depends on it.
//!
//! A non-spiking layer (a read-out membrane, or a hidden layer with the spike
//! non-linearity replaced by the identity) outputs `U_t` and never resets.
//! The reset is treated as a constant in the backward pass ("detached").

use super::{Layer, Trace};
use crate::learn::real::Real;
use crate::learn::surrogate::Surrogate;

/// Dense projection onto a LIF population (see the module documentation).
#[derive(Debug, Clone)]
pub struct Lif<T> {
    /// Input width.
    pub n_in: usize,
    /// Output width (neurons).
    pub n_out: usize,
    /// `W[i][j]`, input-major: a spike of input `i` adds row `i`.
    pub w: Vec<T>,
    /// Recurrent `R[k][j]`, empty when the layer has no recurrence.
    pub rec: Vec<T>,
    /// Membrane time constant in steps (one value).
    pub tau: Vec<T>,
    /// Threshold (one value).
    pub theta: Vec<T>,
    /// Whether the neurons fire (else a membrane read-out).
    pub spiking: bool,
    /// The surrogate gradient of the spike.
    pub surrogate: Surrogate,
    /// Synaptic time constant in steps: `Some` makes the layer a CuBa LIF.
    pub tau_syn: Option<f64>,
}

fn add_row<T: Real>(acc: &mut [T], row: &[T], x: T) {
    for (a, &w) in acc.iter_mut().zip(row) {
        *a += x * w;
    }
}

fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    a.iter().zip(b).map(|(&x, &y)| x * y).sum()
}

impl<T: Real> Lif<T> {
    /// The membrane decay per step, `exp(-1 / tau)`.
    pub fn beta(&self) -> T {
        (-T::one() / self.tau[0]).exp()
    }

    fn recurrent(&self) -> bool {
        !self.rec.is_empty()
    }

    /// `(alpha, kappa)` of a CuBa layer: synaptic decay and the exact
    /// contribution of the current to the membrane over one step.
    pub fn synapse(&self) -> Option<(T, T)> {
        self.tau_syn.map(|ts| {
            let tm = self.tau[0].to_f64();
            let kappa = crate::neuron::membrane::synaptic_propagator(1.0, tm, ts);
            (T::from_f64((-1.0 / ts).exp()), T::from_f64(kappa))
        })
    }
}

impl<T: Real> Layer<T> for Lif<T> {
    fn as_lif(&self) -> Option<&Lif<T>> {
        Some(self)
    }

    fn n_in(&self) -> usize {
        self.n_in
    }

    fn n_out(&self) -> usize {
        self.n_out
    }

    fn spiking(&self) -> bool {
        self.spiking
    }

    fn params(&self) -> Vec<&[T]> {
        vec![&self.w, &self.rec, &self.tau, &self.theta]
    }

    fn params_mut(&mut self) -> Vec<&mut Vec<T>> {
        vec![&mut self.w, &mut self.rec, &mut self.tau, &mut self.theta]
    }

    fn param_names(&self) -> Vec<&'static str> {
        vec!["weights", "recurrent", "tau", "threshold"]
    }

    fn forward(&self, input: &[T], steps: usize) -> Trace<T> {
        let (n_in, n) = (self.n_in, self.n_out);
        let beta = self.beta();
        let theta = self.theta[0];
        let mut u = vec![T::zero(); steps * n];
        let mut y = vec![T::zero(); steps * n];
        let mut v = vec![T::zero(); n];
        let mut a = vec![T::zero(); n];
        let synapse = self.synapse();
        let mut current = vec![T::zero(); n];
        for t in 0..steps {
            a.iter_mut().for_each(|x| *x = T::zero());
            if t > 0 {
                for (i, &x) in input[(t - 1) * n_in..t * n_in].iter().enumerate() {
                    if x != T::zero() {
                        add_row(&mut a, &self.w[i * n..(i + 1) * n], x);
                    }
                }
                if self.recurrent() {
                    for k in 0..n {
                        let s = y[(t - 1) * n + k];
                        if s != T::zero() {
                            add_row(&mut a, &self.rec[k * n..(k + 1) * n], s);
                        }
                    }
                }
            }
            let (ut, yt) = (&mut u[t * n..(t + 1) * n], &mut y[t * n..(t + 1) * n]);
            for j in 0..n {
                let uj = match synapse {
                    Some((alpha, kappa)) => {
                        let uj = beta * v[j] + kappa * current[j];
                        current[j] = alpha * current[j] + a[j];
                        uj
                    }
                    None => beta * v[j] + a[j],
                };
                ut[j] = uj;
                if self.spiking {
                    let fired = uj > theta;
                    yt[j] = if fired { T::one() } else { T::zero() };
                    v[j] = if fired { T::zero() } else { uj };
                } else {
                    yt[j] = uj;
                    v[j] = uj;
                }
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
        let (n_in, n) = (self.n_in, self.n_out);
        let steps = trace.u.len() / n;
        let beta = self.beta();
        let theta = self.theta[0];
        let mut grad_in = want_input.then(|| vec![T::zero(); steps * n_in]);
        let mut delta_next = vec![T::zero(); n];
        let mut delta = vec![T::zero(); n];
        // dL/dI_t of a CuBa layer (the drive's gradient), else unused.
        let synapse = self.synapse();
        let mut eta_next = vec![T::zero(); n];
        let mut eta = vec![T::zero(); n];
        let mut g = vec![T::zero(); n];
        let (mut d_beta, mut d_theta) = (T::zero(), T::zero());
        let [gw, grec, _, _] = grads else {
            unreachable!("a Lif layer has four tensors")
        };
        for t in (0..steps).rev() {
            let ut = &trace.u[t * n..(t + 1) * n];
            let yt = &trace.y[t * n..(t + 1) * n];
            g.copy_from_slice(&grad_y[t * n..(t + 1) * n]);
            if self.recurrent() && t + 1 < steps {
                let drive_next = if synapse.is_some() {
                    &eta_next
                } else {
                    &delta_next
                };
                for (k, gk) in g.iter_mut().enumerate() {
                    *gk += dot(&self.rec[k * n..(k + 1) * n], drive_next);
                }
            }
            for j in 0..n {
                let carry = if self.spiking {
                    let ds = self.surrogate.grad(ut[j] - theta);
                    d_theta -= g[j] * ds;
                    g[j] * ds
                } else {
                    g[j]
                };
                // V_t = U_t (1 - S_t): the leak carries delta only when no spike.
                let kept = if self.spiking {
                    T::one() - yt[j]
                } else {
                    T::one()
                };
                delta[j] = carry + beta * kept * delta_next[j];
            }
            if let Some((alpha, kappa)) = synapse {
                for j in 0..n {
                    eta[j] = kappa * delta_next[j] + alpha * eta_next[j];
                }
            }
            // The gradient of the drive a_t.
            let drive = if synapse.is_some() { &eta } else { &delta };
            if t > 0 {
                let u_prev = &trace.u[(t - 1) * n..t * n];
                let y_prev = &trace.y[(t - 1) * n..t * n];
                for j in 0..n {
                    let v_prev = if self.spiking {
                        u_prev[j] * (T::one() - y_prev[j])
                    } else {
                        u_prev[j]
                    };
                    d_beta += delta[j] * v_prev;
                }
                let x_prev = &input[(t - 1) * n_in..t * n_in];
                for (i, &x) in x_prev.iter().enumerate() {
                    if x != T::zero() {
                        add_row(&mut gw[i * n..(i + 1) * n], drive, x);
                    }
                }
                if let Some(gi) = grad_in.as_mut() {
                    for i in 0..n_in {
                        gi[(t - 1) * n_in + i] = dot(&self.w[i * n..(i + 1) * n], drive);
                    }
                }
                if self.recurrent() {
                    for (k, &s) in y_prev.iter().enumerate() {
                        if s != T::zero() {
                            add_row(&mut grec[k * n..(k + 1) * n], drive, s);
                        }
                    }
                }
            }
            std::mem::swap(&mut delta, &mut delta_next);
            std::mem::swap(&mut eta, &mut eta_next);
        }
        // beta = exp(-1/tau): d beta / d tau = beta / tau^2 (LIF only).
        let tau = self.tau[0];
        if synapse.is_none() {
            grads[2][0] += d_beta * beta / (tau * tau);
        }
        if self.spiking {
            grads[3][0] += d_theta;
        }
        grad_in
    }
}
