//! From the model file as written (`schema`) to the validated `ModelSpec`:
//! units resolved, names looked up, files loaded, bounds checked. Every error
//! points at the file, the line and the field.
//!
//! This file holds the entry point, the walk through a model's sections, the
//! lookups every section shares and what is left of the populations' checks
//! here (the neuron models check their own parameters, in `src/neuron/`);
//! each other section has its file under `validate/`: `simulation`,
//! `projection` (with `connect`, `plasticity` and the glial projections of
//! `glial`), `stimulus`, `record`, `background`, `scale`, the values they all
//! read (`values`, and `params` for a population's tables), fixed-point mode
//! (`fixed`) and the event engine's pace (`event_pace`).

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use toml::{Spanned, Value};

use super::error::{ModelError, Source};
use super::schema::*;
use super::spec::*;
use super::units::{Dimension, MAX_MAGNITUDE, MIN_MAGNITUDE, in_range, parse_quantity};
use crate::io::stimuli;
use crate::neuron::registry::MODEL_NAMES;
use values::{describe, piecewise};

mod background;
mod connect;
mod event_pace;
mod fixed;
mod glial;
mod params;
mod plasticity;
mod projection;
mod record;
mod scale;
mod simulation;
mod stimulus;
mod values;

pub(crate) use glial::check_range;
pub use params::{ModelParams, Params};
pub use simulation::MAX_STEPS;
pub(crate) use values::{check_non_negative, check_rate_course, check_rate_per_step};

/// Where parameter `key` of a population is written, if it is.
fn param_span(population: &Spanned<RawPopulation>, key: &str) -> Option<Range<usize>> {
    let params = population.get_ref().params.as_ref()?;
    params.get_ref().get(key).map(|v| v.span())
}

type Result<T> = std::result::Result<T, ModelError>;

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
        if fixed::is_fixed(&raw) {
            return self.fixed_mode(&raw);
        }
        self.reject_fixed_only(&raw)?;
        let simulation = self.simulation(&raw.simulation)?;
        let scaling = self.scaling(&raw)?;
        let full_scale = match &scaling {
            Some(s) if !s.is_identity() => Some(self.rewrite(s, &mut raw)?),
            _ => None,
        };
        self.some_population(&raw)?;
        let mut populations = self.populations(&raw, &simulation)?;
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
        self.zero_delay_cycles(&raw, &populations, &projections)?;
        let (records, weight_records) =
            self.records(&raw, &populations, &projections, &simulation)?;
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

    /// A fixed-point model: what float mode adds to a model is refused first.
    fn fixed_mode(&self, raw: &RawModel) -> Result<ModelSpec> {
        self.reject_fixed_background(&raw.populations)?;
        if let Some(s) = &raw.scale {
            return Err(self.err(
                span_of(s),
                "scale",
                "[scale] is not available in fixed-point mode",
            ));
        }
        self.fixed_model(raw)
    }

    /// Every population with its background input; names are unique.
    fn populations(
        &self,
        raw: &RawModel,
        simulation: &SimulationSpec,
    ) -> Result<Vec<PopulationSpec>> {
        let mut populations = Vec::with_capacity(raw.populations.len());
        let mut names = HashSet::new();
        for p in &raw.populations {
            let mut spec = self.population(p, simulation.dt)?;
            spec.background = self.background(p, &spec, simulation)?;
            if !names.insert(spec.name.clone()) {
                return Err(self.err(
                    span_of(&p.get_ref().name),
                    "population.name",
                    format!("population `{}` is defined twice", spec.name),
                ));
            }
            populations.push(spec);
        }
        Ok(populations)
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
