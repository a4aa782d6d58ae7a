//! `spikesim tempotron`: train and test a Tempotron experiment.

use clap::Args;
use indicatif::ProgressBar;

use crate::Error;
use crate::cli::experiment::{ExperimentArgs, check_summary};
use crate::learn::file_kind::FileKind;

/// The options of `spikesim tempotron`.
#[derive(Args)]
pub struct TempotronArgs {
    /// The experiment file, `--set` overrides and `--check`.
    #[command(flatten)]
    pub file: ExperimentArgs,
    /// Override `training.epochs`.
    #[arg(long)]
    pub epochs: Option<u64>,
    /// Override `patterns.seed` (the patterns, their jitter and the initial
    /// weights).
    #[arg(long)]
    pub seed: Option<u64>,
}

impl TempotronArgs {
    /// `--epochs` and `--seed` as overrides of the file's fields, so that
    /// they are validated (and their errors worded) as the file's are.
    fn shorthands(&self) -> Vec<String> {
        let mut all = Vec::new();
        all.extend(self.epochs.map(|n| format!("training.epochs={n}")));
        all.extend(self.seed.map(|s| format!("patterns.seed={s}")));
        all
    }
}

/// `spikesim tempotron`: the experiment trained and tested, its accuracy
/// said and its outputs written; with `--check`, validated and summarised.
pub fn tempotron(args: TempotronArgs) -> Result<(), Error> {
    use crate::learn::tempotron::experiment;
    let text = args
        .file
        .text_of_kind(&args.shorthands(), FileKind::Tempotron)?;
    let e = experiment::parse(&args.file.experiment, &text)?;
    if args.file.check {
        say!(
            "{}",
            check_summary(&args.file, &text, FileKind::Tempotron, &[])?
        );
        return Ok(());
    }
    let bar = ProgressBar::new(e.epochs as u64);
    let o = experiment::run(&e, &mut |epoch| bar.set_position(epoch as u64));
    bar.finish_and_clear();
    let last = |v: &[f64]| v.last().copied().unwrap_or(0.0);
    say!(
        "after {} epochs: training {:.1} %, held-out {:.1} % (spike / no spike); LZC read-out held-out {:.1} %",
        e.epochs,
        100.0 * last(&o.train_accuracy),
        100.0 * last(&o.test_accuracy),
        100.0 * o.lzc_accuracy
    );
    say!(
        "LZC class means: {}; v_th {:.4}, tau_m {:.3} ms",
        listed(&o.lzc.means),
        o.tempotron.v_th,
        o.tempotron.tau_m * 1e3
    );
    for written in experiment::write_outputs(&e, &o)? {
        say!("wrote {}", written.display());
    }
    Ok(())
}

/// Numbers as a reader wants them: three decimals, comma-separated (not
/// Rust's `Debug` of a vector).
fn listed(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| format!("{v:.3}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn class_means_are_listed_with_three_decimals() {
        assert_eq!(super::listed(&[0.41234, 1.0]), "0.412, 1.000");
        assert_eq!(super::listed(&[]), "");
    }
}
