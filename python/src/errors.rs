//! spikesim's errors as the Python exceptions of `spikesim._errors` (defined
//! in Python, so that they can subclass both `SpikesimError` and the
//! built-in they resemble), and the panic guard of every entry point.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::prelude::*;
use pyo3::types::PyDict;

use spikesim::Error;

/// An instance of the exception class `name` of `spikesim._errors`, built
/// with `message` and the keyword fields.
pub fn exception(
    py: Python<'_>,
    name: &str,
    message: &str,
    fields: &[(&str, Option<String>)],
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = py.import("spikesim._errors")?.getattr(name)?;
        let kwargs = PyDict::new(py);
        for (key, value) in fields {
            kwargs.set_item(key, value)?;
        }
        let value = class.call((message,), Some(&kwargs))?;
        Ok(PyErr::from_value(value))
    };
    build().unwrap_or_else(|e| e)
}

/// The Python exception for a spikesim error.
pub fn to_py(py: Python<'_>, error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        Error::Model(m) => model_error(py, &m),
        Error::Io(io) => {
            let path = io_path(&io);
            exception(py, "SpikesimIOError", &message, &[("path", path)])
        }
        Error::Plot(_) => exception(py, "SpikesimIOError", &message, &[]),
        Error::Usage(_) => exception(py, "UsageError", &message, &[]),
        Error::Memory(_) => exception(py, "MemoryLimitError", &message, &[]),
        Error::Interrupted { .. } => exception(py, "RunInterrupted", &message, &[]),
        Error::Run(spikesim::engine::RunError::Memory(_)) => {
            exception(py, "MemoryLimitError", &message, &[])
        }
        Error::Run(_) => exception(py, "SimulationError", &message, &[]),
    }
}

/// `ModelError` with `.file`, `.line`, `.field` and `.message`.
pub fn model_error(py: Python<'_>, e: &spikesim::model::ModelError) -> PyErr {
    exception(
        py,
        "ModelError",
        &e.to_string(),
        &[
            ("file", Some(e.file.display().to_string())),
            ("line", e.line.map(|l| l.to_string())),
            ("field", Some(e.field.clone())),
            ("detail", Some(e.message.clone())),
        ],
    )
}

/// The path an I/O error names, read back from its message's head (every
/// variant starts with it, see `io::error`).
fn io_path(e: &spikesim::io::IoError) -> Option<String> {
    let text = e.to_string();
    text.split_once(": ").map(|(path, _)| path.to_string())
}

/// Run `f`, turning a panic anywhere below into a `SimulationError` rather
/// than unwinding into the interpreter.
pub fn guarded<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(panic) => Err(panic_error(py, panic)),
    }
}

/// A caught panic as a `SimulationError` saying it is a bug.
pub fn panic_error(py: Python<'_>, panic: Box<dyn std::any::Any + Send>) -> PyErr {
    let what = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into());
    exception(
        py,
        "SimulationError",
        &format!("internal error in spikesim (a bug; please report it): {what}"),
        &[],
    )
}
