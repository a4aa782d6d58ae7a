//! Validation of values as written anywhere in a model: quantities with
//! units, per-element arrays, distributions, rates per step, piecewise time
//! courses and the files a model refers to.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::{Spanned, Value};

use super::{Result, Validator, span_of};
use crate::model::spec::{Piecewise, ValueSpec};
use crate::model::units::{
    Dimension, MAX_MAGNITUDE, MIN_MAGNITUDE, in_range, parse_as, parse_quantity,
};

impl Validator<'_> {
    pub(super) fn quantity(&self, s: &Spanned<String>, dim: Dimension, field: &str) -> Result<f64> {
        parse_as(s.get_ref(), dim).map_err(|e| self.err(span_of(s), field, e.to_string()))
    }

    pub(super) fn positive(&self, s: &Spanned<String>, dim: Dimension, field: &str) -> Result<f64> {
        let v = self.quantity(s, dim, field)?;
        if v <= 0.0 {
            return Err(self.err(
                span_of(s),
                field,
                format!("must be positive, got {:?}", s.get_ref()),
            ));
        }
        Ok(v)
    }

    /// A TOML value that must be a quantity string of one dimension.
    pub(super) fn value_quantity(
        &self,
        v: &Spanned<Value>,
        dims: &[Dimension],
        field: &str,
    ) -> Result<(f64, Dimension)> {
        self.quantity_of(v.get_ref(), dims, span_of(v), field)
    }

    pub(super) fn quantity_of(
        &self,
        value: &Value,
        dims: &[Dimension],
        span: Option<Range<usize>>,
        field: &str,
    ) -> Result<(f64, Dimension)> {
        let expected = || {
            dims.iter()
                .map(|d| format!("{d} such as {}", d.example()))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        let q = match value {
            Value::String(s) => {
                parse_quantity(s).map_err(|e| self.err(span.clone(), field, e.to_string()))?
            }
            Value::Integer(_) | Value::Float(_) if dims.contains(&Dimension::Dimensionless) => {
                let x = value
                    .as_float()
                    .or(value.as_integer().map(|i| i as f64))
                    .unwrap_or(0.0);
                if !x.is_finite() {
                    return Err(self.err(span, field, "must be a finite number"));
                }
                if !in_range(x) {
                    return Err(self.err(span, field, format!("{x:e} is outside the range a model can hold (0, or a magnitude between {MIN_MAGNITUDE:e} and {MAX_MAGNITUDE:e})")));
                }
                return Ok((x, Dimension::Dimensionless));
            }
            other => {
                return Err(self.err(
                    span,
                    field,
                    format!("expected {}, got {}", expected(), describe(other)),
                ));
            }
        };
        if !dims.contains(&q.dimension) {
            let got = if q.dimension == Dimension::Dimensionless {
                format!("{value} has no unit")
            } else {
                format!("{value} is {}", q.dimension)
            };
            return Err(self.err(span, field, format!("{got}, expected {}", expected())));
        }
        Ok((q.value, q.dimension))
    }

    /// A constant, a per-element array, or a distribution of one dimension.
    pub(super) fn value_spec(
        &self,
        v: &Spanned<Value>,
        dims: &[Dimension],
        field: &str,
        len: Option<usize>,
    ) -> Result<(ValueSpec, Dimension)> {
        let span = span_of(v);
        match v.get_ref() {
            Value::Array(items) => {
                let Some(n) = len else {
                    return Err(self.err(span, field, "a per-element array is not accepted here"));
                };
                if items.len() != n {
                    return Err(self.err(
                        span,
                        field,
                        format!("has {} values, expected one per neuron ({n})", items.len()),
                    ));
                }
                let mut dim = None;
                let mut values = Vec::with_capacity(n);
                for item in items {
                    let (x, d) = self.quantity_of(item, dims, span.clone(), field)?;
                    if dim.is_some_and(|prev| prev != d) {
                        return Err(self.err(
                            span.clone(),
                            field,
                            "array values mix units of different kinds",
                        ));
                    }
                    dim = Some(d);
                    values.push(x);
                }
                Ok((ValueSpec::Array(values), dim.unwrap_or(dims[0])))
            }
            Value::Table(t) => self.distribution(t, dims, span, field),
            other => {
                let (x, d) = self.quantity_of(other, dims, span, field)?;
                Ok((ValueSpec::Constant(x), d))
            }
        }
    }

    fn distribution(
        &self,
        t: &toml::Table,
        dims: &[Dimension],
        span: Option<Range<usize>>,
        field: &str,
    ) -> Result<(ValueSpec, Dimension)> {
        let usage = "expected a quantity, an array, `{ uniform = [low, high] }` or `{ normal = { mean = ..., std = ... } }` (optionally with `min` and `max`)";
        if t.len() != 1 {
            return Err(self.err(span, field, usage));
        }
        let (key, body) = t.iter().next().expect("one entry");
        match (key.as_str(), body) {
            ("uniform", Value::Array(bounds)) if bounds.len() == 2 => {
                let (low, d1) = self.quantity_of(&bounds[0], dims, span.clone(), field)?;
                let (high, d2) = self.quantity_of(&bounds[1], dims, span.clone(), field)?;
                if d1 != d2 {
                    return Err(self.err(span, field, "uniform bounds have different units"));
                }
                if low > high {
                    return Err(self.err(
                        span,
                        field,
                        "uniform: the low bound exceeds the high bound",
                    ));
                }
                Ok((ValueSpec::Uniform { low, high }, d1))
            }
            ("normal", Value::Table(p)) => self.normal(p, dims, span, field),
            _ => Err(self.err(span, field, usage)),
        }
    }

    /// `{ normal = { mean, std, min, max } }`: values outside `[min, max]`
    /// are drawn again.
    fn normal(
        &self,
        p: &toml::Table,
        dims: &[Dimension],
        span: Option<Range<usize>>,
        field: &str,
    ) -> Result<(ValueSpec, Dimension)> {
        let (Some(mean), Some(std)) = (p.get("mean"), p.get("std")) else {
            return Err(self.err(span, field, "normal needs `mean` and `std`"));
        };
        if let Some(key) = p
            .keys()
            .find(|k| !["mean", "std", "min", "max"].contains(&k.as_str()))
        {
            return Err(self.err(
                span,
                field,
                format!("normal takes `mean`, `std` and optionally `min` and `max`, got `{key}`"),
            ));
        }
        let (mean, d1) = self.quantity_of(mean, dims, span.clone(), field)?;
        let (std, d2) = self.quantity_of(std, dims, span.clone(), field)?;
        if d1 != d2 {
            return Err(self.err(span, field, "normal: mean and std have different units"));
        }
        if std < 0.0 {
            return Err(self.err(span, field, "normal: std must not be negative"));
        }
        let bound = |key: &str, absent: f64| -> Result<f64> {
            let Some(v) = p.get(key) else {
                return Ok(absent);
            };
            let (x, d) = self.quantity_of(v, dims, span.clone(), field)?;
            if d != d1 {
                return Err(self.err(
                    span.clone(),
                    field,
                    format!("normal: {key} and mean have different units"),
                ));
            }
            Ok(x)
        };
        let min = bound("min", f64::NEG_INFINITY)?;
        let max = bound("max", f64::INFINITY)?;
        if min > max {
            return Err(self.err(span, field, "normal: min exceeds max"));
        }
        // Values outside [min, max] are drawn again: almost no mass
        // inside would mean (nearly) endless redrawing.
        let mass = crate::engine::rng::normal_mass(mean, std, min, max);
        if mass < MIN_REDRAW_MASS {
            return Err(self.err(
                span,
                field,
                format!("normal: [min, max] holds a fraction {mass:.3e} of the distribution (at least {MIN_REDRAW_MASS:e} needed), so values could not be redrawn into it"),
            ));
        }
        Ok((
            ValueSpec::Normal {
                mean,
                std,
                min,
                max,
            },
            d1,
        ))
    }

    /// Resolve a file a model refers to: relative to the working directory,
    /// else to the model file's folder or its parent (so `stimuli/x.csv`
    /// works from `models/m.toml` run anywhere in the project).
    pub(super) fn file(&self, s: &Spanned<String>, field: &str) -> Result<PathBuf> {
        let rel = Path::new(s.get_ref());
        let model_dir = self.src.path.parent().unwrap_or(Path::new("."));
        let mut candidates = vec![rel.to_path_buf()];
        if rel.is_relative() {
            candidates.push(model_dir.join(rel));
            if let Some(parent) = model_dir.parent() {
                candidates.push(parent.join(rel));
            }
        }
        candidates
            .iter()
            .find(|c| c.is_file())
            .cloned()
            .ok_or_else(|| {
                let tried: Vec<String> =
                    candidates.iter().map(|c| c.display().to_string()).collect();
                self.err(
                    span_of(s),
                    field,
                    format!(
                        "file not found: {:?} (looked at {})",
                        s.get_ref(),
                        tried.join(", ")
                    ),
                )
            })
    }
}

pub(crate) fn check_non_negative(spec: &ValueSpec) -> std::result::Result<(), String> {
    let negative = match spec {
        ValueSpec::Constant(v) => *v < 0.0,
        ValueSpec::Array(a) => a.iter().any(|v| *v < 0.0),
        ValueSpec::Uniform { low, .. } => *low < 0.0,
        ValueSpec::Normal { .. } => false,
    };
    if negative {
        Err("must not be negative".into())
    } else {
        Ok(())
    }
}

/// A Poisson source spikes at most once per step on the clock grid, and the
/// event engine emits every spike of its continuous-time process: a rate
/// above `1 / dt` cannot be represented by the one and would swamp (or, once
/// the intervals vanish against the time, stall) the other.
pub(crate) fn check_rate_per_step(spec: &ValueSpec, dt: f64) -> std::result::Result<(), String> {
    // Draws beyond ten standard deviations do not happen.
    let highest = spec.upper_bound(10.0);
    if highest * dt > 1.0 {
        return Err(format!(
            "a rate of {highest:e} Hz is more than one spike per step of dt ({:e} Hz); use a smaller dt or more sources",
            1.0 / dt
        ));
    }
    Ok(())
}

/// A Poisson rate course read from a file (a `poisson` population's or
/// stimulus's `rate_file`): no negative rate, and its highest at most one
/// spike per step.
pub(crate) fn check_rate_course(course: &Piecewise, dt: f64) -> std::result::Result<(), String> {
    if course.values.iter().any(|r| *r < 0.0) {
        return Err("rates must not be negative".into());
    }
    let highest = course.values.iter().copied().fold(0.0, f64::max);
    check_rate_per_step(&ValueSpec::Constant(highest), dt)
}

/// Sort-checked `(time, value)` rows to a piecewise-constant function that is
/// zero before the first time.
pub(super) fn piecewise(rows: Vec<(f64, f64)>) -> std::result::Result<Piecewise, String> {
    if rows.is_empty() {
        return Err("the time course has no rows".into());
    }
    if rows.windows(2).any(|w| w[1].0 < w[0].0) {
        return Err("times must not decrease".into());
    }
    if rows[0].0 < 0.0 {
        return Err("times must not be negative".into());
    }
    let mut times = Vec::with_capacity(rows.len() + 1);
    let mut values = Vec::with_capacity(rows.len() + 1);
    if rows[0].0 > 0.0 {
        times.push(0.0);
        values.push(0.0);
    }
    for (t, v) in rows {
        times.push(t);
        values.push(v);
    }
    Ok(Piecewise { times, values })
}

/// How a value that has the wrong type reads in an error.
pub(super) fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string {s:?}"),
        Value::Integer(i) => format!("the number {i}"),
        Value::Float(f) => format!("the number {f}"),
        Value::Boolean(b) => format!("the boolean {b}"),
        Value::Datetime(d) => format!("the date {d}"),
        Value::Array(_) => "an array".into(),
        Value::Table(_) => "a table".into(),
    }
}

/// The least probability a redrawn normal's `[min, max]` may hold.
const MIN_REDRAW_MASS: f64 = 1e-6;
