//! The training loop: the network an experiment describes, mini-batches
//! computed in parallel and reduced in a fixed order (so results do not
//! depend on the thread count), evaluation, the metrics and state a run
//! carries from epoch to epoch (checkpointed by [`super::record`]).

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use rayon::prelude::*;

use super::data::{Data, Prepared};
use super::experiment::{Experiment, Rule};
use super::online::online_grads;
use super::schedule::clip_grad_norm;
use crate::io::IoError;
use crate::learn::delays::layer::attach_delays;
use crate::learn::layers::l2mu::layer::L2muLayer;
use crate::learn::layers::meta::MetaLayer;
use crate::learn::net::Network;
use crate::learn::optim::{Grads, Optimizer, accumulate};
use crate::model::memory;

/// The network an experiment describes, drawn from its seed.
pub fn build_network(exp: &Experiment, channels: usize, classes: usize) -> Network<f32> {
    let mut shapes = exp.layers.clone();
    if let Some(out) = shapes.last_mut() {
        out.size = classes;
    }
    let mut net = Network::lif(
        channels,
        &shapes,
        exp.readout,
        exp.surrogate,
        exp.init_gain,
        exp.seed,
    );
    net.readout_window = exp.readout_window;
    let slope = match exp.surrogate {
        crate::learn::surrogate::Surrogate::FastSigmoid { slope } => slope,
        crate::learn::surrogate::Surrogate::Arctan { .. } => 25.0, // refused by validation
    };
    for (i, shape) in &exp.l2mu_layers {
        let n_in = if *i == 0 {
            channels
        } else {
            shapes[i - 1].size
        };
        let seed = exp.seed ^ (*i as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F);
        net.layers[*i] = Box::new(L2muLayer::new(n_in, shape, slope, seed));
    }
    for (i, shape) in &exp.meta_layers {
        let lif = net.layers[*i]
            .as_lif()
            .expect("a meta layer is drawn as a LIF layer")
            .clone();
        let name = crate::learn::net::population_name(net.layers.len(), *i);
        net.layers[*i] = Box::new(MetaLayer::new(lif, shape, exp.learn_escape, name));
    }
    attach_delays(&mut net, &exp.delays, exp.epochs, exp.seed);
    net
}

/// One epoch's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochMetrics {
    /// The epoch, from 1.
    pub epoch: usize,
    /// Mean loss over the training set.
    pub train_loss: f64,
    /// Fraction of training samples classified right.
    pub train_accuracy: f64,
    /// Mean loss over the test set.
    pub test_loss: f64,
    /// Fraction of test samples classified right.
    pub test_accuracy: f64,
    /// Wall-clock time of the epoch, seconds.
    pub seconds: f64,
}

/// Everything a run carries from epoch to epoch (what a checkpoint holds).
pub struct TrainState {
    /// The network.
    pub net: Network<f32>,
    /// The optimiser and its moments.
    pub optimizer: Optimizer,
    /// The metrics of each epoch done.
    pub history: Vec<EpochMetrics>,
}

impl TrainState {
    /// A fresh run of `exp`: initial weights from its seed, for the shapes of `data`.
    pub fn new(exp: &Experiment, data: &Data) -> Self {
        let net = build_network(exp, data.train.channels, data.classes);
        let optimizer = Optimizer::new(exp.optimizer, exp.lr, &net);
        Self {
            net,
            optimizer,
            history: Vec::new(),
        }
    }

    /// Epochs done.
    pub fn epochs_done(&self) -> usize {
        self.history.len()
    }
}

/// The order of the training samples in `epoch` (0-based): a Fisher-Yates
/// shuffle seeded from the experiment seed and the epoch alone, so that a
/// resumed run sees the same order as an uninterrupted one.
pub fn epoch_order(seed: u64, epoch: usize, n: usize) -> Vec<usize> {
    let mut rng =
        Pcg64::seed_from_u64(seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        order.swap(i, j);
    }
    order
}

/// The noise seed of training sample `i` in `epoch`: a function of the
/// experiment seed, the epoch and the sample alone, so stochastic layers
/// draw the same numbers whatever thread computes the sample.
pub fn training_noise_seed(seed: u64, epoch: usize, i: usize) -> u64 {
    let mut h = seed ^ 0x6D65_7461_6E6F_6973; // "metanois"
    for part in [epoch as u64, i as u64] {
        h = (h ^ part).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^= h >> 29;
    }
    h
}

/// The noise seed of evaluation sample `i`: `i` itself, the seed its
/// exported model runs with (see `export`).
pub fn evaluation_noise_seed(i: usize) -> u64 {
    i as u64
}

fn sample_grads(
    exp: &Experiment,
    net: &Network<f32>,
    data: &Prepared,
    (epoch, i): (usize, usize),
) -> (Grads<f32>, f64, bool) {
    let x = data.input(i);
    let mut grads = net.zero_grads();
    let noise = training_noise_seed(exp.seed, epoch, i);
    let outcome = match exp.rule {
        Rule::Bptt => net.backprop_noisy(&x, data.steps, data.labels[i], &mut grads, noise),
        Rule::Online => online_grads(net, &x, data.steps, data.labels[i], &mut grads),
    };
    (
        grads,
        f64::from(outcome.loss),
        outcome.predicted == data.labels[i],
    )
}

/// Zeroes the gradients of the time-constant and threshold tensors that
/// are kept fixed (`learn_tau`, `learn_threshold` false).
pub(crate) fn freeze_neuron_params(
    net: &Network<f32>,
    grads: &mut Grads<f32>,
    learn_tau: bool,
    learn_threshold: bool,
) {
    for (layer, g) in net.layers.iter().zip(grads.iter_mut()) {
        let [tau, threshold] = layer.neuron_tensors();
        if !learn_tau {
            g[tau].iter_mut().for_each(|g| *g = 0.0);
        }
        if !learn_threshold {
            g[threshold].iter_mut().for_each(|g| *g = 0.0);
        }
    }
}

/// The mean of per-sample gradients, added in the order given whatever
/// thread computed them, so the sum does not depend on the thread count.
pub(crate) fn mean_in_order<'a>(
    net: &Network<f32>,
    parts: impl ExactSizeIterator<Item = &'a Grads<f32>>,
) -> Grads<f32> {
    let scale = 1.0 / parts.len().max(1) as f32;
    let mut total = net.zero_grads();
    for g in parts {
        accumulate(&mut total, g);
    }
    total
        .iter_mut()
        .flatten()
        .flatten()
        .for_each(|g| *g *= scale);
    total
}

/// Keeps time constants and thresholds where the neuron model makes sense.
pub(crate) fn clamp(net: &mut Network<f32>) {
    for layer in &mut net.layers {
        layer.constrain();
        layer.project();
    }
}

/// Trains one epoch; returns mean loss and accuracy over the training set.
pub fn train_epoch(
    exp: &Experiment,
    state: &mut TrainState,
    data: &Prepared,
    bar: &ProgressBar,
) -> (f64, f64) {
    let epoch = state.epochs_done();
    let order = epoch_order(exp.seed, epoch, data.len());
    state.optimizer.lr = exp.lr * exp.lr_schedule.factor(epoch, exp.epochs);
    let (mut loss, mut correct) = (0.0, 0usize);
    for batch in order.chunks(exp.batch_size) {
        let net = &state.net;
        let parts: Vec<(Grads<f32>, f64, bool)> = batch
            .par_iter()
            .map(|&i| sample_grads(exp, net, data, (epoch, i)))
            .collect();
        let mut total = mean_in_order(net, parts.iter().map(|(g, _, _)| g));
        for (_, l, ok) in &parts {
            loss += l;
            correct += usize::from(*ok);
        }
        freeze_neuron_params(net, &mut total, exp.learn_tau, exp.learn_threshold);
        if let Some(max) = exp.clip_grad_norm {
            clip_grad_norm(&mut total, max);
        }
        state.optimizer.apply(&mut state.net, &total);
        clamp(&mut state.net);
        bar.inc(batch.len() as u64);
    }
    let n = data.len().max(1) as f64;
    (loss / n, correct as f64 / n)
}

/// Mean loss and accuracy over a dataset, and each sample's prediction.
pub fn evaluate(net: &Network<f32>, data: &Prepared) -> (f64, f64, Vec<usize>) {
    let results: Vec<(f64, usize)> = (0..data.len())
        .into_par_iter()
        .map(|i| {
            let x = data.input(i);
            let traces = net.forward_noisy(&x, data.steps, evaluation_noise_seed(i));
            let z = net.scores(traces.last().expect("at least one layer"));
            let (loss, _) = crate::learn::net::cross_entropy(&z, data.labels[i]);
            (f64::from(loss), crate::learn::net::argmax(&z))
        })
        .collect();
    let n = data.len().max(1) as f64;
    let loss = results.iter().map(|r| r.0).sum::<f64>() / n;
    let correct = results
        .iter()
        .zip(&data.labels)
        .filter(|((_, p), l)| p == *l)
        .count();
    (
        loss,
        correct as f64 / n,
        results.into_iter().map(|r| r.1).collect(),
    )
}

/// A rayon pool of the experiment's thread count (0 = all cores).
pub fn pool(threads: usize) -> rayon::ThreadPool {
    try_pool(threads).unwrap_or_else(|e| panic!("{e}"))
}

/// [`pool`], with at most [`memory::workers_for`] threads, and a failure to
/// start them returned as an error.
pub fn try_pool(threads: usize) -> Result<rayon::ThreadPool, std::io::Error> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(memory::workers_for(threads as u64))
        .build()
        .map_err(|e| std::io::Error::other(format!("{threads} threads: {e}")))
}

/// [`try_pool`] for an experiment, with its file named in the error.
pub fn experiment_pool(exp: &Experiment) -> Result<rayon::ThreadPool, IoError> {
    try_pool(exp.threads).map_err(|source| IoError::File {
        path: exp.path.clone(),
        action: "start the training threads",
        source,
    })
}

/// Trains from `state` up to the experiment's epoch count, calling
/// `after_epoch` after each (metrics, checkpoints).
pub fn train(
    exp: &Experiment,
    data: &Data,
    state: &mut TrainState,
    show_progress: bool,
    after_epoch: &mut dyn FnMut(&TrainState) -> Result<(), IoError>,
) -> Result<(), IoError> {
    let pool = experiment_pool(exp)?;
    let done = state.epochs_done();
    anneal(&mut state.net, done);
    while state.epochs_done() < exp.epochs {
        let started = Instant::now();
        let bar = if show_progress {
            let bar = ProgressBar::new(data.train.len() as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "epoch {msg} [{bar:30}] {pos}/{len} samples ({elapsed})",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar.set_message(format!("{}/{}", state.epochs_done() + 1, exp.epochs));
            bar
        } else {
            ProgressBar::hidden()
        };
        let (train_loss, train_accuracy) =
            pool.install(|| train_epoch(exp, state, &data.train, &bar));
        // After the last epoch, delays are rounded before the evaluation.
        let done = state.epochs_done() + 1;
        anneal(&mut state.net, done);
        let (test_loss, test_accuracy, _) = pool.install(|| evaluate(&state.net, &data.test));
        bar.finish_and_clear();
        state.history.push(EpochMetrics {
            epoch: state.epochs_done() + 1,
            train_loss,
            train_accuracy,
            test_loss,
            test_accuracy,
            seconds: started.elapsed().as_secs_f64(),
        });
        after_epoch(state)?;
    }
    Ok(())
}

/// Sets every layer's schedules for `epoch` (0-based; the epoch count
/// itself means training is over).
fn anneal(net: &mut Network<f32>, epoch: usize) {
    net.layers.iter_mut().for_each(|l| l.anneal(epoch));
}

/// Where a run's files go.
pub fn output_files(dir: &Path) -> [PathBuf; 5] {
    [
        dir.join("metrics.csv"),
        dir.join("metrics.h5"),
        dir.join("learning_curve.png"),
        dir.join("checkpoint.h5"),
        dir.join("model.toml"),
    ]
}
