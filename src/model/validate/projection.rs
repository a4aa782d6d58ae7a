//! Validation of `[[projection]]` tables (float mode): endpoints, port,
//! weights, delays, the connection rule's synapses and plasticity.

use std::collections::HashSet;

use toml::{Spanned, Value};

use super::plasticity;
use super::{Result, Validator, check_weight_dim, span_of};
use crate::model::schema::{RawModel, RawProjection};
use crate::model::spec::*;
use crate::model::units::{Dimension, in_range};
use crate::synapse::connect::MAX_DELAY_STEPS;

impl Validator<'_> {
    pub(super) fn projection(
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
        let r_m = self.receiving_r_m(&p.to, target, &field("to"))?;
        let port = self.port(
            p.synapse.as_ref(),
            p.receptor.as_ref(),
            p.weight.as_ref(),
            target,
            &field(""),
        )?;
        let (rule, listed_weight_dim) =
            self.connect(&p.connect, pops[from].size, target.size, &field("connect"))?;
        let weight = self.projection_weight(raw, listed_weight_dim, port, r_m, &field)?;
        let delay = self.delay(p.delay.as_ref(), sim.dt, &field("delay"))?;
        let rule = self.scale_listed(
            rule,
            listed_weight_dim,
            r_m,
            sim.dt,
            &p.connect,
            &field("connect"),
        )?;
        if let ConnectRule::List(syns) = &rule
            && port == Port::ConductanceExc
            && let Some(s) = syns.iter().find(|s| s.weight.is_some_and(|w| w < 0.0))
        {
            return Err(self.err(
                span_of(&p.connect),
                &field("connect"),
                format!("synapse {} -> {}: {NEGATIVE_CONDUCTANCE}", s.pre, s.post),
            ));
        }
        let plasticity = match &p.plasticity {
            None => None,
            Some(raw_rule) => {
                // Plasticity bounds the initial weights: the listed ones when
                // the list gives them.
                let initial = match &rule {
                    ConnectRule::List(syns) if listed_weight_dim.is_some() => {
                        ValueSpec::Array(syns.iter().filter_map(|s| s.weight).collect())
                    }
                    _ => weight.clone(),
                };
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

    /// The membrane resistance of a population that can receive synapses
    /// (`None`: it has none); an error for one that cannot.
    fn receiving_r_m(
        &self,
        to: &Spanned<String>,
        target: &PopulationSpec,
        field: &str,
    ) -> Result<Option<f64>> {
        // A discrete-time LIF has no continuous membrane, hence no `r_m`.
        let takes = target.kind.model().synapses();
        let receiver = (takes.delta || takes.current || takes.conductance)
            .then(|| target.kind.membrane().and_then(|m| m.r_m));
        receiver.ok_or_else(|| {
            self.err(
                span_of(to),
                field,
                format!(
                    "population `{}` is a {} and cannot receive synapses",
                    target.name,
                    target.kind.model_name()
                ),
            )
        })
    }

    /// The projection's `weight`, or none when the connection list gives
    /// every synapse its own (`listed_weight_dim`, the unit of that column).
    fn projection_weight(
        &self,
        raw: &Spanned<RawProjection>,
        listed_weight_dim: Option<Dimension>,
        port: Port,
        r_m: Option<f64>,
        field: &dyn Fn(&str) -> String,
    ) -> Result<ValueSpec> {
        let p = raw.get_ref();
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
        match &p.weight {
            Some(w) => {
                let spec = self.weight(w, port, r_m, &field("weight"))?;
                if port == Port::ConductanceExc && !never_negative(&spec) {
                    return Err(self.err(span_of(w), &field("weight"), NEGATIVE_CONDUCTANCE));
                }
                Ok(spec)
            }
            None if listed_weight_dim.is_some() => Ok(ValueSpec::Constant(0.0)),
            None => Err(self.err(
                Some(raw.span()),
                &field("weight"),
                "missing `weight` (e.g. \"0.5 mV\")",
            )),
        }
    }

    /// A projection's or a Poisson stimulus's `delay`: one step `dt` when
    /// absent.
    pub(super) fn delay(
        &self,
        delay: Option<&Spanned<Value>>,
        dt: f64,
        field: &str,
    ) -> Result<ValueSpec> {
        match delay {
            None => Ok(ValueSpec::Constant(dt)),
            Some(d) => {
                let (spec, _) = self.value_spec(d, &[Dimension::Time], field, None)?;
                self.check_delay(&spec, dt)
                    .map_err(|m| self.err(span_of(d), field, m))?;
                Ok(spec)
            }
        }
    }

    pub(super) fn check_delay(&self, spec: &ValueSpec, dt: f64) -> std::result::Result<(), String> {
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

    pub(super) fn weight(
        &self,
        w: &Spanned<Value>,
        port: Port,
        r_m: Option<f64>,
        field: &str,
    ) -> Result<ValueSpec> {
        match port {
            Port::Voltage => Ok(self.value_spec(w, &[Dimension::Voltage], field, None)?.0),
            // Glial ports are validated in `glial` and never reach here.
            Port::CurrentExc | Port::CurrentInh | Port::Glia | Port::Sic => {
                self.as_drive(w, field, r_m, None)
            }
            Port::ConductanceExc | Port::ConductanceInh => Ok(self
                .value_spec(w, &[Dimension::Conductance], field, None)?
                .0),
        }
    }

    pub(super) fn unique_projection_names(
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
}

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

/// Why an excitatory conductance weight is refused.
const NEGATIVE_CONDUCTANCE: &str = "an excitatory conductance weight must not be negative (a \
     conductance only opens; for inhibition use receptor = \"inh\", or a negative weight without \
     `receptor`, whose magnitude the inhibitory conductance takes)";

/// Whether no value `spec` can give is negative; a normal distribution
/// needs a `min` of at least 0.
fn never_negative(spec: &ValueSpec) -> bool {
    match spec {
        ValueSpec::Constant(v) => *v >= 0.0,
        ValueSpec::Array(a) => a.iter().all(|v| *v >= 0.0),
        ValueSpec::Uniform { low, .. } => *low >= 0.0,
        ValueSpec::Normal { min, .. } => *min >= 0.0,
    }
}
