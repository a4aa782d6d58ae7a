//! The learning commands from the outside: a non-zero exit and a message
//! naming the file (and line and field) for bad input, never a panic; and
//! `dataset info` on the shipped spike-digits.

use std::path::Path;
use std::process::{Command, Output};

fn spikesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .args(args)
        .output()
        .unwrap()
}

fn fails_with(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains(expected),
        "expected {expected:?} in {stderr}"
    );
}

#[test]
fn dataset_info_summarises_spike_digits() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("stimuli/spike_digits/latency_test.h5");
    let out = spikesim(&["dataset", "info", file.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("samples:  360"), "{text}");
    assert!(text.contains("classes:  10"), "{text}");
    assert!(text.contains("channels: 64"), "{text}");
}

#[test]
fn dataset_info_rejects_missing_and_malformed_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.h5");
    fails_with(
        &spikesim(&["dataset", "info", missing.to_str().unwrap()]),
        "none.h5: no such file",
    );
    let empty = dir.path().join("empty.h5");
    hdf5::File::create(&empty).unwrap();
    fails_with(
        &spikesim(&["dataset", "info", empty.to_str().unwrap()]),
        "empty.h5: missing dataset `spikes/times`",
    );
}

#[test]
fn train_rejects_a_bad_experiment_with_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("exp.toml");
    std::fs::write(
        &exp,
        "[data]\ntrain = \"a.h5\"\ntest = \"b.h5\"\ndt = \"1 ms\"\n\n[[layer]]\nsize = 10\ntau_m = \"-3 ms\"\n\n[readout]\nkind = \"membrane\"\ntau_m = \"20 ms\"\n",
    )
    .unwrap();
    fails_with(
        &spikesim(&["train", exp.to_str().unwrap()]),
        "exp.toml:8: layer[0].tau_m",
    );
    // A valid experiment whose data is missing names the data file.
    std::fs::write(
        &exp,
        "[data]\ntrain = \"a.h5\"\ntest = \"b.h5\"\ndt = \"1 ms\"\n\n[[layer]]\nsize = 10\ntau_m = \"3 ms\"\n\n[readout]\nkind = \"membrane\"\ntau_m = \"20 ms\"\n",
    )
    .unwrap();
    fails_with(
        &spikesim(&["train", exp.to_str().unwrap()]),
        "a.h5: no such file",
    );
}

#[test]
fn encode_rejects_unknown_encoders_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("x.csv");
    std::fs::write(&csv, "label,a\n0,1\n").unwrap();
    let out = dir.path().join("x.h5");
    let args = |enc: &'static str| {
        vec![
            "dataset".to_string(),
            "encode".into(),
            csv.to_str().unwrap().into(),
            "--out".into(),
            out.to_str().unwrap().into(),
            "--encoder".into(),
            enc.into(),
        ]
    };
    let run = |a: Vec<String>| {
        Command::new(env!("CARGO_BIN_EXE_spikesim"))
            .args(a)
            .output()
            .unwrap()
    };
    fails_with(&run(args("morse")), "unknown encoder \"morse\"");
    std::fs::write(&csv, "label,a\nx,1\n").unwrap();
    fails_with(&run(args("rate")), "x.csv: cannot read `line 2`");
    assert!(!out.exists());
}
