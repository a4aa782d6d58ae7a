//! Raster and membrane-potential plots (PNG and SVG).
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
pub mod weights;

pub use potential::{PotentialOptions, potential};
pub use raster::{RasterOptions, raster};
pub use weights::{RateOptions, WeightPlotOptions, rate, weight_course, weight_histogram};

use std::error::Error as StdError;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use thiserror::Error;

use crate::io::IoError;
use crate::io::hdf5::PartialFile;
use crate::io::results::Results;

#[derive(Debug, Error)]
pub enum PlotError {
    /// Writing the file, or a path whose extension names no supported format.
    #[error(transparent)]
    Io(#[from] IoError),

    #[error("no spikes recorded for population `{population}` (recorded: {available})")]
    NoSpikes {
        population: String,
        available: String,
    },

    #[error("state variable `{variable}` is not recorded{} (recorded: {available})",
        population.as_ref().map(|p| format!(" for population `{p}`")).unwrap_or_default())]
    NoState {
        population: Option<String>,
        variable: String,
        available: String,
    },

    #[error(
        "neuron {neuron} of population `{population}` has no recorded `{variable}` (recorded neurons: {available})"
    )]
    NeuronNotRecorded {
        population: String,
        variable: String,
        neuron: u32,
        available: String,
    },

    #[error("no weights recorded{} (recorded: {available})",
        projection.as_ref().map(|p| format!(" for projection `{p}`")).unwrap_or_default())]
    NoWeights {
        projection: Option<String>,
        available: String,
    },

    /// A plot option out of range, e.g. `--bin`.
    #[error("{option}: {message}")]
    BadOption {
        option: &'static str,
        message: String,
    },

    #[error("empty time window: from {from} s to {to} s")]
    EmptyWindow { from: f64, to: f64 },

    #[error("the embedded plot font could not be loaded")]
    Font,

    #[error("{}: drawing failed: {message}", path.display())]
    Draw { path: PathBuf, message: String },
}

/// Size of every plot in pixels.
const SIZE: (u32, u32) = (1200, 800);
/// Width of the column right of the charts that holds the legend, so the
/// legend never covers data.
const LEGEND_WIDTH: u32 = 170;
/// Left edge of the x axis, shared by stacked charts so their axes line up.
const Y_LABEL_AREA: u32 = 75;

type DrawResult = Result<(), Box<dyn StdError + Send + Sync>>;

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
        Format::Png => draw_on(BitMapBackend::new(partial.path(), SIZE), figure, path)?,
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

    fn ms(&self) -> std::ops::Range<f64> {
        self.from * 1e3..self.to * 1e3
    }
}

/// Distinct colours (matplotlib's "tab10"), readable on white.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

fn text(size: u32) -> TextStyle<'static> {
    TextStyle::from((font::FAMILY, size).into_font())
}

/// Axis numbers without the trailing zeros plotters would print ("100"
/// rather than "100.0"), in exponent form for raw SI values like 1e-9 S.
fn tick(value: &f64) -> String {
    let v = *value;
    let magnitude = v.abs();
    if v != 0.0 && !(1e-2..1e6).contains(&magnitude) {
        let text = format!("{v:.2e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        return format!("{}e{exponent}", trim_zeros(mantissa));
    }
    let text = trim_zeros(&format!("{v:.3}"));
    if text == "-0" { "0".into() } else { text }
}

fn trim_zeros(number: &str) -> String {
    if !number.contains('.') {
        return number.to_string();
    }
    number
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string()
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

/// How a legend entry shows its series.
#[derive(Debug, Clone, Copy)]
enum Mark {
    Square,
    Line,
    Dashed,
}

struct LegendEntry {
    label: String,
    colour: RGBColor,
    mark: Mark,
}

/// Longest label the legend column fits.
const LEGEND_CHARS: usize = 16;

fn draw_legend<DB>(area: &DrawingArea<DB, Shift>, top: i32, entries: &[LegendEntry]) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let style = text(16).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, entry) in entries.iter().enumerate() {
        let y = top + 26 * i as i32;
        draw_mark(area, entry, y)?;
        area.draw(&Text::new(shortened(&entry.label), (36, y), style.clone()))?;
    }
    Ok(())
}

fn draw_mark<DB>(area: &DrawingArea<DB, Shift>, entry: &LegendEntry, y: i32) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let line = entry.colour.stroke_width(2);
    match entry.mark {
        Mark::Square => area.draw(&Rectangle::new(
            [(12, y - 6), (24, y + 6)],
            entry.colour.filled(),
        ))?,
        Mark::Line => area.draw(&PathElement::new(vec![(6, y), (30, y)], line))?,
        Mark::Dashed => {
            for x in [6, 19] {
                area.draw(&PathElement::new(vec![(x, y), (x + 8, y)], line))?;
            }
        }
    }
    Ok(())
}

fn shortened(label: &str) -> String {
    if label.chars().count() <= LEGEND_CHARS {
        return label.to_string();
    }
    let head: String = label.chars().take(LEGEND_CHARS - 1).collect();
    format!("{head}…")
}

#[cfg(test)]
mod tests {
    use super::tick;

    #[test]
    fn ticks_are_short() {
        let cases = [
            (100.0, "100"),
            (-52.5, "-52.5"),
            (0.0, "0"),
            (-0.0001, "-1e-4"),
            (1.5e-9, "1.5e-9"),
            (0.25, "0.25"),
            (2.5e7, "2.5e7"),
        ];
        for (value, text) in cases {
            assert_eq!(tick(&value), text);
        }
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
