//! Bad input gets a clear message naming the file, line and field, a
//! non-zero exit and no panic, and leaves no results file behind.

use std::path::{Path, PathBuf};
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
"#;

struct Outcome {
    code: Option<i32>,
    stderr: String,
    out: PathBuf,
}

fn run_model(dir: &tempfile::TempDir, text: &str, extra: &[&str]) -> Outcome {
    let model = dir.path().join("model.toml");
    std::fs::write(&model, text).unwrap();
    let out = dir.path().join("out.h5");
    let output = Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .arg("run")
        .arg(&model)
        .arg("--out")
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    Outcome {
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        out,
    }
}

/// The run fails cleanly and the message contains every fragment.
fn assert_fails(text: &str, fragments: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let o = run_model(&dir, text, &[]);
    assert_eq!(o.code, Some(1), "stderr: {}", o.stderr);
    assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
    assert!(o.stderr.starts_with("error: "), "{}", o.stderr);
    assert!(
        o.stderr.contains("model.toml"),
        "names the file: {}",
        o.stderr
    );
    for f in fragments {
        assert!(o.stderr.contains(f), "expected {f:?} in: {}", o.stderr);
    }
    assert!(!o.out.exists(), "no results file after a failed run");
    assert!(!Path::new(&format!("{}.partial", o.out.display())).exists());
}

#[test]
fn the_good_model_runs() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_model(&dir, GOOD, &[]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(!Path::new(&format!("{}.partial", o.out.display())).exists());
    // The file is whole and is the run of GOOD: 10 ms of 0.1 ms steps and
    // the spikes of its 10 undriven neurons, which stay at rest.
    let results = spikesim::io::hdf5::read_results(&o.out).unwrap();
    assert_eq!((results.info.dt, results.info.duration), (1e-4, 0.01));
    assert_eq!(results.info.model_text, GOOD);
    let exc = results.spikes_of("exc").expect("spikes of exc");
    assert_eq!(exc.size, 10);
    assert!(exc.is_empty(), "{:?}", exc.steps);
}

#[test]
fn malformed_toml_names_the_line() {
    assert_fails(&GOOD.replace("size = 10", "size = = 10"), &["model.toml:7"]);
}

#[test]
fn unknown_population_is_named_with_its_line_and_field() {
    assert_fails(
        &GOOD.replace("to = \"exc\"", "to = \"exd\""),
        &[
            "model.toml:13",
            "projection[0].to",
            "unknown population `exd`",
            "defined: exc",
        ],
    );
}

#[test]
fn negative_time_constant_is_rejected() {
    assert_fails(
        &GOOD.replace("tau_m = \"20 ms\"", "tau_m = \"-20 ms\""),
        &[
            "model.toml:9",
            "population[exc].params.tau_m",
            "must be positive",
        ],
    );
}

#[test]
fn delay_shorter_than_dt_is_rejected() {
    assert_fails(
        &GOOD.replace("delay = \"1 ms\"", "delay = \"0.05 ms\""),
        &["model.toml:16", "projection[0].delay", "shorter than dt"],
    );
}

#[test]
fn impossible_fixed_total_numbers_are_rejected() {
    let total = |rule: &str| GOOD.replace("{ fixed_probability = 0.1 }", rule);
    assert_fails(
        &total("{ fixed_total_number = -3 }"),
        &[
            "model.toml:14",
            "projection[0].connect",
            "non-negative integer",
        ],
    );
    assert_fails(
        &total("{ fixed_total_number = 2.5 }"),
        &["projection[0].connect", "non-negative integer"],
    );
    // 10 neurons onto themselves without autapses: 90 pairs.
    assert_fails(
        &total("{ fixed_total_number = 91, multapses = false }"),
        &[
            "model.toml:14",
            "projection[0].connect",
            "exceeds the 90 pairs",
        ],
    );
    assert_fails(
        &total("{ fixed_total_number = 5, multapses = \"no\" }"),
        &["projection[0].connect", "multapses must be true or false"],
    );
    assert_fails(
        &total("{ fixed_total_number = 5, autapses = false }"),
        &["projection[0].connect", "takes only `multapses`"],
    );
}

#[test]
fn redrawn_normals_need_mass_between_their_bounds() {
    let weight = |w: &str| GOOD.replace("weight = \"0.5 mV\"", &format!("weight = {w}"));
    assert_fails(
        &weight(
            r#"{ normal = { mean = "0.5 mV", std = "0.1 mV", min = "1 mV", max = "0.9 mV" } }"#,
        ),
        &["model.toml:15", "projection[0].weight", "min exceeds max"],
    );
    // Five standard deviations out: a fraction 2.9e-7 is left.
    assert_fails(
        &weight(r#"{ normal = { mean = "0.5 mV", std = "0.1 mV", min = "1 mV" } }"#),
        &["projection[0].weight", "holds a fraction 2.867e-7"],
    );
    assert_fails(
        &weight(r#"{ normal = { mean = "0.5 mV", std = "0.1 mV", low = "0 mV" } }"#),
        &["projection[0].weight", "got `low`"],
    );
    assert_fails(
        &weight(r#"{ normal = { mean = "0.5 mV", std = "0.1 mV", min = "0 ms" } }"#),
        &["projection[0].weight"],
    );
    // 4.5 standard deviations (3.4e-6) is enough, and runs.
    let dir = tempfile::tempdir().unwrap();
    let ok = weight(r#"{ normal = { mean = "0.5 mV", std = "0.1 mV", min = "0.95 mV" } }"#);
    let o = run_model(&dir, &ok, &[]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
}

#[test]
fn missing_stimulus_file_is_named() {
    let text = GOOD.replace(
        "connect = { fixed_probability = 0.1 }",
        "connect = { list = \"stimuli/does_not_exist.csv\" }",
    );
    assert_fails(
        &text,
        &[
            "model.toml:14",
            "projection[0].connect",
            "file not found",
            "does_not_exist.csv",
        ],
    );
}

#[test]
fn wrong_or_missing_units_say_what_was_expected() {
    assert_fails(
        &GOOD.replace("tau_m = \"20 ms\"", "tau_m = \"20 mV\""),
        &[
            "population[exc].params.tau_m",
            "is a voltage",
            "expected a time",
        ],
    );
    assert_fails(
        &GOOD.replace("v_th = \"-50 mV\"", "v_th = \"-50\""),
        &["params.v_th", "no unit"],
    );
    assert_fails(
        &GOOD.replace("duration = \"10 ms\"", "duration = \"10 parsecs\""),
        &["model.toml:3", "unknown unit"],
    );
}

#[test]
fn nan_is_rejected() {
    assert_fails(
        &GOOD.replace("v_th = \"-50 mV\"", "v_th = \"NaN mV\""),
        &["params.v_th", "not a quantity"],
    );
    assert_fails(
        &GOOD.replace("0.1 }", "nan }"),
        &["projection[0].connect", "fixed_probability"],
    );
}

#[test]
fn unknown_fields_and_parameters_are_rejected() {
    assert_fails(
        &GOOD.replace("size = 10", "size = 10\nsyze = 3"),
        &["model.toml:8", "unknown field `syze`"],
    );
    assert_fails(
        &GOOD.replace("v_th = \"-50 mV\"", "v_th = \"-50 mV\", tau_n = \"1 ms\""),
        &["params.tau_n", "unknown parameter", "allowed:"],
    );
}

#[test]
fn current_synapse_onto_a_plain_lif_is_rejected() {
    assert_fails(
        &GOOD.replace(
            "weight = \"0.5 mV\"",
            "weight = \"0.5 mV\"\nsynapse = \"current\"",
        ),
        &["projection[0].synapse", "cuba_lif"],
    );
}

#[test]
fn impossible_parameters_are_rejected() {
    assert_fails(
        &GOOD.replace("size = 10", "size = -3"),
        &["population[exc].size", "positive"],
    );
    assert_fails(
        &GOOD.replace(
            "v_th = \"-50 mV\"",
            "v_th = \"-50 mV\", v_reset = \"-40 mV\"",
        ),
        &["params.v_reset", "below v_th"],
    );
    assert_fails(
        &GOOD.replace("dt = \"0.1 ms\"", "dt = \"0 ms\""),
        &["simulation.dt", "positive"],
    );
}

#[test]
fn potential_plot_without_recorded_potential_is_rejected() {
    assert_fails(
        &format!("{GOOD}\n[output]\npotential = \"v.png\"\n"),
        &["model.toml:19", "output.potential", "[[record]]"],
    );
}

#[test]
fn bad_override_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_model(&dir, GOOD, &["--set", "population.inh.size=3"]);
    assert_eq!(o.code, Some(1));
    assert!(
        o.stderr.contains("no `population` is named `inh`"),
        "{}",
        o.stderr
    );
}

#[test]
fn missing_model_and_corrupt_results_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_spikesim");
    let missing = Command::new(bin)
        .args(["check", "no/such/model.toml"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("no/such/model.toml") && stderr.contains("cannot read"),
        "{stderr}"
    );

    let corrupt = dir.path().join("corrupt.h5");
    std::fs::write(&corrupt, "not an hdf5 file").unwrap();
    for args in [vec!["info"], vec!["plot", "--raster", "/tmp/x.png"]] {
        let o = Command::new(bin)
            .args(&args)
            .arg(&corrupt)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("corrupt.h5") && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
}
