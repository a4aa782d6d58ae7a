//! Long runs in segments: a run cut into segments (recordings handed over
//! at many epoch boundaries) gives exactly the one-sweep run, and a run
//! stopped after a checkpoint and resumed from it in a fresh network gives
//! exactly the uninterrupted run, for both engines, fixed-point mode, STDP,
//! Poisson and probabilistic neurons, astrocytes, and 1 or 3 threads.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use spikesim::engine::comm::Solo;
use spikesim::engine::segment::append_results;
use spikesim::engine::{Control, Ended, Output, Sink, run_share};
use spikesim::io::results::Results;
use spikesim::model::ModelSpec;

use crate::common;

/// Spikes (per-synapse delays), a Poisson input, probabilistic (meta)
/// neurons, STDP with weight snapshots and a state record.
const MIXED: &str = r#"
[simulation]
dt = "0.1 ms"
duration = "150 ms"
seed = 21
engine = "ENGINE"
threads = THREADS

[[population]]
name = "exc"
size = 600
model = "cuba_lif"
params = { tau_m = "20 ms", v_rest = "-49 mV", v_reset = "-60 mV", v_th = "-50 mV", t_ref = "5 ms", tau_syn_e = "5 ms", tau_syn_i = "10 ms" }
init = { v = { uniform = ["-60 mV", "-50 mV"] } }

[[population]]
name = "inh"
size = 150
model = "cuba_lif"
params = { tau_m = "20 ms", v_rest = "-49 mV", v_reset = "-60 mV", v_th = "-50 mV", t_ref = "5 ms", tau_syn_e = "5 ms", tau_syn_i = "10 ms" }
init = { v = { uniform = ["-60 mV", "-50 mV"] } }

[[population]]
name = "ext"
size = 100
model = "poisson"
params = { rate = "20 Hz" }

[[projection]]
name = "ee"
from = "exc"
to = "exc"
connect = { fixed_probability = 0.05 }
weight = { uniform = ["0.3 mV", "0.9 mV"] }
delay = { uniform = ["0.2 ms", "1.5 ms"] }
receptor = "exc"
plasticity = { stdp = { tau_plus = "20 ms", tau_minus = "20 ms", a_plus = "0.01 mV", a_minus = "0.0105 mV", w_min = "0 mV", w_max = "1.5 mV" } }

[[projection]]
from = "exc"
to = "inh"
connect = { fixed_probability = 0.05 }
weight = "0.65 mV"
delay = "0.5 ms"
receptor = "exc"

[[projection]]
from = "inh"
to = "exc"
connect = { fixed_probability = 0.05 }
weight = "-3.6 mV"
delay = { uniform = ["0.2 ms", "1 ms"] }
receptor = "inh"

[[projection]]
from = "ext"
to = "exc"
connect = { fixed_probability = 0.1 }
weight = "0.5 mV"
receptor = "exc"

[[record]]
population = "exc"
variables = ["v"]
neurons = [0, 299, 300, 599]

[[record]]
projection = "ee"
weights = true
interval = "20 ms"
"#;

/// Probabilistic neurons, whose draws must go on where they stopped.
const META: &str = r#"
[simulation]
dt = "0.1 ms"
duration = "100 ms"
seed = 5
threads = THREADS

[[population]]
name = "meta"
size = 200
model = "meta"
params = { firing = "exponential", tau_m = "1 us", v_rest = "-51 mV", v_reset = "-70 mV", v_th = "-50 mV", r_m = "100 Mohm", delta_u = "2 mV", rho_0 = "200 Hz", i_e = "0 pA" }
init = { v = "-51 mV" }

[[record]]
population = "meta"
variables = ["v"]
neurons = [0, 1]
"#;

fn mixed(engine: &str, threads: usize) -> ModelSpec {
    common::spec(
        &MIXED
            .replace("ENGINE", engine)
            .replace("THREADS", &threads.to_string()),
    )
}

fn file_model(name: &str, threads: usize) -> ModelSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(name);
    let set = format!("simulation.threads={threads}");
    spikesim::model::load(&path, &[set]).expect("shipped model")
}

/// Segments handed to the test as they come, and how many there were at
/// each checkpoint.
#[derive(Clone, Default)]
struct Segments(Arc<Mutex<Vec<Results>>>);

impl Sink for Segments {
    fn append(&mut self, segment: Results) -> Result<(), String> {
        self.0.lock().unwrap().push(segment);
        Ok(())
    }
}

impl Segments {
    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The first `n` segments, put together.
    fn joined(&self, n: usize) -> Results {
        let list = self.0.lock().unwrap();
        let mut all = list[0].clone();
        for s in &list[1..n] {
            append_results(&mut all, s.clone());
        }
        all
    }
}

/// `spec` run in segments of `buffer` bytes of recordings at most, with a
/// checkpoint every `every` steps; when `stop_after` is `Some(n)`, the run
/// is asked to stop once its `n`-th checkpoint is written. Returns the
/// segments, the checkpoints `(step, segments before it, state)` and how
/// the run ended.
type Checkpoints = Vec<(u64, usize, Vec<u8>)>;

fn run(
    spec: &ModelSpec,
    buffer: usize,
    every: Option<u64>,
    stop_after: Option<usize>,
    resume: Option<Vec<u8>>,
) -> (Segments, Checkpoints, Ended, u64) {
    let segments = Segments::default();
    let mut sink = segments.clone();
    let checkpoints = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let stop_fn = || stop.load(Ordering::Relaxed);
    let mut checkpoint = |step: u64, states: Option<Vec<Vec<u8>>>, _: Vec<u64>| {
        let mut list = checkpoints.lock().unwrap();
        let state = states.expect("one rank").remove(0);
        list.push((step, segments.count(), state));
        if Some(list.len()) == stop_after {
            stop.store(true, Ordering::Relaxed);
        }
        Ok(())
    };
    let output = Output {
        control: Control {
            checkpoint_every: every,
            buffer_bytes: buffer,
            stop: &stop_fn,
        },
        sink: Some(&mut sink),
        checkpoint: Some(&mut checkpoint),
        resume,
    };
    let end = run_share(spec, &mut |_, _| {}, &Solo, output).expect("the run");
    let checkpoints = checkpoints.into_inner().unwrap();
    (segments, checkpoints, end.ended, end.info.synaptic_events)
}

/// Where two lists first differ, if they do (their lengths, or the first
/// differing index and values), to keep failures short.
fn first_difference<T: PartialEq + std::fmt::Debug>(a: &[T], b: &[T]) -> Option<String> {
    if let Some(i) = a.iter().zip(b).position(|(x, y)| x != y) {
        return Some(format!("index {i}: {:?} against {:?}", a[i], b[i]));
    }
    (a.len() != b.len()).then(|| format!("lengths {} and {}", a.len(), b.len()))
}

fn assert_equal_lists<T: PartialEq + std::fmt::Debug>(a: &[T], b: &[T], what: &str) {
    if let Some(d) = first_difference(a, b) {
        panic!("{what}: {d}");
    }
}

/// Bit for bit the same recordings.
fn assert_same(one: &Results, other: &Results, what: &str) {
    let spikes: usize = one.spikes.iter().map(|s| s.len()).sum();
    assert!(spikes > 50, "{what}: only {spikes} spikes in the reference");
    assert_eq!(one.spikes.len(), other.spikes.len(), "{what}");
    for (a, b) in one.spikes.iter().zip(&other.spikes) {
        let p = &a.population;
        assert_equal_lists(&a.steps, &b.steps, &format!("{what}: steps of {p}"));
        assert_equal_lists(&a.senders, &b.senders, &format!("{what}: senders of {p}"));
        let bits = |t: &Option<Vec<f64>>| {
            t.as_ref()
                .map(|t| t.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
                .unwrap_or_default()
        };
        assert_equal_lists(
            &bits(&a.times),
            &bits(&b.times),
            &format!("{what}: times of {p}"),
        );
    }
    assert_eq!(one.states.len(), other.states.len(), "{what}");
    for (a, b) in one.states.iter().zip(&other.states) {
        let v = &a.variable;
        assert_equal_lists(&a.steps, &b.steps, &format!("{what}: rows of {v}"));
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_equal_lists(&bits(&a.values), &bits(&b.values), &format!("{what}: {v}"));
    }
    assert_eq!(one.weights.len(), other.weights.len(), "{what}");
    for (a, b) in one.weights.iter().zip(&other.weights) {
        let p = &a.projection;
        assert_equal_lists(&a.steps, &b.steps, &format!("{what}: snapshots of {p}"));
        assert_equal_lists(&a.pre, &b.pre, &format!("{what}: pre of {p}"));
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_equal_lists(
            &bits(&a.values),
            &bits(&b.values),
            &format!("{what}: weights of {p}"),
        );
    }
}

/// One sweep; then many segments (a buffer of one byte ends one at every
/// epoch); then a run stopped after its second checkpoint and resumed from
/// it: all the same.
fn check(spec: &ModelSpec, what: &str) {
    let (whole, _, ended, events) = run(spec, usize::MAX, None, None, None);
    assert_eq!(ended, Ended::Finished);
    assert_eq!(whole.count(), 1, "{what}: one sweep is one segment");
    let whole = whole.joined(1);

    let (pieces, _, _, pieces_events) = run(spec, 1, None, None, None);
    assert!(pieces.count() >= 10, "{what}: {} segments", pieces.count());
    assert_same(
        &whole,
        &pieces.joined(pieces.count()),
        &format!("{what}, in segments"),
    );
    assert_eq!(events, pieces_events, "{what}: synaptic events in segments");

    let every = (spec.simulation.steps / 5).max(1);
    let (first, checkpoints, ended, _) = run(spec, usize::MAX, Some(every), Some(2), None);
    let Ended::Stopped(stopped) = ended else {
        panic!("{what}: the run should have stopped, it ended {ended:?}");
    };
    let (step, before, state) = checkpoints[1].clone();
    assert!(
        step >= 2 * every && stopped > step,
        "{what}: {step}, {stopped}"
    );
    let (rest, _, ended, resumed_events) = run(spec, usize::MAX, Some(every), None, Some(state));
    assert_eq!(ended, Ended::Finished, "{what}: resumed");
    let mut joined = first.joined(before);
    append_results(&mut joined, rest.joined(rest.count()));
    assert_same(&whole, &joined, &format!("{what}, resumed at step {step}"));
    assert_eq!(events, resumed_events, "{what}: synaptic events resumed");
}

#[test]
fn segments_and_resumes_change_nothing_in_the_clock_engine() {
    for threads in [1, 3] {
        check(
            &mixed("clock", threads),
            &format!("clock, {threads} threads"),
        );
    }
}

#[test]
fn segments_and_resumes_change_nothing_in_the_event_engine() {
    for threads in [1, 3] {
        check(
            &mixed("event", threads),
            &format!("event, {threads} threads"),
        );
    }
}

#[test]
fn segments_and_resumes_change_nothing_in_fixed_point_mode() {
    check(&file_model("fixed_point_demo.toml", 2), "fixed point");
}

#[test]
fn segments_and_resumes_change_nothing_for_probabilistic_neurons_and_astrocytes() {
    check(&common::spec(&META.replace("THREADS", "2")), "meta neurons");
    let mut astro = file_model("astrocyte_network.toml", 2);
    astro.simulation.duration = 1.0;
    astro.simulation.steps = (1.0 / astro.simulation.dt).round() as u64;
    check(&astro, "astrocytes");
}

#[test]
fn segments_and_resumes_change_nothing_with_zero_delay_layers() {
    let dir = tempfile::tempdir().unwrap();
    let mut clock = common::spec(&crate::zero_delay::mixed_model(dir.path()));
    clock.simulation.threads = 3;
    check(&clock, "zero-delay layers, clock");
    let demo = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/fixed_point_demo.toml"
    ))
    .unwrap()
    .replace("weight = 4\n", "weight = 4\ndelay = \"0 ms\"\n");
    let mut fixed = common::spec(&demo);
    fixed.simulation.threads = 2;
    check(&fixed, "zero-delay layers, fixed point");
}
