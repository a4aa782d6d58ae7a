//! Parameters that are one value for a whole population or one value per
//! neuron (a TOML array of quantities), and the small readers of the model
//! options (`reset`, `spiking`, …) that the LIF models share. A uniform
//! array is stored as its single value, so that a population whose
//! parameters do not differ runs the scalar code path.

use toml::Value;

use crate::model::ModelError;
use crate::model::spec::ValueSpec;
use crate::model::units::Dimension;
use crate::model::validate::Params;

/// One value for the population, or one per neuron.
#[derive(Debug, Clone, PartialEq)]
pub enum PerNeuron {
    /// One value for every neuron.
    Same(f64),
    /// One value per neuron.
    Each(Vec<f64>),
}

impl PerNeuron {
    /// The value of neuron `i`.
    #[inline(always)]
    pub fn at(&self, i: usize) -> f64 {
        match self {
            PerNeuron::Same(v) => *v,
            PerNeuron::Each(a) => a[i],
        }
    }

    /// The single value, when every neuron has it.
    pub fn uniform(&self) -> Option<f64> {
        match self {
            PerNeuron::Same(v) => Some(*v),
            PerNeuron::Each(_) => None,
        }
    }

    /// The values of `n` neurons.
    pub fn values(&self, n: usize) -> Vec<f64> {
        match self {
            PerNeuron::Same(v) => vec![*v; n],
            PerNeuron::Each(a) => a.clone(),
        }
    }

    /// The mean over the neurons (the value itself when uniform).
    pub fn mean(&self) -> f64 {
        match self {
            PerNeuron::Same(v) => *v,
            PerNeuron::Each(a) => a.iter().sum::<f64>() / a.len() as f64,
        }
    }

    /// The smallest value.
    pub fn min(&self) -> f64 {
        match self {
            PerNeuron::Same(v) => *v,
            PerNeuron::Each(a) => a.iter().copied().fold(f64::INFINITY, f64::min),
        }
    }

    /// `f` applied to every value.
    pub fn map(&self, f: impl Fn(f64) -> f64) -> PerNeuron {
        match self {
            PerNeuron::Same(v) => PerNeuron::Same(f(*v)),
            PerNeuron::Each(a) => PerNeuron::Each(a.iter().map(|&v| f(v)).collect()),
        }
    }

    /// The first neuron `i` (of `n`) whose value fails `ok`.
    pub fn first_bad(&self, n: usize, ok: impl Fn(usize, f64) -> bool) -> Option<(usize, f64)> {
        (0..n).map(|i| (i, self.at(i))).find(|&(i, v)| !ok(i, v))
    }

    /// Whether the parameter differs between neurons.
    pub fn varies(&self) -> bool {
        matches!(self, PerNeuron::Each(_))
    }

    /// As a value specification (for the initial-state defaults).
    pub fn spec(&self) -> ValueSpec {
        match self {
            PerNeuron::Same(v) => ValueSpec::Constant(*v),
            PerNeuron::Each(a) => ValueSpec::Array(a.clone()),
        }
    }
}

/// `key` as one quantity of `dim` or an array of `n` of them; `None` when
/// absent. Distributions are refused: these parameters are the model's,
/// not a random initial state.
pub fn read(
    params: &Params,
    key: &str,
    dim: Dimension,
    n: usize,
) -> Result<Option<PerNeuron>, ModelError> {
    match params.get(key).map(|v| v.get_ref()) {
        None => return Ok(None),
        // One value: read as the models always read it (same messages).
        Some(v) if !v.is_array() => {
            return params.scalar(key, dim).map(|v| Some(PerNeuron::Same(v)));
        }
        Some(_) => {}
    }
    let Some((spec, _)) = params.value(key, &[dim], Some(n))? else {
        return Ok(None);
    };
    match spec {
        ValueSpec::Constant(v) => Ok(Some(PerNeuron::Same(v))),
        ValueSpec::Array(a) => match a.first() {
            Some(&first) if a.iter().all(|&v| v == first) => Ok(Some(PerNeuron::Same(first))),
            _ => Ok(Some(PerNeuron::Each(a))),
        },
        _ => Err(params.error(
            key,
            format!("give one {dim} or an array of {n} (one per neuron), not a distribution"),
        )),
    }
}

/// `key` as one positive quantity of `dim` or an array of positive ones.
pub fn positive(
    params: &Params,
    key: &str,
    dim: Dimension,
    n: usize,
) -> Result<Option<PerNeuron>, ModelError> {
    if params.get(key).is_some_and(|v| !v.get_ref().is_array()) {
        return params.positive(key, dim).map(|v| Some(PerNeuron::Same(v)));
    }
    let value = read(params, key, dim, n)?;
    if let Some(v) = &value
        && let Some((i, bad)) = v.first_bad(n, |_, x| x > 0.0)
    {
        let at = if v.varies() {
            format!(" (neuron {i})")
        } else {
            String::new()
        };
        return Err(params.error(key, format!("must be positive, got {bad:e}{at}")));
    }
    Ok(value)
}

/// A boolean option; `default` when absent.
pub fn flag(params: &Params, key: &str, default: bool) -> Result<bool, ModelError> {
    match params.get(key).map(|v| v.get_ref()) {
        None => Ok(default),
        Some(Value::Boolean(b)) => Ok(*b),
        Some(other) => Err(params.error(key, format!("must be true or false, got {other}"))),
    }
}

/// A string option among `choices` (the first is the default).
pub fn choice(
    params: &Params,
    key: &str,
    choices: &[&'static str],
) -> Result<&'static str, ModelError> {
    match params.get(key).map(|v| v.get_ref()) {
        None => Ok(choices[0]),
        Some(Value::String(s)) => choices
            .iter()
            .find(|c| **c == s.as_str())
            .copied()
            .ok_or_else(|| {
                params.error(
                    key,
                    format!(
                        "unknown value \"{s}\" (allowed: {})",
                        choices
                            .iter()
                            .map(|c| format!("\"{c}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            }),
        Some(other) => Err(params.error(
            key,
            format!(
                "must be a string, one of {}; got {other}",
                choices
                    .iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}
