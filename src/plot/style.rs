//! The one plotting style every plot kind shares: figure size, fonts and
//! their sizes, margins, the palette, line widths, and the helpers that
//! keep axes alike from plot to plot (the time-axis rule, readable units,
//! integer ticks, the legend column).
//!
//! A plot kind takes its numbers from here rather than writing its own, so
//! that a raster, a potential plot and a learning curve put side by side in
//! a paper look like one family.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::font;

/// Result of drawing on a plotters backend.
pub(crate) type DrawResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

// ---------------------------------------------------------------- sizes

/// Size of every plot in pixels (width, height).
pub const SIZE: (u32, u32) = (1200, 800);
/// Width in pixels of the column right of the charts that holds the
/// legend, so that a legend never covers data.
pub const LEGEND_WIDTH: u32 = 215;
/// Width in pixels of the area left of a chart holding the y tick labels
/// and the y axis label; shared by stacked charts so their axes line up.
/// Wide enough for "-0.005" and the rotated axis label with a gap to the
/// image's left edge.
pub const Y_LABEL_AREA: u32 = 95;
/// Height in pixels of the area below a chart holding the x tick labels and
/// the x axis label.
pub const X_LABEL_AREA: u32 = 55;
/// Blank margin in pixels around every chart (top and right; the label
/// areas make the left and bottom ones).
pub const MARGIN: u32 = 15;
/// Gap in pixels between the image's left edge and the y axis label, kept
/// free by every chart.
pub const EDGE_GAP: u32 = 8;

/// Font family every text of the plots uses (the embedded font, see
/// `font.rs`).
pub const FONT_FAMILY: &str = font::FAMILY;
/// Font size in pixels of a figure's title.
pub const TITLE_SIZE: u32 = 26;
/// Font size in pixels of a chart caption (a panel's subtitle).
pub const CAPTION_SIZE: u32 = 17;
/// Font size in pixels of an axis label ("time (ms)").
pub const AXIS_LABEL_SIZE: u32 = 18;
/// Font size in pixels of tick labels.
pub const TICK_SIZE: u32 = 15;
/// Font size in pixels of legend entries.
pub const LEGEND_SIZE: u32 = 16;

/// Line width in pixels of a data series (one pixel: plotters turns wider
/// lines into one polygon whose joins shoot across the image where a trace
/// reverses sharply, as a membrane potential does at every reset).
pub const LINE_WIDTH: u32 = 1;
/// Line width in pixels of a series meant to stand out (a mean, a rate).
pub const BOLD_LINE_WIDTH: u32 = 2;
/// Colour of the grid lines.
pub const GRID: RGBColor = RGBColor(232, 232, 232);
/// Colour of separators between stacked bands (populations of a raster).
pub const SEPARATOR: RGBColor = RGBColor(190, 190, 190);
/// Colour of reference lines (threshold, chance level, means).
pub const REFERENCE: RGBColor = BLACK;
/// Colour of text saying that something is absent ("no spikes").
pub const MUTED: RGBColor = RGBColor(110, 110, 110);

/// The Okabe-Ito palette (Okabe & Ito 2008), safe for the common kinds of
/// colour blindness, in the order its colours are told apart best on
/// white; black is left out (it is the colour of reference lines) and
/// yellow comes last (it is faint on white), followed by a neutral grey.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(240, 228, 66),  // yellow
    RGBColor(120, 120, 120), // grey
];

/// The colour of the `index`th series; the palette repeats after its end.
pub fn colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// Text of `size` pixels in the plots' font.
pub fn text(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT_FAMILY, size).into_font())
}

// ---------------------------------------------------------------- time axis

/// Windows shorter than this (in seconds) are shown in ms, longer ones in s:
/// the one rule of every plot with a time axis.
pub const MS_BELOW: f64 = 2.0;

/// How a time axis shows its times: `seconds * scale` in `unit_label`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeAxis {
    /// The unit written on the axis: "ms" or "s".
    pub unit_label: &'static str,
    /// Factor from seconds to the shown unit (1e3 for ms, 1 for s).
    pub scale: f64,
}

impl TimeAxis {
    /// The axis for a shown window of `span` seconds: ms below
    /// [`MS_BELOW`], s from there on.
    pub fn for_span(span: f64) -> Self {
        if span < MS_BELOW {
            Self {
                unit_label: "ms",
                scale: 1e3,
            }
        } else {
            Self {
                unit_label: "s",
                scale: 1.0,
            }
        }
    }

    /// The axis for the window from `from` to `to` seconds.
    pub fn for_window(from: f64, to: f64) -> Self {
        Self::for_span(to - from)
    }

    /// A time in seconds in the axis' unit.
    pub fn at(&self, seconds: f64) -> f64 {
        seconds * self.scale
    }

    /// The window from `from` to `to` seconds in the axis' unit.
    pub fn range(&self, from: f64, to: f64) -> std::ops::Range<f64> {
        self.at(from)..self.at(to)
    }

    /// The axis label, "time (ms)" or "time (s)".
    pub fn label(&self) -> String {
        format!("time ({})", self.unit_label)
    }
}

// ---------------------------------------------------------------- quantities

/// SI prefixes from giga to femto: (factor, symbol).
const PREFIXES: [(f64, &str); 9] = [
    (1e9, "G"),
    (1e6, "M"),
    (1e3, "k"),
    (1.0, ""),
    (1e-3, "m"),
    (1e-6, "µ"),
    (1e-9, "n"),
    (1e-12, "p"),
    (1e-15, "f"),
];

/// The scale and unit label that show `values_si`, given in the SI unit
/// `quantity` (as the results file stores it: "V", "A", "S", "mol/m^3",
/// "Hz", "s", "" ...), with numbers of 1 to 3 digits before the point:
/// volts as mV, currents as pA or nA, conductances as nS, concentrations
/// as µM or nM (1 mol/m^3 = 1 mM). The shown value is `value * scale`.
///
/// Membrane potentials stay in mV even when all are below 1 mV, as readers
/// expect; an unknown or empty unit is shown as it is with scale 1.
pub fn readable(values_si: &[f64], quantity: &str) -> (f64, String) {
    let largest = values_si
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    // Unit shown with a prefix, and the factor from the SI unit to it.
    let (base, to_base) = match quantity {
        "V" | "A" | "S" | "F" | "Ohm" | "Ω" | "s" | "W" | "J" | "C" => (quantity, 1.0),
        "mol/m^3" | "mol/m³" | "mM" => ("M", 1e-3),
        "M" | "mol/l" | "mol/L" => ("M", 1.0),
        "Hz" => return (1.0, "Hz".into()),
        _ => return (1.0, quantity.to_string()),
    };
    if quantity == "V" && largest < 1.0 {
        return (1e3, "mV".into());
    }
    if largest == 0.0 {
        return (to_base, base.to_string());
    }
    let in_base = largest * to_base;
    // The largest prefix with at least 1 of it in the largest value: 1 to
    // 999 of it. (A tiny tolerance keeps 1e-9 A as 1 nA, not 1000 pA.)
    let (factor, symbol) = PREFIXES
        .iter()
        .copied()
        .find(|&(factor, _)| in_base >= factor * (1.0 - 1e-9))
        .unwrap_or(PREFIXES[PREFIXES.len() - 1]);
    (to_base / factor, format!("{symbol}{base}"))
}

/// "name (unit)", or the bare name for a unitless quantity: an axis label.
pub fn axis_label(name: &str, unit: &str) -> String {
    if unit.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({unit})")
    }
}

// ---------------------------------------------------------------- ticks

/// Axis numbers without the trailing zeros plotters would print ("100"
/// rather than "100.0"), in exponent form for magnitudes the readable
/// units did not bring to 0.01..1e6.
pub fn tick(value: &f64) -> String {
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

/// Tick label of an integer axis (epochs, neuron indices): the integer, or
/// nothing at a fractional value, so that no "0.5" or repeated "1 1 1"
/// appears.
pub fn integer_tick(value: &f64) -> String {
    let rounded = value.round();
    if (value - rounded).abs() < 1e-9 {
        format!("{}", rounded as i64)
    } else {
        String::new()
    }
}

/// How many labels to ask plotters for (`x_labels`/`y_labels`) on an
/// integer axis spanning `range`, so that the ticks it picks are integers:
/// plotters steps by 1, 2 or 5 times a power of ten and takes the finest
/// step giving at most this many labels, which is never finer than 1 when
/// there are no more labels than integers in the range. At most `most`.
pub fn integer_label_count(range: &std::ops::Range<f64>, most: usize) -> usize {
    let span = (range.end - range.start).abs();
    let integers = span.floor() as usize + 1;
    integers.clamp(1, most.max(1))
}

/// Integer ticks from `low` to `high` (both included when they are ticks):
/// a step of 1, 2 or 5 times a power of ten giving at most `most` ticks.
/// For axes drawn by hand, like the raster's per-population neuron index.
pub fn integer_ticks(low: i64, high: i64, most: usize) -> Vec<i64> {
    if high < low {
        return Vec::new();
    }
    let most = most.max(1) as i64;
    let mut step = 1i64;
    'search: loop {
        for multiple in [1, 2, 5] {
            let candidate = step * multiple;
            let first = low.div_euclid(candidate) * candidate;
            let first = if first < low {
                first + candidate
            } else {
                first
            };
            let count = if first > high {
                0
            } else {
                (high - first) / candidate + 1
            };
            if count <= most {
                step = candidate;
                break 'search;
            }
        }
        step *= 10;
    }
    let first = low.div_euclid(step) * step;
    let first = if first < low { first + step } else { first };
    (0..)
        .map(|k| first + k * step)
        .take_while(|&t| t <= high)
        .collect()
}

// ---------------------------------------------------------------- legend

/// How a legend entry shows its series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    /// A filled square: bars, areas, raster marks.
    Square,
    /// A solid line of the series' width: a line series.
    Line,
    /// A dashed line: a reference line (threshold, chance level).
    Dashed,
    /// No mark: a note ("first 5 of 80 neurons", "12 more").
    Note,
}

/// One entry of a legend: a mark of a series' colour and its label.
#[derive(Debug, Clone)]
pub struct LegendEntry {
    /// The text beside the mark.
    pub label: String,
    /// The series' colour.
    pub colour: RGBColor,
    /// How the mark is drawn.
    pub mark: Mark,
}

impl LegendEntry {
    /// An entry of a line series.
    pub fn line(label: impl Into<String>, colour: RGBColor) -> Self {
        Self {
            label: label.into(),
            colour,
            mark: Mark::Line,
        }
    }

    /// An entry of a filled series (bars, raster marks).
    pub fn square(label: impl Into<String>, colour: RGBColor) -> Self {
        Self {
            label: label.into(),
            colour,
            mark: Mark::Square,
        }
    }

    /// An entry of a dashed reference line.
    pub fn dashed(label: impl Into<String>, colour: RGBColor) -> Self {
        Self {
            label: label.into(),
            colour,
            mark: Mark::Dashed,
        }
    }

    /// A line of text without a mark.
    pub fn note(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            colour: MUTED,
            mark: Mark::Note,
        }
    }
}

/// At most `most` entries: the first `most - 1` of `entries` and an
/// "n more" note for the rest, so a legend of 20 series stays one column
/// without swatches of colours the palette repeats.
pub fn capped(mut entries: Vec<LegendEntry>, most: usize) -> Vec<LegendEntry> {
    if entries.len() <= most || most == 0 {
        return entries;
    }
    let rest = entries.len() - (most - 1);
    entries.truncate(most - 1);
    entries.push(LegendEntry::note(format!("{rest} more")));
    entries
}

/// Most entries a legend column holds at the plot's size.
pub const LEGEND_ROWS: usize = 20;
/// Height in pixels of one legend entry.
pub const LEGEND_ROW_HEIGHT: i32 = 26;
/// Longest label the legend column fits, in characters.
pub const LEGEND_CHARS: usize = 22;

/// Draws `entries` in a legend column (the area right of the charts),
/// one per row from `top` pixels down; labels longer than the column are
/// shortened with "…".
pub fn draw_legend<DB>(
    area: &DrawingArea<DB, Shift>,
    top: i32,
    entries: &[LegendEntry],
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let style = text(LEGEND_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    let muted = style.clone().color(&MUTED);
    for (i, entry) in entries.iter().enumerate() {
        let y = top + LEGEND_ROW_HEIGHT * i as i32;
        if entry.mark == Mark::Note {
            area.draw(&Text::new(shortened(&entry.label), (10, y), muted.clone()))?;
            continue;
        }
        draw_mark(area, entry, y)?;
        area.draw(&Text::new(shortened(&entry.label), (40, y), style.clone()))?;
    }
    Ok(())
}

fn draw_mark<DB>(area: &DrawingArea<DB, Shift>, entry: &LegendEntry, y: i32) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let line = entry.colour.stroke_width(BOLD_LINE_WIDTH);
    match entry.mark {
        Mark::Square => area.draw(&Rectangle::new(
            [(13, y - 7), (27, y + 7)],
            entry.colour.filled(),
        ))?,
        Mark::Line => area.draw(&PathElement::new(vec![(8, y), (32, y)], line))?,
        Mark::Dashed => {
            for x in [8, 22] {
                area.draw(&PathElement::new(vec![(x, y), (x + 9, y)], line))?;
            }
        }
        Mark::Note => {}
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
    use super::*;

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

    #[test]
    fn one_time_rule_ms_below_two_seconds() {
        assert_eq!(TimeAxis::for_span(0.04).unit_label, "ms");
        assert_eq!(TimeAxis::for_span(1.999).scale, 1e3);
        assert_eq!(TimeAxis::for_span(2.0).unit_label, "s");
        assert_eq!(TimeAxis::for_window(1.0, 11.0).label(), "time (s)");
        assert_eq!(TimeAxis::for_span(0.5).range(0.1, 0.3), 100.0..300.0);
    }

    /// Each quantity's largest value, once scaled, reads 1 to 999 in the
    /// unit said.
    #[test]
    fn quantities_read_in_one_to_three_digits() {
        let cases: [(&[f64], &str, &str); 10] = [
            (&[-0.070, -0.050], "V", "mV"),
            (&[0.0, 2.5e-10], "A", "pA"),
            (&[1.2e-9, -3e-9], "A", "nA"),
            (&[1e-9], "A", "nA"),
            (&[4e-3, 1e-4], "mol/m^3", "µM"),
            (&[4e-4], "mol/m^3", "nM"),
            (&[2e-6], "mol/m^3", "nM"),
            (&[5e-9], "S", "nS"),
            (&[120.0], "Hz", "Hz"),
            (&[3.0], "", ""),
        ];
        for (values, quantity, unit) in cases {
            let (scale, label) = readable(values, quantity);
            assert_eq!(label, unit, "{values:?} {quantity}");
            let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs())) * scale;
            if !unit.is_empty() && unit != "Hz" {
                assert!((1.0 - 1e-9..1000.0).contains(&largest), "{largest} {unit}");
            }
        }
        // No "uM" anywhere: the micro sign.
        assert_eq!(readable(&[1e-3], "mol/m^3").1, "µM");
        assert_eq!(readable(&[0.0], "A"), (1.0, "A".into()));
    }

    #[test]
    fn integer_ticks_are_whole_and_few() {
        assert_eq!(integer_ticks(0, 0, 8), vec![0]);
        assert_eq!(integer_ticks(0, 3, 8), vec![0, 1, 2, 3]);
        assert_eq!(integer_ticks(0, 79, 8), vec![0, 10, 20, 30, 40, 50, 60, 70]);
        assert_eq!(integer_ticks(0, 79, 4), vec![0, 20, 40, 60]);
        assert_eq!(integer_ticks(1, 10, 5), vec![2, 4, 6, 8, 10]);
        for (low, high, most) in [(0, 1000, 7), (3, 17, 4), (0, 7, 2)] {
            let ticks = integer_ticks(low, high, most);
            assert!(!ticks.is_empty() && ticks.len() <= most, "{ticks:?}");
            assert!(ticks.iter().all(|t| (low..=high).contains(t)));
        }
        assert_eq!(integer_tick(&3.0), "3");
        assert_eq!(integer_tick(&2.5), "");
        assert_eq!(integer_label_count(&(1.0..40.0), 10), 10);
        // Plotters, asked for that many labels, picks integers only.
        use plotters::coord::ranged1d::Ranged;
        use plotters::coord::types::RangedCoordf64;
        for range in [-0.5..0.5, 0.6..3.4, 1.0..40.0, -0.5..7.5, 0.0..1234.0] {
            let count = integer_label_count(&range, 10);
            let points = RangedCoordf64::from(range.clone()).key_points(count);
            assert!(!points.is_empty(), "{range:?}");
            assert!(
                points.iter().all(|p| p.fract() == 0.0),
                "{range:?}: {points:?}"
            );
        }
    }

    #[test]
    fn long_legends_end_with_how_many_more() {
        let entries: Vec<_> = (0..20)
            .map(|i| LegendEntry::line(format!("w{i}"), colour(i)))
            .collect();
        let shown = capped(entries, 8);
        assert_eq!(shown.len(), 8);
        assert_eq!(shown[7].label, "13 more");
        assert_eq!(shown[7].mark, Mark::Note);
        assert_eq!(shown[6].colour, colour(6));
    }
}
