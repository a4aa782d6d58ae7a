//! Models: loading a file (or a dictionary's TOML) with overrides, checking
//! it, its memory estimate, and running it in memory with the GIL released
//! while Python keeps polling for Ctrl-C and drawing progress.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use spikesim::Error;
use spikesim::engine::comm::Solo;
use spikesim::engine::{Collect, Control, Ended, Output, segment::DEFAULT_BUFFER};
use spikesim::io::results::Results;
use spikesim::model::{ModelSpec, memory, overrides, validate};

use crate::errors::{exception, guarded, model_error, panic_error, to_py};
use crate::results::results_to_py;

/// A validated model: the file it came from, its text after the
/// overrides, and the validated spec.
#[pyclass(module = "spikesim._native", frozen)]
pub struct NativeModel {
    spec: ModelSpec,
}

/// Read, override and validate the model file `path`.
#[pyfunction]
#[pyo3(signature = (path, overrides = Vec::new()))]
pub fn load_model(py: Python<'_>, path: PathBuf, overrides: Vec<String>) -> PyResult<NativeModel> {
    guarded(py, || {
        let spec = py
            .detach(|| spikesim::model::load(&path, &overrides))
            .map_err(|e| model_error(py, &e))?;
        Ok(NativeModel { spec })
    })
}

/// Validate a model given as TOML text; `path` names it in errors and is
/// where its relative file names are resolved from.
#[pyfunction]
#[pyo3(signature = (text, path, overrides = Vec::new()))]
pub fn model_from_text(
    py: Python<'_>,
    text: &str,
    path: PathBuf,
    overrides: Vec<String>,
) -> PyResult<NativeModel> {
    guarded(py, || {
        let spec = parse(&path, text, &overrides).map_err(|e| model_error(py, &e))?;
        Ok(NativeModel { spec })
    })
}

fn parse(
    path: &Path,
    text: &str,
    overrides: &[String],
) -> Result<ModelSpec, spikesim::model::ModelError> {
    let text = overrides::apply(path, text, overrides)?;
    validate::parse_model(path, &text)
}

/// A dictionary with the model files' schema as TOML text (tables, arrays
/// of tables, strings, numbers, booleans), keys in the dictionary's order.
#[pyfunction]
pub fn dict_to_toml(py: Python<'_>, d: &Bound<'_, PyDict>) -> PyResult<String> {
    let table = to_table(d, "")?;
    toml::to_string(&table).map_err(|e| exception(py, "UsageError", &e.to_string(), &[]))
}

fn to_table(d: &Bound<'_, PyDict>, at: &str) -> PyResult<toml::Table> {
    let mut table = toml::Table::new();
    for (k, v) in d.iter() {
        let key: String = k.extract().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "model dictionary: key {} of `{at}` is not a string",
                k.repr().map_or("?".into(), |r| r.to_string())
            ))
        })?;
        let here = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        if v.is_none() {
            continue;
        }
        table.insert(key, to_value(&v, &here)?);
    }
    Ok(table)
}

fn to_value(v: &Bound<'_, PyAny>, at: &str) -> PyResult<toml::Value> {
    if v.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        return Ok(toml::Value::Integer(v.extract()?));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(v.extract()?));
    }
    if v.is_instance_of::<PyString>() {
        return Ok(toml::Value::String(v.extract()?));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        return Ok(toml::Value::Table(to_table(d, at)?));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let items: PyResult<Vec<_>> = v
            .try_iter()?
            .enumerate()
            .map(|(i, item)| to_value(&item?, &format!("{at}[{i}]")))
            .collect();
        return Ok(toml::Value::Array(items?));
    }
    // NumPy scalars and arrays, and anything else with a list or number form.
    if let Ok(list) = v.call_method0("tolist") {
        return to_value(&list, at);
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "model dictionary: `{at}` is a {}, not a string, number, boolean, list or dict",
        v.get_type().name()?
    )))
}

#[pymethods]
impl NativeModel {
    /// The model file's path (or the name given to a dictionary).
    #[getter]
    fn path(&self) -> PathBuf {
        self.spec.path.clone()
    }

    /// The model's text as validated (after the overrides).
    #[getter]
    fn text(&self) -> String {
        self.spec.text.clone()
    }

    /// Warnings the validation gave.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.spec.warnings.iter().map(|w| w.to_string()).collect()
    }

    /// The populations: name and size (fixed-point models too).
    #[getter]
    fn populations(&self) -> Vec<(String, u32)> {
        match &self.spec.fixed {
            Some(f) => f
                .populations
                .iter()
                .map(|p| (p.name.clone(), p.size))
                .collect(),
            None => self
                .spec
                .populations
                .iter()
                .map(|p| (p.name.clone(), p.size))
                .collect(),
        }
    }

    /// `(dt, duration, steps, seed, threads, engine)` of `[simulation]`.
    #[getter]
    fn simulation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = &self.spec.simulation;
        let d = PyDict::new(py);
        d.set_item("dt", s.dt)?;
        d.set_item("duration", s.duration)?;
        d.set_item("steps", s.steps)?;
        d.set_item("seed", s.seed)?;
        d.set_item("threads", s.threads)?;
        d.set_item("engine", engine_label(&self.spec))?;
        Ok(d)
    }

    /// The same model with more overrides (`section.key=value`).
    fn with_overrides(&self, py: Python<'_>, overrides: Vec<String>) -> PyResult<NativeModel> {
        guarded(py, || {
            let spec = parse(&self.spec.path, &self.spec.text, &overrides)
                .map_err(|e| model_error(py, &e))?;
            Ok(NativeModel { spec })
        })
    }

    /// The memory estimate of a run in memory on `threads` workers (the
    /// model's own count when None): `(parts, available)` with parts
    /// `[(what, bytes)]` largest first, and the machine's limit in bytes
    /// (None when unknown).
    #[pyo3(signature = (threads = None))]
    fn memory_estimate(&self, threads: Option<u32>) -> (Vec<(String, f64)>, Option<f64>) {
        let estimate = self.estimate(threads);
        let parts = estimate
            .parts
            .iter()
            .map(|p| (p.what.clone(), p.bytes))
            .collect();
        (parts, memory::available().limit())
    }

    /// The `spikesim check` summary, or the memory refusal as an error.
    #[pyo3(signature = (ignore_memory_limit = false))]
    fn check(&self, py: Python<'_>, ignore_memory_limit: bool) -> PyResult<String> {
        guarded(py, || {
            let estimate = self.estimate(None);
            let fits = self.fits(&estimate);
            if !ignore_memory_limit {
                fits.map_err(|e| to_py(py, e))?;
            }
            Ok(self.summary(&estimate))
        })
    }

    /// Run the model in memory. `progress(done, total)` is called a few
    /// times a second from this thread; Ctrl-C (a pending Python signal)
    /// stops the run at its next epoch boundary. Returns
    /// `(results, interrupted_exception_or_None)`.
    #[pyo3(signature = (progress = None, ignore_memory_limit = false))]
    fn run(
        &self,
        py: Python<'_>,
        progress: Option<Py<PyAny>>,
        ignore_memory_limit: bool,
    ) -> PyResult<(Py<PyAny>, Option<PyErr>)> {
        guarded(py, || self.run_here(py, progress, ignore_memory_limit))
    }
}

/// How often the waiting thread looks at signals and progress.
const POLL: Duration = Duration::from_millis(50);

impl NativeModel {
    /// The validated model.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    fn estimate(&self, threads: Option<u32>) -> memory::Estimate {
        let workers =
            spikesim::engine::thread_count(threads.unwrap_or(self.spec.simulation.threads));
        memory::model_estimate(&self.spec, workers)
    }

    fn fits(&self, estimate: &memory::Estimate) -> Result<(), Error> {
        let what = self.spec.path.display().to_string();
        memory::check_fits(
            &what,
            estimate,
            &memory::available(),
            "pass ignore_memory_limit=True",
        )
        .map_err(Error::from)
    }

    /// What `spikesim check` prints.
    fn summary(&self, estimate: &memory::Estimate) -> String {
        spikesim::cli::check::summary(&self.spec, estimate)
    }

    fn run_here(
        &self,
        py: Python<'_>,
        progress: Option<Py<PyAny>>,
        ignore_memory_limit: bool,
    ) -> PyResult<(Py<PyAny>, Option<PyErr>)> {
        let estimate = self.estimate(None);
        if !ignore_memory_limit {
            self.fits(&estimate).map_err(|e| to_py(py, e))?;
        }
        let spec = &self.spec;
        let stop = AtomicBool::new(false);
        let done = AtomicU64::new(0);
        let total = spec.simulation.steps;
        let mut interrupted: Option<PyErr> = None;
        let mut callback_error: Option<PyErr> = None;
        let outcome = std::thread::scope(|s| {
            let worker = s.spawn(|| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run_in_memory(spec, &stop, &done)
                }))
            });
            loop {
                let finished = py.detach(|| wait_a_little(&worker));
                if interrupted.is_none()
                    && let Err(e) = py.check_signals()
                {
                    stop.store(true, Ordering::Relaxed);
                    interrupted = Some(e);
                }
                if let (Some(cb), None) = (&progress, &callback_error)
                    && let Err(e) = cb.call1(py, (done.load(Ordering::Relaxed), total))
                {
                    // A failing progress callback stops the run too. Ctrl-C
                    // that lands while the callback runs raises its
                    // KeyboardInterrupt there: the same interruption as one
                    // caught while waiting, so it ends in RunInterrupted.
                    stop.store(true, Ordering::Relaxed);
                    if e.is_instance_of::<PyKeyboardInterrupt>(py) {
                        interrupted.get_or_insert(e);
                    } else {
                        callback_error = Some(e);
                    }
                }
                if finished {
                    break;
                }
            }
            worker.join()
        });
        let outcome = match outcome {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(panic)) | Err(panic) => return Err(panic_error(py, panic)),
        };
        if let Some(e) = callback_error {
            return Err(e);
        }
        let (results, ended) = outcome.map_err(|e| to_py(py, e.into()))?;
        let dt = spec.simulation.dt;
        match ended {
            Ended::Finished => Ok((results_to_py(py, results)?, None)),
            Ended::Stopped(step) => {
                let message = format!(
                    "run interrupted at t = {} s (step {step} of {total})",
                    step as f64 * dt
                );
                let fields = [("reached", Some((step as f64 * dt).to_string()))];
                let e = exception(py, "RunInterrupted", &message, &fields);
                if let Some(original) = interrupted {
                    e.set_cause(py, Some(original));
                }
                Ok((results_to_py(py, results)?, Some(e)))
            }
            Ended::Fault(step, message) => {
                let message = format!("{message} (at t = {} s)", step as f64 * dt);
                let e = exception(py, "SimulationError", &message, &[]);
                Ok((results_to_py(py, results)?, Some(e)))
            }
        }
    }
}

/// Up to [`POLL`] of waiting for the worker; whether it has finished.
fn wait_a_little<T>(worker: &std::thread::ScopedJoinHandle<'_, T>) -> bool {
    let step = Duration::from_millis(5);
    let mut waited = Duration::ZERO;
    while waited < POLL {
        if worker.is_finished() {
            return true;
        }
        std::thread::sleep(step);
        waited += step;
    }
    worker.is_finished()
}

/// The whole run in memory (what `spikesim run` streams to its file),
/// stopping at the first epoch boundary after `stop` is set.
fn run_in_memory(
    spec: &ModelSpec,
    stop: &AtomicBool,
    done: &AtomicU64,
) -> Result<(Results, Ended), spikesim::engine::RunError> {
    let mut collect = Collect::default();
    let asked = || stop.load(Ordering::Relaxed);
    let output = Output {
        control: Control {
            checkpoint_every: None,
            buffer_bytes: DEFAULT_BUFFER,
            stop: &asked,
        },
        sink: Some(&mut collect),
        checkpoint: None,
        resume: None,
    };
    let end = spikesim::engine::run_share(
        spec,
        &mut |steps, _| done.store(steps, Ordering::Relaxed),
        &Solo,
        output,
    )?;
    let mut results = collect.0.take().unwrap_or_default();
    results.info = end.info;
    match &end.ended {
        Ended::Stopped(step) | Ended::Fault(step, _) => {
            results.info.reached = Some(*step as f64 * spec.simulation.dt);
        }
        Ended::Finished => {}
    }
    Ok((results, end.ended))
}

fn engine_label(spec: &ModelSpec) -> &'static str {
    match (&spec.fixed, spec.simulation.engine) {
        (Some(_), _) => "clock (fixed-point)",
        (None, spikesim::model::spec::EngineKind::Clock) => "clock",
        (None, spikesim::model::spec::EngineKind::Event) => "event",
    }
}
