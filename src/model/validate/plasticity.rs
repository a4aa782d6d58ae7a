//! Validation of a projection's `plasticity = { <rule> = { ... } }`.

use toml::{Spanned, Value};

use super::{Params, Result, Validator, span_of};
use crate::engine::partition::MAX_UNSPLIT;
use crate::model::schema::RawPlasticity;
use crate::model::spec::{PopulationSpec, Port, SimulationSpec, ValueSpec};
use crate::model::units::{Dimension, in_range, parse_as};
use crate::plasticity::spec::{
    HebbianRule, HebbianSpec, Pairing, PlasticitySpec, StdpSpec, WeightDependence,
};

const RULES: &str = "stdp, triplet_stdp, hebbian, oja, oja_subspace";

/// What the rule's checks need to know about its projection.
pub(super) struct Target<'p> {
    pub port: Port,
    pub r_m: Option<f64>,
    pub weight: &'p ValueSpec,
    pub population: &'p PopulationSpec,
    pub weight_span: Option<std::ops::Range<usize>>,
}

impl Validator<'_> {
    pub(super) fn plasticity(
        &self,
        raw: &Spanned<RawPlasticity>,
        target: &Target,
        sim: &SimulationSpec,
        field: &str,
    ) -> Result<PlasticitySpec> {
        let rules = raw.get_ref();
        let mut entries = rules.iter();
        let (Some((name, table)), None) = (entries.next(), entries.next()) else {
            return Err(self.err(
                span_of(raw),
                field,
                format!("give exactly one rule, one of: {RULES}"),
            ));
        };
        let params = Params::new(self, table.get_ref(), format!("{field}.{name}"));
        let spec = match name.as_str() {
            "stdp" => PlasticitySpec::Stdp(self.stdp(&params, target, false)?),
            "triplet_stdp" => PlasticitySpec::Stdp(self.stdp(&params, target, true)?),
            "hebbian" | "oja" | "oja_subspace" => {
                let spec = self.hebbian(name, &params, target, sim)?;
                if spec.rule == HebbianRule::OjaSubspace && target.population.size > MAX_UNSPLIT {
                    return Err(self.err(
                        span_of(table),
                        &format!("{field}.{name}"),
                        format!(
                            "oja_subspace needs all of its target population on one thread, so at most {} neurons; `{}` has {}",
                            MAX_UNSPLIT,
                            target.population.name,
                            target.population.size
                        ),
                    ));
                }
                PlasticitySpec::Hebbian(spec)
            }
            other => {
                return Err(self.err(
                    span_of(table),
                    &format!("{field}.{other}"),
                    format!("unknown plasticity rule `{other}` (known: {RULES})"),
                ));
            }
        };
        self.check_initial_weights(&spec, target, field)?;
        Ok(spec)
    }

    fn stdp(&self, p: &Params, target: &Target, triplet: bool) -> Result<StdpSpec> {
        let common = ["w_min", "w_max", "pairing", "weight_dependence"];
        let own: &[&str] = if triplet {
            &[
                "tau_plus",
                "tau_minus",
                "tau_x",
                "tau_y",
                "a2_plus",
                "a3_plus",
                "a2_minus",
                "a3_minus",
            ]
        } else {
            &["tau_plus", "tau_minus", "a_plus", "a_minus"]
        };
        let allowed: Vec<&str> = own.iter().chain(&common).copied().collect();
        p.allow(&allowed)?;
        let dependence =
            match self.choice(p, "weight_dependence", &["additive", "multiplicative"])? {
                Some("multiplicative") => WeightDependence::Multiplicative,
                _ => WeightDependence::Additive,
            };
        let pairing = match self.choice(p, "pairing", &["all_to_all", "nearest"])? {
            Some("nearest") => Pairing::Nearest,
            _ => Pairing::AllToAll,
        };
        let (w_min, w_max) = self.bounds(p, target)?;
        let amplitude = |key: &str| {
            match dependence {
                WeightDependence::Additive => self.weight_param(p, key, target),
                WeightDependence::Multiplicative => self.number(p, key),
            }
            .and_then(|a| {
                if a < 0.0 {
                    Err(p.error(key, "must not be negative (the rule gives the sign)"))
                } else {
                    Ok(a)
                }
            })
        };
        let spec = if triplet {
            StdpSpec {
                tau_plus: p.positive("tau_plus", Dimension::Time)?,
                tau_minus: p.positive("tau_minus", Dimension::Time)?,
                tau_x: p.positive("tau_x", Dimension::Time)?,
                tau_y: p.positive("tau_y", Dimension::Time)?,
                a2_plus: amplitude("a2_plus")?,
                a3_plus: amplitude("a3_plus")?,
                a2_minus: amplitude("a2_minus")?,
                a3_minus: amplitude("a3_minus")?,
                w_min,
                w_max,
                pairing,
                dependence,
            }
        } else {
            StdpSpec {
                tau_plus: p.positive("tau_plus", Dimension::Time)?,
                tau_minus: p.positive("tau_minus", Dimension::Time)?,
                // Unused (a3 = 0); any positive value keeps the traces finite.
                tau_x: 1.0,
                tau_y: 1.0,
                a2_plus: amplitude("a_plus")?,
                a3_plus: 0.0,
                a2_minus: amplitude("a_minus")?,
                a3_minus: 0.0,
                w_min,
                w_max,
                pairing,
                dependence,
            }
        };
        Ok(spec)
    }

    fn hebbian(
        &self,
        name: &str,
        p: &Params,
        target: &Target,
        sim: &SimulationSpec,
    ) -> Result<HebbianSpec> {
        let mut keys = vec![
            "eta", "tau_pre", "tau_post", "w_ref", "w_min", "w_max", "every",
        ];
        if name == "hebbian" {
            keys.push("decay");
        }
        p.allow(&keys)?;
        let rule = match name {
            "hebbian" => HebbianRule::Hebbian {
                decay: match p.get("decay") {
                    None => 0.0,
                    Some(_) => self.number(p, "decay")?,
                },
            },
            "oja" => HebbianRule::Oja,
            _ => HebbianRule::OjaSubspace,
        };
        let (w_min, w_max) = self.bounds(p, target)?;
        let w_ref = self.weight_param(p, "w_ref", target)?;
        if w_ref == 0.0 {
            return Err(p.error("w_ref", "must not be zero"));
        }
        let every = match p.get("every") {
            None => 1,
            Some(_) => {
                let t = p.positive("every", Dimension::Time)?;
                let steps = (t / sim.dt).round();
                if steps < 1.0 || (steps * sim.dt - t).abs() > 1e-9 * t {
                    return Err(p.error("every", "must be a whole number of steps `dt`"));
                }
                steps as u64
            }
        };
        Ok(HebbianSpec {
            rule,
            eta: p.positive("eta", Dimension::Frequency)?,
            tau_pre: p.positive("tau_pre", Dimension::Time)?,
            tau_post: p.positive("tau_post", Dimension::Time)?,
            w_ref,
            w_min,
            w_max,
            every,
        })
    }

    fn bounds(&self, p: &Params, target: &Target) -> Result<(f64, f64)> {
        let w_min = self.weight_param(p, "w_min", target)?;
        let w_max = self.weight_param(p, "w_max", target)?;
        if w_min > w_max {
            return Err(p.error(
                "w_max",
                "must not be below w_min: the weights would have no allowed value",
            ));
        }
        Ok((w_min, w_max))
    }

    /// A constant in the projection's weight unit.
    fn weight_param(&self, p: &Params, key: &str, target: &Target) -> Result<f64> {
        let Some(v) = p.get(key) else {
            return Err(p.error(
                key,
                "missing, expected a weight in the projection's unit such as \"0.1 mV\"",
            ));
        };
        match self.weight(v, target.port, target.r_m, &p.field(key))? {
            ValueSpec::Constant(x) => Ok(x),
            _ => Err(p.error(key, "must be one quantity, not an array or distribution")),
        }
    }

    /// A dimensionless number (a TOML number, or a unitless string).
    fn number(&self, p: &Params, key: &str) -> Result<f64> {
        let x = match p.get(key).map(|v| v.get_ref()) {
            None => return Err(p.error(key, "missing, expected a number such as 0.01")),
            Some(Value::Float(x)) => *x,
            Some(Value::Integer(i)) => *i as f64,
            Some(Value::String(s)) => {
                parse_as(s, Dimension::Dimensionless).map_err(|e| p.error(key, e.to_string()))?
            }
            Some(other) => {
                return Err(p.error(key, format!("expected a number, got {other}")));
            }
        };
        if !x.is_finite() {
            return Err(p.error(key, "must be finite"));
        }
        if !in_range(x) {
            return Err(p.error(
                key,
                format!("{x:e} is outside the range a model can hold (0, or a magnitude between 1e-100 and 1e100)"),
            ));
        }
        Ok(x)
    }

    fn choice<'c>(&self, p: &Params, key: &str, choices: &[&'c str]) -> Result<Option<&'c str>> {
        let Some(v) = p.get(key) else { return Ok(None) };
        let found = v.get_ref().as_str();
        choices
            .iter()
            .find(|c| Some(**c) == found)
            .map(|c| Some(*c))
            .ok_or_else(|| {
                p.error(
                    key,
                    format!(
                        "unknown {key} {}, expected one of: {}",
                        v.get_ref(),
                        choices.join(", ")
                    ),
                )
            })
    }

    fn check_initial_weights(
        &self,
        spec: &PlasticitySpec,
        target: &Target,
        field: &str,
    ) -> Result<()> {
        let (lo, hi) = spec.bounds();
        let inside = |x: &f64| (lo..=hi).contains(x);
        let ok = match target.weight {
            ValueSpec::Constant(x) => inside(x),
            ValueSpec::Array(a) => a.iter().all(inside),
            ValueSpec::Uniform { low, high } => inside(low) && inside(high),
            // Tails are clipped to the bounds when the network is built.
            ValueSpec::Normal { .. } => true,
        };
        if ok {
            return Ok(());
        }
        let weight_field = field.replace("plasticity", "weight");
        Err(self.err(
            target.weight_span.clone(),
            &weight_field,
            format!("initial weights must lie within the plasticity bounds [{lo} V, {hi} V]"),
        ))
    }
}
