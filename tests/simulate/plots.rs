//! Rasters and potential plots read back as images (issue 18, 1): marks
//! where the data put them, labels present (the SVG's `<text>` elements),
//! units readable, nothing drawn that the data do not hold.

use std::path::Path;

use spikesim::io::results::{Results, RunInfo, SpikeTrains, StateTrace};
use spikesim::plot::style::colour;
use spikesim::plot::{PotentialOptions, RasterOptions, potential, raster};

use crate::common::png::{Picture, clusters, longest_vertical_run, svg_texts};

fn rgb(index: usize) -> [u8; 3] {
    let c = colour(index);
    [c.0, c.1, c.2]
}

fn info(duration: f64) -> RunInfo {
    RunInfo {
        dt: 1e-4,
        duration,
        ..Default::default()
    }
}

/// A population of `size` whose spikes are `(step, neuron)`.
fn train(name: &str, size: u32, mut spikes: Vec<(u64, u32)>) -> SpikeTrains {
    spikes.sort_unstable();
    let mut t = SpikeTrains::new(name, size);
    t.steps = spikes.iter().map(|s| s.0).collect();
    t.senders = spikes.iter().map(|s| s.1).collect();
    t
}

/// Draws `results` as a raster to PNG and SVG; the picture and the SVG's
/// texts.
fn draw_raster(results: &Results, dir: &Path) -> (Picture, Vec<String>) {
    let png = dir.join("raster.png");
    let svg = dir.join("raster.svg");
    raster(results, &png, &RasterOptions::default()).unwrap();
    raster(results, &svg, &RasterOptions::default()).unwrap();
    let texts = svg_texts(&std::fs::read_to_string(&svg).unwrap());
    (Picture::open(&png), texts)
}

/// Dots of `colour` up to 12 px each way (the legend's square is 14).
fn marks(picture: &Picture, colour: [u8; 3]) -> Vec<crate::common::png::Blob> {
    picture
        .blobs(colour)
        .into_iter()
        .filter(|b| b.size().0 <= 12 && b.size().1 <= 12)
        .collect()
}

/// One neuron spiking at 5, 15, 25 and 35 ms of a 40 ms run: its marks sit
/// mid-height of the raster (not on the bottom edge), are big enough to see
/// (at least 2 px wide, 6 tall), lie at the pixels of their times, and the
/// only neuron tick label is "0" (no "1 1 1 1 1 0 0 0").
#[test]
fn one_neuron_raster_is_centred_visible_and_labelled_0() {
    let dir = tempfile::tempdir().unwrap();
    let results = Results {
        info: info(0.040),
        spikes: vec![train(
            "neuron",
            1,
            vec![(50, 0), (150, 0), (250, 0), (350, 0)],
        )],
        ..Default::default()
    };
    let (picture, texts) = draw_raster(&results, dir.path());

    let found = marks(&picture, rgb(0));
    assert_eq!(found.len(), 4, "{found:?}");
    for m in &found {
        let (w, h) = m.size();
        assert!(w >= 2 && h >= 6, "mark {w}x{h} px");
    }
    let (_, top, bottom) = longest_vertical_run(&picture, [0, 0, 0]);
    let middle = f64::from(top + bottom) / 2.0;
    for m in &found {
        assert!(
            (m.centre().1 - middle).abs() <= 2.0,
            "mark at y {} , raster from {top} to {bottom}",
            m.centre().1
        );
    }
    let mut xs: Vec<f64> = found.iter().map(|m| m.centre().0).collect();
    xs.sort_by(f64::total_cmp);
    let per_ms = (xs[3] - xs[0]) / 30.0;
    for (k, x) in xs.iter().enumerate() {
        let expected = xs[0] + per_ms * 10.0 * k as f64;
        assert!((x - expected).abs() <= 1.5, "spike {k} at x {x}");
    }

    // The x ticks are 0, 5, ... 40 ms, so a "1" could only be a neuron
    // tick of the old kind ("1 1 1 1 1 0 0 0").
    assert!(!texts.iter().any(|t| t == "1"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "time (ms)"), "{texts:?}");
    assert!(texts.iter().any(|t| t.starts_with("mean rate per neuron")));
    assert!(texts.iter().any(|t| t == "rate (Hz)"));
}

/// Populations of 800, 8 and 4 neurons stacked: every neuron of the small
/// ones spikes, and their rows are found apart (at least 8 px between
/// neighbouring neurons), each population in its own colour.
#[test]
fn small_populations_keep_readable_bands_when_stacked() {
    let dir = tempfile::tempdir().unwrap();
    let every = |size: u32| -> Vec<(u64, u32)> {
        (0..size)
            .flat_map(|n| [(1000 + 10 * u64::from(n), n), (6000, n)])
            .collect()
    };
    let results = Results {
        info: info(1.0),
        spikes: vec![
            train("big", 800, every(800)),
            train("eight", 8, every(8)),
            train("four", 4, every(4)),
        ],
        ..Default::default()
    };
    let (picture, _) = draw_raster(&results, dir.path());
    for (index, size) in [(1, 8), (2, 4)] {
        let found = marks(&picture, rgb(index));
        let rows = clusters(found.iter().map(|m| m.centre().1), 3.0);
        assert_eq!(rows.len(), size, "population {index}: rows {rows:?}");
        let gaps: Vec<f64> = rows.windows(2).map(|w| w[1].0 - w[0].0).collect();
        assert!(gaps.iter().all(|&g| g >= 8.0), "{gaps:?}");
    }
}

/// A population without spikes (astrocytes) is said to have none, in grey:
/// no mark, legend swatch or rate line of its colour anywhere; the rate
/// panel has a legend with the spiking population only.
#[test]
fn a_population_without_spikes_is_said_not_drawn_at_0_hz() {
    let dir = tempfile::tempdir().unwrap();
    let spikes: Vec<(u64, u32)> = (0..100).map(|k| (100 * k, (k % 10) as u32)).collect();
    let results = Results {
        info: info(1.0),
        spikes: vec![train("exc", 10, spikes), SpikeTrains::new("astro", 5)],
        ..Default::default()
    };
    let (picture, texts) = draw_raster(&results, dir.path());
    assert!(picture.pixels_of(rgb(1)).is_empty(), "astro's colour drawn");
    assert!(texts.iter().any(|t| t == "astro: no spikes"), "{texts:?}");
    // "exc (10)" in the raster's legend, "exc" in the rate panel's.
    assert!(texts.iter().any(|t| t == "exc (10)"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "exc"), "{texts:?}");
    // The rate legend's line swatch: a horizontal run of exc's colour
    // right of the charts (in the 215 px legend column).
    let legend_line = picture
        .blobs(rgb(0))
        .into_iter()
        .filter(|b| b.x0 > picture.width - 215 && b.size().0 >= 20 && b.size().1 <= 3)
        .count();

    assert_eq!(legend_line, 1, "one line swatch for one rate line");
}

/// 2000 neurons: marks two pixels tall (the least drawn), so rows barely
/// merge; the same spikes of 3 neurons get marks taller than 6 px.
#[test]
fn marks_are_sized_by_density() {
    let dir = tempfile::tempdir().unwrap();
    let spikes: Vec<(u64, u32)> = (0..50).map(|k| (100 + 200 * k, 1000)).collect();
    let dense = Results {
        info: info(1.0),
        spikes: vec![train("many", 2000, spikes.clone())],
        ..Default::default()
    };
    let (picture, _) = draw_raster(&dense, dir.path());
    let found = marks(&picture, rgb(0));
    assert_eq!(found.len(), 50);
    assert!(found.iter().all(|m| m.size().1 == 2), "{:?}", found[0]);
    let few = Results {
        spikes: vec![train("few", 3, spikes.iter().map(|s| (s.0, 1)).collect())],
        ..dense
    };
    let (picture, _) = draw_raster(&few, dir.path());
    let found = marks(&picture, rgb(0));
    assert_eq!(found.len(), 50);
    assert!(found.iter().all(|m| m.size().1 >= 6), "{:?}", found[0]);
}

/// A trace of `values` (SI) for `neurons` neurons, one row per step.
fn trace(variable: &str, unit: &str, neurons: u32, values: impl Fn(u64, u32) -> f64) -> StateTrace {
    let steps: Vec<u64> = (0..1000).collect();
    StateTrace {
        population: "cells".into(),
        variable: variable.into(),
        unit: unit.into(),
        neurons: (0..neurons).collect(),
        values: steps
            .iter()
            .flat_map(|&s| (0..neurons).map(move |n| (s, n)))
            .map(|(s, n)| values(s, n))
            .collect(),
        steps,
        threshold: None,
        integer: false,
    }
}

fn draw_potential(trace: StateTrace, dir: &Path) -> (Picture, Vec<String>) {
    let variable = trace.variable.clone();
    let results = Results {
        info: info(0.1),
        states: vec![trace],
        ..Default::default()
    };
    let opts = PotentialOptions {
        variable,
        ..Default::default()
    };
    let (png, svg) = (dir.join("p.png"), dir.join("p.svg"));
    potential(&results, &png, &opts).unwrap();
    potential(&results, &svg, &opts).unwrap();
    (
        Picture::open(&png),
        svg_texts(&std::fs::read_to_string(&svg).unwrap()),
    )
}

/// Numeric tick labels of an SVG: those that parse as numbers.
fn numbers(texts: &[String]) -> Vec<f64> {
    texts.iter().filter_map(|t| t.parse().ok()).collect()
}

/// Currents of 0 to 250 pA are labelled in pA with ticks of at most 3
/// digits; calcium of up to 2 µM in µM (the micro sign, not "uM"); no tick
/// in exponent form.
#[test]
fn quantities_are_shown_in_readable_units() {
    let dir = tempfile::tempdir().unwrap();
    let (_, texts) = draw_potential(
        trace("i_sic", "A", 2, |s, n| {
            2.5e-10 * s as f64 / 1000.0 * f64::from(n + 1) / 2.0
        }),
        dir.path(),
    );
    assert!(texts.iter().any(|t| t == "i_sic (pA)"), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("e-")), "{texts:?}");
    assert!(numbers(&texts).iter().any(|v| (200.0..1000.0).contains(v)));

    let (_, texts) = draw_potential(
        trace("ca", "mol/m^3", 1, |s, _| 1e-4 + 1.9e-3 * s as f64 / 1000.0),
        dir.path(),
    );
    assert!(texts.iter().any(|t| t == "ca (µM)"), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("uM")), "{texts:?}");
}

/// 80 recorded neurons, none asked for: 5 traces and the legend says
/// "first 5 of 80 neurons".
#[test]
fn the_legend_says_when_only_the_first_neurons_are_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let (picture, texts) = draw_potential(
        trace("v", "V", 80, |s, n| {
            -0.070 + 1e-4 * f64::from(n) + 1e-6 * s as f64
        }),
        dir.path(),
    );
    assert!(
        texts.iter().any(|t| t == "first 5 of 80 neurons"),
        "{texts:?}"
    );
    let labelled = texts.iter().filter(|t| t.starts_with("neuron ")).count();
    assert_eq!(labelled, 5, "{texts:?}");
    for i in 0..5 {
        assert!(!picture.curve(rgb(i)).is_empty(), "trace {i} drawn");
    }
}

/// A read-out with v_th = 1e6 mV: the traces keep the chart's height (the
/// y ticks stay within tens of mV) and the legend says the threshold is off
/// scale; no dashed black line is drawn.
#[test]
fn an_unreachable_threshold_is_not_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = trace("v", "V", 1, |s, _| -0.070 + 0.02 * (s % 100) as f64 / 100.0);
    v.threshold = Some(1e3);
    let (picture, texts) = draw_potential(v, dir.path());
    let ticks = numbers(&texts);
    let y_ticks: Vec<f64> = ticks.iter().copied().filter(|&t| t < 0.0).collect();
    assert!(!y_ticks.is_empty(), "{texts:?}");
    assert!(ticks.iter().all(|&t| t.abs() < 1000.0), "{ticks:?}");
    assert!(texts.iter().any(|t| t.contains("off scale")), "{texts:?}");
    assert!(!texts.iter().any(|t| t == "threshold"), "{texts:?}");
    // The longest horizontal black run is an axis, no dashed line: no
    // black run of 8 to 12 px (a dash) in the chart.
    let dashes = picture
        .blobs([0, 0, 0])
        .into_iter()
        .filter(|b| b.size().1 == 1 && (8..=12).contains(&b.size().0))
        .count();
    assert_eq!(dashes, 0, "dashes of a threshold line");
}

/// One rule for time axes: a 100 ms window in ms for both kinds, a 3 s one
/// in s.
#[test]
fn time_axes_follow_one_rule() {
    let dir = tempfile::tempdir().unwrap();
    let (_, texts) = draw_potential(trace("v", "V", 1, |_, _| -0.07), dir.path());
    assert!(texts.iter().any(|t| t == "time (ms)"), "{texts:?}");
    let results = Results {
        info: info(3.0),
        spikes: vec![train("exc", 2, vec![(100, 0), (20_000, 1)])],
        ..Default::default()
    };
    let (_, texts) = draw_raster(&results, dir.path());
    assert!(texts.iter().any(|t| t == "time (s)"), "{texts:?}");
    assert!(numbers(&texts).contains(&3.0), "{texts:?}");
}

/// Nothing is drawn in the 5 pixel columns at the image's left edge: the y
/// axis labels keep clear of it.
#[test]
fn y_labels_keep_clear_of_the_left_edge() {
    let dir = tempfile::tempdir().unwrap();
    let (picture, _) = draw_potential(
        trace("v", "V", 1, |s, _| -0.07 + 1e-5 * s as f64),
        dir.path(),
    );
    for x in 0..5 {
        for y in 0..picture.height {
            assert_eq!(picture.at(x, y), [255, 255, 255], "ink at ({x}, {y})");
        }
    }
}
