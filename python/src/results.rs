//! Results between Rust and Python: a run's `Results` as a dictionary of
//! NumPy arrays (each recording's vector moved into its array, no copy),
//! and back for writing; reading and writing results files.

use std::path::PathBuf;

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use spikesim::io::results::{Results, RunInfo, SpikeTrains, StateTrace, WeightTrace};

use crate::errors::{guarded, to_py};

/// `results` as
/// `{"info": {...}, "spikes": [{population, size, steps, senders, times}],
///   "states": [{population, variable, unit, neurons, steps, values[rows,
///   neurons], threshold, integer}], "weights": [{projection, unit, pre,
///   post, steps, times, values[rows, synapses]}]}`.
pub fn results_to_py(py: Python<'_>, results: Results) -> PyResult<Py<PyAny>> {
    let d = PyDict::new(py);
    d.set_item("info", info_to_py(py, &results.info)?)?;
    let dt = results.info.dt;
    let spikes = PyList::empty(py);
    for s in results.spikes {
        spikes.append(spikes_to_py(py, s, dt)?)?;
    }
    d.set_item("spikes", spikes)?;
    let states = PyList::empty(py);
    for s in results.states {
        states.append(state_to_py(py, s)?)?;
    }
    d.set_item("states", states)?;
    let weights = PyList::empty(py);
    for w in results.weights {
        weights.append(weights_to_py(py, w)?)?;
    }
    d.set_item("weights", weights)?;
    Ok(d.into_any().unbind())
}

fn info_to_py<'py>(py: Python<'py>, i: &RunInfo) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("model_text", &i.model_text)?;
    d.set_item("model_path", &i.model_path)?;
    d.set_item("seed", i.seed)?;
    d.set_item("dt", i.dt)?;
    d.set_item("duration", i.duration)?;
    d.set_item("engine", &i.engine)?;
    d.set_item("threads", i.threads)?;
    d.set_item("ranks", i.ranks)?;
    d.set_item("version", &i.version)?;
    d.set_item("build_seconds", i.build_seconds)?;
    d.set_item("simulate_seconds", i.simulate_seconds)?;
    d.set_item("synapses", i.synapses)?;
    d.set_item("synaptic_events", i.synaptic_events)?;
    d.set_item("reached", i.reached)?;
    Ok(d)
}

fn spikes_to_py<'py>(py: Python<'py>, s: SpikeTrains, dt: f64) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let times = match s.times {
        Some(t) => t,
        None => s.steps.iter().map(|&k| k as f64 * dt).collect(),
    };
    d.set_item("population", &s.population)?;
    d.set_item("size", s.size)?;
    d.set_item("steps", PyArray1::from_vec(py, s.steps))?;
    d.set_item("senders", PyArray1::from_vec(py, s.senders))?;
    d.set_item("times", PyArray1::from_vec(py, times))?;
    Ok(d)
}

fn state_to_py<'py>(py: Python<'py>, s: StateTrace) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let (rows, width) = (s.steps.len(), s.neurons.len());
    d.set_item("population", &s.population)?;
    d.set_item("variable", &s.variable)?;
    d.set_item("unit", &s.unit)?;
    d.set_item("neurons", PyArray1::from_vec(py, s.neurons))?;
    d.set_item("steps", PyArray1::from_vec(py, s.steps))?;
    // Row-major [rows, neurons]: a reshape of the moved vector, no copy.
    let values = PyArray1::from_vec(py, s.values).reshape([rows, width])?;
    d.set_item("values", values)?;
    d.set_item("threshold", s.threshold)?;
    d.set_item("integer", s.integer)?;
    Ok(d)
}

fn weights_to_py<'py>(py: Python<'py>, w: WeightTrace) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let (rows, width) = (w.steps.len(), w.pre.len());
    d.set_item("projection", &w.projection)?;
    d.set_item("unit", &w.unit)?;
    d.set_item("pre", PyArray1::from_vec(py, w.pre))?;
    d.set_item("post", PyArray1::from_vec(py, w.post))?;
    d.set_item("steps", PyArray1::from_vec(py, w.steps))?;
    d.set_item("times", PyArray1::from_vec(py, w.times))?;
    let values = PyArray1::from_vec(py, w.values).reshape([rows, width])?;
    d.set_item("values", values)?;
    Ok(d)
}

/// Read a results file written by `spikesim run` or `to_hdf5`.
#[pyfunction]
pub fn read_results(py: Python<'_>, path: PathBuf) -> PyResult<Py<PyAny>> {
    guarded(py, || {
        let results = py
            .detach(|| spikesim::io::hdf5::read_results(&path))
            .map_err(|e| to_py(py, e.into()))?;
        results_to_py(py, results)
    })
}

/// Write the dictionary [`results_to_py`] makes to `path` (HDF5, the
/// layout of `spikesim run`'s files; beside, then moved into place).
#[pyfunction]
pub fn write_results(py: Python<'_>, path: PathBuf, results: &Bound<'_, PyDict>) -> PyResult<()> {
    guarded(py, || {
        let results = results_from_py(results)?;
        py.detach(|| spikesim::io::hdf5::write_results(&path, &results))
            .map_err(|e| to_py(py, e.into()))
    })
}

fn item<'py, T: for<'a> FromPyObjectOwned<'py>>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<T> {
    match d.get_item(key)? {
        Some(v) => v.extract().map_err(Into::into),
        None => Err(pyo3::exceptions::PyKeyError::new_err(key.to_string())),
    }
}

fn vector<'py, T: numpy::Element + Copy + 'static>(
    d: &Bound<'py, PyDict>,
    key: &str,
) -> PyResult<Vec<T>> {
    let any = d
        .get_item(key)?
        .ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(key.to_string()))?;
    let a = any.extract::<PyReadonlyArray1<'py, T>>()?;
    Ok(a.as_array().iter().copied().collect())
}

fn matrix<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Vec<f64>> {
    let any = d
        .get_item(key)?
        .ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(key.to_string()))?;
    let a = any.extract::<PyReadonlyArray2<'py, f64>>()?;
    Ok(a.as_array().iter().copied().collect())
}

pub fn results_from_py(d: &Bound<'_, PyDict>) -> PyResult<Results> {
    let i: Bound<'_, PyDict> = item(d, "info")?;
    let info = RunInfo {
        model_text: item(&i, "model_text")?,
        model_path: item(&i, "model_path")?,
        seed: item(&i, "seed")?,
        dt: item(&i, "dt")?,
        duration: item(&i, "duration")?,
        engine: item(&i, "engine")?,
        threads: item(&i, "threads")?,
        ranks: item(&i, "ranks")?,
        version: item(&i, "version")?,
        build_seconds: item(&i, "build_seconds")?,
        simulate_seconds: item(&i, "simulate_seconds")?,
        synapses: item(&i, "synapses")?,
        synaptic_events: item(&i, "synaptic_events")?,
        reached: item(&i, "reached")?,
    };
    let dt = info.dt;
    let mut spikes = Vec::new();
    for s in item::<Bound<'_, PyList>>(d, "spikes")?.iter() {
        let s = s.cast_into::<PyDict>()?;
        let steps: Vec<u64> = vector(&s, "steps")?;
        let times: Vec<f64> = vector(&s, "times")?;
        // Grid times are not stored as explicit times (as the reader does).
        let on_grid = times.iter().zip(&steps).all(|(&t, &k)| t == k as f64 * dt);
        spikes.push(SpikeTrains {
            population: item(&s, "population")?,
            size: item(&s, "size")?,
            senders: vector(&s, "senders")?,
            steps,
            times: (!on_grid).then_some(times),
        });
    }
    let mut states = Vec::new();
    for s in item::<Bound<'_, PyList>>(d, "states")?.iter() {
        let s = s.cast_into::<PyDict>()?;
        states.push(StateTrace {
            population: item(&s, "population")?,
            variable: item(&s, "variable")?,
            unit: item(&s, "unit")?,
            neurons: vector(&s, "neurons")?,
            steps: vector(&s, "steps")?,
            values: matrix(&s, "values")?,
            threshold: item(&s, "threshold")?,
            integer: item(&s, "integer")?,
        });
    }
    let mut weights = Vec::new();
    for w in item::<Bound<'_, PyList>>(d, "weights")?.iter() {
        let w = w.cast_into::<PyDict>()?;
        weights.push(WeightTrace {
            projection: item(&w, "projection")?,
            unit: item(&w, "unit")?,
            pre: vector(&w, "pre")?,
            post: vector(&w, "post")?,
            steps: vector(&w, "steps")?,
            times: vector(&w, "times")?,
            values: matrix(&w, "values")?,
        });
    }
    Ok(Results {
        info,
        spikes,
        states,
        weights,
    })
}
