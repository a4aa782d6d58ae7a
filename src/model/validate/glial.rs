//! Validation of the projections that only astrocytes and Levy–Baxter
//! neurons take (tripartite and slow-inward-current synapses).

use toml::Spanned;

use super::{Result, Validator, span_of};
use crate::model::schema::RawProjection;
use crate::model::spec::*;
use crate::model::units::Dimension;

impl Validator<'_> {
    /// Projections that end in an astrocyte or a Levy–Baxter neuron, or that
    /// are tripartite or slow-inward-current synapses; `None` for the rest.
    pub(super) fn glial_projection(
        &self,
        index: usize,
        raw: &Spanned<RawProjection>,
        name: &str,
        pops: &[PopulationSpec],
        sim: &SimulationSpec,
    ) -> Result<Option<ProjectionSpec>> {
        let p = raw.get_ref();
        let field = |f: &str| format!("projection[{index}].{f}");
        let from = self.population_ref(&p.from, pops, &field("from"))?;
        let to = self.population_ref(&p.to, pops, &field("to"))?;
        let (source, target) = (&pops[from], &pops[to]);
        let Some(port) = self.glial_port(p, source, target, &field)? else {
            return Ok(None);
        };
        if let Some(r) = &p.receptor {
            return Err(self.err(
                span_of(r),
                &field("receptor"),
                "only current synapses have a receptor; remove `receptor`",
            ));
        }
        if let Some(r) = &p.plasticity {
            return Err(self.err(
                span_of(r),
                &field("plasticity"),
                "plasticity applies to spiking synapses onto lif or cuba_lif populations, not to glial or graded projections",
            ));
        }
        let (rule, listed_dim) =
            self.connect(&p.connect, source.size, target.size, &field("connect"))?;
        if listed_dim.is_some() {
            return Err(self.err(
                span_of(&p.connect),
                &field("connect"),
                "give this projection's weights in `weight`, not in the connection file",
            ));
        }
        let weight = self.glial_weight(raw, port, target, &field)?;
        let delay = match &p.delay {
            None => ValueSpec::Constant(sim.dt),
            Some(d) => {
                let (spec, _) = self.value_spec(d, &[Dimension::Time], &field("delay"), None)?;
                self.check_delay(&spec, sim.dt, true)
                    .map_err(|m| self.err(span_of(d), &field("delay"), m))?;
                spec
            }
        };
        let spec = ProjectionSpec {
            name: name.to_string(),
            from,
            to,
            rule,
            weight,
            delay,
            port,
            allow_autapses: p.allow_autapses.unwrap_or(false),
            plasticity: None,
        };
        if crate::synapse::connect::may_be_zero(&spec) {
            let at = p.delay.as_ref().map_or(span_of(&p.connect), span_of);
            return Err(self.err(
                at,
                &field(if p.delay.is_some() { "delay" } else { "connect" }),
                format!(
                    "projection `{name}` is glial or graded and has a zero delay: only spiking projections may have one; give it a delay of at least one step (dt)"
                ),
            ));
        }
        Ok(Some(spec))
    }

    /// The port of a projection that is tripartite, a slow inward current,
    /// or ends in an astrocyte or a Levy–Baxter neuron; `None` for others.
    fn glial_port(
        &self,
        p: &RawProjection,
        source: &PopulationSpec,
        target: &PopulationSpec,
        field: &dyn Fn(&str) -> String,
    ) -> Result<Option<Port>> {
        let synapse = p.synapse.as_ref().map(|s| s.get_ref().as_str());
        let synapse_span = p.synapse.as_ref().and_then(span_of);
        let lb_target = matches!(target.kind, NeuronKind::Meta(MetaParams::LevyBaxter { .. }));
        let astro_target = matches!(target.kind, NeuronKind::Astrocyte(_));
        let astro_source = matches!(source.kind, NeuronKind::Astrocyte(_));
        let port = match synapse {
            Some("tripartite") if astro_source => {
                return Err(self.err(
                    synapse_span,
                    &field("synapse"),
                    format!(
                        "a tripartite synapse carries spikes, and the astrocyte `{}` sends none: use synapse = \"sic\"",
                        source.name
                    ),
                ));
            }
            Some("tripartite") if astro_target => Port::Glia,
            Some("tripartite") => {
                return Err(self.err(
                    synapse_span,
                    &field("synapse"),
                    format!(
                        "a tripartite synapse ends in an astrocyte, but `{}` is a {}",
                        target.name,
                        target.kind.model_name()
                    ),
                ));
            }
            Some("sic") => {
                if !astro_source {
                    return Err(self.err(
                        synapse_span,
                        &field("synapse"),
                        format!(
                            "a slow inward current comes from an astrocyte, but `{}` is a {}",
                            source.name,
                            source.kind.model_name()
                        ),
                    ));
                }
                if !target.kind.model().takes_sic() {
                    return Err(self.err(
                        synapse_span,
                        &field("synapse"),
                        format!(
                            "a slow inward current drives a `lif`, `cuba_lif` or escape-noise `meta` membrane, but `{}` is a {}",
                            target.name,
                            target.kind.model_name()
                        ),
                    ));
                }
                Port::Sic
            }
            _ if astro_target => {
                return Err(self.err(
                    synapse_span.or(span_of(&p.to)),
                    &field("synapse"),
                    format!(
                        "population `{}` is an astrocyte: use synapse = \"tripartite\"",
                        target.name
                    ),
                ));
            }
            _ if astro_source => {
                return Err(self.err(
                    synapse_span.or(span_of(&p.from)),
                    &field("synapse"),
                    format!(
                        "population `{}` is an astrocyte and sends no spikes: use synapse = \"sic\"",
                        source.name
                    ),
                ));
            }
            None | Some("delta") if lb_target => Port::Voltage,
            Some(other) if lb_target => {
                return Err(self.err(
                    synapse_span,
                    &field("synapse"),
                    format!("a Levy–Baxter neuron takes delta synapses only, got {other:?}"),
                ));
            }
            _ => return Ok(None),
        };
        Ok(Some(port))
    }

    /// A glial projection's weight: a voltage for Levy–Baxter targets, a
    /// plain number otherwise; a slow inward current (amperes) becomes the
    /// target's drive `r_m · i`.
    fn glial_weight(
        &self,
        raw: &Spanned<RawProjection>,
        port: Port,
        target: &PopulationSpec,
        field: &dyn Fn(&str) -> String,
    ) -> Result<ValueSpec> {
        let p = raw.get_ref();
        let weight = match (&p.weight, port) {
            (Some(w), Port::Voltage) => {
                self.value_spec(w, &[Dimension::Voltage], &field("weight"), None)?
                    .0
            }
            (Some(w), _) => {
                let spec = self
                    .value_spec(w, &[Dimension::Dimensionless], &field("weight"), None)?
                    .0;
                check_range(&spec, 0.0, None)
                    .map_err(|m| self.err(span_of(w), &field("weight"), m))?;
                spec
            }
            (None, Port::Voltage) => {
                return Err(self.err(
                    Some(raw.span()),
                    &field("weight"),
                    "missing `weight` (e.g. \"0.5 mV\")",
                ));
            }
            (None, _) => ValueSpec::Constant(1.0),
        };
        // A SIC arrives in amperes; the target's membrane takes it as the
        // drive `r_m · i`.
        let weight = match port {
            Port::Sic => {
                let r_m = target.kind.membrane().and_then(|m| m.r_m).ok_or_else(|| {
                    self.err(
                        span_of(&p.to),
                        &field("to"),
                        format!(
                            "population `{}` needs the membrane resistance `r_m` to take a slow inward current",
                            target.name
                        ),
                    )
                })?;
                weight.scaled(r_m)
            }
            _ => weight,
        };
        Ok(weight)
    }
}

/// Every value a specification can produce lies in `[low, high]`.
pub(crate) fn check_range(
    spec: &ValueSpec,
    low: f64,
    high: Option<f64>,
) -> std::result::Result<(), String> {
    let high_v = high.unwrap_or(f64::INFINITY);
    let bad = |x: f64| x < low || x > high_v || !x.is_finite();
    let range = || match high {
        Some(h) => format!("[{low}, {h}]"),
        None => format!("at least {low}"),
    };
    match spec {
        ValueSpec::Constant(x) if bad(*x) => Err(format!("must be {}, got {x}", range())),
        ValueSpec::Array(a) => match a.iter().find(|x| bad(**x)) {
            Some(x) => Err(format!("every value must be {}, got {x}", range())),
            None => Ok(()),
        },
        ValueSpec::Uniform { low: l, high: h } if bad(*l) || bad(*h) => {
            Err(format!("the distribution must stay {}", range()))
        }
        ValueSpec::Normal { .. } => Err(format!(
            "a normal distribution can leave {}; give a constant, an array or a uniform range",
            range()
        )),
        _ => Ok(()),
    }
}
