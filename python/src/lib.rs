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
    m.add_function(wrap_pyfunction!(guard_reads, m)?)?;
    m.add_function(wrap_pyfunction!(serve_untrusted, m)?)?;
    m.add_function(wrap_pyfunction!(nir::nir_import, m)?)?;
    m.add_function(wrap_pyfunction!(nir::nir_export, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

/// Read every later HDF5 input (results, datasets, spike files, NIR graphs)
/// in a child process `program leading... __read-untrusted KIND FILE`, as
/// the `spikesim` binary does: a file that crashes libhdf5 ends the child,
/// not the interpreter. The package calls it once, at import, with its own
/// interpreter and `-m spikesim._untrusted`.
#[pyfunction]
fn guard_reads(program: std::path::PathBuf, leading: Vec<String>) {
    spikesim::io::guard::read_in_child_process_with(
        program,
        leading.into_iter().map(Into::into).collect(),
    );
}

/// The child's side of [`guard_reads`]: serve the read the arguments after
/// `__read-untrusted` ask for on standard output; returns the exit status.
#[pyfunction]
fn serve_untrusted(args: Vec<String>) -> u8 {
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    match args.split_first() {
        Some((first, rest)) if first == spikesim::io::guard::CHILD_ARG => {
            spikesim::io::untrusted::serve_child(rest)
        }
        _ => 2,
    }
}
