//! Bad plasticity in a model file: a clear message naming the file, line
//! and field, a non-zero exit, no panic and no results file.

use std::path::Path;
use std::process::Command;

const GOOD: &str = r#"[simulation]
dt = "0.1 ms"
duration = "10 ms"

[[population]]
name = "exc"
size = 10
model = "lif"
params = { tau_m = "20 ms", v_rest = "-65 mV", v_th = "-50 mV" }

[[projection]]
from = "exc"
to = "exc"
connect = { fixed_probability = 0.1 }
weight = "0.5 mV"
delay = "1 ms"
plasticity = { stdp = { tau_plus = "20 ms", tau_minus = "20 ms", a_plus = "0.01 mV", a_minus = "0.0105 mV", w_min = "0 mV", w_max = "1 mV" } }

[[record]]
projection = "exc->exc"
weights = true
times = ["0 ms", "10 ms"]
"#;

/// Runs `text`; returns (exit code, stderr, whether a results file exists).
fn run(text: &str) -> (Option<i32>, String, bool) {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.toml");
    std::fs::write(&model, text).unwrap();
    let out = dir.path().join("out.h5");
    let output = Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .arg("run")
        .arg(&model)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let exists = out.exists() || Path::new(&format!("{}.partial", out.display())).exists();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        exists,
    )
}

fn assert_fails(text: &str, fragments: &[&str]) {
    let (code, stderr, exists) = run(text);
    assert_eq!(code, Some(1), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    for f in fragments {
        assert!(stderr.contains(f), "expected {f:?} in: {stderr}");
    }
    assert!(!exists, "no results file after a failed run");
}

/// The good model's results file is whole (no `.partial` left) and holds
/// the two weight snapshots the model asks for: every synapse at its
/// initial 0.5 mV (no neuron fires without input, so STDP leaves them).
#[test]
fn the_good_plastic_model_runs_and_records_weights() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.toml");
    std::fs::write(&model, GOOD).unwrap();
    let out = dir.path().join("out.h5");
    let output = Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .arg("run")
        .arg(&model)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!Path::new(&format!("{}.partial", out.display())).exists());
    let results = spikesim::io::hdf5::read_results(&out).unwrap();
    let w = results.weights_of("exc->exc").expect("weights of exc->exc");
    assert_eq!(w.steps, [0, 100]);
    assert_eq!(w.times, [0.0, 0.01]);
    // About 0.1 x 10 x 10 synapses, each a pair of neurons of `exc`, in
    // (pre, post) order.
    let n = w.synapses();
    assert!((2..=30).contains(&n), "{n} synapses");
    assert_eq!(w.post.len(), n);
    let pairs: Vec<(u32, u32)> = w.pre.iter().copied().zip(w.post.iter().copied()).collect();
    assert!(pairs.iter().all(|&(a, b)| a < 10 && b < 10), "{pairs:?}");
    assert!(pairs.windows(2).all(|p| p[0] < p[1]), "{pairs:?}");
    assert_eq!(w.values.len(), 2 * n);
    // Synaptic weights are kept in f32.
    assert!(
        w.values.iter().all(|&v| (v - 0.5e-3).abs() < 1e-10),
        "{:?}",
        w.values
    );
}

#[test]
fn unknown_rule_is_named() {
    assert_fails(
        &GOOD.replace("{ stdp = {", "{ stpd = {"),
        &[
            "model.toml:17",
            "projection[0].plasticity.stpd",
            "unknown plasticity rule `stpd`",
            "stdp, triplet_stdp, hebbian, oja, oja_subspace",
        ],
    );
}

#[test]
fn two_rules_at_once_are_rejected() {
    let text = GOOD.replace(
        "w_max = \"1 mV\" } }",
        "w_max = \"1 mV\" }, oja = { eta = \"1 Hz\" } }",
    );
    assert_fails(
        &text,
        &[
            "model.toml:17",
            "projection[0].plasticity",
            "exactly one rule",
        ],
    );
}

#[test]
fn w_min_above_w_max_is_rejected() {
    assert_fails(
        &GOOD.replace("w_min = \"0 mV\"", "w_min = \"2 mV\""),
        &[
            "model.toml:17",
            "projection[0].plasticity.stdp.w_max",
            "must not be below w_min",
        ],
    );
}

#[test]
fn negative_time_constant_is_rejected() {
    assert_fails(
        &GOOD.replace("tau_minus = \"20 ms\"", "tau_minus = \"-20 ms\""),
        &[
            "model.toml:17",
            "projection[0].plasticity.stdp.tau_minus",
            "must be positive",
        ],
    );
}

#[test]
fn unknown_parameter_and_choice_are_named() {
    assert_fails(
        &GOOD.replace("a_plus =", "a_pluss ="),
        &["plasticity.stdp.a_pluss", "unknown parameter", "allowed:"],
    );
    assert_fails(
        &GOOD.replace(
            "w_max = \"1 mV\" }",
            "w_max = \"1 mV\", pairing = \"closest\" }",
        ),
        &[
            "plasticity.stdp.pairing",
            "unknown pairing",
            "all_to_all, nearest",
        ],
    );
}

#[test]
fn amplitudes_need_the_weight_unit_or_a_number() {
    // Additive: a weight; a current makes no sense on a delta synapse.
    assert_fails(
        &GOOD.replace("a_plus = \"0.01 mV\"", "a_plus = \"0.01 nA\""),
        &["model.toml:17", "plasticity.stdp.a_plus"],
    );
    // Multiplicative: a fraction, and it must be finite.
    let text = GOOD.replace(
        "a_plus = \"0.01 mV\", a_minus = \"0.0105 mV\"",
        "a_plus = nan, a_minus = 0.01, weight_dependence = \"multiplicative\"",
    );
    assert_fails(&text, &["plasticity.stdp.a_plus", "must be finite"]);
}

#[test]
fn initial_weights_outside_the_bounds_are_rejected() {
    assert_fails(
        &GOOD.replace("weight = \"0.5 mV\"", "weight = \"1.5 mV\""),
        &[
            "model.toml:15",
            "projection[0].weight",
            "within the plasticity bounds",
        ],
    );
}

#[test]
fn subspace_rule_on_a_population_split_between_threads_is_rejected() {
    let text = GOOD.replace("size = 10", "size = 600").replace(
        "stdp = { tau_plus = \"20 ms\", tau_minus = \"20 ms\", a_plus = \"0.01 mV\", a_minus = \"0.0105 mV\", w_min = \"0 mV\", w_max = \"1 mV\" }",
        "oja_subspace = { eta = \"1 Hz\", tau_pre = \"20 ms\", tau_post = \"20 ms\", w_ref = \"1 mV\", w_min = \"-1 mV\", w_max = \"1 mV\" }",
    );
    assert_fails(
        &text,
        &[
            "model.toml:17",
            "projection[0].plasticity.oja_subspace",
            "at most 511 neurons",
            "has 600",
        ],
    );
}

#[test]
fn plasticity_on_a_stimulus_is_rejected() {
    let text = format!(
        "{GOOD}\n[[stimulus]]\nkind = \"poisson\"\npopulation = \"exc\"\nrate = \"10 Hz\"\nweight = \"1 mV\"\nplasticity = {{ stdp = {{}} }}\n"
    );
    assert_fails(&text, &["model.toml:29", "unknown field `plasticity`"]);
}

#[test]
fn weight_records_are_checked() {
    let static_projection = GOOD.replace("plasticity = {", "# plasticity = {");
    assert_fails(
        &static_projection,
        &["model.toml:20", "record[0].projection", "has no plasticity"],
    );
    assert_fails(
        &GOOD.replace("projection = \"exc->exc\"", "projection = \"ee\""),
        &["model.toml:20", "no projection `ee`"],
    );
    assert_fails(
        &GOOD.replace(
            "times = [\"0 ms\", \"10 ms\"]",
            "times = [\"0 ms\", \"20 ms\"]",
        ),
        &["model.toml:22", "record[0].times", "outside the run"],
    );
    assert_fails(
        &GOOD.replace("weights = true\n", ""),
        &["record[0].weights", "weights = true"],
    );
}
