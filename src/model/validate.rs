//! From the model file as written (`schema`) to the validated `ModelSpec`:
//! units resolved, names looked up, files loaded, bounds checked. Every error
//! points at the file, the line and the field.
//!
//! This file holds the entry point, the walk through a model's sections, the
//! lookups every section shares and the populations' neuron models; each
//! other section has its file under `validate/`: `simulation`, `projection`
//! (with `connect`, `plasticity` and the glial projections of `richer`),
//! `stimulus`, `record`, `background`, `scale`, the values they all read
//! (`values`), fixed-point mode (`fixed`) and the checks of the discrete-time
//! and event-driven populations (`discrete`, `event_pace`).

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use toml::{Spanned, Value};

use super::error::{ModelError, Source};
use super::schema::*;
use super::spec::*;
use super::units::{Dimension, MAX_MAGNITUDE, MIN_MAGNITUDE, in_range, parse_quantity};
use crate::io::stimuli;
use values::{check_non_negative, check_rate_per_step, describe, piecewise};

mod background;
mod connect;
mod discrete;
mod event_pace;
mod fixed;
mod plasticity;
mod projection;
mod record;
mod richer;
mod scale;
mod simulation;
mod stimulus;
mod values;

pub use simulation::MAX_STEPS;

/// How many times the reset-to-threshold gap a membrane potential may
/// reach in magnitude (see `membrane`).
const RESOLVED_SPAN: f64 = 1e9;

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
        self.discrete_clocks(&raw.populations, &populations, &simulation)?;
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
        let kind = match p.model.get_ref().as_str() {
            "lif" => {
                params.allow(&["tau_m", "v_rest", "v_reset", "v_th", "t_ref", "r_m", "i_e"])?;
                init.allow(&["v"])?;
                NeuronKind::Lif(self.membrane(&params, &init, size)?)
            }
            "cuba_lif" => {
                params.allow(&[
                    "tau_m",
                    "v_rest",
                    "v_reset",
                    "v_th",
                    "t_ref",
                    "r_m",
                    "i_e",
                    "tau_syn",
                    "tau_syn_e",
                    "tau_syn_i",
                ])?;
                init.allow(&["v", "i_syn_e", "i_syn_i"])?;
                NeuronKind::CubaLif(self.cuba(&params, &init, size)?)
            }
            "spike_source" => {
                params.allow(&["spikes", "file", "group"])?;
                init.allow(&[])?;
                NeuronKind::SpikeSource(self.spike_source(&params, size)?)
            }
            "poisson" => {
                params.allow(&["rate", "rate_file"])?;
                init.allow(&[])?;
                NeuronKind::Poisson(self.poisson_rate(&params, size, dt)?)
            }
            other => match self.richer_kind(other, &params, &init, size) {
                Some(kind) => kind?,
                None => {
                    return Err(self.err(
                        span_of(&p.model),
                        &field("model"),
                        format!("unknown model {other:?}, expected one of \"lif\", \"cuba_lif\", \"spike_source\", \"poisson\", \"astrocyte\", \"amsu_lif\", \"meta\", \"discrete_lif\""),
                    ));
                }
            },
        };
        Ok(PopulationSpec {
            name,
            size,
            kind,
            record_spikes: p.record_spikes.unwrap_or(true),
            background: None,
        })
    }

    fn membrane(&self, params: &Params, init: &Params, size: u32) -> Result<MembraneParams> {
        let n = Some(size as usize);
        let tau_m = params.positive("tau_m", Dimension::Time)?;
        let v_rest = params.scalar("v_rest", Dimension::Voltage)?;
        let v_reset = params.scalar_or("v_reset", Dimension::Voltage, v_rest)?;
        let v_th = params.scalar("v_th", Dimension::Voltage)?;
        let t_ref = params.scalar_or("t_ref", Dimension::Time, 0.0)?;
        if t_ref < 0.0 {
            return Err(params.error("t_ref", "must not be negative"));
        }
        if v_reset >= v_th {
            return Err(params.error(
                "v_reset",
                "must lie below v_th, or the neuron would fire again at once",
            ));
        }
        // The potentials are computed in double precision as offsets from
        // `v_rest`: once the largest of them is 1e9 times the reset-to-
        // threshold gap, rounding alone moves the membrane across threshold
        // (the fuzzer's v_rest of -9.2e15 V fired endlessly at one instant).
        let gap = v_th - v_reset;
        for (key, v) in [("v_rest", v_rest), ("v_reset", v_reset), ("v_th", v_th)] {
            if v.abs() > RESOLVED_SPAN * gap {
                return Err(params.error(
                    key,
                    format!(
                        "{v:e} V is more than {RESOLVED_SPAN:e} times the gap between v_reset and \
                         v_th ({gap:e} V): double precision cannot resolve the threshold there"
                    ),
                ));
            }
        }
        let r_m = match params.get("r_m") {
            Some(_) => Some(params.positive("r_m", Dimension::Resistance)?),
            None => None,
        };
        let init_drive = match params.get("i_e") {
            None => ValueSpec::Constant(0.0),
            Some(v) => {
                let (spec, _) =
                    self.value_spec(v, &[Dimension::Current], &params.field("i_e"), n)?;
                let r = r_m.ok_or_else(|| {
                    params.error("i_e", "a current needs the membrane resistance `r_m`")
                })?;
                self.drive_in_range(spec.scaled(r), span_of(v), &params.field("i_e"))?
            }
        };
        let init_v = match init.get("v") {
            None => ValueSpec::Constant(v_rest),
            Some(v) => {
                self.value_spec(v, &[Dimension::Voltage], &init.field("v"), n)?
                    .0
            }
        };
        Ok(MembraneParams {
            tau_m,
            v_rest,
            v_reset,
            v_th,
            t_ref,
            r_m,
            init_v,
            init_drive,
        })
    }

    fn cuba(&self, params: &Params, init: &Params, size: u32) -> Result<CubaParams> {
        let membrane = self.membrane(params, init, size)?;
        let (tau_syn_e, tau_syn_i) = match params.get("tau_syn") {
            Some(_) => {
                if params.get("tau_syn_e").is_some() || params.get("tau_syn_i").is_some() {
                    return Err(params.error(
                        "tau_syn",
                        "give either `tau_syn` or `tau_syn_e` and `tau_syn_i`, not both",
                    ));
                }
                let t = params.positive("tau_syn", Dimension::Time)?;
                (t, t)
            }
            None => (
                params.positive("tau_syn_e", Dimension::Time)?,
                params.positive("tau_syn_i", Dimension::Time)?,
            ),
        };
        let current = |key: &str| -> Result<ValueSpec> {
            match init.get(key) {
                None => Ok(ValueSpec::Constant(0.0)),
                Some(v) => self.as_drive(v, &init.field(key), membrane.r_m, Some(size as usize)),
            }
        };
        Ok(CubaParams {
            init_syn_e: current("i_syn_e")?,
            init_syn_i: current("i_syn_i")?,
            membrane,
            tau_syn_e,
            tau_syn_i,
        })
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

    fn spike_source(&self, params: &Params, size: u32) -> Result<SpikeList> {
        let spikes = match (params.get("spikes"), params.get("file")) {
            (Some(v), None) => self.inline_spikes(v, &params.field("spikes"), size)?,
            (None, Some(f)) => {
                let field = params.field("file");
                let path_value = self.string_value(f, &field)?;
                let path = self.file(&path_value, &field)?;
                let group = match params.get("group") {
                    Some(g) => self.string_value(g, &params.field("group"))?.into_inner(),
                    None => "/".to_string(),
                };
                let spikes = stimuli::read_spike_times(&path, &group)
                    .map_err(|e| self.err(span_of(f), &field, e))?;
                if let Some((_, n)) = spikes.iter().find(|(_, n)| *n >= size) {
                    return Err(self.err(
                        span_of(f),
                        &field,
                        format!("neuron {n} is out of range for a population of {size}"),
                    ));
                }
                spikes
            }
            _ => {
                return Err(params.error(
                    "spikes",
                    "a spike_source needs exactly one of `spikes` (inline times) or `file`",
                ));
            }
        };
        if let Some((t, _)) = spikes.iter().find(|(t, _)| *t < 0.0) {
            return Err(params.error("spikes", format!("spike time {t} s is negative")));
        }
        Ok(SpikeList { spikes })
    }

    fn inline_spikes(&self, v: &Spanned<Value>, field: &str, size: u32) -> Result<Vec<(f64, u32)>> {
        let rows = v
            .get_ref()
            .as_array()
            .filter(|rows| rows.len() == size as usize)
            .ok_or_else(|| {
                self.err(
                    span_of(v),
                    field,
                    format!("expected one array of spike times per neuron ({size} arrays)"),
                )
            })?;
        let mut spikes = Vec::new();
        for (n, row) in rows.iter().enumerate() {
            let times = row.as_array().ok_or_else(|| {
                self.err(
                    span_of(v),
                    field,
                    format!("entry {n} is not an array of times"),
                )
            })?;
            for t in times {
                let (t, _) = self.quantity_of(t, &[Dimension::Time], span_of(v), field)?;
                spikes.push((t, n as u32));
            }
        }
        Ok(spikes)
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

    fn poisson_rate(&self, params: &Params, size: u32, dt: f64) -> Result<PoissonRate> {
        match (params.get("rate"), params.get("rate_file")) {
            (Some(v), None) => {
                let (spec, _) = self.value_spec(
                    v,
                    &[Dimension::Frequency],
                    &params.field("rate"),
                    Some(size as usize),
                )?;
                check_non_negative(&spec)
                    .and_then(|()| check_rate_per_step(&spec, dt))
                    .map_err(|m| self.err(span_of(v), &params.field("rate"), m))?;
                Ok(PoissonRate::Constant(spec))
            }
            (None, Some(f)) => {
                let field = params.field("rate_file");
                let course = self.time_course(f, &field, "rate", Dimension::Frequency)?;
                if course.values.iter().any(|r| *r < 0.0) {
                    return Err(self.err(span_of(f), &field, "rates must not be negative"));
                }
                let highest = course.values.iter().copied().fold(0.0, f64::max);
                check_rate_per_step(&ValueSpec::Constant(highest), dt)
                    .map_err(|m| self.err(span_of(f), &field, m))?;
                Ok(PoissonRate::Varying(course))
            }
            _ => Err(params.error(
                "rate",
                "a poisson population needs exactly one of `rate` or `rate_file`",
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
        let is_cuba = matches!(target.kind, NeuronKind::CubaLif(_));
        let kind = synapse.map(|s| s.get_ref().as_str()).unwrap_or(if is_cuba {
            "current"
        } else {
            "delta"
        });
        match kind {
            "delta" => {
                if let Some(r) = receptor {
                    return Err(self.err(
                        span_of(r),
                        &format!("{field}receptor"),
                        "delta synapses have no receptor; remove `receptor`",
                    ));
                }
                Ok(Port::Voltage)
            }
            "current" => {
                if !is_cuba {
                    return Err(self.err(
                        synapse.map(span_of).unwrap_or(None),
                        &format!("{field}synapse"),
                        format!(
                            "population `{}` is a {} without synaptic current; use synapse = \"delta\" or model = \"cuba_lif\"",
                            target.name,
                            target.kind.model_name()
                        ),
                    ));
                }
                match receptor.map(|r| (r, r.get_ref().as_str())) {
                    Some((_, "exc")) => Ok(Port::CurrentExc),
                    Some((_, "inh")) => Ok(Port::CurrentInh),
                    Some((r, other)) => Err(self.err(
                        span_of(r),
                        &format!("{field}receptor"),
                        format!("unknown receptor {other:?}, expected \"exc\" or \"inh\""),
                    )),
                    None => Ok(if weight_sign(weight) < 0.0 {
                        Port::CurrentInh
                    } else {
                        Port::CurrentExc
                    }),
                }
            }
            other => Err(self.err(
                synapse.map(span_of).unwrap_or(None),
                &format!("{field}synapse"),
                format!("unknown synapse {other:?}, expected \"delta\" or \"current\""),
            )),
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
    match kind {
        NeuronKind::Lif(_) => &["v"],
        NeuronKind::CubaLif(_) => &["v", "i_syn_e", "i_syn_i"],
        NeuronKind::DiscreteLif(_) => &["v"],
        NeuronKind::SpikeSource(_) | NeuronKind::Poisson(_) => &[],
        other => richer::richer_recordable(other).unwrap_or(&[]),
    }
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

/// A parameter or init table, with the lookups validation needs.
struct Params<'v, 'a> {
    validator: &'v Validator<'a>,
    map: &'v ValueMap,
    prefix: String,
}

impl<'v, 'a> Params<'v, 'a> {
    fn new(validator: &'v Validator<'a>, map: &'v ValueMap, prefix: String) -> Self {
        Self {
            validator,
            map,
            prefix,
        }
    }

    fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.prefix)
    }

    fn get(&self, key: &str) -> Option<&'v Spanned<Value>> {
        self.map.get(key)
    }

    fn error(&self, key: &str, msg: impl Into<String>) -> ModelError {
        let span = self.map.get(key).map(|v| v.span());
        self.validator.err(span, &self.field(key), msg)
    }

    fn allow(&self, keys: &[&str]) -> Result<()> {
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

    fn scalar(&self, key: &str, dim: Dimension) -> Result<f64> {
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

    fn scalar_or(&self, key: &str, dim: Dimension, default: f64) -> Result<f64> {
        match self.get(key) {
            None => Ok(default),
            Some(_) => self.scalar(key, dim),
        }
    }

    fn positive(&self, key: &str, dim: Dimension) -> Result<f64> {
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
}
