//! A LIF layer whose input synapses carry delays: learned by DCLS
//! ([`super::dcls`]), fixed at random, or absent (a plain [`Lif`]).
//!
//! The drive of output `j` is the DCLS cross-correlation
//! `D_t[j] = sum_i sum_n w_ji k_ji[n] x_{t-(K-1-n)}[i]`, and the neurons read
//! it one step late like every layer (`a_t = D_{t-1}`). With the rounded,
//! single-tap kernel a synapse of delay `d` steps is therefore the
//! simulator's synapse of delay `(1 + d) dt`, which is what is exported.
//!
//! The neuron part reuses [`Lif`] with identity weights, so its dynamics,
//! surrogate and parameter gradients are exactly those of a LIF layer.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use super::dcls::{Dcls1d, KernelShape, SIGMA_FLOOR, SigmaSchedule};
use crate::learn::layers::lif::Lif;
use crate::learn::layers::{Layer, Trace};
use crate::learn::net::Network;
use crate::learn::real::Real;

/// How a layer's delays are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelayMode {
    /// Positions trained (DCLS, Gaussian kernel annealed per epoch).
    Learned,
    /// Integer delays drawn uniformly in `0..K` and kept.
    Random,
}

/// The delays of one hidden layer, as an experiment file gives them.
#[derive(Debug, Clone, Copy, PartialEq)]
/// The delays of one hidden layer (`delays`).
pub struct DelaySpec {
    /// How they are set.
    pub mode: DelayMode,
    /// Kernel size K in steps (odd): delays span `0..K` steps.
    pub kernel_size: usize,
    /// Learning rate of the positions over that of the weights.
    pub lr_scale: f64,
    /// Fraction of the epochs, at the end, over which the Gaussian's width
    /// shrinks geometrically from the reference's to [`SHARP_WIDTH`]
    /// (0: the reference schedule, width |σ| + 0.27 to the end).
    pub sharpen: f64,
    /// Epochs at the end trained on the rounded delays, positions frozen:
    /// the σ schedule and the sharpening run over the epochs before them.
    pub retrain: usize,
}

/// The Gaussian's width in the last epoch of a sharpened schedule. A
/// position 0.45 step from an integer then puts 99 % of its weight on the
/// nearest tap, so rounding it afterwards changes (almost) nothing.
pub const SHARP_WIDTH: f64 = 0.1;

/// A LIF layer behind per-synapse delays (see the module documentation).
#[derive(Debug, Clone)]
pub struct DelayedLif<T> {
    /// The neurons: `n_out -> n_out` identity weights, no recurrence.
    pub neurons: Lif<T>,
    /// Input width.
    pub n_in: usize,
    /// `outputs x inputs`, row-major (the DCLS layout).
    pub w: Vec<T>,
    /// `outputs x inputs` positions in `[-K/2, K/2]`; delay = `K/2 - p`.
    pub pos: Vec<T>,
    /// How the delays are set.
    pub spec: DelaySpec,
    /// Current width of the Gaussian interpolation, taps.
    pub sigma: f64,
    /// Added to |σ| for the Gaussian's width (see [`Dcls1d::floor`]).
    pub floor: f64,
    /// How the kernel is built (Gaussian in training, one tap in evaluation).
    pub shape: KernelShape,
    /// Total epochs of the run, for the σ schedule.
    pub epochs: usize,
}

/// Index of the positions in [`Layer::params`] (after the LIF's four).
pub const POSITIONS: usize = 4;

impl<T: Real> DelayedLif<T> {
    /// Wraps a dense feed-forward `lif`, keeping its weights; positions
    /// are drawn uniformly from `rng` (rounded for random delays).
    pub fn wrap(lif: &Lif<T>, spec: DelaySpec, epochs: usize, rng: &mut Pcg64) -> Self {
        let (n_in, n) = (lif.n_in, lif.n_out);
        let h = (spec.kernel_size / 2) as f64;
        let mut w = vec![T::zero(); n * n_in];
        for i in 0..n_in {
            for j in 0..n {
                w[j * n_in + i] = lif.w[i * n + j];
            }
        }
        let pos = (0..n * n_in)
            .map(|_| {
                let p: f64 = rng.random_range(-h..=h);
                T::from_f64(match spec.mode {
                    DelayMode::Learned => p,
                    DelayMode::Random => p.round(),
                })
            })
            .collect();
        let mut identity = vec![T::zero(); n * n];
        for j in 0..n {
            identity[j * n + j] = T::one();
        }
        let neurons = Lif {
            n_in: n,
            w: identity,
            rec: Vec::new(),
            ..lif.clone()
        };
        let mut layer = Self {
            neurons,
            n_in,
            w,
            pos,
            spec,
            sigma: 0.0,
            floor: SIGMA_FLOOR,
            shape: KernelShape::Max,
            epochs,
        };
        layer.anneal(0);
        layer
    }

    fn dcls(&self) -> Dcls1d {
        let mut d = Dcls1d::new(
            self.n_in,
            self.neurons.n_out,
            self.spec.kernel_size,
            self.w.iter().map(|v| v.to_f64()).collect(),
            self.pos.iter().map(|v| v.to_f64()).collect(),
        );
        d.sigma = self.sigma;
        d.floor = self.floor;
        d.shape = self.shape;
        d
    }

    /// `[step][n_in]` to the DCLS `inputs x steps` layout.
    fn channels_first(&self, input: &[T], steps: usize) -> Vec<f64> {
        let mut x = vec![0.0; self.n_in * steps];
        for t in 0..steps {
            for i in 0..self.n_in {
                x[i * steps + t] = input[t * self.n_in + i].to_f64();
            }
        }
        x
    }

    /// The delayed drive `D`, `[step][n_out]`, for `steps` steps.
    fn drive(&self, dcls: &Dcls1d, x: &[f64], steps: usize) -> Vec<T> {
        let n = self.neurons.n_out;
        let t_out = dcls.out_len(steps);
        let out = dcls.forward(x, 1, steps);
        let mut d = vec![T::zero(); steps * n];
        for j in 0..n {
            for t in 0..steps {
                d[t * n + j] = T::from_f64(out[j * t_out + t]);
            }
        }
        d
    }

    /// Whether the kernel is the rounded single tap (random delays, the
    /// retraining epochs and after training): positions no longer move.
    fn rounded(&self) -> bool {
        self.shape == KernelShape::Max
    }

    /// Integer delays in steps, input-major (`i * n_out + j`) like [`Lif::w`].
    pub fn integer_delays(&self) -> Vec<usize> {
        let (n_in, n) = (self.n_in, self.neurons.n_out);
        let rows = self.dcls().integer_delays();
        let mut d = vec![0; n_in * n];
        for i in 0..n_in {
            for j in 0..n {
                d[i * n + j] = rows[j * n_in + i];
            }
        }
        d
    }
}

impl<T: Real> Layer<T> for DelayedLif<T> {
    fn n_in(&self) -> usize {
        self.n_in
    }

    fn n_out(&self) -> usize {
        self.neurons.n_out
    }

    fn spiking(&self) -> bool {
        self.neurons.spiking
    }

    fn params(&self) -> Vec<&[T]> {
        let n = &self.neurons;
        vec![&self.w, &n.rec, &n.tau, &n.theta, &self.pos]
    }

    fn params_mut(&mut self) -> Vec<&mut Vec<T>> {
        let n = &mut self.neurons;
        vec![
            &mut self.w,
            &mut n.rec,
            &mut n.tau,
            &mut n.theta,
            &mut self.pos,
        ]
    }

    fn param_names(&self) -> Vec<&'static str> {
        vec!["weights", "recurrent", "tau", "threshold", "positions"]
    }

    fn forward(&self, input: &[T], steps: usize) -> Trace<T> {
        let x = self.channels_first(input, steps);
        let d = self.drive(&self.dcls(), &x, steps);
        self.neurons.forward(&d, steps)
    }

    fn backward(
        &self,
        input: &[T],
        trace: &Trace<T>,
        grad_y: &[T],
        grads: &mut [Vec<T>],
        want_input: bool,
    ) -> Option<Vec<T>> {
        let n = self.neurons.n_out;
        let steps = trace.u.len() / n;
        let dcls = self.dcls();
        let x = self.channels_first(input, steps);
        let d = self.drive(&dcls, &x, steps);
        let mut inner: Vec<Vec<T>> = vec![
            vec![T::zero(); n * n],
            Vec::new(),
            vec![T::zero(); 1],
            vec![T::zero(); 1],
        ];
        let g_d = self
            .neurons
            .backward(&d, trace, grad_y, &mut inner, true)
            .expect("the drive's gradient was asked for");
        grads[2][0] += inner[2][0];
        grads[3][0] += inner[3][0];
        let t_out = dcls.out_len(steps);
        let mut g_out = vec![0.0; n * t_out];
        for t in 0..steps {
            for j in 0..n {
                g_out[j * t_out + t] = g_d[t * n + j].to_f64();
            }
        }
        let g = dcls.backward(&x, 1, steps, &g_out);
        for (a, b) in grads[0].iter_mut().zip(&g.weight) {
            *a += T::from_f64(*b);
        }
        if self.spec.mode == DelayMode::Learned && !self.rounded() {
            for (a, b) in grads[POSITIONS].iter_mut().zip(&g.position) {
                *a += T::from_f64(*b);
            }
        }
        want_input.then(|| {
            let mut gi = vec![T::zero(); steps * self.n_in];
            for t in 0..steps {
                for i in 0..self.n_in {
                    gi[t * self.n_in + i] = T::from_f64(g.input[i * steps + t]);
                }
            }
            gi
        })
    }

    fn extra_steps(&self) -> usize {
        self.spec.kernel_size - 1
    }

    fn lr_scale(&self, param: usize) -> f64 {
        match (param, self.spec.mode) {
            (POSITIONS, DelayMode::Learned) if !self.rounded() => self.spec.lr_scale,
            (POSITIONS, _) => 0.0,
            _ => 1.0,
        }
    }

    fn project(&mut self) {
        let h = T::from_f64((self.spec.kernel_size / 2) as f64);
        for p in &mut self.pos {
            *p = if *p > h {
                h
            } else if *p < -h {
                -h
            } else {
                *p
            };
        }
    }

    /// σ of the reference schedule after `epoch` epochs, the width then
    /// shrinking over the last `sharpen` of the epochs before the `retrain`
    /// ones; from there on the positions are rounded and the kernel is a
    /// single tap.
    fn anneal(&mut self, epoch: usize) {
        let epochs = self.epochs.saturating_sub(self.spec.retrain).max(1);
        if self.spec.mode == DelayMode::Random || epoch >= epochs {
            self.project();
            self.pos
                .iter_mut()
                .for_each(|p| *p = T::from_f64(p.to_f64().round()));
            self.sigma = 0.0;
            self.floor = SIGMA_FLOOR;
            self.shape = KernelShape::Max;
            return;
        }
        let schedule = SigmaSchedule::reference(self.spec.kernel_size, epochs);
        self.shape = KernelShape::Gauss;
        self.sigma = schedule.sigma_after(epoch);
        self.floor = SIGMA_FLOOR;
        let sharp = (self.spec.sharpen * epochs as f64).round() as usize;
        let start = epochs - sharp.min(epochs);
        if epoch >= start {
            // Geometric from the width at `start` down to SHARP_WIDTH in the
            // last epoch, so that the weights can follow the narrowing bumps
            // (rounding a width-0.5 Gaussian in one go raises the peaks of
            // the synapses by up to ~27 % and loses most of what was learned).
            let from = schedule.sigma_after(start).abs() + SIGMA_FLOOR;
            let done = (epoch - start + 1) as f64 / sharp as f64;
            self.sigma = 0.0;
            self.floor = from * (SHARP_WIDTH / from).powf(done);
        }
    }

    fn delayed(&self) -> Option<(Lif<T>, Vec<usize>)> {
        let (n_in, n) = (self.n_in, self.neurons.n_out);
        let mut w = vec![T::zero(); n_in * n];
        for i in 0..n_in {
            for j in 0..n {
                w[i * n + j] = self.w[j * n_in + i];
            }
        }
        let lif = Lif {
            n_in,
            w,
            ..self.neurons.clone()
        };
        Some((lif, self.integer_delays()))
    }
}

/// Puts delays on the hidden layers that `specs` names (`None` = none),
/// positions drawn from `seed`.
pub fn attach_delays(
    net: &mut Network<f32>,
    specs: &[Option<DelaySpec>],
    epochs: usize,
    seed: u64,
) {
    let mut rng = Pcg64::seed_from_u64(seed ^ 0xDE1A_7500);
    for (layer, spec) in net.layers.iter_mut().zip(specs) {
        if let Some(spec) = spec {
            let lif = layer.as_lif().expect("delays go on LIF layers").clone();
            *layer = Box::new(DelayedLif::wrap(&lif, *spec, epochs, &mut rng));
        }
    }
}
