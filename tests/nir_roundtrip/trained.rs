//! The spike-digits network `spikesim train` trains (one epoch here: the
//! check is agreement, not accuracy), exported from its output directory
//! to NIR, imported back with each test sample as input, predicts every
//! test sample as the trainer did.

use std::fmt::Write as _;
use std::path::Path;

use spikesim::learn::train::experiment::load_experiment;
use spikesim::learn::train::export::lif::simulated_prediction;
use spikesim::learn::train::session::{SessionOptions, run_session};
use spikesim::learn::train::trainer::evaluate;
use spikesim::nir::export::export_file;
use spikesim::nir::import::{ImportOptions, Recording, import_file_recording};

#[test]
fn trained_spike_digits_network_predicts_every_test_sample_after_the_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/train_spike_digits.toml");
    let mut exp = load_experiment(&path).unwrap();
    exp.output = dir.path().to_path_buf();
    exp.epochs = 1;
    let opts = SessionOptions {
        resume: false,
        show_progress: false,
    };
    let (data, state, files) = run_session(&exp, &opts, &mut |_| {}).unwrap();
    assert!(files.exported.is_some(), "training exported no model");
    let (_, _, predicted) = evaluate(&state.net, &data.test);

    // The training output directory, as `spikesim nir export DIR` takes it.
    let graph = dir.path().join("digits.nir");
    export_file(dir.path(), &graph).unwrap_or_else(|e| panic!("{e}"));

    let steps = state.net.steps(data.test.steps);
    let mut agree = 0;
    for (i, &expected) in predicted.iter().enumerate() {
        // Sample i's spikes: channel c in training step t is a spike at grid
        // point t, which the export writes as data step t.
        let mut csv = String::from("neuron,step\n");
        for (t, events) in data.test.samples[i].steps.iter().enumerate() {
            for &(c, _) in events {
                let _ = writeln!(csv, "{c},{t}");
            }
        }
        let input = dir.path().join("sample.csv");
        std::fs::write(&input, csv).unwrap();
        let mut opts = ImportOptions::new(exp.dt);
        opts.duration = Some(steps as f64 * exp.dt);
        opts.input = Some(input);
        let model = dir.path().join(format!("imported_{i}.toml"));
        import_file_recording(&graph, &opts, Recording::AllNodes, &model)
            .unwrap_or_else(|e| panic!("{e}"));
        let spec = spikesim::model::load(&model, &[]).unwrap_or_else(|e| panic!("{e}"));
        let results = spikesim::engine::simulate(&spec, &mut |_, _| {});
        let simulated = simulated_prediction(&results, exp.readout, data.classes, steps);
        agree += usize::from(simulated == expected);
    }
    assert_eq!(
        agree,
        data.test.len(),
        "{agree} of {} predictions agree",
        data.test.len()
    );
}
