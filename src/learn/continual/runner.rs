//! The continual-learning runner: one network trained on a sequence of
//! tasks by each method (fine-tuning, EWC, replay, HLOP, multitask joint
//! training), with the accuracy matrix R filled after every task.
//!
//! Every method shares the protocol: the network is drawn from the run's
//! seed; each task is trained for `training.epochs` epochs with a fresh
//! optimiser (the learning rate `lr` for task 0, `lr_continual` after);
//! membrane time constants and thresholds are learned on task 0 only (as
//! in the HLOP reference, only weights change afterwards). Per-sample
//! gradients are computed in parallel and reduced in sample order, so a run
//! is bit-identical for any thread count.
//!
//! HLOP (`algorithms.md` (a)): each projected layer (the hidden layers, and
//! the read-out when the head is shared) has lateral subspace neurons H.
//! From task 1 on, every weight update of a projected layer is taken in the
//! complement of the old tasks' subspace: the gradient is projected,
//! `G ← G − H_oldᵀ (H_old G)` (with SGD this is the reference's projected
//! trace, as `δᵀ x_⊥ = (δᵀ x) P`), and so is the optimiser's step, so that
//! Adam's per-weight scaling cannot lead out of the complement either.
//! After a task's training, H learns the principal subspace of the task's
//! presynaptic traces by Oja's subspace rule (`hlop.epochs` passes), then
//! the rows are merged into the old subspace. The traces are those the
//! weights multiply: a layer's drive is `W p_{t−1}` and its membrane decays
//! by β, so `x̂_t = β x̂_{t−1} + p_{t−1}`, one row per sample and step
//! (steps where it is zero are left out).

use std::ops::Range;

use nalgebra::DMatrix;
use rayon::prelude::*;

use super::ewc::{Ewc, diagonal_fisher};
use super::experiment::{ContinualExperiment, HlopSpec, Method, Protocol, TraceKind};
use super::hlop::HlopLayer;
use super::replay::ReplayBuffer;
use super::tasks::{ClassSplit, Head, PermutedTasks};
use super::{AccuracyMatrix, ForgettingCurves};
use crate::engine::rng;
use crate::learn::net::{Network, argmax, mask_scores};
use crate::learn::optim::Grads;
use crate::learn::optim::Optimizer;
use crate::learn::train::data::{Data, Prepared};
use crate::learn::train::experiment::{Experiment, Rule};
use crate::learn::train::online::online_grads_masked;
use crate::learn::train::schedule::clip_grad_norm;
use crate::learn::train::trainer::{
    build_network, clamp, epoch_order, freeze_neuron_params, mean_in_order,
};

/// A training or test sample of one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// The task it belongs to.
    pub task: usize,
    /// Its index in the dataset.
    pub index: usize,
}

/// How the dataset is cut into tasks.
pub struct TaskSequence {
    permutations: Option<PermutedTasks>,
    split: Option<ClassSplit>,
    train: Vec<Vec<usize>>,
    test: Vec<Vec<usize>>,
}

impl TaskSequence {
    /// Cuts `data` into the tasks of `protocol`, permutations drawn from `task_seed`.
    pub fn new(
        protocol: Protocol,
        task_seed: u64,
        data: &Data,
    ) -> Result<Self, super::tasks::TaskError> {
        let all = |p: &Prepared| (0..p.len()).collect::<Vec<_>>();
        match protocol {
            Protocol::Permuted {
                tasks,
                identity_first,
            } => Ok(Self {
                permutations: Some(PermutedTasks::new(
                    data.train.channels,
                    tasks,
                    task_seed,
                    identity_first,
                )?),
                split: None,
                train: vec![all(&data.train); tasks],
                test: vec![all(&data.test); tasks],
            }),
            Protocol::Split {
                classes_per_task,
                head,
            } => {
                let split = ClassSplit::new(data.classes, classes_per_task, head)?;
                let of = |p: &Prepared| {
                    (0..split.tasks())
                        .map(|t| split.samples_of(t, &p.labels))
                        .collect::<Result<Vec<_>, _>>()
                };
                Ok(Self {
                    train: of(&data.train)?,
                    test: of(&data.test)?,
                    permutations: None,
                    split: Some(split),
                })
            }
        }
    }

    /// Number of tasks.
    pub fn tasks(&self) -> usize {
        self.train.len()
    }

    /// Indices of task `task`'s samples in the training / test set.
    pub fn train_indices(&self, task: usize) -> &[usize] {
        &self.train[task]
    }
    /// The test samples of task `task`, as dataset indices.
    pub fn test_indices(&self, task: usize) -> &[usize] {
        &self.test[task]
    }

    /// The dense `[step][channel]` input of a sample as its task shows it.
    pub fn input(&self, set: &Prepared, s: Sample) -> Vec<f32> {
        let x = set.input(s.index);
        let Some(p) = &self.permutations else {
            return x;
        };
        let map = p.map(s.task).expect("tasks are counted by the sequence");
        let c = set.channels;
        let mut out = vec![0.0; x.len()];
        for (row, src) in out.chunks_mut(c).zip(x.chunks(c)) {
            for (o, &m) in row.iter_mut().zip(map) {
                *o = src[m];
            }
        }
        out
    }

    /// The class a sample is trained and scored as.
    pub fn target(&self, label: usize) -> usize {
        match &self.split {
            Some(split) if split.head == Head::Within => label % split.outputs(),
            _ => label,
        }
    }

    /// Read-out neurons the network needs: one group's worth for a head
    /// shared within tasks, every class otherwise (per-task heads are the
    /// class outputs, masked).
    pub fn outputs(&self, classes: usize) -> usize {
        match &self.split {
            Some(split) if split.head == Head::Within => split.outputs(),
            _ => classes,
        }
    }

    /// The outputs a task's samples are scored on: its own classes with
    /// per-task heads, all of them otherwise.
    pub fn classes(&self, task: usize) -> Option<Range<usize>> {
        match &self.split {
            Some(split) if split.head == Head::PerTask => split.classes_of(task).ok(),
            _ => None,
        }
    }
}

/// Everything a run carries from task to task (what a checkpoint holds;
/// the replay memory is rebuilt from the tasks done).
pub struct RunState {
    /// The network.
    pub net: Network<f32>,
    /// Each HLOP layer's subspace.
    pub hlop: Vec<HlopLayer>,
    /// EWC's consolidated tasks, when the method uses it.
    pub ewc: Option<Ewc>,
    /// The replay memory, when the method uses it.
    pub replay: Option<ReplayBuffer>,
    /// The accuracy matrix so far.
    pub r: AccuracyMatrix,
    /// The forgetting curves so far.
    pub curves: ForgettingCurves,
    /// Tasks trained so far.
    pub tasks_done: usize,
}

/// What one run needs besides its state.
pub struct Run<'a> {
    /// The continual-learning experiment.
    pub exp: &'a ContinualExperiment,
    /// The training experiment with this run's seed.
    pub base: Experiment,
    /// The datasets.
    pub data: &'a Data,
    /// The task sequence.
    pub tasks: &'a TaskSequence,
    /// The method this run trains with.
    pub method: Method,
    /// This run's seed.
    pub seed: u64,
}

/// Why a run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    /// An HLOP setting or state is invalid.
    Hlop(#[from] super::hlop::HlopError),
    #[error("{0} (did training diverge? try a lower learning rate or ewc_lambda)")]
    /// EWC failed (a non-finite Fisher information).
    Ewc(#[from] super::ewc::EwcError),
    #[error("{0}")]
    /// The accuracies cannot be summarised.
    Metrics(#[from] super::MetricsError),
}

impl<'a> Run<'a> {
    /// A run of `method` with seed `seed` (the training experiment `base` carries the same
    /// seed).
    pub fn new(
        exp: &'a ContinualExperiment,
        data: &'a Data,
        tasks: &'a TaskSequence,
        method: Method,
        seed: u64,
    ) -> Self {
        let mut base = exp.base.clone();
        base.seed = seed;
        Self {
            exp,
            base,
            data,
            tasks,
            method,
            seed,
        }
    }

    /// Input dimensions of the projected layers.
    pub fn projected_dims(&self, net: &Network<f32>) -> Vec<usize> {
        let n = super::experiment::projected_layers(&self.exp.base, self.exp.spec.protocol);
        net.layers[..n].iter().map(|l| l.n_in()).collect()
    }

    /// The state before task 0.
    pub fn start(&self) -> Result<RunState, RunError> {
        let spec = &self.exp.spec;
        let outputs = self.tasks.outputs(self.data.classes);
        let net = build_network(&self.base, self.data.train.channels, outputs);
        let hlop = match (&spec.hlop, self.method) {
            (Some(h), Method::Hlop) => {
                let config = h.config(&self.projected_dims(&net), self.seed);
                check_capacity(h, &config, self.tasks.tasks())?;
                config.build()?
            }
            _ => Vec::new(),
        };
        Ok(RunState {
            net,
            hlop,
            ewc: (self.method == Method::Ewc)
                .then(|| Ewc::new(spec.ewc_lambda))
                .transpose()?,
            replay: (self.method == Method::Replay)
                .then(|| ReplayBuffer::new(spec.replay_per_class, self.seed)),
            r: AccuracyMatrix::new(self.tasks.tasks())?,
            curves: ForgettingCurves::default(),
            tasks_done: 0,
        })
    }

    /// The replay memory after `tasks_done` tasks (offers are the only
    /// thing that changes it, so offering again rebuilds it exactly).
    pub fn rebuild_replay(&self, state: &mut RunState) {
        if let Some(buffer) = state.replay.as_mut() {
            *buffer = ReplayBuffer::new(self.exp.spec.replay_per_class, self.seed);
            for task in 0..state.tasks_done {
                self.offer(buffer, task);
            }
        }
    }

    fn offer(&self, buffer: &mut ReplayBuffer, task: usize) {
        let n = self.data.train.len();
        for &i in self.tasks.train_indices(task) {
            buffer.offer(task * n + i, self.data.train.labels[i]);
        }
    }

    /// Trains the next task, evaluates, and does the method's bookkeeping.
    pub fn train_next_task(
        &self,
        state: &mut RunState,
        pool: &rayon::ThreadPool,
    ) -> Result<(), RunError> {
        let task = state.tasks_done;
        let spec = &self.exp.spec;
        if task > 0
            && let Some(h) = &spec.hlop
        {
            for (l, layer) in state.hlop.iter_mut().enumerate() {
                layer.add_subspace(h.layers[l].increment(task))?;
            }
        }
        let samples = self.training_samples(task);
        let lr = match (task, spec.lr_continual) {
            (t, Some(lr)) if t > 0 => lr,
            _ => self.base.lr,
        };
        let mut optimizer = Optimizer::new(self.base.optimizer, lr, &state.net);
        let epochs = self.base.epochs;
        state.curves.boundaries.push(task as f64);
        for epoch in 0..epochs {
            optimizer.lr = lr * self.base.lr_schedule.factor(epoch, epochs);
            pool.install(|| self.train_epoch(state, &mut optimizer, &samples, (task, epoch)))?;
            let accuracy: Vec<f64> = (0..self.tasks.tasks())
                .map(|j| {
                    if j <= task {
                        pool.install(|| self.accuracy(&state.net, j))
                    } else {
                        f64::NAN
                    }
                })
                .collect();
            state
                .curves
                .record(task as f64 + (epoch + 1) as f64 / epochs as f64, accuracy);
        }
        let last = state.curves.accuracy.last().expect("an epoch was trained");
        for (j, &a) in last.iter().enumerate().take(task + 1) {
            state.r.set(task, j, a)?;
        }
        if let Some(h) = &spec.hlop
            && !state.hlop.is_empty()
        {
            pool.install(|| self.learn_subspace(state, h, task))?;
            state.hlop.iter_mut().for_each(HlopLayer::merge_subspace);
        }
        if state.ewc.is_some() {
            let fisher = pool.install(|| self.fisher(&state.net, task))?;
            let params = flatten(&params_of(&state.net));
            if let Some(ewc) = state.ewc.as_mut() {
                ewc.consolidate(fisher, &params)?;
            }
        }
        if let Some(buffer) = state.replay.as_mut() {
            self.offer(buffer, task);
        }
        state.tasks_done += 1;
        Ok(())
    }

    /// The task's samples, or with multitask training every task's so far.
    fn training_samples(&self, task: usize) -> Vec<Sample> {
        let tasks = match self.method {
            Method::Multitask => 0..task + 1,
            _ => task..task + 1,
        };
        tasks
            .flat_map(|t| {
                self.tasks
                    .train_indices(t)
                    .iter()
                    .map(move |&index| Sample { task: t, index })
            })
            .collect()
    }

    fn train_epoch(
        &self,
        state: &mut RunState,
        optimizer: &mut Optimizer,
        samples: &[Sample],
        (task, epoch): (usize, usize),
    ) -> Result<(), RunError> {
        let seed = self.seed ^ (task as u64 + 1).wrapping_mul(0xD6E8_FEB8_6659_FD93);
        let order = epoch_order(seed, epoch, samples.len());
        let n = self.data.train.len();
        for (b, chunk) in order.chunks(self.base.batch_size).enumerate() {
            let mut batch: Vec<Sample> = chunk.iter().map(|&k| samples[k]).collect();
            if task > 0
                && let Some(buffer) = &state.replay
            {
                let mut stream = rng::stream(
                    self.seed,
                    "continual",
                    &format!("replay/{task}/{epoch}/{b}"),
                );
                batch.extend(
                    buffer
                        .batch_from(self.exp.spec.replay_batch, &mut stream)
                        .into_iter()
                        .map(|(id, _)| Sample {
                            task: id / n,
                            index: id % n,
                        }),
                );
            }
            let mut total = self.batch_gradient(&state.net, &batch);
            // Time constants and thresholds learn on task 0 only.
            freeze_neuron_params(
                &state.net,
                &mut total,
                task == 0 && self.base.learn_tau,
                task == 0 && self.base.learn_threshold,
            );
            if let Some(ewc) = &state.ewc
                && ewc.tasks() > 0
            {
                let params = flatten(&params_of(&state.net));
                let mut g = flatten(&as_slices(&total));
                ewc.add_gradient(&params, &mut g)?;
                unflatten(&g, &mut total);
            }
            let projecting = task > 0 && !state.hlop.is_empty();
            if projecting {
                for (l, h) in state.hlop.iter().enumerate() {
                    project_rows(h, &mut total[l][0]);
                }
            }
            if let Some(max) = self.base.clip_grad_norm {
                clip_grad_norm(&mut total, max);
            }
            let before: Vec<Vec<f32>> = if projecting {
                (0..state.hlop.len())
                    .map(|l| state.net.layers[l].params()[0].to_vec())
                    .collect()
            } else {
                Vec::new()
            };
            optimizer.apply(&mut state.net, &total);
            if projecting {
                for (l, h) in state.hlop.iter().enumerate() {
                    let w = &mut state.net.layers[l].params_mut()[0];
                    let mut step: Vec<f32> = w.iter().zip(&before[l]).map(|(a, b)| a - b).collect();
                    project_rows(h, &mut step);
                    for ((w, b), s) in w.iter_mut().zip(&before[l]).zip(&step) {
                        *w = b + s;
                    }
                }
            }
            clamp(&mut state.net);
        }
        Ok(())
    }

    /// The batch's mean gradient, samples reduced in batch order.
    fn batch_gradient(&self, net: &Network<f32>, batch: &[Sample]) -> Grads<f32> {
        let parts: Vec<Grads<f32>> = batch
            .par_iter()
            .map(|&s| self.sample_gradient(net, s))
            .collect();
        mean_in_order(net, parts.iter())
    }

    fn sample_gradient(&self, net: &Network<f32>, s: Sample) -> Grads<f32> {
        let set = &self.data.train;
        let x = self.tasks.input(set, s);
        let label = self.tasks.target(set.labels[s.index]);
        let keep = self.tasks.classes(s.task);
        let mut grads = net.zero_grads();
        match self.base.rule {
            Rule::Bptt => net.backprop_masked(&x, set.steps, label, &mut grads, 0, keep),
            Rule::Online => online_grads_masked(net, &x, set.steps, label, &mut grads, keep),
        };
        grads
    }

    /// Test accuracy on one task.
    pub fn accuracy(&self, net: &Network<f32>, task: usize) -> f64 {
        let set = &self.data.test;
        let indices = self.tasks.test_indices(task);
        let correct: usize = indices
            .par_iter()
            .map(|&index| {
                let x = self.tasks.input(set, Sample { task, index });
                let traces = net.forward(&x, set.steps);
                let mut z = net.scores(traces.last().expect("at least one layer"));
                mask_scores(&mut z, self.tasks.classes(task));
                usize::from(argmax(&z) == self.tasks.target(set.labels[index]))
            })
            .sum();
        correct as f64 / indices.len().max(1) as f64
    }

    /// Diagonal empirical Fisher information of the task, from the
    /// per-sample gradients of its first `ewc_samples` training samples
    /// (in a seeded order).
    fn fisher(&self, net: &Network<f32>, task: usize) -> Result<Vec<f64>, RunError> {
        let indices = self.tasks.train_indices(task);
        let order = epoch_order(self.seed ^ 0xF15E_A11E, task, indices.len());
        let take = self.exp.spec.ewc_samples.min(indices.len());
        let gradients: Vec<Vec<f64>> = order[..take]
            .par_iter()
            .map(|&k| {
                let g = self.sample_gradient(
                    net,
                    Sample {
                        task,
                        index: indices[k],
                    },
                );
                flatten(&as_slices(&g))
            })
            .collect();
        Ok(diagonal_fisher(gradients.iter().map(Vec::as_slice))?)
    }

    /// Oja's subspace rule on the task's presynaptic traces, batch by batch.
    fn learn_subspace(
        &self,
        state: &mut RunState,
        h: &HlopSpec,
        task: usize,
    ) -> Result<(), RunError> {
        let indices = self.tasks.train_indices(task);
        for pass in 0..h.epochs {
            let seed = self.seed ^ 0x4EB8_1A7E ^ (task as u64) << 20;
            let order = epoch_order(seed, pass, indices.len());
            for chunk in order.chunks(self.base.batch_size) {
                let batch: Vec<usize> = chunk.iter().map(|&k| indices[k]).collect();
                let traces = self.presynaptic_traces(&state.net, state.hlop.len(), task, &batch);
                for (layer, x) in state.hlop.iter_mut().zip(&traces) {
                    if x.nrows() > 0 {
                        layer.hebbian_update(x)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn trace_kind(&self) -> TraceKind {
        self.exp
            .spec
            .hlop
            .as_ref()
            .map_or(TraceKind::Steps, |h| h.trace)
    }

    /// Per projected layer, the batch's traces `x̂_t` (one row per sample
    /// and step where the trace is non-zero), in sample order.
    pub fn presynaptic_traces(
        &self,
        net: &Network<f32>,
        layers: usize,
        task: usize,
        batch: &[usize],
    ) -> Vec<DMatrix<f64>> {
        let set = &self.data.train;
        let per_sample: Vec<Vec<Vec<f64>>> = batch
            .par_iter()
            .map(|&index| {
                let x = self.tasks.input(set, Sample { task, index });
                let steps = net.steps(set.steps);
                let mut padded = x.clone();
                padded.resize(steps * net.n_in(), 0.0);
                let outs = net.forward(&x, set.steps);
                (0..layers)
                    .map(|l| {
                        let pre = if l == 0 { &padded } else { &outs[l - 1].y };
                        let layer = &net.layers[l];
                        let beta = layer.as_lif().map_or(0.0, |lif| lif.beta());
                        let rows = filtered_rows(pre, layer.n_in(), f64::from(beta));
                        if layer.spiking() && self.trace_kind() == TraceKind::Steps {
                            rows
                        } else {
                            mean_row(&rows, layer.n_in())
                        }
                    })
                    .collect()
            })
            .collect();
        (0..layers)
            .map(|l| {
                let n = net.layers[l].n_in();
                let flat: Vec<f64> = per_sample.iter().flat_map(|s| s[l].clone()).collect();
                DMatrix::from_row_slice(flat.len() / n, n, &flat)
            })
            .collect()
    }

    /// Runs the remaining tasks, calling `after_task` after each; stops
    /// early (returning `false`) once `budget` tasks have been trained.
    pub fn run(
        &self,
        state: &mut RunState,
        pool: &rayon::ThreadPool,
        budget: &mut Option<usize>,
        after_task: &mut dyn FnMut(&RunState) -> Result<(), crate::Error>,
    ) -> Result<bool, crate::Error> {
        while state.tasks_done < self.tasks.tasks() {
            if *budget == Some(0) {
                return Ok(false);
            }
            self.train_next_task(state, pool).map_err(|e| {
                crate::Error::Usage(format!(
                    "{} seed {}, task {}: {e}",
                    self.method.name(),
                    self.seed,
                    state.tasks_done
                ))
            })?;
            if let Some(b) = budget.as_mut() {
                *b -= 1;
            }
            after_task(state)?;
        }
        Ok(true)
    }
}

/// The whole sequence must fit each layer: `initial` plus the increment
/// of every later task at most the layer's input dimension.
fn check_capacity(
    h: &HlopSpec,
    config: &super::hlop::HlopConfig,
    tasks: usize,
) -> Result<(), RunError> {
    for (l, c) in config.layers.iter().enumerate() {
        let total: usize = c.initial + (1..tasks).map(|t| h.layers[l].increment(t)).sum::<usize>();
        if total > c.dim {
            return Err(RunError::Hlop(super::hlop::HlopError::Layer {
                layer: l,
                field: "increments",
                message: format!(
                    "{total} subspace neurons over {tasks} tasks exceed the layer's input dimension {}",
                    c.dim
                ),
            }));
        }
    }
    Ok(())
}

/// `x̂_t = β x̂_{t−1} + p_{t−1}` over the steps of `pre` (`[step][n]`),
/// the non-zero rows flattened.
fn filtered_rows(pre: &[f32], n: usize, beta: f64) -> Vec<f64> {
    let steps = pre.len() / n;
    let mut trace = vec![0.0f64; n];
    let mut rows = Vec::new();
    for t in 1..steps {
        let p = &pre[(t - 1) * n..t * n];
        for (x, &s) in trace.iter_mut().zip(p) {
            *x = beta * *x + f64::from(s);
        }
        if trace.iter().any(|&v| v.abs() > 1e-12) {
            rows.extend_from_slice(&trace);
        }
    }
    rows
}

/// The mean of the rows: a non-spiking read-out's time-averaged membrane
/// is `W` times the sum of its traces, so one vector per sample (in that
/// direction) is what its weights must keep; the mean keeps its scale
/// near the per-step traces' for the Hebbian learning rate.
fn mean_row(rows: &[f64], n: usize) -> Vec<f64> {
    let count = rows.len() / n;
    if count == 0 {
        return Vec::new();
    }
    let mut mean = vec![0.0; n];
    for row in rows.chunks(n) {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += v / count as f64;
        }
    }
    mean
}

/// `G ← G − H_oldᵀ (H_old G)` for a weight tensor stored input-major
/// (`[n_in][n_out]`): the update leaves the old subspace of the inputs.
fn project_rows(h: &HlopLayer, g: &mut [f32]) {
    if h.fixed() == 0 {
        return;
    }
    let n_in = h.dim();
    let n_out = g.len() / n_in;
    let gm = DMatrix::from_fn(n_in, n_out, |i, j| f64::from(g[i * n_out + j]));
    let old = h.old_rows();
    let projected = &gm - old.transpose() * (&old * &gm);
    for i in 0..n_in {
        for j in 0..n_out {
            g[i * n_out + j] = projected[(i, j)] as f32;
        }
    }
}

fn params_of(net: &Network<f32>) -> Vec<Vec<&[f32]>> {
    net.layers.iter().map(|l| l.params()).collect()
}

fn as_slices(g: &Grads<f32>) -> Vec<Vec<&[f32]>> {
    g.iter()
        .map(|l| l.iter().map(Vec::as_slice).collect())
        .collect()
}

/// Every tensor of every layer, in order, as one f64 vector.
fn flatten(tensors: &[Vec<&[f32]>]) -> Vec<f64> {
    tensors
        .iter()
        .flatten()
        .flat_map(|t| t.iter().map(|&v| f64::from(v)))
        .collect()
}

fn unflatten(flat: &[f64], into: &mut Grads<f32>) {
    for (v, &f) in into.iter_mut().flatten().flatten().zip(flat) {
        *v = f as f32;
    }
}
