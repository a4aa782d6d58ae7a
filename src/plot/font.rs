//! The one font the plots use, DejaVu Sans (assets/fonts/, with its
//! licence), embedded so that no system font is needed, and the text
//! drawing of PNG plots.
//!
//! plotters' own ab_glyph text places each glyph at the pen position
//! without its left side bearing and at whole pixels, which spaces letters
//! unevenly ("neu ron", "synap ses"). PNG plots therefore draw through
//! [`CleanText`], a backend wrapper that lays text out itself: every glyph at
//! its advance, kerning and bearing, positioned to the subpixel. SVG plots
//! keep their `<text>` elements, which the viewer lays out.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use plotters::style::{FontStyle, register_font};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

use super::PlotError;

/// The family plotters asks for when a style names no other.
pub(crate) const FAMILY: &str = "sans-serif";

/// DejaVu Sans Book, from the fonts-dejavu-core package (Bitstream Vera
/// licence, DejaVu changes in the public domain).
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The parsed embedded font.
fn face() -> Option<&'static FontRef<'static>> {
    static FACE: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FACE.get_or_init(|| FontRef::try_from_slice(DEJAVU_SANS).ok())
        .as_ref()
}

/// Registers the embedded font on first use; later calls only report how
/// that went, since plotters keeps registered fonts for the whole process.
pub(crate) fn ensure_registered() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        face().is_some() && register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    if ok { Ok(()) } else { Err(PlotError::Font) }
}

/// Width and height in pixels of `text` at `size`, as plotters estimates
/// it for its layout (advances and kerning; height size / 1.24), so that
/// label areas plotters sizes fit the text drawn here.
fn extent(font: &FontRef<'static>, size: f64, text: &str) -> (i32, i32) {
    let scaled = font.as_scaled(PxScale::from(size as f32));
    let mut width = 0f32;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            width += scaled.kern(p, id);
        }
        width += scaled.h_advance(id);
        previous = Some(id);
    }
    (width.round() as i32, (size / 1.24) as i32)
}

/// Calls `pixel(x, y, coverage)` for each pixel of `text` at `size`, with
/// (0, 0) the top left corner of the box [`extent`] gives. The baseline
/// sits so that capital letters are centred in that box.
fn rasterise(font: &FontRef<'static>, size: f64, text: &str, mut pixel: impl FnMut(i32, i32, f32)) {
    let scale = PxScale::from(size as f32);
    let scaled = font.as_scaled(scale);
    let height = (size / 1.24) as f32;
    let cap = font
        .outline_glyph(scaled.scaled_glyph('H'))
        .map(|g| g.px_bounds().height())
        .unwrap_or(0.7 * size as f32);
    let baseline = (height + cap) / 2.0;
    let mut pen = 0f32;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            pen += scaled.kern(p, id);
        }
        previous = Some(id);
        let glyph = id.with_scale_and_position(scale, point(pen, baseline));
        pen += scaled.h_advance(id);
        if let Some(outline) = font.outline_glyph(glyph) {
            let corner = outline.px_bounds().min;
            let (x0, y0) = (corner.x as i32, corner.y as i32);
            outline.draw(|x, y, coverage| pixel(x0 + x as i32, y0 + y as i32, coverage));
        }
    }
}

/// A drawing backend that draws text with the embedded font, laid out
/// glyph by glyph (see the module docs), and everything else through the
/// backend it wraps.
pub(crate) struct CleanText<B> {
    inner: B,
}

impl<B> CleanText<B> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: B) -> Self {
        Self { inner }
    }
}

impl<B: DrawingBackend> DrawingBackend for CleanText<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        match face() {
            Some(font) => {
                let (w, h) = extent(font, style.size(), text);
                Ok((w.max(0) as u32, h.max(0) as u32))
            }
            None => self.inner.estimate_text_size(text, style),
        }
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let Some(font) = face() else {
            return self.inner.draw_text(text, style, pos);
        };
        let colour = style.color();
        if colour.alpha == 0.0 {
            return Ok(());
        }
        let (width, height) = extent(font, style.size(), text);
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (w, h) = self.get_size();
        let mut result = Ok(());
        rasterise(font, style.size(), text, |x, y, coverage| {
            if result.is_err() || coverage <= 0.0 {
                return;
            }
            let (x, y) = transform.transform(x + dx, y + dy);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                let ink = BackendColor {
                    alpha: colour.alpha * f64::from(coverage.min(1.0)),
                    rgb: colour.rgb,
                };
                result = self.inner.draw_pixel((x, y), ink);
            }
        });
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The gap of ink between neighbouring letters of a word is even: each
    /// glyph lands at its advance and bearing, so the blank columns between
    /// "n"-"e"-"u"-"r"-"o"-"n" differ by at most a pixel or two, where
    /// plotters' own drawing left a gap of several pixels after "u".
    #[test]
    fn letters_of_a_word_are_evenly_spaced() {
        let font = face().expect("embedded font parses");
        for word in ["neuron", "synapses"] {
            let mut columns = std::collections::BTreeSet::new();
            rasterise(font, 15.0, word, |x, _, c| {
                if c > 0.25 {
                    columns.insert(x);
                }
            });
            let columns: Vec<i32> = columns.into_iter().collect();
            let gaps: Vec<i32> = columns
                .windows(2)
                .map(|w| w[1] - w[0] - 1)
                .filter(|&g| g > 0)
                .collect();
            assert!(gaps.iter().all(|&g| g <= 2), "{word}: blank gaps {gaps:?}");
            let (width, _) = extent(font, 15.0, word);
            let inked = columns.last().unwrap() - columns.first().unwrap() + 1;
            assert!(
                (inked - width).abs() <= 3,
                "{word}: ink {inked} px wide, layout {width} px"
            );
        }
    }
}
