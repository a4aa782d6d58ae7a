//! `spikesim info` on files that are not a run's results: it says what
//! each is (and what it holds) instead of "incomplete run file".

use std::path::Path;
use std::process::Command;

use spikesim::learn::continual::{AccuracyMatrix, MethodResult};

fn info(path: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .arg("info")
        .arg(path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {stderr}", path.display());
    assert!(!stdout.contains("incomplete"), "{stdout}");
    stdout
}

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn info_names_datasets_nir_graphs_continual_results_and_checkpoints() {
    let data = repo("stimuli/spike_digits/latency_test.h5");
    let samples = spikesim::io::dataset::read_dataset(&data)
        .unwrap()
        .samples
        .len();
    let text = info(&data);
    assert!(
        text.contains(&format!(
            "a spike dataset (SHD layout) of {samples} samples"
        )),
        "{text}"
    );
    let nir = repo("tests/fixtures/nir/files/neurons.nir");
    let nodes = spikesim::nir::file::read(&nir).unwrap().nodes.len();
    let text = info(&nir);
    assert!(
        text.contains(&format!("a NIR graph ({nodes} nodes")),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let mut r = AccuracyMatrix::new(3).unwrap();
    for i in 0..3 {
        for j in 0..=i {
            r.set(i, j, 0.9 - 0.1 * (i - j) as f64).unwrap();
        }
    }
    let results = ["finetune", "ewc"].map(|m| MethodResult {
        method: m.into(),
        seeds: vec![1, 2],
        runs: vec![r.clone(), r.clone()],
        curves: Vec::new(),
    });
    let file = dir.path().join("continual.h5");
    spikesim::io::hdf5::write_continual(&file, &results).unwrap();
    let text = info(&file);
    assert!(text.contains("continual-learning results"), "{text}");
    assert!(
        text.contains("2 methods") && text.contains("2 seeds") && text.contains("3 tasks"),
        "{text}"
    );
    // The run checkpoints' magic in front of anything.
    let checkpoint = dir.path().join("run.h5.checkpoint");
    std::fs::write(&checkpoint, b"SPKSIMCK\x01\x00\x00\x00").unwrap();
    assert!(info(&checkpoint).contains("a run checkpoint"));
}

#[test]
fn info_names_training_metrics_with_their_last_accuracies() {
    use spikesim::learn::train::record::write_metrics_h5;
    use spikesim::learn::train::trainer::EpochMetrics;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metrics.h5");
    let epoch = |epoch, train_accuracy, test_accuracy| EpochMetrics {
        epoch,
        train_loss: 1.0,
        train_accuracy,
        test_loss: 1.0,
        test_accuracy,
        seconds: 1.0,
    };
    write_metrics_h5(&file, &[epoch(1, 0.5, 0.4), epoch(2, 0.876, 0.8125)]).unwrap();
    let text = info(&file);
    assert!(
        text.contains("training metrics (spikesim train) of 2 epochs; last epoch: training 87.6 %, test 81.2 %"),
        "{text}"
    );
}
