//! The one font the plots use, embedded so that no system font is needed.

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

use super::PlotError;

/// The family plotters asks for when a style names no other.
pub(crate) const FAMILY: &str = "sans-serif";

/// Registers the embedded font on first use; later calls only report how
/// that went, since plotters keeps registered fonts for the whole process.
pub(crate) fn ensure_registered() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font(
            FAMILY,
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        )
        .is_ok()
    });
    if ok { Ok(()) } else { Err(PlotError::Font) }
}
