//! Validation of fixed-point mode (`[simulation] arithmetic = "fixed"`): the
//! model-file schema's integer side, checked into `spec::fixed`'s integer
//! network. Time is counted in steps.
//!
//! Values beyond the chip's declared widths that Lava's bit-accurate model
//! still accepts (a `vth` above 17 bits, a 24-bit state outside 24 bits, a
//! weight outside the clip range, ...) are accepted with a warning; values
//! the arithmetic cannot hold are errors.

use toml::{Spanned, Value};

use super::{Result, Validator};
use crate::model::error::ModelError;
use crate::model::schema::*;
use crate::model::spec::fixed::*;
use crate::model::spec::*;
use crate::model::units::Dimension;
use crate::synapse::fixed::SignMode;

/// Default nominal step, for the times written to the results.
const DEFAULT_DT: f64 = 1e-3;

/// The chip's declared widths.
const DECAY_MAX: i64 = 4095;
const VTH_MAX: i64 = (1 << 17) - 1;
const BIAS_MANT_RANGE: (i64, i64) = (-(1 << 12), (1 << 12) - 1);
const BIAS_EXP_RANGE: (i64, i64) = (-7, 7);
const U_RANGE: (i64, i64) = (-(1 << 23), 1 << 23);
const V_RANGE: (i64, i64) = (-((1 << 23) - 1), (1 << 23) - 1);

/// Whether a model file asks for fixed-point arithmetic.
pub(super) fn is_fixed(raw: &RawModel) -> bool {
    raw.simulation
        .get_ref()
        .arithmetic
        .as_ref()
        .is_some_and(|a| a.get_ref() == "fixed")
}

fn span<T>(s: &Spanned<T>) -> Option<std::ops::Range<usize>> {
    Some(s.span())
}

/// Warnings gathered while validating.
type Warnings = std::cell::RefCell<Vec<ModelError>>;

impl Validator<'_> {
    /// Float mode: keys that only fixed-point mode reads are errors that say so.
    pub(super) fn reject_fixed_only(&self, raw: &RawModel) -> Result<()> {
        let hint = "only in fixed-point mode ([simulation] arithmetic = \"fixed\")";
        let sim = raw.simulation.get_ref();
        if let Some(a) = &sim.arithmetic
            && a.get_ref() != "float"
        {
            return Err(self.err(
                span(a),
                "simulation.arithmetic",
                format!(
                    "unknown arithmetic {:?}, expected \"float\" or \"fixed\"",
                    a.get_ref()
                ),
            ));
        }
        if let Some(s) = &sim.steps {
            return Err(self.err(
                span(s),
                "simulation.steps",
                format!("{hint}; use `duration`"),
            ));
        }
        for p in &raw.populations {
            let p = p.get_ref();
            let name = p.name.get_ref();
            if let Some(pat) = &p.pattern {
                return Err(self.err(span(pat), &format!("population[{name}].pattern"), hint));
            }
            if p.model.get_ref() == "spike_pattern" {
                return Err(self.err(
                    span(&p.model),
                    &format!("population[{name}].model"),
                    format!("spike_pattern is {hint}"),
                ));
            }
            let fixed_keys = ["du", "dv", "vth", "bias_mant", "bias_exp"];
            for (table, what) in [(&p.params, "params"), (&p.init, "init")] {
                if let Some(map) = table {
                    for (key, value) in map.get_ref() {
                        if fixed_keys.contains(&key.as_str()) || (what == "init" && key == "u") {
                            return Err(self.err(
                                span(value),
                                &format!("population[{name}].{what}.{key}"),
                                format!("`{key}` is a chip parameter, {hint}"),
                            ));
                        }
                    }
                }
            }
        }
        for (i, p) in raw.projections.iter().enumerate() {
            let p = p.get_ref();
            let spans = [
                ("weight_exp", p.weight_exp.as_ref().map(|s| s.span())),
                (
                    "num_weight_bits",
                    p.num_weight_bits.as_ref().map(|s| s.span()),
                ),
                ("sign_mode", p.sign_mode.as_ref().map(|s| s.span())),
            ];
            if let Some((key, s)) = spans.into_iter().find(|(_, s)| s.is_some()) {
                return Err(self.err(s, &format!("projection[{i}].{key}"), hint));
            }
        }
        Ok(())
    }

    pub(super) fn fixed_model(&self, raw: &RawModel) -> Result<ModelSpec> {
        let warnings = Warnings::default();
        let simulation = self.fixed_simulation(&raw.simulation)?;
        self.some_population(raw)?;
        if let Some(s) = raw.stimuli.first() {
            return Err(self.err(
                span(s),
                "stimulus",
                "stimuli are not available in fixed-point mode; use a spike_pattern population or a bias",
            ));
        }
        let mut populations: Vec<FixedPopulation> = Vec::new();
        for p in &raw.populations {
            let pop = self.fixed_population(p, &warnings)?;
            if populations.iter().any(|q| q.name == pop.name) {
                return Err(self.err(
                    span(&p.get_ref().name),
                    "population.name",
                    format!("population `{}` is defined twice", pop.name),
                ));
            }
            populations.push(pop);
        }
        let mut projections: Vec<FixedProjection> = Vec::new();
        for (i, p) in raw.projections.iter().enumerate() {
            let proj = self.fixed_projection(i, p, &populations, &warnings)?;
            if projections.iter().any(|q| q.name == proj.name) {
                return Err(self.err(
                    span(p),
                    &format!("projection[{i}].name"),
                    format!("projection name `{}` is used twice; set `name`", proj.name),
                ));
            }
            projections.push(proj);
        }
        let names: Vec<&str> = populations.iter().map(|p| p.name.as_str()).collect();
        let links: Vec<_> = projections
            .iter()
            .map(|p| super::projection::Link {
                from: p.from,
                to: p.to,
                name: &p.name,
                zero: p.zero_delay,
            })
            .collect();
        self.no_zero_delay_cycle(raw, &names, &links)?;
        let records = raw
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| self.fixed_record(i, r, &populations, simulation.steps))
            .collect::<Result<Vec<_>>>()?;
        let output = self.output_for(raw.output.as_ref(), &records)?;
        Ok(ModelSpec {
            path: self.src.path.to_path_buf(),
            text: self.src.text.to_string(),
            simulation,
            populations: Vec::new(),
            projections: Vec::new(),
            currents: Vec::new(),
            records: Vec::new(),
            weight_records: Vec::new(),
            output,
            fixed: Some(FixedModel {
                populations,
                projections,
                records,
            }),
            warnings: warnings.into_inner(),
        })
    }

    fn fixed_simulation(&self, raw: &Spanned<RawSimulation>) -> Result<SimulationSpec> {
        let s = raw.get_ref();
        let steps = s.steps.as_ref().ok_or_else(|| {
            self.err(
                Some(raw.span()),
                "simulation.steps",
                "missing: fixed-point mode counts time in steps (e.g. steps = 1000)",
            )
        })?;
        if !(1..=1_000_000_000_000).contains(steps.get_ref()) {
            return Err(self.err(
                span(steps),
                "simulation.steps",
                format!(
                    "must be a number of steps in [1, 10^12], got {}",
                    steps.get_ref()
                ),
            ));
        }
        if let Some(d) = &s.duration {
            return Err(self.err(
                span(d),
                "simulation.duration",
                "fixed-point mode counts time in `steps`; remove `duration`",
            ));
        }
        if let Some(e) = &s.engine
            && e.get_ref() != "clock"
        {
            return Err(self.err(
                span(e),
                "simulation.engine",
                "fixed-point mode runs in the clock engine (engine = \"clock\")",
            ));
        }
        let dt = match &s.dt {
            None => DEFAULT_DT,
            Some(d) => self.positive(d, Dimension::Time, "simulation.dt")?,
        };
        let steps = *steps.get_ref() as u64;
        Ok(SimulationSpec {
            dt,
            duration: steps as f64 * dt,
            steps,
            seed: s.seed.as_ref().map_or(0, |v| *v.get_ref()),
            engine: EngineKind::Clock,
            threads: self.threads(s)?,
        })
    }

    fn fixed_population(
        &self,
        raw: &Spanned<RawPopulation>,
        warnings: &Warnings,
    ) -> Result<FixedPopulation> {
        let p = raw.get_ref();
        let (name, size) = self.name_and_size(p)?;
        let field = |f: &str| format!("population[{name}].{f}");
        let empty = ValueMap::new();
        let params = p.params.as_ref().map_or(&empty, |s| s.get_ref());
        let init = p.init.as_ref().map_or(&empty, |s| s.get_ref());
        let ints = IntTable {
            v: self,
            map: params,
            prefix: field("params"),
            size,
            warnings,
        };
        let inits = IntTable {
            v: self,
            map: init,
            prefix: field("init"),
            size,
            warnings,
        };
        let kind = match p.model.get_ref().as_str() {
            "lif" => {
                ints.allow(&["du", "dv", "vth", "bias_mant", "bias_exp"])?;
                inits.allow(&["u", "v"])?;
                if let Some(pat) = &p.pattern {
                    return Err(self.err(
                        span(pat),
                        &field("pattern"),
                        "only spike_pattern populations take a pattern",
                    ));
                }
                FixedKind::Lif(loihi_lif(&ints, &inits)?)
            }
            "spike_pattern" => {
                inits.allow(&[])?;
                let pattern = self.pattern_table(raw, &ints, &field)?;
                FixedKind::SpikePattern(self.pattern(pattern, size, &field("pattern"))?)
            }
            other => {
                return Err(self.err(
                    span(&p.model),
                    &field("model"),
                    format!("fixed-point mode has the models \"lif\" (Loihi CUBA-LIF) and \"spike_pattern\", not {other:?}"),
                ));
            }
        };
        Ok(FixedPopulation {
            name,
            size,
            kind,
            record_spikes: p.record_spikes.unwrap_or(true),
        })
    }

    /// A spike_pattern's `pattern`, written beside `params` or inside it
    /// (then the only parameter), not both.
    fn pattern_table<'r>(
        &self,
        raw: &'r Spanned<RawPopulation>,
        ints: &IntTable<'r, '_>,
        field: &dyn Fn(&str) -> String,
    ) -> Result<&'r Spanned<Value>> {
        let p = raw.get_ref();
        let pattern = match (&p.pattern, ints.map.get("pattern")) {
            (Some(_), Some(dup)) => {
                return Err(self.err(
                    span(dup),
                    &field("params.pattern"),
                    "the pattern is given twice",
                ));
            }
            (Some(pat), None) => pat,
            (None, Some(pat)) => {
                ints.allow(&["pattern"])?;
                pat
            }
            (None, None) => {
                return Err(self.err(
                    Some(raw.span()),
                    &field("pattern"),
                    "missing: pattern = [[0, 1, ...], ...], one row of 0/1 per neuron",
                ));
            }
        };
        if p.pattern.is_some() {
            ints.allow(&[])?;
        }
        Ok(pattern)
    }

    fn pattern(&self, v: &Spanned<Value>, size: u32, field: &str) -> Result<Vec<Vec<bool>>> {
        let usage = format!("expected {size} rows (one per neuron) of 0/1, all of the same length");
        let bad = |msg: String| self.err(span(v), field, msg);
        let rows = v
            .get_ref()
            .as_array()
            .filter(|r| r.len() == size as usize)
            .ok_or_else(|| bad(usage.clone()))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let row = row.as_array().ok_or_else(|| bad(usage.clone()))?;
            let bits = row
                .iter()
                .map(|x| match x {
                    Value::Integer(0) | Value::Boolean(false) => Ok(false),
                    Value::Integer(1) | Value::Boolean(true) => Ok(true),
                    other => Err(bad(format!("pattern entries are 0 or 1, got {other}"))),
                })
                .collect::<Result<Vec<bool>>>()?;
            out.push(bits);
        }
        let period = out[0].len();
        if period == 0 || out.iter().any(|r| r.len() != period) {
            return Err(bad(usage));
        }
        Ok(out)
    }

    fn fixed_projection(
        &self,
        index: usize,
        raw: &Spanned<RawProjection>,
        pops: &[FixedPopulation],
        warnings: &Warnings,
    ) -> Result<FixedProjection> {
        let p = raw.get_ref();
        let field = |f: &str| format!("projection[{index}].{f}");
        let name = p
            .name
            .as_ref()
            .map_or(format!("{}->{}", p.from.get_ref(), p.to.get_ref()), |n| {
                n.get_ref().clone()
            });
        let from = self.fixed_population_ref(&p.from, pops, &field("from"))?;
        let to = self.fixed_population_ref(&p.to, pops, &field("to"))?;
        if !matches!(pops[to].kind, FixedKind::Lif(_)) {
            return Err(self.err(
                span(&p.to),
                &field("to"),
                format!(
                    "population `{}` is a spike_pattern and cannot receive synapses",
                    pops[to].name
                ),
            ));
        }
        self.reject_float_only_projection_keys(p, &field)?;
        let zero_delay = self.fixed_delay(p, &field)?;
        let (n_pre, n_post) = (pops[from].size, pops[to].size);
        let (rule, _) = self.connect(&p.connect, n_pre, n_post, &field("connect"))?;
        if let ConnectRule::FixedTotalNumber { total, multapses } = rule {
            let no_autapses = from == to && !p.allow_autapses.unwrap_or(false);
            super::projection::check_total_without_autapses(total, multapses, no_autapses, n_post)
                .map_err(|m| self.err(span(&p.connect), &field("connect"), m))?;
        }
        let weights = self.fixed_weights(raw, rule, &field)?;
        let (weight_exp, num_weight_bits, sign_mode) = self.weight_format(p, &field)?;
        self.warn_clipped(p, &weights, sign_mode, warnings, &field);
        Ok(FixedProjection {
            name,
            from,
            to,
            weights,
            allow_autapses: p.allow_autapses.unwrap_or(false),
            weight_exp,
            num_weight_bits,
            sign_mode,
            zero_delay,
        })
    }

    /// A fixed-point projection's `delay`: absent (the chip's one-step
    /// pipeline) or exactly 0 (the spikes reach their targets in the step
    /// they were emitted in); nothing else.
    fn fixed_delay(&self, p: &RawProjection, field: &dyn Fn(&str) -> String) -> Result<bool> {
        let Some(d) = &p.delay else {
            return Ok(false);
        };
        let (spec, _) = self.value_spec(d, &[Dimension::Time], &field("delay"), None)?;
        if spec == ValueSpec::Constant(0.0) {
            return Ok(true);
        }
        Err(self.err(
            span(d),
            &field("delay"),
            "every fixed-point projection has the chip's one-step pipeline; remove `delay`, or give \"0 ms\" for a zero-delay projection (spikes reach their targets in the step they were emitted in)",
        ))
    }

    /// Float-mode projection keys, each refused with what fixed-point mode does instead.
    fn reject_float_only_projection_keys(
        &self,
        p: &RawProjection,
        field: &dyn Fn(&str) -> String,
    ) -> Result<()> {
        let not_here = [
            (
                "synapse",
                p.synapse.as_ref().map(|s| s.span()),
                "fixed-point synapses all add to the current `u`; remove `synapse`",
            ),
            (
                "receptor",
                p.receptor.as_ref().map(|s| s.span()),
                "fixed-point synapses all add to the current `u`; remove `receptor`",
            ),
            (
                "plasticity",
                p.plasticity.as_ref().map(|s| s.span()),
                "fixed-point weights are fixed integers; plasticity runs in float mode only",
            ),
        ];
        if let Some((key, s, msg)) = not_here.into_iter().find(|(_, s, _)| s.is_some()) {
            return Err(self.err(s, &field(key), msg));
        }
        Ok(())
    }

    /// A dense matrix's integer weights, or a sparse rule's one integer `weight`.
    fn fixed_weights(
        &self,
        raw: &Spanned<RawProjection>,
        rule: ConnectRule,
        field: &dyn Fn(&str) -> String,
    ) -> Result<FixedWeights> {
        let p = raw.get_ref();
        let weights = match rule {
            ConnectRule::Dense(rows) => {
                if let Some(w) = &p.weight {
                    return Err(self.err(
                        span(w),
                        &field("weight"),
                        "a dense matrix carries its weights; remove `weight`",
                    ));
                }
                let mut ints = Vec::with_capacity(rows.len());
                for row in rows {
                    let row = row
                        .into_iter()
                        .map(|x| integer_weight(x).ok_or_else(|| {
                            self.err(span(&p.connect), &field("connect"), format!("fixed-point weights are integers of at most 32 bits, got {x}"))
                        }))
                        .collect::<Result<Vec<i64>>>()?;
                    ints.push(row);
                }
                FixedWeights::Dense(ints)
            }
            ConnectRule::List(_) => {
                return Err(self.err(span(&p.connect), &field("connect"), "fixed-point mode takes dense matrices and the rules all_to_all, one_to_one, fixed_probability, fixed_indegree, fixed_total_number, not lists"));
            }
            rule => {
                let w = p.weight.as_ref().ok_or_else(|| {
                    self.err(
                        Some(raw.span()),
                        &field("weight"),
                        "missing: an integer weight (e.g. weight = 20)",
                    )
                })?;
                let value = match w.get_ref() {
                    Value::Integer(i) if i32::try_from(*i).is_ok() => *i,
                    other => {
                        return Err(self.err(
                            span(w),
                            &field("weight"),
                            format!(
                                "fixed-point weights are integers of at most 32 bits, got {other}"
                            ),
                        ));
                    }
                };
                FixedWeights::Rule(rule, value)
            }
        };
        Ok(weights)
    }

    /// `weight_exp`, `num_weight_bits` (Lava's defaults 0 and 8) and `sign_mode`.
    fn weight_format(
        &self,
        p: &RawProjection,
        field: &dyn Fn(&str) -> String,
    ) -> Result<(i32, u8, Option<SignMode>)> {
        let weight_exp = match &p.weight_exp {
            None => 0,
            Some(e) if (-24..=24).contains(e.get_ref()) => *e.get_ref() as i32,
            Some(e) => {
                return Err(self.err(
                    span(e),
                    &field("weight_exp"),
                    format!("must lie in -24..=24, got {}", e.get_ref()),
                ));
            }
        };
        let num_weight_bits = match &p.num_weight_bits {
            None => 8,
            Some(b) if (1..=8).contains(b.get_ref()) => *b.get_ref() as u8,
            Some(b) => {
                return Err(self.err(
                    span(b),
                    &field("num_weight_bits"),
                    format!("must lie in 1..=8, got {}", b.get_ref()),
                ));
            }
        };
        let sign_mode = match &p.sign_mode {
            None => None,
            Some(s) => Some(SignMode::parse(s.get_ref()).ok_or_else(|| {
                self.err(span(s), &field("sign_mode"), format!("unknown sign mode {:?}, expected \"mixed\", \"excitatory\" or \"inhibitory\"", s.get_ref()))
            })?),
        };
        Ok((weight_exp, num_weight_bits, sign_mode))
    }

    /// Weights outside the sign mode's range are clipped when the network is
    /// built: a warning says how many.
    fn warn_clipped(
        &self,
        p: &RawProjection,
        weights: &FixedWeights,
        sign_mode: Option<SignMode>,
        warnings: &Warnings,
        field: &dyn Fn(&str) -> String,
    ) {
        let all: Vec<i64> = match weights {
            FixedWeights::Dense(rows) => rows.iter().flatten().copied().collect(),
            FixedWeights::Rule(_, w) => vec![*w],
        };
        let mode = sign_mode.unwrap_or_else(|| SignMode::infer(all.iter().copied()));
        let (lo, hi) = mode.clip_range();
        let clipped = all.iter().filter(|&&w| w < lo || w > hi).count();
        if clipped > 0 {
            warnings.borrow_mut().push(self.err(
                span(&p.connect),
                &field("connect"),
                format!(
                    "{clipped} weight(s) outside [{lo}, {hi}] ({} sign mode) are clipped",
                    mode.name()
                ),
            ));
        }
    }

    fn fixed_population_ref(
        &self,
        s: &Spanned<String>,
        pops: &[FixedPopulation],
        field: &str,
    ) -> Result<usize> {
        pops.iter()
            .position(|p| &p.name == s.get_ref())
            .ok_or_else(|| {
                let known: Vec<&str> = pops.iter().map(|p| p.name.as_str()).collect();
                self.err(
                    span(s),
                    field,
                    format!(
                        "unknown population `{}` (defined: {})",
                        s.get_ref(),
                        known.join(", ")
                    ),
                )
            })
    }

    fn fixed_record(
        &self,
        index: usize,
        raw: &Spanned<RawRecord>,
        pops: &[FixedPopulation],
        steps: u64,
    ) -> Result<RecordSpec> {
        let r = raw.get_ref();
        let field = |f: &str| format!("record[{index}].{f}");
        if r.projection.is_some()
            || r.weights.is_some()
            || r.times.is_some()
            || r.interval.is_some()
        {
            return Err(self.err(
                Some(raw.span()),
                &field("projection"),
                "fixed-point mode records population state only, not weights",
            ));
        }
        let (Some(population), Some(variables_spanned)) = (&r.population, &r.variables) else {
            return Err(self.err(
                Some(raw.span()),
                &field("population"),
                "a record needs `population` and `variables`",
            ));
        };
        let population = self.fixed_population_ref(population, pops, &field("population"))?;
        let allowed: &[&str] = match pops[population].kind {
            FixedKind::Lif(_) => &["u", "v"],
            FixedKind::SpikePattern(_) => &[],
        };
        let variables = variables_spanned.get_ref();
        if variables.is_empty() {
            return Err(self.err(
                span(variables_spanned),
                &field("variables"),
                "name at least one variable",
            ));
        }
        if let Some(v) = variables.iter().find(|v| !allowed.contains(&v.as_str())) {
            let choices = if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.join(", ")
            };
            return Err(self.err(
                span(variables_spanned),
                &field("variables"),
                format!("`{v}` is not a variable of a fixed-point {} population (recordable: {choices})", match pops[population].kind {
                    FixedKind::Lif(_) => "lif",
                    FixedKind::SpikePattern(_) => "spike_pattern",
                }),
            ));
        }
        let neurons =
            self.neuron_list(r.neurons.as_ref(), pops[population].size, &field("neurons"))?;
        let every = self.record_every(r.every.as_ref(), steps, &field("every"))?;
        Ok(RecordSpec {
            population,
            variables: variables.clone(),
            neurons,
            every,
        })
    }
}

/// A dense entry as an integer weight, if it is one that fits 32 bits.
fn integer_weight(x: f64) -> Option<i64> {
    (x.fract() == 0.0 && x >= i32::MIN as f64 && x <= i32::MAX as f64).then_some(x as i64)
}

/// A Loihi LIF population's integer parameters (`params`) and initial state
/// (`init`); the defaults are Lava's.
fn loihi_lif(ints: &IntTable, inits: &IntTable) -> Result<LoihiLifParams> {
    let decay = |key| ints.values(key, 0, (0, DECAY_MAX), (0, DECAY_MAX), "a 12-bit decay");
    let du = decay("du")?.into_iter().map(|x| x as u16).collect();
    let dv = decay("dv")?.into_iter().map(|x| x as u16).collect();
    let vth = ints.values(
        "vth",
        10,
        (0, VTH_MAX),
        (i32::MIN as i64, i32::MAX as i64),
        "the threshold mantissa (17 bits)",
    )?;
    let bias_mant = ints.values(
        "bias_mant",
        0,
        BIAS_MANT_RANGE,
        (i16::MIN as i64, i16::MAX as i64),
        "the bias mantissa (13-bit signed)",
    )?;
    let bias_exp = ints.values(
        "bias_exp",
        0,
        BIAS_EXP_RANGE,
        (-31, 31),
        "the bias exponent",
    )?;
    for (i, (&m, &e)) in bias_mant.iter().zip(&bias_exp).enumerate() {
        if e > 0 && i32::try_from(m << e).is_err() {
            return Err(ints.error(
                "bias_exp",
                format!("neuron {i}: bias_mant << bias_exp = {m} << {e} does not fit 32 bits"),
            ));
        }
    }
    let state = (i32::MIN as i64, i32::MAX as i64);
    let u = inits.values("u", 0, U_RANGE, state, "the 24-bit current")?;
    let v = inits.values("v", 0, V_RANGE, state, "the 24-bit voltage")?;
    let to_i32 = |x: Vec<i64>| x.into_iter().map(|x| x as i32).collect();
    Ok(LoihiLifParams {
        du,
        dv,
        vth,
        bias_mant: to_i32(bias_mant),
        bias_exp: to_i32(bias_exp),
        u: to_i32(u),
        v: to_i32(v),
    })
}

/// A table of integer parameters, each a scalar or one value per neuron.
struct IntTable<'t, 'v> {
    v: &'t Validator<'v>,
    map: &'t ValueMap,
    prefix: String,
    size: u32,
    warnings: &'t Warnings,
}

impl IntTable<'_, '_> {
    fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.prefix)
    }

    fn error(&self, key: &str, msg: impl Into<String>) -> ModelError {
        self.v
            .err(self.map.get(key).map(|s| s.span()), &self.field(key), msg)
    }

    fn allow(&self, keys: &[&str]) -> Result<()> {
        for (key, value) in self.map {
            if !keys.contains(&key.as_str()) {
                let allowed = if keys.is_empty() {
                    "none".to_string()
                } else {
                    keys.join(", ")
                };
                return Err(self.v.err(
                    span(value),
                    &self.field(key),
                    format!("unknown fixed-point parameter `{key}` (allowed: {allowed})"),
                ));
            }
        }
        Ok(())
    }

    /// Per-neuron integers: values outside `declared` (the chip's width) are
    /// accepted with a warning, values outside `held` are errors.
    fn values(
        &self,
        key: &str,
        default: i64,
        declared: (i64, i64),
        held: (i64, i64),
        what: &str,
    ) -> Result<Vec<i64>> {
        let n = self.size as usize;
        let Some(value) = self.map.get(key) else {
            return Ok(vec![default; n]);
        };
        let usage = format!("expected an integer or an array of {n} integers ({what})");
        let one = |x: &Value| match x {
            Value::Integer(i) => Ok(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => Ok(*f as i64),
            other => Err(self.error(key, format!("{usage}, got {other}"))),
        };
        let values = match value.get_ref() {
            Value::Array(a) if a.len() == n => a.iter().map(one).collect::<Result<Vec<_>>>()?,
            Value::Array(a) => {
                return Err(self.error(key, format!("{usage}, got an array of {}", a.len())));
            }
            scalar => vec![one(scalar)?; n],
        };
        let outside = |r: (i64, i64)| values.iter().copied().find(|x| *x < r.0 || *x > r.1);
        if let Some(x) = outside(held) {
            return Err(self.error(
                key,
                format!(
                    "{x} cannot be represented: {what} must lie in [{}, {}]",
                    held.0, held.1
                ),
            ));
        }
        if let Some(x) = outside(declared) {
            self.warnings.borrow_mut().push(self.error(
                key,
                format!("{x} is beyond the chip's declared range [{}, {}] for {what}; accepted as the reference model does", declared.0, declared.1),
            ));
        }
        Ok(values)
    }
}
