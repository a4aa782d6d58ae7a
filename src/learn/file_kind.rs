//! Which command takes a TOML file, told by its top-level tables: `check`
//! read every file as a model and answered "unknown field `data`" to a
//! training experiment.

use std::path::Path;

use crate::model::error::ModelError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// What a TOML file is, told by its top-level tables.
pub enum FileKind {
    /// A model (`[simulation]`, `[[population]]`, ...): `spikesim run`.
    Model,
    /// `[data]`, `[[layer]]`, `[readout]`, `[training]`: `spikesim train`.
    Training,
    /// A training experiment with `[continual]` or `[hlop]`: `spikesim continual`.
    Continual,
    /// `[patterns]` and `[neuron]`: `spikesim tempotron`.
    Tempotron,
}

impl FileKind {
    /// Tells the kind from the top-level keys; a file that parses as no
    /// TOML table, or has none of the experiments' tables, is a model (and
    /// the model parser reports what is wrong with it).
    pub fn of_text(text: &str) -> Self {
        let Ok(table) = toml::from_str::<toml::Table>(text) else {
            return FileKind::Model;
        };
        let has = |key: &str| table.contains_key(key);
        if has("simulation") || has("population") {
            FileKind::Model
        } else if has("patterns") || has("neuron") {
            FileKind::Tempotron
        } else if has("continual") || has("hlop") {
            FileKind::Continual
        } else if has("data") || has("layer") || has("readout") || has("training") {
            FileKind::Training
        } else {
            FileKind::Model
        }
    }

    /// The command that takes such a file.
    pub fn command(self) -> &'static str {
        match self {
            FileKind::Model => "spikesim run",
            FileKind::Training => "spikesim train",
            FileKind::Continual => "spikesim continual",
            FileKind::Tempotron => "spikesim tempotron",
        }
    }

    /// What such a file is, in words.
    pub fn description(self) -> &'static str {
        match self {
            FileKind::Model => "model",
            FileKind::Training => "training experiment",
            FileKind::Continual => "continual-learning experiment",
            FileKind::Tempotron => "Tempotron experiment",
        }
    }
}

/// Checks an experiment file with the parser of its kind, as its command
/// would load it. `Ok` carries a one-line summary.
pub fn check_experiment(path: &Path, text: &str, kind: FileKind) -> Result<String, ModelError> {
    let summary = match kind {
        FileKind::Model => unreachable!("models are checked by the model parser"),
        FileKind::Training => {
            let e = super::train::experiment::parse_experiment(path, text)?;
            if e.continual {
                return check_experiment(path, text, FileKind::Continual);
            }
            format!(
                "{} hidden layer(s) and a read-out, {} epochs, train {}, test {}",
                e.layers.len().saturating_sub(1),
                e.epochs,
                e.train.display(),
                e.test.display()
            )
        }
        FileKind::Continual => {
            let e = super::continual::experiment::parse_continual(path, text)?;
            format!(
                "{} epochs per task, {} seed(s)",
                e.base.epochs,
                e.spec.seeds.len()
            )
        }
        FileKind::Tempotron => {
            let e = super::tempotron::experiment::parse(path, text)?;
            format!(
                "{} training and {} test patterns, {} epochs",
                e.train, e.test, e.epochs
            )
        }
    };
    Ok(format!(
        "{}: ok, {} ({summary}): run it with `{} {}`",
        path.display(),
        kind.description(),
        kind.command(),
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_top_level_tables() {
        let cases = [
            ("[simulation]\ndt = \"1 ms\"\n", FileKind::Model),
            (
                "[data]\ntrain = \"a.h5\"\n[training]\nepochs = 1\n",
                FileKind::Training,
            ),
            (
                "[data]\ntrain = \"a.h5\"\n[continual]\nseeds = [1]\n",
                FileKind::Continual,
            ),
            (
                "[patterns]\ntrain = 10\n[neuron]\nmodel = \"lif\"\n",
                FileKind::Tempotron,
            ),
            ("not toml at all [", FileKind::Model),
            ("[unknown]\n", FileKind::Model),
        ];
        for (text, kind) in cases {
            assert_eq!(FileKind::of_text(text), kind, "{text}");
        }
    }
}
