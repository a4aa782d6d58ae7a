//! The results file has the documented layout, read here with the HDF5
//! library directly (not through spikesim's reader), as other tools would.

use std::process::Command;

/// Runs the first 100 ms of the pattern-driven model; returns the results
/// file and the wall-clock seconds the command took.
fn run(dir: &tempfile::TempDir) -> (std::path::PathBuf, f64) {
    let out = dir.path().join("run.h5");
    let started = std::time::Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .args([
            "run",
            "models/pattern_driven.toml",
            "--no-plots",
            "--set",
            "simulation.duration=\"100 ms\"",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    (out, started.elapsed().as_secs_f64())
}

#[test]
fn spikes_states_and_attributes_are_where_the_readme_says() {
    let dir = tempfile::tempdir().unwrap();
    let (path, wall) = run(&dir);
    let file = hdf5::File::open(&path).unwrap();

    let dt = file.attr("dt").unwrap().read_scalar::<f64>().unwrap();
    assert_eq!(dt, 1e-4);
    assert_eq!(
        file.attr("duration").unwrap().read_scalar::<f64>().unwrap(),
        0.1
    );
    assert_eq!(file.attr("seed").unwrap().read_scalar::<u64>().unwrap(), 7);
    assert_eq!(
        file.attr("complete").unwrap().read_scalar::<u8>().unwrap(),
        1
    );
    // Both phases took some time, and together no more than the whole
    // command did.
    let seconds = ["build_seconds", "simulate_seconds"]
        .map(|name| file.attr(name).unwrap().read_scalar::<f64>().unwrap());
    assert!(
        seconds.iter().all(|&s| s > 0.0) && seconds[0] + seconds[1] < wall,
        "{seconds:?} of {wall} s"
    );
    let model: hdf5::types::VarLenUnicode = file.attr("model").unwrap().read_scalar().unwrap();
    assert!(
        model.as_str().contains("duration = \"100 ms\""),
        "the model text as simulated"
    );
    let version: hdf5::types::VarLenUnicode = file
        .attr("spikesim_version")
        .unwrap()
        .read_scalar()
        .unwrap();
    assert_eq!(version.as_str(), env!("CARGO_PKG_VERSION"));

    for pop in ["volley", "background", "cells"] {
        let times = file
            .dataset(&format!("spikes/{pop}/times"))
            .unwrap()
            .read_raw::<f64>()
            .unwrap();
        let senders = file
            .dataset(&format!("spikes/{pop}/senders"))
            .unwrap()
            .read_raw::<u32>()
            .unwrap();
        let steps = file
            .dataset(&format!("spikes/{pop}/steps"))
            .unwrap()
            .read_raw::<u64>()
            .unwrap();
        assert_eq!(times.len(), senders.len());
        assert_eq!(times.len(), steps.len());
        for (t, s) in times.iter().zip(&steps) {
            assert_eq!(*t, *s as f64 * dt);
        }
        assert!(
            steps.windows(2).all(|w| w[0] <= w[1]),
            "spikes in time order"
        );
    }

    let v = file.dataset("state/cells/v").unwrap();
    assert_eq!(v.shape(), vec![1000, 4], "rows = steps, columns = neurons");
    let neurons = file
        .dataset("state/cells/neurons")
        .unwrap()
        .read_raw::<u32>()
        .unwrap();
    assert_eq!(neurons, vec![0, 1, 2, 3]);
    let times = file
        .dataset("state/cells/times")
        .unwrap()
        .read_raw::<f64>()
        .unwrap();
    assert_eq!(times.len(), 1000);
    assert_eq!(times[10], 10.0 * dt);
    let values = v.read_raw::<f64>().unwrap();
    assert!(
        values.iter().all(|x| (-0.1..-0.03).contains(x)),
        "membrane potentials in volts"
    );
    // Reset and threshold bound the potential: v_th = -52 mV.
    assert!(values.iter().all(|&x| x < -0.052), "below threshold");

    // Excitatory synaptic current of cells 0-3 in amperes. The background
    // is silent for the first 100 ms, so only the volley drives them: its
    // first spike (5 ms) arrives after a delay of 1-3 ms, so nothing flows
    // before 6 ms; each cell has 8 volley synapses of 0.1-0.2 nA, so the
    // current peaks between one weight (less up to a step's 3 % decay
    // before it is sampled) and all eight.
    let i_syn = file.dataset("state/cells/i_syn_e").unwrap();
    assert_eq!(i_syn.shape(), vec![1000, 4]);
    let i_syn = i_syn.read_raw::<f64>().unwrap();
    assert!(
        i_syn[..60 * 4].iter().all(|&x| x == 0.0),
        "no input before 6 ms"
    );
    assert!(i_syn.iter().all(|&x| x >= 0.0), "excitatory");
    for cell in 0..4 {
        let peak = i_syn[cell..]
            .iter()
            .step_by(4)
            .fold(0.0f64, |m, &x| m.max(x));
        assert!(
            (0.09e-9..=1.6e-9).contains(&peak),
            "cell {cell}: peak i_syn_e {peak} A"
        );
    }
}

#[test]
fn plot_and_info_commands_read_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = run(&dir);
    let bin = env!("CARGO_BIN_EXE_spikesim");
    let png = dir.path().join("raster.png");
    let svg = dir.path().join("v.svg");
    let status = Command::new(bin)
        .arg("plot")
        .arg(&path)
        .arg("--raster")
        .arg(&png)
        .arg("--potential")
        .arg(&svg)
        .args([
            "--population",
            "cells",
            "--neurons",
            "0,2",
            "--from",
            "10 ms",
            "--to",
            "90 ms",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    check_raster(&path, &png, (0.010, 0.090));
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    let info = Command::new(bin).arg("info").arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(info.status.success());
    assert!(
        text.contains("spikes/cells") && text.contains("state/cells/v"),
        "{text}"
    );
}

/// The raster of `cells` (third population, third colour) over `window`
/// has one dot per spike of the results file in that window: in the rows
/// of the spiking neurons only, at their times (rows calibrated by the
/// lowest and highest spiking neuron, times by the first and last spike).
fn check_raster(h5: &std::path::Path, png: &std::path::Path, window: (f64, f64)) {
    let third = spikesim::plot::style::colour(2);
    let green = [third.0, third.1, third.2];
    let r = spikesim::io::hdf5::read_results(h5).unwrap();
    let cells = r.spikes.iter().find(|s| s.population == "cells").unwrap();
    let spikes: Vec<(f64, u32)> = cells
        .times(r.info.dt)
        .into_iter()
        .zip(cells.senders.iter().copied())
        .filter(|(t, _)| (window.0..=window.1).contains(t))
        .collect();
    assert!(spikes.len() > 20, "{} spikes to check", spikes.len());
    let picture = crate::common::png::Picture::open(png);
    // Marks are up to 12 px tall; the legend square is 14.
    let dots = picture.dots(green, 12);
    assert_eq!(dots.len(), spikes.len(), "one dot per spike");
    let senders: Vec<u32> = spikes.iter().map(|s| s.1).collect();
    let rows = crate::common::png::assert_dot_rows(&dots, &senders);
    let (t0, t1) = spikes
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), s| {
            (a.min(s.0), b.max(s.0))
        });
    let x0 = dots.iter().map(|d| d.0).fold(f64::INFINITY, f64::min);
    let x1 = dots.iter().map(|d| d.0).fold(f64::NEG_INFINITY, f64::max);
    let time = crate::common::png::Axis::through((t0, x0), (t1, x1));
    for &(t, n) in &spikes {
        let (x, y) = (time.pixel(t), rows.pixel(f64::from(n)));
        assert!(
            dots.iter()
                .any(|d| (d.0 - x).abs() <= 1.5 && (d.1 - y).abs() <= 1.5),
            "no dot for neuron {n} at {t} s near ({x}, {y})"
        );
    }
}

/// Same seed, same model, 1 or 2 threads: the spike datasets are equal
/// byte for byte, in both engines.
#[test]
fn spike_datasets_are_byte_identical_for_1_and_2_threads() {
    let dir = tempfile::tempdir().unwrap();
    for engine in ["clock", "event"] {
        let mut files = Vec::new();
        for threads in ["1", "2"] {
            let out = dir.path().join(format!("{engine}_{threads}.h5"));
            let status = Command::new(env!("CARGO_BIN_EXE_spikesim"))
                .args([
                    "run",
                    "models/cuba.toml",
                    "--no-plots",
                    "--threads",
                    threads,
                ])
                .args([
                    "--set",
                    &format!("simulation.engine=\"{engine}\""),
                    "--set",
                    "simulation.duration=\"200 ms\"",
                ])
                .arg("--out")
                .arg(&out)
                .status()
                .unwrap();
            assert!(status.success());
            files.push(hdf5::File::open(&out).unwrap());
        }
        for pop in ["exc", "inh"] {
            for (name, size) in [("times", 8), ("senders", 4), ("steps", 8)] {
                let read = |f: &hdf5::File| {
                    let d = f.dataset(&format!("spikes/{pop}/{name}")).unwrap();
                    assert_eq!(d.dtype().unwrap().size(), size);
                    // Each value's bytes, read in the dataset's own type.
                    let bytes: Vec<u8> = match name {
                        "senders" => d
                            .read_raw::<u32>()
                            .unwrap()
                            .iter()
                            .flat_map(|x| x.to_le_bytes())
                            .collect(),
                        "steps" => d
                            .read_raw::<u64>()
                            .unwrap()
                            .iter()
                            .flat_map(|x| x.to_le_bytes())
                            .collect(),
                        _ => d
                            .read_raw::<f64>()
                            .unwrap()
                            .iter()
                            .flat_map(|x| x.to_le_bytes())
                            .collect(),
                    };
                    bytes
                };
                let (one, two) = (read(&files[0]), read(&files[1]));
                assert!(!one.is_empty(), "{engine} {pop} has spikes");
                assert_eq!(one, two, "{engine} /spikes/{pop}/{name}");
            }
        }
    }
}
