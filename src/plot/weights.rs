//! Plots of plastic weights: the distribution at the last snapshot (over
//! the first one's), and the weights' course over the run; and the firing
//! rate of a population over the run, to watch learning settle.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{
    AXIS_LABEL_SIZE, BOLD_LINE_WIDTH, DrawResult, EDGE_GAP, GRID, LEGEND_WIDTH, LINE_WIDTH,
    LegendEntry, MARGIN, Mark, SIZE, TICK_SIZE, TITLE_SIZE, TimeAxis, X_LABEL_AREA, Y_LABEL_AREA,
    axis_label, colour, draw_legend, readable, text, tick,
};
use super::{Figure, PlotError, listing, render};
use crate::io::results::{Results, WeightTrace};

/// Bins of the weight histogram.
const BINS: usize = 50;
/// Synapses traced in the course plot besides the mean.
const TRACED: usize = 20;

/// What the weight histogram and the weight course show.
#[derive(Debug, Clone, Default)]
pub struct WeightPlotOptions {
    /// The projection; the first recorded one when `None`.
    pub projection: Option<String>,
    /// The figure's title; one naming the projection when `None`.
    pub title: Option<String>,
}

/// What the rate plot shows.
#[derive(Debug, Clone, Default)]
pub struct RateOptions {
    /// The population; the first with spikes recorded when `None`.
    pub population: Option<String>,
    /// Bin width in seconds; a fiftieth of the run when `None`.
    pub bin: Option<f64>,
    /// The figure's title; one naming the population, its size and the
    /// bin when `None`.
    pub title: Option<String>,
}

fn select<'a>(
    results: &'a Results,
    projection: &Option<String>,
) -> Result<&'a WeightTrace, PlotError> {
    let found = match projection {
        Some(p) => results.weights_of(p),
        None => results.weights.first(),
    };
    found
        .filter(|w| !w.steps.is_empty())
        .ok_or_else(|| PlotError::NoWeights {
            projection: projection.clone(),
            available: listing(results.weights.iter().map(|w| w.projection.clone())),
        })
}

/// Most tick labels on an integer axis (epochs, tasks).
pub(super) const MOST_TICKS: usize = 10;

/// The figure's area below its title, on a white ground; the title keeps
/// `MARGIN` off the image's top edge.
pub(super) fn titled<'a, DB>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, Box<dyn std::error::Error + Send + Sync>>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let area = root.margin(MARGIN, 0, 0, 0);
    Ok(area.titled(title, text(TITLE_SIZE))?)
}

/// The scale and axis label of weights in `unit` (SI) with these values:
/// a readable prefix (mV for volts, pA or nA for amperes).
fn scale(values: &[f64], unit: &str) -> (f64, String) {
    let (factor, shown) = readable(values, unit);
    (factor, axis_label("weight", &shown))
}

/// Histogram of the last snapshot, with the first snapshot's outlined.
pub fn weight_histogram(
    results: &Results,
    path: &Path,
    opts: &WeightPlotOptions,
) -> Result<(), PlotError> {
    let w = select(results, &opts.projection)?;
    let (factor, label) = scale(&w.values, &w.unit);
    let rows = w.steps.len();
    let finite = |row: usize| -> Vec<f64> {
        w.row(row)
            .iter()
            .map(|x| x * factor)
            .filter(|x| x.is_finite())
            .collect()
    };
    let (first, last) = (finite(0), finite(rows - 1));
    let (lo, hi) = first
        .iter()
        .chain(&last)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let (lo, hi) = if lo < hi {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    };
    let counts = |values: &[f64]| {
        let mut c = vec![0usize; BINS];
        for &x in values {
            c[(((x - lo) / (hi - lo)) * BINS as f64)
                .floor()
                .clamp(0.0, (BINS - 1) as f64) as usize] += 1;
        }
        c
    };
    let title = opts
        .title
        .clone()
        .unwrap_or_else(|| format!("weights of {}", w.projection));
    render(
        path,
        &Histogram {
            title,
            x_label: label,
            range: lo..hi,
            first: counts(&first),
            last: counts(&last),
            times: (w.times[0], w.times[rows - 1]),
        },
    )
}

struct Histogram {
    title: String,
    x_label: String,
    range: std::ops::Range<f64>,
    first: Vec<usize>,
    last: Vec<usize>,
    times: (f64, f64),
}

impl Figure for Histogram {
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let root = titled(root, &self.title)?;
        let (area, legend) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
        let top = self
            .first
            .iter()
            .chain(&self.last)
            .copied()
            .max()
            .unwrap_or(1)
            .max(1);
        let width = (self.range.end - self.range.start) / BINS as f64;
        let mut chart = ChartBuilder::on(&area)
            .margin_top(MARGIN)
            .margin_right(MARGIN)
            .margin_left(EDGE_GAP)
            .margin_bottom(MARGIN)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(self.range.clone(), 0.0..top as f64 * 1.08)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_desc(self.x_label.as_str())
            .y_desc("synapses")
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .label_style(text(TICK_SIZE))
            .axis_desc_style(text(AXIS_LABEL_SIZE))
            .draw()?;
        let left = |i: usize| self.range.start + i as f64 * width;
        chart.draw_series(self.last.iter().enumerate().map(|(i, &c)| {
            Rectangle::new(
                [(left(i), 0.0), (left(i + 1), c as f64)],
                colour(0).filled(),
            )
        }))?;
        // The first snapshot as a step outline over the bars.
        let outline = self
            .first
            .iter()
            .enumerate()
            .flat_map(|(i, &c)| [(left(i), c as f64), (left(i + 1), c as f64)]);
        chart.draw_series(LineSeries::new(
            outline,
            colour(1).stroke_width(BOLD_LINE_WIDTH),
        ))?;
        let entries = [
            LegendEntry {
                label: format!("at {} s", tick(&self.times.1)),
                colour: colour(0),
                mark: Mark::Square,
            },
            LegendEntry {
                label: format!("at {} s", tick(&self.times.0)),
                colour: colour(1),
                mark: Mark::Line,
            },
        ];
        draw_legend(&legend, 40, &entries)
    }
}

/// Weights against time: a sample of synapses in one colour, and the mean
/// of all drawn thick in black; the legend has one entry for each ("20
/// synapses", "mean of all 1000").
pub fn weight_course(
    results: &Results,
    path: &Path,
    opts: &WeightPlotOptions,
) -> Result<(), PlotError> {
    let w = select(results, &opts.projection)?;
    let (factor, label) = scale(&w.values, &w.unit);
    let n = w.synapses();
    let rows = w.steps.len();
    let picked = traced(n);
    let time = TimeAxis::for_span(results.info.duration.max(w.times[rows - 1]));
    let series = |s: usize| -> Vec<(f64, f64)> {
        (0..rows)
            .map(|r| (w.times[r] * time.scale, w.row(r)[s] * factor))
            .collect()
    };
    let mean: Vec<(f64, f64)> = (0..rows)
        .map(|r| {
            (
                w.times[r] * time.scale,
                w.row(r).iter().sum::<f64>() / n.max(1) as f64 * factor,
            )
        })
        .collect();
    let title = opts
        .title
        .clone()
        .unwrap_or_else(|| format!("weights of {} over time", w.projection));
    let mut lines: Vec<Line> = picked
        .iter()
        .map(|&s| Line {
            points: series(s),
            colour: colour(0),
            width: LINE_WIDTH,
        })
        .collect();
    lines.push(Line {
        points: mean,
        colour: BLACK,
        width: BOLD_LINE_WIDTH + 1,
    });
    let k = picked.len();
    let sample = format!("{k} synapse{}", if k == 1 { "" } else { "s" });
    let legend = vec![
        LegendEntry {
            label: sample,
            colour: colour(0),
            mark: Mark::Line,
        },
        LegendEntry {
            label: format!("mean of all {n}"),
            colour: BLACK,
            mark: Mark::Line,
        },
    ];
    render(
        path,
        &Lines {
            title,
            x_label: time.label(),
            y_label: label,
            x_range: (
                0.0,
                time.scale * results.info.duration.max(w.times[rows - 1]),
            ),
            lines,
            legend,
        },
    )
}

/// The synapses the course plot traces: `TRACED` spread evenly over the
/// `n` recorded, or all when fewer.
fn traced(n: usize) -> Vec<usize> {
    let k = TRACED.min(n);
    (0..k).map(|i| i * n / k).collect()
}

/// Firing rate of a population in bins from the start of the run, as a
/// step line from 0 to its end (the last bin may be shorter; its rate is
/// over its own width).
pub fn rate(results: &Results, path: &Path, opts: &RateOptions) -> Result<(), PlotError> {
    let found = match &opts.population {
        Some(p) => results.spikes_of(p),
        None => results.spikes.first(),
    };
    let spikes = found.ok_or_else(|| PlotError::NoSpikes {
        population: opts.population.clone().unwrap_or_default(),
        available: listing(results.spikes.iter().map(|s| s.population.clone())),
    })?;
    let duration = results.info.duration;
    let bin = opts.bin.unwrap_or((duration / 50.0).max(results.info.dt));
    super::options::check_bin(bin, results.info.dt, duration).map_err(|message| {
        PlotError::BadOption {
            option: "--bin",
            message,
        }
    })?;
    let rates = binned_rates(&spikes.times(results.info.dt), spikes.size, bin, duration);
    let time = TimeAxis::for_span(duration);
    let points = rates
        .iter()
        .flat_map(|&(from, to, r)| [(from * time.scale, r), (to * time.scale, r)])
        .collect();
    let size = spikes.size;
    let title = opts.title.clone().unwrap_or_else(|| {
        format!(
            "firing rate of {} ({size} neuron{}, {} {} bins)",
            spikes.population,
            if size == 1 { "" } else { "s" },
            tick(&(bin * time.scale)),
            time.unit_label
        )
    });
    render(
        path,
        &Lines {
            title,
            x_label: time.label(),
            y_label: "rate per neuron (Hz)".into(),
            x_range: (0.0, duration * time.scale),
            lines: vec![Line {
                points,
                colour: colour(0),
                width: BOLD_LINE_WIDTH,
            }],
            legend: Vec::new(),
        },
    )
}

/// The mean rate per neuron (Hz) of `size` neurons in bins of `bin`
/// seconds from 0 to `duration`: `(start, end, rate)` per bin, the last
/// bin ending at `duration`.
fn binned_rates(times: &[f64], size: u32, bin: f64, duration: f64) -> Vec<(f64, f64, f64)> {
    let bins = ((duration / bin).ceil() as usize).max(1);
    let mut counts = vec![0usize; bins];
    for &t in times {
        counts[((t / bin) as usize).min(bins - 1)] += 1;
    }
    let size = f64::from(size.max(1));
    counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let from = i as f64 * bin;
            let to = if i + 1 == bins {
                duration
            } else {
                (i + 1) as f64 * bin
            };
            (
                from,
                to,
                c as f64 / ((to - from).max(f64::MIN_POSITIVE) * size),
            )
        })
        .collect()
}

/// One line of a `Lines` figure.
struct Line {
    points: Vec<(f64, f64)>,
    colour: RGBColor,
    width: u32,
}

/// Lines against time from a y of 0 up; a legend column only when there
/// are entries for it.
struct Lines {
    title: String,
    x_label: String,
    y_label: String,
    x_range: (f64, f64),
    lines: Vec<Line>,
    legend: Vec<LegendEntry>,
}

impl Lines {
    /// The y range: from 0 (or the lowest value, if below) to 5 % over the
    /// highest.
    fn y_range(&self) -> (f64, f64) {
        let (y0, y1) = self
            .lines
            .iter()
            .flat_map(|l| &l.points)
            .map(|p| p.1)
            .filter(|y| y.is_finite())
            .fold((0.0f64, f64::NEG_INFINITY), |(lo, hi), y| {
                (lo.min(y), hi.max(y))
            });
        if y1 > y0 {
            (y0, y1 + 0.05 * (y1 - y0))
        } else {
            (y0, y0 + 1.0)
        }
    }
}

impl Figure for Lines {
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let root = titled(root, &self.title)?;
        let (area, legend) = if self.legend.is_empty() {
            (root.clone(), None)
        } else {
            let (a, l) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
            (a, Some(l))
        };
        let (x0, x1) = if self.x_range.1 > self.x_range.0 {
            self.x_range
        } else {
            (0.0, 1.0)
        };
        let (y0, y1) = self.y_range();
        let mut chart = ChartBuilder::on(&area)
            .margin_top(MARGIN)
            .margin_right(MARGIN)
            .margin_left(EDGE_GAP)
            .margin_bottom(MARGIN)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .label_style(text(TICK_SIZE))
            .axis_desc_style(text(AXIS_LABEL_SIZE))
            .draw()?;
        for line in &self.lines {
            chart.draw_series(LineSeries::new(
                line.points.iter().copied().filter(|p| p.1.is_finite()),
                line.colour.stroke_width(line.width),
            ))?;
        }
        match legend {
            Some(l) => draw_legend(&l, 40, &self.legend),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::png::{Axis, Picture};
    use super::super::test_support::{PNG_MAGIC, results};
    use super::*;

    fn with_weights() -> Results {
        let mut r = results();
        r.weights.push(WeightTrace {
            projection: "in->exc".into(),
            unit: "V".into(),
            pre: (0..100).collect(),
            post: vec![0; 100],
            steps: vec![0, 5000, 10000],
            times: vec![0.0, 0.5, 1.0],
            values: (0..300)
                .map(|i| (i % 100) as f64 * 1e-5 * (1 + i / 100) as f64)
                .collect(),
        });
        r
    }

    #[test]
    fn draws_weight_and_rate_plots() {
        let dir = tempfile::tempdir().unwrap();
        let r = with_weights();
        let opts = WeightPlotOptions::default();
        let hist = dir.path().join("h.png");
        weight_histogram(&r, &hist, &opts).unwrap();
        assert!(std::fs::read(&hist).unwrap().starts_with(PNG_MAGIC));
        let course = dir.path().join("c.svg");
        weight_course(&r, &course, &opts).unwrap();
        assert!(std::fs::read_to_string(&course).unwrap().contains("<svg"));
        let rates = dir.path().join("r.png");
        rate(&r, &rates, &RateOptions::default()).unwrap();
        assert!(std::fs::read(&rates).unwrap().starts_with(PNG_MAGIC));
    }

    /// The last snapshot puts 10, 20 and 40 synapses in bins 5, 20 and
    /// 40 of 50 over [0, 1]; the first has 35 at each end. The outline of
    /// the first calibrates the weight axis by its ends (0 and 1); the bars
    /// must stand over their bins, with heights as 10 : 20 : 40 and the
    /// outline's ends at 35 on the bars' count axis. (Calibration changed
    /// with the shared style's margins: the old one took the bars' bottom,
    /// hidden under the outline, for 0.)
    #[test]
    fn histogram_bars_stand_over_their_bins_as_high_as_their_counts() {
        let first = [vec![0.0; 35], vec![1.0; 35]].concat();
        let last = [vec![0.11; 10], vec![0.41; 20], vec![0.81; 40]].concat();
        let mut r = results();
        r.weights.push(WeightTrace {
            projection: "in->exc".into(),
            unit: String::new(),
            pre: (0..70).collect(),
            post: vec![0; 70],
            steps: vec![0, 10000],
            times: vec![0.0, 1.0],
            values: [first, last].concat(),
        });
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("h.png");
        weight_histogram(&r, &png, &WeightPlotOptions::default()).unwrap();

        let picture = Picture::open(&png);
        let [blue, red] = [0, 1].map(|i| {
            let RGBColor(r, g, b) = colour(i);
            [r, g, b]
        });
        let outline = picture.line(red, 100);
        let weight = Axis::through((0.0, outline.x0.into()), (1.0, outline.x1.into()));
        // Bars are the blue blobs over the outline's span (the legend's
        // square lies right of it).
        let mut bars: Vec<_> = picture
            .blobs(blue)
            .into_iter()
            .filter(|b| b.x1 <= outline.x1)
            .collect();
        bars.sort_by_key(|b| b.x0);
        assert_eq!(bars.len(), 3, "{bars:?}");
        for (bar, centre) in bars.iter().zip([0.11, 0.41, 0.81]) {
            let x = bar.centre().0;
            assert!((x - weight.pixel(centre)).abs() <= 1.5, "bar at {x}");
            assert!((f64::from(bar.size().0) - weight.step() * 0.02).abs() <= 2.0);
        }
        // The count axis through the tops of the 20 and 40 bars (their
        // bottoms lie under the outline's run at 0, so they cannot tell
        // where 0 is); the 10 bar's top, and 0 just below the bars'
        // visible bottoms, must then be where their counts map.
        let base = f64::from(bars[2].y1);
        let count = Axis::through((20.0, f64::from(bars[1].y0)), (40.0, f64::from(bars[2].y0)));
        let top = f64::from(bars[0].y0);
        assert!((top - count.pixel(10.0)).abs() <= 2.0, "10 at {top}");
        assert!(
            (0.0..=4.0).contains(&(count.pixel(0.0) - base)),
            "0 at {base}"
        );
        for bar in &bars {
            assert!((f64::from(bar.y1) - base).abs() <= 1.0);
        }
        let outline_top = f64::from(outline.y0);
        assert!((outline_top - count.pixel(35.0)).abs() <= 2.0);
    }

    #[test]
    fn missing_weights_are_an_error_naming_what_exists() {
        let dir = tempfile::tempdir().unwrap();
        let opts = WeightPlotOptions {
            projection: Some("nope".into()),
            ..Default::default()
        };
        let err = weight_histogram(&with_weights(), &dir.path().join("h.png"), &opts).unwrap_err();
        assert!(err.to_string().contains("in->exc"), "{err}");
        let err =
            weight_course(&results(), &dir.path().join("c.png"), &Default::default()).unwrap_err();
        assert!(matches!(err, PlotError::NoWeights { .. }), "{err}");
    }
}
