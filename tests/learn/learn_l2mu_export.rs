//! A trained L2MU network exported as a model file: the simulator predicts
//! what the trainer predicts on every test sample; the `discrete_lif`
//! population it relies on rejects bad parameters with the file, line and
//! field.

use std::path::Path;

use spikesim::learn::layers::l2mu::cell::NeuronVariant;
use spikesim::learn::net::argmax;
use spikesim::learn::train::experiment::load_experiment;
use spikesim::learn::train::export::l2mu::{SUBSTEPS, export_l2mu_model, simulated_scores};
use spikesim::learn::train::session::{SessionOptions, run_session};
use spikesim::learn::train::trainer::evaluate;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped memory experiment (LIF blocks, and CuBa LIF blocks with a
/// synaptic current), trained for 40 epochs (well above chance, with spikes
/// in every block), then exported once per test sample.
#[test]
fn exported_l2mu_network_predicts_what_training_predicts_on_every_test_sample() {
    for neuron in [NeuronVariant::Leaky, NeuronVariant::Synaptic { alpha: 0.6 }] {
        check_export(neuron);
    }
}

fn check_export(neuron: NeuronVariant) {
    let dir = tempfile::tempdir().unwrap();
    let mut exp = load_experiment(&manifest().join("models/train_l2mu_memory.toml")).unwrap();
    exp.output = dir.path().to_path_buf();
    exp.epochs = 40;
    exp.l2mu_layers[0].1.neuron = neuron;
    let opts = SessionOptions {
        resume: false,
        show_progress: false,
    };
    let (data, state, files) = run_session(&exp, &opts, &mut |_| {}).unwrap();
    let exported = files.exported.expect("an L2MU network is exported");
    assert!(exported.model.exists() && exported.weights.exists());
    let text = std::fs::read_to_string(&exported.model).unwrap();
    assert!(text.contains("model = \"discrete_lif\""), "{text}");

    let (_, accuracy, predicted) = evaluate(&state.net, &data.test);
    assert!(accuracy > 0.5, "training reached {accuracy} only");
    let export_dir = dir.path().join("export");
    std::fs::create_dir_all(&export_dir).unwrap();
    let (mut correct, mut worst) = (0, 0.0f64);
    for (i, &expected) in predicted.iter().enumerate() {
        let model = export_l2mu_model(&state.net, exp.dt, &data.test, i, &export_dir)
            .unwrap()
            .model;
        let spec = spikesim::model::load(&model, &[]).unwrap();
        assert_eq!(
            spec.simulation.dt * SUBSTEPS as f64,
            exp.dt,
            "{SUBSTEPS} simulation steps per training step"
        );
        let results = spikesim::engine::simulate(&spec, &mut |_, _| {});
        let z = simulated_scores(&results, &state.net, data.test.steps);
        // The trainer's own scores of this sample, in f32.
        let x = data.test.input(i);
        let traces = state.net.forward(&x, data.test.steps);
        let trained = state.net.scores(traces.last().unwrap());
        for (a, b) in z.iter().zip(&trained) {
            worst = worst.max((a - f64::from(*b)).abs() / f64::from(b.abs()).max(1.0));
        }
        assert_eq!(argmax(&z), expected, "test sample {i}: scores {z:?}");
        correct += usize::from(expected == data.test.labels[i]);
    }
    assert_eq!(correct as f64 / data.test.len() as f64, accuracy);
    eprintln!("{neuron:?}: test accuracy {accuracy}, largest relative score difference {worst:e}");
    // Scores agree to float rounding (f32 training, f64 simulation): no
    // spike of any block differs.
    assert!(worst < 1e-4, "largest relative score difference {worst}");
}

fn model_error(params: &str) -> String {
    model_error_with(params, "")
}

fn model_error_with(params: &str, simulation: &str) -> String {
    let text = format!(
        "[simulation]\ndt = \"0.25 ms\"\nduration = \"5 ms\"{simulation}\n\n\
         [[population]]\nname = \"cell\"\nsize = 2\nmodel = \"discrete_lif\"\nparams = {{ {params} }}\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.toml");
    std::fs::write(&path, text).unwrap();
    spikesim::model::load(&path, &[]).unwrap_err().to_string()
}

#[test]
fn discrete_lif_errors_name_the_file_line_and_field() {
    let cases = [
        (
            "beta = 1.5, v_th = \"1 mV\"",
            "population[cell].params.beta: must be in [0, 1]",
        ),
        (
            "beta = 0.5, alpha = 1.0, v_th = \"1 mV\"",
            "population[cell].params.alpha: must be in [0, 1)",
        ),
        ("beta = 0.5", "population[cell].params.v_th: missing"),
        (
            "beta = 0.5, v_th = \"-1 mV\"",
            "population[cell].params.v_th: must be positive",
        ),
        (
            "beta = 0.5, v_th = \"1 mV\", period = \"1 ms\", offset = \"1 ms\"",
            "population[cell].params.offset: must lie in [0, period)",
        ),
        (
            "beta = 0.5, v_th = \"1 mV\", period = \"0.6 ms\"",
            "population[cell].params.period: must be a whole number of steps",
        ),
        (
            "beta = 0.5, v_th = \"1 mV\", tau_m = \"1 ms\"",
            "population[cell].params.tau_m: unknown parameter",
        ),
    ];
    for (params, expected) in cases {
        let e = model_error(params);
        assert!(e.contains(expected), "{expected}: {e}");
        assert!(e.contains("m.toml:"), "no file in {e}");
        if !expected.contains("missing") {
            assert!(e.contains("m.toml:9:"), "no line in {e}");
        }
    }
    let e = model_error_with("beta = 0.5, v_th = \"1 mV\"", "\nengine = \"event\"");
    assert!(
        e.contains("m.toml:9:") && e.contains("population[cell].model: a discrete_lif is a discrete-time model; it runs on the clock engine only"),
        "{e}"
    );
}
