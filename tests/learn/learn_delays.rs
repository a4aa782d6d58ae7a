//! Learnable delays (DCLS) in `spikesim train`: gradients of the delayed
//! layer against finite differences, the three delay variants on the
//! synthetic timing task, and the exported integer-delay network
//! reproducing the trainer's rounded predictions in both engines.

use std::path::Path;

use crate::support::{counted_accuracy, last_csv_test_accuracy};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use spikesim::learn::delays::layer::{DelayMode, DelaySpec, DelayedLif, POSITIONS, SHARP_WIDTH};
use spikesim::learn::layers::Layer;
use spikesim::learn::layers::lif::Lif;
use spikesim::learn::surrogate::Surrogate;
use spikesim::learn::train::data::Data;
use spikesim::learn::train::experiment::{Experiment, load_experiment, parse_experiment};
use spikesim::learn::train::export::lif::{export_model, simulated_prediction};
use spikesim::learn::train::session::{SessionOptions, run_session};
use spikesim::learn::train::trainer::{TrainState, build_network, evaluate};
use spikesim::model::spec::EngineKind;

const MODEL: &str = "models/train_delays_synth.toml";
/// The slotted task, where the ordering learned > random > none holds.
const SLOTS: &str = "models/train_delays_slots.toml";

fn experiment(mode: &str, out: &Path) -> Experiment {
    experiment_of(MODEL, mode, out)
}

/// The shipped experiment `model` with its delay mode switched to `mode`.
fn experiment_of(model: &str, mode: &str, out: &Path) -> Experiment {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(model);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("mode = \"learned\"", &format!("mode = \"{mode}\""));
    assert!(text.contains(&format!("mode = \"{mode}\"")), "{model}");
    let mut exp = parse_experiment(&path, &text).unwrap();
    exp.output = out.to_path_buf();
    exp
}

fn session(exp: &Experiment) -> (Data, TrainState) {
    let opts = SessionOptions {
        resume: false,
        show_progress: false,
    };
    let (data, state, _) = run_session(exp, &opts, &mut |_| {}).unwrap();
    (data, state)
}

/// A non-spiking delayed layer (smooth in every parameter) and a loss
/// `sum_t,j c_tj y_tj`.
fn smooth_layer(shape_learned: bool) -> (DelayedLif<f64>, Vec<f64>, Vec<f64>, usize) {
    let (n_in, n, steps) = (3, 2, 12);
    let mut rng = Pcg64::seed_from_u64(7);
    let lif = Lif {
        n_in,
        n_out: n,
        w: (0..n_in * n).map(|_| rng.random_range(-1.0..1.0)).collect(),
        rec: Vec::new(),
        tau: vec![4.0],
        theta: vec![1.0],
        spiking: false,
        surrogate: Surrogate::FastSigmoid { slope: 10.0 },
        tau_syn: None,
    };
    let spec = DelaySpec {
        mode: if shape_learned {
            DelayMode::Learned
        } else {
            DelayMode::Random
        },
        kernel_size: 5,
        lr_scale: 100.0,
        sharpen: 0.0,
        retrain: 0,
    };
    let layer = DelayedLif::wrap(&lif, spec, 10, &mut rng);
    let total = steps + layer.extra_steps();
    let x: Vec<f64> = (0..total * n_in)
        .map(|k| {
            if k % 4 == 1 && k < steps * n_in {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let c: Vec<f64> = (0..total * n)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    (layer, x, c, total)
}

fn loss(layer: &DelayedLif<f64>, x: &[f64], c: &[f64], steps: usize) -> f64 {
    let y = layer.forward(x, steps).y;
    y.iter().zip(c).map(|(a, b)| a * b).sum()
}

#[test]
fn delayed_layer_gradients_equal_finite_differences() {
    let (layer, x, c, steps) = smooth_layer(true);
    let trace = layer.forward(&x, steps);
    let mut grads: Vec<Vec<f64>> = layer.params().iter().map(|p| vec![0.0; p.len()]).collect();
    let grad_in = layer.backward(&x, &trace, &c, &mut grads, true).unwrap();
    let h = 1e-6;
    for (p, name) in [(0, "weights"), (2, "tau"), (POSITIONS, "positions")] {
        for (k, &g) in grads[p].iter().enumerate() {
            let mut plus = layer.clone();
            plus.params_mut()[p][k] += h;
            let mut minus = layer.clone();
            minus.params_mut()[p][k] -= h;
            let fd = (loss(&plus, &x, &c, steps) - loss(&minus, &x, &c, steps)) / (2.0 * h);
            assert!(
                (g - fd).abs() <= 1e-5 * fd.abs().max(1e-3),
                "{name}[{k}]: backward {g}, finite difference {fd}"
            );
        }
    }
    // The input gradient too (what a layer below would receive).
    for k in 0..x.len() {
        let mut xp = x.clone();
        xp[k] += h;
        let mut xm = x.clone();
        xm[k] -= h;
        let fd = (loss(&layer, &xp, &c, steps) - loss(&layer, &xm, &c, steps)) / (2.0 * h);
        assert!(
            (grad_in[k] - fd).abs() <= 1e-5 * fd.abs().max(1e-3),
            "input[{k}]: backward {}, finite difference {fd}",
            grad_in[k]
        );
    }
}

#[test]
fn fixed_random_delays_are_integers_and_not_trained() {
    let (layer, x, c, steps) = smooth_layer(false);
    assert!(layer.pos.iter().all(|p| p.fract() == 0.0 && p.abs() <= 2.0));
    let trace = layer.forward(&x, steps);
    let mut grads: Vec<Vec<f64>> = layer.params().iter().map(|p| vec![0.0; p.len()]).collect();
    layer.backward(&x, &trace, &c, &mut grads, false);
    assert!(grads[POSITIONS].iter().all(|&g| g == 0.0));
    assert_eq!(layer.lr_scale(POSITIONS), 0.0);
    // Rounded single-tap kernel: the delay of synapse i->j is 2 - p.
    let delays = layer.integer_delays();
    for i in 0..layer.n_in {
        for j in 0..2 {
            assert_eq!(
                delays[i * 2 + j] as f64,
                2.0 - layer.pos[j * layer.n_in + i]
            );
        }
    }
}

/// The drive a delayed layer of `sharpen` passes on, after the schedule of
/// `epoch` (of 20), with positions a known fraction off whole steps, and
/// the Gaussian's width.
fn drive_after(sharpen: f64, epoch: usize) -> (Vec<f64>, f64) {
    let (n_in, n, steps) = (4, 3, 30);
    let mut rng = Pcg64::seed_from_u64(11);
    let lif = Lif {
        n_in,
        n_out: n,
        w: (0..n_in * n).map(|_| rng.random_range(0.2..1.0)).collect(),
        rec: Vec::new(),
        tau: vec![2.0],
        theta: vec![1.0],
        spiking: false,
        surrogate: Surrogate::FastSigmoid { slope: 10.0 },
        tau_syn: None,
    };
    let spec = DelaySpec {
        mode: DelayMode::Learned,
        kernel_size: 9,
        lr_scale: 1.0,
        sharpen,
        retrain: 0,
    };
    let mut layer = DelayedLif::wrap(&lif, spec, 20, &mut rng);
    // Up to 0.4 step off a whole position: within the reach of rounding.
    for (k, p) in layer.pos.iter_mut().enumerate() {
        *p = (k % 7) as f64 - 3.0 + 0.4 * ((k % 5) as f64 - 2.0) / 2.0;
    }
    layer.anneal(epoch);
    let total = steps + layer.extra_steps();
    let x: Vec<f64> = (0..total * n_in)
        .map(|k| f64::from(k % 7 == 3 && k < steps * n_in))
        .collect();
    (layer.forward(&x, total).y, layer.sigma.abs() + layer.floor)
}

/// With `sharpen`, the Gaussian narrows to SHARP_WIDTH in the last training
/// epoch, where it already is (to 1 %) the rounded single-tap layer that is
/// evaluated and exported; the reference schedule's last epoch is not
/// (a whole-position synapse keeps 21 % of its weight off its tap there).
#[test]
fn a_sharpened_schedule_ends_at_the_rounded_layer() {
    let diff = |a: &[f64], b: &[f64]| {
        let top = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        a.iter()
            .zip(b)
            .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
            / top
    };
    let (rounded, _) = drive_after(0.25, 20);
    let (last, width) = drive_after(0.25, 19);
    assert!((width - SHARP_WIDTH).abs() < 1e-12, "last width {width}");
    assert!(diff(&last, &rounded) < 0.01, "{}", diff(&last, &rounded));
    let (reference, width) = drive_after(0.0, 19);
    assert!((width - 0.5).abs() < 1e-12, "reference width {width}");
    assert!(
        diff(&reference, &rounded) > 0.1,
        "{}",
        diff(&reference, &rounded)
    );
    // The width shrinks over the last 5 of 20 epochs (15..=19) only.
    let widths: Vec<f64> = (13..20).map(|e| drive_after(0.25, e).1).collect();
    assert!(
        widths[..2].iter().all(|w| (w - 0.5).abs() < 1e-12),
        "{widths:?}"
    );
    assert!(widths.windows(2).skip(1).all(|w| w[1] < w[0]), "{widths:?}");
}

/// `retrain = 3` of 10 epochs: the schedule ends after epoch 7, from where
/// the layer is the rounded single-tap one that is exported, and its
/// positions get neither gradient nor learning rate.
#[test]
fn retraining_epochs_freeze_the_rounded_delays() {
    let (mut layer, x, c, steps) = smooth_layer(true);
    layer.spec.retrain = 3;
    layer.anneal(6);
    assert!(layer.lr_scale(POSITIONS) > 0.0);
    let gauss = layer.forward(&x, steps).y;
    layer.anneal(7);
    assert_eq!(layer.lr_scale(POSITIONS), 0.0);
    assert!(layer.pos.iter().all(|p| p.fract() == 0.0));
    let retraining = layer.forward(&x, steps);
    let mut after = layer.clone();
    after.anneal(10);
    assert_eq!(retraining.y, after.forward(&x, steps).y);
    assert_ne!(retraining.y, gauss);
    let mut grads: Vec<Vec<f64>> = layer.params().iter().map(|p| vec![0.0; p.len()]).collect();
    layer.backward(&x, &retraining, &c, &mut grads, false);
    assert!(grads[POSITIONS].iter().all(|&g| g == 0.0));
    assert!(grads[0].iter().any(|&g| g != 0.0));
}

/// Trains the three variants on the same data and seed. On this task the
/// ordering learned > random > none is NOT reached (see the table in docs/src/guide/training-delays.md:
/// learned and no delays are close, fixed random delays are worse), so this
/// checks what does hold: every variant learns well above chance (10 %),
/// learned positions move from their initial draw while random delays keep
/// theirs, and the final evaluation is the rounded network's.
#[test]
fn the_three_delay_variants_learn_and_only_learned_delays_move() {
    let dir = tempfile::tempdir().unwrap();
    for mode in ["learned", "random", "none"] {
        let exp = experiment(mode, &dir.path().join(mode));
        let (data, state) = session(&exp);
        let acc = counted_accuracy(&state.net, &data.test);
        assert_eq!(acc, state.history.last().unwrap().test_accuracy, "{mode}");
        let csv = last_csv_test_accuracy(&dir.path().join(mode));
        assert!((csv - acc).abs() < 1e-6, "{mode}: metrics.csv says {csv}");
        assert!(acc > 0.3, "{mode}: test accuracy {acc}");
        let initial = build_network(&exp, data.train.channels, data.classes);
        let before = initial.layers[0].delayed().map(|d| d.1);
        let after = state.net.layers[0].delayed().map(|d| d.1);
        match mode {
            "none" => assert!(before.is_none() && after.is_none()),
            "random" => assert_eq!(before, after),
            _ => {
                let (before, after) = (before.unwrap(), after.unwrap());
                let moved = before.iter().zip(&after).filter(|(a, b)| a != b).count();
                assert!(
                    moved * 2 > before.len(),
                    "{moved} of {} moved",
                    before.len()
                );
            }
        }
    }
}

/// The trained, rounded network is exported with each test sample as input
/// and simulated in both engines: every prediction agrees, so the test
/// accuracy is the same.
#[test]
fn exported_integer_delays_give_the_same_accuracy_in_both_engines() {
    let dir = tempfile::tempdir().unwrap();
    let mut exp = experiment("learned", dir.path());
    exp.epochs = 4;
    let (data, state) = session(&exp);
    exported_predictions_equal_training(&exp, &data, &state, dir.path());
}

/// Exports the trained, rounded network once per test sample (as its
/// input) into `dir`, simulates it in both engines and asserts that every
/// prediction is training's, so the test accuracy is the same.
fn exported_predictions_equal_training(
    exp: &Experiment,
    data: &Data,
    state: &TrainState,
    dir: &Path,
) {
    let (_, accuracy, predicted) = evaluate(&state.net, &data.test);
    let export_dir = dir.join("export");
    std::fs::create_dir_all(&export_dir).unwrap();
    let steps = state.net.steps(data.test.steps);
    let delays = state.net.layers[0].delayed().unwrap().1;
    let max = exp.delays[0].unwrap().kernel_size - 1;
    assert!(
        delays.iter().any(|&d| d > 0) && delays.iter().all(|&d| d <= max),
        "delays in 0..={max} steps, not all zero"
    );
    for engine in [EngineKind::Clock, EngineKind::Event] {
        let mut correct = 0;
        for (i, &expected) in predicted.iter().enumerate() {
            let model = export_model(&state.net, exp.dt, &data.test, i, &export_dir)
                .unwrap()
                .model;
            let mut spec = spikesim::model::load(&model, &[]).unwrap();
            spec.simulation.engine = engine;
            let results = spikesim::engine::simulate(&spec, &mut |_, _| {});
            let simulated = simulated_prediction(&results, exp.readout, data.classes, steps);
            assert_eq!(simulated, expected, "{engine:?}, test sample {i}");
            correct += usize::from(simulated == data.test.labels[i]);
        }
        assert_eq!(correct as f64 / data.test.len() as f64, accuracy);
    }
}

/// The shipped slotted task, reduced to one seed for `make test` (the
/// five-seed sweep that orders the means is `make experiments`,
/// tests/experiments/delays.rs). Over seeds 1-5 the final test accuracy
/// was 76.7-96.7 % with learned delays, 55.8-83.3 % with fixed random ones
/// and 10 % (chance) without: the marks (learned > 50 %, random > 30 %, none
/// < 20 %) sit at least 25 points inside every measured seed, and the test
/// runs seed 6, not among them. Only delays make the slots coincide, so a
/// layer that ignored its delays would fail the first two. The learned
/// network is then exported with its integer delays and must predict in the
/// simulator what training predicts.
#[test]
fn on_the_slotted_task_delays_are_what_the_network_learns_from() {
    let dir = tempfile::tempdir().unwrap();
    let mut learned = None;
    let mut accuracy = Vec::new();
    for mode in ["learned", "random", "none"] {
        let out = dir.path().join(mode);
        let mut exp = experiment_of(SLOTS, mode, &out);
        exp.seed = 6;
        let (data, state) = session(&exp);
        accuracy.push(state.history.last().unwrap().test_accuracy);
        if mode == "learned" {
            learned = Some((exp, data, state, out));
        }
    }
    let [learned_acc, random, none] = [accuracy[0], accuracy[1], accuracy[2]];
    assert!(learned_acc > 0.5, "learned delays: {learned_acc}");
    assert!(random > 0.3, "fixed random delays: {random}");
    assert!(
        none < 0.2,
        "without delays the slots never coincide: {none}"
    );
    let (exp, data, state, out) = learned.unwrap();
    exported_predictions_equal_training(&exp, &data, &state, &out);
}

#[test]
fn delay_errors_name_the_file_line_and_field() {
    let base = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(MODEL)).unwrap();
    let from = "delays = { mode = \"learned\", max_delay = \"24 ms\", lr_scale = 20 }";
    assert!(base.contains(from));
    let cases = [
        (
            "delays = { mode = \"sometimes\", max_delay = \"24 ms\" }",
            "layer[0].delays.mode: unknown delay mode",
        ),
        (
            "delays = { mode = \"learned\", max_delay = \"25 ms\" }",
            "layer[0].delays.max_delay: must be an even number of steps",
        ),
        (
            "delays = { mode = \"learned\", max_delay = \"24 mV\" }",
            "layer[0].delays.max_delay",
        ),
        (
            "delays = { mode = \"random\" }",
            "layer[0].delays.max_delay: delays need `max_delay`",
        ),
        (
            "delays = { mode = \"learned\", max_delay = \"24 ms\", lr_scale = -1 }",
            "layer[0].delays.lr_scale: must be > 0",
        ),
        (
            "delays = { mode = \"learned\", max_delay = \"24 ms\", sharpen = 1.0 }",
            "layer[0].delays.sharpen: must be a fraction of the epochs in [0, 1)",
        ),
        (
            "delays = { mode = \"learned\", max_delay = \"24 ms\", retrain = 30 }",
            "layer[0].delays.retrain: must be fewer than the 30 epochs",
        ),
        (
            "delays = { mode = \"learned\", max_delay = \"24 ms\" }\nrecurrent = true",
            "layer[0].delays: delays go on feed-forward \"lif\" layers only",
        ),
    ];
    for (to, expected) in cases {
        let text = base.replacen(from, to, 1);
        let e = parse_experiment(Path::new("exp.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("exp.toml:"), "{e}");
        assert!(e.contains(expected), "{e}");
        let line = e.split(':').nth(1).unwrap();
        assert!(line.parse::<usize>().is_ok(), "no line number in {e}");
    }
    let online = base.replacen("seed = 1", "seed = 1\nrule = \"online\"", 1);
    let e = parse_experiment(Path::new("exp.toml"), &online)
        .unwrap_err()
        .to_string();
    assert!(e.contains("training.rule: the online rule does not train delays"));
    let none = base.replacen(from, "delays = { mode = \"none\" }", 1);
    let exp = parse_experiment(Path::new("exp.toml"), &none).unwrap();
    assert_eq!(exp.delays, vec![None]);
    let shipped = load_experiment(&Path::new(env!("CARGO_MANIFEST_DIR")).join(MODEL)).unwrap();
    assert_eq!(shipped.delays[0].unwrap().kernel_size, 25);
}
