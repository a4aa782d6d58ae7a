//! `spikesim train`: train a network as an experiment file describes.

use clap::Args;

use crate::Error;
use crate::cli::experiment::{ExperimentArgs, check_summary};
use crate::cli::model::training_threads;
use crate::learn::file_kind::FileKind;

/// The options of `spikesim train`.
#[derive(Args)]
pub struct TrainArgs {
    /// The experiment file, `--set` overrides and `--check`.
    #[command(flatten)]
    pub file: ExperimentArgs,
    /// Continue from the output directory's checkpoint (an error when it
    /// has more epochs done than the experiment asks for).
    #[arg(long)]
    pub resume: bool,
    /// Override `training.epochs` (0: check the experiment and its data,
    /// train nothing and write no file).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Override `training.threads` (0 = all cores, at most 1024).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Train even when the memory estimate exceeds what the machine offers.
    #[arg(long)]
    pub ignore_memory_limit: bool,
}

/// `spikesim train`: a training session run (or resumed), and the files it
/// wrote named; with `--check`, the experiment validated and summarised.
pub fn train(args: TrainArgs) -> Result<(), Error> {
    let path = &args.file.experiment;
    let text = args.file.text_of_kind(&[], FileKind::Training)?;
    let mut exp = crate::learn::train::experiment::parse_experiment(path, &text)?;
    if exp.continual {
        return Err(Error::Usage(format!(
            "{} is a continual-learning experiment ([continual] / [hlop]): run `spikesim continual` on it",
            path.display()
        )));
    }
    exp.epochs = args.epochs.unwrap_or(exp.epochs);
    if args.file.check || exp.epochs == 0 {
        let datasets = [exp.train.as_path(), exp.test.as_path()];
        say!(
            "{}",
            check_summary(&args.file, &text, FileKind::Training, &datasets)?
        );
        if !args.file.check {
            say!("--epochs 0: nothing trained, no file written");
        }
        return Ok(());
    }
    exp.threads = training_threads(exp.threads, args.threads)?;
    exp.ignore_memory_limit = args.ignore_memory_limit;
    let opts = crate::learn::train::session::SessionOptions {
        resume: args.resume,
        show_progress: true,
    };
    let (_, _, files) =
        crate::learn::train::session::run_session(&exp, &opts, &mut |line| say!("{line}"))?;
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
