//! The options that name a model file (shared by `run`, `check` and
//! `quantize`), loading it with its warnings, the thread-count options, and
//! the memory check that refuses a model the machine cannot hold.

use std::path::PathBuf;

use clap::Args;

use crate::Error;
use crate::cli::quiet;
use crate::model::memory;

/// The options that name a model file and override its fields.
#[derive(Args)]
pub struct ModelArgs {
    /// The model file (TOML).
    pub model: PathBuf,
    /// Override a model field, e.g. `simulation.duration="2 s"` or `population.exc.size=100`
    /// (`check` on an experiment file: a field of the experiment, e.g. `training.epochs=3`).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Override `simulation.seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override `simulation.threads` (0 = all cores, at most 1024).
    #[arg(long)]
    pub threads: Option<u64>,
}

impl ModelArgs {
    /// Every override as a `--set` string: the `--set` ones, then `--seed`
    /// and `--threads` as their fields.
    pub fn overrides(&self) -> Vec<String> {
        let mut all = self.set.clone();
        all.extend(self.seed.map(|s| format!("simulation.seed={s}")));
        all.extend(self.threads.map(|t| format!("simulation.threads={t}")));
        all
    }
}

/// Load a model and report its warnings on stderr, a clamped thread
/// count among them.
pub fn load(args: &ModelArgs) -> Result<crate::model::ModelSpec, Error> {
    if let Some(t) = args.threads {
        threads_option(t)?;
    }
    let spec = crate::model::load(&args.model, &args.overrides())?;
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
pub(crate) fn training_threads(in_file: usize, option: Option<usize>) -> Result<usize, Error> {
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
pub(crate) fn model_memory(
    spec: &crate::model::ModelSpec,
    ignore_limit: bool,
    ranks: usize,
    buffer: usize,
) -> Result<memory::Estimate, Error> {
    let workers = crate::engine::thread_count(spec.simulation.threads);
    // Recordings go to the results file as the run goes.
    let estimate = memory::streamed(
        memory::rank_estimate(spec, workers, ranks),
        buffer as f64,
        crate::io::hdf5::BUFFER_BYTES as f64,
    );
    let (what, available) = if ranks > 1 {
        let here = crate::engine::comm::ranks_on_this_machine();
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
