//! Plot checks: decode a PNG and find where the marks of one colour are,
//! so a test can compare their positions with the data plotted. Also
//! compiled into the crate's unit tests (`src/plot/mod.rs`).
//!
//! Checks built on this map data to pixels through the marks themselves
//! (two known data values and where they landed), not through the current
//! layout's pixel coordinates, so they hold when the plots are restyled.

use std::path::Path;

/// A decoded RGB image.
pub struct Picture {
    pub width: u32,
    pub height: u32,
    rgb: Vec<[u8; 3]>,
}

/// One connected group of pixels of a colour (8-neighbour).
#[derive(Debug, Clone)]
pub struct Blob {
    pub pixels: Vec<(u32, u32)>,
    pub x0: u32,
    pub x1: u32,
    pub y0: u32,
    pub y1: u32,
}

impl Blob {
    pub fn centre(&self) -> (f64, f64) {
        (
            f64::from(self.x0 + self.x1) / 2.0,
            f64::from(self.y0 + self.y1) / 2.0,
        )
    }

    /// Width and height of the bounding box in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.x1 - self.x0 + 1, self.y1 - self.y0 + 1)
    }

    /// The pixel rows this blob covers in column `x`, as (lowest y, highest y).
    pub fn rows_at(&self, x: u32) -> Option<(u32, u32)> {
        let ys = self.pixels.iter().filter(|p| p.0 == x).map(|p| p.1);
        let (lo, hi) = ys.fold((u32::MAX, 0), |(lo, hi), y| (lo.min(y), hi.max(y)));
        (lo <= hi).then_some((lo, hi))
    }
}

impl Picture {
    pub fn open(path: &Path) -> Self {
        let image = image::open(path)
            .unwrap_or_else(|e| panic!("{}: not a decodable image: {e}", path.display()))
            .to_rgb8();
        let (width, height) = image.dimensions();
        Self {
            width,
            height,
            rgb: image.pixels().map(|p| p.0).collect(),
        }
    }

    pub fn is(&self, x: u32, y: u32, colour: [u8; 3]) -> bool {
        self.at(x, y) == colour
    }

    pub fn at(&self, x: u32, y: u32) -> [u8; 3] {
        self.rgb[(y * self.width + x) as usize]
    }

    /// The colours covering at least `min` pixels, most frequent first: the
    /// fills of a heatmap's cells or a chart's bars, whatever their shade.
    pub fn colours(&self, min: usize) -> Vec<([u8; 3], usize)> {
        let mut counts = std::collections::HashMap::new();
        for &c in &self.rgb {
            *counts.entry(c).or_insert(0usize) += 1;
        }
        let mut found: Vec<_> = counts.into_iter().filter(|&(_, n)| n >= min).collect();
        found.sort_by_key(|&(c, n)| (std::cmp::Reverse(n), c));
        found
    }

    /// How much of `colour` a pixel holds over the white background (0 to
    /// 1, for anti-aliased strokes), or `None` for a pixel of another hue
    /// (grid, axes, text, other curves).
    pub fn ink(&self, x: u32, y: u32, colour: [u8; 3]) -> Option<f64> {
        let p = self.at(x, y);
        let full: Vec<f64> = colour.iter().map(|&c| 255.0 - f64::from(c)).collect();
        let got: Vec<f64> = p.iter().map(|&c| 255.0 - f64::from(c)).collect();
        let norm: f64 = full.iter().map(|f| f * f).sum();
        let share = full.iter().zip(&got).map(|(f, g)| f * g).sum::<f64>() / norm;
        let off: f64 = full
            .iter()
            .zip(&got)
            .map(|(f, g)| (g - share * f).powi(2))
            .sum::<f64>()
            .sqrt();
        (share > 0.3 && off < 40.0).then_some(share.min(1.0))
    }

    /// A thin (possibly anti-aliased) curve of `colour`: the longest run of
    /// columns holding its ink with gaps of at most 3 columns (where other
    /// marks cover it), each with the ink-weighted mean row, in increasing
    /// x. Legend marks are shorter runs.
    pub fn curve(&self, colour: [u8; 3]) -> Vec<(u32, f64)> {
        let mut runs: Vec<Vec<(u32, f64)>> = Vec::new();
        for x in 0..self.width {
            // The column's ink in groups of touching pixels; the heaviest
            // group is the curve (others are stray marks of the same hue).
            let mut groups: Vec<(u32, f64, f64)> = Vec::new(); // (last y, weight, sum)
            for y in 0..self.height {
                if let Some(w) = self.ink(x, y, colour) {
                    match groups.last_mut() {
                        Some(g) if g.0 + 1 == y => *g = (y, g.1 + w, g.2 + w * f64::from(y)),
                        _ => groups.push((y, w, w * f64::from(y))),
                    }
                }
            }
            let Some(&(_, weight, sum)) = groups.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
                continue;
            };
            match runs.last_mut() {
                Some(run) if run[run.len() - 1].0 + 4 >= x => run.push((x, sum / weight)),
                _ => runs.push(vec![(x, sum / weight)]),
            }
        }
        runs.into_iter().max_by_key(Vec::len).unwrap_or_default()
    }

    /// The middle of the pixels of `colour` in column `x`: where a curve
    /// drawn in that colour crosses the column (lines drawn over it may
    /// hide part of its stroke, not the whole column unless they cross it
    /// there).
    pub fn stroke_mid(&self, colour: [u8; 3], x: f64) -> Option<f64> {
        let x = x.round() as u32;
        let mut ys = (0..self.height).filter(|&y| self.is(x, y, colour));
        let first = ys.next()?;
        let last = ys.next_back().unwrap_or(first);
        Some(f64::from(first + last) / 2.0)
    }

    /// Pixels of exactly `colour`, in reading order.
    pub fn pixels_of(&self, colour: [u8; 3]) -> Vec<(u32, u32)> {
        (0..self.height)
            .flat_map(|y| (0..self.width).map(move |x| (x, y)))
            .filter(|&(x, y)| self.is(x, y, colour))
            .collect()
    }

    /// The connected groups of pixels of `colour`, largest first.
    pub fn blobs(&self, colour: [u8; 3]) -> Vec<Blob> {
        let (w, h) = (self.width as i64, self.height as i64);
        let mut seen = vec![false; self.rgb.len()];
        let mut blobs = Vec::new();
        for (x, y) in self.pixels_of(colour) {
            let start = (y * self.width + x) as usize;
            if seen[start] {
                continue;
            }
            seen[start] = true;
            let mut stack = vec![(x, y)];
            let mut pixels = Vec::new();
            while let Some((px, py)) = stack.pop() {
                pixels.push((px, py));
                for (dx, dy) in [
                    (-1i64, -1i64),
                    (0, -1),
                    (1, -1),
                    (-1, 0),
                    (1, 0),
                    (-1, 1),
                    (0, 1),
                    (1, 1),
                ] {
                    let (nx, ny) = (i64::from(px) + dx, i64::from(py) + dy);
                    if nx < 0 || ny < 0 || nx >= w || ny >= h {
                        continue;
                    }
                    let (nx, ny) = (nx as u32, ny as u32);
                    let i = (ny * self.width + nx) as usize;
                    if !seen[i] && self.rgb[i] == colour {
                        seen[i] = true;
                        stack.push((nx, ny));
                    }
                }
            }
            let x0 = pixels.iter().map(|p| p.0).min().unwrap();
            let x1 = pixels.iter().map(|p| p.0).max().unwrap();
            let y0 = pixels.iter().map(|p| p.1).min().unwrap();
            let y1 = pixels.iter().map(|p| p.1).max().unwrap();
            blobs.push(Blob {
                pixels,
                x0,
                x1,
                y0,
                y1,
            });
        }
        blobs.sort_by_key(|b| std::cmp::Reverse(b.pixels.len()));
        blobs
    }

    /// The pixels of `colour` in blobs reaching at least `length` pixels
    /// one way, as one blob: a line of the data, whatever other marks
    /// drawn over it cut it into, without legend marks and dots.
    pub fn line(&self, colour: [u8; 3], length: u32) -> Blob {
        let pixels: Vec<(u32, u32)> = self
            .blobs(colour)
            .into_iter()
            .filter(|b| b.size().0.max(b.size().1) >= length)
            .flat_map(|b| b.pixels)
            .collect();
        assert!(!pixels.is_empty(), "no line of colour {colour:?}");
        Blob {
            x0: pixels.iter().map(|p| p.0).min().unwrap(),
            x1: pixels.iter().map(|p| p.0).max().unwrap(),
            y0: pixels.iter().map(|p| p.1).min().unwrap(),
            y1: pixels.iter().map(|p| p.1).max().unwrap(),
            pixels,
        }
    }

    /// Centres of the blobs of `colour` no larger than `side` pixels each
    /// way: the dots of a scatter or raster (lines and legend squares are
    /// larger).
    pub fn dots(&self, colour: [u8; 3], side: u32) -> Vec<(f64, f64)> {
        self.blobs(colour)
            .into_iter()
            .filter(|b| b.size().0 <= side && b.size().1 <= side)
            .map(|b| b.centre())
            .collect()
    }
}

/// Groups sorted `values` into runs whose neighbours are less than `gap`
/// apart; returns each group's mean and size, in increasing order.
pub fn clusters(values: impl IntoIterator<Item = f64>, gap: f64) -> Vec<(f64, usize)> {
    let mut v: Vec<f64> = values.into_iter().collect();
    v.sort_by(f64::total_cmp);
    let mut groups: Vec<Vec<f64>> = Vec::new();
    for x in v {
        match groups.last_mut() {
            Some(g) if x - g[g.len() - 1] < gap => g.push(x),
            _ => groups.push(vec![x]),
        }
    }
    groups
        .iter()
        .map(|g| (g.iter().sum::<f64>() / g.len() as f64, g.len()))
        .collect()
}

/// The straight map from data to pixels through two points `(value,
/// pixel)` read off the image.
#[derive(Debug, Clone, Copy)]
pub struct Axis {
    value: f64,
    pixel: f64,
    per_unit: f64,
}

impl Axis {
    pub fn through(a: (f64, f64), b: (f64, f64)) -> Self {
        assert!(
            a.0 != b.0,
            "two distinct values are needed to calibrate an axis"
        );
        Self {
            value: a.0,
            pixel: a.1,
            per_unit: (b.1 - a.1) / (b.0 - a.0),
        }
    }

    pub fn pixel(&self, value: f64) -> f64 {
        self.pixel + (value - self.value) * self.per_unit
    }

    /// Pixels between neighbouring integer values (e.g. raster rows).
    pub fn step(&self) -> f64 {
        self.per_unit.abs()
    }
}

/// Checks a raster's dots: their rows (y clusters) are exactly those of
/// `spiking` (row indices, counting up from the bottom), placed on the
/// straight line through the lowest and highest spiking rows, so rows of
/// silent neurons hold no dot. Needs at least two distinct spiking rows.
/// Returns the row axis.
pub fn assert_dot_rows(dots: &[(f64, f64)], spiking: &[u32]) -> Axis {
    let mut rows = spiking.to_vec();
    rows.sort_unstable();
    rows.dedup();
    assert!(
        rows.len() >= 2,
        "calibration needs two spiking rows: {rows:?}"
    );
    let found = clusters(dots.iter().map(|d| d.1), 1.5);
    assert_eq!(
        found.len(),
        rows.len(),
        "dot rows at y {found:?}, spiking rows {rows:?}"
    );
    // Row numbers grow upwards, pixel rows downwards.
    let (low, high) = (found[found.len() - 1].0, found[0].0);
    let axis = Axis::through(
        (f64::from(rows[0]), low),
        (f64::from(rows[rows.len() - 1]), high),
    );
    for (&row, (y, _)) in rows.iter().rev().zip(&found) {
        let expected = axis.pixel(f64::from(row));
        assert!(
            (y - expected).abs() < 0.25 * axis.step().max(1.0),
            "row {row}: dots at y {y}, expected {expected} (rows {rows:?}, found {found:?})"
        );
    }
    axis
}

/// The longest vertical run of exactly `colour`: (column, first row, last
/// row). In a chart, the y axis line (black) of its tallest panel.
pub fn longest_vertical_run(picture: &Picture, colour: [u8; 3]) -> (u32, u32, u32) {
    let mut best = (0, 0, 0);
    for x in 0..picture.width {
        let mut start = None;
        for y in 0..=picture.height {
            let inked = y < picture.height && picture.is(x, y, colour);
            match (inked, start) {
                (true, None) => start = Some(y),
                (false, Some(s)) => {
                    if y - s > best.2 - best.1 + 1 || best == (0, 0, 0) {
                        best = (x, s, y - 1);
                    }
                    start = None;
                }
                _ => {}
            }
        }
    }
    best
}

/// The text of every `<text>` element of an SVG file, entities decoded.
pub fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|rest| {
            let body = rest.split_once('>')?.1;
            let text = body.split_once("</text>")?.0;
            Some(
                text.trim()
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&apos;", "'")
                    .replace("&amp;", "&"),
            )
        })
        .collect()
}
