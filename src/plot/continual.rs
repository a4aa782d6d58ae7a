//! Continual-learning plots: the accuracy matrix R as a heatmap, and the
//! per-task accuracy over training (forgetting curves).

use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    AXIS_LABEL_SIZE, DrawResult, EDGE_GAP, GRID, LEGEND_WIDTH, LINE_WIDTH, LegendEntry, MARGIN,
    Mark, PALETTE, SIZE, TICK_SIZE, X_LABEL_AREA, Y_LABEL_AREA, colour, draw_legend,
    integer_label_count, integer_tick, text, tick,
};
use super::weights::{MOST_TICKS, titled};
use super::{Figure, PlotError, render};
use crate::learn::continual::{AccuracyMatrix, ForgettingCurves};

/// R[i, j] as coloured cells with the accuracy in %; the title gets ACC and
/// BWT appended when the matrix has them.
pub fn accuracy_matrix(path: &Path, title: &str, r: &AccuracyMatrix) -> Result<(), PlotError> {
    let title = match (r.acc(), r.bwt()) {
        (Ok(acc), Ok(bwt)) => format!(
            "{title} (ACC {:.1} %, BWT {:.1} %)",
            100.0 * acc,
            100.0 * bwt
        ),
        _ => title.to_string(),
    };
    render(path, &Heatmap { title, r })
}

/// Accuracy on every task over training, with dashed task boundaries.
pub fn forgetting_curves(
    path: &Path,
    title: &str,
    curves: &ForgettingCurves,
) -> Result<(), PlotError> {
    let tasks = curves.accuracy.first().map_or(0, Vec::len);
    if curves.progress.is_empty() || tasks == 0 {
        return Err(PlotError::Draw {
            path: path.to_path_buf(),
            message: "no accuracy recorded during training".into(),
        });
    }
    render(
        path,
        &Curves {
            title: title.to_string(),
            curves,
            tasks,
        },
    )
}

struct Heatmap<'a> {
    title: String,
    r: &'a AccuracyMatrix,
}

/// White (0) to dark blue (1).
fn shade(accuracy: f64) -> RGBColor {
    let a = accuracy.clamp(0.0, 1.0);
    let mix = |from: f64, to: f64| (from + (to - from) * a).round() as u8;
    RGBColor(mix(247.0, 8.0), mix(251.0, 48.0), mix(255.0, 107.0))
}

/// Fill of a cell not measured (task not trained yet).
const UNTESTED: RGBColor = RGBColor(225, 225, 225);
/// Blank margin round the heatmap, in pixels: no cell or label touches the
/// image's edge.
const HEATMAP_MARGIN: u32 = 30;
/// Width of the colour bar's column (bar, ticks and label), in pixels.
const BAR_COLUMN: u32 = 190;
/// Steps of the colour bar, one per percent.
const BAR_STEPS: u32 = 100;

impl Heatmap<'_> {
    fn draw_cells<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let t = self.r.tasks() as i32;
        // Row i is drawn at y = T − 1 − i, so task 0 is on top. Integer
        // ranges include their end, so `0..T−1` makes T cells.
        let flip = move |y: i32| t - 1 - y;
        let mut chart = ChartBuilder::on(area)
            .margin(HEATMAP_MARGIN)
            .x_label_area_size(60)
            .y_label_area_size(Y_LABEL_AREA + 40)
            .build_cartesian_2d((0..t - 1).into_segmented(), (0..t - 1).into_segmented())?;
        // Only the cells' centres are labelled (the segmented axis also
        // offers the end of the range).
        let centre = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(x) if (0..t).contains(x) => x.to_string(),
            _ => String::new(),
        };
        let centre_flipped = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(y) if (0..t).contains(y) => flip(*y).to_string(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("evaluated task j")
            .y_desc("after training task i")
            .x_label_formatter(&centre)
            .y_label_formatter(&centre_flipped)
            .label_style(text(TICK_SIZE))
            .axis_desc_style(text(AXIS_LABEL_SIZE))
            .draw()?;
        let label = |v: f64| {
            let ink: &RGBColor = if v > 0.55 { &WHITE } else { &BLACK };
            text(if t > 12 { 11 } else { 16 })
                .color(ink)
                .pos(Pos::new(HPos::Center, VPos::Center))
        };
        for i in 0..t {
            for j in 0..t {
                let v = self.r.get(i as usize, j as usize);
                let y = flip(i);
                let fill = if v.is_nan() { UNTESTED } else { shade(v) };
                let corners = [
                    (SegmentValue::Exact(j), SegmentValue::Exact(y)),
                    (SegmentValue::Exact(j + 1), SegmentValue::Exact(y + 1)),
                ];
                chart.draw_series(std::iter::once(Rectangle::new(corners, fill.filled())))?;
                if !v.is_nan() {
                    let at = (SegmentValue::CenterOf(j), SegmentValue::CenterOf(y));
                    chart.draw_series(std::iter::once(Text::new(
                        format!("{:.0}", 100.0 * v),
                        at,
                        label(v),
                    )))?;
                }
            }
        }
        Ok(())
    }

    /// The colour bar: the shades from 0 % at the bottom to 100 % at the
    /// top with ticks in %, and under it the grey of untested cells when
    /// the matrix has any.
    fn draw_bar<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let (_, height) = area.dim_in_pixel();
        let (bar, note) = area.split_vertically(height.saturating_sub(70));
        let mut chart = ChartBuilder::on(&bar)
            .margin_top(HEATMAP_MARGIN + 10)
            .margin_bottom(30)
            .margin_left(10)
            .margin_right(HEATMAP_MARGIN)
            .right_y_label_area_size(90)
            .build_cartesian_2d(0.0..1.0, 0.0..100.0)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_desc("accuracy (%)")
            .y_labels(6)
            .y_label_formatter(&tick)
            .label_style(text(TICK_SIZE))
            .axis_desc_style(text(AXIS_LABEL_SIZE))
            .draw()?;
        let step = 100.0 / f64::from(BAR_STEPS);
        chart.draw_series((0..BAR_STEPS).map(|k| {
            let low = f64::from(k) * step;
            Rectangle::new(
                [(0.0, low), (1.0, low + step)],
                shade((low + step / 2.0) / 100.0).filled(),
            )
        }))?;
        let untested =
            (0..self.r.tasks()).any(|i| (0..self.r.tasks()).any(|j| self.r.get(i, j).is_nan()));
        if untested {
            let entry = LegendEntry {
                label: "not trained yet".into(),
                colour: UNTESTED,
                mark: Mark::Square,
            };
            draw_legend(&note, 20, &[entry])?;
        }
        Ok(())
    }
}

impl Figure for Heatmap<'_> {
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let root = titled(root, &self.title)?;
        let (cells, bar) = root.split_horizontally(SIZE.0 - BAR_COLUMN);
        self.draw_cells(&cells)?;
        self.draw_bar(&bar)
    }
}

struct Curves<'a> {
    title: String,
    curves: &'a ForgettingCurves,
    tasks: usize,
}

impl Curves<'_> {
    fn draw_chart<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let progress = &self.curves.progress;
        let first = progress.iter().copied().fold(f64::INFINITY, f64::min);
        let last = progress.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (from, to) = if last > first {
            (first.min(0.0), last)
        } else {
            (first - 0.5, first + 0.5)
        };
        let ticks = integer_label_count(&(from..to), MOST_TICKS);
        let mut chart = ChartBuilder::on(area)
            .margin_top(MARGIN)
            .margin_right(MARGIN)
            .margin_left(EDGE_GAP)
            .margin_bottom(MARGIN)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(from..to, 0.0..102.0)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_desc("training progress (tasks trained)")
            .y_desc("accuracy (%)")
            .x_labels(ticks)
            .x_label_formatter(&integer_tick)
            .y_label_formatter(&tick)
            .label_style(text(TICK_SIZE))
            .axis_desc_style(text(AXIS_LABEL_SIZE))
            .draw()?;
        for &b in &self.curves.boundaries {
            chart.draw_series(DashedLineSeries::new(
                [(b, 0.0), (b, 102.0)],
                8,
                6,
                BLACK.stroke_width(1),
            ))?;
        }
        for task in 0..self.tasks {
            let points: Vec<(f64, f64)> = progress
                .iter()
                .zip(&self.curves.accuracy)
                .filter_map(|(&p, a)| a.get(task).filter(|v| !v.is_nan()).map(|&v| (p, 100.0 * v)))
                .collect();
            let style = colour(task).stroke_width(LINE_WIDTH);
            if repeats_a_colour(task) {
                chart.draw_series(DashedLineSeries::new(points.iter().copied(), 8, 4, style))?;
            } else {
                chart.draw_series(LineSeries::new(points.iter().copied(), style))?;
            }
            chart.draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, 3, colour(task).filled())),
            )?;
        }
        Ok(())
    }

    fn legend(&self) -> Vec<LegendEntry> {
        (0..self.tasks)
            .map(|t| LegendEntry {
                label: format!("task {t}"),
                colour: colour(t),
                mark: if repeats_a_colour(t) {
                    Mark::Dashed
                } else {
                    Mark::Line
                },
            })
            .chain(std::iter::once(LegendEntry {
                label: "task boundary".into(),
                colour: BLACK,
                mark: Mark::Dashed,
            }))
            .collect()
    }
}

/// Whether task `t`'s curve reuses an earlier task's colour (the palette has
/// run out): it is then dashed, in the legend too, so the two stay apart.
fn repeats_a_colour(t: usize) -> bool {
    t >= PALETTE.len()
}

impl Figure for Curves<'_> {
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

#[cfg(test)]
mod tests {
    use super::super::png::Picture;
    use super::super::test_support::PNG_MAGIC;
    use super::*;

    const N: f64 = f64::NAN;

    /// The heatmap's cells, found by their fill colours (whatever the
    /// palette): a 3 x 3 grid, task 0's row on top, the untested cells
    /// (NaN) in one grey, and the measured cells darker the higher their
    /// accuracy.
    #[test]
    fn heatmap_cells_darken_with_accuracy_in_their_places() {
        let values = [[0.95, N, N], [0.60, 0.93, N], [0.41, 0.70, 0.96]];
        let r = AccuracyMatrix::from_rows(&values.map(|row| row.to_vec())).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("r.png");
        accuracy_matrix(&png, "fine-tune", &r).unwrap();

        let picture = Picture::open(&png);
        // The cells are the large blobs of any colour but the white
        // background; together they span the 3 x 3 grid.
        let blobs: Vec<_> = picture
            .colours(2000)
            .into_iter()
            .filter(|&(c, _)| c != [255, 255, 255])
            .flat_map(|(c, _)| picture.blobs(c))
            .filter(|b| b.pixels.len() >= 2000)
            .collect();
        let x0 = blobs.iter().map(|b| b.x0).min().unwrap();
        let x1 = blobs.iter().map(|b| b.x1).max().unwrap();
        let y0 = blobs.iter().map(|b| b.y0).min().unwrap();
        let y1 = blobs.iter().map(|b| b.y1).max().unwrap();
        let (w, h) = (f64::from(x1 - x0 + 1) / 3.0, f64::from(y1 - y0 + 1) / 3.0);
        assert!(w > 50.0 && h > 50.0, "grid {w} x {h}");
        let mut by_value = Vec::new();
        let mut grey = std::collections::HashSet::new();
        for (i, row) in values.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                // A point of the cell clear of its centred label; pixel rows
                // grow downwards, so task 0 is the top row.
                let x = f64::from(x0) + (j as f64 + 0.2) * w;
                let y = f64::from(y0) + (i as f64 + 0.2) * h;
                let fill = picture.at(x as u32, y as u32);
                // The fill covers the cell (bar its label).
                let area = picture
                    .blobs(fill)
                    .into_iter()
                    .find(|b| b.pixels.contains(&(x as u32, y as u32)))
                    .map_or(0, |b| b.pixels.len());
                assert!(area as f64 > 0.7 * w * h, "cell ({i}, {j}): {area} px");
                if v.is_nan() {
                    grey.insert(fill);
                } else {
                    let luminance: f64 = fill.iter().map(|&c| f64::from(c)).sum();
                    by_value.push((v, luminance));
                }
            }
        }
        assert_eq!(grey.len(), 1, "untested cells share one grey: {grey:?}");
        assert_eq!(by_value.len(), 6);
        by_value.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(
            by_value.windows(2).all(|w| w[1].1 < w[0].1),
            "darker with accuracy: {by_value:?}"
        );
    }

    #[test]
    fn draws_the_heatmap_and_the_forgetting_curves() {
        let dir = tempfile::tempdir().unwrap();
        let r = AccuracyMatrix::from_rows(&[
            vec![0.95, N, N],
            vec![0.60, 0.93, N],
            vec![0.41, 0.70, 0.96],
        ])
        .unwrap();
        let png = dir.path().join("r.png");
        accuracy_matrix(&png, "fine-tune", &r).unwrap();
        assert!(std::fs::read(&png).unwrap().starts_with(PNG_MAGIC));
        let svg = dir.path().join("r.svg");
        accuracy_matrix(&svg, "fine-tune", &r).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        // ACC = (41 + 70 + 96) / 3 = 69.0 %, BWT = ((41 − 95) + (70 − 93)) / 2 = −38.5 %.
        assert!(text.contains("ACC 69.0 %, BWT -38.5 %"), "title missing");
        let labels: Vec<&str> = text
            .split("</text>")
            .filter_map(|t| t.rsplit('>').next())
            .map(str::trim)
            .collect();
        for cell in ["95", "60", "93", "41", "70", "96"] {
            assert!(labels.contains(&cell), "cell {cell} missing: {labels:?}");
        }
        // Tasks 0..2 label both axes of the cells, nothing else; the colour
        // bar, drawn after them, reads 0 to 100 %.
        let bar = labels.iter().position(|&l| l == "accuracy (%)").unwrap();
        let ticks = labels[..bar]
            .iter()
            .filter(|l| l.len() == 1 || l.starts_with('-'))
            .count();
        assert_eq!(ticks, 6, "{labels:?}");
        assert_eq!(
            labels[bar + 1..bar + 7],
            ["0", "20", "40", "60", "80", "100"],
            "{labels:?}"
        );

        let mut curves = ForgettingCurves {
            boundaries: vec![1.0, 2.0],
            ..Default::default()
        };
        curves.record(1.0, vec![0.95, N, N]);
        curves.record(2.0, vec![0.60, 0.93, N]);
        curves.record(3.0, vec![0.41, 0.70, 0.96]);
        let path = dir.path().join("f.png");
        forgetting_curves(&path, "fine-tune", &curves).unwrap();
        assert!(std::fs::read(&path).unwrap().starts_with(PNG_MAGIC));
        let empty = forgetting_curves(&dir.path().join("e.png"), "x", &ForgettingCurves::default());
        assert!(matches!(empty, Err(PlotError::Draw { .. })));
        assert!(!dir.path().join("e.png").exists());
    }
}
