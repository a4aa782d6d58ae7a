//! Validation of the astrocyte, AM-SU and meta neuron models and of the
//! projections that only they take (tripartite and slow-inward-current).

use toml::Spanned;

use super::{Params, Result, Validator, span_of};
use crate::model::schema::RawProjection;
use crate::model::spec::*;
use crate::model::units::Dimension;

/// Parameters of the `astrocyte` model.
const ASTROCYTE_PARAMS: &[&str] = &[
    "ca_tot",
    "ip3_0",
    "kd_ip3_1",
    "kd_ip3_2",
    "kd_act",
    "kd_inh",
    "km_serca",
    "sic_scale",
    "sic_th",
    "delta_ip3",
    "k_ip3r",
    "rate_ip3r",
    "rate_l",
    "rate_serca",
    "ratio_er_cyt",
    "tau_ip3",
    "max_step",
];

const MEMBRANE_PARAMS: [&str; 7] = ["tau_m", "v_rest", "v_reset", "v_th", "t_ref", "r_m", "i_e"];

impl Validator<'_> {
    /// The kinds of the models defined here; `None` for other model names.
    pub(super) fn richer_kind(
        &self,
        model: &str,
        params: &Params,
        init: &Params,
        size: u32,
    ) -> Option<Result<NeuronKind>> {
        Some(match model {
            "astrocyte" => self.astrocyte(params, init, size),
            "amsu_lif" => self.amsu(params, init, size),
            "meta" => self.meta(params, init, size),
            "discrete_lif" => self.discrete_lif(params, init),
            _ => return None,
        })
    }

    fn astrocyte(&self, params: &Params, init: &Params, size: u32) -> Result<NeuronKind> {
        params.allow(ASTROCYTE_PARAMS)?;
        init.allow(&["ip3", "ca", "h"])?;
        let conc = |key: &str, default: f64| params.non_negative_or(key, default);
        let pos =
            |key: &str, default: f64| params.positive_or(key, Dimension::Dimensionless, default);
        let rate = |key: &str, default: f64| -> Result<f64> {
            let r = params.scalar_or(key, Dimension::Frequency, default)?;
            if r < 0.0 {
                return Err(params.error(key, "must not be negative"));
            }
            Ok(r)
        };
        let n = Some(size as usize);
        let init_value = |key: &str, default: f64, upper: Option<f64>| -> Result<ValueSpec> {
            let Some(v) = init.get(key) else {
                return Ok(ValueSpec::Constant(default));
            };
            let (spec, _) = self.value_spec(v, &[Dimension::Dimensionless], &init.field(key), n)?;
            check_range(&spec, 0.0, upper).map_err(|m| init.error(key, m))?;
            Ok(spec)
        };
        let p = AstrocyteParams {
            ca_tot: pos("ca_tot", 2.0)?,
            ip3_0: conc("ip3_0", 0.16)?,
            kd_ip3_1: pos("kd_ip3_1", 0.13)?,
            kd_ip3_2: pos("kd_ip3_2", 0.9434)?,
            kd_act: pos("kd_act", 0.08234)?,
            kd_inh: conc("kd_inh", 1.049)?,
            km_serca: pos("km_serca", 0.1)?,
            sic_scale: params.positive_or("sic_scale", Dimension::Current, 1e-12)?,
            sic_th: conc("sic_th", 0.19669)?,
            delta_ip3: conc("delta_ip3", 0.0002)?,
            k_ip3r: rate("k_ip3r", 0.2)?,
            rate_ip3r: rate("rate_ip3r", 6.0)?,
            rate_l: rate("rate_l", 0.11)?,
            rate_serca: rate("rate_serca", 0.9)?,
            ratio_er_cyt: pos("ratio_er_cyt", 0.185)?,
            tau_ip3: params.positive_or("tau_ip3", Dimension::Time, 7.142)?,
            max_step: params.positive_or("max_step", Dimension::Time, 1e-3)?,
            init_ip3: ValueSpec::Constant(0.0),
            init_ca: init_value("ca", 0.073, None)?,
            init_h: init_value("h", 0.793, Some(1.0))?,
        };
        let init_ip3 = init_value("ip3", p.ip3_0, None)?;
        Ok(NeuronKind::Astrocyte(AstrocyteParams { init_ip3, ..p }))
    }

    fn amsu(&self, params: &Params, init: &Params, size: u32) -> Result<NeuronKind> {
        let mut allowed = MEMBRANE_PARAMS.to_vec();
        allowed.extend(["group_size", "tau_a", "kappa", "modulation"]);
        params.allow(&allowed)?;
        init.allow(&["v"])?;
        let membrane = self.membrane(params, init, size)?;
        let group_size = match params.get("group_size") {
            None => size,
            Some(v) => match v.get_ref().as_integer() {
                Some(g) if g >= 1 && size as i64 % g == 0 => g as u32,
                _ => {
                    return Err(params.error(
                        "group_size",
                        format!(
                            "must be a positive whole number that divides the population size ({size}), got {}",
                            v.get_ref()
                        ),
                    ));
                }
            },
        };
        let modulation = match params.get("modulation") {
            None => Modulation::Threshold,
            Some(v) => match self
                .string_value(v, &params.field("modulation"))?
                .get_ref()
                .as_str()
            {
                "threshold" => Modulation::Threshold,
                "gain" => Modulation::Gain,
                other => {
                    return Err(params.error(
                        "modulation",
                        format!("unknown modulation {other:?}, expected \"threshold\" or \"gain\""),
                    ));
                }
            },
        };
        Ok(NeuronKind::AmsuLif(AmsuParams {
            membrane,
            group_size,
            tau_a: params.positive_or("tau_a", Dimension::Time, 1.0)?,
            kappa: params.scalar_or("kappa", Dimension::Dimensionless, 0.5)?,
            modulation,
        }))
    }

    fn meta(&self, params: &Params, init: &Params, size: u32) -> Result<NeuronKind> {
        let firing = match params.get("firing") {
            None => "exponential".to_string(),
            Some(v) => self.string_value(v, &params.field("firing"))?.into_inner(),
        };
        match firing.as_str() {
            "exponential" | "sigmoid" => {
                let mut allowed = MEMBRANE_PARAMS.to_vec();
                allowed.extend(["firing", "delta_u", "rho_0"]);
                params.allow(&allowed)?;
                init.allow(&["v"])?;
                let membrane = self.membrane(params, init, size)?;
                let delta_u = params.positive("delta_u", Dimension::Voltage)?;
                let escape = if firing == "sigmoid" {
                    if params.get("rho_0").is_some() {
                        return Err(params.error(
                            "rho_0",
                            "the sigmoid escape has no `rho_0`; it gives the probability per step",
                        ));
                    }
                    Escape::Sigmoid
                } else {
                    Escape::Exponential {
                        rho_0: params.positive("rho_0", Dimension::Frequency)?,
                    }
                };
                Ok(NeuronKind::Meta(MetaParams::Escape {
                    membrane,
                    escape,
                    delta_u,
                }))
            }
            "levy_baxter" => {
                params.allow(&["firing", "success", "g", "inhibition"])?;
                init.allow(&[])?;
                let success = params.scalar("success", Dimension::Dimensionless)?;
                if !(0.0..=1.0).contains(&success) {
                    return Err(params.error(
                        "success",
                        format!("is a probability and must lie in [0, 1], got {success}"),
                    ));
                }
                Ok(NeuronKind::Meta(MetaParams::LevyBaxter {
                    success,
                    g: params.positive("g", Dimension::Voltage)?,
                    inhibition: params.non_negative_or("inhibition", 1.0)?,
                }))
            }
            other => Err(params.error(
                "firing",
                format!(
                    "unknown firing {other:?}, expected \"exponential\", \"sigmoid\" or \"levy_baxter\""
                ),
            )),
        }
    }

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
                let takes_sic = matches!(
                    target.kind,
                    NeuronKind::Lif(_)
                        | NeuronKind::CubaLif(_)
                        | NeuronKind::Meta(MetaParams::Escape { .. })
                );
                if !takes_sic {
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
        let delay = match &p.delay {
            None => ValueSpec::Constant(sim.dt),
            Some(d) => {
                let (spec, _) = self.value_spec(d, &[Dimension::Time], &field("delay"), None)?;
                self.check_delay(&spec, sim.dt)
                    .map_err(|m| self.err(span_of(d), &field("delay"), m))?;
                spec
            }
        };
        Ok(Some(ProjectionSpec {
            name: name.to_string(),
            from,
            to,
            rule,
            weight,
            delay,
            port,
            allow_autapses: p.allow_autapses.unwrap_or(false),
            plasticity: None,
        }))
    }
}

impl Params<'_, '_> {
    fn positive_or(&self, key: &str, dim: Dimension, default: f64) -> Result<f64> {
        match self.get(key) {
            None => Ok(default),
            Some(_) => self.positive(key, dim),
        }
    }

    /// A plain number (a concentration in µM, a weight) that must not be negative.
    fn non_negative_or(&self, key: &str, default: f64) -> Result<f64> {
        let v = self.scalar_or(key, Dimension::Dimensionless, default)?;
        if v < 0.0 {
            return Err(self.error(key, format!("must not be negative, got {v}")));
        }
        Ok(v)
    }
}

/// Every value a specification can produce lies in `[low, high]`.
fn check_range(spec: &ValueSpec, low: f64, high: Option<f64>) -> std::result::Result<(), String> {
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

/// Recordable variables of the models defined here.
pub(super) fn richer_recordable(kind: &NeuronKind) -> Option<&'static [&'static str]> {
    match kind {
        NeuronKind::Astrocyte(_) => Some(&["ca", "ip3", "h", "sic"]),
        NeuronKind::AmsuLif(_) => Some(&["v", "a"]),
        NeuronKind::Meta(MetaParams::Escape { .. }) => Some(&["v", "p_spike"]),
        NeuronKind::Meta(MetaParams::LevyBaxter { .. }) => Some(&["sigma"]),
        _ => None,
    }
}
