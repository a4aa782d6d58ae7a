//! The data a training run reads, on the training step's grid: spike
//! datasets binned to the step (the SHD layout), or, for L2MU networks,
//! raw real-valued time series fed into the network as they are.
//!
//! Real-valued input (`[data] format = "real"`) goes in as the currents
//! `E_x x_t` into the L2MU encoder population (and `W_x x_t` into its
//! hidden population), with no spike encoder in between:
//!
//! ```toml
//! [data]
//! format = "real"          # default "spikes" (the SHD layout)
//! train = "../stimuli/sine_task/train.csv"   # CSV or HDF5, see io::encode::read_real
//! test = "../stimuli/sine_task/test.csv"
//! dt = "1 ms"              # one value per channel and step
//! duration = "20 ms"       # required: steps per sample = duration / dt
//! ```
//!
//! Both kinds are checked against the machine's memory before training.

use super::experiment::Experiment;
use crate::io::IoError;
use crate::io::dataset::{BinnedSample, Binning, SpikeDataset, bin_sample, read_dataset};
use crate::io::encode::{RealSamples, read_real};
use crate::model::memory;

/// A dataset binned for training.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The binned samples.
    pub samples: Vec<BinnedSample>,
    /// The class of each sample.
    pub labels: Vec<usize>,
    /// Steps per sample.
    pub steps: usize,
    /// Input channels (merged).
    pub channels: usize,
}

impl Prepared {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether there is no sample.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Sample `i` as a dense `[step][channel]` input.
    pub fn input(&self, i: usize) -> Vec<f32> {
        let mut x = vec![0.0; self.steps * self.channels];
        for (t, events) in self.samples[i].steps.iter().enumerate() {
            for &(c, n) in events {
                x[t * self.channels + c as usize] += n;
            }
        }
        x
    }
}

/// Train and test sets on a common grid, and the class count.
pub struct Data {
    /// The training set.
    pub train: Prepared,
    /// The test set.
    pub test: Prepared,
    /// Number of classes.
    pub classes: usize,
    /// How the samples were binned.
    pub binning: Binning,
}

/// Reads both datasets and bins them to the experiment's step.
pub fn prepare(exp: &Experiment) -> Result<Data, IoError> {
    if exp.real_input {
        return prepare_real(exp);
    }
    let train = read_dataset(&exp.train)?;
    let test = read_dataset(&exp.test)?;
    let latest = train.duration().max(test.duration()) as f64;
    let duration = exp.duration.unwrap_or(latest + exp.dt * 1e-6);
    let steps = ((duration / exp.dt).ceil() as usize).max(1);
    let binning = Binning {
        dt: exp.dt as f32,
        steps,
        channel_group: exp.channel_group,
    };
    let channels = binning.channels(train.channels.max(test.channels));
    let classes = train.classes.max(test.classes);
    check_memory(
        exp,
        channels,
        classes,
        steps,
        [train.len(), test.len()],
        train.total_spikes() + test.total_spikes(),
    )?;
    let bin = |d: &SpikeDataset| Prepared {
        samples: d.samples.iter().map(|s| bin_sample(s, &binning)).collect(),
        labels: d.labels.iter().map(|&l| l as usize).collect(),
        steps,
        channels,
    };
    Ok(Data {
        train: bin(&train),
        test: bin(&test),
        classes: train.classes.max(test.classes),
        binning,
    })
}

/// Refuses a training run whose memory estimate ([`memory::training_estimate`])
/// exceeds what the machine offers, unless the experiment ignores the limit.
pub(crate) fn check_memory(
    exp: &Experiment,
    channels: usize,
    classes: usize,
    steps: usize,
    [train_samples, test_samples]: [usize; 2],
    spikes: usize,
) -> Result<(), IoError> {
    if exp.ignore_memory_limit {
        return Ok(());
    }
    let estimate = memory::training_estimate(&training_shape(
        exp,
        channels,
        classes,
        steps,
        [train_samples, test_samples],
        spikes,
    ));
    memory::check_fits(
        "training",
        &estimate,
        &memory::available(),
        "pass --ignore-memory-limit",
    )
    .map_err(|source| IoError::Memory {
        path: exp.path.clone(),
        source,
    })
}

/// The sizes of an experiment's training run, once its data is read.
pub fn training_shape(
    exp: &Experiment,
    channels: usize,
    classes: usize,
    steps: usize,
    [train_samples, test_samples]: [usize; 2],
    spikes: usize,
) -> memory::TrainingShape {
    let mut widths = vec![channels];
    widths.extend(exp.layers.iter().map(|l| l.size));
    if let Some(out) = widths.last_mut() {
        *out = classes;
    }
    let delay_taps = (0..exp.layers.len())
        .map(|i| {
            exp.delays
                .get(i)
                .and_then(|d| d.as_ref())
                .map_or(1, |d| d.kernel_size)
        })
        .collect();
    memory::TrainingShape {
        widths,
        recurrent: exp.layers.iter().map(|l| l.recurrent).collect(),
        delay_taps,
        steps,
        train_samples,
        test_samples,
        spikes,
        batch_size: exp.batch_size,
        threads: memory::workers_for(exp.threads as u64),
    }
}

/// One sample's values as the trainer's sparse steps (zeros left out).
fn as_steps(values: &[f64], channels: usize) -> BinnedSample {
    BinnedSample {
        steps: values
            .chunks(channels.max(1))
            .map(|row| {
                row.iter()
                    .enumerate()
                    .filter(|(_, v)| **v != 0.0)
                    .map(|(c, &v)| (c as u32, v as f32))
                    .collect()
            })
            .collect(),
        dropped: 0,
    }
}

fn prepared(d: &RealSamples) -> Prepared {
    Prepared {
        samples: d.values.iter().map(|v| as_steps(v, d.channels)).collect(),
        labels: d.labels.iter().map(|&l| l as usize).collect(),
        steps: d.steps,
        channels: d.channels,
    }
}

/// Reads both real-valued datasets; each sample must hold `duration / dt`
/// steps of the same channels.
pub fn prepare_real(exp: &Experiment) -> Result<Data, IoError> {
    let duration = exp.duration.expect("validation requires data.duration");
    let steps = ((duration / exp.dt).round() as usize).max(1);
    let train = read_real(&exp.train, steps)?;
    let test = read_real(&exp.test, steps)?;
    if test.channels != train.channels {
        return Err(IoError::Malformed {
            path: exp.test.clone(),
            object: "data".into(),
            detail: format!(
                "{} channels per step, the training set has {}",
                test.channels, train.channels
            ),
        });
    }
    let classes = train
        .labels
        .iter()
        .chain(&test.labels)
        .max()
        .map_or(0, |&l| l as usize + 1);
    check_memory(
        exp,
        train.channels,
        classes,
        steps,
        [train.labels.len(), test.labels.len()],
        0,
    )?;
    Ok(Data {
        train: prepared(&train),
        test: prepared(&test),
        classes,
        binning: Binning {
            dt: exp.dt as f32,
            steps,
            channel_group: 1,
        },
    })
}
