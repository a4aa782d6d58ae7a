//! `[scale]`: a smaller (or larger) version of a model, as NEST's
//! microcircuit example makes one (van Albada et al. 2015):
//!
//! ```toml
//! [scale]
//! neurons = 0.1    # N_scaling: population sizes
//! indegree = 0.1   # K_scaling: synapses per neuron, and background sources
//! rates = { L23E = "0.903 Hz", ... }   # full-scale mean rates, for the DC
//! ```
//!
//! Sizes become `round(size * neurons)` (halves to even, as numpy rounds
//! in NEST's example); a `fixed_total_number` count
//! becomes `round(count * neurons * indegree)`, a `fixed_indegree`
//! `round(k * indegree)`, a background's `indegree` `round(k * indegree)`.
//! With `indegree = K < 1` every weight (projections and backgrounds) is
//! divided by `sqrt(K)`, which keeps the variance of the input, and the mean
//! input lost with it comes back as a constant drive: per target,
//! `(1 - sqrt(K)) * sum(w * k_full * rate_pre * tau)` over its projections
//! (weight `w` at full scale, indegree `k_full` at full scale, the source's
//! full-scale rate from `rates`) and its background (`rate * indegree`
//! sources), with `tau` the time constant of the receiving port (`tau_syn`
//! for current synapses, `tau_m` for delta synapses). The raw values are
//! rewritten before validation, so that errors still point at their lines.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::{Spanned, Value};

use super::{Result, Validator, span_of};
use crate::model::schema::RawModel;
use crate::model::spec::{NeuronKind, PopulationSpec, Port, ProjectionSpec, ValueSpec};
use crate::model::units::Dimension;

pub(super) struct Scaling {
    neurons: f64,
    indegree: f64,
    /// Full-scale rate of each named population, with where it is written.
    rates: BTreeMap<String, (f64, Range<usize>)>,
    span: Range<usize>,
}

/// The full-scale numbers the compensation needs, read before rewriting.
pub(super) struct FullScale {
    /// Per projection: synapses per target neuron at full scale, or `None`
    /// for a rule the scaling does not handle (refused in `rewrite`).
    indegrees: Vec<f64>,
    /// Per population: the background's number of sources at full scale.
    background: Vec<Option<f64>>,
}

impl Scaling {
    /// Both factors 1: the model as written, whatever its rules.
    pub(super) fn is_identity(&self) -> bool {
        self.neurons == 1.0 && self.indegree == 1.0
    }
}

impl Validator<'_> {
    /// The `[scale]` table, if the model has one.
    pub(super) fn scaling(&self, raw: &RawModel) -> Result<Option<Scaling>> {
        let Some(table) = &raw.scale else {
            return Ok(None);
        };
        let t = table.get_ref();
        let factor = |v: &Option<Spanned<Value>>, key: &str| -> Result<f64> {
            let Some(v) = v else { return Ok(1.0) };
            let x = match v.get_ref() {
                Value::Float(x) => *x,
                Value::Integer(i) => *i as f64,
                _ => f64::NAN,
            };
            if !(x.is_finite() && x > 0.0 && x <= 1e3) {
                return Err(self.err(
                    span_of(v),
                    &format!("scale.{key}"),
                    format!("must be a number in (0, 1000], got {}", v.get_ref()),
                ));
            }
            Ok(x)
        };
        let mut rates = BTreeMap::new();
        if let Some(map) = &t.rates {
            for (name, v) in map.get_ref() {
                let field = format!("scale.rates.{name}");
                if !raw
                    .populations
                    .iter()
                    .any(|p| p.get_ref().name.get_ref() == name)
                {
                    return Err(self.err(
                        span_of(v),
                        &field,
                        format!("unknown population `{name}`"),
                    ));
                }
                let (rate, _) = self.value_quantity(v, &[Dimension::Frequency], &field)?;
                if rate < 0.0 {
                    return Err(self.err(span_of(v), &field, "must not be negative"));
                }
                rates.insert(name.clone(), (rate, v.span()));
            }
        }
        Ok(Some(Scaling {
            neurons: factor(&t.neurons, "neurons")?,
            indegree: factor(&t.indegree, "indegree")?,
            rates,
            span: table.span(),
        }))
    }

    /// Rewrite sizes, synapse counts and background indegrees in place;
    /// return the full-scale indegrees.
    pub(super) fn rewrite(&self, s: &Scaling, raw: &mut RawModel) -> Result<FullScale> {
        let sizes: BTreeMap<String, f64> = raw
            .populations
            .iter()
            .map(|p| {
                (
                    p.get_ref().name.get_ref().clone(),
                    *p.get_ref().size.get_ref() as f64,
                )
            })
            .collect();
        let mut indegrees = Vec::new();
        for (i, p) in raw.projections.iter_mut().enumerate() {
            let p = p.get_mut();
            let field = format!("projection[{i}].connect");
            let n_post = sizes.get(p.to.get_ref()).copied().unwrap_or(1.0).max(1.0);
            let span = p.connect.span();
            let Value::Table(t) = p.connect.get_mut() else {
                return Err(self.unscalable(span, &field));
            };
            let full = if let Some(Value::Integer(n)) = t.get("fixed_total_number") {
                let full = *n as f64;
                t.insert(
                    "fixed_total_number".into(),
                    Value::Integer((full * s.neurons * s.indegree).round_ties_even() as i64),
                );
                full / n_post
            } else if let Some(Value::Integer(k)) = t.get("fixed_indegree") {
                let full = *k as f64;
                t.insert(
                    "fixed_indegree".into(),
                    Value::Integer((full * s.indegree).round_ties_even() as i64),
                );
                full
            } else {
                return Err(self.unscalable(span, &field));
            };
            indegrees.push(full);
        }
        let mut background = Vec::new();
        for p in raw.populations.iter_mut() {
            let p = p.get_mut();
            let name = p.name.get_ref().clone();
            let size = *p.size.get_ref();
            let scaled = (size as f64 * s.neurons).round_ties_even();
            if size >= 1 && scaled < 1.0 {
                return Err(self.err(
                    Some(s.span.clone()),
                    "scale.neurons",
                    format!("population `{name}` of {size} would keep no neuron"),
                ));
            }
            if size >= 1 {
                p.size = Spanned::new(p.size.span(), scaled as i64);
            }
            let full = match p.background.as_mut().map(|b| b.get_mut()) {
                Some(map) => match map.get_mut("indegree") {
                    Some(v) => match v.get_ref() {
                        Value::Integer(k) if *k >= 1 => {
                            let full = *k as f64;
                            let scaled = (full * s.indegree).round_ties_even().max(1.0);
                            *v = Spanned::new(v.span(), Value::Integer(scaled as i64));
                            Some(full)
                        }
                        // Malformed: the background's own validation says so.
                        _ => None,
                    },
                    None => None,
                },
                None => None,
            };
            background.push(full);
        }
        Ok(FullScale {
            indegrees,
            background,
        })
    }

    fn unscalable(&self, span: Range<usize>, field: &str) -> crate::model::ModelError {
        self.err(
            Some(span),
            field,
            "[scale] scales { fixed_total_number = N } and { fixed_indegree = k } only; \
             remove [scale] or use one of those rules",
        )
    }

    /// Divide the weights by `sqrt(indegree)` and add the lost mean input
    /// to each target's constant drive.
    pub(super) fn compensate(
        &self,
        s: &Scaling,
        full: &FullScale,
        pops: &mut [PopulationSpec],
        projections: &mut [ProjectionSpec],
    ) -> Result<()> {
        if s.indegree == 1.0 {
            return Ok(());
        }
        let root = s.indegree.sqrt();
        let mut dc = vec![0.0; pops.len()];
        for (p, &k_full) in projections.iter_mut().zip(&full.indegrees) {
            let source = &pops[p.from].name;
            let Some(&(rate, _)) = s.rates.get(source) else {
                return Err(self.err(
                    Some(s.span.clone()),
                    "scale.rates",
                    format!(
                        "indegree scaling needs the full-scale rate of `{source}`, the source of projection `{}`",
                        p.name
                    ),
                ));
            };
            let tau = self.port_tau(&pops[p.to], p.port, s)?;
            dc[p.to] += p.weight.mean() * k_full * rate * tau;
            p.weight = p.weight.scaled(1.0 / root);
        }
        for (i, pop) in pops.iter_mut().enumerate() {
            if let (Some(b), Some(k_full)) = (pop.background.as_mut(), full.background[i]) {
                let (weight, port) = (b.weight, b.port);
                b.weight /= root;
                dc[i] += weight * k_full * b.rate * self.port_tau_of(&pop.kind, port, s)?;
            }
        }
        for (pop, extra) in pops.iter_mut().zip(dc) {
            if extra == 0.0 {
                continue;
            }
            if let Some(m) = pop.kind.membrane_mut() {
                m.init_drive = shifted(&m.init_drive, (1.0 - root) * extra);
            }
        }
        Ok(())
    }

    fn port_tau(&self, target: &PopulationSpec, port: Port, s: &Scaling) -> Result<f64> {
        self.port_tau_of(&target.kind, port, s)
    }

    /// How long one unit of input at `port` keeps adding to the membrane:
    /// its mean effect per event is `weight * tau`.
    fn port_tau_of(&self, kind: &NeuronKind, port: Port, s: &Scaling) -> Result<f64> {
        match (kind.model().port_tau(port), port) {
            (Some(tau), _) => Ok(tau),
            (None, p) => Err(self.err(
                Some(s.span.clone()),
                "scale.indegree",
                format!(
                    "no DC compensation for input at port `{}` of a {}; keep indegree = 1",
                    p.name(),
                    kind.model_name()
                ),
            )),
        }
    }
}

/// Every value of `spec` plus `d`.
fn shifted(spec: &ValueSpec, d: f64) -> ValueSpec {
    let mut out = spec.clone();
    match &mut out {
        ValueSpec::Constant(v) => *v += d,
        ValueSpec::Array(a) => a.iter_mut().for_each(|v| *v += d),
        ValueSpec::Uniform { low, high } => {
            *low += d;
            *high += d;
        }
        ValueSpec::Normal { mean, .. } => *mean += d,
    }
    out
}
