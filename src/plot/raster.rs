//! Spike raster with a population-rate histogram below it.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    DrawResult, Figure, LEGEND_WIDTH, LegendEntry, Mark, PlotError, SIZE, Window, Y_LABEL_AREA,
    colour, draw_legend, listing, render, text, tick,
};
use crate::io::results::{Results, SpikeTrains};

#[derive(Debug, Clone, Default)]
pub struct RasterOptions {
    /// Populations to show, first at the bottom; all with spikes recorded
    /// when `None`.
    pub populations: Option<Vec<String>>,
    /// Start of the shown time in seconds; 0 when `None`.
    pub from: Option<f64>,
    /// End of the shown time in seconds; the end of the run when `None`.
    pub to: Option<f64>,
    pub title: Option<String>,
}

/// Draws the spikes of `results` to `path` (`.png` or `.svg`).
pub fn raster(results: &Results, path: &Path, opts: &RasterOptions) -> Result<(), PlotError> {
    let trains = select(results, opts.populations.as_deref())?;
    let window = Window::new(results, opts.from, opts.to)?;
    let title = opts.title.clone().unwrap_or_else(|| default_title(&trains));
    let figure = RasterFigure::new(&trains, results.info.dt, window, title);
    render(path, &figure)
}

/// A population to draw and its colour, which follows its place in the
/// results so that it keeps its colour whichever populations are shown.
type Shown<'a> = (&'a SpikeTrains, RGBColor);

fn select<'a>(
    results: &'a Results,
    populations: Option<&[String]>,
) -> Result<Vec<Shown<'a>>, PlotError> {
    let all = || results.spikes.iter().enumerate();
    let Some(names) = populations else {
        return Ok(all().map(|(i, train)| (train, colour(i))).collect());
    };
    names
        .iter()
        .map(|name| {
            all()
                .find(|(_, train)| train.population == *name)
                .map(|(i, train)| (train, colour(i)))
                .ok_or_else(|| PlotError::NoSpikes {
                    population: name.clone(),
                    available: listing(results.spikes.iter().map(|s| &s.population)),
                })
        })
        .collect()
}

fn default_title(trains: &[Shown<'_>]) -> String {
    format!(
        "Spikes of {}",
        listing(trains.iter().map(|(t, _)| &t.population))
    )
}

/// Rate histogram bins: fine enough to show fast oscillations, coarse enough
/// (about 200 over the window) to average out single spikes.
fn bin_width(dt: f64, window: Window) -> f64 {
    let span = window.to - window.from;
    if dt > 0.0 {
        (span / 200.0).max(dt)
    } else {
        span / 200.0
    }
}

/// One population as drawn.
struct Layer {
    name: String,
    colour: RGBColor,
    /// Spikes as (time in ms, row); rows count from the bottom of the plot.
    dots: Vec<(f64, f64)>,
    /// Mean rate per neuron as a step line: (time in ms, Hz).
    rate: Vec<(f64, f64)>,
}

struct RasterFigure {
    title: String,
    window: Window,
    bin_ms: f64,
    /// Total neurons shown: the height of the raster.
    rows: u32,
    /// Row where each population after the first starts.
    boundaries: Vec<u32>,
    layers: Vec<Layer>,
}

impl RasterFigure {
    fn new(trains: &[Shown<'_>], dt: f64, window: Window, title: String) -> Self {
        let bin = bin_width(dt, window);
        let mut offset = 0u32;
        let mut boundaries = Vec::new();
        let mut layers = Vec::new();
        for (i, &(train, colour)) in trains.iter().enumerate() {
            if i > 0 {
                boundaries.push(offset);
            }
            layers.push(layer(train, dt, window, bin, offset, colour));
            offset = offset.saturating_add(train.size);
        }
        Self {
            title,
            window,
            bin_ms: bin * 1e3,
            rows: offset,
            boundaries,
            layers,
        }
    }

    /// Side of a spike's square in pixels, minus one: as big as the rows
    /// allow without neighbouring neurons merging, at least 2 px to be seen.
    fn dot_size(&self) -> i32 {
        const RASTER_PX: u32 = 520;
        let px_per_row = RASTER_PX / self.rows.max(1);
        (px_per_row as i32 - 1).clamp(1, 3)
    }

    fn legend(&self) -> Vec<LegendEntry> {
        // Top to bottom, as the populations are stacked.
        self.layers
            .iter()
            .rev()
            .map(|l| LegendEntry {
                label: l.name.clone(),
                colour: l.colour,
                mark: Mark::Square,
            })
            .collect()
    }

    fn draw_raster<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let mut chart = ChartBuilder::on(area)
            .margin_top(10)
            .margin_right(20)
            .x_label_area_size(30)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(self.window.ms(), 0f64..f64::from(self.rows.max(1)))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .y_desc("neuron")
            .label_style(text(15))
            .axis_desc_style(text(18))
            .x_label_formatter(&tick)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()?;
        let separator = RGBColor(200, 200, 200).stroke_width(1);
        let (x0, x1) = (self.window.from * 1e3, self.window.to * 1e3);
        for &row in &self.boundaries {
            let y = f64::from(row);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x0, y), (x1, y)],
                separator,
            )))?;
        }
        let d = self.dot_size();
        for layer in &self.layers {
            let fill = layer.colour.filled();
            chart.draw_series(
                layer.dots.iter().map(|&point| {
                    EmptyElement::at(point) + Rectangle::new([(0, -d), (d, 0)], fill)
                }),
            )?;
        }
        Ok(())
    }

    fn draw_rates<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let peak = self
            .layers
            .iter()
            .flat_map(|l| l.rate.iter().map(|&(_, r)| r))
            .fold(0.0, f64::max);
        let top = if peak > 0.0 { peak * 1.1 } else { 1.0 };
        let mut chart = ChartBuilder::on(area)
            .margin_right(20)
            .margin_bottom(5)
            .caption(
                format!("mean rate per neuron, {} ms bins", tick(&self.bin_ms)),
                text(15),
            )
            .x_label_area_size(50)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(self.window.ms(), 0f64..top)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("time (ms)")
            .y_desc("rate (Hz)")
            .y_labels(4)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .label_style(text(15))
            .axis_desc_style(text(18))
            .draw()?;
        for layer in &self.layers {
            chart.draw_series(LineSeries::new(
                layer.rate.iter().copied(),
                layer.colour.stroke_width(2),
            ))?;
        }
        Ok(())
    }
}

impl Figure for RasterFigure {
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let root = root.titled(&self.title, text(26))?;
        let (charts, legend) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
        let (upper, lower) = charts.split_vertically(74.percent_height());
        self.draw_raster(&upper)?;
        self.draw_rates(&lower)?;
        draw_legend(&legend, 40, &self.legend())
    }
}

fn layer(
    train: &SpikeTrains,
    dt: f64,
    window: Window,
    bin: f64,
    offset: u32,
    colour: RGBColor,
) -> Layer {
    let shown: Vec<(f64, u32)> = train
        .times(dt)
        .into_iter()
        .zip(train.senders.iter().copied())
        // A sender outside the population would be drawn over the next one.
        .filter(|&(t, sender)| window.contains(t) && sender < train.size)
        .collect();
    let dots = shown
        .iter()
        .map(|&(t, sender)| (t * 1e3, f64::from(offset) + f64::from(sender)))
        .collect();
    let rate = rate_steps(shown.iter().map(|&(t, _)| t), train.size, window, bin);
    Layer {
        name: train.population.clone(),
        colour,
        dots,
        rate,
    }
}

/// Bins covering `span`; a rounding error must not add a sliver of a bin
/// whose few spikes would show as a huge rate.
fn bin_count(span: f64, bin: f64) -> usize {
    let bins = span / bin;
    let whole = bins.round();
    let bins = if (bins - whole).abs() < 1e-6 {
        whole
    } else {
        bins.ceil()
    };
    bins.max(1.0) as usize
}

/// Mean rate per neuron in each bin as the corners of a step line.
fn rate_steps(
    times: impl Iterator<Item = f64>,
    size: u32,
    window: Window,
    bin: f64,
) -> Vec<(f64, f64)> {
    let bins = bin_count(window.to - window.from, bin);
    let mut counts = vec![0u32; bins];
    for t in times {
        let i = (((t - window.from) / bin) as usize).min(bins - 1);
        counts[i] += 1;
    }
    let mut corners = Vec::with_capacity(2 * bins);
    for (i, &count) in counts.iter().enumerate() {
        let start = window.from + i as f64 * bin;
        // The last bin may be cut short by the end of the window.
        let end = (start + bin).min(window.to);
        let rate = if size == 0 {
            0.0
        } else {
            f64::from(count) / ((end - start) * f64::from(size))
        };
        corners.push((start * 1e3, rate));
        corners.push((end * 1e3, rate));
    }
    corners
}

#[cfg(test)]
mod tests {
    use super::super::png::{Axis, Picture, assert_dot_rows};
    use super::super::test_support::{PNG_MAGIC, results};
    use super::*;
    use crate::io::IoError;

    #[test]
    fn writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let results = results();
        let png = dir.path().join("raster.png");
        raster(&results, &png, &RasterOptions::default()).unwrap();
        assert!(std::fs::read(&png).unwrap().starts_with(PNG_MAGIC));
        let svg = dir.path().join("raster.svg");
        raster(&results, &svg, &RasterOptions::default()).unwrap();
        assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2, "no partial file left behind");
    }

    /// Neurons 0 and 9 of 10 fire every 20 ms from 10 ms on, neuron 3 only
    /// in the second half second, neuron 6 only in the first; the rest are
    /// silent. Their dots are found in the image by colour and must sit in
    /// those rows only, at those times (rows and times calibrated from
    /// neurons 0 and 9, not from the layout).
    #[test]
    fn dots_sit_in_the_rows_and_at_the_times_of_the_spikes() {
        let mut spikes = Vec::new();
        for k in 0..50u64 {
            let step = 100 + 200 * k;
            spikes.extend([(step, 0u32), (step, 9), (step, if k >= 25 { 3 } else { 6 })]);
        }
        spikes.sort_unstable();
        let mut exc = SpikeTrains::new("exc", 10);
        exc.steps = spikes.iter().map(|s| s.0).collect();
        exc.senders = spikes.iter().map(|s| s.1).collect();
        let results = Results {
            info: results().info,
            spikes: vec![exc],
            ..Default::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("raster.png");
        raster(&results, &png, &RasterOptions::default()).unwrap();

        let RGBColor(r, g, b) = colour(0);
        let dots = Picture::open(&png).dots([r, g, b], 8);
        let rows = assert_dot_rows(&dots, &[0, 3, 6, 9]);
        let times_of = |row: f64| {
            let mut x: Vec<f64> = dots
                .iter()
                .filter(|d| (d.1 - rows.pixel(row)).abs() < 1.0)
                .map(|d| d.0)
                .collect();
            x.sort_by(f64::total_cmp);
            x
        };
        let first = times_of(0.0);
        assert_eq!(first.len(), 50);
        let ms = Axis::through((10.0, first[0]), (990.0, first[49]));
        for (&x, k) in first.iter().zip(0..) {
            assert!((x - ms.pixel(10.0 + 20.0 * f64::from(k))).abs() < 1.5);
        }
        let (late, early) = (times_of(3.0), times_of(6.0));
        assert_eq!((late.len(), early.len()), (25, 25));
        assert!((late[0] - ms.pixel(510.0)).abs() < 1.5, "{late:?}");
        assert!((early[24] - ms.pixel(490.0)).abs() < 1.5, "{early:?}");
    }

    #[test]
    fn unknown_extension_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("raster.jpg");
        let err = raster(&results(), &path, &RasterOptions::default()).unwrap_err();
        assert!(
            matches!(err, PlotError::Io(IoError::UnsupportedPlotFormat { .. })),
            "{err}"
        );
        assert!(err.to_string().contains("raster.jpg"), "{err}");
        assert!(!path.exists());
    }

    #[test]
    fn unknown_population_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let opts = RasterOptions {
            populations: Some(vec!["exc".into(), "nope".into()]),
            ..Default::default()
        };
        let err = raster(&results(), &dir.path().join("r.png"), &opts).unwrap_err();
        assert!(matches!(err, PlotError::NoSpikes { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("nope") && message.contains("exc, inh"),
            "{message}"
        );
    }

    #[test]
    fn empty_and_silent_populations_do_not_panic() {
        let dir = tempfile::tempdir().unwrap();
        let mut results = results();
        results.spikes.push(SpikeTrains::new("none", 0));
        let opts = RasterOptions {
            populations: Some(vec!["inh".into(), "none".into()]),
            ..Default::default()
        };
        let path = dir.path().join("silent.png");
        raster(&results, &path, &opts).unwrap();
        assert!(std::fs::read(&path).unwrap().starts_with(PNG_MAGIC));
        let nothing = Results {
            info: results.info.clone(),
            ..Default::default()
        };
        raster(
            &nothing,
            &dir.path().join("nothing.svg"),
            &RasterOptions::default(),
        )
        .unwrap();
    }

    #[test]
    fn empty_window_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let opts = RasterOptions {
            from: Some(0.5),
            to: Some(0.5),
            ..Default::default()
        };
        let err = raster(&results(), &dir.path().join("r.png"), &opts).unwrap_err();
        assert!(
            matches!(err, PlotError::BadOption { option: "--to", .. }),
            "{err}"
        );
        assert!(err.to_string().contains("at least one step"), "{err}");
    }

    #[test]
    fn rates_are_per_neuron_and_per_second() {
        let window = Window { from: 0.0, to: 1.0 };
        // 10 spikes of 5 neurons in the first of 2 bins of 0.5 s: 4 Hz.
        let corners = rate_steps(std::iter::repeat_n(0.1, 10), 5, window, 0.5);
        assert_eq!(
            corners,
            vec![(0.0, 4.0), (500.0, 4.0), (500.0, 0.0), (1000.0, 0.0)]
        );
    }

    #[test]
    fn a_spike_at_the_end_of_the_window_counts() {
        let window = Window { from: 0.0, to: 1.0 };
        let corners = rate_steps(std::iter::once(1.0), 1, window, 0.5);
        assert_eq!(corners[3], (1000.0, 2.0));
    }
}
