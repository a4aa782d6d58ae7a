//! `spikesim._native`: the Python extension module over the spikesim
//! library. The pure-Python package `spikesim` (python/spikesim/) wraps it;
//! users import that, not this.
//!
//! What crosses the boundary: model files and overrides in, results as
//! dictionaries of NumPy arrays out (the recordings' vectors handed over
//! without a copy), errors as the exceptions of `spikesim._errors` with
//! their fields, never a panic: every entry point runs under
//! [`errors::guarded`].

mod errors;
mod help;
mod learn;
mod model;
#[cfg(feature = "nir")]
mod nir;
mod results;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<model::NativeModel>()?;
    m.add_function(wrap_pyfunction!(model::load_model, m)?)?;
    m.add_function(wrap_pyfunction!(model::model_from_text, m)?)?;
    m.add_function(wrap_pyfunction!(model::dict_to_toml, m)?)?;
    m.add_function(wrap_pyfunction!(results::read_results, m)?)?;
    m.add_function(wrap_pyfunction!(results::write_results, m)?)?;
    m.add_function(wrap_pyfunction!(learn::train, m)?)?;
    m.add_function(wrap_pyfunction!(learn::continual, m)?)?;
    m.add_function(wrap_pyfunction!(learn::quantize, m)?)?;
    m.add_function(wrap_pyfunction!(learn::compare_files, m)?)?;
    m.add_function(wrap_pyfunction!(learn::compare_results, m)?)?;
    m.add_function(wrap_pyfunction!(help::cli_help, m)?)?;
    #[cfg(feature = "nir")]
    {
        m.add_function(wrap_pyfunction!(nir::nir_import, m)?)?;
        m.add_function(wrap_pyfunction!(nir::nir_export, m)?)?;
    }
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
