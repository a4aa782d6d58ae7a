//! From the model file as written (`schema`) to the validated `ModelSpec`:
//! units resolved, names looked up, files loaded, bounds checked. Every error
//! points at the file, the line and the field.

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::{Spanned, Value};

use super::error::{ModelError, Source};
use super::schema::*;
use super::spec::*;
use super::units::{Dimension, MAX_MAGNITUDE, MIN_MAGNITUDE, in_range, parse_as, parse_quantity};
use crate::io::stimuli;
use crate::neuron::registry::MODEL_NAMES;
use crate::synapse::connect::MAX_DELAY_STEPS;

mod background;
mod event_pace;
mod scale;

/// Where parameter `key` of a population is written, if it is.
fn param_span(population: &Spanned<RawPopulation>, key: &str) -> Option<Range<usize>> {
    let params = population.get_ref().params.as_ref()?;
    params.get_ref().get(key).map(|v| v.span())
}
mod params;
mod richer;

pub use params::{ModelParams, Params};
pub(crate) use richer::check_range;

type Result<T> = std::result::Result<T, ModelError>;

/// The most clock steps a run may take: 1e15 steps of even 1 ns of
/// compute each would be 30 years, and every step count fits `u64`,
/// `usize` and an exact `f64`.
pub const MAX_STEPS: u64 = 1_000_000_000_000_000;

mod plasticity;

/// Parse and validate a model file's text. `path` locates relative file
/// references and names the file in errors.
pub fn parse_model(path: &Path, text: &str) -> Result<ModelSpec> {
    let src = Source::new(path, text);
    let raw: RawModel = toml::from_str(text)
        .map_err(|e| src.error(e.span(), "", e.message().trim().to_string()))?;
    Validator { src }.model(raw)
}

pub(super) struct Validator<'a> {
    pub(super) src: Source<'a>,
}

fn span_of<T>(s: &Spanned<T>) -> Option<Range<usize>> {
    Some(s.span())
}

impl<'a> Validator<'a> {
    pub(super) fn err(
        &self,
        span: Option<Range<usize>>,
        field: &str,
        msg: impl Into<String>,
    ) -> ModelError {
        self.src.error(span, field, msg)
    }

    fn model(&self, mut raw: RawModel) -> Result<ModelSpec> {
        if super::fixed::is_fixed(&raw) {
            self.reject_fixed_background(&raw.populations)?;
            if let Some(s) = &raw.scale {
                return Err(self.err(
                    span_of(s),
                    "scale",
                    "[scale] is not available in fixed-point mode",
                ));
            }
            return self.fixed_model(&raw);
        }
        self.reject_fixed_only(&raw)?;
        let simulation = self.simulation(&raw.simulation)?;
        let scaling = self.scaling(&raw)?;
        let full_scale = match &scaling {
            Some(s) if !s.is_identity() => Some(self.rewrite(s, &mut raw)?),
            _ => None,
        };
        self.some_population(&raw)?;
        let mut populations = Vec::with_capacity(raw.populations.len());
        let mut names = HashSet::new();
        for p in &raw.populations {
            let mut spec = self.population(p, simulation.dt)?;
            spec.background = self.background(p, &spec, &simulation)?;
            if !names.insert(spec.name.clone()) {
                return Err(self.err(
                    span_of(&p.get_ref().name),
                    "population.name",
                    format!("population `{}` is defined twice", spec.name),
                ));
            }
            populations.push(spec);
        }
        self.model_fits_simulation(&raw.populations, &populations, &simulation)?;
        self.event_pace(&raw.populations, &populations, &simulation)?;
        let mut projections = Vec::new();
        for (i, p) in raw.projections.iter().enumerate() {
            projections.push(self.projection(i, p, &populations, &simulation)?);
        }
        if let (Some(s), Some(full)) = (&scaling, &full_scale) {
            self.compensate(s, full, &mut populations, &mut projections)?;
        }
        let mut currents = Vec::new();
        for (i, s) in raw.stimuli.iter().enumerate() {
            self.stimulus(
                i,
                s,
                &mut populations,
                &mut projections,
                &mut currents,
                &simulation,
            )?;
        }
        self.unique_projection_names(&raw, &projections)?;
        let (mut records, mut weight_records) = (Vec::new(), Vec::new());
        for (i, r) in raw.records.iter().enumerate() {
            match &r.get_ref().projection {
                Some(name) => weight_records.push(self.weight_record(
                    i,
                    r,
                    name,
                    &projections,
                    &simulation,
                )?),
                None => records.push(self.record(i, r, &populations, simulation.steps)?),
            }
        }
        let output = self.output_for(raw.output.as_ref(), &records)?;
        Ok(ModelSpec {
            path: self.src.path.to_path_buf(),
            text: self.src.text.to_string(),
            simulation,
            populations,
            projections,
            currents,
            records,
            weight_records,
            output,
            fixed: None,
            warnings: Vec::new(),
        })
    }

    /// A model without neurons has nothing to simulate or record.
    pub(super) fn some_population(&self, raw: &RawModel) -> Result<()> {
        if raw.populations.is_empty() {
            return Err(self.err(
                Some(raw.simulation.span()),
                "population",
                "the model has no [[population]]: nothing to simulate",
            ));
        }
        Ok(())
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

    // ----- scalars -------------------------------------------------------

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
    fn value_quantity(
        &self,
        v: &Spanned<Value>,
        dims: &[Dimension],
        field: &str,
    ) -> Result<(f64, Dimension)> {
        self.quantity_of(v.get_ref(), dims, span_of(v), field)
    }

    fn quantity_of(
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
    fn value_spec(
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
            ("normal", Value::Table(p)) => {
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
                        format!(
                            "normal takes `mean`, `std` and optionally `min` and `max`, got `{key}`"
                        ),
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
            _ => Err(self.err(span, field, usage)),
        }
    }

    /// Resolve a file a model refers to: relative to the working directory,
    /// else to the model file's folder or its parent (so `stimuli/x.csv`
    /// works from `models/m.toml` run anywhere in the project).
    fn file(&self, s: &Spanned<String>, field: &str) -> Result<PathBuf> {
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

    // ----- sections ------------------------------------------------------

    fn simulation(&self, raw: &Spanned<RawSimulation>) -> Result<SimulationSpec> {
        let s = raw.get_ref();
        let missing = |key: &str| {
            self.err(
                Some(raw.span()),
                &format!("simulation.{key}"),
                "missing (e.g. \"0.1 ms\" for dt, \"1 s\" for duration)",
            )
        };
        let dt_text = s.dt.as_ref().ok_or_else(|| missing("dt"))?;
        let duration_text = s.duration.as_ref().ok_or_else(|| missing("duration"))?;
        let dt = self.positive(dt_text, Dimension::Time, "simulation.dt")?;
        let duration = self.quantity(duration_text, Dimension::Time, "simulation.duration")?;
        if duration < 0.0 {
            return Err(self.err(
                span_of(duration_text),
                "simulation.duration",
                "must not be negative",
            ));
        }
        if dt > duration {
            return Err(self.err(
                span_of(dt_text),
                "simulation.dt",
                format!(
                    "{:?} is longer than the duration {:?}: the run would have no step",
                    dt_text.get_ref(),
                    duration_text.get_ref()
                ),
            ));
        }
        // dt <= duration, so at least one step.
        let steps = (duration / dt).round();
        if steps > MAX_STEPS as f64 {
            return Err(self.err(
                span_of(duration_text),
                "simulation.duration",
                format!("is {steps:e} steps of dt, more than the {MAX_STEPS:e} a run can take"),
            ));
        }
        let engine = match &s.engine {
            None => EngineKind::Clock,
            Some(e) => match e.get_ref().as_str() {
                "clock" => EngineKind::Clock,
                "event" => EngineKind::Event,
                other => {
                    return Err(self.err(
                        span_of(e),
                        "simulation.engine",
                        format!("unknown engine {other:?}, expected \"clock\" or \"event\""),
                    ));
                }
            },
        };
        Ok(SimulationSpec {
            dt,
            duration,
            steps: steps as u64,
            seed: s.seed.as_ref().map_or(0, |v| *v.get_ref()),
            engine,
            threads: self.threads(s)?,
        })
    }

    /// `simulation.threads`, 1 when absent; more than `MAX_THREADS` is an error.
    pub(super) fn threads(&self, s: &RawSimulation) -> Result<u32> {
        let Some(t) = &s.threads else { return Ok(1) };
        super::memory::thread_limit(u64::from(*t.get_ref()))
            .map_err(|msg| self.err(span_of(t), "simulation.threads", msg))?;
        Ok(*t.get_ref())
    }

    /// A population's name and size, checked the same way in every mode.
    pub(super) fn name_and_size(&self, p: &RawPopulation) -> Result<(String, u32)> {
        let name = p.name.get_ref().clone();
        if name.is_empty() || name.contains('/') || name.contains('.') {
            return Err(self.err(
                span_of(&p.name),
                "population.name",
                format!("{name:?} is not a valid name (non-empty, without '/' or '.')"),
            ));
        }
        let size = *p.size.get_ref();
        if !(1..=u32::MAX as i64).contains(&size) {
            return Err(self.err(
                span_of(&p.size),
                &format!("population[{name}].size"),
                format!("must be a positive neuron count, got {size}"),
            ));
        }
        Ok((name, size as u32))
    }

    fn population(&self, raw: &Spanned<RawPopulation>, dt: f64) -> Result<PopulationSpec> {
        let p = raw.get_ref();
        let (name, size) = self.name_and_size(p)?;
        let field = |f: &str| format!("population[{name}].{f}");
        let empty = ValueMap::new();
        let params = Params::new(
            self,
            p.params.as_ref().map_or(&empty, |s| s.get_ref()),
            field("params"),
        );
        let init = Params::new(
            self,
            p.init.as_ref().map_or(&empty, |s| s.get_ref()),
            field("init"),
        );
        let model = p.model.get_ref();
        let tables = ModelParams {
            params,
            init,
            size,
            dt,
        };
        let kind = NeuronKind::parse(model, &tables).unwrap_or_else(|| {
            let names: Vec<String> = MODEL_NAMES.iter().map(|n| format!("{n:?}")).collect();
            Err(self.err(
                span_of(&p.model),
                &field("model"),
                format!(
                    "unknown model {model:?}, expected one of {}",
                    names.join(", ")
                ),
            ))
        })?;
        Ok(PopulationSpec {
            name,
            size,
            kind,
            record_spikes: p.record_spikes.unwrap_or(true),
            background: None,
        })
    }

    /// Each population's model against the simulation section (engine,
    /// `dt`), once that is known.
    fn model_fits_simulation(
        &self,
        raw: &[Spanned<RawPopulation>],
        populations: &[PopulationSpec],
        sim: &SimulationSpec,
    ) -> Result<()> {
        for (r, p) in raw.iter().zip(populations) {
            let Err((key, message)) = p.kind.model().check_simulation(sim) else {
                continue;
            };
            return Err(match key {
                None => self.err(
                    Some(r.get_ref().model.span()),
                    &format!("population[{}].model", p.name),
                    message,
                ),
                Some(key) => self.err(
                    param_span(r, key),
                    &format!("population[{}].params.{key}", p.name),
                    message,
                ),
            });
        }
        Ok(())
    }

    /// A current given in amperes (needs `r_m`) or as the voltage `r_m * i`.
    fn as_drive(
        &self,
        v: &Spanned<Value>,
        field: &str,
        r_m: Option<f64>,
        len: Option<usize>,
    ) -> Result<ValueSpec> {
        let (spec, dim) =
            self.value_spec(v, &[Dimension::Current, Dimension::Voltage], field, len)?;
        match (dim, r_m) {
            (Dimension::Voltage, _) => Ok(spec),
            (_, Some(r)) => self.drive_in_range(spec.scaled(r), span_of(v), field),
            (_, None) => Err(self.err(
                span_of(v),
                field,
                "a current needs the target's membrane resistance `r_m`; give `r_m` or express it as a voltage (r_m * i)",
            )),
        }
    }

    /// A current times `r_m` is a voltage the membrane adds; each factor
    /// in range does not make their product so.
    fn drive_in_range(
        &self,
        drive: ValueSpec,
        span: Option<Range<usize>>,
        field: &str,
    ) -> Result<ValueSpec> {
        if drive.all(in_range) {
            return Ok(drive);
        }
        Err(self.err(
            span,
            field,
            format!("times the membrane resistance `r_m` this is a drive beyond ±{MAX_MAGNITUDE:e} V (or below {MIN_MAGNITUDE:e} V): out of the range a model can hold"),
        ))
    }

    fn string_value(&self, v: &Spanned<Value>, field: &str) -> Result<Spanned<String>> {
        match v.get_ref() {
            Value::String(s) => Ok(Spanned::new(v.span(), s.clone())),
            other => Err(self.err(
                span_of(v),
                field,
                format!("expected a string, got {}", describe(other)),
            )),
        }
    }

    fn time_course(
        &self,
        f: &Spanned<Value>,
        field: &str,
        column: &str,
        dim: Dimension,
    ) -> Result<Piecewise> {
        let path_value = self.string_value(f, field)?;
        let path = self.file(&path_value, field)?;
        let rows = stimuli::read_time_course(&path, column, dim)
            .map_err(|e| self.err(span_of(f), field, e))?;
        piecewise(rows).map_err(|m| self.err(span_of(f), field, format!("{}: {m}", path.display())))
    }

    fn projection(
        &self,
        index: usize,
        raw: &Spanned<RawProjection>,
        pops: &[PopulationSpec],
        sim: &SimulationSpec,
    ) -> Result<ProjectionSpec> {
        let p = raw.get_ref();
        let default_name = format!("{}->{}", p.from.get_ref(), p.to.get_ref());
        let name = p
            .name
            .as_ref()
            .map_or(default_name, |n| n.get_ref().clone());
        if let Some(spec) = self.glial_projection(index, raw, &name, pops, sim)? {
            return Ok(spec);
        }
        let field = |f: &str| format!("projection[{index}].{f}");
        let from = self.population_ref(&p.from, pops, &field("from"))?;
        let to = self.population_ref(&p.to, pops, &field("to"))?;
        let target = &pops[to];
        // A discrete-time LIF has no continuous membrane, hence no `r_m`.
        let takes = target.kind.model().synapses();
        let receiver = (takes.delta || takes.current || takes.conductance)
            .then(|| target.kind.membrane().and_then(|m| m.r_m));
        let Some(r_m) = receiver else {
            return Err(self.err(
                span_of(&p.to),
                &field("to"),
                format!(
                    "population `{}` is a {} and cannot receive synapses",
                    target.name,
                    target.kind.model_name()
                ),
            ));
        };
        let port = self.port(
            p.synapse.as_ref(),
            p.receptor.as_ref(),
            p.weight.as_ref(),
            target,
            &field(""),
        )?;
        let (rule, listed_weight_dim) =
            self.connect(&p.connect, pops[from].size, target.size, &field("connect"))?;
        // A list's weight column gives every synapse its weight, in a unit
        // the synapse kind must take; the projection's `weight` would then
        // never be used, so both together are refused.
        if let Some(dim) = listed_weight_dim {
            check_weight_dim(dim, port, r_m)
                .map_err(|m| self.err(span_of(&p.connect), &field("connect"), m))?;
            if let Some(w) = &p.weight {
                return Err(self.err(
                    span_of(w),
                    &field("weight"),
                    "the connection list has a weight column, which gives every synapse its weight: remove `weight` or the list's weight column",
                ));
            }
        }
        let weight = match &p.weight {
            Some(w) => self.weight(w, port, r_m, &field("weight"))?,
            None if listed_weight_dim.is_some() => ValueSpec::Constant(0.0),
            None => {
                return Err(self.err(
                    Some(raw.span()),
                    &field("weight"),
                    "missing `weight` (e.g. \"0.5 mV\")",
                ));
            }
        };
        let delay = match &p.delay {
            None => ValueSpec::Constant(sim.dt),
            Some(d) => {
                let (spec, _) = self.value_spec(d, &[Dimension::Time], &field("delay"), None)?;
                self.check_delay(&spec, sim.dt)
                    .map_err(|m| self.err(span_of(d), &field("delay"), m))?;
                spec
            }
        };
        let rule = self.scale_listed(
            rule,
            listed_weight_dim,
            r_m,
            sim.dt,
            &p.connect,
            &field("connect"),
        )?;
        // Plasticity bounds the initial weights: the listed ones when the
        // list gives them.
        let initial = match &rule {
            ConnectRule::List(syns) if listed_weight_dim.is_some() => {
                ValueSpec::Array(syns.iter().filter_map(|s| s.weight).collect())
            }
            _ => weight.clone(),
        };
        let plasticity = match &p.plasticity {
            None => None,
            Some(raw_rule) => {
                let target = plasticity::Target {
                    port,
                    r_m,
                    weight: &initial,
                    population: target,
                    weight_span: p
                        .weight
                        .as_ref()
                        .map(|w| w.span())
                        .or(Some(p.connect.span())),
                };
                Some(self.plasticity(raw_rule, &target, sim, &field("plasticity"))?)
            }
        };
        let allow_autapses = p.allow_autapses.unwrap_or(false);
        if let ConnectRule::FixedTotalNumber { total, multapses } = rule {
            check_total_without_autapses(
                total,
                multapses,
                from == to && !allow_autapses,
                target.size,
            )
            .map_err(|m| self.err(span_of(&p.connect), &field("connect"), m))?;
        }
        Ok(ProjectionSpec {
            name,
            from,
            to,
            rule,
            weight,
            delay,
            port,
            allow_autapses,
            plasticity,
        })
    }

    fn check_delay(&self, spec: &ValueSpec, dt: f64) -> std::result::Result<(), String> {
        let (shortest, longest) = match spec {
            ValueSpec::Constant(d) => (*d, *d),
            ValueSpec::Array(a) => (
                a.iter().copied().fold(f64::INFINITY, f64::min),
                a.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ),
            ValueSpec::Uniform { low, high } => (*low, *high),
            // Normal delays are clipped to [dt, the longest storable delay].
            ValueSpec::Normal { mean, .. } => (*mean, *mean),
        };
        let limit = MAX_DELAY_STEPS as f64 * dt;
        if longest > limit {
            return Err(format!(
                "a delay of {} ms exceeds the longest storable delay, {MAX_DELAY_STEPS} steps of dt ({} ms)",
                longest * 1e3,
                limit * 1e3
            ));
        }
        // Half a step of tolerance: delays are rounded to the grid.
        if shortest < dt * (1.0 - 1e-9) {
            return Err(format!(
                "a delay of {} ms is shorter than dt ({} ms); the shortest delay is one step",
                shortest * 1e3,
                dt * 1e3
            ));
        }
        Ok(())
    }

    /// Listed synapses carry SI weights from their file; bring them to the
    /// port's internal unit and check their delays.
    fn scale_listed(
        &self,
        rule: ConnectRule,
        dim: Option<Dimension>,
        r_m: Option<f64>,
        dt: f64,
        connect: &Spanned<Value>,
        field: &str,
    ) -> Result<ConnectRule> {
        let ConnectRule::List(mut syns) = rule else {
            return Ok(rule);
        };
        let factor = match (dim, r_m) {
            (Some(Dimension::Current), Some(r)) => r,
            _ => 1.0,
        };
        for s in &mut syns {
            if let Some(w) = s.weight.as_mut() {
                *w *= factor;
                if !in_range(*w) {
                    return Err(self.err(
                        span_of(connect),
                        field,
                        format!(
                            "synapse {} -> {}: its weight times the target's `r_m` is {:e} V, out of the range a model can hold",
                            s.pre, s.post, *w
                        ),
                    ));
                }
            }
            if let Some(d) = s.delay
                && d < dt * (1.0 - 1e-9)
            {
                return Err(self.err(
                    span_of(connect),
                    field,
                    format!(
                        "synapse {} -> {} has a delay of {} ms, shorter than dt ({} ms)",
                        s.pre,
                        s.post,
                        d * 1e3,
                        dt * 1e3
                    ),
                ));
            }
        }
        Ok(ConnectRule::List(syns))
    }

    pub(super) fn population_ref(
        &self,
        s: &Spanned<String>,
        pops: &[PopulationSpec],
        field: &str,
    ) -> Result<usize> {
        pops.iter()
            .position(|p| &p.name == s.get_ref())
            .ok_or_else(|| {
                let known: Vec<&str> = pops.iter().map(|p| p.name.as_str()).collect();
                self.err(
                    span_of(s),
                    field,
                    format!(
                        "unknown population `{}` (defined: {})",
                        s.get_ref(),
                        known.join(", ")
                    ),
                )
            })
    }

    fn port(
        &self,
        synapse: Option<&Spanned<String>>,
        receptor: Option<&Spanned<String>>,
        weight: Option<&Spanned<Value>>,
        target: &PopulationSpec,
        field: &str,
    ) -> Result<Port> {
        let takes = target.kind.model().synapses();
        let kind = synapse
            .map(|s| s.get_ref().as_str())
            .unwrap_or(takes.default);
        let synapse_span = synapse.map(span_of).unwrap_or(None);
        let (exc, inh) = match kind {
            "delta" => {
                if let Some(r) = receptor {
                    return Err(self.err(
                        span_of(r),
                        &format!("{field}receptor"),
                        "delta synapses have no receptor; remove `receptor`",
                    ));
                }
                if !takes.delta {
                    return Err(self.err(
                        synapse_span,
                        &format!("{field}synapse"),
                        format!(
                            "population `{}` is a {} without voltage jumps; use synapse = \"{}\"",
                            target.name,
                            target.kind.model_name(),
                            takes.default
                        ),
                    ));
                }
                return Ok(Port::Voltage);
            }
            "current" if !takes.current => {
                return Err(self.err(
                    synapse_span,
                    &format!("{field}synapse"),
                    format!(
                        "population `{}` is a {} without synaptic current; use synapse = \"delta\" or model = \"cuba_lif\"",
                        target.name,
                        target.kind.model_name()
                    ),
                ));
            }
            "current" => (Port::CurrentExc, Port::CurrentInh),
            "conductance" if !takes.conductance => {
                return Err(self.err(
                    synapse_span,
                    &format!("{field}synapse"),
                    format!(
                        "population `{}` is a {} without synaptic conductances; use synapse = \"{}\" or a conductance-based model",
                        target.name,
                        target.kind.model_name(),
                        takes.default
                    ),
                ));
            }
            "conductance" => (Port::ConductanceExc, Port::ConductanceInh),
            other => {
                return Err(self.err(
                    synapse_span,
                    &format!("{field}synapse"),
                    format!(
                        "unknown synapse {other:?}, expected \"delta\", \"current\" or \"conductance\""
                    ),
                ));
            }
        };
        match receptor.map(|r| (r, r.get_ref().as_str())) {
            Some((_, "exc")) => Ok(exc),
            Some((_, "inh")) => Ok(inh),
            Some((r, other)) => Err(self.err(
                span_of(r),
                &format!("{field}receptor"),
                format!("unknown receptor {other:?}, expected \"exc\" or \"inh\""),
            )),
            None => Ok(if weight_sign(weight) < 0.0 { inh } else { exc }),
        }
    }

    fn weight(
        &self,
        w: &Spanned<Value>,
        port: Port,
        r_m: Option<f64>,
        field: &str,
    ) -> Result<ValueSpec> {
        match port {
            Port::Voltage => Ok(self.value_spec(w, &[Dimension::Voltage], field, None)?.0),
            // Glial ports are validated in `richer` and never reach here.
            Port::CurrentExc | Port::CurrentInh | Port::Glia | Port::Sic => {
                self.as_drive(w, field, r_m, None)
            }
            Port::ConductanceExc | Port::ConductanceInh => Ok(self
                .value_spec(w, &[Dimension::Conductance], field, None)?
                .0),
        }
    }

    pub(super) fn connect(
        &self,
        c: &Spanned<Value>,
        n_pre: u32,
        n_post: u32,
        field: &str,
    ) -> Result<(ConnectRule, Option<Dimension>)> {
        let span = span_of(c);
        let usage = "expected \"all_to_all\", \"one_to_one\", { fixed_probability = p }, { fixed_indegree = k }, { fixed_total_number = n } (optionally with multapses = false), { list = \"FILE.csv\" } or { dense = [[...]] }";
        match c.get_ref() {
            Value::String(s) if s == "all_to_all" => Ok((ConnectRule::AllToAll, None)),
            Value::String(s) if s == "one_to_one" => {
                if n_pre != n_post {
                    return Err(self.err(
                        span,
                        field,
                        format!("one_to_one needs equal sizes, got {n_pre} and {n_post}"),
                    ));
                }
                Ok((ConnectRule::OneToOne, None))
            }
            Value::Table(t) if t.contains_key("fixed_total_number") => Ok((
                self.fixed_total_number(t, n_pre, n_post, span, field)?,
                None,
            )),
            Value::Table(t) if t.len() == 1 => {
                let (key, body) = t.iter().next().expect("one entry");
                match key.as_str() {
                    "fixed_probability" => {
                        let p = body.as_float().or(body.as_integer().map(|i| i as f64));
                        match p {
                            Some(p) if (0.0..=1.0).contains(&p) => Ok((ConnectRule::FixedProbability(p), None)),
                            _ => Err(self.err(span, field, format!("fixed_probability must be a number in [0, 1], got {body}"))),
                        }
                    }
                    "fixed_indegree" => match body.as_integer() {
                        Some(k) if k >= 0 && k <= n_pre as i64 => Ok((ConnectRule::FixedIndegree(k as u32), None)),
                        _ => Err(self.err(
                            span,
                            field,
                            format!("fixed_indegree must be an integer in [0, {n_pre}] (the source size), got {body}"),
                        )),
                    },
                    "list" => {
                        let Value::String(path) = body else {
                            return Err(self.err(span, field, "list takes a file name"));
                        };
                        let path = self.file(&Spanned::new(c.span(), path.clone()), field)?;
                        let (rows, dim) = stimuli::read_connection_list(&path).map_err(|e| self.err(span.clone(), field, e))?;
                        let mut syns = Vec::with_capacity(rows.len());
                        for (pre, post, weight, delay) in rows {
                            if pre >= n_pre || post >= n_post {
                                return Err(self.err(
                                    span,
                                    field,
                                    format!("{}: synapse {pre} -> {post} is out of range ({n_pre} sources, {n_post} targets)", path.display()),
                                ));
                            }
                            syns.push(ListedSynapse { pre, post, weight, delay });
                        }
                        Ok((ConnectRule::List(syns), dim))
                    }
                    "dense" => Ok((ConnectRule::Dense(self.dense(body, n_pre, n_post, span, field)?), None)),
                    _ => Err(self.err(span, field, usage)),
                }
            }
            _ => Err(self.err(span, field, usage)),
        }
    }

    /// `{ fixed_total_number = n, multapses = bool }`: without multapses,
    /// at most one synapse per pair, so `n` cannot exceed the pairs (the
    /// diagonal is counted out later when autapses are off).
    fn fixed_total_number(
        &self,
        t: &toml::Table,
        n_pre: u32,
        n_post: u32,
        span: Option<Range<usize>>,
        field: &str,
    ) -> Result<ConnectRule> {
        if let Some(key) = t
            .keys()
            .find(|k| !["fixed_total_number", "multapses"].contains(&k.as_str()))
        {
            return Err(self.err(
                span,
                field,
                format!("fixed_total_number takes only `multapses` besides the count, got `{key}`"),
            ));
        }
        let multapses = match t.get("multapses") {
            None => true,
            Some(Value::Boolean(b)) => *b,
            Some(other) => {
                return Err(self.err(
                    span,
                    field,
                    format!("multapses must be true or false, got {other}"),
                ));
            }
        };
        let body = &t["fixed_total_number"];
        let pairs = n_pre as u64 * n_post as u64;
        let total = match body.as_integer() {
            Some(n) if n >= 0 => n as u64,
            _ => {
                return Err(self.err(
                    span,
                    field,
                    format!("fixed_total_number must be a non-negative integer, got {body}"),
                ));
            }
        };
        if total > 0 && pairs == 0 {
            return Err(self.err(
                span,
                field,
                format!("fixed_total_number = {total} between {n_pre} sources and {n_post} targets: there is no pair to connect"),
            ));
        }
        if !multapses && total > pairs {
            return Err(self.err(
                span,
                field,
                format!("fixed_total_number = {total} without multapses exceeds the {pairs} pairs of {n_pre} sources and {n_post} targets"),
            ));
        }
        Ok(ConnectRule::FixedTotalNumber { total, multapses })
    }

    fn dense(
        &self,
        body: &Value,
        n_pre: u32,
        n_post: u32,
        span: Option<Range<usize>>,
        field: &str,
    ) -> Result<Vec<Vec<f64>>> {
        let shape_error = || {
            self.err(
                span.clone(),
                field,
                format!("dense must be {n_post} rows (targets) of {n_pre} numbers (sources)"),
            )
        };
        let rows = body
            .as_array()
            .filter(|r| r.len() == n_post as usize)
            .ok_or_else(shape_error)?;
        rows.iter()
            .map(|row| {
                let row = row
                    .as_array()
                    .filter(|r| r.len() == n_pre as usize)
                    .ok_or_else(shape_error)?;
                row.iter()
                    .map(|x| {
                        x.as_float()
                            .or(x.as_integer().map(|i| i as f64))
                            .filter(|x| x.is_finite() && in_range(*x))
                            .ok_or_else(shape_error)
                    })
                    .collect()
            })
            .collect()
    }

    fn unique_projection_names(
        &self,
        raw: &RawModel,
        projections: &[ProjectionSpec],
    ) -> Result<()> {
        let mut seen = HashSet::new();
        for (i, p) in projections.iter().enumerate() {
            if !seen.insert(&p.name) {
                let span = raw.projections.get(i).map(|r| r.span());
                return Err(self.err(
                    span,
                    &format!("projection[{i}].name"),
                    format!(
                        "two projections are named `{}`; give each a distinct `name`",
                        p.name
                    ),
                ));
            }
        }
        Ok(())
    }

    fn stimulus(
        &self,
        index: usize,
        raw: &Spanned<RawStimulus>,
        pops: &mut Vec<PopulationSpec>,
        projections: &mut Vec<ProjectionSpec>,
        currents: &mut Vec<CurrentStimulusSpec>,
        sim: &SimulationSpec,
    ) -> Result<()> {
        let s = raw.get_ref();
        let field = |f: &str| format!("stimulus[{index}].{f}");
        let target = self.population_ref(&s.population, pops, &field("population"))?;
        let Some(membrane) = pops[target].kind.membrane().cloned() else {
            return Err(self.err(
                span_of(&s.population),
                &field("population"),
                format!(
                    "population `{}` is a {} and takes no stimulus",
                    pops[target].name,
                    pops[target].kind.model_name()
                ),
            ));
        };
        let neurons = self.neuron_list(s.neurons.as_ref(), pops[target].size, &field("neurons"))?;
        match s.kind.get_ref().as_str() {
            "current" => {
                let drive = self.current_course(s, membrane.r_m, &field)?;
                currents.push(CurrentStimulusSpec {
                    population: target,
                    neurons,
                    drive,
                });
                Ok(())
            }
            "poisson" => {
                let rate = s.rate.as_ref().ok_or_else(|| {
                    self.err(
                        Some(raw.span()),
                        &field("rate"),
                        "a poisson stimulus needs `rate` (e.g. \"10 Hz\")",
                    )
                })?;
                let (rate, _) =
                    self.value_quantity(rate, &[Dimension::Frequency], &field("rate"))?;
                if rate < 0.0 {
                    return Err(self.err(
                        span_of(s.rate.as_ref().expect("checked")),
                        &field("rate"),
                        "must not be negative",
                    ));
                }
                check_rate_per_step(&ValueSpec::Constant(rate), sim.dt).map_err(|m| {
                    self.err(
                        span_of(s.rate.as_ref().expect("checked")),
                        &field("rate"),
                        m,
                    )
                })?;
                let weight_value = s.weight.as_ref().ok_or_else(|| {
                    self.err(
                        Some(raw.span()),
                        &field("weight"),
                        "a poisson stimulus needs `weight`",
                    )
                })?;
                let port = self.port(
                    s.synapse.as_ref(),
                    s.receptor.as_ref(),
                    Some(weight_value),
                    &pops[target],
                    &field(""),
                )?;
                let weight = self.weight(weight_value, port, membrane.r_m, &field("weight"))?;
                let delay = match &s.delay {
                    None => ValueSpec::Constant(sim.dt),
                    Some(d) => {
                        let (spec, _) =
                            self.value_spec(d, &[Dimension::Time], &field("delay"), None)?;
                        self.check_delay(&spec, sim.dt)
                            .map_err(|m| self.err(span_of(d), &field("delay"), m))?;
                        spec
                    }
                };
                let targets: Vec<u32> = neurons.unwrap_or_else(|| (0..pops[target].size).collect());
                let name = format!("{}:poisson{index}", pops[target].name);
                pops.push(PopulationSpec {
                    name: name.clone(),
                    size: targets.len() as u32,
                    kind: NeuronKind::Poisson(PoissonRate::Constant(ValueSpec::Constant(rate))),
                    record_spikes: false,
                    background: None,
                });
                let synapses = targets
                    .iter()
                    .enumerate()
                    .map(|(i, &post)| ListedSynapse {
                        pre: i as u32,
                        post,
                        weight: None,
                        delay: None,
                    })
                    .collect();
                projections.push(ProjectionSpec {
                    name,
                    from: pops.len() - 1,
                    to: target,
                    rule: ConnectRule::List(synapses),
                    weight,
                    delay,
                    port,
                    allow_autapses: true,
                    plasticity: None,
                });
                Ok(())
            }
            other => Err(self.err(
                span_of(&s.kind),
                &field("kind"),
                format!("unknown stimulus kind {other:?}, expected \"current\" or \"poisson\""),
            )),
        }
    }

    /// A current stimulus as a piecewise-constant drive (volts, `r_m * i`).
    fn current_course(
        &self,
        s: &RawStimulus,
        r_m: Option<f64>,
        field: &dyn Fn(&str) -> String,
    ) -> Result<Piecewise> {
        let to_drive =
            |value: f64, dim: Dimension, span: Option<Range<usize>>, f: &str| -> Result<f64> {
                match (dim, r_m) {
                    (Dimension::Voltage, _) => Ok(value),
                    (_, Some(r)) => {
                        self.drive_in_range(ValueSpec::Constant(value * r), span, f)?;
                        Ok(value * r)
                    }
                    (_, None) => Err(self.err(
                        span,
                        f,
                        "a current needs the target's membrane resistance `r_m`",
                    )),
                }
            };
        let dims = [Dimension::Current, Dimension::Voltage];
        if let Some(a) = &s.amplitude {
            let (amp, dim) = self.value_quantity(a, &dims, &field("amplitude"))?;
            let amp = to_drive(amp, dim, span_of(a), &field("amplitude"))?;
            let start = match &s.start {
                Some(t) => self.quantity(t, Dimension::Time, &field("start"))?,
                None => 0.0,
            };
            let stop = match &s.stop {
                Some(t) => Some(self.quantity(t, Dimension::Time, &field("stop"))?),
                None => None,
            };
            if start < 0.0 || stop.is_some_and(|stop| stop < start) {
                return Err(self.err(span_of(a), &field("start"), "needs 0 <= start <= stop"));
            }
            let mut times = vec![0.0, start];
            let mut values = vec![0.0, amp];
            if let Some(stop) = stop {
                times.push(stop);
                values.push(0.0);
            }
            return Ok(Piecewise { times, values });
        }
        if let (Some(ts), Some(amps)) = (&s.times, &s.amplitudes) {
            if ts.get_ref().len() != amps.get_ref().len() || ts.get_ref().is_empty() {
                return Err(self.err(
                    span_of(ts),
                    &field("times"),
                    "`times` and `amplitudes` need the same, non-zero length",
                ));
            }
            let mut rows = Vec::new();
            for (t, a) in ts.get_ref().iter().zip(amps.get_ref()) {
                let t = parse_as(t, Dimension::Time)
                    .map_err(|e| self.err(span_of(ts), &field("times"), e.to_string()))?;
                let (a_val, dim) = self.quantity_of(
                    &Value::String(a.clone()),
                    &dims,
                    span_of(amps),
                    &field("amplitudes"),
                )?;
                rows.push((
                    t,
                    to_drive(a_val, dim, span_of(amps), &field("amplitudes"))?,
                ));
            }
            return piecewise(rows).map_err(|m| self.err(span_of(ts), &field("times"), m));
        }
        if let Some(f) = &s.file {
            let value = Spanned::new(f.span(), Value::String(f.get_ref().clone()));
            let path = self.file(f, &field("file"))?;
            let table = stimuli::read_csv_table(&path)
                .map_err(|e| self.err(span_of(f), &field("file"), e))?;
            let dim = table
                .columns
                .iter()
                .find(|c| c.name == "amplitude")
                .and_then(|c| c.unit.map(|u| u.1))
                .unwrap_or(Dimension::Current);
            let mut course = self.time_course(&value, &field("file"), "amplitude", dim)?;
            for v in &mut course.values {
                *v = to_drive(*v, dim, span_of(f), &field("file"))?;
            }
            return Ok(course);
        }
        Err(self.err(
            span_of(&s.kind),
            &field("amplitude"),
            "a current stimulus needs `amplitude` (with optional `start`/`stop`), `times` + `amplitudes`, or `file`",
        ))
    }

    pub(super) fn neuron_list(
        &self,
        neurons: Option<&Spanned<Vec<i64>>>,
        size: u32,
        field: &str,
    ) -> Result<Option<Vec<u32>>> {
        let Some(list) = neurons else { return Ok(None) };
        let mut out = Vec::with_capacity(list.get_ref().len());
        for &n in list.get_ref() {
            if n < 0 || n >= size as i64 {
                return Err(self.err(
                    span_of(list),
                    field,
                    format!("neuron {n} is out of range (population of {size})"),
                ));
            }
            out.push(n as u32);
        }
        Ok(Some(out))
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
}

/// Recordable state variables of each model.
pub fn recordable(kind: &NeuronKind) -> &'static [&'static str] {
    kind.model().recordable()
}

fn check_weight_dim(
    dim: Dimension,
    port: Port,
    r_m: Option<f64>,
) -> std::result::Result<(), String> {
    match (port, dim) {
        (Port::Voltage, Dimension::Voltage) => Ok(()),
        (Port::Voltage, d) => Err(format!(
            "delta synapses take voltage weights, the list gives {d}"
        )),
        (Port::ConductanceExc | Port::ConductanceInh, Dimension::Conductance) => Ok(()),
        (Port::ConductanceExc | Port::ConductanceInh, d) => Err(format!(
            "conductance synapses take conductance weights, the list gives {d}"
        )),
        (_, Dimension::Voltage) => Ok(()),
        (_, Dimension::Current) if r_m.is_some() => Ok(()),
        (_, Dimension::Current) => Err("current weights need the target's `r_m`".into()),
        (_, d) => Err(format!(
            "current synapses take current or voltage weights, the list gives {d}"
        )),
    }
}

fn weight_sign(weight: Option<&Spanned<Value>>) -> f64 {
    let Some(w) = weight else { return 1.0 };
    let first = |v: &Value| -> Option<f64> {
        match v {
            Value::String(s) => parse_quantity(s).ok().map(|q| q.value),
            Value::Table(t) => t
                .get("uniform")
                .and_then(|u| u.as_array())
                .and_then(|a| a.first())
                .and_then(|x| x.as_str())
                .or_else(|| {
                    t.get("normal")
                        .and_then(|n| n.get("mean"))
                        .and_then(|m| m.as_str())
                })
                .and_then(|s| parse_quantity(s).ok())
                .map(|q| q.value),
            _ => None,
        }
    };
    first(w.get_ref()).unwrap_or(1.0)
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

/// Sort-checked `(time, value)` rows to a piecewise-constant function that is
/// zero before the first time.
fn piecewise(rows: Vec<(f64, f64)>) -> std::result::Result<Piecewise, String> {
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

fn describe(v: &Value) -> String {
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

/// A parameter or init table, with the lookups validation needs.
/// A projection of a population onto itself without autapses has `n² - n`
/// pairs: a total without multapses must fit in them, one with multapses
/// needs at least one.
pub(super) fn check_total_without_autapses(
    total: u64,
    multapses: bool,
    no_autapses: bool,
    n: u32,
) -> std::result::Result<(), String> {
    if !no_autapses {
        return Ok(());
    }
    let pairs = n as u64 * n as u64 - n as u64;
    if total > 0 && pairs == 0 {
        return Err(format!(
            "fixed_total_number = {total} onto a single neuron without autapses: there is no pair to connect (set allow_autapses = true)"
        ));
    }
    if !multapses && total > pairs {
        return Err(format!(
            "fixed_total_number = {total} without multapses exceeds the {pairs} pairs of {n} neurons without autapses"
        ));
    }
    Ok(())
}

/// The least probability a redrawn normal's `[min, max]` may hold.
const MIN_REDRAW_MASS: f64 = 1e-6;
