//! The L2MU cell as a layer of `spikesim train`: the layer's extra gradient
//! paths (from outside the cell, to its input) against finite differences,
//! the memory task learnt by an L2MU network where a feed-forward network of
//! the same size fails, determinism across thread counts, resume, and
//! experiment-file errors.

use std::path::Path;

use crate::support::params;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use spikesim::io::dataset::read_dataset;
use spikesim::io::memory_task::{MemoryTaskOptions, memory_task};
use spikesim::learn::layers::l2mu::cell::{
    L2mu, L2muConfig, NeuronVariant, POP_H, PopInit, Readout, SpikeFn,
};
use spikesim::learn::layers::l2mu::lmu::Discretizer;
use spikesim::learn::train::experiment::{Experiment, load_experiment, parse_experiment};
use spikesim::learn::train::schedule::LrSchedule;
use spikesim::learn::train::session::{SessionOptions, run_session};
use spikesim::learn::train::trainer::TrainState;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn example(out: &Path) -> Experiment {
    let mut exp = load_experiment(&manifest().join("models/train_l2mu_memory.toml")).unwrap();
    exp.output = out.to_path_buf();
    exp
}

/// Runs a session; returns the final test accuracy and the state.
fn session(exp: &Experiment, resume: bool) -> (f64, TrainState) {
    let opts = SessionOptions {
        resume,
        show_progress: false,
    };
    let (_, state, files) = run_session(exp, &opts, &mut |_| {}).unwrap();
    // An L2MU network is exported (tests/learn_l2mu_export.rs); a LIF one
    // with a read-out window is not yet.
    assert_eq!(files.exported.is_some(), !exp.l2mu_layers.is_empty());
    let acc = state.history.last().unwrap().test_accuracy;
    (acc, state)
}

/// Loss `sum_t c_t · s^h_t` of a smooth cell (identity spikes, no reset
/// detaching), whose gradient `backward_through` must give exactly: the
/// path the trainer uses when the cell is a hidden layer.
#[test]
fn layer_gradients_through_hidden_output_and_to_the_input_equal_finite_differences() {
    for neuron in [NeuronVariant::Leaky, NeuronVariant::Synaptic { alpha: 0.6 }] {
        let config = L2muConfig {
            inputs: 3,
            memory_size: 2,
            order: 3,
            theta: 4.0,
            hidden: 4,
            classes: 0,
            discretizer: Discretizer::Zoh,
            neuron,
            spike: SpikeFn::Identity,
            readout: Readout::SpikeCount,
            readout_from: 0,
            detach_reset: false,
            hidden_recurrent: true,
        };
        let mut cell = L2mu::new(config, PopInit::default(), 4);
        let mut rng = Pcg64::seed_from_u64(9);
        for v in &mut cell.params.em {
            *v = rng.random::<f64>() - 0.5;
        }
        let steps = 6;
        let mut x: Vec<f64> = (0..steps * 3).map(|_| rng.random::<f64>()).collect();
        let c: Vec<f64> = (0..steps * 4).map(|_| rng.random::<f64>() - 0.5).collect();
        let loss = |cell: &L2mu, x: &[f64]| -> f64 {
            let tr = cell.forward(x);
            tr.pops[POP_H].s.iter().zip(&c).map(|(s, c)| s * c).sum()
        };
        let tr = cell.forward(&x);
        let (g, gx) = cell.backward_through(&x, &tr, &[], Some(&c), true);
        let gx = gx.unwrap();
        let h = 1e-6;
        let rel = |a: f64, b: f64| (a - b).abs() / a.abs().max(b.abs()).max(1e-6);
        let mut worst = 0.0f64;
        let grads: Vec<Vec<f64>> = g.slices().iter().map(|s| s.to_vec()).collect();
        for (block, gb) in grads.iter().enumerate() {
            for (k, &gk) in gb.iter().enumerate() {
                let orig = cell.params.slices()[block][k];
                cell.params.slices_mut()[block][k] = orig + h;
                let up = loss(&cell, &x);
                cell.params.slices_mut()[block][k] = orig - h;
                let down = loss(&cell, &x);
                cell.params.slices_mut()[block][k] = orig;
                worst = worst.max(rel(gk, (up - down) / (2.0 * h)));
            }
        }
        for k in 0..x.len() {
            let orig = x[k];
            x[k] = orig + h;
            let up = loss(&cell, &x);
            x[k] = orig - h;
            let down = loss(&cell, &x);
            x[k] = orig;
            worst = worst.max(rel(gx[k], (up - down) / (2.0 * h)));
        }
        assert!(gx.iter().any(|v| v.abs() > 1e-3), "input gradient vanishes");
        assert!(worst < 1e-5, "{neuron:?}: worst relative error {worst}");
    }
}

#[test]
fn memory_task_labels_are_the_channel_that_spiked_lag_steps_before_the_end() {
    let o = MemoryTaskOptions {
        channels: 3,
        lag: 5,
        steps: 15,
        samples: 50,
        dt: 1e-3,
        seed: 7,
    };
    let data = memory_task(&o);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("memory.h5");
    spikesim::io::dataset::write_dataset(&path, &data).unwrap();
    // Through the float16 times of the SHD layout and back.
    let back = read_dataset(&path).unwrap();
    assert_eq!(back.labels, data.labels);
    for (s, &label) in back.samples.iter().zip(&back.labels) {
        assert_eq!(s.times.len(), 15);
        let step = |t: f32| (f64::from(t) / o.dt).floor() as usize;
        let target = s.times.iter().position(|&t| step(t) == 15 - 1 - 5).unwrap();
        assert_eq!(s.units[target], label);
    }
    assert!(
        MemoryTaskOptions { lag: 15, ..o }.problem().is_some(),
        "a lag as long as the sample is refused"
    );
}

/// The shipped memory-task experiment learns through `spikesim train` on
/// one seed (judged on the final epoch, not the best). Over seeds 1-8
/// (`make experiments`, tests/experiments/l2mu.rs, where a feed-forward
/// network of the same size also runs and stays below 60 %) the final test
/// accuracy was 78-100 %: the mark of 65 % sits 13 points below the lowest
/// seed and above anything a network without memory reaches on three
/// classes.
#[test]
fn the_shipped_l2mu_experiment_learns_the_memory_task() {
    let dir = tempfile::tempdir().unwrap();
    let (accuracy, _) = session(&example(dir.path()), false);
    assert!(accuracy > 0.65, "final test accuracy {accuracy}");
}

#[test]
fn l2mu_training_is_the_same_with_one_and_two_threads_and_resumes_exactly() {
    let mut results = Vec::new();
    for threads in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let mut exp = example(dir.path());
        exp.epochs = 3;
        exp.threads = threads;
        results.push(params(&session(&exp, false).1));
    }
    assert_eq!(results[0], results[1]);

    let dir = tempfile::tempdir().unwrap();
    let mut split = example(dir.path());
    split.epochs = 1;
    session(&split, false);
    split.epochs = 3;
    let (_, resumed) = session(&split, true);
    assert_eq!(params(&resumed), results[0]);
}

#[test]
fn l2mu_experiment_errors_name_the_file_line_and_field() {
    let path = Path::new("exp.toml");
    let base = std::fs::read_to_string(manifest().join("models/train_l2mu_memory.toml")).unwrap();
    let cases = [
        ("order = 6", "order = 0", "layer[0].order: must be ≥ 1"),
        ("theta = \"6 ms\"", "theta = \"6 mV\"", "layer[0].theta"),
        ("theta = \"6 ms\"", "", "layer[0].theta: missing"),
        ("memory_size = 6", "", "layer[0].memory_size: missing"),
        (
            "neuron = \"lif\"",
            "neuron = \"meta\"",
            "layer[0].neuron: unknown neuron",
        ),
        (
            "neuron = \"lif\"",
            "neuron = \"cuba_lif\"",
            "layer[0].tau_syn: a \"cuba_lif\" L2MU needs `tau_syn`",
        ),
        (
            "size = 24",
            "size = 24\ntau_m = \"5 ms\"",
            "layer[0].tau_m: an L2MU layer starts",
        ),
        (
            "kind = \"l2mu\"",
            "kind = \"lstm\"",
            "layer[0].kind: unknown",
        ),
        (
            "kind = \"l2mu\"",
            "kind = \"lif\"",
            "layer[0].order: only an L2MU layer",
        ),
        (
            "surrogate = \"fast_sigmoid\"",
            "surrogate = \"arctan\"",
            "training.surrogate: an \"l2mu\" layer",
        ),
        (
            "seed = 1",
            "seed = 1\nrule = \"online\"",
            "training.rule: the online rule trains \"lif\" layers only",
        ),
        ("window = \"1 ms\"", "window = \"-1 ms\"", "readout.window"),
        (
            "schedule = \"cosine\"",
            "schedule = \"linear\"",
            "training.schedule: unknown schedule",
        ),
        (
            "schedule = \"cosine\"",
            "schedule = \"step\"",
            "training.decay_every: a \"step\" schedule needs",
        ),
        (
            "schedule = \"cosine\"",
            "schedule = \"step\"\ndecay_every = 0",
            "training.decay_every: must be ≥ 1",
        ),
        (
            "schedule = \"cosine\"",
            "schedule = \"step\"\ndecay_every = 50\ndecay_factor = 1.5",
            "training.decay_factor: must be in (0, 1]",
        ),
        (
            "schedule = \"cosine\"",
            "schedule = \"cosine\"\ndecay_factor = 0.5",
            "training.decay_factor: only a \"step\" schedule",
        ),
        (
            "schedule = \"cosine\"",
            "schedule = \"cosine\"\nclip_grad_norm = -1.0",
            "training.clip_grad_norm: must be > 0",
        ),
    ];
    crate::support::assert_located_errors(path, &base, &cases);
    // A cuba_lif L2MU with its synaptic time constant is valid.
    let ok = base.replacen(
        "neuron = \"lif\"",
        "neuron = \"cuba_lif\"\ntau_syn = \"2 ms\"",
        1,
    );
    let exp = parse_experiment(path, &ok).unwrap();
    assert_eq!(exp.l2mu_layers.len(), 1);
    assert_eq!(exp.readout_window, 1);
    assert_eq!(exp.lr_schedule, LrSchedule::Cosine);
    let step = base.replacen(
        "schedule = \"cosine\"",
        "schedule = \"step\"\ndecay_every = 50\nclip_grad_norm = 5.0",
        1,
    );
    let exp = parse_experiment(path, &step).unwrap();
    assert_eq!(
        exp.lr_schedule,
        LrSchedule::Step {
            every: 50,
            factor: 0.5
        }
    );
    assert_eq!(exp.clip_grad_norm, Some(5.0));
}
