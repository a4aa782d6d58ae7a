//! What a neuron model reads from its population's `params` and `init`
//! tables: typed, unit-checked values whose errors name the file, the line
//! and the field. Each model's `parse` (in its file under `src/neuron/`)
//! works through this and nothing else of the validator.

use std::path::{Path, PathBuf};

use toml::{Spanned, Value};

use super::{Result, Validator, span_of};
use crate::io::stimuli;
use crate::model::error::ModelError;
use crate::model::schema::ValueMap;
use crate::model::spec::{Piecewise, ValueSpec};
use crate::model::units::Dimension;

/// A population's two tables as a model sees them.
pub struct ModelParams<'v, 'a> {
    /// The `params` table.
    pub params: Params<'v, 'a>,
    /// The `init` table.
    pub init: Params<'v, 'a>,
    /// Neurons in the population.
    pub size: u32,
    /// The simulation step, seconds.
    pub dt: f64,
}

/// One table (`params` or `init`) of a population.
pub struct Params<'v, 'a> {
    validator: &'v Validator<'a>,
    map: &'v ValueMap,
    prefix: String,
}

impl<'v, 'a> Params<'v, 'a> {
    pub(super) fn new(validator: &'v Validator<'a>, map: &'v ValueMap, prefix: String) -> Self {
        Self {
            validator,
            map,
            prefix,
        }
    }

    /// The full name of `key` in errors, e.g. `population[exc].params.tau_m`.
    pub fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.prefix)
    }

    /// The raw value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&'v Spanned<Value>> {
        self.map.get(key)
    }

    /// An error located at `key` (or at nothing, when it is absent).
    pub fn error(&self, key: &str, msg: impl Into<String>) -> ModelError {
        let span = self.map.get(key).map(|v| v.span());
        self.validator.err(span, &self.field(key), msg)
    }

    /// Refuse any key not in `keys`.
    pub fn allow(&self, keys: &[&str]) -> Result<()> {
        for (key, value) in self.map {
            if !keys.contains(&key.as_str()) {
                let allowed = if keys.is_empty() {
                    "none".to_string()
                } else {
                    keys.join(", ")
                };
                return Err(self.validator.err(
                    span_of(value),
                    &self.field(key),
                    format!("unknown parameter `{key}` (allowed: {allowed})"),
                ));
            }
        }
        Ok(())
    }

    /// A required quantity of dimension `dim`, in SI.
    pub fn scalar(&self, key: &str, dim: Dimension) -> Result<f64> {
        let v = self.get(key).ok_or_else(|| {
            self.validator.err(
                None,
                &self.field(key),
                format!("missing, expected {dim} such as {}", dim.example()),
            )
        })?;
        Ok(self
            .validator
            .value_quantity(v, &[dim], &self.field(key))?
            .0)
    }

    /// The quantity `key` of dimension `dim` in SI units, else `default`.
    pub fn scalar_or(&self, key: &str, dim: Dimension, default: f64) -> Result<f64> {
        match self.get(key) {
            None => Ok(default),
            Some(_) => self.scalar(key, dim),
        }
    }

    /// The quantity `key`, which must be given and positive.
    pub fn positive(&self, key: &str, dim: Dimension) -> Result<f64> {
        let v = self.scalar(key, dim)?;
        if v <= 0.0 {
            let written = self
                .get(key)
                .map(|s| s.get_ref().to_string())
                .unwrap_or_default();
            return Err(self.error(key, format!("must be positive, got {written}")));
        }
        Ok(v)
    }

    /// The quantity `key` if given (positive), else `default`.
    pub fn positive_or(&self, key: &str, dim: Dimension, default: f64) -> Result<f64> {
        match self.get(key) {
            None => Ok(default),
            Some(_) => self.positive(key, dim),
        }
    }

    /// A plain number (a concentration in µM, a weight) that must not be negative.
    pub fn non_negative_or(&self, key: &str, default: f64) -> Result<f64> {
        let v = self.scalar_or(key, Dimension::Dimensionless, default)?;
        if v < 0.0 {
            return Err(self.error(key, format!("must not be negative, got {v}")));
        }
        Ok(v)
    }

    /// A per-neuron value (constant, array of `len`, or distribution) in
    /// one of `dims`, and the dimension it was given in; `None` if absent.
    pub fn value(
        &self,
        key: &str,
        dims: &[Dimension],
        len: Option<usize>,
    ) -> Result<Option<(ValueSpec, Dimension)>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => self
                .validator
                .value_spec(v, dims, &self.field(key), len)
                .map(Some),
        }
    }

    /// A string value.
    pub fn string(&self, key: &str) -> Result<Option<Spanned<String>>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => self.validator.string_value(v, &self.field(key)).map(Some),
        }
    }

    /// A file named by a string value, resolved beside the model file and
    /// checked to exist.
    pub fn file(&self, key: &str) -> Result<Option<PathBuf>> {
        match self.string(key)? {
            None => Ok(None),
            Some(s) => self.validator.file(&s, &self.field(key)).map(Some),
        }
    }

    /// A current given in amperes (needs `r_m`) or as the voltage `r_m * i`.
    pub fn drive(&self, key: &str, r_m: Option<f64>, len: Option<usize>) -> Result<ValueSpec> {
        match self.get(key) {
            None => Ok(ValueSpec::Constant(0.0)),
            Some(v) => self.validator.as_drive(v, &self.field(key), r_m, len),
        }
    }

    /// A current times `r_m` is a voltage the membrane adds; each factor
    /// in range does not make their product so.
    pub fn drive_in_range(&self, key: &str, drive: ValueSpec) -> Result<ValueSpec> {
        let span = self.get(key).and_then(span_of);
        self.validator.drive_in_range(drive, span, &self.field(key))
    }

    /// `[[t0, t1, …], …]`: one array of times per neuron of `size`, as
    /// `(time, neuron)` pairs.
    pub fn spike_lists(&self, key: &str, size: u32) -> Result<Vec<(f64, u32)>> {
        let v = self.get(key).expect("asked for a present key");
        let field = self.field(key);
        let err = |msg: String| self.validator.err(span_of(v), &field, msg);
        let rows = v
            .get_ref()
            .as_array()
            .filter(|rows| rows.len() == size as usize)
            .ok_or_else(|| {
                err(format!(
                    "expected one array of spike times per neuron ({size} arrays)"
                ))
            })?;
        let mut spikes = Vec::new();
        for (n, row) in rows.iter().enumerate() {
            let times = row
                .as_array()
                .ok_or_else(|| err(format!("entry {n} is not an array of times")))?;
            for t in times {
                let (t, _) =
                    self.validator
                        .quantity_of(t, &[Dimension::Time], span_of(v), &field)?;
                spikes.push((t, n as u32));
            }
        }
        Ok(spikes)
    }

    /// The spike times of the HDF5 or CSV file at `path`, which `key` names
    /// (errors are located there).
    pub fn spike_file(&self, key: &str, path: &Path, group: &str) -> Result<Vec<(f64, u32)>> {
        stimuli::read_spike_times(path, group).map_err(|e| self.error(key, e))
    }

    /// A piecewise-constant course of `column` (dimension `dim`) from the
    /// CSV file named at `key`.
    pub fn time_course(&self, key: &str, column: &str, dim: Dimension) -> Result<Piecewise> {
        let f = self.get(key).expect("asked for a present key");
        self.validator.time_course(f, &self.field(key), column, dim)
    }
}
