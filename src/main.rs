//! The `spikesim` command: a thin layer over the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use spikesim::Error;
use spikesim::engine::comm::Comm;

/// `println!` that does not panic when stdout is closed early (`| head`).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}
use spikesim::engine::Ended;
use spikesim::io::checkpoint;
use spikesim::io::hdf5::read_results;
use spikesim::io::results::Results;
use spikesim::io::run_file::RunFile;
use spikesim::model::memory;
use spikesim::model::spec::OutputSpec;
use spikesim::model::units::{Dimension, parse_as};
use spikesim::plot::{
    PotentialOptions, RasterOptions, RateOptions, WeightPlotOptions, potential, raster, rate,
    weight_course, weight_histogram,
};

#[derive(Parser)]
#[command(name = "spikesim", version, about = "Spiking neural network simulator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a model file and write its results (HDF5) and plots.
    Run(RunArgs),
    /// Validate a model file without simulating it.
    Check(CheckArgs),
    /// Draw a raster and/or membrane-potential plot from a results file.
    Plot(Box<PlotArgs>),
    /// Summarise a results file.
    Info { results: PathBuf },
    /// Train and test a Tempotron (LIF or meta neuron) on two classes of
    /// Poisson patterns, with an LZC read-out; see `learn::tempotron_experiment`.
    Tempotron { experiment: PathBuf },
    /// Map a float LIF / CuBa model to a fixed-point (Loihi) model file.
    Quantize(QuantizeArgs),
    /// Compare two results files: rates, spike-count correlation, spike-time shifts.
    Compare { a: PathBuf, b: PathBuf },
    /// Train a spiking network as an experiment file (TOML) describes.
    Train(TrainArgs),
    /// Continual learning: train a network on a task sequence with several
    /// methods (fine-tuning, EWC, replay, HLOP, multitask) and compare them.
    Continual(ContinualArgs),
    /// Inspect spike datasets (SHD HDF5 layout).
    #[command(subcommand)]
    Dataset(DatasetCommand),
}

#[derive(Args)]
struct TrainArgs {
    experiment: PathBuf,
    /// Continue from the output directory's checkpoint.
    #[arg(long)]
    resume: bool,
    /// Override `training.epochs`.
    #[arg(long)]
    epochs: Option<usize>,
    /// Override `training.threads` (0 = all cores, at most 1024).
    #[arg(long)]
    threads: Option<usize>,
    /// Train even when the memory estimate exceeds what the machine offers.
    #[arg(long)]
    ignore_memory_limit: bool,
}

#[derive(Args)]
struct ContinualArgs {
    experiment: PathBuf,
    /// Continue every run from its checkpoint (after its last completed task).
    #[arg(long)]
    resume: bool,
    /// Override `training.threads` (0 = all cores, at most 1024).
    #[arg(long)]
    threads: Option<usize>,
    /// Train even when the memory estimate exceeds what the machine offers.
    #[arg(long)]
    ignore_memory_limit: bool,
    /// Override `continual.seeds`, e.g. `--seeds 1,2`.
    #[arg(long, value_delimiter = ',')]
    seeds: Option<Vec<u64>>,
    /// Stop after training this many tasks in all (resume later).
    #[arg(long)]
    stop_after_tasks: Option<usize>,
}

#[derive(Subcommand)]
enum DatasetCommand {
    /// Samples, classes, channels, duration and spikes per sample.
    Info { file: PathBuf },
    /// Encode real values (CSV with a `label` column, or HDF5 `data` + `labels`) as spikes.
    Encode(EncodeArgs),
    /// Write a Randman-style synthetic spike-timing task (train and test files).
    Synth(SynthArgs),
    /// Write the memory task: one spike per step, label = the channel that spiked LAG steps before the end.
    Memory(MemoryArgs),
}

#[derive(Args)]
struct MemoryArgs {
    #[arg(long)]
    out_train: PathBuf,
    #[arg(long)]
    out_test: PathBuf,
    #[arg(long, default_value_t = 3)]
    channels: usize,
    #[arg(long, default_value_t = 5)]
    lag: usize,
    #[arg(long, default_value_t = 15)]
    steps: usize,
    #[arg(long, default_value_t = 600)]
    train_samples: usize,
    #[arg(long, default_value_t = 300)]
    test_samples: usize,
    #[arg(long, default_value = "1 ms")]
    dt: String,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Args)]
struct EncodeArgs {
    input: PathBuf,
    /// Output spike dataset (SHD layout).
    #[arg(long)]
    out: PathBuf,
    /// rate, latency, delta or sigma-delta.
    #[arg(long)]
    encoder: String,
    /// Step of the spike trains.
    #[arg(long, default_value = "1 ms")]
    dt: String,
    /// Steps per sample (rate and latency).
    #[arg(long, default_value_t = 50)]
    steps: usize,
    /// Rate of a value at the dataset maximum (rate).
    #[arg(long, default_value = "200 Hz")]
    max_rate: String,
    /// Change per spike (delta, sigma-delta), in the input's units.
    #[arg(long, default_value_t = 0.1)]
    threshold: f64,
    /// Time steps in each input row (delta, sigma-delta): a row holds steps x channels values.
    #[arg(long, default_value_t = 1)]
    time_steps: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Args)]
struct SynthArgs {
    #[arg(long)]
    out_train: PathBuf,
    #[arg(long)]
    out_test: PathBuf,
    #[arg(long, default_value_t = 5)]
    classes: usize,
    #[arg(long, default_value_t = 20)]
    channels: usize,
    #[arg(long, default_value_t = 200)]
    samples_per_class: usize,
    /// Intrinsic dimension of each class manifold.
    #[arg(long, default_value_t = 1)]
    dim: usize,
    /// Smoothness (decay of the harmonics' amplitudes).
    #[arg(long, default_value_t = 2.0)]
    alpha: f64,
    #[arg(long, default_value = "50 ms")]
    duration: String,
    /// Fraction of the time range one channel covers along its class
    /// manifold (1: the plain Randman task; smaller: classes are spike
    /// patterns around per-class centres).
    #[arg(long, default_value_t = 1.0)]
    spread: f64,
    /// Largest common time shift of a sample's spikes (absolute times then
    /// carry no class information).
    #[arg(long, default_value = "0 ms")]
    shift: String,
    #[arg(long, default_value_t = 0.2)]
    test_fraction: f64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Args)]
struct QuantizeArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// The fixed-point model file to write.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
struct ModelArgs {
    /// The model file (TOML).
    model: PathBuf,
    /// Override a model field, e.g. `simulation.duration="2 s"` or `population.exc.size=100`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Override `simulation.seed`.
    #[arg(long)]
    seed: Option<u64>,
    /// Override `simulation.threads` (0 = all cores, at most 1024).
    #[arg(long)]
    threads: Option<u64>,
}

impl ModelArgs {
    fn overrides(&self) -> Vec<String> {
        let mut all = self.set.clone();
        all.extend(self.seed.map(|s| format!("simulation.seed={s}")));
        all.extend(self.threads.map(|t| format!("simulation.threads={t}")));
        all
    }
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Results file; default `[output] path`, else `results/<model>.h5`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Skip the plots named in `[output]`.
    #[arg(long)]
    no_plots: bool,
    /// Run even when the memory estimate exceeds what the machine offers.
    #[arg(long)]
    ignore_memory_limit: bool,
    /// Write a checkpoint every this much simulated time (e.g. "10 s"),
    /// next to the results file (`<results>.checkpoint`).
    #[arg(long, value_name = "TIME")]
    checkpoint_every: Option<String>,
    /// Go on from the last checkpoint of this model's run (same model,
    /// program, ranks and threads).
    #[arg(long)]
    resume: bool,
    /// Memory for recordings between two writes to the results file, per
    /// process (e.g. "64 MiB", the default; at least 1 MiB).
    #[arg(long, value_name = "SIZE")]
    buffer: Option<String>,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Report the memory estimate without refusing a model that exceeds it.
    #[arg(long)]
    ignore_memory_limit: bool,
}

#[derive(Args)]
struct PlotArgs {
    results: PathBuf,
    /// Raster plot file (.png or .svg).
    #[arg(long)]
    raster: Option<PathBuf>,
    /// Membrane-potential plot file (.png or .svg).
    #[arg(long)]
    potential: Option<PathBuf>,
    /// Population(s): for the raster, which to show; for potentials, which to trace.
    #[arg(long)]
    population: Vec<String>,
    /// State variable to trace in the potential plot (default `v`), e.g. `ca`.
    #[arg(long, default_value = "v")]
    variable: String,
    /// Neurons to trace in the potential plot, e.g. `0,3,7`.
    #[arg(long, value_delimiter = ',')]
    neurons: Option<Vec<u32>>,
    /// Start of the window, e.g. "100 ms".
    #[arg(long)]
    from: Option<String>,
    /// End of the window, e.g. "300 ms".
    #[arg(long)]
    to: Option<String>,
    /// Histogram of recorded weights, last snapshot over the first (.png or .svg).
    #[arg(long)]
    weight_histogram: Option<PathBuf>,
    /// Recorded weights against time (.png or .svg).
    #[arg(long)]
    weight_course: Option<PathBuf>,
    /// Projection for the weight plots; default the first recorded.
    #[arg(long)]
    projection: Option<String>,
    /// Firing rate against time of `--population` (.png or .svg).
    #[arg(long)]
    rate: Option<PathBuf>,
    /// Bin of the rate plot, e.g. "1 s".
    #[arg(long)]
    bin: Option<String>,
}

fn main() -> ExitCode {
    if let Some(code) = spikesim::io::guard::serve_if_child() {
        return code;
    }
    // Dataset and results files are read in a copy of this program, so that
    // a damaged one cannot crash or hang it (see `io::guard`).
    if let Ok(program) = std::env::current_exe() {
        spikesim::io::guard::read_in_child_process(program);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Under mpirun every rank parses the same arguments: rank 0 says why not.
        Err(e) => match spikesim::engine::comm::launched_by_mpirun() {
            Some((rank, _)) if rank > 0 && e.use_stderr() => return ExitCode::FAILURE,
            _ => e.exit(),
        },
    };
    let outcome = match cli.command {
        Command::Run(args) => run(args),
        Command::Check(args) => check(args),
        Command::Plot(args) => plot(*args),
        Command::Info { results } => info(&results),
        Command::Tempotron { experiment } => tempotron(&experiment),
        Command::Quantize(args) => quantize(args),
        Command::Compare { a, b } => compare(&a, &b),
        Command::Train(args) => train(args),
        Command::Continual(args) => continual(args),
        Command::Dataset(DatasetCommand::Info { file }) => dataset_info(&file),
        Command::Dataset(DatasetCommand::Encode(args)) => dataset_encode(args),
        Command::Dataset(DatasetCommand::Synth(args)) => dataset_synth(args),
        Command::Dataset(DatasetCommand::Memory(args)) => dataset_memory(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Interrupted { message, code }) => {
            if !quiet() && !message.is_empty() {
                eprintln!("{message}");
            }
            ExitCode::from(code)
        }
        Err(e) => {
            if !quiet() {
                eprintln!("error: {e}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Set on ranks other than 0 of an MPI job: rank 0 alone reports (the
/// ranks agree on every failure, see `run_ranks`), so a message is printed
/// once, not once per rank.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// Load a model and report its warnings on stderr, a clamped thread
/// count among them.
fn load(args: &ModelArgs) -> Result<spikesim::model::ModelSpec, Error> {
    if let Some(t) = args.threads {
        threads_option(t)?;
    }
    let spec = spikesim::model::load(&args.model, &args.overrides())?;
    for w in spec.warnings.iter().filter(|_| !quiet()) {
        eprintln!("warning: {w}");
    }
    warn_threads(u64::from(spec.simulation.threads), "simulation.threads");
    Ok(spec)
}

/// `--threads N`: at most `MAX_THREADS`.
fn threads_option(threads: u64) -> Result<(), Error> {
    memory::thread_limit(threads).map_err(|e| Error::Usage(format!("--threads: {e}")))
}

/// An experiment's `training.threads`, or `--threads` over it (checked),
/// with the warning for a count far above the cores.
fn training_threads(in_file: usize, option: Option<usize>) -> Result<usize, Error> {
    if let Some(t) = option {
        threads_option(t as u64)?;
    }
    let threads = option.unwrap_or(in_file);
    warn_threads(threads as u64, "training.threads");
    Ok(threads)
}

fn warn_threads(threads: u64, field: &str) {
    if let Some(w) = memory::thread_warning(threads, field).filter(|_| !quiet()) {
        eprintln!("warning: {w}");
    }
}

/// A model's memory estimate, and the refusal when it does not fit: on
/// `ranks` processes, the estimate of one rank's share, which the machine's
/// memory must hold once per rank started on it.
fn model_memory(
    spec: &spikesim::model::ModelSpec,
    ignore_limit: bool,
    ranks: usize,
    buffer: usize,
) -> Result<memory::Estimate, Error> {
    let workers = spikesim::engine::thread_count(spec.simulation.threads);
    // Recordings go to the results file as the run goes.
    let estimate = memory::streamed(
        memory::rank_estimate(spec, workers, ranks),
        buffer as f64,
        spikesim::io::hdf5::BUFFER_BYTES as f64,
    );
    let (what, available) = if ranks > 1 {
        let here = spikesim::engine::comm::ranks_on_this_machine();
        (
            format!("{} (one rank's share of {ranks})", spec.path.display()),
            memory::available().shared_by(here),
        )
    } else {
        (spec.path.display().to_string(), memory::available())
    };
    let fits = memory::check_fits(&what, &estimate, &available, "pass --ignore-memory-limit");
    match fits {
        Err(e) if ignore_limit && !quiet() => eprintln!("warning: memory limit ignored: {e}"),
        Err(_) if ignore_limit => {}
        Err(e) => return Err(e.into()),
        Ok(()) => {}
    }
    Ok(estimate)
}

fn train(args: TrainArgs) -> Result<(), Error> {
    let mut exp = spikesim::learn::train::experiment::load_experiment(&args.experiment)?;
    if exp.continual {
        return Err(Error::Usage(format!(
            "{} is a continual-learning experiment ([continual] / [hlop]): run `spikesim continual` on it",
            args.experiment.display()
        )));
    }
    exp.epochs = args.epochs.unwrap_or(exp.epochs);
    exp.threads = training_threads(exp.threads, args.threads)?;
    exp.ignore_memory_limit = args.ignore_memory_limit;
    let opts = spikesim::learn::train::session::SessionOptions {
        resume: args.resume,
        show_progress: true,
    };
    let (_, _, files) =
        spikesim::learn::train::session::run_session(&exp, &opts, &mut |line| say!("{line}"))?;
    say!(
        "metrics: {} and {}",
        files.metrics_csv.display(),
        files.metrics_h5.display()
    );
    say!("learning curve: {}", files.learning_curve.display());
    say!("checkpoint: {}", files.checkpoint.display());
    match &files.exported {
        Some(e) => say!(
            "exported model: {} (weights {}, input: test sample 0)",
            e.model.display(),
            e.weights.display()
        ),
        None => say!(
            "no model file exported: a LIF network with a read-out window, or real-valued input, cannot be yet"
        ),
    }
    Ok(())
}

fn continual(args: ContinualArgs) -> Result<(), Error> {
    use spikesim::learn::continual::{experiment::load_continual, session};
    let mut exp = load_continual(&args.experiment)?;
    exp.base.threads = training_threads(exp.base.threads, args.threads)?;
    exp.base.ignore_memory_limit = args.ignore_memory_limit;
    if let Some(seeds) = args.seeds {
        if seeds.is_empty() {
            return Err(Error::Usage("--seeds: name at least one seed".into()));
        }
        exp.spec.seeds = seeds;
    }
    let opts = session::ContinualOptions {
        resume: args.resume,
        show_progress: true,
        stop_after_tasks: args.stop_after_tasks,
    };
    let outcome = session::run_continual(&exp, &opts, &mut |line| say!("{line}"))?;
    for f in &outcome.files {
        say!("wrote {}", f.display());
    }
    Ok(())
}

fn dataset_info(path: &Path) -> Result<(), Error> {
    let data = spikesim::io::dataset::read_dataset(path)?;
    say!("{}", spikesim::io::dataset::summary(path, &data));
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

fn dataset_encode(args: EncodeArgs) -> Result<(), Error> {
    use spikesim::io::encode::{Encoder, encode, read_real};
    let dt = quantity(&args.dt, Dimension::Time, "dt")?;
    guard(&args.out, std::slice::from_ref(&args.input), "--out")?;
    let data = read_real(&args.input, args.time_steps)?;
    let encoder = match args.encoder.as_str() {
        "rate" | "latency" if data.steps != 1 => {
            return Err(Error::Usage(format!(
                "--encoder {} encodes static values; the input has {} time steps",
                args.encoder, data.steps
            )));
        }
        "rate" => Encoder::Rate {
            steps: args.steps,
            max_rate: quantity(&args.max_rate, Dimension::Frequency, "max-rate")?,
        },
        "latency" => Encoder::Latency { steps: args.steps },
        "delta" | "sigma-delta" if !(args.threshold > 0.0 && args.threshold.is_finite()) => {
            return Err(Error::Usage(format!(
                "--threshold must be positive, got {}",
                args.threshold
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
    spikesim::io::dataset::write_dataset(&args.out, &spikes)?;
    say!("{}", spikesim::io::dataset::summary(&args.out, &spikes));
    Ok(())
}

fn dataset_synth(args: SynthArgs) -> Result<(), Error> {
    use spikesim::io::synth::{SynthOptions, split, synthesize};
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
        spikesim::io::dataset::write_dataset(path, part)?;
        say!("{}", spikesim::io::dataset::summary(path, part));
    }
    Ok(())
}

/// `--out-train` and `--out-test`: regular files (or new) and not the same.
fn distinct_outputs(train: &Path, test: &Path) -> Result<(), Error> {
    guard(train, &[], "--out-train")?;
    guard(test, &[], "--out-test")?;
    spikesim::io::output_path::check_distinct(&[train, test])
        .map_err(|e| Error::Usage(format!("--out-train, --out-test: {e}")))
}

fn dataset_memory(args: MemoryArgs) -> Result<(), Error> {
    use spikesim::io::memory_task::{MemoryTaskOptions, memory_task};
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
        spikesim::io::dataset::write_dataset(path, &data)?;
        say!("{}", spikesim::io::dataset::summary(path, &data));
    }
    Ok(())
}

fn check(args: CheckArgs) -> Result<(), Error> {
    if let Some(summary) = check_experiment(&args.model)? {
        say!("{summary}");
        return Ok(());
    }
    let spec = load(&args.model)?;
    let buffer = spikesim::engine::segment::DEFAULT_BUFFER;
    let estimate = model_memory(&spec, args.ignore_memory_limit, 1, buffer)?;
    let memory_line = format!(
        "  memory: estimated {}; {}",
        estimate.summary(3),
        memory::available()
    );
    if let Some(fixed) = &spec.fixed {
        let neurons: u64 = fixed.populations.iter().map(|p| p.size as u64).sum();
        say!(
            "{}: ok, fixed point ({} populations, {} neurons, {} projections, {} steps)",
            args.model.model.display(),
            fixed.populations.len(),
            neurons,
            fixed.projections.len(),
            spec.simulation.steps
        );
        say!("{memory_line}");
        return Ok(());
    }
    let neurons: u64 = spec.populations.iter().map(|p| p.size as u64).sum();
    say!(
        "{}: ok ({} populations, {} neurons, {} projections, {} steps of {} ms)",
        args.model.model.display(),
        spec.populations.len(),
        neurons,
        spec.projections.len(),
        spec.simulation.steps,
        spec.simulation.dt * 1e3
    );
    say!("{memory_line}");
    Ok(())
}

/// A training, continual or Tempotron experiment given to `check`: checked
/// with its own parser (`None` for a model, or a file that cannot be read,
/// which the model loader reports).
fn check_experiment(args: &ModelArgs) -> Result<Option<String>, Error> {
    use spikesim::learn::file_kind::{FileKind, check_experiment};
    let Ok(text) = std::fs::read_to_string(&args.model) else {
        return Ok(None);
    };
    let kind = FileKind::of_text(&text);
    if kind == FileKind::Model {
        return Ok(None);
    }
    if !args.overrides().is_empty() {
        return Err(Error::Usage(format!(
            "{} is a {}: --set, --seed and --threads apply to model files",
            args.model.display(),
            kind.description()
        )));
    }
    Ok(Some(check_experiment(&args.model, &text, kind)?))
}

fn run(args: RunArgs) -> Result<(), Error> {
    match spikesim::engine::comm::launched_by_mpirun() {
        Some((rank, ranks)) if ranks > 1 => {
            QUIET.store(rank != 0, std::sync::atomic::Ordering::Relaxed);
            run_ranks(args, ranks)
        }
        _ => run_on(args, &spikesim::engine::comm::Solo),
    }
}

/// Started by mpirun on several ranks, in a build without MPI.
#[cfg(not(feature = "mpi"))]
fn run_ranks(_args: RunArgs, ranks: usize) -> Result<(), Error> {
    Err(Error::Usage(format!(
        "mpirun started {ranks} copies of spikesim, but this spikesim was built without MPI \
         (each copy would run the whole model alone): build it with \
         `cargo build --release --features mpi` (needs Open MPI: openmpi-bin libopenmpi-dev, \
         and libclang-dev), or run it without mpirun"
    )))
}

/// Started by mpirun on several ranks: each runs its share of the model.
#[cfg(feature = "mpi")]
fn run_ranks(args: RunArgs, ranks: usize) -> Result<(), Error> {
    use spikesim::engine::comm::mpi::MpiComm;
    let Some(comm) = MpiComm::init() else {
        return Err(Error::Usage(format!(
            "mpirun started {ranks} copies of spikesim, but MPI could not be initialised"
        )));
    };
    MpiComm::abort_on_panic();
    let result = run_on(args, &comm);
    if let Err(e) = &result
        && comm.rank() == 0
    {
        // Said before MPI is finalised: the other ranks wait for rank 0
        // there, and one that exited first could have mpirun end rank 0
        // before it reported.
        match e {
            Error::Interrupted { message, .. } => eprintln!("{message}"),
            _ => eprintln!("error: {e}"),
        }
        QUIET.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    drop(comm);
    result
}

/// `result` on every rank, once all ranks have reached this point: a failure
/// on any rank fails them all (rank 0 reports it), so that none goes on
/// to wait for the others in a collective.
fn agree<T>(comm: &dyn Comm, result: Result<T, Error>, what: &str) -> Result<T, Error> {
    spikesim::engine::comm::settle(comm.first_failed(result.is_err()), result, |rank| {
        Error::Usage(format!("rank {rank} of the run failed {what}"))
    })
}

/// The checks of a run that come before anything is built, the same on
/// every rank (rank 0 alone checks the output paths and tells the others).
fn prepare_run(
    args: &RunArgs,
    comm: &dyn Comm,
) -> Result<(spikesim::model::ModelSpec, memory::Estimate, PathBuf), Error> {
    let ranks = comm.ranks();
    let spec = agree(comm, load(&args.model), "to load the model")?;
    if ranks > 1 {
        let threads = spikesim::engine::rank_threads(&spec, comm);
        if let Some(e) = spikesim::engine::rank_count_error(&spec, ranks, threads) {
            return Err(Error::Usage(e));
        }
    }
    let estimate = agree(
        comm,
        model_memory(&spec, args.ignore_memory_limit, ranks, buffer_arg(args)?),
        "its memory check",
    )?;
    let out = args
        .out
        .clone()
        .or_else(|| spec.output.path.clone())
        .unwrap_or_else(|| default_output(&args.model.model));
    let checked = if comm.rank() == 0 {
        guard_run_outputs(&args.model.model, &spec, &out)
            .and_then(|()| {
                if ranks > 1 {
                    writable_folder(&out)
                } else {
                    Ok(())
                }
            })
            .and_then(|()| disk_room(&spec, &out, args.ignore_memory_limit))
    } else {
        Ok(())
    };
    if comm.broadcast_u64(u64::from(checked.is_ok())) == 0 {
        checked?;
        return Err(Error::Usage("rank 0 refused the output path".into()));
    }
    Ok((spec, estimate, out))
}

/// Refuse a run whose results file would not fit on its disk (a failing
/// write after hours of simulation helps nobody).
fn disk_room(spec: &spikesim::model::ModelSpec, out: &Path, ignore: bool) -> Result<(), Error> {
    let workers = spikesim::engine::thread_count(spec.simulation.threads);
    let bytes = memory::results_file_bytes(&memory::model_estimate(spec, workers));
    let folder = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() && d.exists() => d.to_path_buf(),
        Some(d) if !d.as_os_str().is_empty() => {
            // The folder is made later: ask about its nearest existing parent.
            d.ancestors()
                .find(|a| a.exists())
                .unwrap_or(Path::new("."))
                .to_path_buf()
        }
        _ => PathBuf::from("."),
    };
    let Some(free) = memory::free_disk(&folder) else {
        return Ok(());
    };
    if bytes <= free as f64 {
        return Ok(());
    }
    let message = format!(
        "{}: its results file needs an estimated {} of disk, but {} has {} free; \
         record less (fewer neurons, a larger `every`), or pass --ignore-memory-limit to try anyway",
        spec.path.display(),
        memory::bytes(bytes),
        folder.display(),
        memory::bytes(free as f64)
    );
    if ignore {
        if !quiet() {
            eprintln!("warning: disk space ignored: {message}");
        }
        return Ok(());
    }
    Err(Error::Usage(message))
}

/// Refuse an output whose folder cannot take a new file, before a run
/// whose ranks would otherwise simulate for nothing.
fn writable_folder(out: &Path) -> Result<(), Error> {
    ensure_parent(out)?;
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let probe = dir.join(format!(".spikesim-probe-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(Error::Usage(format!(
            "--out: cannot write {} (the folder {} does not take new files: {e})",
            out.display(),
            dir.display()
        ))),
    }
}

fn run_on(args: RunArgs, comm: &dyn Comm) -> Result<(), Error> {
    // First of all: a signal during the build stops the run at its first
    // epoch boundary rather than killing it without a word.
    let signals = interruption::install();
    let (spec, estimate, out) = prepare_run(&args, comm)?;
    let (checkpoint_every, buffer_bytes) = run_controls(&args, &spec)?;
    let threads = spikesim::engine::rank_threads(&spec, comm);
    let checkpoint_path = checkpoint::path_for(&out);
    let resumed = if args.resume {
        let read = resume_state(&checkpoint_path, &spec, comm, threads);
        Some(agree(comm, read, "to read the checkpoint")?)
    } else {
        None
    };
    let engine = match (&spec.fixed, spec.simulation.engine) {
        (Some(_), _) => "clock (fixed-point)",
        (None, spikesim::model::spec::EngineKind::Clock) => "clock",
        (None, spikesim::model::spec::EngineKind::Event) => "event",
    };
    let mut info = spikesim::engine::run_info(&spec, engine, threads);
    info.ranks = comm.ranks() as u32;
    let run_id = resumed.as_ref().map_or_else(new_run_id, |(h, _)| h.run_id);
    let file = match (comm.rank(), &resumed) {
        (0, Some((header, _))) => RunFile::resume(&out, run_id, info.clone(), &header.positions)
            .map(Some)
            .map_err(Error::from),
        (0, None) => ensure_parent(&out).map(|()| Some(RunFile::new(&out, run_id, info.clone()))),
        _ => Ok(None),
    };
    let mut file = agree(comm, file, "to open the results file")?;
    let stop = || signals.requested().is_some();
    let control = spikesim::engine::Control {
        checkpoint_every,
        buffer_bytes,
        stop: &stop,
    };
    let mut write_checkpoint =
        |step: u64, states: Option<Vec<Vec<u8>>>, positions: Vec<u64>| -> Result<(), String> {
            let header = checkpoint::Header {
                version: env!("CARGO_PKG_VERSION").into(),
                program: checkpoint::program_hash(),
                model: spec.text.clone(),
                ranks: comm.ranks() as u32,
                threads: threads as u32,
                step,
                run_id,
                positions,
            };
            checkpoint::write(&checkpoint_path, &header, &states.unwrap_or_default())
                .map_err(|e| e.to_string())
        };
    let bar = progress_bar(spec.simulation.steps, spec.simulation.dt);
    if comm.rank() != 0 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    if let Some((header, _)) = &resumed {
        bar.set_position(header.step);
        say!(
            "resuming at t = {} s from {}",
            header.step as f64 * spec.simulation.dt,
            checkpoint_path.display()
        );
    }
    let wall = Instant::now();
    let output = spikesim::engine::Output {
        control,
        sink: file.as_mut().map(|f| f as &mut dyn spikesim::engine::Sink),
        checkpoint: Some(&mut write_checkpoint),
        resume: resumed.map(|(_, state)| state),
    };
    let run = spikesim::engine::run_share(
        &spec,
        &mut |done, _| {
            bar.set_position(done);
            let simulated = done as f64 * spec.simulation.dt;
            let elapsed = wall.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!(
                "{:.3} s simulated, {:.2}x real time",
                simulated,
                simulated / elapsed
            ));
        },
        comm,
        output,
    );
    bar.finish_and_clear();
    let end = run?;
    let Some(file) = file else {
        // Rank 0 writes; the others wait to hear that it did.
        agree(comm, Ok(()), "to write the results")?;
        return match end.ended {
            Ended::Finished => Ok(()),
            Ended::Stopped(_) => Err(Error::Interrupted {
                message: String::new(),
                code: signals.exit_code(),
            }),
            Ended::Fault(_, message) => Err(Error::Usage(message)),
        };
    };
    let dt = spec.simulation.dt;
    // The plots beside the results file are this run's or none: those of an
    // earlier run go before the file is replaced.
    remove_plots(&spec.output);
    let ended = match end.ended {
        Ended::Finished => {
            let counts = file.counts().clone();
            let written = file.finish(&end.info).map_err(Error::from);
            let written = written.and_then(|()| {
                let _ = std::fs::remove_file(&checkpoint_path);
                finish_run(&args, &spec, &estimate, &out, &end.info, &counts)
            });
            agree(comm, written, "to write the results")
        }
        Ended::Stopped(step) => {
            let written = file.interrupt(Some(&end.info), step as f64 * dt);
            agree(comm, written.map_err(Error::from), "to write the results")?;
            Err(Error::Interrupted {
                message: interrupted_message(&out, &checkpoint_path, step, &spec),
                code: signals.exit_code(),
            })
        }
        Ended::Fault(step, message) => {
            let written = file.interrupt(Some(&end.info), step as f64 * dt);
            agree(comm, written.map_err(Error::from), "to write the results")?;
            Err(Error::Usage(format!(
                "{message}; {} holds the run up to t = {} s",
                out.display(),
                step as f64 * dt
            )))
        }
    };
    ended?;
    if let Some(x) = end.exchange {
        say!(
            "{} ranks: {} spikes exchanged in {} epochs, {:.1} bytes per spike, \
             {:.1} us per epoch in the exchange",
            comm.ranks(),
            x.spikes_sent,
            x.epochs,
            x.bytes_per_spike(),
            x.seconds_per_epoch() * 1e6
        );
    }
    Ok(())
}

/// The checkpoint period in grid steps and the recording buffer, from the
/// command line.
fn run_controls(
    args: &RunArgs,
    spec: &spikesim::model::ModelSpec,
) -> Result<(Option<u64>, usize), Error> {
    let dt = spec.simulation.dt;
    let every = match &args.checkpoint_every {
        None => None,
        Some(text) => {
            let seconds = parse_as(text, Dimension::Time).map_err(|e| {
                Error::Usage(format!(
                    "--checkpoint-every: {e} (expected a time such as \"10 s\")"
                ))
            })?;
            if !(seconds.is_finite() && seconds >= dt) {
                return Err(Error::Usage(format!(
                    "--checkpoint-every: must be at least one time step ({dt} s), got \"{text}\""
                )));
            }
            Some((seconds / dt).round() as u64)
        }
    };
    Ok((every, buffer_arg(args)?))
}

/// The recording buffer asked for with --buffer, or the default.
fn buffer_arg(args: &RunArgs) -> Result<usize, Error> {
    match &args.buffer {
        None => Ok(spikesim::engine::segment::DEFAULT_BUFFER),
        Some(text) => parse_bytes(text).filter(|&b| b >= 1 << 20).ok_or_else(|| {
            Error::Usage(format!(
                "--buffer: expected a size of at least 1 MiB such as \"64 MiB\", got \"{text}\""
            ))
        }),
    }
}

/// "64 MiB", "1GiB", "500 MB", "1048576" as bytes.
fn parse_bytes(text: &str) -> Option<usize> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale: f64 = match unit.trim() {
        "" | "B" => 1.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let bytes = number * scale;
    (bytes.is_finite() && bytes <= usize::MAX as f64).then_some(bytes as usize)
}

/// A run id shared by a results file and its checkpoints, unlikely to
/// repeat.
fn new_run_id() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    spikesim::engine::rng::fnv1a(&[&nanos.to_string(), &std::process::id().to_string()])
}

/// The checkpoint at `path` read for this run, or why it cannot go on from
/// it: the header and this rank's state.
fn resume_state(
    path: &Path,
    spec: &spikesim::model::ModelSpec,
    comm: &dyn Comm,
    threads: usize,
) -> Result<(checkpoint::Header, Vec<u8>), Error> {
    let (header, _) = checkpoint::read_header(path).map_err(|e| match e {
        spikesim::io::IoError::NotFound { .. } => Error::Usage(format!(
            "--resume: no checkpoint at {} (a run writes one with --checkpoint-every)",
            path.display()
        )),
        other => Error::from(other),
    })?;
    let refuse = |why: String| Error::Usage(format!("--resume: {}: {why}", path.display()));
    let version = env!("CARGO_PKG_VERSION");
    if header.version != version {
        return Err(refuse(format!(
            "written by spikesim {}, this is {version}: resume with the program that wrote it",
            header.version
        )));
    }
    if header.program != checkpoint::program_hash() {
        return Err(refuse(format!(
            "written by another build of spikesim {version} (the program file differs): \
             resume with the program that wrote it"
        )));
    }
    if header.ranks as usize != comm.ranks() {
        return Err(refuse(format!(
            "written by a run of {} processes, this one has {}: resume with mpirun -np {}",
            header.ranks,
            comm.ranks(),
            header.ranks
        )));
    }
    if header.threads as usize != threads {
        return Err(refuse(format!(
            "written by a run of {} threads per process, this one has {}: resume with --threads {}",
            header.threads, threads, header.threads
        )));
    }
    if header.model != spec.text {
        return Err(refuse(format!(
            "written for another model: {} (or its --set options) changed since",
            spec.path.display()
        )));
    }
    let state = checkpoint::read_state(path, comm.rank())?;
    Ok((header, state))
}

/// The one line said when a run stops on request.
fn interrupted_message(
    out: &Path,
    checkpoint_path: &Path,
    step: u64,
    spec: &spikesim::model::ModelSpec,
) -> String {
    let dt = spec.simulation.dt;
    let resume = match checkpoint::read_header(checkpoint_path) {
        Ok((h, _)) => format!(
            "; --resume goes on from the checkpoint at t = {} s",
            h.step as f64 * dt
        ),
        Err(_) => String::new(),
    };
    format!(
        "interrupted at t = {} s of {} s: {} holds the run so far (marked incomplete){resume}",
        step as f64 * dt,
        spec.simulation.duration,
        out.display()
    )
}

/// Signals that stop a run at the next epoch boundary; a second one stops
/// at once.
mod interruption {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use signal_hook::consts::{SIGINT, SIGTERM};

    pub struct Signals {
        asked: Arc<AtomicBool>,
        which: Arc<AtomicUsize>,
    }

    impl Signals {
        /// The signal that asked the run to stop, if one did.
        pub fn requested(&self) -> Option<usize> {
            self.asked
                .load(Ordering::Relaxed)
                .then(|| self.which.load(Ordering::Relaxed))
        }

        /// The shell's status for a program ended by that signal.
        pub fn exit_code(&self) -> u8 {
            match self.requested() {
                Some(s) if s == SIGTERM as usize => 143,
                _ => 130,
            }
        }
    }

    pub fn install() -> Signals {
        let asked = Arc::new(AtomicBool::new(false));
        let which = Arc::new(AtomicUsize::new(0));
        for signal in [SIGINT, SIGTERM] {
            let code = 128 + signal;
            // Registered first, so that it sees the flag as the previous
            // signal left it: set means this is the second, which ends the
            // program at once.
            let _ =
                signal_hook::flag::register_conditional_shutdown(signal, code, Arc::clone(&asked));
            let _ = signal_hook::flag::register_usize(signal, Arc::clone(&which), signal as usize);
            let _ = signal_hook::flag::register(signal, Arc::clone(&asked));
        }
        Signals { asked, which }
    }
}

/// Rank 0's end of a complete run: the summary, and the plots drawn from
/// the file (not from memory, so that they show what it holds).
fn finish_run(
    args: &RunArgs,
    spec: &spikesim::model::ModelSpec,
    estimate: &memory::Estimate,
    out: &Path,
    info: &spikesim::io::results::RunInfo,
    counts: &spikesim::io::run_file::SpikeCounts,
) -> Result<(), Error> {
    summarise_counts(info, counts, out);
    if let Some(peak) = memory::peak_resident() {
        say!(
            "memory: estimated {}, peak resident {}",
            memory::bytes(estimate.total()),
            memory::bytes(peak)
        );
    }
    let output = &spec.output;
    let wanted = [
        &output.raster,
        &output.potential,
        &output.weight_histogram,
        &output.weight_course,
        &output.rate,
    ];
    if args.no_plots || wanted.iter().all(|p| p.is_none()) {
        return Ok(());
    }
    let size = std::fs::metadata(out).map_or(0, |m| m.len());
    if size > PLOT_FROM_MEMORY_LIMIT {
        say!(
            "plots: skipped, {} is {} (more than {} to read back): draw them with \
             `spikesim plot` and --from/--to",
            out.display(),
            memory::bytes(size as f64),
            memory::bytes(PLOT_FROM_MEMORY_LIMIT as f64)
        );
        return Ok(());
    }
    for path in wanted.into_iter().flatten() {
        ensure_parent(path)?;
    }
    let results = read_results(out)?;
    if let Some(path) = &output.raster {
        raster(&results, path, &RasterOptions::default())?;
        say!("raster plot: {}", path.display());
    }
    if let Some(path) = &output.potential {
        potential(&results, path, &PotentialOptions::default())?;
        say!("potential plot: {}", path.display());
    }
    plastic_plots(&results, output)
}

/// Remove the plot files named in `[output]` (absent ones are fine).
fn remove_plots(output: &OutputSpec) {
    for path in [
        &output.raster,
        &output.potential,
        &output.weight_histogram,
        &output.weight_course,
        &output.rate,
    ]
    .into_iter()
    .flatten()
    {
        let _ = std::fs::remove_file(path);
    }
}

/// Results files larger than this are not read back to draw a run's plots.
const PLOT_FROM_MEMORY_LIMIT: u64 = 2 << 30;

/// Spike counts and timings of a finished run.
fn summarise_counts(
    info: &spikesim::io::results::RunInfo,
    counts: &spikesim::io::run_file::SpikeCounts,
    out: &Path,
) {
    say!("{:<20} {:>10} {:>12}", "population", "spikes", "rate (Hz)");
    for (population, size, spikes) in counts {
        let rate = *spikes as f64 / (*size as f64 * info.duration).max(f64::MIN_POSITIVE);
        say!("{:<20} {:>10} {:>12.3}", population, spikes, rate);
    }
    let rtf = if info.simulate_seconds > 0.0 {
        info.duration / info.simulate_seconds
    } else {
        f64::INFINITY
    };
    say!(
        "built in {:.3} s, simulated {} s in {:.3} s ({:.1}x real time)",
        info.build_seconds,
        info.duration,
        info.simulate_seconds,
        rtf
    );
    let events_per_second = info.synaptic_events as f64 / info.simulate_seconds.max(1e-12);
    say!(
        "{} synapses, {} synaptic events ({:.3e} per second of wall time)",
        info.synapses,
        info.synaptic_events,
        events_per_second
    );
    say!("results: {}", out.display());
}

/// The weight and rate plots named in `[output]`.
fn plastic_plots(results: &Results, output: &OutputSpec) -> Result<(), Error> {
    let opts = WeightPlotOptions::default();
    if let Some(path) = &output.weight_histogram {
        weight_histogram(results, path, &opts)?;
        say!("weight histogram: {}", path.display());
    }
    if let Some(path) = &output.weight_course {
        weight_course(results, path, &opts)?;
        say!("weights over time: {}", path.display());
    }
    if let Some(path) = &output.rate {
        rate(results, path, &RateOptions::default())?;
        say!("rate plot: {}", path.display());
    }
    Ok(())
}

/// Refuse `out` when it is one of `inputs` or not a regular file; `what`
/// names the option or field that gave it.
fn guard(out: &Path, inputs: &[PathBuf], what: &str) -> Result<(), Error> {
    spikesim::io::output_path::check_output(out, inputs)
        .map_err(|e| Error::Usage(format!("{what}: {e}")))
}

/// The results file and every plot of a run, against the files it reads.
fn guard_run_outputs(
    model: &Path,
    spec: &spikesim::model::ModelSpec,
    out: &Path,
) -> Result<(), Error> {
    let inputs = spikesim::io::output_path::model_inputs(model, &spec.text);
    guard(out, &inputs, "--out")?;
    let o = &spec.output;
    for (path, field) in [
        (&o.raster, "raster"),
        (&o.potential, "potential"),
        (&o.weight_histogram, "weight_histogram"),
        (&o.weight_course, "weight_course"),
        (&o.rate, "rate"),
    ] {
        if let Some(path) = path {
            let what = format!("{}: output.{field}", model.display());
            guard(path, &inputs, &what)?;
            spikesim::io::output_path::check_distinct(&[out, path])
                .map_err(|e| Error::Usage(format!("{what}: {e}")))?;
        }
    }
    Ok(())
}

fn ensure_parent(path: &Path) -> Result<(), Error> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .map_err(|e| Error::Usage(format!("cannot create the folder {}: {e}", dir.display()))),
        _ => Ok(()),
    }
}

fn default_output(model: &Path) -> PathBuf {
    let stem = model
        .file_stem()
        .map_or("run".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from("results").join(format!("{stem}.h5"))
}

fn progress_bar(steps: u64, dt: f64) -> ProgressBar {
    let bar = ProgressBar::new(steps);
    let style = ProgressStyle::with_template("{bar:40} {percent:>3}% {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(format!("dt = {} ms", dt * 1e3));
    bar
}

fn time_arg(text: &Option<String>, flag: &str) -> Result<Option<f64>, Error> {
    text.as_deref()
        .map(|t| parse_as(t, Dimension::Time).map_err(|e| Error::Usage(format!("--{flag}: {e}"))))
        .transpose()
}

fn plot(args: PlotArgs) -> Result<(), Error> {
    if args.raster.is_none()
        && args.potential.is_none()
        && args.weight_histogram.is_none()
        && args.weight_course.is_none()
        && args.rate.is_none()
    {
        return Err(Error::Usage(
            "name at least one plot: --raster, --potential, --weight-histogram, --weight-course or --rate FILE".into(),
        ));
    }
    for (path, option) in [
        (&args.raster, "--raster"),
        (&args.potential, "--potential"),
        (&args.weight_histogram, "--weight-histogram"),
        (&args.weight_course, "--weight-course"),
        (&args.rate, "--rate"),
    ] {
        if let Some(path) = path {
            guard(path, std::slice::from_ref(&args.results), option)?;
        }
    }
    let results = read_results(&args.results)?;
    warn_if_interrupted(&args.results, &results);
    let (from, to) = (time_arg(&args.from, "from")?, time_arg(&args.to, "to")?);
    if let Some(path) = &args.raster {
        let opts = RasterOptions {
            populations: (!args.population.is_empty()).then(|| args.population.clone()),
            from,
            to,
            title: None,
        };
        raster(&results, path, &opts)?;
        say!("raster plot: {}", path.display());
    }
    if let Some(path) = &args.potential {
        let opts = PotentialOptions {
            population: args.population.first().cloned(),
            neurons: args.neurons.clone(),
            variable: args.variable.clone(),
            from,
            to,
            ..Default::default()
        };
        potential(&results, path, &opts)?;
        say!("potential plot: {}", path.display());
    }
    let opts = WeightPlotOptions {
        projection: args.projection.clone(),
        title: None,
    };
    if let Some(path) = &args.weight_histogram {
        weight_histogram(&results, path, &opts)?;
        say!("weight histogram: {}", path.display());
    }
    if let Some(path) = &args.weight_course {
        weight_course(&results, path, &opts)?;
        say!("weights over time: {}", path.display());
    }
    if let Some(path) = &args.rate {
        let opts = RateOptions {
            population: args.population.first().cloned(),
            bin: time_arg(&args.bin, "bin")?,
            title: None,
        };
        rate(&results, path, &opts)?;
        say!("rate plot: {}", path.display());
    }
    Ok(())
}

fn tempotron(path: &Path) -> Result<(), Error> {
    use spikesim::learn::tempotron::experiment;
    let e = experiment::load(path)?;
    let bar = ProgressBar::new(e.epochs as u64);
    let o = experiment::run(&e, &mut |epoch| bar.set_position(epoch as u64));
    bar.finish_and_clear();
    let last = |v: &[f64]| v.last().copied().unwrap_or(0.0);
    say!(
        "after {} epochs: training {:.3}, held-out {:.3} (spike / no spike); LZC read-out held-out {:.3}",
        e.epochs,
        last(&o.train_accuracy),
        last(&o.test_accuracy),
        o.lzc_accuracy
    );
    say!(
        "LZC class means: {:?}; v_th {:.4}, tau_m {:.3} ms",
        o.lzc.means,
        o.tempotron.v_th,
        o.tempotron.tau_m * 1e3
    );
    for written in experiment::write_outputs(&e, &o)? {
        say!("wrote {}", written.display());
    }
    Ok(())
}

/// One line on stderr for the file of an interrupted run: what it holds.
fn warn_if_interrupted(path: &Path, results: &Results) {
    let Some(reached) = results.info.reached.filter(|_| !quiet()) else {
        return;
    };
    // Rounded to the nanosecond, so that 1500 steps of 0.1 ms read 0.15 s.
    let seconds = |t: f64| (t * 1e9).round() / 1e9;
    eprintln!(
        "warning: {} was interrupted: it holds the run up to t = {} s of {} s",
        path.display(),
        seconds(reached),
        seconds(results.info.duration)
    );
}

fn info(path: &Path) -> Result<(), Error> {
    let results = read_results(path)?;
    warn_if_interrupted(path, &results);
    let i = &results.info;
    say!("{}", path.display());
    say!("  model:     {}", i.model_path);
    say!(
        "  spikesim:  {}, engine {}, {} thread(s)",
        i.version,
        i.engine,
        i.threads
    );
    say!(
        "  dt:        {} ms, duration {} s, seed {}",
        i.dt * 1e3,
        i.duration,
        i.seed
    );
    say!(
        "  wall time: build {:.3} s, simulate {:.3} s",
        i.build_seconds,
        i.simulate_seconds
    );
    say!(
        "  synapses:  {}, synaptic events {}",
        i.synapses,
        i.synaptic_events
    );
    for s in &results.spikes {
        let rate = results.mean_rate(&s.population).unwrap_or(0.0);
        say!(
            "  spikes/{:<14} {:>4} neurons {:>9} spikes {:>9.3} Hz",
            s.population,
            s.size,
            s.len(),
            rate
        );
    }
    for t in &results.states {
        say!(
            "  state/{}/{:<8} {} neurons x {} samples [{}]",
            t.population,
            t.variable,
            t.neurons.len(),
            t.rows(),
            t.unit
        );
    }
    for w in &results.weights {
        say!(
            "  weights/{:<13} {} synapses x {} snapshots [{}]",
            w.projection,
            w.synapses(),
            w.steps.len(),
            w.unit
        );
    }
    Ok(())
}

fn quantize(args: QuantizeArgs) -> Result<(), Error> {
    let spec = load(&args.model)?;
    let inputs = spikesim::io::output_path::model_inputs(&args.model.model, &spec.text);
    guard(&args.out, &inputs, "--out")?;
    let q = spikesim::model::quantize::quantize(&spec)
        .map_err(|e| Error::Usage(format!("{}: {e}", args.model.model.display())))?;
    ensure_parent(&args.out)?;
    spikesim::io::output_path::write_atomically(&args.out, q.text.as_bytes())?;
    for note in &q.notes {
        say!("note: {note}");
    }
    say!("fixed-point model: {}", args.out.display());
    Ok(())
}

fn compare(a: &Path, b: &Path) -> Result<(), Error> {
    let (ra, rb) = (read_results(a)?, read_results(b)?);
    say!("A: {}\nB: {}", a.display(), b.display());
    say!(
        "{:<12} {:>10} {:>10} {:>9} {:>8} {:>9} {:>9} {:>11} {:>11} {:>11}",
        "population",
        "rate A",
        "rate B",
        "change",
        "count r",
        "equal n",
        "matched",
        "mean shift",
        "median |s|",
        "max |s|"
    );
    let diffs = spikesim::io::compare::compare(&ra, &rb);
    if diffs.is_empty() {
        return Err(Error::Usage(
            "the two files share no recorded population".into(),
        ));
    }
    for d in diffs {
        say!(
            "{:<12} {:>8.3}Hz {:>8.3}Hz {:>8.2}% {:>8} {:>9} {:>9} {:>9.3}ms {:>9.3}ms {:>9.3}ms",
            d.population,
            d.rate_a,
            d.rate_b,
            100.0 * d.relative_rate_change(),
            d.count_correlation
                .map_or("-".to_string(), |r| format!("{r:.3}")),
            format!("{}/{}", d.equal_counts, d.size),
            d.matched,
            d.mean_shift * 1e3,
            d.median_abs_shift * 1e3,
            d.max_abs_shift * 1e3
        );
    }
    Ok(())
}
