//! Traces of a recorded state variable, normally the membrane potential,
//! in a readable unit (mV, pA, nS, µM ...), with the threshold when it is
//! within reach of the traces.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{
    AXIS_LABEL_SIZE, DrawResult, EDGE_GAP, GRID, LEGEND_ROWS, LEGEND_WIDTH, LINE_WIDTH,
    LegendEntry, MARGIN, REFERENCE, SIZE, TICK_SIZE, TITLE_SIZE, TimeAxis, X_LABEL_AREA,
    Y_LABEL_AREA, axis_label, capped, colour, draw_legend, readable, text, tick,
};
use super::{Figure, PlotError, Window, listing, render};
use crate::io::results::{Results, StateTrace};

/// How many neurons are shown when none are asked for: more traces than
/// this are hard to tell apart.
const DEFAULT_NEURONS: usize = 5;

/// What a potential (state trace) plot shows.
#[derive(Debug, Clone)]
pub struct PotentialOptions {
    /// The population; the first with `variable` recorded when `None`.
    pub population: Option<String>,
    /// The state variable traced (`v`, `ca`, `i_sic` ...).
    pub variable: String,
    /// Neurons to show (indices within the population); the first
    /// recorded ones (at most 5, said in the legend) when `None`.
    pub neurons: Option<Vec<u32>>,
    /// Start of the shown time in seconds; 0 when `None`.
    pub from: Option<f64>,
    /// End of the shown time in seconds; the end of the run when `None`.
    pub to: Option<f64>,
    /// The title; `"<variable> of <population>"` when `None`.
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
    let chosen = opts.neurons.is_some();
    let figure = PotentialFigure::new(trace, &columns, chosen, results.info.dt, window, title);
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

/// How the values are shown: `value * factor` in the unit of `label`,
/// chosen by [`readable`] from the values drawn (V as mV, A as pA or nA,
/// mol/m^3 as µM or nM ...).
struct Scale {
    factor: f64,
    label: String,
}

impl Scale {
    fn for_trace(trace: &StateTrace, columns: &[usize], rows: &[(usize, f64)]) -> Self {
        let width = trace.neurons.len();
        let shown: Vec<f64> = rows
            .iter()
            .flat_map(|&(row, _)| {
                columns
                    .iter()
                    .filter_map(move |&c| trace.values.get(row * width + c).copied())
            })
            .collect();
        let (factor, unit) = if trace.integer {
            (1.0, trace.unit.clone())
        } else {
            readable(&shown, &trace.unit)
        };
        Self {
            factor,
            label: axis_label(&trace.variable, &unit),
        }
    }
}

struct Series {
    neuron: u32,
    /// (time in the axis' unit, scaled value)
    points: Vec<(f64, f64)>,
}

/// The threshold as drawn: at its value, or said in the legend when it lies
/// so far from the traces that drawing it would flatten them (a read-out
/// with v_th = 1e6 mV never fires).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Threshold {
    Drawn(f64),
    OffScale(f64),
}

/// Whether a threshold at `value` is drawn with traces spanning `low` to
/// `high`: when it lies within the traces' span of them (or, for flat
/// traces, within half their magnitude, at least 1 unit).
fn place_threshold(value: f64, low: f64, high: f64) -> Threshold {
    if !value.is_finite() {
        return Threshold::OffScale(value);
    }
    if low > high {
        return Threshold::Drawn(value);
    }
    let reach = (high - low).max(low.abs().max(high.abs()) * 0.5).max(1.0);
    if value < low - reach || value > high + reach {
        Threshold::OffScale(value)
    } else {
        Threshold::Drawn(value)
    }
}

struct PotentialFigure {
    title: String,
    window: Window,
    time: TimeAxis,
    y_label: String,
    unit: String,
    series: Vec<Series>,
    threshold: Option<Threshold>,
    /// "first 5 of 80 neurons" when only the first recorded are drawn.
    note: Option<String>,
    y_range: std::ops::Range<f64>,
}

impl PotentialFigure {
    fn new(
        trace: &StateTrace,
        columns: &[usize],
        chosen: bool,
        dt: f64,
        window: Window,
        title: String,
    ) -> Self {
        let time = TimeAxis::for_window(window.from, window.to);
        let rows = shown_rows(trace, dt, window);
        let scale = Scale::for_trace(trace, columns, &rows);
        let series: Vec<Series> = columns
            .iter()
            .map(|&column| Series {
                neuron: trace.neurons[column],
                points: envelope(
                    &points(trace, column, &rows, scale.factor, time),
                    time.range(window.from, window.to),
                ),
            })
            .collect();
        let (low, high) = extent(&series);
        let threshold = trace
            .threshold
            .map(|t| place_threshold(t * scale.factor, low, high));
        let drawn = match threshold {
            Some(Threshold::Drawn(t)) => Some(t),
            _ => None,
        };
        let y_range = y_range(low, high, drawn);
        let recorded = trace.neurons.len();
        let note = (!chosen && columns.len() < recorded)
            .then(|| format!("first {} of {recorded} neurons", columns.len()));
        let unit = scale
            .label
            .rsplit_once(" (")
            .map(|(_, u)| u.trim_end_matches(')').to_string())
            .unwrap_or_default();
        Self {
            title,
            window,
            time,
            y_label: scale.label,
            unit,
            series,
            threshold,
            note,
            y_range,
        }
    }

    fn legend(&self) -> Vec<LegendEntry> {
        let neurons: Vec<LegendEntry> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| LegendEntry::line(format!("neuron {}", s.neuron), colour(i)))
            .collect();
        let mut entries = capped(neurons, LEGEND_ROWS - 3);
        entries.extend(self.note.clone().map(LegendEntry::note));
        match self.threshold {
            Some(Threshold::Drawn(_)) => entries.push(LegendEntry::dashed("threshold", REFERENCE)),
            Some(Threshold::OffScale(t)) => {
                entries.push(LegendEntry::note(format!(
                    "threshold {} {}",
                    tick(&t),
                    self.unit
                )));
                entries.push(LegendEntry::note("(off scale, not drawn)"));
            }
            None => {}
        }
        entries
    }

    fn draw_chart<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let (x0, x1) = (self.time.at(self.window.from), self.time.at(self.window.to));
        let mut chart = ChartBuilder::on(area)
            .margin_top(MARGIN)
            .margin_right(MARGIN)
            .margin_bottom(5)
            .x_label_area_size(X_LABEL_AREA)
            .margin_left(EDGE_GAP)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(x0..x1, self.y_range.clone())?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_desc(self.time.label())
            .y_desc(self.y_label.as_str())
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .label_style(text(TICK_SIZE))
            .axis_desc_style(text(AXIS_LABEL_SIZE))
            .draw()?;
        for (i, series) in self.series.iter().enumerate() {
            chart.draw_series(LineSeries::new(
                series.points.iter().copied(),
                colour(i).stroke_width(LINE_WIDTH),
            ))?;
        }
        if let Some(Threshold::Drawn(threshold)) = self.threshold {
            let ends = [x0, x1].map(|x| (x, threshold));
            chart.draw_series(DashedLineSeries::new(
                ends,
                10,
                6,
                REFERENCE.stroke_width(LINE_WIDTH),
            ))?;
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
        let root = root.titled(&self.title, text(TITLE_SIZE))?;
        let (chart, legend) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
        self.draw_chart(&chart)?;
        draw_legend(&legend, 40, &self.legend())
    }
}

/// Rows of `trace` inside the window, with their times in s.
fn shown_rows(trace: &StateTrace, dt: f64, window: Window) -> Vec<(usize, f64)> {
    trace
        .steps
        .iter()
        .enumerate()
        .map(|(row, &step)| (row, step as f64 * dt))
        .filter(|&(_, t)| window.contains(t))
        .collect()
}

fn points(
    trace: &StateTrace,
    column: usize,
    rows: &[(usize, f64)],
    factor: f64,
    time: TimeAxis,
) -> Vec<(f64, f64)> {
    let width = trace.neurons.len();
    rows.iter()
        .filter_map(|&(row, t)| {
            // A short `values` is malformed input; skip rather than panic.
            let value = trace.values.get(row * width + column)?;
            Some((time.at(t), value * factor))
        })
        .collect()
}

/// More columns than the chart has pixels, so the envelope looks like the
/// full trace.
const ENVELOPE_COLUMNS: usize = 2000;

/// Keeps the lowest and highest point of each pixel-sized column, in time
/// order: the line drawn is the same, peaks included, and long recordings
/// draw in a fraction of the time.
/// `shown` is the time axis' range, in the unit of the points' times.
fn envelope(points: &[(f64, f64)], shown: std::ops::Range<f64>) -> Vec<(f64, f64)> {
    if points.len() <= 2 * ENVELOPE_COLUMNS {
        return points.to_vec();
    }
    let (start, span) = (shown.start, shown.end - shown.start);
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

/// Lowest and highest finite shown value (low > high when none).
fn extent(series: &[Series]) -> (f64, f64) {
    series
        .iter()
        .flat_map(|s| s.points.iter().map(|&(_, v)| v))
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
}

/// Spans the shown values and the drawn threshold, with room above for the
/// line not to sit on the frame.
fn y_range(low: f64, high: f64, threshold: Option<f64>) -> std::ops::Range<f64> {
    let (low, high) = threshold
        .filter(|t| t.is_finite())
        .map_or((low, high), |t| (low.min(t), high.max(t)));
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
        assert!(
            svg.contains("<svg") && svg.contains("g (nS)"),
            "1e-9 S shown in nS"
        );
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
        let points: Vec<(f64, f64)> = (0..100_000)
            .map(|i| {
                (
                    i as f64 * 0.01,
                    if i == 50_001 { 9.0 } else { (i % 7) as f64 },
                )
            })
            .collect();
        let kept = envelope(&points, 0.0..1000.0);
        assert!(kept.len() <= 2 * ENVELOPE_COLUMNS);
        assert!(kept.windows(2).all(|w| w[0].0 <= w[1].0));
        assert!(kept.contains(&(500.01, 9.0)));
        assert_eq!(kept.iter().map(|p| p.1).fold(f64::INFINITY, f64::min), 0.0);
    }

    #[test]
    fn volts_are_shown_in_millivolts() {
        let trace = &results().states[0];
        let rows = shown_rows(trace, 1e-4, Window { from: 0.0, to: 1.0 });
        let scale = Scale::for_trace(trace, &[0, 1], &rows);
        assert_eq!((scale.factor, scale.label.as_str()), (1e3, "v (mV)"));
    }

    #[test]
    fn a_threshold_far_beyond_the_traces_is_not_drawn() {
        // Traces from -70 to -50 mV: a threshold at -52 or -35 mV is drawn,
        // one at 1e6 mV (a read-out that never fires) is not.
        assert_eq!(
            place_threshold(-52.0, -70.0, -50.0),
            Threshold::Drawn(-52.0)
        );
        assert_eq!(
            place_threshold(-35.0, -70.0, -50.0),
            Threshold::Drawn(-35.0)
        );
        assert_eq!(place_threshold(1e6, -70.0, -50.0), Threshold::OffScale(1e6));
        assert_eq!(
            place_threshold(-100.0, -70.0, -70.0),
            Threshold::Drawn(-100.0)
        );
        assert_eq!(
            place_threshold(-10.0, -70.0, -50.0),
            Threshold::OffScale(-10.0)
        );
    }
}
