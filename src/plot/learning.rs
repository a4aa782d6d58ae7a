//! Learning curves: accuracy per training epoch (`spikesim tempotron`).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    DrawResult, Figure, LEGEND_WIDTH, LegendEntry, Mark, PlotError, SIZE, Y_LABEL_AREA, colour,
    draw_legend, render, text, tick,
};

/// One named curve: accuracy (0..1) after each epoch, from epoch 1.
pub struct Curve {
    pub label: String,
    pub values: Vec<f64>,
}

/// Draw accuracy curves with the chance level, and horizontal reference
/// lines (e.g. a final read-out's accuracy).
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
    fn epochs(&self) -> f64 {
        self.curves
            .iter()
            .map(|c| c.values.len())
            .max()
            .unwrap_or(1)
            .max(2) as f64
    }

    fn draw_chart<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let epochs = self.epochs();
        let mut chart = ChartBuilder::on(area)
            .margin_top(10)
            .margin_right(20)
            .margin_bottom(5)
            .x_label_area_size(50)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(1.0..epochs, 0.0..1.02)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(235, 235, 235))
            .x_desc("epoch")
            .y_desc("accuracy")
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .label_style(text(15))
            .axis_desc_style(text(18))
            .draw()?;
        for (i, c) in self.curves.iter().enumerate() {
            let points = c
                .values
                .iter()
                .enumerate()
                .map(|(e, &a)| (e as f64 + 1.0, a));
            chart.draw_series(LineSeries::new(points, colour(i).stroke_width(2)))?;
        }
        let n = self.curves.len();
        for (j, (_, level)) in self.references.iter().enumerate() {
            let ends = [(1.0, *level), (epochs, *level)];
            chart.draw_series(DashedLineSeries::new(
                ends,
                10,
                6,
                colour(n + j).stroke_width(2),
            ))?;
        }
        let chance = [(1.0, 0.5), (epochs, 0.5)];
        chart.draw_series(DashedLineSeries::new(chance, 10, 6, BLACK.stroke_width(1)))?;
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

impl Figure for AccuracyFigure<'_> {
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
        let line = picture.line(blue, 100);
        let epoch = Axis::through((1.0, line.x0.into()), (5.0, line.x1.into()));
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
            .filter(|p| (line.x0..=line.x1).contains(&p.0))
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
