//! Raster and membrane-potential plots (PNG and SVG).
