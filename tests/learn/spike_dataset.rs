//! Spike datasets in the SHD layout: reading a file written by h5py
//! (`stimuli/make_spike_digits.py`), rejecting malformed files with a message
//! naming file and object, binning, and writing.

use std::path::{Path, PathBuf};

use half::f16;
use hdf5::types::VarLenArray;
use spikesim::io::dataset::{
    Binning, SpikeDataset, SpikeSample, bin_sample, read_dataset, write_dataset,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The spikes of `shd_tiny.h5` as listed by the script that wrote it.
fn expected_tiny() -> (Vec<Vec<(f32, u32)>>, Vec<u32>) {
    let text = std::fs::read_to_string(fixture("shd_tiny.csv")).unwrap();
    let mut samples: Vec<Vec<(f32, u32)>> = Vec::new();
    let mut labels = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let s: usize = cells[0].parse().unwrap();
        if samples.len() <= s {
            samples.resize(s + 1, Vec::new());
            labels.resize(s + 1, 0);
        }
        labels[s] = cells[1].parse().unwrap();
        if !cells[2].is_empty() {
            samples[s].push((cells[2].parse().unwrap(), cells[3].parse().unwrap()));
        }
    }
    (samples, labels)
}

#[test]
fn reads_the_shd_layout_written_by_h5py() {
    let data = read_dataset(&fixture("shd_tiny.h5")).unwrap();
    let (expected, labels) = expected_tiny();
    assert_eq!(data.labels, labels);
    assert_eq!(data.len(), expected.len());
    for (sample, want) in data.samples.iter().zip(&expected) {
        let got: Vec<(f32, u32)> = sample
            .times
            .iter()
            .copied()
            .zip(sample.units.iter().copied())
            .collect();
        assert_eq!(&got, want);
    }
    // No `n_channels` attribute, as in SHD: inferred from the largest unit.
    let max_unit = expected.iter().flatten().map(|&(_, u)| u).max().unwrap();
    assert_eq!(data.channels, max_unit as usize + 1);
}

#[test]
fn float16_times_are_widened_before_scaling() {
    // 0.99 s in float16 times 1e6 overflows float16 (max 65504) but not f32.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.h5");
    let data = SpikeDataset {
        samples: vec![SpikeSample {
            times: vec![0.99],
            units: vec![3],
        }],
        labels: vec![1],
        channels: 4,
        classes: 2,
    };
    write_dataset(&path, &data).unwrap();
    let back = read_dataset(&path).unwrap();
    let micro = back.samples[0].times[0] * 1e6;
    assert!(micro.is_finite());
    assert_eq!(back.samples[0].times[0], f16::from_f32(0.99).to_f32());
    assert_eq!((back.channels, back.classes), (4, 2));
}

#[test]
fn write_then_read_gives_the_same_dataset() {
    let data = read_dataset(&fixture("shd_tiny.h5")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.h5");
    write_dataset(&path, &data).unwrap();
    assert_eq!(read_dataset(&path).unwrap(), data);
}

#[test]
fn binning_keeps_every_spike_and_merges_channels() {
    let data = read_dataset(&fixture("shd_tiny.h5")).unwrap();
    for group in [1, 3, 8] {
        let binning = Binning {
            dt: 1e-3,
            steps: 50,
            channel_group: group,
        };
        for sample in &data.samples {
            let binned = bin_sample(sample, &binning);
            assert_eq!(binned.dropped, 0);
            assert_eq!(binned.total() as usize, sample.times.len());
            let merged = binning.channels(data.channels);
            let dense = binned.dense(merged);
            for c in 0..merged {
                let per_channel: f32 = dense.iter().map(|row| row[c]).sum();
                let raw = sample
                    .units
                    .iter()
                    .filter(|&&u| u as usize / group == c)
                    .count();
                assert_eq!(per_channel as usize, raw, "group {group}, channel {c}");
            }
        }
    }
    // The rate code puts each spike mid-bin: with 1 ms steps, step k holds
    // exactly the spikes stored at (k + 0.5) ms.
    let sample = &data.samples[0];
    let binned = bin_sample(
        sample,
        &Binning {
            dt: 1e-3,
            steps: 50,
            channel_group: 1,
        },
    );
    for (k, events) in binned.steps.iter().enumerate() {
        let n = sample
            .times
            .iter()
            .filter(|&&t| (f64::from(t) * 1e3 - 0.5 - k as f64).abs() < 0.1)
            .count();
        assert_eq!(events.len(), n, "step {k}");
    }
}

#[test]
fn spikes_after_the_last_step_are_counted_as_dropped() {
    let sample = SpikeSample {
        times: vec![0.0005, 0.0015, 0.0105, 0.02],
        units: vec![0, 1, 1, 2],
    };
    let binned = bin_sample(
        &sample,
        &Binning {
            dt: 1e-3,
            steps: 10,
            channel_group: 1,
        },
    );
    assert_eq!((binned.total() as usize, binned.dropped), (2, 2));
}

// ------------------------------------------------------------ malformed files

struct Parts {
    times: Option<Vec<Vec<f32>>>,
    units: Option<Vec<Vec<u16>>>,
    labels: Option<Vec<u16>>,
    n_channels: Option<u32>,
}

fn good() -> Parts {
    Parts {
        times: Some(vec![vec![0.001, 0.002], vec![0.003]]),
        units: Some(vec![vec![0, 5], vec![7]]),
        labels: Some(vec![0, 1]),
        n_channels: Some(8),
    }
}

fn write_parts(dir: &Path, parts: &Parts) -> PathBuf {
    let path = dir.join("bad.h5");
    let file = hdf5::File::create(&path).unwrap();
    let spikes = file.create_group("spikes").unwrap();
    if let Some(times) = &parts.times {
        let v: Vec<VarLenArray<f16>> = times
            .iter()
            .map(|s| {
                VarLenArray::from_slice(&s.iter().map(|&t| f16::from_f32(t)).collect::<Vec<_>>())
            })
            .collect();
        spikes
            .new_dataset_builder()
            .with_data(&v)
            .create("times")
            .unwrap();
    }
    if let Some(units) = &parts.units {
        let v: Vec<VarLenArray<u16>> = units.iter().map(|s| VarLenArray::from_slice(s)).collect();
        spikes
            .new_dataset_builder()
            .with_data(&v)
            .create("units")
            .unwrap();
    }
    if let Some(labels) = &parts.labels {
        file.new_dataset_builder()
            .with_data(labels)
            .create("labels")
            .unwrap();
    }
    if let Some(n) = parts.n_channels {
        file.new_attr::<u32>()
            .create("n_channels")
            .unwrap()
            .write_scalar(&n)
            .unwrap();
    }
    path
}

fn error_of(parts: Parts) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write_parts(dir.path(), &parts);
    let err = read_dataset(&path).expect_err("a malformed file must be rejected");
    let text = err.to_string();
    assert!(text.contains("bad.h5"), "no file name in: {text}");
    text
}

#[test]
fn the_well_formed_base_case_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let data = read_dataset(&write_parts(dir.path(), &good())).unwrap();
    assert_eq!((data.len(), data.channels, data.classes), (2, 8, 2));
}

#[test]
fn missing_times_units_or_labels_are_named() {
    let e = error_of(Parts {
        times: None,
        ..good()
    });
    assert!(e.contains("missing dataset `spikes/times`"), "{e}");
    let e = error_of(Parts {
        units: None,
        ..good()
    });
    assert!(e.contains("missing dataset `spikes/units`"), "{e}");
    let e = error_of(Parts {
        labels: None,
        ..good()
    });
    assert!(e.contains("missing dataset `labels`"), "{e}");
}

#[test]
fn sample_count_mismatches_are_rejected() {
    let e = error_of(Parts {
        units: Some(vec![vec![0, 5]]),
        ..good()
    });
    assert!(e.contains("spikes/units") && e.contains("1 samples"), "{e}");
    let e = error_of(Parts {
        labels: Some(vec![0, 1, 1]),
        ..good()
    });
    assert!(
        e.contains("`labels`") && e.contains("3 labels for 2 samples"),
        "{e}"
    );
}

#[test]
fn a_sample_with_more_units_than_times_is_rejected() {
    let e = error_of(Parts {
        units: Some(vec![vec![0, 5], vec![7, 1]]),
        ..good()
    });
    assert!(e.contains("sample 1: 2 units for 1 spike times"), "{e}");
}

#[test]
fn units_beyond_n_channels_are_rejected() {
    let e = error_of(Parts {
        units: Some(vec![vec![0, 5], vec![8]]),
        ..good()
    });
    assert!(
        e.contains("sample 1, spike 0: unit 8 out of range (n_channels = 8)"),
        "{e}"
    );
}

#[test]
fn nan_and_negative_times_are_rejected() {
    let e = error_of(Parts {
        times: Some(vec![vec![0.001, f32::NAN], vec![0.003]]),
        ..good()
    });
    assert!(
        e.contains("spikes/times") && e.contains("sample 0, spike 1: time NaN"),
        "{e}"
    );
    let e = error_of(Parts {
        times: Some(vec![vec![0.001, 0.002], vec![-0.5]]),
        ..good()
    });
    assert!(e.contains("sample 1, spike 0: time -0.5"), "{e}");
}

#[test]
fn non_ragged_times_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.h5");
    let file = hdf5::File::create(&path).unwrap();
    let spikes = file.create_group("spikes").unwrap();
    spikes
        .new_dataset_builder()
        .with_data(&[0.1f32, 0.2])
        .create("times")
        .unwrap();
    drop(file);
    let e = read_dataset(&path).unwrap_err().to_string();
    assert!(
        e.contains("spikes/times") && e.contains("variable-length"),
        "{e}"
    );
}

#[test]
fn missing_and_non_hdf5_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.h5");
    let e = read_dataset(&missing).unwrap_err().to_string();
    assert!(e.contains("nope.h5: no such file"), "{e}");
    let text = dir.path().join("text.h5");
    std::fs::write(&text, "not hdf5").unwrap();
    let e = read_dataset(&text).unwrap_err().to_string();
    assert!(e.contains("text.h5: not an HDF5 file"), "{e}");
}
