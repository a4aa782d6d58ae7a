//! Spike encoders against closed forms and invariants, and the synthetic
//! spike-timing task's defining property (classes differ only in timing).

use spikesim::io::encode::{Encoder, RealSamples, encode, read_real};
use spikesim::io::synth::{SynthOptions, split, synthesize};

const DT: f64 = 1e-3;

fn static_samples(values: Vec<Vec<f64>>) -> RealSamples {
    let channels = values[0].len();
    RealSamples {
        labels: vec![0; values.len()],
        values,
        steps: 1,
        channels,
    }
}

fn series(x: &[f64]) -> RealSamples {
    RealSamples {
        values: vec![x.to_vec()],
        labels: vec![0],
        steps: x.len(),
        channels: 1,
    }
}

fn step_of(t: f32) -> usize {
    (f64::from(t) / DT).floor() as usize
}

#[test]
fn latency_puts_the_largest_value_first_and_skips_the_smallest() {
    // Scaled to [0, 1] over the dataset: 0 -> 0, 5 -> 0.5, 10 -> 1.
    let data = static_samples(vec![vec![0.0, 5.0, 10.0]]);
    let out = encode(&data, Encoder::Latency { steps: 21 }, DT, 0);
    let s = &out.samples[0];
    let got: Vec<(usize, u32)> = s
        .times
        .iter()
        .map(|&t| step_of(t))
        .zip(s.units.iter().copied())
        .collect();
    // (1 - x) * (steps - 1): x = 1 -> step 0, x = 0.5 -> step 10.
    assert_eq!(got, vec![(0, 2), (10, 1)]);
}

#[test]
fn rate_counts_match_the_bernoulli_mean() {
    let samples = 400;
    let data = static_samples(vec![vec![0.0, 0.5, 1.0]; samples]);
    let (steps, max_rate) = (50, 200.0);
    let out = encode(&data, Encoder::Rate { steps, max_rate }, DT, 7);
    for (ch, x) in [(0u32, 0.0), (1, 0.5), (2, 1.0)] {
        let count: usize = out
            .samples
            .iter()
            .map(|s| s.units.iter().filter(|&&u| u == ch).count())
            .sum();
        let p: f64 = x * max_rate * DT;
        let n = (samples * steps) as f64;
        let (mean, sd) = (n * p, (n * p * (1.0 - p)).sqrt());
        assert!(
            (count as f64 - mean).abs() <= 5.0 * sd.max(1e-9),
            "channel {ch}: {count} spikes, expected {mean} ± {sd}"
        );
    }
    // At most one spike per channel and step.
    for s in &out.samples {
        let mut seen: Vec<(usize, u32)> = s
            .times
            .iter()
            .map(|&t| step_of(t))
            .zip(s.units.iter().copied())
            .collect();
        let before = seen.len();
        seen.dedup();
        assert_eq!(seen.len(), before);
    }
}

/// The running reconstruction `threshold * (ups - downs)` of channel 0.
fn reconstruction(
    out: &spikesim::io::dataset::SpikeDataset,
    steps: usize,
    threshold: f64,
) -> Vec<f64> {
    let mut level = vec![0.0; steps];
    for (&t, &u) in out.samples[0].times.iter().zip(&out.samples[0].units) {
        let sign = if u == 0 { 1.0 } else { -1.0 };
        for l in &mut level[step_of(t)..] {
            *l += sign * threshold;
        }
    }
    level
}

#[test]
fn delta_reference_stays_within_one_threshold_of_the_signal() {
    let steps = 200;
    let x: Vec<f64> = (0..steps).map(|t| (t as f64 * 0.05).sin()).collect();
    let threshold = 0.1;
    let out = encode(&series(&x), Encoder::Delta { threshold }, DT, 0);
    assert_eq!(out.channels, 2);
    let level = reconstruction(&out, steps, threshold);
    for t in 0..steps {
        // The reference starts at x[0].
        let err = (x[t] - (x[0] + level[t])).abs();
        assert!(err < threshold + 1e-12, "step {t}: error {err}");
    }
    assert!(out.samples[0].times.len() > 20);
}

#[test]
fn sigma_delta_integral_error_stays_below_one_threshold() {
    let steps = 300;
    let x: Vec<f64> = (0..steps)
        .map(|t| 0.3 + 0.2 * (t as f64 * 0.03).sin())
        .collect();
    let threshold = 1.0;
    let out = encode(&series(&x), Encoder::SigmaDelta { threshold }, DT, 0);
    let level = reconstruction(&out, steps, threshold);
    // sum_{s<=t} x_s - sum_{s<t} level_s is the integrator after step t.
    let mut integral = 0.0;
    for t in 0..steps {
        integral += x[t] - if t > 0 { level[t - 1] } else { 0.0 };
        let after = integral - (level[t] - if t > 0 { level[t - 1] } else { 0.0 });
        assert!(after.abs() < threshold, "step {t}: integrator {after}");
        integral = after + (level[t] - if t > 0 { level[t - 1] } else { 0.0 });
    }
    // The receiver's sum of +-threshold spikes tracks the signal: over the
    // run, the two integrals differ by less than two thresholds.
    let total: f64 = x.iter().sum::<f64>() - level.iter().sum::<f64>();
    assert!(total.abs() < 2.0 * threshold, "integrals differ by {total}");
    assert!(!out.samples[0].times.is_empty());
}

#[test]
fn real_value_files_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.csv");
    std::fs::write(&path, "a,b\n1,2\n").unwrap();
    let e = read_real(&path, 1).unwrap_err().to_string();
    assert!(
        e.contains("x.csv") && e.contains("no `label` column"),
        "{e}"
    );
    std::fs::write(&path, "label,a,b\n0,1,oops\n").unwrap();
    let e = read_real(&path, 1).unwrap_err().to_string();
    assert!(e.contains("line 2") && e.contains("column `b`"), "{e}");
    std::fs::write(&path, "label,a,b,c\n0,1,2,3\n").unwrap();
    let e = read_real(&path, 2).unwrap_err().to_string();
    assert!(
        e.contains("3 values per sample do not split into 2 steps"),
        "{e}"
    );
    std::fs::write(&path, "label,a,b\n1,0.5,2\n").unwrap();
    let ok = read_real(&path, 1).unwrap();
    assert_eq!((ok.values, ok.labels), (vec![vec![0.5, 2.0]], vec![1]));
}

fn options(seed: u64) -> SynthOptions {
    SynthOptions {
        classes: 4,
        channels: 12,
        samples_per_class: 30,
        dim: 2,
        harmonics: 3,
        alpha: 2.0,
        duration: 0.05,
        spread: 1.0,
        shift: 0.0,
        seed,
    }
}

#[test]
fn synthetic_classes_differ_only_in_spike_timing() {
    let data = synthesize(&options(3));
    assert_eq!(data.len(), 120);
    for s in &data.samples {
        let mut units = s.units.clone();
        units.sort_unstable();
        assert_eq!(
            units,
            (0..12).collect::<Vec<u32>>(),
            "each channel fires exactly once"
        );
        assert!(s.times.iter().all(|&t| (0.0025..=0.0475).contains(&t)));
    }
    // Mean spike time per channel differs between classes 0 and 1.
    let mean_time = |class: u32, ch: u32| -> f64 {
        let v: Vec<f64> = data
            .samples
            .iter()
            .zip(&data.labels)
            .filter(|(_, l)| **l == class)
            .map(|(s, _)| f64::from(s.times[s.units.iter().position(|&u| u == ch).unwrap()]))
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let gap: f64 = (0..12)
        .map(|c| (mean_time(0, c) - mean_time(1, c)).abs())
        .sum();
    assert!(
        gap > 0.01,
        "classes 0 and 1 have the same timing ({gap} s summed)"
    );
    assert_eq!(synthesize(&options(3)), data, "same seed, same data");
    assert_ne!(synthesize(&options(4)), data);
    let (train, test) = split(data, 0.25);
    assert_eq!((train.len(), test.len()), (90, 30));
}

#[test]
fn real_values_read_from_hdf5_static_and_time_series() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.h5");
    {
        let f = hdf5::File::create(&path).unwrap();
        let data: Vec<f64> = (0..12).map(f64::from).collect();
        f.new_dataset::<f64>()
            .shape((2, 3, 2))
            .create("data")
            .unwrap()
            .write_raw(&data)
            .unwrap();
        f.new_dataset_builder()
            .with_data(&[1u16, 0])
            .create("labels")
            .unwrap();
    }
    let r = read_real(&path, 1).unwrap();
    assert_eq!((r.steps, r.channels, r.labels.clone()), (3, 2, vec![1, 0]));
    assert_eq!(r.values[1], (6..12).map(f64::from).collect::<Vec<_>>());
    {
        let f = hdf5::File::open_rw(&path).unwrap();
        f.unlink("labels").unwrap();
        f.new_dataset_builder()
            .with_data(&[1u16])
            .create("labels")
            .unwrap();
    }
    let e = read_real(&path, 1).unwrap_err().to_string();
    assert!(
        e.contains("x.h5") && e.contains("1 labels for 2 samples"),
        "{e}"
    );
}

/// With `spread` < 1 each class is a spike pattern: every channel keeps
/// within `spread` of the range around its class centre, and the centres
/// of one class are evenly spaced, so two channels of a sample are never
/// closer than the slot spacing minus the spread. `shift` moves whole
/// samples, which the differences between channels do not see.
#[test]
fn synthetic_patterns_with_spread_and_shift() {
    let (channels, duration, shift, spread) = (8, 0.08, 0.01, 0.03);
    let o = SynthOptions {
        channels,
        duration,
        shift,
        spread,
        ..options(5)
    };
    let data = synthesize(&o);
    let span = 0.9 * (duration - shift);
    let slot = span * (1.0 - spread) / channels as f64;
    let mut firsts = Vec::new();
    for (s, &label) in data.samples.iter().zip(&data.labels) {
        let mut units = s.units.clone();
        units.sort_unstable();
        assert_eq!(units, (0..8).collect::<Vec<u32>>());
        assert!(s.times.iter().all(|&t| (0.0..duration as f32).contains(&t)));
        let gaps = s.times.windows(2).map(|w| f64::from(w[1] - w[0]));
        let closest = gaps.fold(f64::INFINITY, f64::min);
        assert!(closest > slot - spread * span - 1e-4, "{closest} s apart");
        if label == 0 {
            firsts.push(f64::from(s.times[0]));
        }
    }
    // Same class, same order of channels; the whole pattern moves by up to
    // `shift`.
    let orders: Vec<&[u32]> = data
        .samples
        .iter()
        .zip(&data.labels)
        .filter(|(_, l)| **l == 0)
        .map(|(s, _)| s.units.as_slice())
        .collect();
    assert!(orders.iter().all(|u| *u == orders[0]));
    let (lo, hi) = firsts
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), &t| (a.min(t), b.max(t)));
    assert!(hi - lo > 0.5 * shift && hi - lo < shift + spread * span);
}
