//! Sizes the machine cannot hold, and absurd thread counts: a clean error
//! (exit status 1, a message naming the estimate, its largest part, or the
//! option), quickly and without a large allocation; and an estimate that is
//! close to the memory a real run takes.
//!
//! The children run under `ulimit -v` (an address-space limit of 3 GB), so
//! that what "does not fit" is the same on any machine, and so that a test
//! that did allocate would fail fast instead of swapping.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const LIMIT_KB: u64 = 3_000_000;

fn spikesim_limited(args: &[&str], dir: &Path) -> (Output, Duration) {
    let started = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {LIMIT_KB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_spikesim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("sh runs");
    (out, started.elapsed())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn lif_model(size: u64, duration: &str, extra: &str) -> String {
    format!(
        r#"[simulation]
dt = "0.1 ms"
duration = "{duration}"

[[population]]
name = "a"
size = {size}
model = "lif"
params = {{ tau_m = "20 ms", v_rest = "-70 mV", v_reset = "-70 mV", v_th = "-50 mV", t_ref = "2 ms" }}
{extra}
"#
    )
}

/// Exit status 1 (not a signal), quickly, with every `needles` in stderr.
fn assert_refused(out: &Output, took: Duration, needles: &[&str], what: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{what}: {err}");
    assert!(took < Duration::from_secs(5), "{what} took {took:?}");
    for n in needles {
        assert!(err.contains(n), "{what}: expected {n:?} in {err}");
    }
}

#[test]
fn models_too_large_are_refused_by_check_and_run_with_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // 1e9 LIF neurons: 64 bytes of state each.
        (
            "neurons",
            lif_model(1_000_000_000, "1 ms", ""),
            "neuron state (64.0 GB)",
        ),
        // 1e12 synapses: all-to-all among 1e6 neurons.
        (
            "synapses",
            lif_model(
                1_000_000,
                "1 ms",
                "[[projection]]\nfrom = \"a\"\nto = \"a\"\nconnect = \"all_to_all\"\nweight = \"0.1 mV\"\nallow_autapses = true\n",
            ),
            // 1e12 x 8 bytes, built in place (plus 8 MB of row offsets).
            "synapses (8.0 TB)",
        ),
    ];
    for (name, text, largest) in cases {
        let file = format!("{name}.toml");
        write(dir.path(), &file, &text);
        for command in ["check", "run"] {
            let (out, took) = spikesim_limited(&[command, &file], dir.path());
            assert_refused(
                &out,
                took,
                &[
                    "needs an estimated",
                    &format!("the largest part is {largest}"),
                    "address-space limit 3.1 GB",
                ],
                &format!("{command} {name}"),
            );
            assert!(
                !dir.path().join("results").exists(),
                "{command} {name} wrote results"
            );
        }
    }
}

#[test]
fn runs_whose_results_file_would_not_fit_on_the_disk_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // 4e12 samples: 1e5 neurons x 4e7 steps, 8 bytes each, 32 TB on disk;
    // in memory, only the buffer between writes.
    let text = lif_model(
        100_000,
        "4000 s",
        "[[record]]\npopulation = \"a\"\nvariables = [\"v\"]\n",
    );
    write(dir.path(), "recording.toml", &text);
    let (out, took) = spikesim_limited(&["run", "recording.toml"], dir.path());
    assert_refused(&out, took, &["TB of disk", "free"], "run recording");
    assert!(!dir.path().join("results").exists());
    let (out, _) = spikesim_limited(&["check", "recording.toml"], dir.path());
    assert!(out.status.success(), "check: {}", stderr(&out));
}

#[test]
fn check_prints_the_estimate_of_a_model_that_fits() {
    let dir = tempfile::tempdir().unwrap();
    // 1000 x 1000 x 0.5 synapses of 8 bytes, built in place: 5e5 x 8 = 4 MB
    // (and 8 kB of row offsets per part).
    let text = lif_model(
        1000,
        "10 ms",
        "[[projection]]\nfrom = \"a\"\nto = \"a\"\nconnect = { fixed_probability = 0.5 }\nweight = \"0.1 mV\"\nallow_autapses = true\n",
    );
    write(dir.path(), "m.toml", &text);
    let (out, _) = spikesim_limited(&["check", "m.toml"], dir.path());
    let text = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.contains("m.toml: ok"), "{text}");
    assert!(text.contains("memory: estimated"), "{text}");
    assert!(text.contains("synapses 4.0 MB"), "{text}");
}

#[test]
fn an_allocation_beyond_the_limit_is_an_error_when_the_estimate_is_overridden() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // 9e8 synapses (3.6 GB of targets, as many of weights): the
        // synapse storage.
        (
            "synapses",
            lif_model(
                30_000,
                "1 ms",
                "[[projection]]\nfrom = \"a\"\nto = \"a\"\nconnect = \"all_to_all\"\nweight = \"0.1 mV\"\n",
            ),
            "cannot allocate 3.6 GB for synapse storage",
        ),
    ];
    for (name, text, what) in cases {
        let file = format!("{name}.toml");
        write(dir.path(), &file, &text);
        let (out, took) = spikesim_limited(&["run", &file, "--ignore-memory-limit"], dir.path());
        assert_refused(
            &out,
            took,
            &["memory limit ignored", "cannot allocate", what],
            name,
        );
    }
}

/// Bytes from "209.6 MB".
fn parse_bytes(text: &str) -> f64 {
    let (value, unit) = text.trim().split_once(' ').expect("value and unit");
    let scale = match unit {
        "B" => 1.0,
        "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        other => panic!("unit {other}"),
    };
    value.parse::<f64>().unwrap() * scale
}

#[test]
fn the_estimate_of_a_real_model_is_within_a_factor_of_two_of_its_peak() {
    let dir = tempfile::tempdir().unwrap();
    // 2e6 synapses with differing delays and 4e6 recorded samples: the
    // network, not the program, makes most of the peak (~160 MB).
    let text = r#"[simulation]
dt = "0.1 ms"
duration = "0.2 s"
seed = 3

[[population]]
name = "cells"
size = 2000
model = "lif"
params = { tau_m = "20 ms", v_rest = "-70 mV", v_reset = "-70 mV", v_th = "-50 mV", t_ref = "2 ms", r_m = "100 Mohm", i_e = "210 pA" }
init = { v = { uniform = ["-70 mV", "-50 mV"] } }

[[projection]]
from = "cells"
to = "cells"
connect = { fixed_probability = 0.5 }
weight = "0.01 mV"
delay = { uniform = ["1 ms", "3 ms"] }

[[record]]
population = "cells"
variables = ["v"]
"#;
    write(dir.path(), "m.toml", text);
    let (out, _) = spikesim_limited(
        &["run", "m.toml", "--out", "m.h5", "--no-plots"],
        dir.path(),
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    // "memory: estimated 209.6 MB, peak resident 158.8 MB" (VmHWM of the child)
    let line = text
        .lines()
        .find(|l| l.starts_with("memory: estimated"))
        .unwrap_or_else(|| panic!("no memory line in {text}"));
    let (estimate, peak) = line["memory: estimated".len()..]
        .split_once(", peak resident")
        .unwrap();
    let (estimate, peak) = (parse_bytes(estimate), parse_bytes(peak));
    assert!(peak > 100e6, "the network dominates the peak: {line}");
    let ratio = estimate / peak;
    assert!(
        (0.5..=2.0).contains(&ratio),
        "estimate / peak = {ratio}: {line}"
    );
}

fn experiment(dir: &Path, name: &str, layer: u64, data_extra: &str, training_extra: &str) {
    let stimuli = Path::new(env!("CARGO_MANIFEST_DIR")).join("stimuli/spike_digits");
    let text = format!(
        r#"[data]
train = "{}/latency_train.h5"
test = "{}/latency_test.h5"
dt = "1 ms"
{data_extra}

[[layer]]
size = {layer}
tau_m = "10 ms"

[readout]
kind = "membrane"
tau_m = "20 ms"

[training]
epochs = 1
{training_extra}

[output]
dir = "{}"
"#,
        stimuli.display(),
        stimuli.display(),
        dir.join(format!("out_{name}")).display()
    );
    write(dir, &format!("{name}.toml"), &text);
}

#[test]
fn training_runs_too_large_are_refused_with_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    // A hidden layer of 1e9 neurons: 64 inputs x 1e9 f32 weights per sample
    // of the batch of 32.
    experiment(dir.path(), "layer", 1_000_000_000, "", "");
    // 5 ks samples at 1 ms: 5e6 steps per sample (within the bound of 1e7
    // steps per sample that experiment files accept), binned.
    experiment(dir.path(), "long", 16, "duration = \"5000 s\"", "");
    for (name, largest) in [
        ("layer", "the largest part is per-sample gradients"),
        ("long", "the largest part is binned datasets"),
    ] {
        let (out, took) = spikesim_limited(&["train", &format!("{name}.toml")], dir.path());
        assert_refused(&out, took, &["training needs an estimated", largest], name);
        assert!(!dir.path().join(format!("out_{name}")).exists());
    }
}

#[test]
fn absurd_thread_counts_are_errors_or_clamped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    // Driven above threshold, so that there are spikes to compare.
    let driven = lif_model(100, "200 ms", "").replace(
        "t_ref = \"2 ms\" }",
        "t_ref = \"2 ms\", r_m = \"100 Mohm\", i_e = \"250 pA\" }",
    );
    write(dir.path(), "m.toml", &driven);
    experiment(dir.path(), "exp", 16, "", "");
    let continual =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/continual_split_digits.toml");
    let continual = continual.to_str().unwrap();
    for args in [
        vec!["run", "m.toml", "--threads", "5000"],
        vec!["check", "m.toml", "--threads", "5000"],
        vec!["train", "exp.toml", "--threads", "5000"],
        vec!["continual", continual, "--threads", "5000"],
    ] {
        let (out, took) = spikesim_limited(&args, dir.path());
        assert_refused(
            &out,
            took,
            &["--threads: at most 1024 threads, got 5000"],
            &args.join(" "),
        );
    }
    // In the files: an error naming the file, line and field.
    write(
        dir.path(),
        "threads.toml",
        &lif_model(100, "10 ms", "").replace("duration", "threads = 3000000000\nduration"),
    );
    let (out, took) = spikesim_limited(&["run", "threads.toml"], dir.path());
    assert_refused(
        &out,
        took,
        &["threads.toml:3: simulation.threads: at most 1024"],
        "model threads",
    );
    experiment(dir.path(), "exp_threads", 16, "", "threads = 5000");
    let (out, took) = spikesim_limited(&["train", "exp_threads.toml"], dir.path());
    assert_refused(
        &out,
        took,
        &["training.threads: at most 1024"],
        "training threads",
    );

    // Within the limit but far beyond the cores: clamped, and the results
    // are those of one thread.
    let (one, _) = spikesim_limited(
        &["run", "m.toml", "--out", "one.h5", "--threads", "1"],
        dir.path(),
    );
    assert!(one.status.success(), "{}", stderr(&one));
    let (many, took) = spikesim_limited(
        &["run", "m.toml", "--out", "many.h5", "--threads", "1000"],
        dir.path(),
    );
    assert!(many.status.success(), "{}", stderr(&many));
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(stderr(&many).contains("simulation.threads = 1000 is more than 8 per core"));
    let a = spikesim::io::hdf5::read_results(&dir.path().join("one.h5")).unwrap();
    let b = spikesim::io::hdf5::read_results(&dir.path().join("many.h5")).unwrap();
    assert!(a.spikes[0].len() > 100, "{} spikes", a.spikes[0].len());
    assert_eq!(a.spikes, b.spikes);
    assert!(
        b.info.threads >= 64 && b.info.threads < 1000,
        "{}",
        b.info.threads
    );
}
