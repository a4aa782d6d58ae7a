//! The encoding-free input of L2MU networks: raw real-valued time series
//! (`[data] format = "real"`) go into the network as they are, as the
//! currents `E_x x_t` into the L2MU encoder population (and `W_x x_t` into
//! its hidden population), with no spike encoder in between.
//!
//! ```toml
//! [data]
//! format = "real"          # default "spikes" (the SHD layout)
//! train = "../stimuli/sine_task/train.csv"   # CSV or HDF5, see io::encode::read_real
//! test = "../stimuli/sine_task/test.csv"
//! dt = "1 ms"              # one value per channel and step
//! duration = "20 ms"       # required: steps per sample = duration / dt
//! ```

use super::experiment::Experiment;
use super::train::{Data, Prepared};
use crate::io::IoError;
use crate::io::dataset::{BinnedSample, Binning};
use crate::io::encode::{RealSamples, read_real};

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
    super::train::check_memory(
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
