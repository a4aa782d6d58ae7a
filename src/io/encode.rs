//! Encoders from real values to spike trains, and the readers of their
//! input (CSV or HDF5).
//!
//! Static values (images, feature vectors) scaled to `[0, 1]` become
//! spikes by rate (Bernoulli per step, `p = x * max_rate * dt`) or latency
//! (`t = (1 - x) * span`, nothing for `x = 0`). Time series become spikes
//! by delta or sigma-delta modulation, each input channel `c` giving an "up"
//! channel `2c` and a "down" channel `2c + 1`. Every spike sits in the
//! middle of its step so that binning at the same step puts it back there.

use std::path::Path;

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use super::IoError;
use super::dataset::{SpikeDataset, SpikeSample};

/// Real-valued samples, each `[step][channel]` (one step for static data).
#[derive(Debug, Clone, PartialEq)]
pub struct RealSamples {
    /// The samples, each `[step][channel]` flattened per step.
    pub values: Vec<Vec<f64>>,
    /// The class label of each sample.
    pub labels: Vec<u32>,
    /// Steps per sample (1 for static data).
    pub steps: usize,
    /// Channels per step.
    pub channels: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
/// How real values in [0, 1] become spikes.
pub enum Encoder {
    /// Bernoulli spikes over `steps` steps at up to `max_rate` (Hz).
    Rate {
        /// Steps per sample.
        steps: usize,
        /// Rate of a value of 1, Hz.
        max_rate: f64,
    },
    /// One spike at `(1 - x) * (steps - 1)` steps.
    Latency {
        /// Steps per sample.
        steps: usize,
    },
    /// A spike whenever the value moved by `threshold` from its last spike.
    Delta {
        /// The change (in the value's unit) that makes a spike.
        threshold: f64,
    },
    /// Sigma-delta: the spikes' running sum (times `threshold`) tracks the
    /// signal's.
    SigmaDelta {
        /// The change (in the value's unit) that makes a spike.
        threshold: f64,
    },
}

fn mid(step: usize, dt: f64) -> f32 {
    ((step as f64 + 0.5) * dt) as f32
}

/// Encodes every sample; static encoders scale values by the dataset's
/// minimum and maximum to `[0, 1]`.
pub fn encode(data: &RealSamples, encoder: Encoder, dt: f64, seed: u64) -> SpikeDataset {
    let (lo, hi) = data
        .values
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let range = if hi > lo { hi - lo } else { 1.0 };
    let scale = |x: f64| ((x - lo) / range).clamp(0.0, 1.0);
    let mut rng = Pcg64::seed_from_u64(seed);
    let c = data.channels;
    let samples = data
        .values
        .iter()
        .map(|v| {
            let mut events: Vec<(f32, u32)> = Vec::new();
            match encoder {
                Encoder::Rate { steps, max_rate } => {
                    for t in 0..steps {
                        for (ch, &x) in v[..c].iter().enumerate() {
                            if rng.random_bool((scale(x) * max_rate * dt).clamp(0.0, 1.0)) {
                                events.push((mid(t, dt), ch as u32));
                            }
                        }
                    }
                }
                Encoder::Latency { steps } => {
                    for (ch, &x) in v[..c].iter().enumerate() {
                        let x = scale(x);
                        if x > 0.0 {
                            let t = ((1.0 - x) * (steps - 1) as f64).round() as usize;
                            events.push((mid(t, dt), ch as u32));
                        }
                    }
                }
                Encoder::Delta { threshold } => delta(v, data.steps, c, threshold, dt, &mut events),
                Encoder::SigmaDelta { threshold } => {
                    sigma_delta(v, data.steps, c, threshold, dt, &mut events)
                }
            }
            events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            SpikeSample {
                times: events.iter().map(|e| e.0).collect(),
                units: events.iter().map(|e| e.1).collect(),
            }
        })
        .collect();
    let channels = match encoder {
        Encoder::Delta { .. } | Encoder::SigmaDelta { .. } => 2 * c,
        _ => c,
    };
    SpikeDataset {
        samples,
        labels: data.labels.clone(),
        channels,
        classes: data.labels.iter().max().map_or(0, |&l| l as usize + 1),
    }
}

/// Up to one spike per step and channel, each moving the reference by
/// `threshold`, so the reference stays within `threshold` of the signal
/// whenever the signal moves by less than `2 threshold` per step.
fn delta(v: &[f64], steps: usize, c: usize, threshold: f64, dt: f64, out: &mut Vec<(f32, u32)>) {
    for ch in 0..c {
        let mut reference = v[ch];
        for t in 1..steps {
            let x = v[t * c + ch];
            if x - reference >= threshold {
                reference += threshold;
                out.push((mid(t, dt), 2 * ch as u32));
            } else if reference - x >= threshold {
                reference -= threshold;
                out.push((mid(t, dt), 2 * ch as u32 + 1));
            }
        }
    }
}

/// The integral of the error between the signal and the spikes' running
/// reconstruction fires a spike when it reaches `threshold`.
fn sigma_delta(
    v: &[f64],
    steps: usize,
    c: usize,
    threshold: f64,
    dt: f64,
    out: &mut Vec<(f32, u32)>,
) {
    for ch in 0..c {
        let (mut integral, mut reconstruction) = (0.0, 0.0);
        for t in 0..steps {
            integral += v[t * c + ch] - reconstruction;
            if integral >= threshold {
                reconstruction += threshold;
                integral -= threshold;
                out.push((mid(t, dt), 2 * ch as u32));
            } else if integral <= -threshold {
                reconstruction -= threshold;
                integral += threshold;
                out.push((mid(t, dt), 2 * ch as u32 + 1));
            }
        }
    }
}

fn bad(path: &Path, object: &str, detail: impl ToString) -> IoError {
    IoError::Malformed {
        path: path.to_path_buf(),
        object: object.to_string(),
        detail: detail.to_string(),
    }
}

/// Reads real values: a CSV with a `label` column and one column per
/// value (one sample per row), or an HDF5 file with `data` (`[N][C]` or
/// `[N][T][C]`) and `labels`. A row of `T * C` values is a time series of
/// `steps = T` steps when `steps` says so.
///
/// HDF5 files are read in a child process when the guard is on
/// ([`super::guard`]).
pub fn read_real(path: &Path, steps: usize) -> Result<RealSamples, IoError> {
    if is_h5(path) {
        super::guard::guarded(path, super::guard::Request::Real { steps }, || {
            read_real_here(path, steps)
        })
    } else {
        read_real_here(path, steps)
    }
}

fn is_h5(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "h5" || e == "hdf5")
}

/// [`read_real`] in this process.
pub(crate) fn read_real_here(path: &Path, steps: usize) -> Result<RealSamples, IoError> {
    if !path.exists() {
        return Err(IoError::NotFound {
            path: path.to_path_buf(),
        });
    }
    let (values, labels, steps, channels) = if is_h5(path) {
        read_real_h5(path, steps)?
    } else {
        read_real_csv(path, steps)?
    };
    if let Some((i, _)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| v.iter().any(|x| !x.is_finite()))
    {
        return Err(bad(
            path,
            "data",
            format!("sample {i} holds a value that is not finite"),
        ));
    }
    Ok(RealSamples {
        values,
        labels,
        steps,
        channels,
    })
}

type Parsed = (Vec<Vec<f64>>, Vec<u32>, usize, usize);

fn split_steps(path: &Path, width: usize, steps: usize) -> Result<(usize, usize), IoError> {
    if steps == 0 || !width.is_multiple_of(steps) {
        return Err(bad(
            path,
            "data",
            format!("{width} values per sample do not split into {steps} steps"),
        ));
    }
    Ok((steps, width / steps))
}

fn read_real_csv(path: &Path, steps: usize) -> Result<Parsed, IoError> {
    let text = std::fs::read_to_string(path).map_err(|source| IoError::File {
        path: path.to_path_buf(),
        action: "read it",
        source,
    })?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let Some((_, header)) = lines.next() else {
        return Err(bad(path, "header", "empty file"));
    };
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let Some(label_col) = names.iter().position(|&n| n == "label") else {
        return Err(bad(path, "header", "no `label` column"));
    };
    let width = names.len() - 1;
    let (steps, channels) = split_steps(path, width, steps)?;
    let (mut values, mut labels) = (Vec::new(), Vec::new());
    for (line_no, line) in lines {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let at = |what: String| bad(path, &format!("line {}", line_no + 1), what);
        if cells.len() != names.len() {
            return Err(at(format!(
                "{} cells, the header has {}",
                cells.len(),
                names.len()
            )));
        }
        let label: u32 = cells[label_col].parse().map_err(|_| {
            at(format!(
                "label {:?} is not a class index ≥ 0",
                cells[label_col]
            ))
        })?;
        let row = cells
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != label_col)
            .map(|(i, c)| {
                c.parse::<f64>()
                    .map_err(|_| at(format!("column `{}`: {c:?} is not a number", names[i])))
            })
            .collect::<Result<Vec<f64>, _>>()?;
        values.push(row);
        labels.push(label);
    }
    Ok((values, labels, steps, channels))
}

fn read_real_h5(path: &Path, steps: usize) -> Result<Parsed, IoError> {
    ::hdf5::silence_errors(true);
    let file = super::hdf5::open(path)?;
    for name in ["data", "labels"] {
        if !file.link_exists(name) {
            return Err(IoError::MissingDataset {
                path: path.to_path_buf(),
                dataset: name.into(),
            });
        }
    }
    let ds = file.dataset("data").map_err(|e| bad(path, "data", e))?;
    let shape = ds.shape();
    let flat = ds.read_raw::<f64>().map_err(|e| bad(path, "data", e))?;
    let labels = file
        .dataset("labels")
        .and_then(|d| d.read_raw::<i64>())
        .map_err(|e| bad(path, "labels", e))?;
    let n = shape.first().copied().unwrap_or(0);
    if labels.len() != n {
        return Err(IoError::WrongShape {
            path: path.to_path_buf(),
            object: "labels".into(),
            detail: format!("{} labels for {n} samples", labels.len()),
        });
    }
    let (steps, channels) = match shape.as_slice() {
        [_, c] => split_steps(path, *c, steps)?,
        [_, t, c] => (*t, *c),
        other => {
            return Err(bad(
                path,
                "data",
                format!("expected 2 or 3 dimensions, found shape {other:?}"),
            ));
        }
    };
    let width = steps * channels;
    let labels = labels
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            u32::try_from(l)
                .map_err(|_| bad(path, "labels", format!("sample {i}: negative label {l}")))
        })
        .collect::<Result<Vec<u32>, _>>()?;
    Ok((
        flat.chunks(width.max(1)).map(<[f64]>::to_vec).collect(),
        labels,
        steps,
        channels,
    ))
}
