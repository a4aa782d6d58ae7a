//! The L2MU cell (Fra et al., ICANN 2024): an LMU whose encoder, memory and
//! hidden blocks are spiking populations, trained by BPTT with surrogate
//! gradients.
//!
//! Per step t, with s^X the spikes of population X:
//! - encoder u: I^u_t = E_x x_t + E_h s^h_{t−1} + E_m s^m_{t−1};
//! - memory m (memory_size channels of `order` neurons): for channel c,
//!   I^{m,c}_t = Ā s^{m,c}_{t−1} + B̄ s^{u,c}_t, with Ā, B̄ the fixed
//!   discrete Legendre matrices ([`super::lmu`]); the memory's *spikes* are
//!   what is fed back, as in the reference code;
//! - hidden h: I^h_t = W_x x_t + W_h s^h_{t−1} + W_m s^m_t;
//! - output o: I^o_t = W_o s^h_t + b_o.
//!
//! Each population is Leaky (U_t = β U_{t−1} + I_t − S_{t−1} Θ) or Synaptic
//! (a current J_t = α J_{t−1} + I_t feeds U), S_t = H(U_t − Θ), with one
//! learnable β and Θ per population. The loss is the cross-entropy of the
//! read-out (output spike count, or mean non-spiking output membrane) over
//! the read-out window.
//!
//! Everything is f64 and one sample at a time; a batch sums per-sample
//! gradients, which is where parallelism goes later.

use nalgebra::DMatrix;
use rand::RngExt;
use rand_distr::{Distribution, Normal};
use rand_pcg::Pcg64;

use super::lmu::{Discretizer, discretize};
use crate::engine::rng::stream;
use crate::learn::optim::{Adam, argmax, cross_entropy};

/// The neuron model of every population of the cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NeuronVariant {
    /// snnTorch `Leaky`: input current goes straight into the membrane.
    Leaky,
    /// snnTorch `Synaptic` (CuBa LIF): a synaptic current with decay α
    /// (fixed) sits between the input and the membrane.
    Synaptic {
        /// The synaptic decay α per step.
        alpha: f64,
    },
}

/// The spike non-linearity and the derivative used for it in the backward
/// pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SpikeFn {
    /// S = H(U − Θ), surrogate ∂S/∂U = 1/(1 + k|U − Θ|)² (snnTorch's
    /// fast sigmoid; k = 25 there).
    FastSigmoid {
        /// The slope k.
        slope: f64,
    },
    /// S = U − Θ. No spikes at all: the network becomes smooth, so BPTT is
    /// the exact gradient and can be checked against finite differences.
    Identity,
}

impl SpikeFn {
    fn value(self, x: f64) -> f64 {
        match self {
            SpikeFn::FastSigmoid { .. } => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            SpikeFn::Identity => x,
        }
    }

    fn derivative(self, x: f64) -> f64 {
        match self {
            SpikeFn::FastSigmoid { slope } => 1.0 / (1.0 + slope * x.abs()).powi(2),
            SpikeFn::Identity => 1.0,
        }
    }
}

/// What the loss sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readout {
    /// Output spikes summed over the read-out window (the paper's choice).
    SpikeCount,
    /// Mean over the window of a non-spiking output membrane.
    Membrane,
}

/// Shape and behaviour of an L2MU cell.
#[derive(Debug, Clone)]
pub struct L2muConfig {
    /// Input channels.
    pub inputs: usize,
    /// Number of memory channels (= size of the encoder population u).
    pub memory_size: usize,
    /// Legendre order d of each memory channel.
    pub order: usize,
    /// Memory window θ in steps.
    pub theta: f64,
    /// Hidden neurons.
    pub hidden: usize,
    /// Output classes.
    pub classes: usize,
    /// How the memory's continuous dynamics are discretised.
    pub discretizer: Discretizer,
    /// The spiking neuron of the populations.
    pub neuron: NeuronVariant,
    /// The spike function and its surrogate gradient.
    pub spike: SpikeFn,
    /// How the output is read out.
    pub readout: Readout,
    /// First step that counts in the read-out (0: the whole sequence).
    pub readout_from: usize,
    /// Treat the reset term S_{t−1}Θ as a constant in the backward pass, as
    /// snnTorch does. Must be false for an exact gradient.
    pub detach_reset: bool,
    /// Whether W_h (hidden → hidden) exists. With `memory_size = 0` and no
    /// hidden recurrence the cell is a plain feed-forward SNN.
    pub hidden_recurrent: bool,
}

/// Population order inside [`L2muParams::beta`] and [`L2muParams::threshold`].
pub const POP_U: usize = 0;
/// Index of the memory population m.
pub const POP_M: usize = 1;
/// Index of the hidden population h.
pub const POP_H: usize = 2;
/// Index of the output population o.
pub const POP_O: usize = 3;

/// Learnable parameters (also used for their gradients). Matrices are
/// row-major, rows = targets.
#[derive(Debug, Clone, PartialEq)]
pub struct L2muParams {
    /// Encoder weights from the input x onto u, row-major `[u, x]`.
    pub ex: Vec<f64>,
    /// Encoder weights from the hidden state h onto u, `[u, h]`.
    pub eh: Vec<f64>,
    /// Encoder weights from the memory m onto u, `[u, m]`.
    pub em: Vec<f64>,
    /// Weights from the input x onto h, `[h, x]`.
    pub wx: Vec<f64>,
    /// Recurrent weights of h, `[h, h]`.
    pub wh: Vec<f64>,
    /// Weights from the memory m onto h, `[h, m]`.
    pub wm: Vec<f64>,
    /// Output weights from h, `[o, h]`.
    pub wo: Vec<f64>,
    /// Output biases.
    pub bo: Vec<f64>,
    /// β of u, m, h, o.
    pub beta: Vec<f64>,
    /// Θ of u, m, h, o.
    pub threshold: Vec<f64>,
}

impl L2muParams {
    fn zeros(c: &L2muConfig) -> Self {
        let (nx, nu, nm, nh, no) = sizes(c);
        L2muParams {
            ex: vec![0.0; nu * nx],
            eh: vec![0.0; nu * nh],
            em: vec![0.0; nu * nm],
            wx: vec![0.0; nh * nx],
            wh: vec![0.0; nh * nh],
            wm: vec![0.0; nh * nm],
            wo: vec![0.0; no * nh],
            bo: vec![0.0; no],
            beta: vec![0.0; 4],
            threshold: vec![0.0; 4],
        }
    }

    /// Every parameter slice, in a fixed order (for the optimiser and for
    /// finite differences).
    pub fn slices(&self) -> [&[f64]; 10] {
        [
            &self.ex,
            &self.eh,
            &self.em,
            &self.wx,
            &self.wh,
            &self.wm,
            &self.wo,
            &self.bo,
            &self.beta,
            &self.threshold,
        ]
    }

    /// Every parameter slice, mutable, in the order of `slices`.
    pub fn slices_mut(&mut self) -> [&mut [f64]; 10] {
        [
            &mut self.ex,
            &mut self.eh,
            &mut self.em,
            &mut self.wx,
            &mut self.wh,
            &mut self.wm,
            &mut self.wo,
            &mut self.bo,
            &mut self.beta,
            &mut self.threshold,
        ]
    }

    fn add_assign(&mut self, other: &L2muParams) {
        for (a, b) in self.slices_mut().into_iter().zip(other.slices()) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }
}

/// (inputs, u, m, h, out) population sizes.
fn sizes(c: &L2muConfig) -> (usize, usize, usize, usize, usize) {
    (
        c.inputs,
        c.memory_size,
        c.memory_size * c.order,
        c.hidden,
        c.classes,
    )
}

/// An L2MU cell: configuration, fixed memory matrices and parameters.
#[derive(Debug, Clone)]
pub struct L2mu {
    /// Its shape and behaviour.
    pub config: L2muConfig,
    /// Ā, row-major order×order.
    pub abar: Vec<f64>,
    /// B̄, per order.
    pub bbar: Vec<f64>,
    /// The trainable parameters.
    pub params: L2muParams,
}

/// Population initial values: β and Θ of u, m, h, o.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PopInit {
    /// Initial β of u, m, h, o.
    pub beta: [f64; 4],
    /// Initial Θ of u, m, h, o.
    pub threshold: [f64; 4],
}

impl Default for PopInit {
    /// The Braille follow-up's best set (algorithms.md (b)).
    fn default() -> Self {
        PopInit {
            beta: [0.65, 0.35, 0.15, 0.15],
            threshold: [0.1, 0.4, 0.75, 0.1],
        }
    }
}

impl L2mu {
    /// A cell initialised as in the reference code: E_x, E_h LeCun-uniform,
    /// E_m zero, W_x/W_h/W_m Xavier-normal, W_o and b_o as torch's Linear.
    pub fn new(config: L2muConfig, init: PopInit, seed: u64) -> Self {
        let (abar, bbar) = discretize(config.order, config.theta, config.discretizer);
        let abar = DMatrix::transpose(&abar).as_slice().to_vec(); // column-major → row-major
        let bbar = bbar.as_slice().to_vec();
        let mut p = L2muParams::zeros(&config);
        let (nx, _, nm, nh, _) = sizes(&config);
        let mut rng = stream(seed, "l2mu-init", "cell");
        lecun_uniform(&mut p.ex, nx, &mut rng);
        lecun_uniform(&mut p.eh, nh, &mut rng);
        xavier_normal(&mut p.wx, nx, nh, &mut rng);
        if config.hidden_recurrent {
            xavier_normal(&mut p.wh, nh, nh, &mut rng);
        }
        xavier_normal(&mut p.wm, nm, nh, &mut rng);
        let bound = 1.0 / (nh.max(1) as f64).sqrt();
        for w in p.wo.iter_mut().chain(p.bo.iter_mut()) {
            *w = bound * (2.0 * rng.random::<f64>() - 1.0);
        }
        p.beta = init.beta.to_vec();
        p.threshold = init.threshold.to_vec();
        L2mu {
            config,
            abar,
            bbar,
            params: p,
        }
    }

    /// Run one sample (`input` is steps × inputs, row-major) and return the
    /// record the backward pass needs.
    pub fn forward(&self, input: &[f64]) -> Trace {
        let c = &self.config;
        let p = &self.params;
        let (nx, nu, nm, nh, no) = sizes(c);
        let steps = input.len() / nx.max(1);
        let mut pops = [
            PopTrace::new(nu, steps),
            PopTrace::new(nm, steps),
            PopTrace::new(nh, steps),
            PopTrace::new(no, steps),
        ];
        let mut cur_u = vec![0.0; nu];
        let mut cur_m = vec![0.0; nm];
        let mut cur_h = vec![0.0; nh];
        let mut cur_o = vec![0.0; no];
        let d = c.order;
        for t in 0..steps {
            let x = &input[t * nx..(t + 1) * nx];
            cur_u.fill(0.0);
            matvec_add(&mut cur_u, &p.ex, x);
            if t > 0 {
                matvec_add(&mut cur_u, &p.eh, pops[POP_H].s(t - 1));
                matvec_add(&mut cur_u, &p.em, pops[POP_M].s(t - 1));
            }
            self.pop_forward(POP_U, &mut pops[POP_U], t, &cur_u);

            let su = pops[POP_U].s(t).to_vec();
            for ch in 0..nu {
                for i in 0..d {
                    let mut v = self.bbar[i] * su[ch];
                    if t > 0 {
                        let sm = &pops[POP_M].s(t - 1)[ch * d..(ch + 1) * d];
                        v += dot(&self.abar[i * d..(i + 1) * d], sm);
                    }
                    cur_m[ch * d + i] = v;
                }
            }
            self.pop_forward(POP_M, &mut pops[POP_M], t, &cur_m);

            cur_h.fill(0.0);
            matvec_add(&mut cur_h, &p.wx, x);
            if t > 0 && c.hidden_recurrent {
                matvec_add(&mut cur_h, &p.wh, pops[POP_H].s(t - 1));
            }
            matvec_add(&mut cur_h, &p.wm, pops[POP_M].s(t));
            self.pop_forward(POP_H, &mut pops[POP_H], t, &cur_h);

            cur_o.copy_from_slice(&p.bo);
            matvec_add(&mut cur_o, &p.wo, pops[POP_H].s(t));
            self.pop_forward(POP_O, &mut pops[POP_O], t, &cur_o);
        }
        let logits = self.logits(&pops[POP_O], steps);
        Trace {
            steps,
            pops,
            logits,
        }
    }

    fn spiking(&self, pop: usize) -> bool {
        pop != POP_O || self.config.readout == Readout::SpikeCount
    }

    fn alpha(&self) -> f64 {
        match self.config.neuron {
            NeuronVariant::Leaky => 0.0,
            NeuronVariant::Synaptic { alpha } => alpha,
        }
    }

    fn pop_forward(&self, pop: usize, tr: &mut PopTrace, t: usize, current: &[f64]) {
        let beta = self.params.beta[pop];
        let th = self.params.threshold[pop];
        let alpha = self.alpha();
        let spiking = self.spiking(pop);
        let n = tr.n;
        for (k, &cur) in current.iter().enumerate().take(n) {
            let (j_prev, u_prev, s_prev) = if t > 0 {
                let i = (t - 1) * n + k;
                (tr.j[i], tr.u[i], tr.s[i])
            } else {
                (0.0, 0.0, 0.0)
            };
            let j = alpha * j_prev + cur;
            let i = t * n + k;
            if spiking {
                let u = beta * u_prev + j - s_prev * th;
                tr.u[i] = u;
                tr.s[i] = self.config.spike.value(u - th);
            } else {
                tr.u[i] = beta * u_prev + j;
            }
            tr.j[i] = j;
        }
    }

    fn readout_steps(&self, steps: usize) -> std::ops::Range<usize> {
        self.config.readout_from.min(steps)..steps
    }

    fn logits(&self, out: &PopTrace, steps: usize) -> Vec<f64> {
        let range = self.readout_steps(steps);
        let scale = match self.config.readout {
            Readout::SpikeCount => 1.0,
            Readout::Membrane => 1.0 / range.len().max(1) as f64,
        };
        let src = match self.config.readout {
            Readout::SpikeCount => &out.s,
            Readout::Membrane => &out.u,
        };
        let mut l = vec![0.0; out.n];
        for t in range {
            for (k, v) in l.iter_mut().enumerate() {
                *v += scale * src[t * out.n + k];
            }
        }
        l
    }

    /// Loss of one sample and its gradient with respect to every parameter
    /// (BPTT through all four populations).
    pub fn loss_and_grad(&self, input: &[f64], label: usize) -> (f64, L2muParams, Trace) {
        let tr = self.forward(input);
        let mut g_logits = vec![0.0; tr.logits.len()];
        let loss = cross_entropy(&tr.logits, label, &mut g_logits);
        let grad = self.backward(input, &tr, &g_logits);
        (loss, grad, tr)
    }

    /// Gradient of the loss with respect to the parameters given
    /// ∂loss/∂logits.
    pub fn backward(&self, input: &[f64], tr: &Trace, g_logits: &[f64]) -> L2muParams {
        self.backward_through(input, tr, g_logits, None, false).0
    }

    /// The backward pass of the cell used as a layer: besides ∂loss/∂logits,
    /// `g_hidden` (steps × hidden) is ∂loss/∂s^h_t from whatever reads the
    /// hidden spikes outside the cell; with `want_input`, also returns
    /// ∂loss/∂x_t (steps × inputs).
    pub fn backward_through(
        &self,
        input: &[f64],
        tr: &Trace,
        g_logits: &[f64],
        g_hidden: Option<&[f64]>,
        want_input: bool,
    ) -> (L2muParams, Option<Vec<f64>>) {
        let c = &self.config;
        let (nx, nu, nm, nh, no) = sizes(c);
        let steps = tr.steps;
        let mut g = L2muParams::zeros(c);
        let mut b = Backward {
            carry: [
                PopCarry::new(nu),
                PopCarry::new(nm),
                PopCarry::new(nh),
                PopCarry::new(no),
            ],
            future_h: vec![0.0; nh],
            future_m: vec![0.0; nm],
            gs: vec![0.0; nh.max(nm).max(no).max(nu)],
            gi_o: vec![0.0; no],
            gi_h: vec![0.0; nh],
            gi_m: vec![0.0; nm],
            gi_u: vec![0.0; nu],
        };
        let range = self.readout_steps(steps);
        let window = range.len().max(1) as f64;
        let mut g_input = want_input.then(|| vec![0.0; steps * nx]);
        for t in (0..steps).rev() {
            let readout = (range.contains(&t), window);
            let gx = g_input.as_mut().map(|gx| &mut gx[t * nx..(t + 1) * nx]);
            let ext = g_hidden.map(|ext| &ext[t * nh..(t + 1) * nh]);
            self.backward_step(
                t,
                &input[t * nx..(t + 1) * nx],
                tr,
                (g_logits, ext),
                readout,
                &mut b,
                &mut g,
                gx,
            );
        }
        (g, g_input)
    }

    /// Step `t` of the backward pass, from the output down to the encoder:
    /// `x` is the step's input, `outside` ∂loss/∂logits and ∂loss/∂s^h_t from
    /// outside the cell, `readout` whether the step is in the read-out window
    /// and the window's length; `gx` receives ∂loss/∂x_t when asked for.
    #[allow(clippy::too_many_arguments)]
    fn backward_step(
        &self,
        t: usize,
        x: &[f64],
        tr: &Trace,
        (g_logits, g_hidden): (&[f64], Option<&[f64]>),
        (in_window, window): (bool, f64),
        b: &mut Backward,
        g: &mut L2muParams,
        g_input: Option<&mut [f64]>,
    ) {
        let c = &self.config;
        let p = &self.params;
        let (_, nu, nm, nh, no) = sizes(c);
        let d = c.order;
        let Backward {
            carry,
            future_h,
            future_m,
            gs,
            gi_o,
            gi_h,
            gi_m,
            gi_u,
        } = b;
        // Output population.
        let go = &mut gs[..no];
        for (k, v) in go.iter_mut().enumerate() {
            *v = if !in_window {
                0.0
            } else if c.readout == Readout::Membrane {
                g_logits[k] / window
            } else {
                g_logits[k]
            };
        }
        self.pop_backward(
            POP_O,
            &tr.pops[POP_O],
            t,
            &gs[..no],
            &mut carry[POP_O],
            gi_o,
            g,
        );
        g.bo.iter_mut().zip(gi_o.iter()).for_each(|(b, v)| *b += v);
        outer_add(&mut g.wo, gi_o, tr.pops[POP_H].s(t));

        // Hidden population.
        let gh = &mut gs[..nh];
        gh.copy_from_slice(future_h);
        if let Some(ext) = g_hidden {
            for (v, e) in gh.iter_mut().zip(ext) {
                *v += e;
            }
        }
        matvec_t_add(gh, &p.wo, gi_o);
        self.pop_backward(
            POP_H,
            &tr.pops[POP_H],
            t,
            &gs[..nh],
            &mut carry[POP_H],
            gi_h,
            g,
        );
        outer_add(&mut g.wx, gi_h, x);
        if t > 0 && c.hidden_recurrent {
            outer_add(&mut g.wh, gi_h, tr.pops[POP_H].s(t - 1));
        }
        outer_add(&mut g.wm, gi_h, tr.pops[POP_M].s(t));

        // Memory population.
        let gm = &mut gs[..nm];
        gm.copy_from_slice(future_m);
        matvec_t_add(gm, &p.wm, gi_h);
        self.pop_backward(
            POP_M,
            &tr.pops[POP_M],
            t,
            &gs[..nm],
            &mut carry[POP_M],
            gi_m,
            g,
        );

        // Encoder population: s^u_t reaches the memory through B̄.
        for (ch, v) in gs[..nu].iter_mut().enumerate() {
            *v = dot(&self.bbar, &gi_m[ch * d..(ch + 1) * d]);
        }
        self.pop_backward(
            POP_U,
            &tr.pops[POP_U],
            t,
            &gs[..nu],
            &mut carry[POP_U],
            gi_u,
            g,
        );
        outer_add(&mut g.ex, gi_u, x);
        if let Some(gx) = g_input {
            // x_t drives u through E_x and h through W_x.
            matvec_t_add(gx, &p.ex, gi_u);
            matvec_t_add(gx, &p.wx, gi_h);
        }

        self.send_back(t, tr, (gi_u, gi_h, gi_m), g, future_h, future_m);
    }

    /// What step `t`'s input currents (`gi`: encoder, hidden, memory) send
    /// back to the spikes of step `t − 1`, into `future_h` and `future_m`,
    /// and the gradients of the weights that carry it.
    fn send_back(
        &self,
        t: usize,
        tr: &Trace,
        (gi_u, gi_h, gi_m): (&[f64], &[f64], &[f64]),
        g: &mut L2muParams,
        future_h: &mut [f64],
        future_m: &mut [f64],
    ) {
        let c = &self.config;
        let p = &self.params;
        let nu = gi_u.len();
        let d = c.order;
        future_h.fill(0.0);
        future_m.fill(0.0);
        if t > 0 {
            outer_add(&mut g.eh, gi_u, tr.pops[POP_H].s(t - 1));
            outer_add(&mut g.em, gi_u, tr.pops[POP_M].s(t - 1));
            matvec_t_add(future_h, &p.eh, gi_u);
            if c.hidden_recurrent {
                matvec_t_add(future_h, &p.wh, gi_h);
            }
            matvec_t_add(future_m, &p.em, gi_u);
            for ch in 0..nu {
                for i in 0..d {
                    let gv = gi_m[ch * d + i];
                    for j in 0..d {
                        future_m[ch * d + j] += self.abar[i * d + j] * gv;
                    }
                }
            }
        }
    }

    /// One population's step of the backward pass. `gs_ext` is ∂loss/∂S_t
    /// from the currents that read S_t (for the non-spiking output,
    /// ∂loss/∂U_t); writes ∂loss/∂I_t into `gi` and accumulates ∂β, ∂Θ.
    #[allow(clippy::too_many_arguments)]
    fn pop_backward(
        &self,
        pop: usize,
        tr: &PopTrace,
        t: usize,
        gs_ext: &[f64],
        carry: &mut PopCarry,
        gi: &mut [f64],
        g: &mut L2muParams,
    ) {
        let beta = self.params.beta[pop];
        let th = self.params.threshold[pop];
        let alpha = self.alpha();
        let spiking = self.spiking(pop);
        let n = tr.n;
        let (mut gb, mut gt) = (0.0, 0.0);
        for k in 0..n {
            let i = t * n + k;
            let (u_prev, s_prev) = if t > 0 {
                (tr.u[i - n], tr.s[i - n])
            } else {
                (0.0, 0.0)
            };
            let gu = if spiking {
                // S_t is also the reset of step t+1: U_{t+1} ∋ −Θ S_t.
                let reset = if self.config.detach_reset {
                    0.0
                } else {
                    -th * carry.gu[k]
                };
                let gs_total = gs_ext[k] + reset;
                let ds = self.config.spike.derivative(tr.u[i] - th);
                let gu = gs_total * ds + beta * carry.gu[k];
                gt += -gs_total * ds - gu * s_prev;
                gu
            } else {
                gs_ext[k] + beta * carry.gu[k]
            };
            gb += gu * u_prev;
            let gj = gu + alpha * carry.gj[k];
            gi[k] = gj;
            carry.gu[k] = gu;
            carry.gj[k] = gj;
        }
        g.beta[pop] += gb;
        g.threshold[pop] += gt;
    }

    /// Mean loss and summed-then-averaged gradient over a batch.
    pub fn batch_grad(&self, inputs: &[Vec<f64>], labels: &[usize]) -> (f64, L2muParams) {
        let mut total = L2muParams::zeros(&self.config);
        let mut loss = 0.0;
        for (x, &y) in inputs.iter().zip(labels) {
            let (l, g, _) = self.loss_and_grad(x, y);
            loss += l;
            total.add_assign(&g);
        }
        let n = inputs.len().max(1) as f64;
        for s in total.slices_mut() {
            s.iter_mut().for_each(|v| *v /= n);
        }
        (loss / n, total)
    }

    /// Keep β in [0, 1] and Θ positive after an optimiser step (snnTorch
    /// clamps β the same way).
    pub fn project(&mut self) {
        for b in &mut self.params.beta {
            *b = b.clamp(0.0, 1.0);
        }
        if matches!(self.config.spike, SpikeFn::FastSigmoid { .. }) {
            for t in &mut self.params.threshold {
                *t = t.max(1e-3);
            }
        }
        if !self.config.hidden_recurrent {
            self.params.wh.fill(0.0);
        }
    }

    /// Predicted class of one sample.
    pub fn predict(&self, input: &[f64]) -> usize {
        argmax(&self.forward(input).logits)
    }

    /// Fraction of samples classified correctly.
    pub fn accuracy(&self, inputs: &[Vec<f64>], labels: &[usize]) -> f64 {
        let ok = inputs
            .iter()
            .zip(labels)
            .filter(|(x, y)| self.predict(x) == **y)
            .count();
        ok as f64 / inputs.len().max(1) as f64
    }

    /// A minimal trainer for tests and examples: Adam on the cross-entropy,
    /// mini-batches in a seeded shuffled order. Returns the mean training
    /// loss of each epoch. (The full trainer with metrics, checkpoints and
    /// parallel batches is `spikesim train`.)
    pub fn fit(&mut self, inputs: &[Vec<f64>], labels: &[usize], opts: &FitOptions) -> Vec<f64> {
        let mut adam = Adam::new(opts.lr);
        let mut rng = stream(opts.seed, "l2mu-fit", "order");
        let mut order: Vec<usize> = (0..inputs.len()).collect();
        let mut history = Vec::with_capacity(opts.epochs);
        for _ in 0..opts.epochs {
            shuffle(&mut order, &mut rng);
            let mut epoch_loss = 0.0;
            for chunk in order.chunks(opts.batch.max(1)) {
                let xs: Vec<Vec<f64>> = chunk.iter().map(|&i| inputs[i].clone()).collect();
                let ys: Vec<usize> = chunk.iter().map(|&i| labels[i]).collect();
                let (loss, grad) = self.batch_grad(&xs, &ys);
                epoch_loss += loss * chunk.len() as f64;
                adam.step(&mut self.params.slices_mut(), &grad.slices());
                self.project();
            }
            history.push(epoch_loss / inputs.len().max(1) as f64);
        }
        history
    }
}

/// Options of [`L2mu::fit`].
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// Passes over the training data.
    pub epochs: usize,
    /// Samples per batch.
    pub batch: usize,
    /// Learning rate.
    pub lr: f64,
    /// Seed of the shuffles and initial weights.
    pub seed: u64,
}

/// Fisher–Yates with the crate's seeded streams.
fn shuffle(v: &mut [usize], rng: &mut Pcg64) {
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i);
        v.swap(i, j);
    }
}

/// What the forward pass keeps per population: synaptic current J,
/// membrane U and spikes S, each steps × n.
#[derive(Debug, Clone)]
pub struct PopTrace {
    /// Neurons in the population.
    pub n: usize,
    /// Synaptic current J, steps × n.
    pub j: Vec<f64>,
    /// Membrane U, steps × n.
    pub u: Vec<f64>,
    /// Spikes S, steps × n.
    pub s: Vec<f64>,
}

impl PopTrace {
    fn new(n: usize, steps: usize) -> Self {
        PopTrace {
            n,
            j: vec![0.0; n * steps],
            u: vec![0.0; n * steps],
            s: vec![0.0; n * steps],
        }
    }

    /// Spikes of step t.
    pub fn s(&self, t: usize) -> &[f64] {
        &self.s[t * self.n..(t + 1) * self.n]
    }
}

/// The forward record of one sample.
#[derive(Debug, Clone)]
pub struct Trace {
    /// Steps of the pass.
    pub steps: usize,
    /// u, m, h, o.
    pub pops: [PopTrace; 4],
    /// The output logits.
    pub logits: Vec<f64>,
}

/// What the backward pass carries from step to step, and its per-step
/// buffers: ∂loss/∂(U, J) per population, what step t+1 sends back to the
/// hidden and memory spikes of step t, ∂loss/∂S_t of the population at
/// hand, and ∂loss/∂I_t per population (output, hidden, memory, encoder).
struct Backward {
    carry: [PopCarry; 4],
    future_h: Vec<f64>,
    future_m: Vec<f64>,
    gs: Vec<f64>,
    gi_o: Vec<f64>,
    gi_h: Vec<f64>,
    gi_m: Vec<f64>,
    gi_u: Vec<f64>,
}

/// ∂loss/∂U_{t+1} and ∂loss/∂J_{t+1} carried back to step t.
struct PopCarry {
    gu: Vec<f64>,
    gj: Vec<f64>,
}

impl PopCarry {
    fn new(n: usize) -> Self {
        PopCarry {
            gu: vec![0.0; n],
            gj: vec![0.0; n],
        }
    }
}

/// The "encoding-free" input module: each raw real-valued channel drives
/// its own population through Linear(1 → pop) and a Leaky LIF with its own
/// β and Θ; the populations' spikes are concatenated. Real values enter as
/// currents, so no spike encoder is needed.
#[derive(Debug, Clone)]
pub struct EncodingFreeInput {
    /// Raw input channels.
    pub channels: usize,
    /// Neurons per channel's population.
    pub pop_size: usize,
    /// channels × pop_size gains and biases of the Linear(1 → pop) maps.
    pub weight: Vec<f64>,
    /// Biases of the Linear(1 → pop) maps, channels × pop_size.
    pub bias: Vec<f64>,
    /// Per-channel β and Θ.
    pub beta: Vec<f64>,
    /// Per-channel Θ.
    pub threshold: Vec<f64>,
}

impl EncodingFreeInput {
    /// Spikes (steps × channels·pop_size, channel-major) for a signal given
    /// as steps × channels, row-major.
    pub fn forward(&self, signal: &[f64]) -> Vec<f64> {
        let (nc, np) = (self.channels, self.pop_size);
        let steps = signal.len() / nc.max(1);
        let n = nc * np;
        let mut u = vec![0.0; n];
        let mut s = vec![0.0; n];
        let mut out = vec![0.0; steps * n];
        for t in 0..steps {
            for c in 0..nc {
                let x = signal[t * nc + c];
                for k in 0..np {
                    let i = c * np + k;
                    let current = self.weight[i] * x + self.bias[i];
                    u[i] = self.beta[c] * u[i] + current - s[i] * self.threshold[c];
                    s[i] = if u[i] > self.threshold[c] { 1.0 } else { 0.0 };
                    out[t * n + i] = s[i];
                }
            }
        }
        out
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// y += W x, W row-major with y.len() rows.
fn matvec_add(y: &mut [f64], w: &[f64], x: &[f64]) {
    let n = x.len();
    for (r, yr) in y.iter_mut().enumerate() {
        *yr += dot(&w[r * n..(r + 1) * n], x);
    }
}

/// x += Wᵀ y, W row-major with y.len() rows and x.len() columns.
fn matvec_t_add(x: &mut [f64], w: &[f64], y: &[f64]) {
    let n = x.len();
    for (r, &yr) in y.iter().enumerate() {
        if yr != 0.0 {
            for (xc, wc) in x.iter_mut().zip(&w[r * n..(r + 1) * n]) {
                *xc += wc * yr;
            }
        }
    }
}

/// W += y xᵀ.
fn outer_add(w: &mut [f64], y: &[f64], x: &[f64]) {
    let n = x.len();
    for (r, &yr) in y.iter().enumerate() {
        if yr != 0.0 {
            for (wc, xc) in w[r * n..(r + 1) * n].iter_mut().zip(x) {
                *wc += yr * xc;
            }
        }
    }
}

fn lecun_uniform(w: &mut [f64], fan_in: usize, rng: &mut Pcg64) {
    let bound = (3.0 / fan_in.max(1) as f64).sqrt();
    for v in w {
        *v = bound * (2.0 * rng.random::<f64>() - 1.0);
    }
}

fn xavier_normal(w: &mut [f64], fan_in: usize, fan_out: usize, rng: &mut Pcg64) {
    let std = (2.0 / (fan_in + fan_out).max(1) as f64).sqrt();
    let normal = Normal::new(0.0, std).expect("finite std");
    for v in w {
        *v = normal.sample(rng);
    }
}
