//! The experiment commands' shared options from the outside: `--check`
//! validates and runs nothing, `--set` changes a field (and an unknown one
//! is an error naming it), `tempotron --epochs/--seed` act as the file's
//! fields, `train --epochs 0` writes and names no file, and `--resume`
//! asking for fewer epochs than done is refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn spikesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout_of(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fails_with(out: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains(expected),
        "expected {expected:?} in {stderr}"
    );
}

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

/// A small training experiment on the spike digits' test set (360
/// samples), writing into `dir/out`.
fn training_experiment(dir: &Path, train: &str) -> PathBuf {
    let text = format!(
        "[data]\ntrain = \"{train}\"\ntest = \"{}\"\ndt = \"1 ms\"\n\n\
         [[layer]]\nsize = 8\nneuron = \"lif\"\ntau_m = \"10 ms\"\nthreshold = 1.0\n\n\
         [readout]\nkind = \"membrane\"\ntau_m = \"20 ms\"\n\n\
         [training]\nepochs = 2\nbatch_size = 64\nlr = 2e-3\nseed = 1\n\n\
         [output]\ndir = \"{}\"\n",
        repo("stimuli/spike_digits/latency_test.h5"),
        dir.join("out").display()
    );
    let path = dir.join("exp.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A small Tempotron experiment writing its table to `dir/acc.csv`.
fn tempotron_experiment(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo("models/meta_tempotron.toml"))
        .unwrap()
        .replace("afferents = 200", "afferents = 50")
        .replace("train = 200", "train = 20")
        .replace("test = 200", "test = 20")
        .replace(
            "results/meta_tempotron.csv",
            &dir.join("acc.csv").display().to_string(),
        )
        .replace("plot = \"results/meta_tempotron.png\"", "");
    let path = dir.join("tempotron.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn check_validates_experiments_and_their_data_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let exp = training_experiment(dir.path(), &repo("stimuli/spike_digits/latency_test.h5"));
    let e = exp.to_str().unwrap();
    let text = stdout_of(&spikesim(&["train", "--check", e]));
    assert!(text.contains("ok, training experiment"), "{text}");
    assert!(text.contains("2 epochs"), "{text}");
    // --set reaches the summary: the file is read as the command would.
    let text = stdout_of(&spikesim(&[
        "train",
        "--check",
        e,
        "--set",
        "training.epochs=5",
    ]));
    assert!(text.contains("5 epochs"), "{text}");
    assert_eq!(files_in(dir.path()), ["exp.toml"], "--check wrote nothing");
    // A missing dataset file, a bad --set value and an unknown key.
    let missing = training_experiment(dir.path(), "nowhere.h5");
    fails_with(
        &spikesim(&["train", "--check", missing.to_str().unwrap()]),
        "nowhere.h5 does not exist",
    );
    let exp = training_experiment(dir.path(), &repo("stimuli/spike_digits/latency_test.h5"));
    let e = exp.to_str().unwrap();
    fails_with(
        &spikesim(&["train", "--check", e, "--set", "layer.0.tau_m=-3 ms"]),
        "layer[0].tau_m",
    );
    fails_with(
        &spikesim(&["train", "--check", e, "--set", "nosuch.key=1"]),
        "nosuch.key",
    );
    // A file that is no TOML gets the parser's located error.
    std::fs::write(dir.path().join("broken.toml"), "[data]\ntrain = \n").unwrap();
    fails_with(
        &spikesim(&[
            "train",
            "--check",
            dir.path().join("broken.toml").to_str().unwrap(),
        ]),
        "broken.toml:2",
    );
    std::fs::remove_file(dir.path().join("broken.toml")).unwrap();
    // A model or a Tempotron file given to train names the command that
    // reads it.
    fails_with(
        &spikesim(&["train", "--check", &repo("models/single_lif.toml")]),
        "run `spikesim run",
    );
    let tempotron = tempotron_experiment(dir.path());
    fails_with(
        &spikesim(&["train", "--check", tempotron.to_str().unwrap()]),
        "run `spikesim tempotron",
    );
    let text = stdout_of(&spikesim(&[
        "tempotron",
        "--check",
        tempotron.to_str().unwrap(),
        "--epochs",
        "7",
    ]));
    assert!(
        text.contains("ok, Tempotron experiment") && text.contains("7 epochs"),
        "{text}"
    );
    let text = stdout_of(&spikesim(&[
        "continual",
        "--check",
        &repo("models/continual_split_digits.toml"),
    ]));
    assert!(text.contains("ok, continual-learning experiment"), "{text}");
    assert!(!dir.path().join("acc.csv").exists());
}

#[test]
fn tempotron_epochs_and_seed_act_as_the_files_fields() {
    let dir = tempfile::tempdir().unwrap();
    let exp = tempotron_experiment(dir.path());
    let e = exp.to_str().unwrap();
    let table = || std::fs::read_to_string(dir.path().join("acc.csv")).unwrap();
    stdout_of(&spikesim(&["tempotron", e, "--epochs", "2", "--seed", "9"]));
    let by_options = table();
    assert_eq!(by_options.lines().count(), 1 + 2, "a header and 2 epochs");
    stdout_of(&spikesim(&[
        "tempotron",
        e,
        "--set",
        "training.epochs=2",
        "--set",
        "patterns.seed=9",
    ]));
    assert_eq!(table(), by_options, "--epochs/--seed are the fields");
    stdout_of(&spikesim(&["tempotron", e, "--epochs", "2"]));
    assert_ne!(table(), by_options, "another seed, other patterns");
    fails_with(
        &spikesim(&["tempotron", e, "--epochs", "0"]),
        "training.epochs",
    );
}

#[test]
fn train_with_zero_epochs_names_no_file_and_resume_refuses_fewer_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let exp = training_experiment(dir.path(), &repo("stimuli/spike_digits/latency_test.h5"));
    let e = exp.to_str().unwrap();
    let text = stdout_of(&spikesim(&["train", e, "--epochs", "0"]));
    assert!(text.contains("nothing trained, no file written"), "{text}");
    assert!(
        !text.contains("metrics:") && !text.contains("checkpoint:"),
        "{text}"
    );
    assert!(!dir.path().join("out").exists());
    let text = stdout_of(&spikesim(&["train", e]));
    assert!(text.contains("epoch   2/2"), "{text}");
    let checkpoint = dir.path().join("out").join("checkpoint.h5");
    // `info` tells the session's files for what they are.
    let said = stdout_of(&spikesim(&["info", checkpoint.to_str().unwrap()]));
    assert!(
        said.contains("a training checkpoint (spikesim train) after 2 epochs"),
        "{said}"
    );
    let metrics = dir.path().join("out").join("metrics.h5");
    let said = stdout_of(&spikesim(&["info", metrics.to_str().unwrap()]));
    let csv = std::fs::read_to_string(dir.path().join("out").join("metrics.csv")).unwrap();
    let last: Vec<f64> = csv
        .lines()
        .last()
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    let expected = format!(
        "training metrics (spikesim train) of 2 epochs; last epoch: training {:.1} %, test {:.1} %",
        100.0 * last[2],
        100.0 * last[4]
    );
    assert!(said.contains(&expected), "{expected} not in {said}");
    let before = std::fs::read(&checkpoint).unwrap();
    fails_with(
        &spikesim(&["train", e, "--resume", "--epochs", "1"]),
        "has 2 epochs done, more than the 1 asked for",
    );
    assert_eq!(
        std::fs::read(&checkpoint).unwrap(),
        before,
        "left as it was"
    );
}

#[test]
fn metrics_csv_numbers_read_back_to_the_same_values() {
    use spikesim::learn::train::record::write_metrics_csv;
    use spikesim::learn::train::trainer::EpochMetrics;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.csv");
    // Values a fixed number of decimals would round: 1/3, 0.1 + 0.2, a
    // tiny loss, a large time, and a plain 0.5 that needs one digit.
    let history = [
        EpochMetrics {
            epoch: 1,
            train_loss: 1.0 / 3.0,
            train_accuracy: 0.1 + 0.2,
            test_loss: 1.234e-9,
            test_accuracy: 0.5,
            seconds: 12345.678901234,
        },
        EpochMetrics {
            epoch: 2,
            train_loss: std::f64::consts::PI,
            train_accuracy: 1.0,
            test_loss: 2.0f64.sqrt(),
            test_accuracy: 0.987654321,
            seconds: 0.1,
        },
    ];
    write_metrics_csv(&path, &history).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    for (m, row) in history.iter().zip(&rows) {
        let expected = [
            m.epoch as f64,
            m.train_loss,
            m.train_accuracy,
            m.test_loss,
            m.test_accuracy,
            m.seconds,
        ];
        assert_eq!(row.as_slice(), expected.as_slice(), "{text}");
    }
    // Shortest: 0.5 is written "0.5", not "0.500000".
    assert!(text.lines().nth(1).unwrap().contains(",0.5,"), "{text}");
}
