//! A Tempotron classification experiment described by a TOML file
//! (`spikesim tempotron FILE`): two classes of Poisson patterns, a LIF or
//! meta tempotron trained on one set and tested on held-out samples, and an
//! LZC read-out (nearest class mean of the output train's complexity).
//!
//! ```toml
//! [patterns]   # afferents, duration, rate, prototypes (per class), jitter, train, test, seed
//! [neuron]     # model = "lif" | "meta", tau_m, v_th, w_max, dt; meta: escape, rho_0, delta_u
//! [training]   # epochs, learning_rate, threshold_rate, tau_rate
//! [output]     # results (CSV per epoch), plot (.png/.svg)
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::lzc::{NearestMean, binarise, complexity};
use super::neuron::{Rates, Readout, Response, Tempotron};
use super::patterns::{ClassSpec, Classes, Pattern};
use crate::engine::rng;
use crate::learn::bounds;
use crate::model::ModelError;
use crate::model::error::Source;
use crate::model::spec::Escape;
use crate::model::units::{Dimension, parse_as};
use crate::neuron::meta::EscapeNoise;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExperiment {
    patterns: Spanned<RawPatterns>,
    neuron: Spanned<RawNeuron>,
    training: Spanned<RawTraining>,
    #[serde(default)]
    output: Option<RawOutput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPatterns {
    afferents: Spanned<i64>,
    duration: Spanned<String>,
    rate: Spanned<String>,
    prototypes: Spanned<i64>,
    jitter: Spanned<String>,
    train: Spanned<i64>,
    test: Spanned<i64>,
    #[serde(default)]
    seed: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNeuron {
    model: Spanned<String>,
    tau_m: Spanned<String>,
    v_th: Spanned<f64>,
    w_max: Spanned<f64>,
    dt: Spanned<String>,
    #[serde(default)]
    escape: Option<Spanned<String>>,
    #[serde(default)]
    rho_0: Option<Spanned<String>>,
    #[serde(default)]
    delta_u: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTraining {
    epochs: Spanned<i64>,
    learning_rate: Spanned<f64>,
    #[serde(default)]
    threshold_rate: Option<Spanned<f64>>,
    #[serde(default)]
    tau_rate: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    #[serde(default)]
    results: Option<String>,
    #[serde(default)]
    plot: Option<String>,
}

/// A validated experiment.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// The two classes of Poisson patterns.
    pub classes: ClassSpec,
    /// Training patterns.
    pub train: usize,
    /// Test patterns.
    pub test: usize,
    /// Seed of the patterns and initial weights.
    pub seed: u64,
    /// The neuron that decides (LIF or meta).
    pub readout: Readout,
    /// Membrane time constant, seconds.
    pub tau_m: f64,
    /// Threshold, volts.
    pub v_th: f64,
    /// Largest initial weight, volts.
    pub w_max: f64,
    /// Time step, seconds.
    pub dt: f64,
    /// Passes over the training patterns.
    pub epochs: usize,
    /// Learning rates of the weights and of the intrinsic parameters.
    pub rates: Rates,
    /// Where the results go, when given.
    pub results: Option<PathBuf>,
    /// Where the plot goes, when given.
    pub plot: Option<PathBuf>,
}

/// Accuracies after each epoch, the trained neuron and the LZC read-out.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Fraction right during each epoch's pass over the training set.
    pub train_accuracy: Vec<f64>,
    /// Held-out accuracy of the spike / no-spike decision after each epoch.
    pub test_accuracy: Vec<f64>,
    /// `(v_th, tau_m)` after each epoch.
    pub intrinsic: Vec<(f64, f64)>,
    /// The trained neuron.
    pub tempotron: Tempotron,
    /// The LZC read-out.
    pub lzc: NearestMean,
    /// Held-out accuracy of the LZC nearest-class-mean decision.
    pub lzc_accuracy: f64,
}

struct Checker<'a> {
    src: Source<'a>,
}

impl Checker<'_> {
    fn err<T>(&self, s: &Spanned<T>, field: &str, msg: impl Into<String>) -> ModelError {
        self.src.error(Some(s.span()), field, msg)
    }

    fn quantity(
        &self,
        s: &Spanned<String>,
        dim: Dimension,
        field: &str,
    ) -> Result<f64, ModelError> {
        let v = parse_as(s.get_ref(), dim).map_err(|e| self.err(s, field, e.to_string()))?;
        if v <= 0.0 {
            return Err(self.err(s, field, format!("must be positive, got {:?}", s.get_ref())));
        }
        Ok(v)
    }

    fn count(&self, s: &Spanned<i64>, field: &str, range: Range<i64>) -> Result<usize, ModelError> {
        let v = *s.get_ref();
        if !range.contains(&v) {
            return Err(self.err(
                s,
                field,
                format!(
                    "must be a whole number in [{}, {}], got {v}",
                    range.start,
                    range.end - 1
                ),
            ));
        }
        Ok(v as usize)
    }

    /// A learning rate of `v_th` or `tau_m`: 0 (the default) keeps them.
    fn intrinsic_rate(&self, s: &Option<Spanned<f64>>, field: &str) -> Result<f64, ModelError> {
        match s {
            None => Ok(0.0),
            Some(s) => bounds::non_negative_up_to(&self.src, s, field, bounds::INTRINSIC_RATE),
        }
    }
}

/// Read and validate an experiment file.
pub fn load(path: &Path) -> Result<Experiment, ModelError> {
    let text = std::fs::read_to_string(path).map_err(|e| ModelError {
        file: path.to_path_buf(),
        line: None,
        field: String::new(),
        message: format!("cannot read the experiment file: {e}"),
    })?;
    parse(path, &text)
}

/// Reads and validates the Tempotron experiment file `path` with contents `text`.
pub fn parse(path: &Path, text: &str) -> Result<Experiment, ModelError> {
    let src = Source::new(path, text);
    let raw: RawExperiment = toml::from_str(text)
        .map_err(|e| src.error(e.span(), "", e.message().trim().to_string()))?;
    let c = Checker { src };
    let (p, n, t) = (
        raw.patterns.get_ref(),
        raw.neuron.get_ref(),
        raw.training.get_ref(),
    );
    let dt = c.quantity(&n.dt, Dimension::Time, "neuron.dt")?;
    let duration = c.quantity(&p.duration, Dimension::Time, "patterns.duration")?;
    bounds::sample_steps(&c.src, &p.duration, "patterns.duration", duration, dt)?;
    let classes = ClassSpec {
        afferents: c.count(&p.afferents, "patterns.afferents", 1..100_001)?,
        duration,
        rate: c.quantity(&p.rate, Dimension::Frequency, "patterns.rate")?,
        prototypes: c.count(&p.prototypes, "patterns.prototypes", 1..10_001)?,
        jitter: parse_as(p.jitter.get_ref(), Dimension::Time)
            .map_err(|e| c.err(&p.jitter, "patterns.jitter", e.to_string()))
            .and_then(|j| {
                if j < 0.0 {
                    Err(c.err(&p.jitter, "patterns.jitter", "must not be negative"))
                } else {
                    Ok(j)
                }
            })?,
    };
    let readout = readout(&c, &raw.neuron)?;
    let output = raw.output.as_ref();
    Ok(Experiment {
        train: c.count(&p.train, "patterns.train", 2..1_000_001)?,
        test: c.count(&p.test, "patterns.test", 2..1_000_001)?,
        seed: p.seed.unwrap_or(0),
        readout,
        tau_m: c.quantity(&n.tau_m, Dimension::Time, "neuron.tau_m")?,
        v_th: bounds::positive_up_to(&c.src, &n.v_th, "neuron.v_th", bounds::WEIGHT_SCALE)?,
        w_max: bounds::positive_up_to(&c.src, &n.w_max, "neuron.w_max", bounds::WEIGHT_SCALE)?,
        dt,
        epochs: c.count(&t.epochs, "training.epochs", 1..100_001)?,
        rates: Rates {
            weights: bounds::positive_up_to(
                &c.src,
                &t.learning_rate,
                "training.learning_rate",
                bounds::LEARNING_RATE,
            )?,
            threshold: c.intrinsic_rate(&t.threshold_rate, "training.threshold_rate")?,
            tau_m: c.intrinsic_rate(&t.tau_rate, "training.tau_rate")?,
        },
        results: output.and_then(|o| o.results.as_ref().map(PathBuf::from)),
        plot: output.and_then(|o| o.plot.as_ref().map(PathBuf::from)),
        classes,
    })
}

/// `neuron.model` and, for a meta tempotron, its escape noise.
fn readout(c: &Checker, neuron: &Spanned<RawNeuron>) -> Result<Readout, ModelError> {
    let n = neuron.get_ref();
    Ok(match n.model.get_ref().as_str() {
        "lif" => {
            for (given, name) in [
                (n.escape.as_ref().map(|s| s.span()), "escape"),
                (n.rho_0.as_ref().map(|s| s.span()), "rho_0"),
                (n.delta_u.as_ref().map(|s| s.span()), "delta_u"),
            ] {
                if let Some(span) = given {
                    return Err(c.src.error(
                        Some(span),
                        format!("neuron.{name}"),
                        "a LIF tempotron has no escape noise; remove it or use model = \"meta\"",
                    ));
                }
            }
            Readout::Lif
        }
        "meta" => {
            let missing = |f: &str| {
                c.src.error(
                    Some(neuron.span()),
                    format!("neuron.{f}"),
                    "missing: a meta tempotron needs it",
                )
            };
            let delta_u = bounds::positive_up_to(
                &c.src,
                n.delta_u.as_ref().ok_or_else(|| missing("delta_u"))?,
                "neuron.delta_u",
                bounds::WEIGHT_SCALE,
            )?;
            let escape = match n.escape.as_ref().map(|s| (s, s.get_ref().as_str())) {
                None | Some((_, "exponential")) => {
                    let rho = n.rho_0.as_ref().ok_or_else(|| missing("rho_0"))?;
                    Escape::Exponential {
                        rho_0: c.quantity(rho, Dimension::Frequency, "neuron.rho_0")?,
                    }
                }
                Some((_, "sigmoid")) => Escape::Sigmoid,
                Some((s, other)) => {
                    return Err(c.err(
                        s,
                        "neuron.escape",
                        format!(
                            "unknown escape {other:?}, expected \"exponential\" or \"sigmoid\""
                        ),
                    ));
                }
            };
            Readout::Meta(EscapeNoise {
                escape,
                v_th: 0.0,
                delta_u,
            })
        }
        other => {
            return Err(c.err(
                &n.model,
                "neuron.model",
                format!("unknown tempotron model {other:?}, expected \"lif\" or \"meta\""),
            ));
        }
    })
}

/// Train and test. Class 1 is the `+` class (the neuron should fire).
pub fn run(e: &Experiment, progress: &mut dyn FnMut(usize)) -> Outcome {
    let stream = |role: &str| rng::stream(e.seed, "tempotron", role);
    let classes = Classes::new(&e.classes, &mut stream("prototypes"));
    let train = classes.samples(e.train, &mut stream("train"));
    let test = classes.samples(e.test, &mut stream("test"));
    let mut t = Tempotron::new(
        e.classes.afferents,
        e.w_max,
        e.tau_m,
        e.v_th,
        e.readout,
        e.dt,
        &mut stream("weights"),
    );
    let (mut learn_rng, mut eval_rng) = (stream("learning"), stream("evaluation"));
    let mut outcome = Outcome {
        train_accuracy: Vec::new(),
        test_accuracy: Vec::new(),
        intrinsic: Vec::new(),
        tempotron: t.clone(),
        lzc: NearestMean { means: Vec::new() },
        lzc_accuracy: 0.0,
    };
    for epoch in 0..e.epochs {
        let mut right = 0;
        for (p, label) in &train {
            let r = t.respond(p, &mut learn_rng);
            if !t.learn(p, *label == 1, &r, &e.rates) {
                right += 1;
            }
        }
        outcome
            .train_accuracy
            .push(right as f64 / train.len() as f64);
        let responses = respond_all(&t, &test, &mut eval_rng);
        outcome
            .test_accuracy
            .push(decision_accuracy(&responses, &test));
        outcome.intrinsic.push((t.v_th, t.tau_m));
        progress(epoch + 1);
    }
    let bins = (e.classes.duration / e.dt).round() as usize;
    let lzc_of = |rs: &[Response]| -> Vec<f64> {
        rs.iter()
            .map(|r| complexity(&binarise(&r.spikes, e.dt, bins)))
            .collect()
    };
    let train_lzc = lzc_of(&respond_all(&t, &train, &mut eval_rng));
    let labels: Vec<usize> = train.iter().map(|(_, l)| *l).collect();
    let lzc = NearestMean::fit(&train_lzc, &labels, 2);
    let test_lzc = lzc_of(&respond_all(&t, &test, &mut eval_rng));
    let right = test_lzc
        .iter()
        .zip(&test)
        .filter(|(v, (_, l))| lzc.predict(**v) == *l)
        .count();
    outcome.lzc_accuracy = right as f64 / test.len() as f64;
    outcome.lzc = lzc;
    outcome.tempotron = t;
    outcome
}

fn respond_all(
    t: &Tempotron,
    set: &[(Pattern, usize)],
    rng: &mut rand_pcg::Pcg64,
) -> Vec<Response> {
    set.iter().map(|(p, _)| t.respond(p, rng)).collect()
}

fn decision_accuracy(responses: &[Response], set: &[(Pattern, usize)]) -> f64 {
    let right = responses
        .iter()
        .zip(set)
        .filter(|(r, (_, l))| r.fired() == (*l == 1))
        .count();
    right as f64 / set.len() as f64
}

/// The per-epoch table: `epoch,train_accuracy,test_accuracy,v_th,tau_m_ms`.
pub fn csv(o: &Outcome) -> String {
    let mut s = String::from("epoch,train_accuracy,test_accuracy,v_th,tau_m_ms\n");
    for (i, ((tr, te), (th, tau))) in o
        .train_accuracy
        .iter()
        .zip(&o.test_accuracy)
        .zip(&o.intrinsic)
        .enumerate()
    {
        s += &format!("{},{tr},{te},{th},{}\n", i + 1, tau * 1e3);
    }
    s
}

/// Write the per-epoch CSV and the accuracy plot named in `[output]`;
/// returns the paths written.
pub fn write_outputs(e: &Experiment, o: &Outcome) -> Result<Vec<PathBuf>, crate::Error> {
    let mut written = Vec::new();
    if let Some(path) = &e.results {
        create_parent(path)?;
        std::fs::write(path, csv(o)).map_err(|err| {
            crate::Error::Usage(format!("{}: cannot write: {err}", path.display()))
        })?;
        written.push(path.clone());
    }
    if let Some(path) = &e.plot {
        create_parent(path)?;
        let model = match e.readout {
            Readout::Lif => "LIF",
            Readout::Meta(_) => "meta-neuron",
        };
        let curves = [
            crate::plot::learning::Curve {
                label: "training".into(),
                values: o.train_accuracy.clone(),
            },
            crate::plot::learning::Curve {
                label: "held-out".into(),
                values: o.test_accuracy.clone(),
            },
        ];
        let references = [("LZC read-out".to_string(), o.lzc_accuracy)];
        let title = format!("{model} tempotron, two Poisson pattern classes");
        crate::plot::learning::accuracy(path, &title, &curves, &references)?;
        written.push(path.clone());
    }
    Ok(written)
}

fn create_parent(path: &Path) -> Result<(), crate::Error> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir).map_err(|e| {
            crate::Error::Usage(format!("cannot create the folder {}: {e}", dir.display()))
        }),
        _ => Ok(()),
    }
}
