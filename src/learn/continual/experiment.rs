//! Continual-learning experiment files: a training experiment (`[data]`,
//! `[[layer]]`, `[readout]`, `[training]`, `[output]`, see
//! `learn::train::experiment`; `training.epochs` is the epoch count per task) plus
//!
//! ```toml
//! [continual]
//! protocol = "permuted"        # or "split"
//! tasks = 10                   # permuted: how many permutations
//! identity_first = false       # permuted: task 0 unpermuted
//! classes_per_task = 2         # split: consecutive classes per task
//! head = "per_task"            # split: "per_task" (one head per task: the
//!                              # other tasks' outputs masked), "shared" (one
//!                              # output per class, class-incremental) or
//!                              # "within" (one head of classes_per_task
//!                              # outputs for all tasks, domain-incremental)
//! task_seed = 2022             # permutations
//! methods = ["finetune", "ewc", "replay", "hlop", "multitask"]
//! seeds = [1, 2, 3]            # network / order seeds, one run per method and seed
//! lr_continual = 1e-3          # optional: learning rate after the first task
//! ewc_lambda = 1000.0
//! ewc_samples = 256            # samples per task for the Fisher information
//! replay_per_class = 10        # replay memory, samples per class
//! replay_batch = 16            # replayed samples added to each batch
//!
//! [hlop]                       # needed by method "hlop"
//! # one entry per projected weight layer: the hidden layers, then the
//! # read-out when the head is shared
//! layers = [{ initial = 20, increments = [10], learning_rate = 0.01 }, ...]
//! iterations = 5               # Hebbian repetitions per batch
//! clamp = 10.0
//! epochs = 1                   # Hebbian passes over a task's data after it
//! trace = "steps"              # or "mean": one trace per sample (see TraceKind)
//! spiking = { scale = 20.0, steps = 40 }   # optional spiking lateral neurons
//! ```

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::hlop::{HlopConfig, HlopLayerConfig, SpikeQuantiser};
use super::tasks::Head;
use crate::learn::bounds;
use crate::learn::train::experiment::{Experiment, parse_experiment, read_experiment_file, span};
use crate::model::ModelError;
use crate::model::error::Source;

/// How a dataset becomes a sequence of tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Every task is the whole dataset with its input channels permuted.
    Permuted {
        /// Number of tasks.
        tasks: usize,
        /// Whether task 0 keeps the original channel order.
        identity_first: bool,
    },
    /// Task t holds classes `t·k .. (t+1)·k`.
    Split {
        /// Classes per task.
        classes_per_task: usize,
        /// One shared output head, or one per task.
        head: Head,
    },
}

/// A continual-learning method; all of them run in the same runner on the
/// same network, data and seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    /// Plain sequential training (the lower bound).
    Finetune,
    /// Elastic weight consolidation.
    Ewc,
    /// A small class-balanced replay memory.
    Replay,
    /// Hebbian learning based orthogonal projection.
    Hlop,
    /// After task t, training on the union of tasks 0..=t (the upper bound).
    Multitask,
}

impl Method {
    /// The method's name in experiment files and results.
    pub fn name(self) -> &'static str {
        match self {
            Method::Finetune => "finetune",
            Method::Ewc => "ewc",
            Method::Replay => "replay",
            Method::Hlop => "hlop",
            Method::Multitask => "multitask",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        [
            Method::Finetune,
            Method::Ewc,
            Method::Replay,
            Method::Hlop,
            Method::Multitask,
        ]
        .into_iter()
        .find(|m| m.name() == name)
    }
}

/// HLOP settings whose layer dimensions the network fixes.
#[derive(Debug, Clone, PartialEq)]
pub struct HlopSpec {
    /// `dim` is left 0 here: the network gives it ([`HlopSpec::config`]).
    pub layers: Vec<HlopLayerConfig>,
    /// Repetitions of the Hebbian update per batch.
    pub iterations: usize,
    /// Bound on the subspace weights.
    pub clamp: f64,
    /// Spiking lateral neurons, when given.
    pub spiking: Option<SpikeQuantiser>,
    /// Hebbian passes over a task's training data after its training.
    pub epochs: usize,
    /// Which presynaptic traces the lateral neurons learn from.
    pub trace: TraceKind,
}

/// The presynaptic traces HLOP learns from and projects out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceKind {
    /// Spiking layers: every step's trace `x̂_t`; a non-spiking read-out:
    /// their mean (what its time-averaged membrane reads).
    Steps,
    /// Every layer: one trace per sample, the mean of `x̂_t` (a weighted
    /// firing rate, the reference's `hlop_with_wfr`).
    Mean,
}

impl HlopSpec {
    /// The library configuration for layers of input dimensions `dims`.
    pub fn config(&self, dims: &[usize], seed: u64) -> HlopConfig {
        HlopConfig {
            layers: self
                .layers
                .iter()
                .zip(dims)
                .map(|(l, &dim)| HlopLayerConfig { dim, ..l.clone() })
                .collect(),
            iterations: self.iterations,
            clamp: self.clamp,
            spiking: self.spiking,
            seed,
        }
    }
}

/// The `[continual]` and `[hlop]` tables, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ContinualSpec {
    /// How the dataset becomes tasks.
    pub protocol: Protocol,
    /// Seed of the task permutations.
    pub task_seed: u64,
    /// The methods compared.
    pub methods: Vec<Method>,
    /// The seeds, one run of each method per seed.
    pub seeds: Vec<u64>,
    /// Learning rate after the first task (`None`: the training experiment's).
    pub lr_continual: Option<f64>,
    /// EWC's penalty weight.
    pub ewc_lambda: f64,
    /// Samples EWC estimates the Fisher information on.
    pub ewc_samples: usize,
    /// Replay memory per class, samples.
    pub replay_per_class: usize,
    /// Replayed samples per batch.
    pub replay_batch: usize,
    /// HLOP settings, for the `hlop` method.
    pub hlop: Option<HlopSpec>,
    /// Line of `[hlop]` (for errors found once the network is known).
    pub hlop_line: Option<usize>,
}

/// A continual-learning experiment: the network and training of a
/// training experiment, and the task sequence and methods.
#[derive(Debug, Clone, PartialEq)]
pub struct ContinualExperiment {
    /// The training experiment the tasks share.
    pub base: Experiment,
    /// The continual-learning settings.
    pub spec: ContinualSpec,
    /// The file's text, to tell a checkpoint of another experiment apart.
    pub text: String,
}

#[derive(Debug, Deserialize)]
struct RawFile {
    continual: Option<Spanned<RawContinual>>,
    hlop: Option<Spanned<RawHlop>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContinual {
    protocol: Spanned<String>,
    tasks: Option<Spanned<i64>>,
    identity_first: Option<bool>,
    classes_per_task: Option<Spanned<i64>>,
    head: Option<Spanned<String>>,
    task_seed: Option<u64>,
    methods: Spanned<Vec<Spanned<String>>>,
    seeds: Option<Spanned<Vec<u64>>>,
    lr_continual: Option<Spanned<f64>>,
    ewc_lambda: Option<Spanned<f64>>,
    ewc_samples: Option<Spanned<i64>>,
    replay_per_class: Option<Spanned<i64>>,
    replay_batch: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHlop {
    layers: Spanned<Vec<Spanned<RawHlopLayer>>>,
    iterations: Option<Spanned<i64>>,
    clamp: Option<Spanned<f64>>,
    epochs: Option<Spanned<i64>>,
    spiking: Option<Spanned<SpikeQuantiser>>,
    trace: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHlopLayer {
    initial: Spanned<i64>,
    #[serde(default)]
    increments: Vec<i64>,
    learning_rate: Option<Spanned<f64>>,
}

/// Reads and validates a continual-learning experiment file.
pub fn load_continual(path: &Path) -> Result<ContinualExperiment, ModelError> {
    parse_continual(path, &read_experiment_file(path)?)
}

/// Reads and validates the continual-learning experiment file `path` with contents `text`.
pub fn parse_continual(path: &Path, text: &str) -> Result<ContinualExperiment, ModelError> {
    let base = parse_experiment(path, text)?;
    let src = Source::new(path, text);
    let raw: RawFile =
        toml::from_str(text).map_err(|e| src.error(e.span(), "", e.message().to_string()))?;
    let Some(c) = raw.continual else {
        return Err(src.error(
            None,
            "continual",
            "a continual-learning experiment needs a [continual] table (protocol, methods)",
        ));
    };
    let spec = continual_spec(&src, c, raw.hlop)?;
    check_network(&src, &base, &spec)?;
    Ok(ContinualExperiment {
        base,
        spec,
        text: text.to_string(),
    })
}

fn continual_spec(
    src: &Source,
    c: Spanned<RawContinual>,
    hlop: Option<Spanned<RawHlop>>,
) -> Result<ContinualSpec, ModelError> {
    let c = c.into_inner();
    let protocol = protocol(src, &c)?;
    let methods = methods(src, &c)?;
    let seeds = c.seeds.as_ref().map_or(vec![1], |s| s.get_ref().clone());
    if seeds.is_empty() {
        return Err(src.error(
            c.seeds.as_ref().and_then(span),
            "continual.seeds",
            "name at least one seed",
        ));
    }
    let hlop_line = hlop.as_ref().map(|h| src.line_of(h.span().start));
    let hlop = match (hlop, methods.contains(&Method::Hlop)) {
        (Some(h), _) => Some(hlop_spec(src, h)?),
        (None, true) => {
            return Err(src.error(
                span(&c.methods),
                "hlop",
                "method \"hlop\" needs an [hlop] table (subspace neurons per layer)",
            ));
        }
        (None, false) => None,
    };
    let opt_count = |s: &Option<Spanned<i64>>, field: &str, most: i64, default: usize| {
        s.as_ref()
            .map_or(Ok(default), |s| bounds::count_in(src, s, field, 1..=most))
    };
    Ok(ContinualSpec {
        protocol,
        task_seed: c.task_seed.unwrap_or(2022),
        methods,
        seeds,
        lr_continual: c
            .lr_continual
            .as_ref()
            .map(|s| {
                bounds::positive_up_to(src, s, "continual.lr_continual", bounds::LEARNING_RATE)
            })
            .transpose()?,
        ewc_lambda: c
            .ewc_lambda
            .as_ref()
            .map(|s| bounds::positive_up_to(src, s, "continual.ewc_lambda", bounds::EWC_LAMBDA))
            .transpose()?
            .unwrap_or(100.0),
        ewc_samples: opt_count(
            &c.ewc_samples,
            "continual.ewc_samples",
            bounds::EWC_SAMPLES,
            256,
        )?,
        replay_per_class: opt_count(
            &c.replay_per_class,
            "continual.replay_per_class",
            bounds::REPLAY_PER_CLASS,
            10,
        )?,
        replay_batch: opt_count(&c.replay_batch, "continual.replay_batch", bounds::BATCH, 16)?,
        hlop,
        hlop_line,
    })
}

/// `continual.protocol` and the fields that belong to it.
fn protocol(src: &Source, c: &RawContinual) -> Result<Protocol, ModelError> {
    Ok(match c.protocol.get_ref().as_str() {
        "permuted" => {
            if let Some(k) = &c.classes_per_task {
                return Err(src.error(
                    span(k),
                    "continual.classes_per_task",
                    "belongs to protocol = \"split\"; permuted tasks keep every class",
                ));
            }
            let Some(tasks) = &c.tasks else {
                return Err(src.error(
                    span(&c.protocol),
                    "continual.tasks",
                    "permuted tasks need `tasks` (how many permutations)",
                ));
            };
            Protocol::Permuted {
                tasks: bounds::count_in(src, tasks, "continual.tasks", 1..=bounds::TASKS)?,
                identity_first: c.identity_first.unwrap_or(false),
            }
        }
        "split" => {
            if let Some(t) = &c.tasks {
                return Err(src.error(
                    span(t),
                    "continual.tasks",
                    "split tasks are counted by the classes: set `classes_per_task`",
                ));
            }
            let Some(k) = &c.classes_per_task else {
                return Err(src.error(
                    span(&c.protocol),
                    "continual.classes_per_task",
                    "split tasks need `classes_per_task`",
                ));
            };
            let head = head(src, c)?;
            Protocol::Split {
                classes_per_task: bounds::count_in(
                    src,
                    k,
                    "continual.classes_per_task",
                    1..=bounds::CLASSES_PER_TASK,
                )?,
                head,
            }
        }
        other => {
            return Err(src.error(
                span(&c.protocol),
                "continual.protocol",
                format!("unknown protocol {other:?}, expected \"permuted\" or \"split\""),
            ));
        }
    })
}

/// `continual.head` of split tasks.
fn head(src: &Source, c: &RawContinual) -> Result<Head, ModelError> {
    match c.head.as_ref().map_or("per_task", |h| h.get_ref().as_str()) {
        "per_task" => Ok(Head::PerTask),
        "shared" => Ok(Head::Shared),
        "within" => Ok(Head::Within),
        other => Err(src.error(
            c.head.as_ref().and_then(span),
            "continual.head",
            format!("unknown head {other:?}, expected \"per_task\", \"shared\" or \"within\""),
        )),
    }
}

/// `continual.methods`: known, each once, at least one.
fn methods(src: &Source, c: &RawContinual) -> Result<Vec<Method>, ModelError> {
    let mut methods = Vec::new();
    for m in c.methods.get_ref() {
        let Some(method) = Method::parse(m.get_ref()) else {
            return Err(src.error(
                span(m),
                "continual.methods",
                format!(
                    "unknown method {:?}, expected \"finetune\", \"ewc\", \"replay\", \"hlop\" or \"multitask\"",
                    m.get_ref()
                ),
            ));
        };
        if methods.contains(&method) {
            return Err(src.error(
                span(m),
                "continual.methods",
                format!("{:?} is listed twice", m.get_ref()),
            ));
        }
        methods.push(method);
    }
    if methods.is_empty() {
        return Err(src.error(
            span(&c.methods),
            "continual.methods",
            "name at least one method",
        ));
    }
    Ok(methods)
}

fn hlop_spec(src: &Source, h: Spanned<RawHlop>) -> Result<HlopSpec, ModelError> {
    let h = h.into_inner();
    let mut layers = Vec::new();
    for (i, l) in h.layers.get_ref().iter().enumerate() {
        let f = |name: &str| format!("hlop.layers[{i}].{name}");
        let raw = l.get_ref();
        let initial = bounds::count_in(src, &raw.initial, &f("initial"), 1..=bounds::HLOP_NEURONS)?;
        let mut increments = Vec::new();
        for &k in &raw.increments {
            if !(0..=bounds::HLOP_NEURONS).contains(&k) {
                return Err(src.error(
                    span(l),
                    f("increments"),
                    format!("each must be in [0, {}], found {k}", bounds::HLOP_NEURONS),
                ));
            }
            increments.push(k as usize);
        }
        layers.push(HlopLayerConfig {
            dim: 0,
            initial,
            increments,
            learning_rate: raw
                .learning_rate
                .as_ref()
                .map(|s| bounds::positive_up_to(src, s, &f("learning_rate"), bounds::LEARNING_RATE))
                .transpose()?
                .unwrap_or(0.01),
        });
    }
    if layers.is_empty() {
        return Err(src.error(
            span(&h.layers),
            "hlop.layers",
            "name the subspace neurons of at least one layer",
        ));
    }
    if let Some(q) = &h.spiking {
        let q = q.get_ref();
        let scale_ok = q.scale > 0.0 && q.scale <= bounds::WEIGHT_SCALE;
        if !scale_ok || !(1..=bounds::HLOP_SPIKING_STEPS).contains(&q.steps) {
            return Err(src.error(
                h.spiking.as_ref().and_then(span),
                "hlop.spiking",
                format!(
                    "needs scale in (0, {}] and steps in [1, {}]",
                    bounds::WEIGHT_SCALE,
                    bounds::HLOP_SPIKING_STEPS
                ),
            ));
        }
    }
    let trace = match h.trace.as_ref().map_or("steps", |t| t.get_ref().as_str()) {
        "steps" => TraceKind::Steps,
        "mean" => TraceKind::Mean,
        other => {
            return Err(src.error(
                h.trace.as_ref().and_then(span),
                "hlop.trace",
                format!("unknown trace {other:?}, expected \"steps\" or \"mean\""),
            ));
        }
    };
    Ok(HlopSpec {
        trace,
        layers,
        iterations: h.iterations.as_ref().map_or(Ok(5), |s| {
            bounds::count_in(src, s, "hlop.iterations", 1..=bounds::HLOP_ITERATIONS)
        })?,
        clamp: h
            .clamp
            .as_ref()
            .map(|s| bounds::positive_up_to(src, s, "hlop.clamp", bounds::WEIGHT_SCALE))
            .transpose()?
            .unwrap_or(10.0),
        spiking: h.spiking.map(Spanned::into_inner),
        epochs: h.epochs.as_ref().map_or(Ok(1), |s| {
            bounds::count_in(src, s, "hlop.epochs", 1..=bounds::HLOP_ITERATIONS)
        })?,
    })
}

/// What the runner trains: feed-forward LIF layers (their weights are what
/// HLOP projects), no delays, L2MU or meta layers, spike input.
fn check_network(src: &Source, base: &Experiment, spec: &ContinualSpec) -> Result<(), ModelError> {
    let refuse = |field: String, message: &str| Err(src.error(None, field, message.to_string()));
    if base.real_input {
        return refuse(
            "data.format".into(),
            "continual experiments take spike datasets",
        );
    }
    if let Some((i, _)) = base.l2mu_layers.first() {
        return refuse(
            format!("layer[{i}].kind"),
            "continual experiments train \"lif\" / \"cuba_lif\" layers, not L2MU cells",
        );
    }
    if let Some((i, _)) = base.meta_layers.first() {
        return refuse(
            format!("layer[{i}].kind"),
            "continual experiments train \"lif\" / \"cuba_lif\" layers, not meta neurons",
        );
    }
    if let Some(i) = base.delays.iter().position(Option::is_some) {
        return refuse(
            format!("layer[{i}].delays"),
            "continual experiments do not train synaptic delays",
        );
    }
    if let Some(i) = base.layers.iter().position(|l| l.recurrent) {
        return refuse(
            format!("layer[{i}].recurrent"),
            "continual experiments train feed-forward layers (HLOP projects their input weights)",
        );
    }
    if let Some(h) = &spec.hlop {
        let projected = projected_layers(base, spec.protocol);
        if h.layers.len() != projected {
            return Err(ModelError {
                file: src.path.to_path_buf(),
                line: spec.hlop_line,
                field: "hlop.layers".into(),
                message: format!(
                    "{} entries for {projected} projected weight layers (the hidden layers{})",
                    h.layers.len(),
                    if projected > base.layers.len() - 1 {
                        ", then the shared read-out"
                    } else {
                        "; per-task heads are not projected"
                    }
                ),
            });
        }
    }
    Ok(())
}

/// Weight layers HLOP projects: every hidden layer, and the read-out when
/// it is shared by all tasks (a per-task head is only trained by its task).
pub fn projected_layers(base: &Experiment, protocol: Protocol) -> usize {
    let hidden = base.layers.len() - 1;
    match protocol {
        Protocol::Split {
            head: Head::PerTask,
            ..
        } => hidden,
        _ => hidden + 1,
    }
}
