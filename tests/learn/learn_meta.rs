//! Meta neurons as training layers (`kind = "meta"`): gradients of the
//! smooth path against finite differences, the sampler against the escape
//! probability's closed form, determinism, training on spike-digits, and
//! the exported `meta` network in the simulator drawing the trainer's
//! spikes.

use std::path::Path;

use crate::support::params;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use spikesim::learn::layers::Layer;
use spikesim::learn::layers::meta::{Estimator, Firing, MetaLayer, MetaShape};
use spikesim::learn::net::{LifShape, Network, Readout};
use spikesim::learn::surrogate::Surrogate;
use spikesim::learn::train::data::Data;
use spikesim::learn::train::experiment::{Experiment, load_experiment};
use spikesim::learn::train::export::lif::{export_model, simulated_prediction};
use spikesim::learn::train::session::{SessionOptions, run_session};
use spikesim::learn::train::trainer::{TrainState, evaluate, evaluation_noise_seed};

const STEPS: usize = 12;
const N_IN: usize = 5;

fn input(seed: u64) -> Vec<f64> {
    let mut rng = Pcg64::seed_from_u64(seed);
    (0..STEPS * N_IN)
        .map(|_| if rng.random_bool(0.3) { 1.0 } else { 0.0 })
        .collect()
}

/// `N_IN` → 6 recurrent meta neurons → 3 read-out membranes, in f64.
fn meta_net(firing: Firing, estimator: Estimator, smooth: bool) -> Network<f64> {
    let shape = |size, spiking, recurrent| LifShape {
        size,
        tau: 4.0,
        threshold: 0.3,
        recurrent,
        spiking,
        tau_syn: None,
    };
    let mut net = Network::<f64>::lif(
        N_IN,
        &[shape(6, true, true), shape(3, false, false)],
        Readout::Membrane,
        // Smooth everywhere (the fast sigmoid's primitive has a kink in its
        // second derivative, which central differences can straddle).
        Surrogate::Arctan { alpha: 2.0 },
        1.0,
        3,
    );
    let lif = net.layers[0].as_lif().unwrap().clone();
    let meta = MetaShape {
        firing,
        delta_u: 0.5,
        rho_0: 0.7,
        estimator,
    };
    let mut layer = MetaLayer::new(lif, &meta, true, "hidden0".into());
    layer.smooth = smooth;
    net.layers[0] = Box::new(layer);
    net
}

#[allow(clippy::needless_range_loop)] // indexes parameters and gradients alike
/// Compares every gradient element of the meta layer and the read-out's
/// weights and tau with `(L(p + h) - L(p - h)) / 2h`; returns how many.
fn check(net: &mut Network<f64>) -> usize {
    let x = input(7);
    let label = 2;
    let mut grads = net.zero_grads();
    net.backprop(&x, STEPS, label, &mut grads);
    let mut checked = 0;
    for l in 0..net.layers.len() {
        let names = net.layers[l].param_names();
        for (p, name) in names.iter().enumerate() {
            // The read-out membrane never spikes: its threshold is unused.
            if l == 1 && *name == "threshold" {
                continue;
            }
            for e in 0..net.layers[l].params()[p].len() {
                let orig = net.layers[l].params()[p][e];
                // The escape function makes the loss curvier than a LIF
                // network's while some gradients are ≈1e-6, where the loss's
                // round-off (≈1e-15) over a small step reaches 1e-5 of them:
                // a larger step, its h² error cancelled by Richardson
                // extrapolation.
                let h = 4e-3 * orig.abs().max(1e-2);
                let mut central = |h: f64| {
                    net.layers[l].params_mut()[p][e] = orig + h;
                    let up = net.loss(&x, STEPS, label);
                    net.layers[l].params_mut()[p][e] = orig - h;
                    let down = net.loss(&x, STEPS, label);
                    net.layers[l].params_mut()[p][e] = orig;
                    (up - down) / (2.0 * h)
                };
                let numeric = (4.0 * central(h / 2.0) - central(h)) / 3.0;
                let analytic = grads[l][p][e];
                let scale = numeric.abs().max(analytic.abs()).max(1e-8);
                assert!(
                    (numeric - analytic).abs() / scale < 1e-5,
                    "layer {l} {name}[{e}]: analytic {analytic}, numeric {numeric}"
                );
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn smooth_paths_of_both_estimators_match_finite_differences() {
    for estimator in [Estimator::Probability, Estimator::ThresholdNoise] {
        // weights 5*6 + recurrent 6*6 + tau + threshold + delta_u + rho_0,
        // read-out weights 6*3 + tau.
        assert_eq!(
            check(&mut meta_net(Firing::Exponential, estimator, true)),
            30 + 36 + 4 + 18 + 1
        );
        // The sigmoid has no rho_0.
        assert_eq!(
            check(&mut meta_net(Firing::Sigmoid, estimator, true)),
            30 + 36 + 3 + 18 + 1
        );
    }
}

#[test]
fn threshold_noise_reproduces_the_draws() {
    // xi < p exactly when U is above theta + delta_u (noise(xi) - ln rho_0).
    let (theta, du, rho) = (0.3, 0.2, 0.5f64);
    let mut rng = Pcg64::seed_from_u64(5);
    for firing in [Firing::Exponential, Firing::Sigmoid] {
        let shift = if firing == Firing::Exponential {
            rho.ln()
        } else {
            0.0
        };
        let mut disagree = 0;
        for _ in 0..100_000 {
            let u = rng.random_range(-0.5..1.0);
            let xi = rng.random::<f64>();
            let drawn = xi < firing.escape(u, theta, du, rho).p;
            let above = u > theta + du * (firing.noise(xi) - shift);
            disagree += usize::from(drawn != above);
        }
        assert_eq!(disagree, 0, "{firing:?}");
    }
}

#[test]
fn sampled_spikes_do_not_depend_on_the_estimator() {
    let x = input(9);
    let a = meta_net(Firing::Exponential, Estimator::Probability, false);
    let b = meta_net(Firing::Exponential, Estimator::ThresholdNoise, false);
    let (ya, yb) = (a.forward_noisy(&x, STEPS, 4), b.forward_noisy(&x, STEPS, 4));
    assert_eq!(ya[0].y, yb[0].y);
    assert!(ya[0].y.contains(&1.0));
}

#[test]
fn escape_derivatives_match_finite_differences_and_stay_finite() {
    let (theta, du, rho) = (0.3, 0.2, 0.5);
    for firing in [Firing::Exponential, Firing::Sigmoid] {
        for u in [-0.5, 0.1, 0.3, 0.45, 0.9] {
            let e = firing.escape(u, theta, du, rho);
            let h = 1e-6;
            let fd = |f: &dyn Fn(f64) -> f64| (f(h) - f(-h)) / (2.0 * h);
            let d_u = fd(&|d| firing.escape(u + d, theta, du, rho).p);
            let d_du = fd(&|d| firing.escape(u, theta, du + d, rho).p);
            let d_rho = fd(&|d| firing.escape(u, theta, du, rho + d).p);
            for (analytic, numeric) in [(e.d_u, d_u), (e.d_delta_u, d_du), (e.d_rho_0, d_rho)] {
                assert!(
                    (analytic - numeric).abs() <= 1e-6 * numeric.abs().max(1e-3),
                    "{firing:?} at {u}: {analytic} vs {numeric}"
                );
            }
        }
        // Far above threshold: p = 1, derivatives 0, nothing NaN.
        let e = firing.escape(1e3, theta, 1e-3, rho);
        assert_eq!(e.p, 1.0);
        assert_eq!([e.d_u, e.d_delta_u, e.d_rho_0], [0.0; 3]);
    }
}

#[test]
fn spikes_are_drawn_with_the_escape_probability() {
    // No input: U_t = 0 every step, so each step is a Bernoulli trial with
    // the escape probability at U = 0, in closed form.
    let (theta, du, rho): (f64, f64, f64) = (0.3, 0.2, 0.5);
    let cases = [
        (
            Firing::Exponential,
            1.0 - (-rho * (-theta / du).exp()).exp(),
        ),
        (Firing::Sigmoid, 1.0 / (1.0 + (theta / du).exp())),
    ];
    for (firing, p) in cases {
        let (n, steps) = (200, 2001);
        let lif = spikesim::learn::layers::lif::Lif {
            n_in: 1,
            n_out: n,
            w: vec![0.0f32; n],
            rec: Vec::new(),
            tau: vec![5.0],
            theta: vec![theta as f32],
            spiking: true,
            surrogate: Surrogate::FastSigmoid { slope: 1.0 },
            tau_syn: None,
        };
        let shape = MetaShape {
            firing,
            delta_u: du,
            rho_0: rho,
            estimator: Estimator::ThresholdNoise,
        };
        let layer = MetaLayer::new(lif, &shape, true, "hidden0".into());
        let trace = layer.forward_noisy(&vec![0.0; steps], steps, 11);
        // Step 0 is the initial state and never spikes.
        assert!(trace.y[..n].iter().all(|&s| s == 0.0));
        let trials = (n * (steps - 1)) as f64;
        let freq = trace.y.iter().map(|&s| f64::from(s)).sum::<f64>() / trials;
        let sigma = (p * (1.0 - p) / trials).sqrt();
        assert!(
            (freq - p).abs() < 5.0 * sigma,
            "{firing:?}: frequency {freq}, probability {p} (5 sigma = {})",
            5.0 * sigma
        );
        // The same seed draws the same spikes, another seed others.
        let again = layer.forward_noisy(&vec![0.0; steps], steps, 11);
        let other = layer.forward_noisy(&vec![0.0; steps], steps, 12);
        assert_eq!(again.y, trace.y);
        assert_ne!(other.y, trace.y);
    }
}

fn example(out: &Path) -> Experiment {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/train_meta_digits.toml");
    let mut exp = load_experiment(&path).unwrap();
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

/// The meta layer's `[tau, theta, delta_u, rho_0]`.
fn intrinsic(state: &TrainState) -> [f32; 4] {
    let m = state.net.layers[0]
        .as_meta()
        .expect("layer 0 is a meta layer");
    [m.lif.tau[0], m.lif.theta[0], m.delta_u[0], m.rho_0[0]]
}

/// The example trained for 5 epochs from seed `seed`, noisier than the
/// example (`delta_u` 0.3): the threshold-noise gradient should turn the
/// noise down. Returns the test accuracy and the learned intrinsics.
fn noisy_meta_run(seed: u64) -> (f64, [f32; 4]) {
    let dir = tempfile::tempdir().unwrap();
    let mut exp = example(dir.path());
    exp.epochs = 5;
    exp.seed = seed;
    exp.meta_layers[0].1.delta_u = 0.3;
    let (data, state) = session(&exp);
    let (_, accuracy, _) = evaluate(&state.net, &data.test);
    let learned = intrinsic(&state);
    eprintln!("seed {seed}: test accuracy {accuracy:.4}, intrinsics {learned:?}");
    (accuracy, learned)
}

/// The spread behind the marks below: `cargo test --release --test
/// learn_meta -- --ignored --nocapture meta_digits_seed_spread`.
#[test]
#[ignore = "seed sweep behind the marks: make experiments"]
fn meta_digits_seed_spread() {
    for seed in 2..=7 {
        noisy_meta_run(seed);
    }
}

#[test]
fn meta_layer_learns_spike_digits_and_its_intrinsic_parameters() {
    let initial = [10.0, 1.0, 0.3, 1.0]; // tau (steps), theta, delta_u, rho_0 per step
    let (accuracy, learned) = noisy_meta_run(1);
    // Chance is 10 %. Over seeds 2-7 (`meta_digits_seed_spread`, not this
    // seed): mean 0.827, min 0.797, sd 0.022; the mark is the mean less
    // 3.5 sd, below the worst seed by 0.047.
    assert!(accuracy >= 0.75, "test accuracy {accuracy}");
    for (name, (a, b)) in ["tau", "theta", "delta_u", "rho_0"]
        .iter()
        .zip(initial.iter().zip(learned))
    {
        assert!((b - a).abs() > 0.01 * a, "{name} hardly moved: {a} -> {b}");
    }
    // The noise is turned down: 0.3 → 0.246-0.285 in 5 epochs over seeds
    // 2-7 (mean 0.264, sd 0.015; 0.14 after the example's 15 epochs). The
    // mark, 0.294, lies 0.009 above the worst seed.
    assert!(learned[2] < 0.98 * initial[2], "delta_u {}", learned[2]);

    // With learn_escape off, delta_u and rho_0 stay put (tau and theta move).
    let dir = tempfile::tempdir().unwrap();
    let mut exp = example(dir.path());
    exp.epochs = 1;
    exp.learn_escape = false;
    let fixed = intrinsic(&session(&exp).1);
    assert_eq!(fixed[2..], [0.1, 1.0]);
    assert_ne!(fixed[1], 1.0);
}

#[test]
fn same_seed_gives_the_same_meta_weights_with_one_and_two_threads() {
    let mut results = Vec::new();
    for threads in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let mut exp = example(dir.path());
        exp.epochs = 2;
        exp.threads = threads;
        results.push(params(&session(&exp).1));
    }
    assert_eq!(results[0], results[1]);
}

#[test]
fn resumed_meta_run_equals_an_uninterrupted_one() {
    let run = |dir: &Path, epochs: usize, resume: bool| {
        let mut exp = example(dir);
        exp.epochs = epochs;
        let opts = SessionOptions {
            resume,
            show_progress: false,
        };
        run_session(&exp, &opts, &mut |_| {}).unwrap().1
    };
    let whole = tempfile::tempdir().unwrap();
    let uninterrupted = run(whole.path(), 3, false);
    let split = tempfile::tempdir().unwrap();
    run(split.path(), 1, false);
    let resumed = run(split.path(), 3, true);
    assert_eq!(params(&resumed), params(&uninterrupted));
    assert_eq!(resumed.optimizer, uninterrupted.optimizer);
}

#[test]
fn exported_meta_network_draws_the_trainers_spikes_in_the_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let mut exp = example(dir.path());
    exp.epochs = 3;
    let test_samples = 360;
    assert!(export_matches(&exp, dir.path(), test_samples) > 1000);
}

#[test]
fn exported_recurrent_sigmoid_meta_network_draws_the_trainers_spikes() {
    let dir = tempfile::tempdir().unwrap();
    let mut exp = example(dir.path());
    exp.epochs = 1;
    exp.layers[0].recurrent = true;
    exp.meta_layers[0].1.firing = Firing::Sigmoid;
    assert!(export_matches(&exp, dir.path(), 60) > 1000);
}

/// Trains `exp`, exports it with each of the first `samples` test samples
/// as input in turn, and checks that the simulator draws the trainer's
/// hidden spikes and predicts what training predicted; returns the number
/// of hidden spikes compared.
fn export_matches(exp: &Experiment, dir: &Path, samples: usize) -> usize {
    let (data, state) = session(exp);
    let (_, _, predicted) = evaluate(&state.net, &data.test);
    let export_dir = dir.join("export");
    std::fs::create_dir_all(&export_dir).unwrap();
    let steps = state.net.steps(data.test.steps);
    let (mut agree, mut spikes_compared) = (0, 0);
    for (i, &expected) in predicted.iter().enumerate().take(samples) {
        let model = export_model(&state.net, exp.dt, &data.test, i, &export_dir)
            .unwrap()
            .model;
        let text = std::fs::read_to_string(&model).unwrap();
        assert!(text.contains("model = \"meta\""));
        let spec = spikesim::model::load(&model, &[]).unwrap();
        let results = spikesim::engine::simulate(&spec, &mut |_, _| {});
        agree += usize::from(
            simulated_prediction(&results, exp.readout, data.classes, steps) == expected,
        );

        // Hidden spikes, step by step: training step t is the simulator's
        // grid point t (the simulator's run is one step longer).
        let traces = state.net.forward_noisy(
            &data.test.input(i),
            data.test.steps,
            evaluation_noise_seed(i),
        );
        let n = state.net.layers[0].n_out();
        let mut trained: Vec<(u64, u32)> = traces[0]
            .y
            .iter()
            .enumerate()
            .filter(|(_, s)| **s != 0.0)
            .map(|(k, _)| ((k / n) as u64, (k % n) as u32))
            .collect();
        let hidden = results.spikes_of("hidden0").unwrap();
        let mut simulated: Vec<(u64, u32)> = hidden
            .steps
            .iter()
            .zip(&hidden.senders)
            .map(|(&k, &j)| (k, j))
            .filter(|&(k, _)| (k as usize) < steps)
            .collect();
        trained.sort_unstable();
        simulated.sort_unstable();
        assert_eq!(trained, simulated, "hidden spikes of test sample {i}");
        spikes_compared += trained.len();
    }
    assert_eq!(
        agree,
        samples.min(data.test.len()),
        "{agree} of {samples} predictions agree"
    );
    spikes_compared
}

#[test]
fn meta_experiment_errors_name_the_file_line_and_field() {
    let path = Path::new("exp.toml");
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/train_meta_digits.toml"),
    )
    .unwrap();
    let cases = [
        (
            "firing = \"exponential\"",
            "firing = \"step\"",
            "layer[0].firing: unknown firing \"step\"",
        ),
        (
            "delta_u = 0.1",
            "delta_u = -0.1",
            "layer[0].delta_u: must be > 0",
        ),
        ("delta_u = 0.1\n", "", "layer[0].delta_u: missing"),
        ("rho_0 = \"1 kHz\"", "rho_0 = \"1 ms\"", "layer[0].rho_0"),
        ("rho_0 = \"1 kHz\"\n", "", "layer[0].rho_0: missing"),
        (
            "firing = \"exponential\"",
            "firing = \"sigmoid\"",
            "layer[0].rho_0: the sigmoid escape has no `rho_0`",
        ),
        (
            "kind = \"meta\"",
            "kind = \"lif\"",
            "layer[0].firing: only a meta layer has this field",
        ),
        (
            "kind = \"meta\"",
            "kind = \"meta\"\ntau_syn = \"5 ms\"",
            "layer[0].tau_syn: a meta layer is an escape-noise LIF",
        ),
        (
            "seed = 1",
            "seed = 1\nrule = \"online\"",
            "training.rule: the online rule trains \"lif\" layers only; layer[0] is a \"meta\"",
        ),
    ];
    crate::support::assert_located_errors(path, &base, &cases);
}
