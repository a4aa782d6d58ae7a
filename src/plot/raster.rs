//! Spike raster with a population-rate panel below it.
//!
//! Each population gets a band (at least 80 px high, so small
//! populations stay readable beside big ones) with its own neuron ticks;
//! marks are sized by how densely they fall; populations without spikes in
//! the window are said to have none instead of drawn as 0 Hz.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use plotters::coord::types::RangedCoordf64;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    AXIS_LABEL_SIZE, BOLD_LINE_WIDTH, CAPTION_SIZE, DrawResult, EDGE_GAP, LEGEND_ROWS, LEGEND_SIZE,
    LEGEND_WIDTH, LegendEntry, MARGIN, MUTED, SEPARATOR, SIZE, TICK_SIZE, TITLE_SIZE, TimeAxis,
    X_LABEL_AREA, Y_LABEL_AREA, capped, colour, draw_legend, integer_ticks, text, tick,
};
use super::{Figure, PlotError, Window, listing, render};
use crate::io::results::{Results, SpikeTrains};

/// What a raster shows.
#[derive(Debug, Clone, Default)]
pub struct RasterOptions {
    /// Populations to show, first at the bottom; all with spikes recorded
    /// when `None`.
    pub populations: Option<Vec<String>>,
    /// Start of the shown time in seconds; 0 when `None`.
    pub from: Option<f64>,
    /// End of the shown time in seconds; the end of the run when `None`.
    pub to: Option<f64>,
    /// The title; `"Spikes of <populations>"` when `None`.
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

/// Rate histogram bin, in seconds: about 200 bins over the window, but
/// long enough that the sparsest drawn population has on average at least
/// [`SPIKES_PER_BIN`] spikes in a bin (a bin of 1 ms holding one spike of
/// one neuron reads 1000 Hz: a comb of such bars says nothing), and at
/// most a tenth of the window; a round number of ms or s, no shorter than
/// the step.
fn bin_width(dt: f64, window: Window, sparsest: Option<usize>) -> f64 {
    let span = window.to - window.from;
    let mut bin = span / 200.0;
    if let Some(count) = sparsest.filter(|&c| c > 0) {
        bin = bin.max(SPIKES_PER_BIN * span / count as f64);
    }
    let bin = round_bin(bin.min(span / 10.0), span / 10.0);
    if dt > 0.0 { bin.max(dt) } else { bin }
}

/// Spikes the sparsest population should have per rate bin on average.
const SPIKES_PER_BIN: f64 = 4.0;

/// The 1, 2 or 5 times a power of ten at or above `bin`, or below it
/// when that would pass `most`.
fn round_bin(bin: f64, most: f64) -> f64 {
    if !(bin.is_finite() && bin > 0.0) {
        return bin;
    }
    let decade = 10f64.powf(bin.log10().floor());
    let round = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * decade)
        .find(|&b| b >= bin * (1.0 - 1e-9))
        .unwrap_or(bin);
    if round <= most * (1.0 + 1e-9) {
        return round;
    }
    [5.0, 2.0, 1.0]
        .iter()
        .map(|m| m * decade)
        .find(|&b| b <= most)
        .unwrap_or(bin)
}

/// One population as drawn.
struct Layer {
    name: String,
    colour: RGBColor,
    size: u32,
    /// Spikes as (time in the axis' unit, neuron index in the population).
    dots: Vec<(f64, u32)>,
    /// Mean rate per neuron as a step line: (time in the axis' unit, Hz);
    /// empty for a population without spikes in the window.
    rate: Vec<(f64, f64)>,
}

impl Layer {
    fn silent(&self) -> bool {
        self.dots.is_empty()
    }
}

/// Lowest height in pixels of a population's band, so that a population of
/// 4 neurons stacked on one of 800 stays readable.
const MIN_BAND_PX: f64 = 80.0;

/// A population's band of the raster: y from `start` to `start + height`
/// in the raster's coordinates (0 at the bottom, 1 at the top).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Band {
    start: f64,
    height: f64,
}

impl Band {
    /// Where neuron `index` of `size` is drawn: the middle of its row.
    fn y(&self, index: u32, size: u32) -> f64 {
        self.start + (f64::from(index) + 0.5) / f64::from(size.max(1)) * self.height
    }
}

/// Bands for populations of `sizes` (silent ones marked), stacked from the
/// bottom on `pixels` of height: shares proportional to the sizes, but
/// none lower than [`MIN_BAND_PX`] (or an equal share when the bands
/// cannot all have that), and silent populations only that lowest height.
fn bands(sizes: &[(u32, bool)], pixels: f64) -> Vec<Band> {
    let n = sizes.len();
    if n == 0 {
        return Vec::new();
    }
    let least = MIN_BAND_PX.min(pixels / n as f64) / pixels.max(1.0);
    let mut fixed = vec![None; n];
    for (i, &(_, silent)) in sizes.iter().enumerate() {
        if silent {
            fixed[i] = Some(least);
        }
    }
    // Proportional shares of what the fixed bands leave; a band below the
    // least height is fixed at it, and the rest shared again.
    loop {
        let left = 1.0 - fixed.iter().flatten().sum::<f64>();
        let total: f64 = sizes
            .iter()
            .zip(&fixed)
            .filter(|(_, f)| f.is_none())
            .map(|(s, _)| f64::from(s.0.max(1)))
            .sum();
        let mut changed = false;
        for (i, &(size, _)) in sizes.iter().enumerate() {
            if fixed[i].is_none() && left * f64::from(size.max(1)) / total < least {
                fixed[i] = Some(least);
                changed = true;
            }
        }
        if !changed {
            let heights: Vec<f64> = sizes
                .iter()
                .zip(&fixed)
                .map(|(s, f)| f.unwrap_or(left * f64::from(s.0.max(1)) / total))
                .collect();
            let mut start = 0.0;
            return heights
                .into_iter()
                .map(|height| {
                    let band = Band { start, height };
                    start += height;
                    band
                })
                .collect();
        }
    }
}

/// Size of a spike's mark in pixels (width, height), from how close the
/// marks would be: as tall as most of a neuron's row (a few neurons get
/// tall marks, thousands get one pixel), and as wide as a third of the mean
/// gap between a neuron's spikes, from 2 to 3 pixels, never wider than
/// tall. Two pixels at least: a one-pixel rectangle is not drawn.
fn mark_size(row_px: f64, width_px: f64, size: u32, spikes: usize) -> (i32, i32) {
    let height = (row_px * 0.7).round().clamp(2.0, 12.0);
    let gap = if spikes == 0 {
        width_px
    } else {
        width_px * f64::from(size.max(1)) / spikes as f64
    };
    let width = (gap / 3.0).round().clamp(2.0, 3.0).min(height);
    (width as i32, height as i32)
}

struct RasterFigure {
    title: String,
    window: Window,
    time: TimeAxis,
    /// Rate bin in seconds.
    bin: f64,
    layers: Vec<Layer>,
}

impl RasterFigure {
    fn new(trains: &[Shown<'_>], dt: f64, window: Window, title: String) -> Self {
        let time = TimeAxis::for_window(window.from, window.to);
        let shown: Vec<Vec<(f64, u32)>> = trains
            .iter()
            .map(|(train, _)| spikes_in(train, dt, window))
            .collect();
        let sparsest = shown.iter().map(Vec::len).filter(|&c| c > 0).min();
        let bin = bin_width(dt, window, sparsest);
        let layers = trains
            .iter()
            .zip(shown)
            .map(|(&(train, colour), spikes)| layer(train, spikes, window, bin, colour, time))
            .collect();
        Self {
            title,
            window,
            time,
            bin,
            layers,
        }
    }

    fn raster_legend(&self) -> Vec<LegendEntry> {
        // Top to bottom, as the populations are stacked.
        self.layers
            .iter()
            .rev()
            .map(|l| {
                if l.silent() {
                    LegendEntry::note(format!("{}: no spikes", l.name))
                } else {
                    LegendEntry::square(format!("{} ({})", l.name, l.size), l.colour)
                }
            })
            .collect()
    }

    fn rate_legend(&self) -> Vec<LegendEntry> {
        self.layers
            .iter()
            .rev()
            .filter(|l| !l.silent())
            .map(|l| LegendEntry::line(l.name.clone(), l.colour))
            .collect()
    }

    fn draw_raster<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let mut chart = ChartBuilder::on(area)
            .margin_top(MARGIN)
            .margin_right(MARGIN)
            .x_label_area_size(30)
            .margin_left(EDGE_GAP)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(
                self.time.range(self.window.from, self.window.to),
                0f64..1f64,
            )?;
        chart
            .configure_mesh()
            .disable_mesh()
            .y_labels(0)
            .y_desc("neuron")
            .label_style(text(TICK_SIZE))
            .axis_desc_style(text(AXIS_LABEL_SIZE))
            .x_label_formatter(&tick)
            .draw()?;
        let plot = chart.plotting_area();
        let (width_px, height_px) = plot.dim_in_pixel();
        let sizes: Vec<(u32, bool)> = self.layers.iter().map(|l| (l.size, l.silent())).collect();
        let bands = bands(&sizes, f64::from(height_px));
        let (x0, x1) = (self.time.at(self.window.from), self.time.at(self.window.to));
        let separator = SEPARATOR.stroke_width(1);
        for band in bands.iter().skip(1) {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x0, band.start), (x1, band.start)],
                separator,
            )))?;
        }
        for (layer, band) in self.layers.iter().zip(&bands) {
            let band_px = band.height * f64::from(height_px);
            if layer.silent() {
                let middle = ((x0 + x1) / 2.0, band.start + band.height / 2.0);
                let style = text(LEGEND_SIZE)
                    .color(&MUTED)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                chart.draw_series(std::iter::once(Text::new(
                    format!("{}: no spikes", layer.name),
                    middle,
                    style,
                )))?;
                continue;
            }
            self.draw_neuron_ticks(area, &chart, layer, band, band_px)?;
            let row_px = band_px / f64::from(layer.size.max(1));
            let (w, h) = mark_size(row_px, f64::from(width_px), layer.size, layer.dots.len());
            // Plotters fills a rectangle up to, not including, its second corner.
            let corners = [(-(w / 2), -(h / 2)), (w - w / 2, h - h / 2)];
            let fill = layer.colour.filled();
            chart.draw_series(layer.dots.iter().map(|&(t, neuron)| {
                EmptyElement::at((t, band.y(neuron, layer.size))) + Rectangle::new(corners, fill)
            }))?;
        }
        Ok(())
    }

    /// Integer ticks of neuron indices within each population's band, drawn
    /// by hand: plotters' ticks would be global rows across the bands.
    fn draw_neuron_ticks<DB>(
        &self,
        area: &DrawingArea<DB, Shift>,
        chart: &ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
        layer: &Layer,
        band: &Band,
        band_px: f64,
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let most = ((band_px / 45.0).floor() as usize).max(1);
        let last = i64::from(layer.size.max(1)) - 1;
        let base = area.get_base_pixel();
        let style = text(TICK_SIZE).pos(Pos::new(HPos::Right, VPos::Center));
        let x0 = self.time.at(self.window.from);
        let top = chart.backend_coord(&(x0, band.start + band.height)).1;
        for index in integer_ticks(0, last, most) {
            let (x, y) = chart.backend_coord(&(x0, band.y(index as u32, layer.size)));
            // A label at the band's top would touch the next band's "0".
            if index > 0 && y - top < 14 {
                continue;
            }
            let (x, y) = (x - base.0, y - base.1);
            area.draw(&PathElement::new(vec![(x - 5, y), (x, y)], BLACK))?;
            area.draw(&Text::new(index.to_string(), (x - 8, y), style.clone()))?;
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
        // The bin in a unit of its own: "50 ms bins" on a 10 s axis.
        let bin_unit = TimeAxis::for_span(self.bin);
        let bin = bin_unit.at(self.bin);
        let mut chart = ChartBuilder::on(area)
            .margin_right(MARGIN)
            .margin_bottom(5)
            .caption(
                format!(
                    "mean rate per neuron, {} {} bins",
                    tick(&bin),
                    bin_unit.unit_label
                ),
                text(CAPTION_SIZE),
            )
            .x_label_area_size(X_LABEL_AREA)
            .margin_left(EDGE_GAP)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(self.time.range(self.window.from, self.window.to), 0f64..top)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(self.time.label())
            .y_desc("rate (Hz)")
            .y_labels(4)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .label_style(text(TICK_SIZE))
            .axis_desc_style(text(AXIS_LABEL_SIZE))
            .draw()?;
        for layer in &self.layers {
            chart.draw_series(LineSeries::new(
                layer.rate.iter().copied(),
                layer.colour.stroke_width(BOLD_LINE_WIDTH),
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
        let root = root.titled(&self.title, text(TITLE_SIZE))?;
        let (charts, legend) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
        let (upper, lower) = charts.split_vertically(72.percent_height());
        let (upper_legend, lower_legend) = legend.split_vertically(72.percent_height());
        self.draw_raster(&upper)?;
        self.draw_rates(&lower)?;
        draw_legend(
            &upper_legend,
            30,
            &capped(self.raster_legend(), LEGEND_ROWS / 2),
        )?;
        draw_legend(&lower_legend, 40, &capped(self.rate_legend(), 6))
    }
}

/// Spikes of `train` in the window as (time in s, neuron); a sender
/// outside the population would be drawn over the next one, so is left
/// out.
fn spikes_in(train: &SpikeTrains, dt: f64, window: Window) -> Vec<(f64, u32)> {
    train
        .times(dt)
        .into_iter()
        .zip(train.senders.iter().copied())
        .filter(|&(t, sender)| window.contains(t) && sender < train.size)
        .collect()
}

fn layer(
    train: &SpikeTrains,
    spikes: Vec<(f64, u32)>,
    window: Window,
    bin: f64,
    colour: RGBColor,
    time: TimeAxis,
) -> Layer {
    let rate = if spikes.is_empty() {
        Vec::new()
    } else {
        rate_steps(spikes.iter().map(|&(t, _)| t), train.size, window, bin)
            .into_iter()
            .map(|(t, r)| (time.at(t), r))
            .collect()
    };
    Layer {
        name: train.population.clone(),
        colour,
        size: train.size,
        dots: spikes.iter().map(|&(t, n)| (time.at(t), n)).collect(),
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

/// Mean rate per neuron in each bin as the corners of a step line:
/// (time in s, Hz).
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
        corners.push((start, rate));
        corners.push((end, rate));
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
        // Marks are at most 12 px tall; the legend square is 14.
        let dots = Picture::open(&png).dots([r, g, b], 12);
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
            vec![(0.0, 4.0), (0.5, 4.0), (0.5, 0.0), (1.0, 0.0)]
        );
    }

    #[test]
    fn a_spike_at_the_end_of_the_window_counts() {
        let window = Window { from: 0.0, to: 1.0 };
        let corners = rate_steps(std::iter::once(1.0), 1, window, 0.5);
        assert_eq!(corners[3], (1.0, 2.0));
    }
}
