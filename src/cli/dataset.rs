//! `spikesim dataset`: inspect spike datasets and write encoded, synthetic
//! and memory-task ones.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::Error;
use crate::cli::paths::guard;
use crate::model::units::{Dimension, parse_as};

/// The subcommands of `spikesim dataset`.
#[derive(Subcommand)]
pub enum DatasetCommand {
    /// Samples, classes, channels, duration and spikes per sample.
    Info {
        /// The spike dataset (HDF5, SHD layout).
        file: PathBuf,
    },
    /// Encode real values (CSV with a `label` column, or HDF5 `data` + `labels`) as spikes.
    Encode(EncodeArgs),
    /// Write a Randman-style synthetic spike-timing task (train and test files).
    Synth(SynthArgs),
    /// Write the memory task: one spike per step, label = the channel that spiked LAG steps before the end.
    Memory(MemoryArgs),
}

/// The options of `spikesim dataset memory`.
#[derive(Args)]
pub struct MemoryArgs {
    /// The training set to write (HDF5, SHD layout).
    #[arg(long)]
    pub out_train: PathBuf,
    /// The test set to write.
    #[arg(long)]
    pub out_test: PathBuf,
    /// Input channels (in each step one of them spikes), also the number
    /// of classes.
    #[arg(long, default_value_t = 3)]
    pub channels: usize,
    /// How many steps before the end the labelled spike comes.
    #[arg(long, default_value_t = 5)]
    pub lag: usize,
    /// Time steps per sample.
    #[arg(long, default_value_t = 15)]
    pub steps: usize,
    /// Samples in the training set (in all, not per class: the labels are
    /// drawn, not balanced).
    #[arg(long, default_value_t = 600)]
    pub train_samples: usize,
    /// Samples in the test set.
    #[arg(long, default_value_t = 300)]
    pub test_samples: usize,
    /// The time step.
    #[arg(long, default_value = "1 ms")]
    pub dt: String,
    /// Seed of the draws (the test set uses another stream of it).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// The options of `spikesim dataset encode`.
#[derive(Args)]
pub struct EncodeArgs {
    /// Real values: CSV with a `label` column, or HDF5 `data` + `labels`.
    pub input: PathBuf,
    /// Output spike dataset (SHD layout).
    #[arg(long)]
    pub out: PathBuf,
    /// rate, latency, delta or sigma-delta.
    #[arg(long)]
    pub encoder: String,
    /// Step of the spike trains.
    #[arg(long, default_value = "1 ms")]
    pub dt: String,
    /// Time steps per sample. Rate and latency: the steps of each encoded
    /// sample (default 50). Delta and sigma-delta: the time steps each input
    /// row holds (a row is steps x channels values; default 1, or the
    /// second axis of a 3-D HDF5 `data`), which the encoded sample keeps.
    /// (`--time-steps` is an old name of this option.)
    #[arg(long, alias = "time-steps")]
    pub steps: Option<usize>,
    /// Rate of a value at the dataset maximum (rate).
    #[arg(long, default_value = "200 Hz")]
    pub max_rate: String,
    /// Change per spike (delta, sigma-delta), in the input's units.
    #[arg(long, default_value_t = 0.1)]
    pub threshold: f64,
    /// Seed of the rate encoder's draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// The options of `spikesim dataset synth`.
#[derive(Args)]
pub struct SynthArgs {
    /// The training set to write (HDF5, SHD layout).
    #[arg(long)]
    pub out_train: PathBuf,
    /// The test set to write.
    #[arg(long)]
    pub out_test: PathBuf,
    /// Number of classes.
    #[arg(long, default_value_t = 5)]
    pub classes: usize,
    /// Input channels (one spike each per sample).
    #[arg(long, default_value_t = 20)]
    pub channels: usize,
    /// Samples drawn per class, then split into the two sets by
    /// --test-fraction.
    #[arg(long, default_value_t = 200)]
    pub samples_per_class: usize,
    /// Intrinsic dimension of each class manifold.
    #[arg(long, default_value_t = 1)]
    pub dim: usize,
    /// Smoothness (decay of the harmonics' amplitudes).
    #[arg(long, default_value_t = 2.0)]
    pub alpha: f64,
    /// Length of a sample.
    #[arg(long, default_value = "50 ms")]
    pub duration: String,
    /// Fraction of the time range one channel covers along its class
    /// manifold (1: the plain Randman task; smaller: classes are spike
    /// patterns around per-class centres).
    #[arg(long, default_value_t = 1.0)]
    pub spread: f64,
    /// Largest common time shift of a sample's spikes (absolute times then
    /// carry no class information).
    #[arg(long, default_value = "0 ms")]
    pub shift: String,
    /// Fraction of the samples that go to the test set.
    #[arg(long, default_value_t = 0.2)]
    pub test_fraction: f64,
    /// Seed of the manifolds and the draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// `spikesim dataset info`: a spike dataset summarised.
pub fn info(path: &Path) -> Result<(), Error> {
    let data = crate::io::dataset::read_dataset(path)?;
    say!("{}", crate::io::dataset::summary(path, &data));
    Ok(())
}

fn quantity(text: &str, dim: Dimension, option: &str) -> Result<f64, Error> {
    match parse_as(text, dim) {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        Ok(v) => Err(Error::Usage(format!(
            "--{option} must be positive, got {v}"
        ))),
        Err(e) => Err(Error::Usage(format!("--{option}: {e}"))),
    }
}

/// `spikesim dataset encode`: real values encoded as a spike dataset.
pub fn encode(args: EncodeArgs) -> Result<(), Error> {
    use crate::io::encode::{Encoder, encode, read_real};
    let dt = quantity(&args.dt, Dimension::Time, "dt")?;
    guard(&args.out, std::slice::from_ref(&args.input), "--out")?;
    let dynamic = matches!(args.encoder.as_str(), "delta" | "sigma-delta");
    let row_steps = if dynamic { args.steps.unwrap_or(1) } else { 1 };
    let steps = args.steps.unwrap_or(50);
    if steps == 0 {
        return Err(Error::Usage("--steps must be at least 1".into()));
    }
    let data = read_real(&args.input, row_steps)?;
    let encoder = match args.encoder.as_str() {
        "rate" | "latency" if data.steps != 1 => {
            return Err(Error::Usage(format!(
                "--encoder {} encodes static values; the input has {} time steps",
                args.encoder, data.steps
            )));
        }
        "rate" => Encoder::Rate {
            steps,
            max_rate: quantity(&args.max_rate, Dimension::Frequency, "max-rate")?,
        },
        "latency" => Encoder::Latency { steps },
        "delta" | "sigma-delta" if !(args.threshold > 0.0 && args.threshold.is_finite()) => {
            return Err(Error::Usage(format!(
                "--threshold must be positive, got {}",
                args.threshold
            )));
        }
        "delta" if data.steps < 2 => {
            return Err(Error::Usage(format!(
                "--encoder delta encodes the change from one time step to the next, and each \
                 sample of {} has one time step, which gives no spike: say how many time steps \
                 a row holds with --steps N (a row is steps x channels values)",
                args.input.display()
            )));
        }
        "delta" => Encoder::Delta {
            threshold: args.threshold,
        },
        "sigma-delta" => Encoder::SigmaDelta {
            threshold: args.threshold,
        },
        other => {
            return Err(Error::Usage(format!(
                "unknown encoder {other:?}: use rate, latency, delta or sigma-delta"
            )));
        }
    };
    let spikes = encode(&data, encoder, dt, args.seed);
    crate::io::dataset::write_dataset(&args.out, &spikes)?;
    say!("{}", crate::io::dataset::summary(&args.out, &spikes));
    Ok(())
}

/// `spikesim dataset synth`: a synthetic spike-timing task written.
pub fn synth(args: SynthArgs) -> Result<(), Error> {
    use crate::io::synth::{SynthOptions, split, synthesize};
    if args.classes < 2 || args.channels == 0 || args.samples_per_class == 0 || args.dim == 0 {
        return Err(Error::Usage(
            "--classes must be ≥ 2 and --channels, --samples-per-class, --dim ≥ 1".into(),
        ));
    }
    if !(0.0..1.0).contains(&args.test_fraction) {
        return Err(Error::Usage(format!(
            "--test-fraction must be in [0, 1), got {}",
            args.test_fraction
        )));
    }
    if !(args.spread > 0.0 && args.spread <= 1.0) {
        return Err(Error::Usage(format!(
            "--spread must be in (0, 1], got {}",
            args.spread
        )));
    }
    distinct_outputs(&args.out_train, &args.out_test)?;
    let duration = quantity(&args.duration, Dimension::Time, "duration")?;
    let shift = match parse_as(&args.shift, Dimension::Time) {
        Ok(v) => v,
        Err(e) => return Err(Error::Usage(format!("--shift: {e}"))),
    };
    if !(0.0..duration).contains(&shift) {
        return Err(Error::Usage(format!(
            "--shift must be in [0, duration), got {} s",
            shift
        )));
    }
    let data = synthesize(&SynthOptions {
        classes: args.classes,
        channels: args.channels,
        samples_per_class: args.samples_per_class,
        dim: args.dim,
        harmonics: 3,
        alpha: args.alpha,
        duration,
        spread: args.spread,
        shift,
        seed: args.seed,
    });
    let (train, test) = split(data, args.test_fraction);
    for (path, part) in [(&args.out_train, &train), (&args.out_test, &test)] {
        crate::io::dataset::write_dataset(path, part)?;
        say!("{}", crate::io::dataset::summary(path, part));
    }
    Ok(())
}

/// `--out-train` and `--out-test`: regular files (or new) and not the same.
fn distinct_outputs(train: &Path, test: &Path) -> Result<(), Error> {
    guard(train, &[], "--out-train")?;
    guard(test, &[], "--out-test")?;
    crate::io::output_path::check_distinct(&[train, test])
        .map_err(|e| Error::Usage(format!("--out-train, --out-test: {e}")))
}

/// `spikesim dataset memory`: the memory task's train and test files written.
pub fn memory(args: MemoryArgs) -> Result<(), Error> {
    use crate::io::memory_task::{MemoryTaskOptions, memory_task};
    let dt = quantity(&args.dt, Dimension::Time, "dt")?;
    distinct_outputs(&args.out_train, &args.out_test)?;
    // Train and test sets from distinct streams of the seed.
    for (path, samples, seed) in [
        (&args.out_train, args.train_samples, 2 * args.seed),
        (&args.out_test, args.test_samples, 2 * args.seed + 1),
    ] {
        let o = MemoryTaskOptions {
            channels: args.channels,
            lag: args.lag,
            steps: args.steps,
            samples,
            dt,
            seed,
        };
        if let Some(problem) = o.problem() {
            return Err(Error::Usage(format!("memory task: {problem}")));
        }
        let data = memory_task(&o);
        crate::io::dataset::write_dataset(path, &data)?;
        say!("{}", crate::io::dataset::summary(path, &data));
    }
    Ok(())
}
