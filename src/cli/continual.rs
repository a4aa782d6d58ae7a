//! `spikesim continual`: train a network on a task sequence with several
//! continual-learning methods and compare them.

use clap::Args;

use crate::Error;
use crate::cli::experiment::{ExperimentArgs, check_summary};
use crate::cli::model::training_threads;
use crate::learn::file_kind::FileKind;

/// The options of `spikesim continual`.
#[derive(Args)]
pub struct ContinualArgs {
    /// The experiment file, `--set` overrides and `--check`.
    #[command(flatten)]
    pub file: ExperimentArgs,
    /// Continue every run from its checkpoint (after its last completed task).
    #[arg(long)]
    pub resume: bool,
    /// Override `training.threads` (0 = all cores, at most 1024).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Train even when the memory estimate exceeds what the machine offers.
    #[arg(long)]
    pub ignore_memory_limit: bool,
    /// Override `continual.seeds`, e.g. `--seeds 1,2`.
    #[arg(long, value_delimiter = ',')]
    pub seeds: Option<Vec<u64>>,
    /// Stop after training this many tasks in all (resume later).
    #[arg(long)]
    pub stop_after_tasks: Option<usize>,
}

/// `spikesim continual`: every method and seed of the experiment run, and
/// the files written named; with `--check`, the experiment validated and
/// summarised.
pub fn continual(args: ContinualArgs) -> Result<(), Error> {
    use crate::learn::continual::{experiment::parse_continual, session};
    let text = args.file.text_of_kind(&[], FileKind::Continual)?;
    let mut exp = parse_continual(&args.file.experiment, &text)?;
    if args.file.check {
        let datasets = [exp.base.train.as_path(), exp.base.test.as_path()];
        say!(
            "{}",
            check_summary(&args.file, &text, FileKind::Continual, &datasets)?
        );
        return Ok(());
    }
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
