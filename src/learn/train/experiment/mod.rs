//! Experiment files: what to train, on what, and how (TOML).
//!
//! ```toml
//! [data]
//! train = "../stimuli/spike_digits/latency_train.h5"  # relative to this file
//! test = "../stimuli/spike_digits/latency_test.h5"
//! dt = "1 ms"              # training step = simulator dt of the export
//! duration = "45 ms"       # optional; default: the latest spike
//! channel_group = 1        # merge this many consecutive channels
//! format = "spikes"        # or "real": raw values as currents into an
//!                          # L2MU first layer (see `train::data`)
//!
//! [[layer]]                # hidden layers, in order
//! size = 128
//! neuron = "lif"          # or "cuba_lif" with tau_syn = "5 ms"
//! tau_m = "10 ms"
//! threshold = 1.0          # in units of the weights
//! recurrent = false
//! # or kind = "l2mu": see `experiment::l2mu`; kind = "meta": `experiment::meta`
//! delays = { mode = "learned", max_delay = "24 ms", lr_scale = 100 }
//!                          # optional per-synapse delays in 0..=max_delay:
//!                          # "learned" (DCLS), "random" (fixed) or "none";
//!                          # sharpen = 0.25: the Gaussian narrows to a
//!                          # single tap over the last quarter of the epochs;
//!                          # retrain = 10: then 10 more epochs train the
//!                          # weights on the rounded delays (included in
//!                          # `epochs`)
//!
//! [readout]
//! kind = "membrane"        # or "spike_count"
//! tau_m = "20 ms"
//! window = "1 ms"          # optional: read only the end of each sample
//!
//! [training]
//! epochs = 20, batch_size = 32, optimizer = "adam" | "sgd", lr = 2e-3,
//! momentum = 0.9 (sgd), surrogate = "fast_sigmoid" | "arctan",
//! surrogate_scale (25 | 2), rule = "bptt" | "online", learn_tau = true,
//! learn_threshold = true, learn_escape = true (meta layers' delta_u and
//! rho_0), init_gain = 1.0, seed = 1, threads = 0 (all),
//! schedule = "constant" | "cosine" | "step" (decay_every, decay_factor),
//! clip_grad_norm (see `schedule`)
//!
//! [output]
//! dir = "results/train_spike_digits"   # relative to the working directory
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

pub mod l2mu;
pub mod meta;
mod raw;

use crate::learn::bounds;
use crate::learn::delays::layer::{DelayMode, DelaySpec};
use crate::learn::layers::l2mu::layer::L2muShape;
use crate::learn::layers::meta::MetaShape;
use crate::learn::net::{LifShape, Readout};
use crate::learn::optim::OptimizerKind;
use crate::learn::surrogate::Surrogate;
use crate::learn::train::schedule::{LrSchedule, RawSchedule, parse_clip, parse_schedule};
use crate::model::ModelError;
use crate::model::error::Source;
use crate::model::units::{Dimension, parse_as};
use l2mu::{l2mu_layer, reject_l2mu_fields};
use meta::{meta_layer, reject_meta_fields};
use raw::{RawData, RawDelays, RawExperiment, RawLayer, RawReadout, RawTraining};

/// How gradients are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Back-propagation through time.
    Bptt,
    /// Online, trace-based: weight change = error signal x presynaptic trace
    /// at each step (OTTT / e-prop style), no storage over time.
    Online,
}

/// A validated experiment; times in seconds, paths resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    /// The experiment file.
    pub path: PathBuf,
    /// The training dataset.
    pub train: PathBuf,
    /// The test dataset.
    pub test: PathBuf,
    /// Time step, seconds.
    pub dt: f64,
    /// Simulated time per sample, seconds (`None`: the dataset's).
    pub duration: Option<f64>,
    /// Input channels merged into one.
    pub channel_group: usize,
    /// Raw real values fed as currents (`format = "real"`), not spikes.
    pub real_input: bool,
    /// Hidden layers then the read-out; `tau` in steps.
    pub layers: Vec<LifShape>,
    /// Per hidden layer, the delays of its input synapses.
    pub delays: Vec<Option<DelaySpec>>,
    /// How the output is read.
    pub readout: Readout,
    /// Steps at the end the read-out counts (0: all).
    pub readout_window: usize,
    /// Hidden layers that are L2MU cells: (index in `layers`, shape); the
    /// `LifShape` at that index only carries the output size.
    pub l2mu_layers: Vec<(usize, L2muShape)>,
    /// Hidden layers of meta neurons: (index in `layers`, escape noise);
    /// the `LifShape` at that index holds their membrane.
    pub meta_layers: Vec<(usize, MetaShape)>,
    /// Passes over the training data.
    pub epochs: usize,
    /// Samples per batch.
    pub batch_size: usize,
    /// The optimiser.
    pub optimizer: OptimizerKind,
    /// Learning rate.
    pub lr: f64,
    /// How the learning rate changes over epochs.
    pub lr_schedule: LrSchedule,
    /// Largest global L2 norm of a batch's gradient (`None`: no clipping).
    pub clip_grad_norm: Option<f64>,
    /// The surrogate gradient of the spike.
    pub surrogate: Surrogate,
    /// How gradients are computed.
    pub rule: Rule,
    /// Whether membrane time constants are learned.
    pub learn_tau: bool,
    /// Whether thresholds are learned.
    pub learn_threshold: bool,
    /// Meta layers learn `delta_u` and `rho_0`.
    pub learn_escape: bool,
    /// Gain of the initial weights.
    pub init_gain: f64,
    /// Seed of every random draw.
    pub seed: u64,
    /// Worker threads.
    pub threads: usize,
    /// Where results go.
    pub output: PathBuf,
    /// The file also has `[continual]` / `[hlop]` tables: it is for
    /// `spikesim continual`, which reads them (`continual::experiment`).
    pub continual: bool,
    /// Train even when the memory estimate exceeds what the machine offers
    /// (`--ignore-memory-limit`; not a field of the file).
    pub ignore_memory_limit: bool,
}

pub(crate) type Span = Option<Range<usize>>;

pub(crate) fn span<T>(s: &Spanned<T>) -> Span {
    Some(s.span())
}

/// Reads and validates an experiment file.
pub fn load_experiment(path: &Path) -> Result<Experiment, ModelError> {
    parse_experiment(path, &read_experiment_file(path)?)
}

/// An experiment file's text, or an error naming the file.
pub(crate) fn read_experiment_file(path: &Path) -> Result<String, ModelError> {
    std::fs::read_to_string(path).map_err(|e| ModelError {
        file: path.to_path_buf(),
        line: None,
        field: String::new(),
        message: format!("cannot read the experiment file: {e}"),
    })
}

/// Reads and validates the experiment file `path` with contents `text`.
pub fn parse_experiment(path: &Path, text: &str) -> Result<Experiment, ModelError> {
    let src = Source::new(path, text);
    let raw: RawExperiment =
        toml::from_str(text).map_err(|e| src.error(e.span(), "", e.message().to_string()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let d = &raw.data;
    let (dt, duration, channel_group) = data_grid(&src, d)?;
    let mut layers = hidden_layers(&src, &raw.layers, dt)?;
    let r = &raw.readout;
    let readout = readout_kind(&src, r)?;
    let t = &raw.training;
    let optimizer = optimizer(&src, t)?;
    let surrogate = surrogate(&src, t)?;
    let rule = rule(&src, t)?;
    layers.lif.push(readout_layer(&src, r, readout, dt)?);
    let readout_window = readout_window(&src, r, duration, dt)?;
    check_rule(&src, t, rule, surrogate, &layers)?;
    let epochs = epochs(&src, t, &raw.layers)?;
    let threads = threads(&src, t)?;
    let lr_schedule = parse_schedule(
        &src,
        &RawSchedule {
            schedule: &t.schedule,
            decay_every: &t.decay_every,
            decay_factor: &t.decay_factor,
        },
    )?;
    let clip_grad_norm = parse_clip(&src, &t.clip_grad_norm)?;
    let real_input = real_format(&src, d, duration.is_some(), &raw.layers)?;
    let stem = path
        .file_stem()
        .map_or("experiment".into(), |s| s.to_string_lossy().to_string());
    Ok(Experiment {
        path: path.to_path_buf(),
        train: base.join(d.train.get_ref()),
        test: base.join(d.test.get_ref()),
        dt,
        duration,
        channel_group,
        real_input,
        layers: layers.lif,
        delays: layers.delays,
        readout,
        readout_window,
        l2mu_layers: layers.l2mu,
        meta_layers: layers.meta,
        epochs,
        batch_size: t
            .batch_size
            .as_ref()
            .map(|s| bounds::count_in(&src, s, "training.batch_size", 1..=bounds::BATCH))
            .transpose()?
            .unwrap_or(32),
        optimizer,
        lr: t
            .lr
            .as_ref()
            .map(|s| bounds::positive_up_to(&src, s, "training.lr", bounds::LEARNING_RATE))
            .transpose()?
            .unwrap_or(1e-3),
        lr_schedule,
        clip_grad_norm,
        surrogate,
        rule,
        learn_tau: t.learn_tau.unwrap_or(true),
        learn_threshold: t.learn_threshold.unwrap_or(true),
        learn_escape: t.learn_escape.unwrap_or(true),
        init_gain: t
            .init_gain
            .as_ref()
            .map(|s| bounds::positive_up_to(&src, s, "training.init_gain", bounds::INIT_GAIN))
            .transpose()?
            .unwrap_or(1.0),
        seed: t.seed.unwrap_or(1),
        threads,
        output: raw
            .output
            .and_then(|o| o.dir)
            .map_or_else(|| Path::new("results").join(stem), PathBuf::from),
        continual: raw.continual.is_some() || raw.hlop.is_some(),
        ignore_memory_limit: false,
    })
}

/// A time field that must be positive, in seconds.
fn positive_time(src: &Source, s: &Spanned<String>, field: &str) -> Result<f64, ModelError> {
    let v = parse_as(s.get_ref(), Dimension::Time)
        .map_err(|e| src.error(span(s), field, e.to_string()))?;
    if v > 0.0 && v.is_finite() {
        Ok(v)
    } else {
        Err(src.error(
            span(s),
            field,
            format!("must be a positive time, found {v} s"),
        ))
    }
}

/// `[data]`'s grid: the step, the sample duration, the channel grouping.
fn data_grid(src: &Source, d: &RawData) -> Result<(f64, Option<f64>, usize), ModelError> {
    let dt = positive_time(src, &d.dt, "data.dt")?;
    let duration = match &d.duration {
        Some(s) => {
            let v = positive_time(src, s, "data.duration")?;
            bounds::sample_steps(src, s, "data.duration", v, dt)?;
            Some(v)
        }
        None => None,
    };
    let channel_group = d
        .channel_group
        .as_ref()
        .map(|s| bounds::count_in(src, s, "data.channel_group", 1..=bounds::CHANNEL_GROUP))
        .transpose()?
        .unwrap_or(1);
    Ok((dt, duration, channel_group))
}

/// The network's layers as [`Experiment`] keeps them (its fields
/// `layers`, `l2mu_layers`, `meta_layers`, `delays`): the hidden layers,
/// then the read-out's LIF shape once it is read.
struct Layers {
    lif: Vec<LifShape>,
    l2mu: Vec<(usize, L2muShape)>,
    meta: Vec<(usize, MetaShape)>,
    delays: Vec<Option<DelaySpec>>,
}

/// The `[[layer]]` tables: LIF, CuBa LIF and meta layers (whose membrane
/// reads as a LIF layer's), and L2MU cells.
fn hidden_layers(src: &Source, raw: &[RawLayer], dt: f64) -> Result<Layers, ModelError> {
    if raw.is_empty() {
        return Err(src.error(None, "layer", "at least one hidden [[layer]] is needed"));
    }
    let mut hidden = Layers {
        lif: Vec::new(),
        l2mu: Vec::new(),
        meta: Vec::new(),
        delays: Vec::new(),
    };
    for (i, l) in raw.iter().enumerate() {
        let f = |name: &str| format!("layer[{i}].{name}");
        match l.kind.as_ref().map(|k| k.get_ref().as_str()) {
            None | Some("lif") => {
                reject_l2mu_fields(src, i, l)?;
                reject_meta_fields(src, i, l)?;
            }
            // The membrane's fields are read below, as a LIF layer's.
            Some("meta") => {
                reject_l2mu_fields(src, i, l)?;
                hidden.meta.push((i, meta_layer(src, i, l, dt)?));
            }
            Some("l2mu") => {
                reject_meta_fields(src, i, l)?;
                let (lif, shape) = l2mu_layer(src, i, l, dt)?;
                hidden.lif.push(lif);
                if let Some(d) = &l.delays {
                    return Err(src.error(
                        span(d),
                        f("delays"),
                        "per-synapse delays apply to LIF layers only, not to an L2MU layer",
                    ));
                }
                hidden.l2mu.push((i, shape));
                hidden.delays.push(None);
                continue;
            }
            Some(other) => {
                return Err(src.error(
                    l.kind.as_ref().and_then(span),
                    f("kind"),
                    format!("unknown layer kind {other:?}, expected \"lif\", \"meta\" or \"l2mu\""),
                ));
            }
        }
        let (shape, delay) = lif_layer(src, i, l, dt)?;
        hidden.delays.push(delay);
        hidden.lif.push(shape);
    }
    Ok(hidden)
}

/// Layer `i` as a LIF or CuBa LIF layer, and the delays of its inputs.
fn lif_layer(
    src: &Source,
    i: usize,
    l: &RawLayer,
    dt: f64,
) -> Result<(LifShape, Option<DelaySpec>), ModelError> {
    let f = |name: &str| format!("layer[{i}].{name}");
    let Some(tau_m) = &l.tau_m else {
        return Err(src.error(span(&l.size), f("tau_m"), "missing `tau_m`"));
    };
    let neuron = l.neuron.as_ref().map_or("lif", |n| n.get_ref().as_str());
    let tau_syn = match (neuron, &l.tau_syn) {
        ("lif", None) => None,
        ("lif", Some(t)) => {
            return Err(src.error(
                span(t),
                f("tau_syn"),
                "a \"lif\" layer has no synaptic current; use neuron = \"cuba_lif\"",
            ));
        }
        ("cuba_lif", Some(t)) => Some(positive_time(src, t, &f("tau_syn"))? / dt),
        ("cuba_lif", None) => {
            return Err(src.error(
                l.neuron.as_ref().and_then(span),
                f("tau_syn"),
                "a \"cuba_lif\" layer needs `tau_syn`",
            ));
        }
        (other, _) => {
            return Err(src.error(
                l.neuron.as_ref().and_then(span),
                f("neuron"),
                format!("unknown neuron {other:?}; trainable: \"lif\", \"cuba_lif\""),
            ));
        }
    };
    let delay = match &l.delays {
        Some(d) => delay_spec(src, d, &f("delays"), dt)?,
        None => None,
    };
    if let (Some(_), Some(d)) = (delay, &l.delays)
        && (tau_syn.is_some() || l.recurrent == Some(true))
    {
        return Err(src.error(
            span(d),
            f("delays"),
            "delays go on feed-forward \"lif\" layers only",
        ));
    }
    let shape = LifShape {
        size: positive_count(src, &l.size, &f("size"))?,
        tau: positive_time(src, tau_m, &f("tau_m"))? / dt,
        threshold: l
            .threshold
            .as_ref()
            .map(|t| bounds::positive_up_to(src, t, &f("threshold"), bounds::WEIGHT_SCALE))
            .transpose()?
            .unwrap_or(1.0),
        recurrent: l.recurrent.unwrap_or(false),
        spiking: true,
        tau_syn,
    };
    Ok((shape, delay))
}

/// A count that must be at least 1.
fn positive_count(src: &Source, s: &Spanned<i64>, field: &str) -> Result<usize, ModelError> {
    usize::try_from(*s.get_ref())
        .ok()
        .filter(|&v| v > 0)
        .ok_or_else(|| {
            src.error(
                span(s),
                field,
                format!("must be ≥ 1, found {}", s.get_ref()),
            )
        })
}

/// `readout.kind`; a membrane read-out takes no threshold.
fn readout_kind(src: &Source, r: &RawReadout) -> Result<Readout, ModelError> {
    let readout = match r.kind.get_ref().as_str() {
        "membrane" => Readout::Membrane,
        "spike_count" => Readout::SpikeCount,
        other => {
            return Err(src.error(
                span(&r.kind),
                "readout.kind",
                format!("unknown read-out {other:?}, expected \"membrane\" or \"spike_count\""),
            ));
        }
    };
    if readout == Readout::Membrane
        && let Some(t) = &r.threshold
    {
        return Err(src.error(
            span(t),
            "readout.threshold",
            "a membrane read-out does not spike; remove the threshold",
        ));
    }
    Ok(readout)
}

/// A name field's value, or `default` when absent.
fn name_or(s: &Option<Spanned<String>>, default: &str) -> String {
    s.as_ref()
        .map_or(default.to_string(), |s| s.get_ref().clone())
}

fn span_of(s: &Option<Spanned<String>>) -> Span {
    s.as_ref().map(|s| s.span())
}

/// `training.optimizer` (and the momentum of SGD).
fn optimizer(src: &Source, t: &RawTraining) -> Result<OptimizerKind, ModelError> {
    Ok(match name_or(&t.optimizer, "adam").as_str() {
        "adam" => OptimizerKind::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        },
        "sgd" => OptimizerKind::Sgd {
            momentum: match &t.momentum {
                Some(m) if !(0.0..1.0).contains(m.get_ref()) => {
                    return Err(src.error(
                        span(m),
                        "training.momentum",
                        format!("must be in [0, 1), found {}", m.get_ref()),
                    ));
                }
                Some(m) => *m.get_ref(),
                None => 0.0,
            },
        },
        other => {
            return Err(src.error(
                span_of(&t.optimizer),
                "training.optimizer",
                format!("unknown optimizer {other:?}, expected \"adam\" or \"sgd\""),
            ));
        }
    })
}

/// `training.surrogate` and its `surrogate_scale`.
fn surrogate(src: &Source, t: &RawTraining) -> Result<Surrogate, ModelError> {
    let scale = t
        .surrogate_scale
        .as_ref()
        .map(|s| {
            bounds::positive_up_to(src, s, "training.surrogate_scale", bounds::SURROGATE_SCALE)
        })
        .transpose()?;
    Ok(match name_or(&t.surrogate, "fast_sigmoid").as_str() {
        "fast_sigmoid" => Surrogate::FastSigmoid {
            slope: scale.unwrap_or(25.0),
        },
        "arctan" => Surrogate::Arctan {
            alpha: scale.unwrap_or(2.0),
        },
        other => {
            return Err(src.error(
                span_of(&t.surrogate),
                "training.surrogate",
                format!("unknown surrogate {other:?}, expected \"fast_sigmoid\" or \"arctan\""),
            ));
        }
    })
}

/// `training.rule`.
fn rule(src: &Source, t: &RawTraining) -> Result<Rule, ModelError> {
    Ok(match name_or(&t.rule, "bptt").as_str() {
        "bptt" => Rule::Bptt,
        "online" => Rule::Online,
        other => {
            return Err(src.error(
                span_of(&t.rule),
                "training.rule",
                format!("unknown rule {other:?}, expected \"bptt\" or \"online\""),
            ));
        }
    })
}

/// The read-out as the network's last LIF layer (its size, the class
/// count, is known once the data is read).
fn readout_layer(
    src: &Source,
    r: &RawReadout,
    readout: Readout,
    dt: f64,
) -> Result<LifShape, ModelError> {
    Ok(LifShape {
        size: 0,
        tau: positive_time(src, &r.tau_m, "readout.tau_m")? / dt,
        threshold: r
            .threshold
            .as_ref()
            .map(|t| bounds::positive_up_to(src, t, "readout.threshold", bounds::WEIGHT_SCALE))
            .transpose()?
            .unwrap_or(1.0),
        recurrent: false,
        spiking: readout == Readout::SpikeCount,
        tau_syn: None,
    })
}

/// `readout.window` in steps (0: the whole sample).
fn readout_window(
    src: &Source,
    r: &RawReadout,
    duration: Option<f64>,
    dt: f64,
) -> Result<usize, ModelError> {
    Ok(match &r.window {
        Some(w) => {
            let v = positive_time(src, w, "readout.window")?;
            if let Some(d) = duration
                && v > d
            {
                return Err(src.error(
                    span(w),
                    "readout.window",
                    format!("{:?} is longer than the sample duration", w.get_ref()),
                ));
            }
            // A window shorter than dt reads the last step.
            bounds::sample_steps(src, w, "readout.window", v.max(dt), dt)?
        }
        None => 0,
    })
}

/// What the rule and surrogate can train: L2MU layers need BPTT with the
/// fast sigmoid; the online rule trains plain feed-forward LIF layers.
fn check_rule(
    src: &Source,
    t: &RawTraining,
    rule: Rule,
    surrogate: Surrogate,
    layers: &Layers,
) -> Result<(), ModelError> {
    if let Some((i, _)) = layers.l2mu.first() {
        if rule == Rule::Online {
            return Err(src.error(
                span_of(&t.rule),
                "training.rule",
                format!("the online rule trains \"lif\" layers only; layer[{i}] is an \"l2mu\""),
            ));
        }
        if !matches!(surrogate, Surrogate::FastSigmoid { .. }) {
            return Err(src.error(
                span_of(&t.surrogate),
                "training.surrogate",
                format!("an \"l2mu\" layer (layer[{i}]) trains with \"fast_sigmoid\" only"),
            ));
        }
    }
    if rule == Rule::Online
        && let Some((i, _)) = layers.meta.first()
    {
        return Err(src.error(
            span_of(&t.rule),
            "training.rule",
            format!("the online rule trains \"lif\" layers only; layer[{i}] is a \"meta\""),
        ));
    }
    if rule == Rule::Online
        && let Some(i) = layers.lif.iter().position(|l| l.tau_syn.is_some())
    {
        return Err(src.error(
            span_of(&t.rule),
            "training.rule",
            format!("the online rule trains \"lif\" layers only; layer[{i}] is a \"cuba_lif\""),
        ));
    }
    if rule == Rule::Online
        && let Some(i) = layers.delays.iter().position(Option::is_some)
    {
        return Err(src.error(
            span_of(&t.rule),
            "training.rule",
            format!("the online rule does not train delays; layer[{i}] has some"),
        ));
    }
    Ok(())
}

/// `training.epochs`; a layer's delays must be retrained before the last.
fn epochs(src: &Source, t: &RawTraining, layers: &[RawLayer]) -> Result<usize, ModelError> {
    let epochs = t
        .epochs
        .as_ref()
        .map(|s| bounds::count_in(src, s, "training.epochs", 1..=bounds::EPOCHS))
        .transpose()?
        .unwrap_or(10);
    for (i, l) in layers.iter().enumerate() {
        if let Some(r) = l.delays.as_ref().and_then(|d| d.get_ref().retrain.as_ref())
            && *r.get_ref() >= epochs
        {
            return Err(src.error(
                span(r),
                format!("layer[{i}].delays.retrain"),
                format!(
                    "must be fewer than the {epochs} epochs (the delays are learned before it), found {}",
                    r.get_ref()
                ),
            ));
        }
    }
    Ok(epochs)
}

/// `training.threads` (0: all cores), within what the machine allows.
fn threads(src: &Source, t: &RawTraining) -> Result<usize, ModelError> {
    Ok(match &t.threads {
        Some(s) => {
            let n = u64::try_from(*s.get_ref()).map_err(|_| {
                src.error(
                    span(s),
                    "training.threads",
                    format!("must be ≥ 0, found {}", s.get_ref()),
                )
            })?;
            crate::model::memory::thread_limit(n)
                .map_err(|msg| src.error(span(s), "training.threads", msg))?;
            n as usize
        }
        None => 0,
    })
}

/// Whether `[data] format` asks for raw real values: they need the
/// duration (the steps per sample), no channel grouping, and an L2MU first
/// layer to take them as currents.
fn real_format(
    src: &Source,
    d: &RawData,
    has_duration: bool,
    layers: &[RawLayer],
) -> Result<bool, ModelError> {
    let Some(format) = &d.format else {
        return Ok(false);
    };
    match format.get_ref().as_str() {
        "spikes" => Ok(false),
        "real" => {
            let problem = if !has_duration {
                Some((
                    "data.duration",
                    "raw real values need `duration` (steps per sample = duration / dt)",
                ))
            } else if d.channel_group.is_some() {
                Some((
                    "data.channel_group",
                    "raw real values are not grouped; remove `channel_group`",
                ))
            } else if layers[0].kind.as_ref().map(|k| k.get_ref().as_str()) != Some("l2mu") {
                Some((
                    "layer[0].kind",
                    "raw real values go as currents into an L2MU encoder; layer[0] must be kind = \"l2mu\"",
                ))
            } else {
                None
            };
            match problem {
                Some((field, message)) => Err(src.error(span(format), field, message)),
                None => Ok(true),
            }
        }
        other => Err(src.error(
            span(format),
            "data.format",
            format!("unknown data format {other:?}, expected \"spikes\" or \"real\""),
        )),
    }
}

/// A layer's `delays` table: `None` for mode "none".
fn delay_spec(
    src: &Source,
    d: &Spanned<RawDelays>,
    field: &str,
    dt: f64,
) -> Result<Option<DelaySpec>, ModelError> {
    let r = d.get_ref();
    let mode = match r.mode.get_ref().as_str() {
        "learned" => DelayMode::Learned,
        "random" => DelayMode::Random,
        "none" => return Ok(None),
        other => {
            return Err(src.error(
                span(&r.mode),
                format!("{field}.mode"),
                format!(
                    "unknown delay mode {other:?}, expected \"learned\", \"random\" or \"none\""
                ),
            ));
        }
    };
    let Some(max) = &r.max_delay else {
        return Err(src.error(
            span(d),
            format!("{field}.max_delay"),
            "delays need `max_delay`".to_string(),
        ));
    };
    let steps = positive_time(src, max, &format!("{field}.max_delay"))? / dt;
    if steps > bounds::DELAY_STEPS {
        return Err(src.error(
            span(max),
            format!("{field}.max_delay"),
            format!(
                "is {steps:e} steps of dt, more than the {} a delay kernel may span",
                bounds::DELAY_STEPS
            ),
        ));
    }
    let whole = steps.round();
    if (steps - whole).abs() > 1e-6 || !(whole as usize).is_multiple_of(2) {
        return Err(src.error(
            span(max),
            format!("{field}.max_delay"),
            format!(
                "must be an even number of steps (the DCLS kernel has an odd number of taps), found {steps} steps"
            ),
        ));
    }
    let lr_scale = match &r.lr_scale {
        Some(s) => bounds::positive_up_to(src, s, &format!("{field}.lr_scale"), bounds::LR_SCALE)?,
        None => 100.0,
    };
    let sharpen = match &r.sharpen {
        Some(s) if !(0.0..1.0).contains(s.get_ref()) => {
            return Err(src.error(
                span(s),
                format!("{field}.sharpen"),
                format!(
                    "must be a fraction of the epochs in [0, 1), found {}",
                    s.get_ref()
                ),
            ));
        }
        Some(s) => *s.get_ref(),
        None => 0.0,
    };
    Ok(Some(DelaySpec {
        mode,
        kernel_size: whole as usize + 1,
        lr_scale,
        sharpen,
        retrain: r.retrain.as_ref().map_or(0, |s| *s.get_ref()),
    }))
}
