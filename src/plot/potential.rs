//! Traces of a recorded state variable, normally the membrane potential.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    DrawResult, Figure, LEGEND_WIDTH, LegendEntry, Mark, PlotError, SIZE, Window, Y_LABEL_AREA,
    colour, draw_legend, listing, render, text, tick,
};
use crate::io::results::{Results, StateTrace};

/// How many neurons are shown when none are asked for: more traces than
/// this are hard to tell apart.
const DEFAULT_NEURONS: usize = 5;

#[derive(Debug, Clone)]
pub struct PotentialOptions {
    /// The population; the first with `variable` recorded when `None`.
    pub population: Option<String>,
    pub variable: String,
    /// Neurons to show (indices within the population); the first
    /// recorded ones when `None`.
    pub neurons: Option<Vec<u32>>,
    /// Start of the shown time in seconds; 0 when `None`.
    pub from: Option<f64>,
    /// End of the shown time in seconds; the end of the run when `None`.
    pub to: Option<f64>,
    pub title: Option<String>,
}

impl Default for PotentialOptions {
    fn default() -> Self {
        Self {
            population: None,
            variable: "v".into(),
            neurons: None,
            from: None,
            to: None,
            title: None,
        }
    }
}

/// Draws the recorded traces of one variable to `path` (`.png` or `.svg`).
pub fn potential(results: &Results, path: &Path, opts: &PotentialOptions) -> Result<(), PlotError> {
    let trace = select_trace(results, opts)?;
    let columns = select_columns(trace, opts.neurons.as_deref())?;
    let window = Window::new(results, opts.from, opts.to)?;
    let title = opts
        .title
        .clone()
        .unwrap_or_else(|| format!("{} of {}", trace.variable, trace.population));
    let figure = PotentialFigure::new(trace, &columns, results.info.dt, window, title);
    render(path, &figure)
}

fn select_trace<'a>(
    results: &'a Results,
    opts: &PotentialOptions,
) -> Result<&'a StateTrace, PlotError> {
    let variable = opts.variable.as_str();
    let found = match &opts.population {
        Some(population) => results.state_of(population, variable),
        None => results.states.iter().find(|s| s.variable == variable),
    };
    found.ok_or_else(|| PlotError::NoState {
        population: opts.population.clone(),
        variable: variable.to_string(),
        available: listing(
            results
                .states
                .iter()
                .map(|s| format!("{}.{}", s.population, s.variable)),
        ),
    })
}

/// Columns of `trace` holding the requested neurons, in the order asked.
fn select_columns(trace: &StateTrace, neurons: Option<&[u32]>) -> Result<Vec<usize>, PlotError> {
    let Some(neurons) = neurons else {
        return Ok((0..trace.neurons.len().min(DEFAULT_NEURONS)).collect());
    };
    neurons
        .iter()
        .map(|&neuron| {
            trace
                .neurons
                .iter()
                .position(|&n| n == neuron)
                .ok_or_else(|| PlotError::NeuronNotRecorded {
                    population: trace.population.clone(),
                    variable: trace.variable.clone(),
                    neuron,
                    available: listing(&trace.neurons),
                })
        })
        .collect()
}

/// Values are shown in mV when in volts; other units as they are.
struct Scale {
    factor: f64,
    label: String,
}

impl Scale {
    fn for_trace(trace: &StateTrace) -> Self {
        let (factor, unit) = match trace.unit.as_str() {
            "V" => (1e3, "mV"),
            unit => (1.0, unit),
        };
        let label = if unit.is_empty() {
            trace.variable.clone()
        } else {
            format!("{} ({unit})", trace.variable)
        };
        Self { factor, label }
    }
}

struct Series {
    neuron: u32,
    /// (time in ms, scaled value)
    points: Vec<(f64, f64)>,
}

struct PotentialFigure {
    title: String,
    window: Window,
    y_label: String,
    series: Vec<Series>,
    threshold: Option<f64>,
    y_range: std::ops::Range<f64>,
}

impl PotentialFigure {
    fn new(trace: &StateTrace, columns: &[usize], dt: f64, window: Window, title: String) -> Self {
        let scale = Scale::for_trace(trace);
        let rows = shown_rows(trace, dt, window);
        let series: Vec<Series> = columns
            .iter()
            .map(|&column| Series {
                neuron: trace.neurons[column],
                points: envelope(&points(trace, column, &rows, scale.factor), window),
            })
            .collect();
        let threshold = trace.threshold.map(|t| t * scale.factor);
        let y_range = y_range(&series, threshold);
        Self {
            title,
            window,
            y_label: scale.label,
            series,
            threshold,
            y_range,
        }
    }

    fn legend(&self) -> Vec<LegendEntry> {
        let neurons = self.series.iter().enumerate().map(|(i, s)| LegendEntry {
            label: format!("neuron {}", s.neuron),
            colour: colour(i),
            mark: Mark::Line,
        });
        let threshold = self.threshold.map(|_| LegendEntry {
            label: "threshold".into(),
            colour: BLACK,
            mark: Mark::Dashed,
        });
        neurons.chain(threshold).collect()
    }

    fn draw_chart<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let mut chart = ChartBuilder::on(area)
            .margin_top(10)
            .margin_right(20)
            .margin_bottom(5)
            .x_label_area_size(50)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(self.window.ms(), self.y_range.clone())?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(235, 235, 235))
            .x_desc("time (ms)")
            .y_desc(self.y_label.as_str())
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .label_style(text(15))
            .axis_desc_style(text(18))
            .draw()?;
        for (i, series) in self.series.iter().enumerate() {
            // One pixel wide: plotters turns wider lines into one polygon
            // whose joins shoot across the image where a trace reverses
            // sharply, as a membrane potential does at every reset.
            chart.draw_series(LineSeries::new(
                series.points.iter().copied(),
                colour(i).stroke_width(1),
            ))?;
        }
        if let Some(threshold) = self.threshold {
            let ends = [self.window.from * 1e3, self.window.to * 1e3].map(|x| (x, threshold));
            chart.draw_series(DashedLineSeries::new(ends, 10, 6, BLACK.stroke_width(1)))?;
        }
        Ok(())
    }
}

impl Figure for PotentialFigure {
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let root = root.titled(&self.title, text(26))?;
        let (chart, legend) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
        self.draw_chart(&chart)?;
        draw_legend(&legend, 40, &self.legend())
    }
}

/// Rows of `trace` inside the window, with their times in ms.
fn shown_rows(trace: &StateTrace, dt: f64, window: Window) -> Vec<(usize, f64)> {
    trace
        .steps
        .iter()
        .enumerate()
        .map(|(row, &step)| (row, step as f64 * dt))
        .filter(|&(_, t)| window.contains(t))
        .map(|(row, t)| (row, t * 1e3))
        .collect()
}

fn points(
    trace: &StateTrace,
    column: usize,
    rows: &[(usize, f64)],
    factor: f64,
) -> Vec<(f64, f64)> {
    let width = trace.neurons.len();
    rows.iter()
        .filter_map(|&(row, ms)| {
            // A short `values` is malformed input; skip rather than panic.
            let value = trace.values.get(row * width + column)?;
            Some((ms, value * factor))
        })
        .collect()
}

/// More columns than the chart has pixels, so the envelope looks like the
/// full trace.
const ENVELOPE_COLUMNS: usize = 2000;

/// Keeps the lowest and highest point of each pixel-sized column, in time
/// order: the line drawn is the same, peaks included, and long recordings
/// draw in a fraction of the time.
fn envelope(points: &[(f64, f64)], window: Window) -> Vec<(f64, f64)> {
    if points.len() <= 2 * ENVELOPE_COLUMNS {
        return points.to_vec();
    }
    let (start, span) = (window.from * 1e3, (window.to - window.from) * 1e3);
    let column = |ms: f64| ((ms - start) / span * ENVELOPE_COLUMNS as f64) as usize;
    let mut kept = Vec::with_capacity(2 * ENVELOPE_COLUMNS + 2);
    for chunk in points.chunk_by(|a, b| column(a.0) == column(b.0)) {
        let by_value = |a: &&(f64, f64), b: &&(f64, f64)| a.1.total_cmp(&b.1);
        let low = chunk.iter().min_by(by_value);
        let high = chunk.iter().max_by(by_value);
        if let (Some(&low), Some(&high)) = (low, high) {
            let (first, second) = if low.0 <= high.0 {
                (low, high)
            } else {
                (high, low)
            };
            kept.push(first);
            if second != first {
                kept.push(second);
            }
        }
    }
    kept
}

/// Spans the shown values and the threshold, with room above for the line
/// not to sit on the frame.
fn y_range(series: &[Series], threshold: Option<f64>) -> std::ops::Range<f64> {
    let values = series
        .iter()
        .flat_map(|s| s.points.iter().map(|&(_, v)| v))
        .chain(threshold)
        .filter(|v| v.is_finite());
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if low > high {
        return 0.0..1.0;
    }
    let span = high - low;
    let pad = if span > 0.0 {
        span * 0.08
    } else {
        low.abs().max(1.0) * 0.1
    };
    low - pad..high + pad
}

#[cfg(test)]
mod tests {
    use super::super::png::{Axis, Picture};
    use super::super::test_support::{PNG_MAGIC, results};
    use super::*;

    #[test]
    fn writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let results = results();
        let png = dir.path().join("v.png");
        potential(&results, &png, &PotentialOptions::default()).unwrap();
        assert!(std::fs::read(&png).unwrap().starts_with(PNG_MAGIC));
        let svg = dir.path().join("v.svg");
        let opts = PotentialOptions {
            variable: "g".into(),
            neurons: Some(vec![42]),
            from: Some(0.1),
            to: Some(0.2),
            ..Default::default()
        };
        potential(&results, &svg, &opts).unwrap();
        let svg = std::fs::read_to_string(&svg).unwrap();
        assert!(svg.contains("<svg") && svg.contains("g (S)"));
    }

    /// One neuron at -70 mV for 0.3 s, -50 mV until 0.6 s, then -60 mV,
    /// with its threshold at -52 mV. The trace, found by colour, runs at
    /// the pixel rows of those values at those times, and the threshold's
    /// dashes lie on the row of -52 mV (values to rows calibrated from the
    /// first two levels, times from the trace's ends).
    #[test]
    fn the_trace_and_threshold_lie_on_the_rows_of_their_values() {
        let steps: Vec<u64> = (0..10_000).collect();
        let level = |s: u64| match s {
            0..3000 => -0.070,
            3000..6000 => -0.050,
            _ => -0.060,
        };
        let v = StateTrace {
            population: "exc".into(),
            variable: "v".into(),
            unit: "V".into(),
            neurons: vec![0],
            values: steps.iter().map(|&s| level(s)).collect(),
            steps,
            threshold: Some(-0.052),
            integer: false,
        };
        let results = Results {
            states: vec![v],
            ..results()
        };
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("v.png");
        potential(&results, &png, &PotentialOptions::default()).unwrap();

        let picture = Picture::open(&png);
        let RGBColor(r, g, b) = colour(0);
        // Longer than the legend's line mark.
        let trace = picture.line([r, g, b], 60);
        let ms = Axis::through((0.0, f64::from(trace.x0)), (999.9, f64::from(trace.x1)));
        let row_at = |t: f64| {
            let (lo, hi) = trace.rows_at(ms.pixel(t).round() as u32).unwrap();
            assert!(hi - lo <= 1, "flat at {t} ms: rows {lo}..{hi}");
            f64::from(lo)
        };
        let mv = Axis::through((-70.0, row_at(150.0)), (-50.0, row_at(450.0)));
        assert!(mv.pixel(-50.0) < mv.pixel(-70.0), "higher values higher up");
        for t in [10.0, 290.0, 790.0, 990.0] {
            let expected = mv.pixel(level((t * 10.0) as u64) * 1e3);
            assert!((row_at(t) - expected).abs() <= 1.0, "{t} ms");
        }
        // The dashed threshold: black on most of the chart's width in its row.
        let row = mv.pixel(-52.0).round() as u32;
        let black = |y: u32| {
            (trace.x0..=trace.x1)
                .filter(|&x| picture.is(x, y, [0, 0, 0]))
                .count()
        };
        let most = (row - 1..=row + 1).map(black).max().unwrap();
        assert!(
            most * 2 > (trace.x1 - trace.x0) as usize,
            "{most} black pixels near row {row}"
        );
    }

    #[test]
    fn unknown_extension_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.pdf");
        let err = potential(&results(), &path, &PotentialOptions::default()).unwrap_err();
        assert!(err.to_string().contains("unsupported plot format"), "{err}");
    }

    #[test]
    fn missing_variable_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let opts = PotentialOptions {
            variable: "w".into(),
            ..Default::default()
        };
        let err = potential(&results(), &dir.path().join("w.png"), &opts).unwrap_err();
        assert!(matches!(err, PlotError::NoState { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("`w`") && message.contains("exc.v, exc.g"),
            "{message}"
        );
    }

    #[test]
    fn missing_population_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let opts = PotentialOptions {
            population: Some("inh".into()),
            ..Default::default()
        };
        let err = potential(&results(), &dir.path().join("v.png"), &opts).unwrap_err();
        assert!(err.to_string().contains("population `inh`"), "{err}");
    }

    #[test]
    fn unrecorded_neuron_lists_the_recorded_ones() {
        let dir = tempfile::tempdir().unwrap();
        let opts = PotentialOptions {
            neurons: Some(vec![3, 7]),
            ..Default::default()
        };
        let err = potential(&results(), &dir.path().join("v.png"), &opts).unwrap_err();
        assert!(
            matches!(err, PlotError::NeuronNotRecorded { neuron: 7, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("3, 10, 42"), "{err}");
    }

    #[test]
    fn empty_trace_does_not_panic() {
        let dir = tempfile::tempdir().unwrap();
        let mut results = results();
        for state in &mut results.states {
            state.steps.clear();
            state.values.clear();
        }
        potential(
            &results,
            &dir.path().join("empty.png"),
            &PotentialOptions::default(),
        )
        .unwrap();
        results.states[0].neurons.clear();
        potential(
            &results,
            &dir.path().join("none.svg"),
            &PotentialOptions::default(),
        )
        .unwrap();
    }

    #[test]
    fn envelope_keeps_extremes_in_order() {
        let window = Window { from: 0.0, to: 1.0 };
        let points: Vec<(f64, f64)> = (0..100_000)
            .map(|i| {
                (
                    i as f64 * 0.01,
                    if i == 50_001 { 9.0 } else { (i % 7) as f64 },
                )
            })
            .collect();
        let kept = envelope(&points, window);
        assert!(kept.len() <= 2 * ENVELOPE_COLUMNS);
        assert!(kept.windows(2).all(|w| w[0].0 <= w[1].0));
        assert!(kept.contains(&(500.01, 9.0)));
        assert_eq!(kept.iter().map(|p| p.1).fold(f64::INFINITY, f64::min), 0.0);
    }

    #[test]
    fn volts_are_shown_in_millivolts() {
        let trace = &results().states[0];
        let scale = Scale::for_trace(trace);
        assert_eq!((scale.factor, scale.label.as_str()), (1e3, "v (mV)"));
    }
}
