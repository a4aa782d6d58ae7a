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
