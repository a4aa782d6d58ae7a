//! `spikesim check`: validate a model file (or an experiment file) without
//! simulating it, with its memory estimate.

use clap::Args;

use crate::Error;
use crate::cli::model::{ModelArgs, load, model_memory};
use crate::model::memory;

#[derive(Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Report the memory estimate without refusing a model that exceeds it.
    #[arg(long)]
    pub ignore_memory_limit: bool,
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
    use crate::learn::file_kind::{FileKind, check_experiment};
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
