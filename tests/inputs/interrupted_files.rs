//! Files of interrupted runs: `info` and `plot` read them with one warning
//! line saying up to when they hold the run; a file left open by its writer
//! (`complete = 0` without `reached`) is refused as incomplete.

use std::path::Path;
use std::process::{Command, Output};

use spikesim::io::hdf5::ResultsStream;
use spikesim::io::results::{Results, RunInfo, SpikeTrains, StateTrace};

const BIN: &str = env!("CARGO_BIN_EXE_spikesim");
const DT: f64 = 1e-4;

fn spikesim(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// 1000 steps of one population: a spike every 10 steps, `v` every step.
fn run() -> Results {
    let mut exc = SpikeTrains::new("exc", 4);
    exc.steps = (0..1000).step_by(10).collect();
    exc.senders = (0..100).map(|k| k % 4).collect();
    let steps: Vec<u64> = (0..1000).collect();
    Results {
        info: RunInfo {
            model_path: "models/tiny.toml".into(),
            dt: DT,
            duration: 1000.0 * DT,
            engine: "clock".into(),
            threads: 1,
            ranks: 1,
            ..Default::default()
        },
        spikes: vec![exc],
        states: vec![StateTrace {
            population: "exc".into(),
            variable: "v".into(),
            unit: "V".into(),
            neurons: vec![0, 3],
            values: steps
                .iter()
                .flat_map(|&s| [-0.07 + s as f64 * 1e-6; 2])
                .collect(),
            steps,
            threshold: Some(-0.05),
            integer: false,
        }],
        weights: Vec::new(),
    }
}

/// The first `steps` steps of `run`.
fn head(run: &Results, steps: u64) -> Results {
    let mut part = run.clone();
    let spikes = &mut part.spikes[0];
    let n = spikes.steps.partition_point(|&s| s < steps);
    spikes.steps.truncate(n);
    spikes.senders.truncate(n);
    let trace = &mut part.states[0];
    trace.steps.truncate(steps as usize);
    trace.values.truncate(steps as usize * trace.neurons.len());
    part
}

fn write_interrupted(path: &Path, at_step: u64) {
    let run = run();
    let mut stream = ResultsStream::create(path, &head(&run, 0), 1).unwrap();
    stream.append(&head(&run, at_step)).unwrap();
    stream.interrupt(&run.info, at_step as f64 * DT).unwrap();
}

#[test]
fn info_and_plot_warn_once_about_an_interrupted_file() {
    let dir = tempfile::tempdir().unwrap();
    let h5 = dir.path().join("cut.h5");
    write_interrupted(&h5, 420);
    let warning = format!(
        "warning: {} was interrupted: it holds the run up to t = 0.042 s of 0.1 s",
        h5.display()
    );
    let out = spikesim(&[&"info", &h5]);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end(), warning);
    // The rate is over the 42 ms recorded: 42 spikes of 4 neurons, 250 Hz.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("250.000 Hz"), "{stdout}");

    let png = dir.path().join("raster.png");
    let out = spikesim(&[&"plot", &h5, &"--raster", &png]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim_end(), warning);
    assert!(png.exists());
}

#[test]
fn a_file_its_writer_left_open_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let h5 = dir.path().join("open.h5");
    let run = run();
    let mut stream = ResultsStream::create(&h5, &head(&run, 0), 1).unwrap();
    stream.append(&head(&run, 300)).unwrap();
    stream.flush().unwrap();
    drop(stream);
    let mut partial = h5.clone().into_os_string();
    partial.push(".partial");
    std::fs::rename(partial, &h5).unwrap();
    let out = spikesim(&[&"info", &h5]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("incomplete run file"), "{stderr}");
    assert!(stderr.contains(&h5.display().to_string()), "{stderr}");
}
