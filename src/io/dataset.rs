//! Spike datasets in the Spiking Heidelberg Digits (SHD / SSC) HDF5 layout.
//!
//! ```text
//! /spikes/times   N ragged arrays, spike times in seconds (float16 in SHD)
//! /spikes/units   N ragged arrays of channel ids, the same lengths as times
//! /labels         N integer class ids
//! /extra/...      optional (speaker, keys, meta_info); kept out of the way
//! ```
//!
//! SHD has no channel-count attribute (its 700 channels are implicit); files
//! written here carry `n_channels` and `n_classes` root attributes, and the
//! reader checks units against `n_channels` when it is there. float16 times
//! are widened to f32 before any arithmetic: `t * 1e6` overflows a float16.
//!
//! For training, a sample is binned onto a step grid and its channels merged
//! in groups ([`Binning`]), giving per step the list of active (merged)
//! channels with their spike counts ([`BinnedSample`]).

use std::path::Path;

use ::hdf5::types::{FloatSize, IntSize, TypeDescriptor, VarLenArray};
use ::hdf5::{Dataset, File, H5Type};
use half::f16;

use super::IoError;
use super::guard::{Request, guarded};
use super::hdf5::{PartialFile, open};

/// One sample: spike times (s) and the channel of each spike.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeSample {
    /// Spike times, seconds.
    pub times: Vec<f32>,
    /// The channel of each spike.
    pub units: Vec<u32>,
}

/// A whole spike dataset, in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeDataset {
    /// The samples.
    pub samples: Vec<SpikeSample>,
    /// The class label of each sample.
    pub labels: Vec<u32>,
    /// Number of input channels (from `n_channels`, else max unit + 1).
    pub channels: usize,
    /// Number of classes (from `n_classes`, else max label + 1).
    pub classes: usize,
}

impl SpikeDataset {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether there is no sample.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Latest spike time over all samples (s).
    pub fn duration(&self) -> f32 {
        self.samples
            .iter()
            .flat_map(|s| s.times.iter().copied())
            .fold(0.0, f32::max)
    }

    /// Spikes in all samples.
    pub fn total_spikes(&self) -> usize {
        self.samples.iter().map(|s| s.times.len()).sum()
    }
}

const TIMES: &str = "spikes/times";
const UNITS: &str = "spikes/units";
const LABELS: &str = "labels";

fn malformed(path: &Path, object: &str, detail: impl ToString) -> IoError {
    IoError::Malformed {
        path: path.to_path_buf(),
        object: object.to_string(),
        detail: detail.to_string(),
    }
}

fn hdf5_err(path: &Path, action: &str) -> impl FnOnce(::hdf5::Error) -> IoError {
    move |e| IoError::Hdf5 {
        path: path.to_path_buf(),
        action: action.to_string(),
        message: e.to_string(),
    }
}

/// Reads and checks a dataset file; every defect names the file and the
/// HDF5 object concerned. In a child process when the guard is on
/// ([`super::guard`]).
pub fn read_dataset(path: &Path) -> Result<SpikeDataset, IoError> {
    guarded(path, Request::Dataset, || read_dataset_here(path))
}

/// [`read_dataset`] in this process, whatever the file holds.
pub(crate) fn read_dataset_here(path: &Path) -> Result<SpikeDataset, IoError> {
    ::hdf5::silence_errors(true);
    let file = open(path)?;
    let times = read_times(&file, path)?;
    let units = read_ragged_units(&file, path)?;
    let labels = read_labels(&file, path)?;
    let n_channels = optional_count_attr(&file, path, "n_channels")?;
    let n_classes = optional_count_attr(&file, path, "n_classes")?;
    assemble(path, times, units, labels, n_channels, n_classes)
}

fn dataset(file: &File, path: &Path, name: &str) -> Result<Dataset, IoError> {
    if !file.link_exists(name) {
        return Err(IoError::MissingDataset {
            path: path.to_path_buf(),
            dataset: name.to_string(),
        });
    }
    file.dataset(name)
        .map_err(|e| malformed(path, name, format!("not a dataset ({e})")))
}

fn descriptor(ds: &Dataset, path: &Path, name: &str) -> Result<TypeDescriptor, IoError> {
    ds.dtype()
        .and_then(|t| t.to_descriptor())
        .map_err(|e| malformed(path, name, format!("unreadable element type ({e})")))
}

fn read_vlen<T: H5Type + Copy>(
    ds: &Dataset,
    path: &Path,
    name: &str,
) -> Result<Vec<Vec<T>>, IoError> {
    if ds.ndim() != 1 {
        return Err(malformed(
            path,
            name,
            format!("expected 1 dimension, found shape {:?}", ds.shape()),
        ));
    }
    let raw = ds
        .read_raw::<VarLenArray<T>>()
        .map_err(hdf5_err(path, &format!("reading `{name}`")))?;
    Ok(raw.iter().map(|a| a.as_slice().to_vec()).collect())
}

/// Spike times, widened to f32 whatever the stored float width.
fn read_times(file: &File, path: &Path) -> Result<Vec<Vec<f32>>, IoError> {
    let ds = dataset(file, path, TIMES)?;
    match descriptor(&ds, path, TIMES)? {
        TypeDescriptor::VarLenArray(inner) => match *inner {
            TypeDescriptor::Float(FloatSize::U2) => Ok(read_vlen::<f16>(&ds, path, TIMES)?
                .into_iter()
                .map(|v| v.into_iter().map(f32::from).collect())
                .collect()),
            TypeDescriptor::Float(FloatSize::U4) => read_vlen::<f32>(&ds, path, TIMES),
            TypeDescriptor::Float(FloatSize::U8) => Ok(read_vlen::<f64>(&ds, path, TIMES)?
                .into_iter()
                .map(|v| v.into_iter().map(|t| t as f32).collect())
                .collect()),
            other => Err(malformed(
                path,
                TIMES,
                format!("expected ragged float arrays, found ragged {other}"),
            )),
        },
        other => Err(malformed(
            path,
            TIMES,
            format!("expected ragged (variable-length) float arrays, found {other}"),
        )),
    }
}

fn read_ragged_units(file: &File, path: &Path) -> Result<Vec<Vec<u32>>, IoError> {
    let ds = dataset(file, path, UNITS)?;
    let TypeDescriptor::VarLenArray(inner) = descriptor(&ds, path, UNITS)? else {
        return Err(malformed(
            path,
            UNITS,
            "expected ragged (variable-length) integer arrays",
        ));
    };
    let wide: Vec<Vec<i64>> = match *inner {
        TypeDescriptor::Unsigned(IntSize::U1) => widen(read_vlen::<u8>(&ds, path, UNITS)?),
        TypeDescriptor::Unsigned(IntSize::U2) => widen(read_vlen::<u16>(&ds, path, UNITS)?),
        TypeDescriptor::Unsigned(IntSize::U4) => widen(read_vlen::<u32>(&ds, path, UNITS)?),
        TypeDescriptor::Integer(IntSize::U1) => widen(read_vlen::<i8>(&ds, path, UNITS)?),
        TypeDescriptor::Integer(IntSize::U2) => widen(read_vlen::<i16>(&ds, path, UNITS)?),
        TypeDescriptor::Integer(IntSize::U4) => widen(read_vlen::<i32>(&ds, path, UNITS)?),
        TypeDescriptor::Integer(IntSize::U8) => read_vlen::<i64>(&ds, path, UNITS)?,
        other => {
            return Err(malformed(
                path,
                UNITS,
                format!("expected ragged integer arrays, found ragged {other}"),
            ));
        }
    };
    wide.into_iter()
        .enumerate()
        .map(|(i, sample)| {
            sample
                .into_iter()
                .enumerate()
                .map(|(k, u)| {
                    u32::try_from(u).map_err(|_| {
                        malformed(
                            path,
                            UNITS,
                            format!("sample {i}, spike {k}: negative unit {u}"),
                        )
                    })
                })
                .collect()
        })
        .collect()
}

fn widen<T: Into<i64>>(v: Vec<Vec<T>>) -> Vec<Vec<i64>> {
    v.into_iter()
        .map(|s| s.into_iter().map(Into::into).collect())
        .collect()
}

fn read_labels(file: &File, path: &Path) -> Result<Vec<u32>, IoError> {
    let ds = dataset(file, path, LABELS)?;
    if ds.ndim() != 1 {
        return Err(malformed(
            path,
            LABELS,
            format!("expected 1 dimension, found shape {:?}", ds.shape()),
        ));
    }
    match descriptor(&ds, path, LABELS)? {
        TypeDescriptor::Unsigned(_) | TypeDescriptor::Integer(_) => {}
        other => {
            return Err(malformed(
                path,
                LABELS,
                format!("expected integer class ids, found {other}"),
            ));
        }
    }
    let raw = ds
        .read_raw::<i64>()
        .map_err(hdf5_err(path, "reading `labels`"))?;
    raw.into_iter()
        .enumerate()
        .map(|(i, l)| {
            u32::try_from(l)
                .map_err(|_| malformed(path, LABELS, format!("sample {i}: negative label {l}")))
        })
        .collect()
}

fn optional_count_attr(file: &File, path: &Path, name: &str) -> Result<Option<usize>, IoError> {
    if !file.attr_names().is_ok_and(|n| n.iter().any(|a| a == name)) {
        return Ok(None);
    }
    let value = file
        .attr(name)
        .and_then(|a| a.read_scalar::<i64>())
        .map_err(|e| malformed(path, name, format!("attribute not an integer ({e})")))?;
    usize::try_from(value)
        .ok()
        .filter(|&v| v > 0)
        .map(Some)
        .ok_or_else(|| {
            malformed(
                path,
                name,
                format!("attribute must be positive, found {value}"),
            )
        })
}

fn assemble(
    path: &Path,
    times: Vec<Vec<f32>>,
    units: Vec<Vec<u32>>,
    labels: Vec<u32>,
    n_channels: Option<usize>,
    n_classes: Option<usize>,
) -> Result<SpikeDataset, IoError> {
    if times.len() != units.len() {
        return Err(IoError::WrongShape {
            path: path.to_path_buf(),
            object: UNITS.into(),
            detail: format!("{} samples, but `{TIMES}` has {}", units.len(), times.len()),
        });
    }
    if labels.len() != times.len() {
        return Err(IoError::WrongShape {
            path: path.to_path_buf(),
            object: LABELS.into(),
            detail: format!("{} labels for {} samples", labels.len(), times.len()),
        });
    }
    let mut samples = Vec::with_capacity(times.len());
    for (i, (t, u)) in times.into_iter().zip(units).enumerate() {
        if t.len() != u.len() {
            return Err(IoError::WrongShape {
                path: path.to_path_buf(),
                object: UNITS.into(),
                detail: format!("sample {i}: {} units for {} spike times", u.len(), t.len()),
            });
        }
        if let Some(k) = t.iter().position(|x| !x.is_finite() || *x < 0.0) {
            return Err(malformed(
                path,
                TIMES,
                format!(
                    "sample {i}, spike {k}: time {} is not a finite time ≥ 0",
                    t[k]
                ),
            ));
        }
        if let Some(n) = n_channels
            && let Some(k) = u.iter().position(|&x| x as usize >= n)
        {
            return Err(malformed(
                path,
                UNITS,
                format!(
                    "sample {i}, spike {k}: unit {} out of range (n_channels = {n})",
                    u[k]
                ),
            ));
        }
        samples.push(SpikeSample { times: t, units: u });
    }
    let max_unit = samples
        .iter()
        .flat_map(|s| s.units.iter())
        .max()
        .map(|&u| u as usize + 1);
    let channels = n_channels.or(max_unit).unwrap_or(0);
    let max_label = labels.iter().max().map(|&l| l as usize + 1).unwrap_or(0);
    if let Some(n) = n_classes
        && max_label > n
    {
        let i = labels.iter().position(|&l| l as usize >= n).unwrap_or(0);
        return Err(malformed(
            path,
            LABELS,
            format!(
                "sample {i}: label {} out of range (n_classes = {n})",
                labels[i]
            ),
        ));
    }
    Ok(SpikeDataset {
        samples,
        labels,
        channels,
        classes: n_classes.unwrap_or(max_label),
    })
}

/// Writes `data` in the SHD layout (times as float16 seconds, units as
/// uint16, labels as uint16, plus `n_channels` / `n_classes`).
///
/// float16 keeps 11 significant bits: times up to 1 s are stored to within
/// 0.25 ms, enough for steps of 1 ms as SHD itself assumes.
pub fn write_dataset(path: &Path, data: &SpikeDataset) -> Result<(), IoError> {
    ::hdf5::silence_errors(true);
    if data.channels > usize::from(u16::MAX) + 1 || data.classes > usize::from(u16::MAX) + 1 {
        return Err(IoError::InvalidResults {
            path: path.to_path_buf(),
            detail: "more than 65536 channels or classes do not fit the uint16 layout".into(),
        });
    }
    let partial = PartialFile::new(path)?;
    {
        let file = File::create(partial.path()).map_err(hdf5_err(path, "creating the file"))?;
        let group = file
            .create_group("spikes")
            .map_err(hdf5_err(path, "creating `spikes`"))?;
        let times: Vec<VarLenArray<f16>> = data
            .samples
            .iter()
            .map(|s| {
                let t: Vec<f16> = s.times.iter().map(|&x| f16::from_f32(x)).collect();
                VarLenArray::from_slice(&t)
            })
            .collect();
        let units: Vec<VarLenArray<u16>> = data
            .samples
            .iter()
            .map(|s| {
                let u: Vec<u16> = s.units.iter().map(|&x| x as u16).collect();
                VarLenArray::from_slice(&u)
            })
            .collect();
        let labels: Vec<u16> = data.labels.iter().map(|&l| l as u16).collect();
        group
            .new_dataset_builder()
            .with_data(&times)
            .create("times")
            .map_err(hdf5_err(path, "writing `spikes/times`"))?;
        group
            .new_dataset_builder()
            .with_data(&units)
            .create("units")
            .map_err(hdf5_err(path, "writing `spikes/units`"))?;
        file.new_dataset_builder()
            .with_data(&labels)
            .create(LABELS)
            .map_err(hdf5_err(path, "writing `labels`"))?;
        for (name, value) in [("n_channels", data.channels), ("n_classes", data.classes)] {
            file.new_attr::<u32>()
                .create(name)
                .and_then(|a| a.write_scalar(&(value as u32)))
                .map_err(hdf5_err(path, &format!("writing attribute `{name}`")))?;
        }
    }
    partial.commit()
}

// ------------------------------------------------------------------ binning

/// How a sample becomes a step grid: step length `dt` (s), `steps` steps
/// (spikes at or after `steps * dt` are dropped), and channels merged in
/// consecutive groups of `channel_group`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Binning {
    /// Step length, seconds.
    pub dt: f32,
    /// Number of steps.
    pub steps: usize,
    /// Raw channels merged into one.
    pub channel_group: usize,
}

impl Binning {
    /// Merged channel count for `channels` raw channels.
    pub fn channels(&self, channels: usize) -> usize {
        channels.div_ceil(self.channel_group)
    }
}

/// A binned sample: for each step, the active merged channels and their
/// spike counts, channels ascending.
#[derive(Debug, Clone, PartialEq)]
pub struct BinnedSample {
    /// Per step, the active merged channels and their spike counts, channels ascending.
    pub steps: Vec<Vec<(u32, f32)>>,
    /// Spikes that fell after the last step.
    pub dropped: usize,
}

impl BinnedSample {
    /// Spikes in all steps.
    pub fn total(&self) -> f32 {
        self.steps.iter().flatten().map(|&(_, c)| c).sum()
    }

    /// The dense `[step][channel]` form.
    pub fn dense(&self, channels: usize) -> Vec<Vec<f32>> {
        self.steps
            .iter()
            .map(|events| {
                let mut row = vec![0.0; channels];
                for &(c, n) in events {
                    row[c as usize] += n;
                }
                row
            })
            .collect()
    }
}

/// Bins one sample (see [`Binning`]). The step of a spike is `floor(t / dt)`,
/// computed in f64 so that a time on the grid lands in its own step.
pub fn bin_sample(sample: &SpikeSample, binning: &Binning) -> BinnedSample {
    let mut steps: Vec<Vec<(u32, f32)>> = vec![Vec::new(); binning.steps];
    let mut dropped = 0;
    let dt = f64::from(binning.dt);
    for (&t, &u) in sample.times.iter().zip(&sample.units) {
        let k = (f64::from(t) / dt + 1e-9).floor() as usize;
        if k >= binning.steps {
            dropped += 1;
            continue;
        }
        let c = u / binning.channel_group as u32;
        steps[k].push((c, 1.0));
    }
    for events in &mut steps {
        events.sort_by_key(|&(c, _)| c);
        events.dedup_by(|next, kept| {
            if next.0 == kept.0 {
                kept.1 += next.1;
                true
            } else {
                false
            }
        });
    }
    BinnedSample { steps, dropped }
}

/// What `spikesim dataset info` prints.
pub fn summary(path: &Path, data: &SpikeDataset) -> String {
    let counts: Vec<usize> = data.samples.iter().map(|s| s.times.len()).collect();
    let n = counts.len().max(1);
    let mean = counts.iter().sum::<usize>() as f64 / n as f64;
    let min = counts.iter().min().copied().unwrap_or(0);
    let max = counts.iter().max().copied().unwrap_or(0);
    let mut per_class = vec![0usize; data.classes];
    for &l in &data.labels {
        per_class[l as usize] += 1;
    }
    format!(
        "{}\n  samples:  {}\n  classes:  {} (samples per class: {})\n  channels: {}\n  duration: {:.4} s (latest spike)\n  spikes:   {} in all, per sample mean {:.1}, min {}, max {}",
        path.display(),
        data.len(),
        data.classes,
        per_class
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        data.channels,
        data.duration(),
        data.total_spikes(),
        mean,
        min,
        max
    )
}
