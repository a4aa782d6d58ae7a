//! The learning plots read as images: the weight course, the rate plot,
//! the learning curves of `tempotron` and `train`, the continual heatmap
//! and the forgetting curves. Each is drawn twice, as PNG (marks located
//! by colour) and as SVG of the same size (its `<text>` elements give the
//! labels and, by their anchors, where each tick sits), so a check maps
//! data to pixels through the axis's own tick labels and then looks for the
//! mark there.

use std::path::Path;

use spikesim::io::results::{Results, RunInfo, SpikeTrains, WeightTrace};
use spikesim::learn::continual::{AccuracyMatrix, ForgettingCurves};
use spikesim::plot::continual::{accuracy_matrix, forgetting_curves};
use spikesim::plot::learning::{Curve, EpochRecord, accuracy, training};
use spikesim::plot::{RateOptions, WeightPlotOptions, rate, weight_course};

use crate::png::{Axis, Picture};

/// One `<text>` of an SVG plot: its anchor point and its content.
#[derive(Debug, Clone)]
struct Label {
    x: f64,
    y: f64,
    text: String,
}

impl Label {
    fn number(&self) -> Option<f64> {
        self.text.parse().ok()
    }
}

/// The non-empty `<text>` elements of an SVG file written by plotters.
fn labels(svg: &Path) -> Vec<Label> {
    let text = std::fs::read_to_string(svg).unwrap();
    let attribute = |tag: &str, name: &str| -> f64 {
        let start = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        let end = start + tag[start..].find('"').unwrap();
        tag[start..end].parse().unwrap()
    };
    text.split("<text")
        .skip(1)
        .filter_map(|chunk| {
            let (tag, rest) = chunk.split_once('>')?;
            let content = rest.split("</text>").next()?.trim();
            (!content.is_empty()).then(|| Label {
                x: attribute(tag, "x"),
                y: attribute(tag, "y"),
                text: unescape(content),
            })
        })
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
}

/// The numeric labels on one row (same anchor y): an x axis's ticks,
/// left to right.
fn row_at(labels: &[Label], y: f64) -> Vec<Label> {
    let mut row: Vec<Label> = labels
        .iter()
        .filter(|l| (l.y - y).abs() < 0.5 && l.number().is_some())
        .cloned()
        .collect();
    row.sort_by(|a, b| a.x.total_cmp(&b.x));
    row
}

/// The numeric labels in one column (same anchor x): a y axis's ticks,
/// bottom to top.
fn column_at(labels: &[Label], x: f64) -> Vec<Label> {
    let mut column: Vec<Label> = labels
        .iter()
        .filter(|l| (l.x - x).abs() < 0.5 && l.number().is_some())
        .cloned()
        .collect();
    column.sort_by(|a, b| b.y.total_cmp(&a.y));
    column
}

/// The x axis holding the label `text` (the lowest row of numbers when
/// several rows have it).
fn x_ticks(labels: &[Label], text: &str) -> Vec<Label> {
    let y = labels
        .iter()
        .filter(|l| l.text == text)
        .map(|l| l.y)
        .fold(f64::NEG_INFINITY, f64::max);
    row_at(labels, y)
}

/// The y axis holding the label `text`, the leftmost first.
fn y_ticks(labels: &[Label], text: &str) -> Vec<Vec<Label>> {
    let mut xs: Vec<f64> = labels
        .iter()
        .filter(|l| l.text == text)
        .map(|l| l.x)
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup_by(|a, b| (*a - *b).abs() < 0.5);
    xs.into_iter().map(|x| column_at(labels, x)).collect()
}

/// The map from values to pixels through the first and last tick of an
/// axis (`along_x`: ticks' x, else their y).
fn axis_of(ticks: &[Label], along_x: bool) -> Axis {
    let at = |l: &Label| (l.number().unwrap(), if along_x { l.x } else { l.y });
    Axis::through(at(&ticks[0]), at(&ticks[ticks.len() - 1]))
}

fn label<'a>(labels: &'a [Label], text: &str) -> &'a Label {
    labels
        .iter()
        .find(|l| l.text == text)
        .unwrap_or_else(|| panic!("no label {text:?} in {labels:?}"))
}

/// A colour neither white, grey nor black: the ink of a series.
fn saturated(c: [u8; 3]) -> bool {
    let (lo, hi) = (c.iter().min().unwrap(), c.iter().max().unwrap());
    hi - lo > 30
}

/// The swatch of the legend entry labelled `text`: the most frequent
/// colour on the label's row in the 45 pixels left of the label.
fn swatch(picture: &Picture, entry: &Label) -> [u8; 3] {
    let y = entry.y.round() as u32;
    let mut counts = std::collections::HashMap::new();
    for x in (entry.x - 45.0).max(0.0) as u32..entry.x as u32 {
        for dy in [0, 1] {
            let c = picture.at(x, y - dy);
            if c != [255, 255, 255] {
                *counts.entry(c).or_insert(0) += 1;
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|&(_, n)| n)
        .map(|(c, _)| c)
        .unwrap_or_else(|| panic!("no swatch left of {entry:?}"))
}

/// How far (RGB distance) `c` lies from every mix of `a` and `b`.
fn off_mix(c: [u8; 3], a: [u8; 3], b: [u8; 3]) -> f64 {
    let f = |v: [u8; 3]| v.map(f64::from);
    let (c, a, b) = (f(c), f(a), f(b));
    let d: Vec<f64> = (0..3).map(|i| b[i] - a[i]).collect();
    let norm: f64 = d.iter().map(|x| x * x).sum();
    let t = ((0..3).map(|i| (c[i] - a[i]) * d[i]).sum::<f64>() / norm).clamp(0.0, 1.0);
    (0..3)
        .map(|i| (c[i] - a[i] - t * d[i]).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Draws one figure as PNG and SVG in `dir`; returns the PNG and the
/// SVG's labels.
/// With `SPIKESIM_KEEP_PLOTS=<dir>` the PNG is also copied there as
/// `<name>.png`, to look at.
fn both(dir: &Path, name: &str, draw: impl Fn(&Path)) -> (Picture, Vec<Label>) {
    let (png, svg) = (dir.join("p.png"), dir.join("p.svg"));
    draw(&png);
    draw(&svg);
    if let Some(keep) = std::env::var_os("SPIKESIM_KEEP_PLOTS") {
        let keep = Path::new(&keep);
        std::fs::create_dir_all(keep).unwrap();
        std::fs::copy(&png, keep.join(format!("{name}.png"))).unwrap();
    }
    (Picture::open(&png), labels(&svg))
}

/// Tempotron's curve: accuracy in %, a tick per epoch and nothing
/// between, each curve's markers at their epoch's tick and value, the
/// legend's swatches in the colours of the lines they name.
#[test]
fn tempotron_curve_marks_its_epochs_in_percent() {
    let rising = [0.5, 0.6, 0.8, 0.9, 0.95];
    let curves = [
        Curve {
            label: "training".into(),
            values: rising.to_vec(),
        },
        Curve {
            label: "held-out".into(),
            values: vec![0.3; 5],
        },
    ];
    let references = [("LZC read-out".to_string(), 0.7)];
    let dir = tempfile::tempdir().unwrap();
    let (picture, labels) = both(dir.path(), "tempotron", |p| {
        accuracy(p, "tempotron", &curves, &references).unwrap()
    });

    for text in ["epoch", "accuracy (%)", "chance"] {
        label(&labels, text);
    }
    let epochs = x_ticks(&labels, "5");
    let names: Vec<&str> = epochs.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(names, ["1", "2", "3", "4", "5"], "{labels:?}");
    let y = &y_ticks(&labels, "100")[0];
    assert!(y.iter().all(|l| l.number().unwrap() <= 100.0), "{y:?}");
    let acc = axis_of(y, false);

    let colours: Vec<[u8; 3]> = ["training", "held-out", "LZC read-out"]
        .map(|t| swatch(&picture, label(&labels, t)))
        .to_vec();
    assert!(colours.iter().all(|&c| saturated(c)), "{colours:?}");
    for (e, tick) in epochs.iter().enumerate() {
        let at = |c| picture.stroke_mid(c, tick.x).unwrap();
        let train = at(colours[0]);
        assert!(
            (train - acc.pixel(100.0 * rising[e])).abs() <= 2.0,
            "epoch {}: {train} for {}",
            e + 1,
            acc.pixel(100.0 * rising[e])
        );
        assert!((at(colours[1]) - acc.pixel(30.0)).abs() <= 2.0);
    }
    // The dashed level, left of the legend column.
    let legend_x = label(&labels, "training").x - 50.0;
    let dashes: Vec<f64> = picture
        .pixels_of(colours[2])
        .into_iter()
        .filter(|p| f64::from(p.0) < legend_x)
        .map(|p| f64::from(p.1))
        .collect();
    let level = dashes.iter().sum::<f64>() / dashes.len() as f64;
    assert!(dashes.len() > 100 && (level - acc.pixel(70.0)).abs() <= 2.0);
}

/// `spikesim train`'s curve: the shared size; loss and accuracy (in %)
/// panels each with its y label and integer epoch ticks; the training and
/// test accuracy at their epochs.
#[test]
fn training_curve_has_two_labelled_panels_in_percent() {
    let accuracy_of = [(0.3, 0.25), (0.5, 0.45), (0.6, 0.5), (0.7, 0.55)];
    let history: Vec<EpochRecord> = accuracy_of
        .iter()
        .enumerate()
        .map(|(i, &(train, test))| EpochRecord {
            epoch: i + 1,
            train_loss: 2.0 - 0.3 * i as f64,
            test_loss: 2.2 - 0.2 * i as f64,
            train_accuracy: train,
            test_accuracy: test,
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let (picture, labels) = both(dir.path(), "training", |p| {
        training(p, "learning curve", &history).unwrap()
    });
    let tempotron = dir.path().join("t.png");
    accuracy(&tempotron, "t", &[], &[]).unwrap();
    let other = Picture::open(&tempotron);
    assert_eq!(
        (picture.width, picture.height),
        (other.width, other.height),
        "one size for every learning curve"
    );

    for text in ["loss", "accuracy (%)"] {
        label(&labels, text);
    }
    assert_eq!(labels.iter().filter(|l| l.text == "epoch").count(), 2);
    let epochs = x_ticks(&labels, "4");
    let names: Vec<&str> = epochs.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        names,
        ["1", "2", "3", "4", "1", "2", "3", "4"],
        "{labels:?}"
    );
    // The accuracy panel is the right one: its y axis reads up to 100.
    let axes = y_ticks(&labels, "0");
    assert_eq!(axes.len(), 2, "{labels:?}");
    let top = |ticks: &[Label]| {
        ticks
            .iter()
            .map(|l| l.number().unwrap())
            .fold(0.0, f64::max)
    };
    assert!(top(&axes[0]) < 3.0 && top(&axes[1]) == 100.0, "{axes:?}");
    let acc = axis_of(&axes[1], false);
    let train = swatch(&picture, label(&labels, "training set"));
    let test = swatch(&picture, label(&labels, "test set"));
    for (e, &(a, b)) in accuracy_of.iter().enumerate() {
        let x = epochs[4 + e].x;
        for (colour, value) in [(train, a), (test, b)] {
            let y = picture.stroke_mid(colour, x).unwrap();
            assert!((y - acc.pixel(100.0 * value)).abs() <= 2.0, "epoch {e}");
        }
    }
}

/// 4 neurons over 0.9 s in 0.25 s bins: 4, 8, 0 spikes in the full bins
/// and 3 in the last, 0.15 s long: 4, 8, 0 and 5 Hz per neuron. The step
/// line starts at the time axis's 0 and ends at 900 ms; with no legend,
/// the chart takes the width.
#[test]
fn rate_plot_steps_from_zero_in_hz_per_neuron() {
    let dt = 1e-4;
    let mut spikes = SpikeTrains::new("exc", 4);
    let at = |t: f64| (t / dt).round() as u64;
    let times: Vec<f64> = [(0.02, 4usize), (0.3, 8), (0.8, 3)]
        .iter()
        .flat_map(|&(t, n)| (0..n).map(move |k| t + 0.01 * k as f64))
        .collect();
    for (k, &t) in times.iter().enumerate() {
        spikes.steps.push(at(t));
        spikes.senders.push((k % 4) as u32);
    }
    let results = Results {
        info: RunInfo {
            dt,
            duration: 0.9,
            ..Default::default()
        },
        spikes: vec![spikes],
        states: Vec::new(),
        weights: Vec::new(),
    };
    let opts = RateOptions {
        bin: Some(0.25),
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (picture, labels) = both(dir.path(), "rate", |p| rate(&results, p, &opts).unwrap());
    label(&labels, "time (ms)");
    label(&labels, "rate per neuron (Hz)");
    let time = axis_of(&x_ticks(&labels, "0"), true);
    let hz = axis_of(&y_ticks(&labels, "0")[0], false);

    let ink: Vec<[u8; 3]> = picture
        .colours(200)
        .into_iter()
        .map(|(c, _)| c)
        .filter(|&c| saturated(c))
        .collect();
    assert_eq!(ink.len(), 1, "one line: {ink:?}");
    let line = picture.line(ink[0], 100);
    assert!(
        (f64::from(line.x0) - time.pixel(0.0)).abs() <= 1.5,
        "starts at 0"
    );
    assert!(
        (f64::from(line.x1) - time.pixel(900.0)).abs() <= 1.5,
        "ends at 900 ms"
    );
    assert!(
        f64::from(line.x1) > 0.9 * f64::from(picture.width),
        "no empty legend margin: the line ends at x = {}",
        line.x1
    );
    for (mid, rate) in [(125.0, 4.0), (375.0, 8.0), (625.0, 0.0), (825.0, 5.0)] {
        let y = picture.stroke_mid(ink[0], time.pixel(mid)).unwrap();
        assert!(
            (y - hz.pixel(rate)).abs() <= 2.0,
            "{mid} ms: {y} for {rate} Hz"
        );
    }
}

/// 100 synapses over three snapshots: the legend's entries are "20
/// synapses" with the one colour every traced line has, and "mean of all
/// 100" in black, the mean's line at the mean weights.
#[test]
fn weight_course_legend_swatches_are_the_line_colours() {
    let n = 100;
    let value = |row: usize, s: usize| (s as f64 + 10.0) * 1e-5 * (row + 1) as f64;
    let results = Results {
        info: RunInfo {
            dt: 1e-4,
            duration: 4.0,
            ..Default::default()
        },
        spikes: Vec::new(),
        states: Vec::new(),
        weights: vec![WeightTrace {
            projection: "in->exc".into(),
            unit: "V".into(),
            pre: (0..n as u32).collect(),
            post: vec![0; n],
            steps: vec![0, 20_000, 40_000],
            times: vec![0.0, 2.0, 4.0],
            values: (0..3)
                .flat_map(|r| (0..n).map(move |s| value(r, s)))
                .collect(),
        }],
    };
    let dir = tempfile::tempdir().unwrap();
    let (picture, labels) = both(dir.path(), "weight_course", |p| {
        weight_course(&results, p, &WeightPlotOptions::default()).unwrap()
    });
    label(&labels, "time (s)");
    label(&labels, "weight (mV)");
    let sample = label(&labels, "20 synapses");
    let mean = label(&labels, "mean of all 100");
    let traced = swatch(&picture, sample);
    assert!(saturated(traced), "{traced:?}");
    assert_eq!(swatch(&picture, mean), [0, 0, 0]);

    // Left of the legend, every pixel of colour is the traced colour
    // anti-aliased over the white ground, the grid or the black mean: no
    // line of another hue.
    let legend_x = sample.x - 50.0;
    let grounds = [[255, 255, 255], [0, 0, 0], [235, 235, 235], [232, 232, 232]];
    let (mut coloured, mut traced_ink) = (0, 0);
    for y in 0..picture.height {
        for x in 0..legend_x as u32 {
            let c = picture.at(x, y);
            if saturated(c) {
                coloured += 1;
                let blend = grounds.iter().any(|&g| off_mix(c, g, traced) < 20.0);
                traced_ink += usize::from(blend);
            }
        }
    }
    assert!(coloured > 5000, "{coloured} coloured pixels");
    assert!(
        traced_ink as f64 > 0.98 * coloured as f64,
        "{traced_ink} of {coloured} coloured pixels are the swatch's colour"
    );

    // The traced lines at 4 s hold the traced synapses' weights.
    let time = axis_of(&x_ticks(&labels, "0"), true);
    let mv = axis_of(&y_ticks(&labels, "0")[0], false);
    // A few columns in from the last x tick, clear of its grid line.
    let x = time.pixel(4.0).round() as u32 - 4;
    let rows: Vec<u32> = (0..picture.height)
        .filter(|&y| picture.ink(x, y, traced).is_some())
        .collect();
    for s in (0..20).map(|i| i * 5) {
        let y = mv.pixel(value(2, s) * 1e3);
        assert!(
            rows.iter().any(|&r| (f64::from(r) - y).abs() <= 2.0),
            "synapse {s} at {y}: {rows:?}"
        );
    }
    // The mean line (thick, black) at 2 s.
    let mean_mv = (0..n).map(|s| value(1, s)).sum::<f64>() / n as f64 * 1e3;
    let x = time.pixel(2.0).round() as u32;
    let black: Vec<u32> = (0..picture.height)
        .filter(|&y| {
            picture
                .ink(x, y, [0, 0, 0])
                .is_some_and(|share| share > 0.9)
        })
        .collect();
    assert!(
        black
            .iter()
            .any(|&r| (f64::from(r) - mv.pixel(mean_mv)).abs() <= 2.0),
        "mean {mean_mv} mV at {}: {black:?}",
        mv.pixel(mean_mv)
    );
}

const N: f64 = f64::NAN;

/// Each measured cell's colour is found on the colour bar at the height
/// of its accuracy (read through the bar's % ticks); the untested grey is
/// named; nothing touches the image's edge.
#[test]
fn heatmap_cells_read_their_accuracy_off_the_colour_bar() {
    let values = [[0.95, N, N], [0.60, 0.93, N], [0.41, 0.70, 0.12]];
    let r = AccuracyMatrix::from_rows(&values.map(|row| row.to_vec())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (picture, labels) = both(dir.path(), "heatmap", |p| {
        accuracy_matrix(p, "fine-tune", &r).unwrap()
    });
    label(&labels, "accuracy (%)");
    label(&labels, "not trained yet");

    // The bar's ticks: the column of numbers reading up to 100.
    let bar_ticks = y_ticks(&labels, "100")
        .into_iter()
        .max_by(|a, b| a[0].x.total_cmp(&b[0].x))
        .unwrap();
    let percent = axis_of(&bar_ticks, false);
    // The bar: left of its tick labels, the first coloured column.
    let mid = percent.pixel(50.0).round() as u32;
    let mut x = bar_ticks[0].x as u32;
    while !saturated(picture.at(x, mid)) {
        x -= 1;
    }
    let bar_x = x - 10;
    let (bottom, top) = (percent.pixel(0.0) as u32, percent.pixel(100.0) as u32);
    let bar: Vec<(u32, [u8; 3])> = (top + 1..bottom)
        .map(|y| (y, picture.at(bar_x, y)))
        .collect();
    let distance = |a: [u8; 3], b: [u8; 3]| -> i32 {
        a.iter()
            .zip(&b)
            .map(|(&p, &q)| (i32::from(p) - i32::from(q)).abs())
            .sum()
    };
    // A cell's colour, sampled clear of its label: the cell's tick labels
    // give its centre (x ticks: evaluated task; y ticks: trained task).
    let columns = x_ticks(&labels, "2");
    let rows = y_ticks(&labels, "2")
        .into_iter()
        .min_by(|a, b| a[0].x.total_cmp(&b[0].x))
        .unwrap();
    let cell_w = columns[1].x - columns[0].x;
    let row_of = |i: usize| rows.iter().find(|l| l.text == i.to_string()).unwrap().y;
    let mut greys = std::collections::HashSet::new();
    for (i, row) in values.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            let (x, y) = (columns[j].x - 0.3 * cell_w, row_of(i) - 0.3 * cell_w);
            let fill = picture.at(x as u32, y as u32);
            if v.is_nan() {
                greys.insert(fill);
                continue;
            }
            let (y_bar, _) = bar
                .iter()
                .min_by_key(|&&(_, c)| distance(c, fill))
                .copied()
                .unwrap();
            let read = 100.0 * (f64::from(y_bar) - percent.pixel(0.0))
                / (percent.pixel(100.0) - percent.pixel(0.0));
            assert!(
                (read - 100.0 * v).abs() <= 2.0,
                "cell ({i}, {j}) of {v} reads {read} % on the bar"
            );
        }
    }
    assert_eq!(greys.len(), 1, "{greys:?}");
    let grey = *greys.iter().next().unwrap();
    assert_eq!(swatch(&picture, label(&labels, "not trained yet")), grey);

    let margin = 10;
    for y in 0..picture.height {
        for x in 0..picture.width {
            let edge = x < margin
                || y < margin
                || x >= picture.width - margin
                || y >= picture.height - margin;
            if edge {
                assert_eq!(picture.at(x, y), [255, 255, 255], "ink at ({x}, {y})");
            }
        }
    }
}

/// The forgetting curves' x axis counts tasks trained (integers only),
/// accuracy is in %, and task 0's curve passes its accuracies at the ends
/// of tasks 1, 2 and 3 in the colour of its legend swatch.
#[test]
fn forgetting_curves_count_tasks_and_read_in_percent() {
    let mut curves = ForgettingCurves {
        boundaries: vec![0.0, 1.0, 2.0],
        ..Default::default()
    };
    let task0 = [0.95, 0.60, 0.41];
    curves.record(0.5, vec![0.8, N, N]);
    curves.record(1.0, vec![task0[0], N, N]);
    curves.record(2.0, vec![task0[1], 0.93, N]);
    curves.record(3.0, vec![task0[2], 0.70, 0.96]);
    let dir = tempfile::tempdir().unwrap();
    let (picture, labels) = both(dir.path(), "forgetting", |p| {
        forgetting_curves(p, "fine-tune", &curves).unwrap()
    });
    label(&labels, "training progress (tasks trained)");
    label(&labels, "accuracy (%)");
    let ticks = x_ticks(&labels, "3");
    let names: Vec<&str> = ticks.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(names, ["0", "1", "2", "3"], "{labels:?}");
    let acc = axis_of(&y_ticks(&labels, "100")[0], false);
    let colour = swatch(&picture, label(&labels, "task 0"));
    for (tick, value) in ticks[1..].iter().zip(task0) {
        let y = picture.stroke_mid(colour, tick.x).unwrap();
        assert!((y - acc.pixel(100.0 * value)).abs() <= 2.0, "{}", tick.text);
    }
}

/// Past the palette's 8 colours a task's curve is dashed (its legend mark
/// too): task 8 shares task 0's colour, so along its level the colour must
/// come and go, while task 0's solid line is unbroken.
#[test]
fn forgetting_curves_past_the_palette_are_dashed() {
    let tasks = 10;
    let mut curves = ForgettingCurves {
        boundaries: (0..tasks - 1).map(|t| t as f64).collect(),
        ..Default::default()
    };
    for k in 1..=tasks {
        let row = (0..tasks)
            .map(|t| match t {
                _ if t >= k => N,
                0 => 0.9,
                8 => 0.3,
                _ => 0.6,
            })
            .collect();
        curves.record(k as f64, row);
    }
    let dir = tempfile::tempdir().unwrap();
    let (picture, labels) = both(dir.path(), "forgetting_many", |p| {
        forgetting_curves(p, "fine-tune", &curves).unwrap()
    });
    label(&labels, "task 9");
    let colour = swatch(&picture, label(&labels, "task 0"));
    let acc = axis_of(&y_ticks(&labels, "100")[0], false);
    let progress = axis_of(&x_ticks(&labels, "10"), true);
    let (from, to) = (progress.pixel(9.0), progress.pixel(10.0));
    // The share of columns between tasks 9 and 10 where `colour` is within
    // a pixel of the level `value` (markers at the two ends left out).
    let covered = |value: f64| {
        let y = acc.pixel(100.0 * value).round() as u32;
        let columns: Vec<u32> = (from as u32 + 6..to as u32 - 6).collect();
        let hit = columns
            .iter()
            .filter(|&&x| (y - 1..=y + 1).any(|y| picture.is(x, y, colour)))
            .count();
        hit as f64 / columns.len() as f64
    };
    let solid = covered(0.9);
    let dashed = covered(0.3);
    assert!(solid > 0.95, "task 0's line is broken: {solid}");
    assert!(
        (0.3..0.9).contains(&dashed),
        "task 8's line in the same colour is not dashed: {dashed}"
    );
}
