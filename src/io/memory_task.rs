//! A memory task for recurrent and L2MU networks: every step of a sample
//! carries one spike, on one of `channels` channels drawn at random; the
//! label is the channel that spiked `lag` steps before the last step. The
//! whole sample looks alike at every step, so nothing but the age of a spike
//! marks the target: a network has to hold the last `lag` steps in memory
//! and read the answer at the end (a read-out window of one step).
//!
//! Spikes sit in the middle of their step (`(t + 1/2) dt`), so that the
//! float16 times of the SHD layout bin back to the same step.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use super::dataset::{SpikeDataset, SpikeSample};

#[derive(Debug, Clone, Copy, PartialEq)]
/// The memory task's shape (see the module documentation).
pub struct MemoryTaskOptions {
    /// Input channels, also the classes.
    pub channels: usize,
    /// Age of the spike that gives the label, in steps (< `steps`).
    pub lag: usize,
    /// Steps per sample.
    pub steps: usize,
    /// Number of samples.
    pub samples: usize,
    /// Step (s).
    pub dt: f64,
    /// Seed of the random spikes.
    pub seed: u64,
}

impl MemoryTaskOptions {
    /// What is wrong with these options, if anything.
    pub fn problem(&self) -> Option<String> {
        if self.channels < 2 {
            Some(format!("needs ≥ 2 channels, got {}", self.channels))
        } else if self.lag >= self.steps {
            Some(format!(
                "the lag ({}) must be shorter than the sample ({} steps)",
                self.lag, self.steps
            ))
        } else if self.samples == 0 {
            Some("needs ≥ 1 sample".into())
        } else if !(self.dt > 0.0 && self.dt.is_finite()) {
            Some(format!(
                "the step must be a positive time, got {} s",
                self.dt
            ))
        } else {
            None
        }
    }
}

/// Draws the samples (one spike per step) and their labels.
pub fn memory_task(o: &MemoryTaskOptions) -> SpikeDataset {
    let mut rng = Pcg64::seed_from_u64(o.seed);
    let mut samples = Vec::with_capacity(o.samples);
    let mut labels = Vec::with_capacity(o.samples);
    for _ in 0..o.samples {
        let units: Vec<u32> = (0..o.steps)
            .map(|_| rng.random_range(0..o.channels as u32))
            .collect();
        let times = (0..o.steps)
            .map(|t| ((t as f64 + 0.5) * o.dt) as f32)
            .collect();
        labels.push(units[o.steps - 1 - o.lag]);
        samples.push(SpikeSample { times, units });
    }
    SpikeDataset {
        samples,
        labels,
        channels: o.channels,
        classes: o.channels,
    }
}
