//! Long runs that survive, through the command line: SIGINT and SIGTERM
//! stop a run at an epoch boundary and leave an honest file; runs killed
//! with SIGKILL at random moments and resumed from their last checkpoint
//! end with datasets identical to the uninterrupted run; a checkpoint
//! refuses to resume another model or thread count.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use spikesim::io::hdf5::read_results;
use spikesim::io::results::Results;

const BIN: &str = env!("CARGO_BIN_EXE_spikesim");

/// A CUBA-like network with per-synapse delays, a Poisson input, STDP on
/// one projection with weight snapshots, and a state record: about a
/// second of wall time for its 6 s.
const MODEL: &str = r#"
[simulation]
dt = "0.1 ms"
duration = "6 s"
seed = 31
engine = "ENGINE"
threads = 2

[[population]]
name = "exc"
size = 1600
model = "cuba_lif"
params = { tau_m = "20 ms", v_rest = "-49 mV", v_reset = "-60 mV", v_th = "-50 mV", t_ref = "5 ms", tau_syn_e = "5 ms", tau_syn_i = "10 ms" }
init = { v = { uniform = ["-60 mV", "-50 mV"] } }

[[population]]
name = "inh"
size = 400
model = "cuba_lif"
params = { tau_m = "20 ms", v_rest = "-49 mV", v_reset = "-60 mV", v_th = "-50 mV", t_ref = "5 ms", tau_syn_e = "5 ms", tau_syn_i = "10 ms" }
init = { v = { uniform = ["-60 mV", "-50 mV"] } }

[[population]]
name = "ext"
size = 100
model = "poisson"
params = { rate = "10 Hz" }

[[projection]]
name = "ee"
from = "exc"
to = "exc"
connect = { fixed_probability = 0.02 }
weight = { uniform = ["0.5 mV", "1.1 mV"] }
delay = { uniform = ["0.2 ms", "1.5 ms"] }
receptor = "exc"
plasticity = { stdp = { tau_plus = "20 ms", tau_minus = "20 ms", a_plus = "0.005 mV", a_minus = "0.00525 mV", w_min = "0 mV", w_max = "1.6 mV" } }

[[projection]]
from = "exc"
to = "inh"
connect = { fixed_probability = 0.02 }
weight = "1.6 mV"
delay = "0.5 ms"
receptor = "exc"

[[projection]]
from = "inh"
to = "exc"
connect = { fixed_probability = 0.02 }
weight = "-9 mV"
delay = { uniform = ["0.2 ms", "1 ms"] }
receptor = "inh"

[[projection]]
from = "inh"
to = "inh"
connect = { fixed_probability = 0.02 }
weight = "-9 mV"
receptor = "inh"

[[projection]]
from = "ext"
to = "exc"
connect = { fixed_probability = 0.1 }
weight = "1.0 mV"
receptor = "exc"

[[record]]
population = "exc"
variables = ["v"]
neurons = [0, 1, 800, 1599]

[[record]]
projection = "ee"
weights = true
interval = "500 ms"
"#;

fn write_model(dir: &Path, engine: &str) -> PathBuf {
    let path = dir.join(format!("{engine}.toml"));
    std::fs::write(&path, MODEL.replace("ENGINE", engine)).expect("model written");
    path
}

fn spikesim(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn run_args<'a>(model: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["run", model, "--no-plots", "--out", out];
    args.extend_from_slice(extra);
    args
}

/// The model run to its end; how long it took.
fn reference(model: &str, out: &Path) -> (Results, Duration) {
    let started = Instant::now();
    let o = spikesim(&run_args(model, out.to_str().unwrap(), &[]))
        .output()
        .expect("spikesim runs");
    assert!(o.status.success(), "{}", text(&o));
    (
        read_results(out).expect("reference file"),
        started.elapsed(),
    )
}

/// Every dataset the same, bit for bit.
fn assert_same_datasets(one: &Results, other: &Results, what: &str) {
    assert_eq!(other.info.reached, None, "{what}: a complete file");
    let spikes: usize = one.spikes.iter().map(|s| s.len()).sum();
    assert!(spikes > 1000, "{what}: only {spikes} spikes");
    for (a, b) in one.spikes.iter().zip(&other.spikes) {
        assert!(
            a.steps == b.steps && a.senders == b.senders,
            "{what}: spikes of {}",
            a.population
        );
        let bits = |t: &Option<Vec<f64>>| {
            t.as_ref()
                .map(|t| t.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
        };
        assert!(bits(&a.times) == bits(&b.times), "{what}: spike times");
    }
    assert_eq!(one.spikes.len(), other.spikes.len(), "{what}");
    assert_eq!(one.states.len(), other.states.len(), "{what}");
    for (a, b) in one.states.iter().zip(&other.states) {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert!(a.steps == b.steps, "{what}: rows of {}", a.variable);
        assert!(bits(&a.values) == bits(&b.values), "{what}: {}", a.variable);
    }
    assert!(one.weights == other.weights, "{what}: weights");
    assert!(!one.weights.is_empty() && !one.weights[0].steps.is_empty());
    assert_eq!(
        one.info.synaptic_events, other.info.synaptic_events,
        "{what}"
    );
}

fn signal(child: &Child, signal: libc::c_int) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as libc::pid_t, signal);
    }
}

/// Wait for the run to have written something (its partial file exists):
/// it is past the build and in the simulation loop.
fn wait_until_running(out: &Path) {
    let partial = out.with_file_name(format!(
        "{}.partial",
        out.file_name().unwrap().to_string_lossy()
    ));
    let started = Instant::now();
    while !partial.exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn sigint_and_sigterm_stop_at_an_epoch_boundary_and_leave_an_interrupted_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = write_model(dir.path(), "clock");
    let model = model.to_str().unwrap();
    for (sig, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let out = dir.path().join(format!("stopped{sig}.h5"));
        let child = spikesim(&run_args(
            model,
            out.to_str().unwrap(),
            &["--buffer", "1 MiB"],
        ))
        .spawn()
        .unwrap();
        wait_until_running(&out);
        std::thread::sleep(Duration::from_millis(150));
        signal(&child, sig);
        let o = child.wait_with_output().unwrap();
        let said = text(&o);
        assert_eq!(o.status.code(), Some(code), "{said}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(stderr.lines().count(), 1, "one line: {said}");
        assert!(stderr.contains("interrupted at t = "), "{said}");
        let r = read_results(&out).expect("the interrupted file reads");
        let reached = r.info.reached.expect("marked as interrupted");
        assert!(reached > 0.0 && reached < 6.0, "reached {reached}");
        // Stopped at an epoch boundary: all of it recorded, nothing after.
        let steps = (reached / 1e-4).round() as u64;
        let last_spike = r.spikes.iter().flat_map(|s| s.steps.last()).max().unwrap();
        assert!(
            *last_spike <= steps && *last_spike + 200 > steps,
            "{last_spike} {steps}"
        );
        let rows = &r.states[0].steps;
        assert_eq!(*rows.last().unwrap(), steps, "the boundary's sample is in");
        assert_eq!(rows.len() as u64, steps + 1);
        let info = spikesim(&["info", out.to_str().unwrap()]).output().unwrap();
        let warned = text(&info);
        assert!(info.status.success(), "{warned}");
        assert!(
            warned.contains("interrupted") && warned.contains("of 6 s"),
            "{warned}"
        );
    }
}

#[test]
fn a_second_sigint_stops_at_once_and_never_leaves_a_complete_looking_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = write_model(dir.path(), "clock");
    let out = dir.path().join("twice.h5");
    let (model, out_text) = (model.to_str().unwrap(), out.to_str().unwrap());
    let args = run_args(model, out_text, &["--checkpoint-every", "0.1 s"]);
    let child = spikesim(&args).spawn().unwrap();
    wait_until_running(&out);
    // Two signals sent together would arrive as one.
    signal(&child, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(2));
    signal(&child, libc::SIGINT);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o));
    // Either nothing at the path or an interrupted file: never a complete one.
    if out.exists() {
        let r = read_results(&out);
        assert!(r.is_err() || r.unwrap().info.reached.is_some());
    }
}

/// Start a run with checkpoints, SIGKILL it after `after`, then resume
/// until it ends; the final file.
fn killed_and_resumed(model: &str, out: &Path, after: Duration, every: &str) -> (Results, bool) {
    let _ = std::fs::remove_file(out);
    let out_text = out.to_str().unwrap();
    let args = run_args(model, out_text, &["--checkpoint-every", every]);
    let mut child = spikesim(&args).spawn().unwrap();
    std::thread::sleep(after);
    signal(&child, libc::SIGKILL);
    let killed = !child.wait().unwrap().success();
    let checkpoint = out.with_file_name(format!(
        "{}.checkpoint",
        out.file_name().unwrap().to_string_lossy()
    ));
    let mut resume = args.clone();
    if checkpoint.exists() {
        resume.push("--resume");
    }
    if killed {
        // What SIGKILL left at the path is never taken for a whole run.
        if let Ok(r) = read_results(out) {
            assert!(
                r.info.reached.is_some(),
                "a killed run left a complete file"
            );
        }
    }
    let o = spikesim(&resume).output().unwrap();
    assert!(o.status.success(), "resume: {}", text(&o));
    (read_results(out).expect("resumed file"), killed)
}

/// `kills` runs killed mid-run at random moments and resumed, each equal to
/// the uninterrupted run (attempts whose run ended before its kill count as
/// checks of the resumed-or-not file, not as kills).
fn twenty_kills(engine: &str, kills: usize, seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let model = write_model(dir.path(), engine);
    let model = model.to_str().unwrap();
    let (whole, took) = reference(model, &dir.path().join("whole.h5"));
    let mut rng = Pcg64::seed_from_u64(seed);
    let (mut killed, mut attempts) = (0, 0);
    while killed < kills && attempts < 3 * kills {
        let after = took.mul_f64(rng.random_range(0.05..0.7));
        let out = dir.path().join(format!("k{attempts}.h5"));
        let (r, was_killed) = killed_and_resumed(model, &out, after, "0.3 s");
        killed += was_killed as usize;
        attempts += 1;
        assert_same_datasets(&whole, &r, &format!("{engine}, killed after {after:?}"));
    }
    assert_eq!(killed, kills, "{attempts} attempts");
}

#[test]
fn twenty_runs_killed_at_random_and_resumed_equal_the_uninterrupted_run() {
    // 12 in the clock engine (STDP, Poisson, per-synapse delays, traces,
    // weight snapshots, 2 threads), 8 in the event engine.
    twenty_kills("clock", 12, 1);
    twenty_kills("event", 8, 2);
}

#[test]
fn resume_refuses_another_model_or_thread_count_and_a_missing_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let model = write_model(dir.path(), "clock");
    let model = model.to_str().unwrap();
    let out = dir.path().join("r.h5");
    let out_text = out.to_str().unwrap();
    let none = spikesim(&run_args(model, out_text, &["--resume"]))
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(1), "{}", text(&none));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no checkpoint"));

    let mut child = spikesim(&run_args(model, out_text, &["--checkpoint-every", "0.2 s"]))
        .spawn()
        .unwrap();
    let checkpoint = dir.path().join("r.h5.checkpoint");
    let started = Instant::now();
    while !checkpoint.exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    signal(&child, libc::SIGTERM);
    let _ = child.wait();
    for (extra, expected) in [
        (&["--set", "simulation.seed=32"][..], "another model"),
        (&["--threads", "3"][..], "--threads 2"),
    ] {
        let mut args = run_args(model, out_text, &["--resume"]);
        args.extend_from_slice(extra);
        let o = spikesim(&args).output().unwrap();
        let said = text(&o);
        assert_eq!(o.status.code(), Some(1), "{said}");
        assert!(
            said.contains(expected) && said.contains("r.h5.checkpoint"),
            "{said}"
        );
    }
    // A damaged checkpoint is refused, not taken.
    let mut bytes = std::fs::read(&checkpoint).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::write(&checkpoint, bytes).unwrap();
    let o = spikesim(&run_args(model, out_text, &["--resume"]))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("damaged"), "{}", text(&o));
}

#[test]
fn an_interrupted_run_leaves_no_plots_of_an_earlier_run_beside_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = MODEL
        .replace("ENGINE", "clock")
        .replace("duration = \"6 s\"", "duration = \"30 s\"");
    // With --out m.h5, the raster named in [output] is drawn beside it as
    // m_raster.png.
    let raster = dir.path().join("m_raster.png");
    let model = dir.path().join("m.toml");
    std::fs::write(
        &model,
        format!(
            "{text}\n[output]\nraster = \"{}\"\n",
            dir.path().join("raster.png").display()
        ),
    )
    .unwrap();
    let out = dir.path().join("m.h5");
    let (model, out_text) = (model.to_str().unwrap(), out.to_str().unwrap());
    let short = [
        "run",
        model,
        "--out",
        out_text,
        "--set",
        "simulation.duration=\"0.6 s\"",
    ];
    let o = spikesim(&short).output().unwrap();
    assert!(o.status.success() && raster.exists(), "{}", text_of(&o));
    let args = [
        "run",
        model,
        "--out",
        out_text,
        "--checkpoint-every",
        "0.1 s",
    ];
    let child = spikesim(&args).spawn().unwrap();
    wait_until_running(&out);
    signal(&child, libc::SIGTERM);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(143), "{}", text_of(&o));
    assert!(read_results(&out).unwrap().info.reached.is_some());
    assert!(!raster.exists(), "the earlier run's raster is still there");
}

fn text_of(o: &Output) -> String {
    text(o)
}
