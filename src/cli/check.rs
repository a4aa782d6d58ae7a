//! `spikesim check`: validate a model file (or an experiment file) without
//! simulating it, with its memory estimate.

use clap::Args;

use crate::Error;
use crate::cli::model::{ModelArgs, load, model_memory};
use crate::model::memory;

/// The options of `spikesim check`.
#[derive(Args)]
pub struct CheckArgs {
    /// The model file and its overrides.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Report the memory estimate without refusing a model that exceeds it.
    #[arg(long)]
    pub ignore_memory_limit: bool,
}

/// `n` and the noun, in the plural unless `n` is 1: "1 population", "2
/// populations".
pub fn counted(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// What `spikesim check` prints of a valid model (and `Model.check()` in
/// Python): its size and its memory estimate.
pub fn summary(spec: &crate::model::spec::ModelSpec, estimate: &memory::Estimate) -> String {
    let memory_line = format!(
        "  memory: estimated {}; {}",
        estimate.summary(3),
        memory::available()
    );
    let head = match &spec.fixed {
        Some(fixed) => format!(
            "{}: ok, fixed point ({}, {}, {}, {})",
            spec.path.display(),
            counted(fixed.populations.len() as u64, "population"),
            counted(
                fixed.populations.iter().map(|p| p.size as u64).sum::<u64>(),
                "neuron"
            ),
            counted(fixed.projections.len() as u64, "projection"),
            counted(spec.simulation.steps, "step")
        ),
        None => format!(
            "{}: ok ({}, {}, {}, {} of {} ms)",
            spec.path.display(),
            counted(spec.populations.len() as u64, "population"),
            counted(
                spec.populations.iter().map(|p| p.size as u64).sum::<u64>(),
                "neuron"
            ),
            counted(spec.projections.len() as u64, "projection"),
            counted(spec.simulation.steps, "step"),
            spec.simulation.dt * 1e3
        ),
    };
    format!("{head}\n{memory_line}")
}

/// `spikesim check`: the model (or experiment) checked, its summary and
/// memory estimate printed.
pub fn check(args: CheckArgs) -> Result<(), Error> {
    if let Some(summary) = check_experiment(&args.model)? {
        say!("{summary}");
        return Ok(());
    }
    let spec = load(&args.model)?;
    let buffer = crate::engine::segment::DEFAULT_BUFFER;
    let estimate = model_memory(&spec, args.ignore_memory_limit, 1, buffer)?;
    say!("{}", summary(&spec, &estimate));
    // What a current-synapse weight does to the membrane: the PSP peak of
    // one spike of the mean weight, and a warning when it is tiny.
    for psp in crate::cli::psp::current_synapse_psps(&spec) {
        say!("{}", psp.line());
        if let Some(w) = psp.warning().filter(|_| !crate::cli::quiet()) {
            eprintln!("warning: {w}");
        }
    }
    Ok(())
}

/// A training, continual or Tempotron experiment given to `check`: checked
/// with its own parser (`None` for a model, or a file that cannot be read,
/// which the model loader reports).
fn check_experiment(args: &ModelArgs) -> Result<Option<String>, Error> {
    use crate::learn::file_kind::{FileKind, check_experiment};
    let Ok(text) = std::fs::read_to_string(&args.model) else {
        return Ok(None);
    };
    let kind = FileKind::of_text(&text);
    if kind == FileKind::Model {
        return Ok(None);
    }
    if args.seed.is_some() || args.threads.is_some() {
        return Err(Error::Usage(format!(
            "{} is a {}: --seed and --threads apply to model files (use --set on the \
             experiment's fields, or the options of `{}`)",
            args.model.display(),
            kind.description(),
            kind.command()
        )));
    }
    // `--set` reaches an experiment's fields as `train --set` does.
    let text = crate::model::overrides::apply(&args.model, &text, &args.set)?;
    Ok(Some(check_experiment(&args.model, &text, kind)?))
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn counts_say_one_in_the_singular() {
        assert_eq!(counted(1u64, "population"), "1 population");
        assert_eq!(counted(0u64, "projection"), "0 projections");
        assert_eq!(counted(4000u64, "neuron"), "4000 neurons");
    }
}
