//! Learning curves: accuracy per training epoch (`spikesim tempotron`), and
//! loss and accuracy of training and test data per epoch (`spikesim
//! train`). Accuracies are drawn in % as the console prints them; the epoch
//! axis has integer ticks only.

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::style::{
    AXIS_LABEL_SIZE, DrawResult, EDGE_GAP, GRID, LEGEND_WIDTH, LINE_WIDTH, LegendEntry, MARGIN,
    Mark, REFERENCE, SIZE, TICK_SIZE, X_LABEL_AREA, Y_LABEL_AREA, colour, draw_legend,
    integer_label_count, integer_tick, text, tick,
};
use super::weights::{MOST_TICKS, titled};
use super::{Figure, PlotError, render};

/// One named curve: accuracy (0 to 1) after each epoch, from epoch 1.
pub struct Curve {
    /// The legend's name for the curve.
    pub label: String,
    /// Accuracy after epoch 1, 2, … as a fraction (0 to 1).
    pub values: Vec<f64>,
}

/// What one epoch of `spikesim train` measured.
#[derive(Debug, Clone, Copy)]
pub struct EpochRecord {
    /// The epoch's number, counted from 1.
    pub epoch: usize,
    /// Mean loss over the training set (dimensionless).
    pub train_loss: f64,
    /// Mean loss over the test set (dimensionless).
    pub test_loss: f64,
    /// Fraction of the training set classified right (0 to 1).
    pub train_accuracy: f64,
    /// Fraction of the test set classified right (0 to 1).
    pub test_accuracy: f64,
}

/// Most epochs drawn with a marker at each; more make a line only.
const MARKED_EPOCHS: usize = 60;
/// Radius of an epoch's marker in pixels.
const MARKER: u32 = 4;
/// The accuracy axis in %, with room for a curve at 100 % to show whole.
const PERCENT: Range<f64> = 0.0..102.0;

/// The epoch axis from `first` to `last` (epoch numbers), half an epoch
/// wider each side so no point sits on the frame, and how many tick labels
/// to ask plotters for so that it picks whole epochs only.
fn epoch_axis(first: usize, last: usize) -> (Range<f64>, usize) {
    let (first, last) = (first as f64, (last.max(first)) as f64);
    let count = integer_label_count(&(first..last), MOST_TICKS);
    (first - 0.5..last + 0.5, count)
}

/// Percent for a fraction.
fn percent(fraction: f64) -> f64 {
    100.0 * fraction
}

/// Draw accuracy curves with the chance level, and horizontal reference
/// lines (e.g. a final read-out's accuracy); accuracies are fractions, drawn
/// in %.
pub fn accuracy(
    path: &Path,
    title: &str,
    curves: &[Curve],
    references: &[(String, f64)],
) -> Result<(), PlotError> {
    render(
        path,
        &AccuracyFigure {
            title: title.to_string(),
            curves,
            references,
        },
    )
}

struct AccuracyFigure<'a> {
    title: String,
    curves: &'a [Curve],
    references: &'a [(String, f64)],
}

impl AccuracyFigure<'_> {
    fn epochs(&self) -> usize {
        self.curves
            .iter()
            .map(|c| c.values.len())
            .max()
            .unwrap_or(1)
            .max(1)
    }

    fn draw_chart<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let epochs = self.epochs();
        let (x, ticks) = epoch_axis(1, epochs);
        let (left, right) = (x.start, x.end);
        let mut chart = ChartBuilder::on(area)
            .margin_top(MARGIN)
            .margin_right(MARGIN)
            .margin_left(EDGE_GAP)
            .margin_bottom(MARGIN)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(x, PERCENT)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_desc("epoch")
            .y_desc("accuracy (%)")
            .x_labels(ticks)
            .x_label_formatter(&integer_tick)
            .y_label_formatter(&tick)
            .label_style(text(TICK_SIZE))
            .axis_desc_style(text(AXIS_LABEL_SIZE))
            .draw()?;
        let n = self.curves.len();
        for (j, (_, level)) in self.references.iter().enumerate() {
            let ends = [(left, percent(*level)), (right, percent(*level))];
            chart.draw_series(DashedLineSeries::new(
                ends,
                10,
                6,
                colour(n + j).stroke_width(2),
            ))?;
        }
        let chance = [(left, 50.0), (right, 50.0)];
        chart.draw_series(DashedLineSeries::new(
            chance,
            10,
            6,
            REFERENCE.stroke_width(1),
        ))?;
        for (i, c) in self.curves.iter().enumerate() {
            let points: Vec<(f64, f64)> = c
                .values
                .iter()
                .enumerate()
                .map(|(e, &a)| (e as f64 + 1.0, percent(a)))
                .collect();
            draw_curve(&mut chart, &points, colour(i))?;
        }
        Ok(())
    }

    fn legend(&self) -> Vec<LegendEntry> {
        let n = self.curves.len();
        let curves = self.curves.iter().enumerate().map(|(i, c)| LegendEntry {
            label: c.label.clone(),
            colour: colour(i),
            mark: Mark::Line,
        });
        let refs = self
            .references
            .iter()
            .enumerate()
            .map(|(j, (label, _))| LegendEntry {
                label: label.clone(),
                colour: colour(n + j),
                mark: Mark::Dashed,
            });
        let chance = std::iter::once(LegendEntry {
            label: "chance".into(),
            colour: BLACK,
            mark: Mark::Dashed,
        });
        curves.chain(refs).chain(chance).collect()
    }
}

/// A curve through its epochs' points, with a marker at each when there
/// are few enough to tell apart. One pixel wide: plotters draws wider
/// lines as polygons whose width varies from segment to segment.
fn draw_curve<DB>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    points: &[(f64, f64)],
    colour: RGBColor,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let finite: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.1.is_finite()).collect();
    chart.draw_series(LineSeries::new(
        finite.iter().copied(),
        colour.stroke_width(LINE_WIDTH),
    ))?;
    if finite.len() <= MARKED_EPOCHS {
        chart.draw_series(
            finite
                .iter()
                .map(|&p| Circle::new(p, MARKER, colour.filled())),
        )?;
    }
    Ok(())
}

impl Figure for AccuracyFigure<'_> {
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let root = titled(root, &self.title)?;
        let (chart, legend) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
        self.draw_chart(&chart)?;
        draw_legend(&legend, 40, &self.legend())
    }
}

/// Loss and accuracy (in %) of the training and the test set per epoch,
/// side by side, in the style of every other plot.
pub fn training(path: &Path, title: &str, history: &[EpochRecord]) -> Result<(), PlotError> {
    render(
        path,
        &TrainingFigure {
            title: title.to_string(),
            history,
        },
    )
}

struct TrainingFigure<'a> {
    title: String,
    history: &'a [EpochRecord],
}

/// One panel of the training figure: what it shows and how to read it off
/// an epoch.
struct Panel {
    y_label: &'static str,
    range: Range<f64>,
    train: fn(&EpochRecord) -> f64,
    test: fn(&EpochRecord) -> f64,
}

impl TrainingFigure<'_> {
    fn panels(&self) -> [Panel; 2] {
        let loss = self
            .history
            .iter()
            .flat_map(|m| [m.train_loss, m.test_loss])
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max)
            .max(1e-3);
        [
            Panel {
                y_label: "loss",
                range: 0.0..loss * 1.05,
                train: |m| m.train_loss,
                test: |m| m.test_loss,
            },
            Panel {
                y_label: "accuracy (%)",
                range: PERCENT,
                train: |m| percent(m.train_accuracy),
                test: |m| percent(m.test_accuracy),
            },
        ]
    }

    fn draw_panel<DB>(&self, area: &DrawingArea<DB, Shift>, panel: &Panel) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let first = self.history.iter().map(|m| m.epoch).min().unwrap_or(1);
        let last = self.history.iter().map(|m| m.epoch).max().unwrap_or(1);
        let (x, ticks) = epoch_axis(first, last);
        let mut chart = ChartBuilder::on(area)
            .margin_top(MARGIN)
            .margin_right(MARGIN)
            .margin_left(EDGE_GAP)
            .margin_bottom(MARGIN)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(x, panel.range.clone())?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_desc("epoch")
            .y_desc(panel.y_label)
            .x_labels(ticks)
            .x_label_formatter(&integer_tick)
            .y_label_formatter(&tick)
            .label_style(text(TICK_SIZE))
            .axis_desc_style(text(AXIS_LABEL_SIZE))
            .draw()?;
        for (i, pick) in [panel.train, panel.test].into_iter().enumerate() {
            let points: Vec<(f64, f64)> = self
                .history
                .iter()
                .map(|m| (m.epoch as f64, pick(m)))
                .collect();
            draw_curve(&mut chart, &points, colour(i))?;
        }
        Ok(())
    }
}

impl Figure for TrainingFigure<'_> {
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let root = titled(root, &self.title)?;
        let (charts, legend) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
        let width = charts.dim_in_pixel().0;
        let (loss, acc) = charts.split_horizontally(width / 2);
        let [loss_panel, acc_panel] = self.panels();
        self.draw_panel(&loss, &loss_panel)?;
        self.draw_panel(&acc, &acc_panel)?;
        let entries = ["training set", "test set"].map(|label| label.to_string());
        let entries: Vec<LegendEntry> = entries
            .into_iter()
            .enumerate()
            .map(|(i, label)| LegendEntry {
                label,
                colour: colour(i),
                mark: Mark::Line,
            })
            .collect();
        draw_legend(&legend, 40, &entries)
    }
}

#[cfg(test)]
mod tests {
    use super::super::png::{Axis, Picture};
    use super::*;

    /// A rising curve, a flat one and a reference level: the rising
    /// curve's ends calibrate both axes; its inner epochs, the flat curve
    /// and the dashed level must then sit where their values map, and the
    /// rising curve must climb from epoch to epoch.
    #[test]
    fn curves_and_levels_sit_at_their_accuracies() {
        let rising = vec![0.5, 0.6, 0.8, 0.9, 0.95];
        let curves = [
            Curve {
                label: "rising".into(),
                values: rising.clone(),
            },
            Curve {
                label: "flat".into(),
                values: vec![0.3; 5],
            },
        ];
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("acc.png");
        accuracy(&png, "t", &curves, &[("level".into(), 0.7)]).unwrap();

        let picture = Picture::open(&png);
        let [blue, red, green] = [0, 1, 2].map(|i| {
            let RGBColor(r, g, b) = colour(i);
            [r, g, b]
        });
        // The curve's ends are the markers' outer edges at epochs 1 and 5
        // (the line is anti-aliased: its columns are found by their ink).
        let curve = picture.curve(blue);
        let (x0, x1) = (curve[0].0, curve[curve.len() - 1].0);
        let r = f64::from(MARKER);
        let epoch = Axis::through((1.0, f64::from(x0) + r), (5.0, f64::from(x1) - r));
        let y = |c: [u8; 3], e: f64| picture.stroke_mid(c, epoch.pixel(e)).unwrap();
        let acc = Axis::through((0.5, y(blue, 1.0)), (0.95, y(blue, 5.0)));
        let ys: Vec<f64> = (1..=5).map(|e| y(blue, f64::from(e))).collect();
        assert!(ys.windows(2).all(|w| w[1] < w[0] - 10.0), "{ys:?}");
        for (e, &value) in rising.iter().enumerate() {
            assert!((ys[e] - acc.pixel(value)).abs() <= 2.0, "epoch {e}: {ys:?}");
        }
        for e in [1.0, 3.0, 5.0] {
            let at = y(red, e);
            assert!((at - acc.pixel(0.3)).abs() <= 2.0, "flat at {at}");
        }
        let dashes: Vec<f64> = picture
            .pixels_of(green)
            .into_iter()
            .filter(|p| (x0..=x1).contains(&p.0))
            .map(|p| f64::from(p.1))
            .collect();
        let level = dashes.iter().sum::<f64>() / dashes.len() as f64;
        assert!(
            dashes.len() > 100 && (level - acc.pixel(0.7)).abs() <= 2.0,
            "level at {level}, 0.7 maps to {}",
            acc.pixel(0.7)
        );
    }
}
