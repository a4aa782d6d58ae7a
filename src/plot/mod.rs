//! Plots of results files (PNG and SVG): rasters, state traces, weights,
//! rates, learning curves and continual-learning results, all in one
//! style (`style.rs`).
//!
//! The format follows the file extension. Plots are drawn beside their path
//! and moved there once finished, like run files, so a failed plot never
//! leaves a half-drawn image behind.

pub mod continual;
pub(crate) mod font;
pub mod learning;
pub mod options;
pub mod potential;
pub mod raster;
pub mod style;
pub mod weights;

pub use potential::{PotentialOptions, potential};
pub use raster::{RasterOptions, raster};
pub use weights::{RateOptions, WeightPlotOptions, rate, weight_course, weight_histogram};

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use thiserror::Error;

use crate::io::IoError;
use crate::io::hdf5::PartialFile;
use crate::io::results::Results;

// What this module's drawing code takes from the shared style (every plot
// kind imports the rest from `style` itself).
use style::{DrawResult, SIZE};

/// Why a plot could not be drawn.
#[derive(Debug, Error)]
pub enum PlotError {
    /// Writing the file, or a path whose extension names no supported format.
    #[error(transparent)]
    Io(#[from] IoError),

    /// A population asked for has no spikes recorded.
    #[error("no spikes recorded for population `{population}` (recorded: {available})")]
    NoSpikes {
        /// The population asked for.
        population: String,
        /// The populations with spikes recorded, listed.
        available: String,
    },

    /// A state variable asked for is not recorded.
    #[error("state variable `{variable}` is not recorded{} (recorded: {available})",
        population.as_ref().map(|p| format!(" for population `{p}`")).unwrap_or_default())]
    NoState {
        /// The population asked for, if one was.
        population: Option<String>,
        /// The state variable asked for.
        variable: String,
        /// The recorded `population.variable` pairs, listed.
        available: String,
    },

    /// A neuron asked for has no recorded trace.
    #[error(
        "neuron {neuron} of population `{population}` has no recorded `{variable}` (recorded neurons: {available})"
    )]
    NeuronNotRecorded {
        /// The population traced.
        population: String,
        /// The state variable traced.
        variable: String,
        /// The neuron asked for (index within the population).
        neuron: u32,
        /// The recorded neurons, listed.
        available: String,
    },

    /// No weights are recorded (for the projection asked for).
    #[error("no weights recorded{} (recorded: {available})",
        projection.as_ref().map(|p| format!(" for projection `{p}`")).unwrap_or_default())]
    NoWeights {
        /// The projection asked for, if one was.
        projection: Option<String>,
        /// The projections with weights recorded, listed.
        available: String,
    },

    /// A plot option out of range, e.g. `--bin`.
    #[error("{option}: {message}")]
    BadOption {
        /// The option, as written on the command line (`--bin`).
        option: &'static str,
        /// What is wrong with its value.
        message: String,
    },

    /// The shown time window is empty or not finite.
    #[error("empty time window: from {from} s to {to} s")]
    EmptyWindow {
        /// Start of the window, in s.
        from: f64,
        /// End of the window, in s.
        to: f64,
    },

    /// The embedded font did not parse (a broken build).
    #[error("the embedded plot font could not be loaded")]
    Font,

    /// The plotting library failed while drawing or writing.
    #[error("{}: drawing failed: {message}", path.display())]
    Draw {
        /// The plot's file.
        path: PathBuf,
        /// The library's message.
        message: String,
    },
}

/// Something that can draw itself on any plotters backend; the data are
/// prepared before, so drawing only draws.
trait Figure {
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static;
}

enum Format {
    Png,
    Svg,
}

fn format_of(path: &Path) -> Result<Format, IoError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "png" => Ok(Format::Png),
        "svg" => Ok(Format::Svg),
        _ => Err(IoError::UnsupportedPlotFormat {
            path: path.to_path_buf(),
            extension,
        }),
    }
}

fn render(path: &Path, figure: &impl Figure) -> Result<(), PlotError> {
    let format = format_of(path)?;
    font::ensure_registered()?;
    // The image encoder picks its format from the extension, so the partial
    // file keeps it: `raster.partial.png`.
    let partial = PartialFile::keeping_extension(path)?;
    match format {
        Format::Png => draw_on(
            font::CleanText::new(BitMapBackend::new(partial.path(), SIZE)),
            figure,
            path,
        )?,
        Format::Svg => draw_on(SVGBackend::new(partial.path(), SIZE), figure, path)?,
    }
    partial.commit()?;
    Ok(())
}

/// Draws and saves; the backend is dropped (and the file closed) on return.
fn draw_on<DB>(backend: DB, figure: &impl Figure, path: &Path) -> Result<(), PlotError>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let failed = |message: String| PlotError::Draw {
        path: path.to_path_buf(),
        message,
    };
    let root = backend.into_drawing_area();
    figure.draw(&root).map_err(|e| failed(e.to_string()))?;
    root.present().map_err(|e| failed(e.to_string()))
}

/// The shown part of the run, in seconds.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: f64,
    to: f64,
}

impl Window {
    /// Defaults to the whole run.
    fn new(results: &Results, from: Option<f64>, to: Option<f64>) -> Result<Self, PlotError> {
        let (dt, duration) = (results.info.dt, results.info.duration);
        options::check_window(from, to, dt, duration).map_err(|(option, message)| {
            PlotError::BadOption {
                option: if option == "from" { "--from" } else { "--to" },
                message,
            }
        })?;
        let from = from.unwrap_or(0.0);
        let to = to.unwrap_or(results.info.duration);
        if !(from.is_finite() && to.is_finite() && to > from) {
            return Err(PlotError::EmptyWindow { from, to });
        }
        Ok(Self { from, to })
    }

    fn contains(&self, t: f64) -> bool {
        (self.from..=self.to).contains(&t)
    }
}

/// "a, b, c", or "none" for an empty list, for error messages.
fn listing<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// Decoding plots and locating their marks, shared with the integration
/// tests.
#[cfg(test)]
#[allow(dead_code)] // shared with the integration tests, which use the rest
#[path = "../../tests/common/png.rs"]
pub(crate) mod png;

#[cfg(test)]
mod test_support {
    use crate::io::results::{Results, RunInfo, SpikeTrains, StateTrace};

    pub(super) const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

    /// 1 s of two populations, one of them silent, with `v` and `g` of three
    /// neurons of the first.
    pub(super) fn results() -> Results {
        let dt = 1e-4;
        let mut exc = SpikeTrains::new("exc", 80);
        for step in (0..10_000u64).step_by(7) {
            exc.steps.push(step);
            exc.senders.push(((step * 37) % 80) as u32);
        }
        let steps: Vec<u64> = (0..10_000).collect();
        let neurons = vec![3u32, 10, 42];
        let v = steps
            .iter()
            .flat_map(|&s| {
                neurons.iter().map(move |&n| {
                    let phase = ((s + 300 * n as u64) % 150) as f64 / 150.0;
                    -0.070 + 0.02 * phase
                })
            })
            .collect();
        let g = vec![1e-9; steps.len() * neurons.len()];
        let state = |variable: &str, unit: &str, values, threshold| StateTrace {
            population: "exc".into(),
            variable: variable.into(),
            unit: unit.into(),
            neurons: neurons.clone(),
            steps: steps.clone(),
            values,
            threshold,
            integer: false,
        };
        Results {
            info: RunInfo {
                dt,
                duration: 1.0,
                model_path: "models/test.toml".into(),
                ..Default::default()
            },
            spikes: vec![exc, SpikeTrains::new("inh", 20)],
            states: vec![state("v", "V", v, Some(-0.052)), state("g", "S", g, None)],
            weights: Vec::new(),
        }
    }
}
