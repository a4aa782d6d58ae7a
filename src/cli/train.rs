//! `spikesim train`: train a network as an experiment file describes.

use std::path::PathBuf;

use clap::Args;

use crate::Error;
use crate::cli::model::training_threads;

#[derive(Args)]
pub struct TrainArgs {
    pub experiment: PathBuf,
    /// Continue from the output directory's checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Override `training.epochs`.
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
/// wrote named.
pub fn train(args: TrainArgs) -> Result<(), Error> {
    let mut exp = crate::learn::train::experiment::load_experiment(&args.experiment)?;
    if exp.continual {
        return Err(Error::Usage(format!(
            "{} is a continual-learning experiment ([continual] / [hlop]): run `spikesim continual` on it",
            args.experiment.display()
        )));
    }
    exp.epochs = args.epochs.unwrap_or(exp.epochs);
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
