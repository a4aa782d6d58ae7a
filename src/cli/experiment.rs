//! The options every experiment command (`train`, `continual`, `tempotron`)
//! shares: the experiment file, `--set` overrides of its fields (the syntax
//! of `run --set`) and `--check`, which validates the file and the dataset
//! files it names, prints a summary and runs nothing.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::Error;
use crate::learn::file_kind::FileKind;

/// The experiment file and the options that change how it is read.
#[derive(Args, Clone, Debug)]
pub struct ExperimentArgs {
    /// The experiment file (TOML).
    pub experiment: PathBuf,
    /// Override a field of the experiment file, e.g. `training.epochs=3` or
    /// `data.dt="2 ms"` (a dotted path into the TOML; the value is read as
    /// TOML, else as a bare string). May be given several times.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Validate the experiment file (and that its dataset files exist),
    /// print a summary and exit without training.
    #[arg(long)]
    pub check: bool,
}

impl ExperimentArgs {
    /// The experiment file's text with `extra` and then the `--set`
    /// overrides applied (so an explicit `--set` wins over a shorthand
    /// option such as `--epochs`).
    pub fn text(&self, extra: &[String]) -> Result<String, Error> {
        let text = crate::learn::train::experiment::read_experiment_file(&self.experiment)?;
        let all: Vec<String> = extra.iter().chain(&self.set).cloned().collect();
        Ok(crate::model::overrides::apply(
            &self.experiment,
            &text,
            &all,
        )?)
    }

    /// The file's text (overrides applied), refused when it is an
    /// experiment of another kind than `expected`: the message names the
    /// command that reads it.
    pub fn text_of_kind(&self, extra: &[String], expected: FileKind) -> Result<String, Error> {
        let text = self.text(extra)?;
        let kind = FileKind::of_text(&text);
        // A file that is no TOML table, or has none of the known tables,
        // is left to the experiment parser, whose error names the line.
        let model = kind == FileKind::Model
            && toml::from_str::<toml::Table>(&text)
                .is_ok_and(|t| t.contains_key("simulation") || t.contains_key("population"));
        let other_experiment = kind != FileKind::Model
            && kind != expected
            && !matches!(
                (expected, kind),
                (FileKind::Training, FileKind::Continual)
                    | (FileKind::Continual, FileKind::Training)
            );
        if model || other_experiment {
            return Err(Error::Usage(format!(
                "{} is a {}, not a {}: run `{} {}`",
                self.experiment.display(),
                kind.description(),
                expected.description(),
                kind.command(),
                self.experiment.display()
            )));
        }
        Ok(text)
    }
}

/// `--check` of an experiment command: the summary line of
/// [`check_experiment`](crate::learn::file_kind::check_experiment) for the
/// text as the command would read it, once every dataset file in `datasets`
/// is found to exist.
pub(crate) fn check_summary(
    args: &ExperimentArgs,
    text: &str,
    kind: FileKind,
    datasets: &[&Path],
) -> Result<String, Error> {
    for file in datasets {
        if !file.is_file() {
            return Err(Error::Usage(format!(
                "{}: the dataset file {} does not exist",
                args.experiment.display(),
                file.display()
            )));
        }
    }
    let mut summary = crate::learn::file_kind::check_experiment(&args.experiment, text, kind)?;
    if !args.set.is_empty() {
        summary.push_str(&format!(" (with --set {})", args.set.join(" --set ")));
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(path: &Path, set: &[&str]) -> ExperimentArgs {
        ExperimentArgs {
            experiment: path.to_path_buf(),
            set: set.iter().map(|s| s.to_string()).collect(),
            check: false,
        }
    }

    #[test]
    fn set_wins_over_the_shorthand_options_and_names_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, "[training]\nepochs = 40\n[patterns]\nseed = 1\n").unwrap();
        let text = args(&path, &["training.epochs=3"])
            .text(&["training.epochs=7".into()])
            .unwrap();
        let table: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(table["training"]["epochs"].as_integer(), Some(3));
        let e = args(&path, &["nosuch.key=1"]).text(&[]).unwrap_err();
        assert!(e.to_string().contains("nosuch.key"), "{e}");
    }
}
