//! Validation of `[[record]]` tables (population state, or the weights of a
//! plastic projection) and of the `[output]` table.

use std::path::PathBuf;

use toml::Spanned;

use super::{Result, Validator, recordable, span_of};
use crate::model::schema::{RawModel, RawOutput, RawRecord};
use crate::model::spec::{
    OutputSpec, PopulationSpec, ProjectionSpec, RecordSpec, SimulationSpec, WeightRecordSpec,
};
use crate::model::units::{Dimension, parse_as};

impl Validator<'_> {
    /// Every `[[record]]`: of population state, or of a projection's weights
    /// when it names one.
    pub(super) fn records(
        &self,
        raw: &RawModel,
        populations: &[PopulationSpec],
        projections: &[ProjectionSpec],
        simulation: &SimulationSpec,
    ) -> Result<(Vec<RecordSpec>, Vec<WeightRecordSpec>)> {
        let (mut records, mut weight_records) = (Vec::new(), Vec::new());
        for (i, r) in raw.records.iter().enumerate() {
            match &r.get_ref().projection {
                Some(name) => {
                    weight_records.push(self.weight_record(i, r, name, projections, simulation)?)
                }
                None => records.push(self.record(i, r, populations, simulation.steps)?),
            }
        }
        Ok((records, weight_records))
    }

    fn record(
        &self,
        index: usize,
        raw: &Spanned<RawRecord>,
        pops: &[PopulationSpec],
        steps: u64,
    ) -> Result<RecordSpec> {
        let r = raw.get_ref();
        let field = |f: &str| format!("record[{index}].{f}");
        let (Some(population), Some(variables)) = (&r.population, &r.variables) else {
            return Err(self.err(
                Some(raw.span()),
                &field("population"),
                "a record needs `population` and `variables` (or `projection` and `weights = true`)",
            ));
        };
        if r.weights.is_some() || r.times.is_some() || r.interval.is_some() {
            return Err(self.err(
                Some(raw.span()),
                &field("projection"),
                "`weights`, `times` and `interval` record a projection: name it with `projection`",
            ));
        }
        let population = self.population_ref(population, pops, &field("population"))?;
        let allowed = recordable(&pops[population].kind);
        for v in variables.get_ref() {
            if !allowed.contains(&v.as_str()) {
                let choices = if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed.join(", ")
                };
                return Err(self.err(
                    span_of(variables),
                    &field("variables"),
                    format!(
                        "`{v}` is not a variable of a {} population (recordable: {choices})",
                        pops[population].kind.model_name()
                    ),
                ));
            }
        }
        if variables.get_ref().is_empty() {
            return Err(self.err(
                span_of(variables),
                &field("variables"),
                "name at least one variable",
            ));
        }
        let neurons =
            self.neuron_list(r.neurons.as_ref(), pops[population].size, &field("neurons"))?;
        let every = self.record_every(r.every.as_ref(), steps, &field("every"))?;
        Ok(RecordSpec {
            population,
            variables: variables.get_ref().clone(),
            neurons,
            every,
        })
    }

    /// Recording every `every` steps samples steps 0, every, 2·every, …:
    /// more than the run's steps records only step 0, which is surely not
    /// what was meant.
    pub(super) fn record_every(
        &self,
        every: Option<&Spanned<i64>>,
        steps: u64,
        field: &str,
    ) -> Result<u64> {
        let Some(e) = every else { return Ok(1) };
        let n = *e.get_ref();
        if n < 1 {
            return Err(self.err(span_of(e), field, "must be a positive number of steps"));
        }
        if n as u64 > steps.max(1) {
            return Err(self.err(
                span_of(e),
                field,
                format!("is {n} steps, more than the run's {steps} steps"),
            ));
        }
        Ok(n as u64)
    }

    /// The `[output]` table (defaults when absent); a potential plot needs
    /// a recorded `v`.
    pub(super) fn output_for(
        &self,
        raw: Option<&Spanned<RawOutput>>,
        records: &[RecordSpec],
    ) -> Result<OutputSpec> {
        let output = raw.map(|o| self.output(o)).unwrap_or_default();
        if let Some(potential) = raw.and_then(|o| o.get_ref().potential.as_ref())
            && !records.iter().any(|r| r.variables.iter().any(|v| v == "v"))
        {
            return Err(self.err(
                span_of(potential),
                "output.potential",
                "a potential plot needs a [[record]] with variables = [\"v\"]",
            ));
        }
        Ok(output)
    }

    fn output(&self, raw: &Spanned<RawOutput>) -> OutputSpec {
        let o = raw.get_ref();
        let path = |s: &Option<Spanned<String>>| s.as_ref().map(|s| PathBuf::from(s.get_ref()));
        OutputSpec {
            path: path(&o.path),
            raster: path(&o.raster),
            potential: path(&o.potential),
            weight_histogram: path(&o.weight_histogram),
            weight_course: path(&o.weight_course),
            rate: path(&o.rate),
        }
    }

    fn weight_record(
        &self,
        index: usize,
        raw: &Spanned<RawRecord>,
        projection_name: &Spanned<String>,
        projections: &[ProjectionSpec],
        sim: &SimulationSpec,
    ) -> Result<WeightRecordSpec> {
        let r = raw.get_ref();
        let field = |f: &str| format!("record[{index}].{f}");
        let wanted = projection_name.get_ref();
        let projection = projections
            .iter()
            .position(|p| &p.name == wanted)
            .or_else(|| {
                wanted
                    .parse::<usize>()
                    .ok()
                    .filter(|&i| i < projections.len())
            })
            .ok_or_else(|| {
                let names: Vec<&str> = projections.iter().map(|p| p.name.as_str()).collect();
                self.err(
                    span_of(projection_name),
                    &field("projection"),
                    format!(
                        "no projection `{wanted}` (projections: {})",
                        names.join(", ")
                    ),
                )
            })?;
        if projections[projection].plasticity.is_none() {
            return Err(self.err(
                span_of(projection_name),
                &field("projection"),
                format!("projection `{wanted}` has no plasticity: its weights never change"),
            ));
        }
        if !r.weights.as_ref().is_some_and(|w| *w.get_ref()) {
            return Err(self.err(
                Some(raw.span()),
                &field("weights"),
                "a projection record needs `weights = true`",
            ));
        }
        if let Some(v) = &r.variables {
            return Err(self.err(
                span_of(v),
                &field("variables"),
                "a projection record takes `weights`, not `variables`",
            ));
        }
        let steps = self.weight_record_steps(raw, sim, &field)?;
        Ok(WeightRecordSpec { projection, steps })
    }

    /// The steps a weight record samples, from its `times` or its
    /// `interval`: sorted, each once.
    fn weight_record_steps(
        &self,
        raw: &Spanned<RawRecord>,
        sim: &SimulationSpec,
        field: &dyn Fn(&str) -> String,
    ) -> Result<Vec<u64>> {
        let r = raw.get_ref();
        let to_step = |s: &Spanned<String>, f: &str| -> Result<u64> {
            let t = parse_as(s.get_ref(), Dimension::Time)
                .map_err(|e| self.err(span_of(s), &field(f), e.to_string()))?;
            if !(0.0..=sim.steps as f64 * sim.dt * (1.0 + 1e-12)).contains(&t) {
                return Err(self.err(
                    span_of(s),
                    &field(f),
                    format!("{:?} is outside the run (0 to its duration)", s.get_ref()),
                ));
            }
            Ok(((t / sim.dt).round() as u64).min(sim.steps))
        };
        let mut steps = match (&r.times, &r.interval) {
            (Some(times), None) => {
                let list = times.get_ref();
                if list.is_empty() {
                    return Err(self.err(
                        span_of(times),
                        &field("times"),
                        "name at least one time",
                    ));
                }
                list.iter()
                    .map(|t| {
                        let spanned = Spanned::new(times.span(), t.clone());
                        to_step(&spanned, "times")
                    })
                    .collect::<Result<Vec<u64>>>()?
            }
            (None, Some(interval)) => {
                let step = to_step(interval, "interval")?;
                if step == 0 {
                    return Err(self.err(
                        span_of(interval),
                        &field("interval"),
                        "must be at least one step `dt`",
                    ));
                }
                (0..=sim.steps).step_by(step as usize).collect()
            }
            _ => {
                return Err(self.err(
                    Some(raw.span()),
                    &field("times"),
                    "give either `times = [\"0 s\", ...]` or `interval = \"100 ms\"`",
                ));
            }
        };
        steps.sort_unstable();
        steps.dedup();
        Ok(steps)
    }
}
