//! Training on spike-digits: accuracy, determinism across thread counts,
//! checkpoint/resume, and the exported model's predictions in the simulator.

use std::path::{Path, PathBuf};

use crate::support::{counted_accuracy, last_csv_test_accuracy, params};
use spikesim::learn::train::data::Data;
use spikesim::learn::train::experiment::{Experiment, Rule, load_experiment};
use spikesim::learn::train::export::lif::{export_model, simulated_prediction};
use spikesim::learn::train::session::{SessionOptions, run_session};
use spikesim::learn::train::trainer::{TrainState, evaluate};

fn example(out: &Path) -> Experiment {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/train_spike_digits.toml");
    let mut exp = load_experiment(&path).unwrap();
    exp.output = out.to_path_buf();
    exp
}

fn session(exp: &Experiment, resume: bool) -> (Data, TrainState) {
    let opts = SessionOptions {
        resume,
        show_progress: false,
    };
    let (data, state, _) = run_session(exp, &opts, &mut |_| {}).unwrap();
    (data, state)
}

#[test]
fn feed_forward_snn_reaches_90_percent_on_spike_digits() {
    let dir = tempfile::tempdir().unwrap();
    let exp = example(dir.path());
    let (data, state) = session(&exp, false);
    let accuracy = counted_accuracy(&state.net, &data.test);
    assert!(accuracy >= 0.90, "test accuracy {accuracy}");
    // What the run reported for its last epoch is the trained network's.
    let reported = state.history.last().unwrap().test_accuracy;
    assert_eq!(reported, accuracy);
    assert!((last_csv_test_accuracy(dir.path()) - accuracy).abs() < 1e-6);
    // The files of the run exist and hold one row per epoch.
    let csv = std::fs::read_to_string(dir.path().join("metrics.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + exp.epochs);
    assert!(dir.path().join("learning_curve.png").exists());
}

#[test]
fn online_rule_learns_spike_digits() {
    let dir = tempfile::tempdir().unwrap();
    let mut exp = example(dir.path());
    exp.rule = Rule::Online;
    exp.epochs = 8;
    let (data, state) = session(&exp, false);
    let (_, accuracy, _) = evaluate(&state.net, &data.test);
    // Chance is 10 %.
    assert!(accuracy >= 0.85, "test accuracy {accuracy}");
}

#[test]
fn same_seed_gives_the_same_weights_with_one_and_two_threads() {
    let mut results = Vec::new();
    for threads in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let mut exp = example(dir.path());
        exp.epochs = 2;
        exp.threads = threads;
        results.push(params(&session(&exp, false).1));
    }
    assert_eq!(results[0], results[1]);
}

#[test]
fn resumed_run_equals_an_uninterrupted_one() {
    let whole_dir = tempfile::tempdir().unwrap();
    let mut whole = example(whole_dir.path());
    whole.epochs = 4;
    let (_, uninterrupted) = session(&whole, false);

    let split_dir = tempfile::tempdir().unwrap();
    let mut split = example(split_dir.path());
    split.epochs = 2;
    session(&split, false);
    split.epochs = 4;
    let (_, resumed) = session(&split, true);

    assert_eq!(params(&resumed), params(&uninterrupted));
    assert_eq!(resumed.optimizer, uninterrupted.optimizer);
    let figures = |s: &TrainState| -> Vec<[f64; 4]> {
        s.history
            .iter()
            .map(|m| [m.train_loss, m.train_accuracy, m.test_loss, m.test_accuracy])
            .collect()
    };
    assert_eq!(figures(&resumed), figures(&uninterrupted));
}

#[test]
fn exported_model_reproduces_the_predictions_in_the_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let mut exp = example(dir.path());
    exp.epochs = 5;
    export_agrees(&exp, dir.path());
}

#[test]
fn exported_recurrent_cuba_model_reproduces_the_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let mut exp = example(dir.path());
    exp.epochs = 3;
    exp.layers[0].tau_syn = Some(5.0);
    exp.layers[0].recurrent = true;
    export_agrees(&exp, dir.path());
}

/// Trains `exp`, exports it with each test sample as input in turn, and
/// checks that the simulator predicts what training predicted.
fn export_agrees(exp: &Experiment, dir: &Path) {
    let (data, state) = session(exp, false);
    let (_, _, predicted) = evaluate(&state.net, &data.test);
    let export_dir = dir.join("export");
    std::fs::create_dir_all(&export_dir).unwrap();
    let steps = state.net.steps(data.test.steps);
    let mut model: PathBuf = PathBuf::new();
    let mut agree = 0;
    for (i, &expected) in predicted.iter().enumerate() {
        model = export_model(&state.net, exp.dt, &data.test, i, &export_dir)
            .unwrap()
            .model;
        let spec = spikesim::model::load(&model, &[]).unwrap();
        let results = spikesim::engine::simulate(&spec, &mut |_, _| {});
        let simulated = simulated_prediction(&results, exp.readout, data.classes, steps);
        agree += usize::from(simulated == expected);
    }
    assert!(model.exists());
    assert_eq!(
        agree,
        data.test.len(),
        "{agree} of {} predictions agree",
        data.test.len()
    );
}

#[test]
fn experiment_errors_name_the_file_line_and_field() {
    let path = Path::new("exp.toml");
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/train_spike_digits.toml"),
    )
    .unwrap();
    let cases = [
        ("lr = 2e-3", "lr = -1.0", "training.lr: must be > 0"),
        (
            "kind = \"membrane\"",
            "kind = \"softmax\"",
            "readout.kind: unknown read-out \"softmax\"",
        ),
        ("dt = \"1 ms\"", "dt = \"1 mV\"", "data.dt"),
        ("size = 128", "size = 0", "layer[0].size: must be ≥ 1"),
        (
            "optimizer = \"adam\"",
            "optimizer = \"rmsprop\"",
            "training.optimizer: unknown optimizer",
        ),
        (
            "surrogate = \"fast_sigmoid\"",
            "surrogate = \"heaviside\"",
            "training.surrogate",
        ),
        ("seed = 1", "seed = 1\nbogus = 3", "unknown field `bogus`"),
        (
            "neuron = \"lif\"",
            "neuron = \"izhikevich\"",
            "layer[0].neuron: unknown neuron",
        ),
        (
            "neuron = \"lif\"",
            "neuron = \"cuba_lif\"",
            "layer[0].tau_syn: a \"cuba_lif\" layer needs `tau_syn`",
        ),
        (
            "neuron = \"lif\"",
            "neuron = \"lif\"\ntau_syn = \"5 ms\"",
            "layer[0].tau_syn: a \"lif\" layer has no synaptic current",
        ),
        (
            "seed = 1",
            "seed = 1\nrule = \"online\"\n[[layer]]\nsize = 4\nneuron = \"cuba_lif\"\ntau_m = \"5 ms\"\ntau_syn = \"2 ms\"",
            "training.rule: the online rule trains \"lif\" layers only; layer[1] is a \"cuba_lif\"",
        ),
    ];
    crate::support::assert_located_errors(path, &base, &cases);
}
