//! The experiment commands from Python: `train`, `continual`, `quantize`
//! and `compare`, calling the library functions `spikesim train`,
//! `continual`, `quantize` and `compare` call, with their lines of report
//! handed to a Python callable instead of printed.

use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use pyo3::types::PyDict;

use spikesim::Error;
use spikesim::cli::experiment::ExperimentArgs;
use spikesim::learn::file_kind::FileKind;
use spikesim::model::memory;

use crate::errors::{guarded, model_error, to_py};
use crate::model::NativeModel;

/// `report(line)` from a thread that has let go of the GIL.
fn reporter(report: &Option<Py<PyAny>>) -> impl FnMut(&str) + '_ {
    move |line: &str| {
        if let Some(cb) = report {
            // A failing callback must not stop a training: its error is
            // printed by Python (as an unraisable exception) and skipped.
            Python::attach(|py| {
                if let Err(e) = cb.call1(py, (line,)) {
                    e.write_unraisable(py, None);
                }
            });
        }
    }
}

/// `threads` checked as `--threads` is.
fn threads_option(threads: Option<usize>) -> Result<(), Error> {
    match threads {
        Some(t) => {
            memory::thread_limit(t as u64).map_err(|e| Error::Usage(format!("threads: {e}")))
        }
        None => Ok(()),
    }
}

/// The experiment file's text with `set` applied, as `--set` applies it,
/// refused when the file is of another kind than `kind`.
fn experiment_text(experiment: &Path, set: Vec<String>, kind: FileKind) -> Result<String, Error> {
    let args = ExperimentArgs {
        experiment: experiment.to_path_buf(),
        set,
        check: false,
    };
    args.text_of_kind(&[], kind)
}

/// `spikesim train EXPERIMENT`: returns the files written.
#[pyfunction]
#[pyo3(signature = (experiment, resume = false, epochs = None, threads = None,
                    ignore_memory_limit = false, progress = false, report = None,
                    set = Vec::new()))]
#[allow(clippy::too_many_arguments)]
pub fn train(
    py: Python<'_>,
    experiment: PathBuf,
    resume: bool,
    epochs: Option<usize>,
    threads: Option<usize>,
    ignore_memory_limit: bool,
    progress: bool,
    report: Option<Py<PyAny>>,
    set: Vec<String>,
) -> PyResult<Py<PyAny>> {
    guarded(py, || {
        let text =
            experiment_text(&experiment, set, FileKind::Training).map_err(|e| to_py(py, e))?;
        let mut exp = spikesim::learn::train::experiment::parse_experiment(&experiment, &text)
            .map_err(|e| model_error(py, &e))?;
        if exp.continual {
            return Err(to_py(
                py,
                Error::Usage(format!(
                    "{} is a continual-learning experiment ([continual] / [hlop]): \
                     use spikesim.continual on it",
                    experiment.display()
                )),
            ));
        }
        threads_option(threads).map_err(|e| to_py(py, e))?;
        exp.epochs = epochs.unwrap_or(exp.epochs);
        if exp.epochs == 0 {
            // As `spikesim train --epochs 0`: validated, nothing written.
            reporter(&report)("epochs 0: nothing trained, no file written");
            let d = PyDict::new(py);
            for key in [
                "metrics_csv",
                "metrics_h5",
                "learning_curve",
                "checkpoint",
                "model",
            ] {
                d.set_item(key, py.None())?;
            }
            return Ok(d.into_any().unbind());
        }
        exp.threads = threads.unwrap_or(exp.threads);
        exp.ignore_memory_limit = ignore_memory_limit;
        let opts = spikesim::learn::train::session::SessionOptions {
            resume,
            show_progress: progress,
        };
        let files = py
            .detach(|| {
                let mut say = reporter(&report);
                spikesim::learn::train::session::run_session(&exp, &opts, &mut say)
                    .map(|(_, _, files)| files)
            })
            .map_err(|e| to_py(py, e))?;
        let d = PyDict::new(py);
        d.set_item("metrics_csv", &files.metrics_csv)?;
        d.set_item("metrics_h5", &files.metrics_h5)?;
        d.set_item("learning_curve", &files.learning_curve)?;
        d.set_item("checkpoint", &files.checkpoint)?;
        match &files.exported {
            Some(e) => {
                d.set_item("model", &e.model)?;
                d.set_item("weights", &e.weights)?;
                d.set_item("input", &e.input)?;
            }
            None => {
                d.set_item("model", py.None())?;
            }
        }
        Ok(d.into_any().unbind())
    })
}

/// `spikesim continual EXPERIMENT`: returns `(files, complete)`.
#[pyfunction]
#[pyo3(signature = (experiment, resume = false, threads = None, ignore_memory_limit = false,
                    seeds = None, stop_after_tasks = None, progress = false, report = None,
                    set = Vec::new()))]
#[allow(clippy::too_many_arguments)]
pub fn continual(
    py: Python<'_>,
    experiment: PathBuf,
    resume: bool,
    threads: Option<usize>,
    ignore_memory_limit: bool,
    seeds: Option<Vec<u64>>,
    stop_after_tasks: Option<usize>,
    progress: bool,
    report: Option<Py<PyAny>>,
    set: Vec<String>,
) -> PyResult<(Vec<PathBuf>, bool)> {
    use spikesim::learn::continual::{experiment::parse_continual, session};
    guarded(py, || {
        let text =
            experiment_text(&experiment, set, FileKind::Continual).map_err(|e| to_py(py, e))?;
        let mut exp = parse_continual(&experiment, &text).map_err(|e| model_error(py, &e))?;
        threads_option(threads).map_err(|e| to_py(py, e))?;
        exp.base.threads = threads.unwrap_or(exp.base.threads);
        exp.base.ignore_memory_limit = ignore_memory_limit;
        if let Some(seeds) = seeds {
            if seeds.is_empty() {
                return Err(to_py(
                    py,
                    Error::Usage("seeds: name at least one seed".into()),
                ));
            }
            exp.spec.seeds = seeds;
        }
        let opts = session::ContinualOptions {
            resume,
            show_progress: progress,
            stop_after_tasks,
        };
        let outcome = py
            .detach(|| {
                let mut say = reporter(&report);
                session::run_continual(&exp, &opts, &mut say)
            })
            .map_err(|e| to_py(py, e))?;
        Ok((outcome.files, outcome.complete))
    })
}

/// `spikesim quantize MODEL --out OUT` on a loaded model: writes the
/// fixed-point model file, returns the mapping's notes.
#[pyfunction]
pub fn quantize(py: Python<'_>, model: &NativeModel, out: PathBuf) -> PyResult<Vec<String>> {
    guarded(py, || {
        let spec = model.spec();
        let inputs = spikesim::io::output_path::model_inputs(&spec.path, &spec.text);
        spikesim::io::output_path::check_output(&out, &inputs)
            .map_err(|e| to_py(py, Error::Usage(format!("out: {e}"))))?;
        let q = spikesim::model::quantize::quantize(spec)
            .map_err(|e| to_py(py, Error::Usage(format!("{}: {e}", spec.path.display()))))?;
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                to_py(
                    py,
                    Error::Usage(format!("cannot create the folder {}: {e}", dir.display())),
                )
            })?;
        }
        spikesim::io::output_path::write_atomically(&out, q.text.as_bytes())
            .map_err(|e| to_py(py, e.into()))?;
        Ok(q.notes)
    })
}

/// `spikesim compare A B` on two files: one dictionary per population.
#[pyfunction]
pub fn compare_files(py: Python<'_>, a: PathBuf, b: PathBuf) -> PyResult<Vec<Py<PyAny>>> {
    guarded(py, || {
        let read = |p: &PathBuf| spikesim::io::hdf5::read_results(p).map_err(Error::from);
        let ra = read(&a).map_err(|e| to_py(py, e))?;
        let rb = read(&b).map_err(|e| to_py(py, e))?;
        diffs(py, &ra, &rb)
    })
}

/// [`compare_files`] on two results dictionaries (of `Results`).
#[pyfunction]
pub fn compare_results(
    py: Python<'_>,
    a: &Bound<'_, PyDict>,
    b: &Bound<'_, PyDict>,
) -> PyResult<Vec<Py<PyAny>>> {
    guarded(py, || {
        let ra = crate::results::results_from_py(a)?;
        let rb = crate::results::results_from_py(b)?;
        diffs(py, &ra, &rb)
    })
}

fn diffs(
    py: Python<'_>,
    a: &spikesim::io::results::Results,
    b: &spikesim::io::results::Results,
) -> PyResult<Vec<Py<PyAny>>> {
    let all = spikesim::io::compare::compare(a, b);
    if all.is_empty() {
        return Err(to_py(
            py,
            Error::Usage("the two files share no recorded population".into()),
        ));
    }
    all.into_iter()
        .map(|d| {
            let x = PyDict::new(py);
            x.set_item("population", &d.population)?;
            x.set_item("size", d.size)?;
            x.set_item("rate_a", d.rate_a)?;
            x.set_item("rate_b", d.rate_b)?;
            x.set_item("relative_rate_change", d.relative_rate_change())?;
            x.set_item("count_correlation", d.count_correlation)?;
            x.set_item("equal_counts", d.equal_counts)?;
            x.set_item("matched", d.matched)?;
            x.set_item("mean_shift", d.mean_shift)?;
            x.set_item("mean_abs_shift", d.mean_abs_shift)?;
            x.set_item("median_abs_shift", d.median_abs_shift)?;
            x.set_item("max_abs_shift", d.max_abs_shift)?;
            Ok(x.into_any().unbind())
        })
        .collect()
}
