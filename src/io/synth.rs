//! A Randman-style synthetic spike-timing task (after Zenke & Vogels 2021):
//! each class is a smooth random manifold in spike-time space. Every
//! channel fires exactly once per sample, so classes never differ in spike
//! counts, only in timing.
//!
//! For class `k` and channel `i` the spike time is
//! `t = duration * f_ki(phi)` with `phi` uniform in `[0, 1)^dim` drawn per
//! sample and `f_ki` a normalised sum of random sinusoids of low frequency:
//! `f = 0.05 + 0.9 * (0.5 + 0.5 * mean_d sum_h a_h sin(2 pi (w_h phi_d + p_h)) / sum_h a_h)`
//! with `a_h = 1 / h^alpha` (smoothness), `w_h` in `[0, h)`, `p_h` in `[0, 1)`.
//!
//! Two options make the task about relative timing only. With `spread < 1`
//! each channel's time moves along the manifold over only that fraction of
//! the range, around a centre `c_ki`: each class puts its channels on evenly
//! spaced centres in an order of its own (a random permutation). The classes
//! become fixed spike patterns with a small smooth deformation, in which no
//! two channels fire together unless per-synapse delays line them up. With `shift > 0` every sample is
//! moved as a whole by a uniform draw in `[0, shift]` (the manifold then
//! fills `duration - shift`), so absolute times say nothing about the class.
//! `spread = 1`, `shift = 0` is the plain Randman task above, spike for
//! spike (centres and shifts come from their own random stream).

use std::f64::consts::TAU;

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use super::dataset::{SpikeDataset, SpikeSample};

#[derive(Debug, Clone, Copy, PartialEq)]
/// The Randman-style task's shape (see the module documentation).
pub struct SynthOptions {
    /// Number of classes.
    pub classes: usize,
    /// Number of input channels.
    pub channels: usize,
    /// Samples drawn per class.
    pub samples_per_class: usize,
    /// Intrinsic dimension of each class manifold.
    pub dim: usize,
    /// Harmonics per sinusoid sum.
    pub harmonics: usize,
    /// Decay of harmonic amplitudes (larger = smoother).
    pub alpha: f64,
    /// Spike times fall in `[0.05, 0.95] * duration` (s).
    pub duration: f64,
    /// Fraction of the time range one channel covers along its manifold.
    pub spread: f64,
    /// Largest common shift of a sample's spikes (s).
    pub shift: f64,
    /// Seed of the random draws.
    pub seed: u64,
}

struct Wave {
    amp: f64,
    freq: f64,
    phase: f64,
}

/// The random functions of one class, `[channel][dim][harmonic]`, and
/// the centre of each channel's range.
struct Manifold(Vec<Vec<Vec<Wave>>>, Vec<f64>);

impl Manifold {
    fn draw(o: &SynthOptions, rng: &mut Pcg64, centres: &mut Pcg64) -> Self {
        let half = 0.5 * o.spread;
        Self(
            (0..o.channels)
                .map(|_| {
                    (0..o.dim)
                        .map(|_| {
                            (1..=o.harmonics)
                                .map(|h| Wave {
                                    amp: 1.0 / (h as f64).powf(o.alpha),
                                    freq: rng.random_range(0.0..h as f64),
                                    phase: rng.random_range(0.0..1.0),
                                })
                                .collect()
                        })
                        .collect()
                })
                .collect(),
            if half >= 0.5 {
                vec![0.5; o.channels]
            } else {
                let mut slots: Vec<usize> = (0..o.channels).collect();
                slots.shuffle(centres);
                slots
                    .iter()
                    .map(|&s| half + (1.0 - o.spread) * (s as f64 + 0.5) / o.channels as f64)
                    .collect()
            },
        )
    }

    /// Spike time of channel `i` as a fraction of the manifold's span.
    fn fraction(&self, i: usize, phi: &[f64], spread: f64) -> f64 {
        let dims = &self.0[i];
        let mut sum = 0.0;
        for (waves, &p) in dims.iter().zip(phi) {
            let norm: f64 = waves.iter().map(|w| w.amp).sum();
            let s: f64 = waves
                .iter()
                .map(|w| w.amp * (TAU * (w.freq * p + w.phase)).sin())
                .sum();
            sum += s / norm;
        }
        let unit = self.1[i] + spread * 0.5 * sum / dims.len() as f64;
        0.05 + 0.9 * unit
    }
}

/// Draws `samples_per_class` samples of each class, classes interleaved
/// (sample `j` has class `j % classes`).
pub fn synthesize(o: &SynthOptions) -> SpikeDataset {
    let mut rng = Pcg64::seed_from_u64(o.seed);
    // Centres and shifts from a stream of their own, so that the plain task
    // (spread 1, shift 0) stays the same data for the same seed.
    let mut extra = Pcg64::seed_from_u64(o.seed ^ 0x5EED_5A1F_7000_0001);
    let manifolds: Vec<Manifold> = (0..o.classes)
        .map(|_| Manifold::draw(o, &mut rng, &mut extra))
        .collect();
    let span = o.duration - o.shift;
    let mut samples = Vec::new();
    let mut labels = Vec::new();
    for j in 0..o.samples_per_class * o.classes {
        let k = j % o.classes;
        let phi: Vec<f64> = (0..o.dim).map(|_| rng.random_range(0.0..1.0)).collect();
        let shift = if o.shift > 0.0 {
            extra.random_range(0.0..o.shift)
        } else {
            0.0
        };
        let mut events: Vec<(f32, u32)> = (0..o.channels)
            .map(|i| {
                (
                    (shift + manifolds[k].fraction(i, &phi, o.spread) * span) as f32,
                    i as u32,
                )
            })
            .collect();
        events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        samples.push(SpikeSample {
            times: events.iter().map(|e| e.0).collect(),
            units: events.iter().map(|e| e.1).collect(),
        });
        labels.push(k as u32);
    }
    SpikeDataset {
        samples,
        labels,
        channels: o.channels,
        classes: o.classes,
    }
}

/// Splits off the last `test_fraction` of the samples as a test set.
pub fn split(data: SpikeDataset, test_fraction: f64) -> (SpikeDataset, SpikeDataset) {
    let n_test = ((data.len() as f64) * test_fraction).round() as usize;
    let cut = data.len() - n_test;
    let mut samples = data.samples;
    let mut labels = data.labels;
    let test = SpikeDataset {
        samples: samples.split_off(cut),
        labels: labels.split_off(cut),
        channels: data.channels,
        classes: data.classes,
    };
    (
        SpikeDataset {
            samples,
            labels,
            channels: data.channels,
            classes: data.classes,
        },
        test,
    )
}
