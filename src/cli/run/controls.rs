//! The run's controls from the command line (checkpoint period, recording
//! buffer) and its progress bar.

use indicatif::{ProgressBar, ProgressStyle};

use crate::Error;
use crate::model::units::{Dimension, parse_as};

use super::RunArgs;

/// The checkpoint period in grid steps and the recording buffer, from the
/// command line.
pub(super) fn run_controls(
    args: &RunArgs,
    spec: &crate::model::ModelSpec,
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
pub(super) fn buffer_arg(args: &RunArgs) -> Result<usize, Error> {
    match &args.buffer {
        None => Ok(crate::engine::segment::DEFAULT_BUFFER),
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

pub(super) fn progress_bar(steps: u64, dt: f64) -> ProgressBar {
    let bar = ProgressBar::new(steps);
    let style = ProgressStyle::with_template("{bar:40} {percent:>3}% {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(format!("dt = {} ms", dt * 1e3));
    bar
}
