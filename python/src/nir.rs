//! NIR graphs from Python: `spikesim.nir.load` / `save` over the library's
//! `nir::import::import_file` and `nir::export::export_file` (what
//! `spikesim nir import` / `nir export` call), their errors as `NirError`
//! with the file, node and field.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use spikesim::Error;
use spikesim::model::units::{Dimension, parse_as};
use spikesim::nir::NirError;
use spikesim::nir::import::{
    Discretisation, ImportOptions, Recording, ResetMode, import_file_recording,
};

use crate::errors::{exception, guarded, model_error, to_py};

fn nir_error(py: Python<'_>, e: &NirError) -> PyErr {
    exception(
        py,
        "NirError",
        &e.to_string(),
        &[
            ("file", Some(e.file.display().to_string())),
            ("node", Some(e.node.clone())),
            ("field", e.field.clone()),
        ],
    )
}

fn time(py: Python<'_>, text: &str, what: &str) -> PyResult<f64> {
    parse_as(text, Dimension::Time).map_err(|e| to_py(py, Error::Usage(format!("{what}: {e}"))))
}

/// `spikesim nir import GRAPH --out OUT --dt DT ...`: writes the model file
/// (and its folder of side files); returns what the import wrote.
#[pyfunction]
#[pyo3(signature = (graph, out, dt, discretisation, reset, duration = None, input = None,
                    record_v = false))]
#[allow(clippy::too_many_arguments)]
pub fn nir_import(
    py: Python<'_>,
    graph: PathBuf,
    out: PathBuf,
    dt: &str,
    discretisation: &str,
    reset: &str,
    duration: Option<&str>,
    input: Option<PathBuf>,
    record_v: bool,
) -> PyResult<Py<PyAny>> {
    guarded(py, || {
        let mut inputs = vec![graph.clone()];
        inputs.extend(input.clone());
        spikesim::io::output_path::check_output(&out, &inputs)
            .map_err(|e| to_py(py, Error::Usage(format!("out: {e}"))))?;
        let opts = ImportOptions {
            dt: time(py, dt, "dt")?,
            discretisation: match discretisation {
                "exact" => Discretisation::Exact,
                "euler" => Discretisation::Euler,
                "snntorch" => Discretisation::Snntorch,
                other => {
                    return Err(to_py(
                        py,
                        Error::Usage(format!(
                            "discretisation: expected exact, euler or snntorch, got {other:?}"
                        )),
                    ));
                }
            },
            reset: match reset {
                "value" => ResetMode::Value,
                "subtract" => ResetMode::Subtract,
                other => {
                    return Err(to_py(
                        py,
                        Error::Usage(format!("reset: expected value or subtract, got {other:?}")),
                    ));
                }
            },
            duration: duration.map(|d| time(py, d, "duration")).transpose()?,
            input,
        };
        let record = if record_v {
            Recording::AllNodes
        } else {
            Recording::Outputs
        };
        let imported = py
            .detach(|| import_file_recording(&graph, &opts, record, &out))
            .map_err(|e| nir_error(py, &e))?;
        let d = PyDict::new(py);
        d.set_item("model", &imported.model)?;
        d.set_item("files", &imported.files)?;
        d.set_item("populations", imported.populations.clone())?;
        d.set_item("projections", imported.projections)?;
        d.set_item("synapses", imported.synapses)?;
        d.set_item("notes", imported.notes.clone())?;
        Ok(d.into_any().unbind())
    })
}

/// `spikesim nir export MODEL|TRAINED --out GRAPH`.
#[pyfunction]
pub fn nir_export(py: Python<'_>, model: PathBuf, out: PathBuf) -> PyResult<Py<PyAny>> {
    use spikesim::nir::export::{ExportError, export_file};
    guarded(py, || {
        let exported = py
            .detach(|| export_file(&model, &out))
            .map_err(|e| match e {
                ExportError::Model(m) => model_error(py, &m),
                ExportError::Nir(n) => nir_error(py, &n),
                ExportError::Io(io) => to_py(py, io.into()),
            })?;
        let d = PyDict::new(py);
        d.set_item("graph", &exported.graph)?;
        d.set_item("model", &exported.model)?;
        d.set_item("input", &exported.input)?;
        d.set_item("nodes", exported.nodes)?;
        d.set_item("edges", exported.edges)?;
        Ok(d.into_any().unbind())
    })
}
