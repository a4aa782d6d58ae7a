//! Validation of `[[projection]]` tables (float mode): endpoints, port,
//! weights, delays, the connection rule's synapses and plasticity.

use std::collections::HashSet;
use std::fmt::Write;

use toml::{Spanned, Value};

use super::plasticity;
use super::{Result, Validator, check_weight_dim, span_of};
use crate::model::schema::{RawModel, RawProjection};
use crate::model::spec::*;
use crate::model::units::{Dimension, in_range};
use crate::synapse::connect::{MAX_DELAY_STEPS, may_be_zero};

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
        let delay = self.projection_delay(p.delay.as_ref(), sim.dt, &field("delay"))?;
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
        let spec = ProjectionSpec {
            name,
            from,
            to,
            rule,
            weight,
            delay,
            port,
            allow_autapses,
            plasticity,
        };
        if may_be_zero(&spec) {
            let at = p.delay.as_ref().map_or(span_of(&p.connect), span_of);
            let at_field = if p.delay.is_some() {
                "delay"
            } else {
                "connect"
            };
            self.zero_delay_allowed(&spec, sim)
                .map_err(|m| self.err(at, &field(at_field), m))?;
        }
        Ok(spec)
    }

    /// What a zero-delay projection cannot be: plastic (a weight update
    /// between the spike's emission and its arrival in the same step has no
    /// order), or run by the event engine (its epochs need a delay of at
    /// least one step between a spike and its effect).
    fn zero_delay_allowed(
        &self,
        spec: &ProjectionSpec,
        sim: &SimulationSpec,
    ) -> std::result::Result<(), String> {
        if spec.plasticity.is_some() {
            return Err(format!(
                "projection `{}` has a zero delay and plasticity: plastic projections need a delay of at least one step (dt)",
                spec.name
            ));
        }
        if sim.engine == EngineKind::Event {
            return Err(format!(
                "projection `{}` has a zero delay, which the clock engine (engine = \"clock\") and fixed-point mode run; the event engine needs delays of at least one step (dt)",
                spec.name
            ));
        }
        Ok(())
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
    /// absent; never zero (see [`Validator::projection_delay`]).
    pub(super) fn delay(
        &self,
        delay: Option<&Spanned<Value>>,
        dt: f64,
        field: &str,
    ) -> Result<ValueSpec> {
        self.delay_with(delay, dt, field, false)
    }

    /// A spiking projection's `delay`, which may also be exactly zero
    /// (`"0 ms"`, or zeros in an array): the spike reaches its targets in
    /// the step it was emitted in.
    fn projection_delay(
        &self,
        delay: Option<&Spanned<Value>>,
        dt: f64,
        field: &str,
    ) -> Result<ValueSpec> {
        self.delay_with(delay, dt, field, true)
    }

    fn delay_with(
        &self,
        delay: Option<&Spanned<Value>>,
        dt: f64,
        field: &str,
        zero: bool,
    ) -> Result<ValueSpec> {
        match delay {
            None => Ok(ValueSpec::Constant(dt)),
            Some(d) => {
                let (spec, _) = self.value_spec(d, &[Dimension::Time], field, None)?;
                self.check_delay(&spec, dt, zero)
                    .map_err(|m| self.err(span_of(d), field, m))?;
                Ok(spec)
            }
        }
    }

    /// A delay's range: at most the longest storable delay, at least one
    /// step, or (when `zero` allows it) exactly 0 for constant and array
    /// delays; drawn delays (uniform, normal) are never zero.
    pub(super) fn check_delay(
        &self,
        spec: &ValueSpec,
        dt: f64,
        zero: bool,
    ) -> std::result::Result<(), String> {
        let (shortest, longest) = match spec {
            ValueSpec::Constant(d) => (*d, *d),
            // Zeros of an array are checked apart: the other entries must
            // still be whole steps.
            ValueSpec::Array(a) => (
                a.iter()
                    .copied()
                    .filter(|&d| !(zero && d == 0.0))
                    .fold(f64::INFINITY, f64::min),
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
        if zero && shortest == 0.0 && matches!(spec, ValueSpec::Constant(_)) {
            return Ok(());
        }
        // Half a step of tolerance: delays are rounded to the grid.
        if shortest < dt * (1.0 - 1e-9) {
            let zero_note = if zero {
                "; a zero delay is exactly 0 (\"0 ms\"), given as a constant or as array entries, never drawn"
            } else {
                ""
            };
            return Err(format!(
                "a delay of {} ms is shorter than dt ({} ms); the shortest delay is one step{zero_note}",
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
            // A listed 0 is a zero delay: the spike arrives in its own step.
            if let Some(d) = s.delay
                && d != 0.0
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

impl Validator<'_> {
    /// Zero-delay projections must not form a cycle: a spike would reach
    /// its own source within the step it was emitted in.
    pub(super) fn zero_delay_cycles(
        &self,
        raw: &RawModel,
        pops: &[PopulationSpec],
        projections: &[ProjectionSpec],
    ) -> Result<()> {
        let names: Vec<&str> = pops.iter().map(|p| p.name.as_str()).collect();
        let links: Vec<Link> = projections
            .iter()
            .take(raw.projections.len())
            .map(|p| Link {
                from: p.from,
                to: p.to,
                name: &p.name,
                zero: may_be_zero(p),
            })
            .collect();
        self.no_zero_delay_cycle(raw, &names, &links)
    }

    /// The error for the first cycle among the zero-delay `links` (one per
    /// raw projection, in file order), if any: it names the cycle's
    /// populations and projections, at the line of the projection that
    /// closes it (walking populations and projections in file order).
    pub(super) fn no_zero_delay_cycle(
        &self,
        raw: &RawModel,
        populations: &[&str],
        links: &[Link],
    ) -> Result<()> {
        let Some(cycle) = zero_delay_cycle(populations.len(), links) else {
            return Ok(());
        };
        let closing = *cycle.last().expect("a cycle has a projection");
        let mut path = format!("`{}`", populations[links[cycle[0]].from]);
        for &j in &cycle {
            let l = &links[j];
            write!(
                path,
                " -> `{}` (projection `{}`)",
                populations[l.to], l.name
            )
            .expect("writing to a String");
        }
        let r = raw.projections[closing].get_ref();
        let (span, key) = match &r.delay {
            Some(d) => (span_of(d), "delay"),
            None => (span_of(&r.connect), "connect"),
        };
        Err(self.err(
            span,
            &format!("projection[{closing}].{key}"),
            format!(
                "zero-delay projections form a cycle: {path}; a spike would reach its own source in the step it was emitted in. Give one of these projections a delay of at least one step (dt)"
            ),
        ))
    }
}

/// A projection as the cycle check sees it.
pub(super) struct Link<'a> {
    pub from: usize,
    pub to: usize,
    pub name: &'a str,
    /// Some synapse of it may have a zero delay.
    pub zero: bool,
}

/// The links (indices, in order along the cycle) of a cycle among the
/// zero-delay `links`, if there is one: a depth-first walk from each
/// population in order, links in order, stopping at the first link that
/// leads back onto the path.
fn zero_delay_cycle(populations: usize, links: &[Link]) -> Option<Vec<usize>> {
    let mut leaving = vec![Vec::new(); populations];
    for (j, l) in links.iter().enumerate().filter(|(_, l)| l.zero) {
        leaving[l.from].push(j);
    }
    // 0: not seen, 1: on the path, 2: done.
    let mut state = vec![0u8; populations];
    for root in 0..populations {
        if state[root] != 0 {
            continue;
        }
        // The path: (population, next of its links to try), and the links
        // taken between consecutive entries.
        let mut path = vec![(root, 0usize)];
        let mut taken: Vec<usize> = Vec::new();
        state[root] = 1;
        while let Some(&mut (at, ref mut next)) = path.last_mut() {
            let Some(&j) = leaving[at].get(*next) else {
                state[at] = 2;
                path.pop();
                taken.pop();
                continue;
            };
            *next += 1;
            let to = links[j].to;
            match state[to] {
                1 => {
                    // Back onto the path: the cycle starts where `to` stands.
                    let start = path
                        .iter()
                        .position(|&(p, _)| p == to)
                        .expect("on the path");
                    let mut cycle = taken[start..].to_vec();
                    cycle.push(j);
                    return Some(cycle);
                }
                0 => {
                    state[to] = 1;
                    path.push((to, 0));
                    taken.push(j);
                }
                _ => {}
            }
        }
    }
    None
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
