//! A population's per-neuron Poisson background,
//! `background = { rate = "8 Hz", indegree = 1600, weight = "87.8 pA", receptor = "exc" }`:
//! `indegree` independent sources of `rate` each, drawn per neuron and step
//! instead of being stored as synapses.

use toml::{Spanned, Value};

use super::{Params, Result, Validator, span_of};
use crate::model::schema::{RawPopulation, ValueMap};
use crate::model::spec::{BackgroundSpec, EngineKind, PopulationSpec, SimulationSpec, ValueSpec};
use crate::model::units::Dimension;

/// Most events a neuron may receive from its background in one step: far
/// beyond any cortical input (the microcircuit's is 2.3), and low enough that
/// a count times its weight stays a finite drive.
const MAX_EVENTS_PER_STEP: f64 = 1e6;

impl Validator<'_> {
    /// The background of population `spec` (built without one), if the file gives it.
    pub(super) fn background(
        &self,
        raw: &Spanned<RawPopulation>,
        spec: &PopulationSpec,
        sim: &SimulationSpec,
    ) -> Result<Option<BackgroundSpec>> {
        let Some(table) = &raw.get_ref().background else {
            return Ok(None);
        };
        let field = format!("population[{}].background", spec.name);
        let whole = Some(table.span());
        if sim.engine == EngineKind::Event {
            return Err(self.err(
                whole,
                &field,
                "a Poisson background runs on the clock engine only; use engine = \"clock\"",
            ));
        }
        let Some(membrane) = spec.kind.membrane() else {
            return Err(self.err(
                whole,
                &field,
                format!(
                    "population `{}` is a {} and takes no background input",
                    spec.name,
                    spec.kind.model_name()
                ),
            ));
        };
        let map: &ValueMap = table.get_ref();
        let params = Params::new(self, map, field.clone());
        params.allow(&["rate", "indegree", "weight", "receptor"])?;
        let missing = |key: &str, example: &str| {
            self.err(
                whole.clone(),
                &format!("{field}.{key}"),
                format!("missing, e.g. {key} = {example}"),
            )
        };
        if params.get("rate").is_none() {
            return Err(missing("rate", "\"8 Hz\""));
        }
        let rate = params.scalar("rate", Dimension::Frequency)?;
        if rate < 0.0 {
            return Err(params.error("rate", "must not be negative"));
        }
        let indegree = match params.get("indegree") {
            None => return Err(missing("indegree", "1600")),
            Some(v) => self.indegree(v, &params.field("indegree"))?,
        };
        let Some(weight_value) = params.get("weight") else {
            return Err(missing("weight", "\"87.8 pA\""));
        };
        let receptor = match params.get("receptor") {
            None => None,
            Some(v) => Some(self.string_value(v, &params.field("receptor"))?),
        };
        let port = self.port(
            None,
            receptor.as_ref(),
            Some(weight_value),
            spec,
            &format!("{field}."),
        )?;
        let weight = match self.weight(weight_value, port, membrane.r_m, &params.field("weight"))? {
            ValueSpec::Constant(w) => w,
            _ => {
                return Err(params.error(
                    "weight",
                    "must be one value (e.g. \"87.8 pA\"): every background event has the same weight",
                ));
            }
        };
        let background = BackgroundSpec {
            rate,
            indegree,
            weight,
            port,
        };
        let per_step = background.events_per_step(sim.dt);
        if per_step > MAX_EVENTS_PER_STEP {
            return Err(params.error(
                "rate",
                format!(
                    "rate * indegree * dt is {per_step:e} events per neuron and step, more than \
                     {MAX_EVENTS_PER_STEP:e}; use a smaller rate, indegree or dt"
                ),
            ));
        }
        Ok(Some(background))
    }

    fn indegree(&self, v: &Spanned<Value>, field: &str) -> Result<u32> {
        match v.get_ref() {
            Value::Integer(k) if (1..=u32::MAX as i64).contains(k) => Ok(*k as u32),
            Value::Integer(k) => Err(self.err(
                span_of(v),
                field,
                format!("must be a positive number of sources, got {k}"),
            )),
            other => Err(self.err(
                span_of(v),
                field,
                format!(
                    "expected a whole number of sources, got {}",
                    super::values::describe(other)
                ),
            )),
        }
    }

    /// Fixed-point models take no background (their populations have no
    /// clock-engine Poisson draw in integer arithmetic).
    pub(super) fn reject_fixed_background(&self, raw: &[Spanned<RawPopulation>]) -> Result<()> {
        for p in raw {
            if let Some(b) = &p.get_ref().background {
                return Err(self.err(
                    Some(b.span()),
                    &format!("population[{}].background", p.get_ref().name.get_ref()),
                    "a Poisson background is not available in fixed-point mode \
                     ([simulation] arithmetic = \"fixed\")",
                ));
            }
        }
        Ok(())
    }
}
