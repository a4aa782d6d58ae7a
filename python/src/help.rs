//! The command line's option help, rendered from the same clap definitions
//! `spikesim --help` uses, for the Python docstrings.

use clap::{Args, Command};
use pyo3::prelude::*;

/// The `--help` text of the options of `spikesim COMMAND` (run, check,
/// train, continual, quantize; `nir import` with the feature `nir`).
#[pyfunction]
pub fn cli_help(command: &str) -> PyResult<String> {
    let base = Command::new("spikesim")
        .bin_name(format!("spikesim {command}"))
        .disable_help_flag(true)
        .term_width(88);
    let mut cmd = match command {
        "run" => spikesim::cli::run::RunArgs::augment_args(base),
        "check" => spikesim::cli::check::CheckArgs::augment_args(base),
        "train" => spikesim::cli::train::TrainArgs::augment_args(base),
        "continual" => spikesim::cli::continual::ContinualArgs::augment_args(base),
        "quantize" => spikesim::cli::quantize::QuantizeArgs::augment_args(base),
        "nir import" => spikesim::cli::nir::ImportArgs::augment_args(base),
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "no command `{other}`"
            )));
        }
    };
    Ok(cmd.render_long_help().to_string())
}
