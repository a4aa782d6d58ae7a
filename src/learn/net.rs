//! A layered network trained through time: layers in sequence, each reading
//! the previous layer's output one step late, the last one being the
//! read-out, and the cross-entropy loss of its time-summed output.

use std::ops::Range;

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use super::layers::lif::Lif;
use super::layers::{Layer, Trace};
use super::optim::{Grads, TensorVisit, Tensors};
use super::real::Real;
use super::surrogate::Surrogate;

/// How the last layer's output becomes class scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readout {
    /// Non-spiking membrane, averaged over the steps.
    Membrane,
    /// Spiking neurons, spikes counted over the steps.
    SpikeCount,
}

/// A trainable spiking network: a stack of layers and a read-out.
pub struct Network<T: Real> {
    /// The layers, input side first.
    pub layers: Vec<Box<dyn Layer<T>>>,
    /// How the last layer's output becomes class scores.
    pub readout: Readout,
    /// Read only the last this many steps (0: all steps), for tasks whose
    /// answer is due at the end of the sequence.
    pub readout_window: usize,
}

/// The shape of one LIF layer before its weights are drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct LifShape {
    /// Neurons.
    pub size: usize,
    /// Membrane time constant, in steps.
    pub tau: f64,
    /// Threshold, in units of the weights.
    pub threshold: f64,
    /// Whether the layer has recurrent weights.
    pub recurrent: bool,
    /// Whether it fires (the membrane read-out layer does not).
    pub spiking: bool,
    /// Synaptic time constant in steps (CuBa LIF), `None` for LIF.
    pub tau_syn: Option<f64>,
}

/// One sample's outcome.
#[derive(Debug, Clone, Copy)]
pub struct Outcome<T> {
    /// The sample's loss.
    pub loss: T,
    /// The predicted class.
    pub predicted: usize,
}

impl<T: Real> Network<T> {
    /// LIF layers with weights uniform in `±gain sqrt(3 / n_in)` (variance
    /// `gain^2 / n_in`), drawn in layer order from `seed`.
    pub fn lif(
        n_in: usize,
        shapes: &[LifShape],
        readout: Readout,
        surrogate: Surrogate,
        gain: f64,
        seed: u64,
    ) -> Self {
        let mut rng = Pcg64::seed_from_u64(seed);
        let mut layers: Vec<Box<dyn Layer<T>>> = Vec::new();
        let mut n_prev = n_in;
        for shape in shapes {
            let n = shape.size;
            let bound = gain * (3.0 / n_prev as f64).sqrt();
            let mut draw = |len: usize, bound: f64| -> Vec<T> {
                (0..len)
                    .map(|_| T::from_f64(rng.random_range(-bound..bound)))
                    .collect()
            };
            let w = draw(n_prev * n, bound);
            let rec = if shape.recurrent {
                draw(n * n, gain * (3.0 / n as f64).sqrt())
            } else {
                Vec::new()
            };
            layers.push(Box::new(Lif {
                n_in: n_prev,
                n_out: n,
                w,
                rec,
                tau: vec![T::from_f64(shape.tau)],
                theta: vec![T::from_f64(shape.threshold)],
                spiking: shape.spiking,
                surrogate,
                tau_syn: shape.tau_syn,
            }));
            n_prev = n;
        }
        Self {
            layers,
            readout,
            readout_window: 0,
        }
    }

    /// Input channels.
    pub fn n_in(&self) -> usize {
        self.layers[0].n_in()
    }

    /// Output classes.
    pub fn classes(&self) -> usize {
        self.layers.last().map_or(0, |l| l.n_out())
    }

    /// Steps simulated for an input of `input_steps`: one more per layer, so
    /// that the last input step reaches the read-out.
    pub fn steps(&self, input_steps: usize) -> usize {
        input_steps + self.layers.len() + self.layers.iter().map(|l| l.extra_steps()).sum::<usize>()
    }

    /// Gradients of every tensor, zero.
    pub fn zero_grads(&self) -> Grads<T> {
        self.layers
            .iter()
            .map(|l| {
                l.params()
                    .iter()
                    .map(|p| vec![T::zero(); p.len()])
                    .collect()
            })
            .collect()
    }

    /// Runs every layer; `input` is `[step][n_in]` for `input_steps` steps.
    pub fn forward(&self, input: &[T], input_steps: usize) -> Vec<Trace<T>> {
        self.forward_noisy(input, input_steps, 0)
    }

    /// [`Network::forward`] with the random streams of `noise_seed` (see
    /// [`Layer::forward_noisy`]).
    pub fn forward_noisy(&self, input: &[T], input_steps: usize, noise_seed: u64) -> Vec<Trace<T>> {
        let steps = self.steps(input_steps);
        let mut x = input.to_vec();
        x.resize(steps * self.n_in(), T::zero());
        let mut traces: Vec<Trace<T>> = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let trace = layer.forward_noisy(traces.last().map_or(&x, |t| &t.y), steps, noise_seed);
            traces.push(trace);
        }
        traces
    }

    /// Class scores from the read-out's output.
    pub fn scores(&self, out: &Trace<T>) -> Vec<T> {
        let n = self.classes();
        let steps = out.y.len() / n;
        let first = self.window_start(steps);
        let mut z = vec![T::zero(); n];
        for row in out.y[first * n..].chunks(n) {
            for (s, &y) in z.iter_mut().zip(row) {
                *s += y;
            }
        }
        if self.readout == Readout::Membrane {
            let scale = T::one() / T::from_f64((steps - first) as f64);
            z.iter_mut().for_each(|s| *s *= scale);
        }
        z
    }

    /// First step the read-out counts.
    fn window_start(&self, steps: usize) -> usize {
        match self.readout_window {
            0 => 0,
            w => steps.saturating_sub(w),
        }
    }

    /// The class predicted for `input` (`input_steps` steps of the input channels).
    pub fn predict(&self, input: &[T], input_steps: usize) -> usize {
        let traces = self.forward(input, input_steps);
        argmax(&self.scores(traces.last().expect("at least one layer")))
    }

    /// Loss and prediction for one sample, adding its gradients to `grads`.
    pub fn backprop(
        &self,
        input: &[T],
        input_steps: usize,
        label: usize,
        grads: &mut Grads<T>,
    ) -> Outcome<T> {
        self.backprop_noisy(input, input_steps, label, grads, 0)
    }

    /// [`Network::backprop`] with the random streams of `noise_seed`.
    pub fn backprop_noisy(
        &self,
        input: &[T],
        input_steps: usize,
        label: usize,
        grads: &mut Grads<T>,
        noise_seed: u64,
    ) -> Outcome<T> {
        self.backprop_masked(input, input_steps, label, grads, noise_seed, None)
    }

    /// [`Network::backprop_noisy`] with the softmax over the classes of
    /// `classes` only (a per-task head: the other outputs get no gradient
    /// and are never predicted).
    pub fn backprop_masked(
        &self,
        input: &[T],
        input_steps: usize,
        label: usize,
        grads: &mut Grads<T>,
        noise_seed: u64,
        classes: Option<Range<usize>>,
    ) -> Outcome<T> {
        let steps = self.steps(input_steps);
        let mut x = input.to_vec();
        x.resize(steps * self.n_in(), T::zero());
        let traces = self.forward_noisy(input, input_steps, noise_seed);
        let mut z = self.scores(traces.last().expect("at least one layer"));
        mask_scores(&mut z, classes);
        let (loss, dz) = cross_entropy(&z, label);
        let n = self.classes();
        let first = self.window_start(steps);
        let per_step = match self.readout {
            Readout::Membrane => T::one() / T::from_f64((steps - first) as f64),
            Readout::SpikeCount => T::one(),
        };
        let mut grad_y: Vec<T> = (0..steps)
            .flat_map(|t| {
                let w = if t < first { T::zero() } else { per_step };
                dz.iter().map(move |&d| d * w)
            })
            .collect();
        debug_assert_eq!(grad_y.len(), steps * n);
        for l in (0..self.layers.len()).rev() {
            let input = if l == 0 { &x } else { &traces[l - 1].y };
            let back = self.layers[l].backward(input, &traces[l], &grad_y, &mut grads[l], l > 0);
            if let Some(g) = back {
                grad_y = g;
            }
        }
        Outcome {
            loss,
            predicted: argmax(&z),
        }
    }

    /// Loss of one sample (for finite differences).
    pub fn loss(&self, input: &[T], input_steps: usize, label: usize) -> T {
        let traces = self.forward(input, input_steps);
        cross_entropy(
            &self.scores(traces.last().expect("at least one layer")),
            label,
        )
        .0
    }
}

impl Tensors for Network<f32> {
    fn zero_grads(&self) -> Grads<f32> {
        Network::zero_grads(self)
    }

    fn for_each_tensor_mut(&mut self, f: &mut TensorVisit<'_>) {
        for (l, layer) in self.layers.iter_mut().enumerate() {
            let scales: Vec<f64> = (0..layer.params().len())
                .map(|p| layer.lr_scale(p))
                .collect();
            for (p, param) in layer.params_mut().into_iter().enumerate() {
                f(l, p, scales[p], param);
            }
        }
    }
}

/// The population of layer `l` of `layers` in the exported model; a meta
/// layer's random streams are named after it (in the trainer and in the
/// simulator alike).
pub fn population_name(layers: usize, l: usize) -> String {
    if l + 1 == layers {
        "readout".into()
    } else {
        format!("hidden{l}")
    }
}

/// Sets the scores outside `classes` to −∞ (no effect for `None`).
pub fn mask_scores<T: Real>(z: &mut [T], classes: Option<Range<usize>>) {
    if let Some(keep) = classes {
        for (c, s) in z.iter_mut().enumerate() {
            if !keep.contains(&c) {
                *s = T::from_f64(f64::NEG_INFINITY);
            }
        }
    }
}

/// First index of the largest score.
pub fn argmax<T: Real>(z: &[T]) -> usize {
    let mut best = 0;
    for (i, &v) in z.iter().enumerate() {
        if v > z[best] {
            best = i;
        }
    }
    best
}

/// `-ln softmax(z)[label]` and its gradient `softmax(z) - onehot(label)`.
pub fn cross_entropy<T: Real>(z: &[T], label: usize) -> (T, Vec<T>) {
    let max = z
        .iter()
        .copied()
        .fold(z[0], |a, b| if b > a { b } else { a });
    let e: Vec<T> = z.iter().map(|&v| (v - max).exp()).collect();
    let sum: T = e.iter().copied().sum();
    let loss = sum.ln() - (z[label] - max);
    let grad = e
        .iter()
        .enumerate()
        .map(|(i, &v)| v / sum - if i == label { T::one() } else { T::zero() })
        .collect();
    (loss, grad)
}
