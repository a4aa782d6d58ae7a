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

#[test]
fn delta_encoding_of_one_time_step_is_refused_and_steps_names_the_row_length() {
    let dir = tempfile::tempdir().unwrap();
    // One channel over two steps per row: 0 -> 1 rises, 1 -> 0 falls.
    let csv = dir.path().join("x.csv");
    std::fs::write(&csv, "label,a0,a1\n0,0,1\n1,1,0\n").unwrap();
    let out = dir.path().join("x.h5");
    let encode = |extra: &[&str]| {
        let mut args = vec![
            "dataset",
            "encode",
            csv.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--encoder",
            "delta",
            "--threshold",
            "0.5",
        ];
        args.extend_from_slice(extra);
        spikesim(&args)
    };
    // Read as two channels of one step each: no change to encode.
    fails_with(&encode(&[]), "one time step, which gives no spike");
    assert!(!out.exists(), "no file for a refused encoding");
    for name in ["--steps", "--time-steps"] {
        let run = encode(&[name, "2"]);
        assert!(
            run.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let data = spikesim::io::dataset::read_dataset(&out).unwrap();
        // Delta writes an up and a down channel per input channel; the
        // spike of step 1 sits at its middle, 1.5 ms.
        assert_eq!(data.channels, 2, "{name}");
        assert_eq!(
            data.samples[0].units,
            [0],
            "{name}: a rise on the up channel"
        );
        assert_eq!(
            data.samples[1].units,
            [1],
            "{name}: a fall on the down channel"
        );
        for s in &data.samples {
            // (to within a microsecond, far under the half step that
            // would put it in another step, as the file stores times)
            assert!((s.times[0] - 1.5e-3).abs() < 1e-6, "{name}: {:?}", s.times);
        }
        std::fs::remove_file(&out).unwrap();
    }
}
