//! Validation of the discrete-time LIF (`model = "discrete_lif"`).

use super::{Params, Result, Validator};
use crate::model::schema::RawPopulation;
use crate::model::spec::{
    DiscreteLifParams, EngineKind, NeuronKind, PopulationSpec, SimulationSpec,
};
use crate::model::units::Dimension;
use toml::Spanned;

impl Validator<'_> {
    /// `params = { beta = 0.65, alpha = 0.5, v_th = "0.1 mV", period = "1 ms",
    /// offset = "0.25 ms" }`; `alpha` defaults to 0 (no synaptic current),
    /// `period` to every step, `offset` to 0. The state starts at 0.
    pub(super) fn discrete_lif(&self, params: &Params, init: &Params) -> Result<NeuronKind> {
        params.allow(&["beta", "alpha", "v_th", "period", "offset"])?;
        init.allow(&[])?;
        let beta = params.scalar("beta", Dimension::Dimensionless)?;
        if !(0.0..=1.0).contains(&beta) {
            return Err(params.error("beta", format!("must be in [0, 1], got {beta}")));
        }
        let alpha = params.scalar_or("alpha", Dimension::Dimensionless, 0.0)?;
        if !(0.0..1.0).contains(&alpha) {
            return Err(params.error("alpha", format!("must be in [0, 1), got {alpha}")));
        }
        let v_th = params.positive("v_th", Dimension::Voltage)?;
        let period = match params.get("period") {
            Some(_) => Some(params.positive("period", Dimension::Time)?),
            None => None,
        };
        let offset = params.scalar_or("offset", Dimension::Time, 0.0)?;
        if offset < 0.0 || period.is_some_and(|p| offset >= p) {
            return Err(params.error("offset", "must lie in [0, period)"));
        }
        Ok(NeuronKind::DiscreteLif(DiscreteLifParams {
            beta,
            alpha,
            v_th,
            period,
            offset,
        }))
    }

    /// A discrete-time population runs on the clock engine, and its
    /// `period` and `offset` must be whole numbers of the simulation step
    /// (checked once the simulation section is known).
    pub(super) fn discrete_clocks(
        &self,
        raw: &[Spanned<RawPopulation>],
        populations: &[PopulationSpec],
        sim: &SimulationSpec,
    ) -> Result<()> {
        for (r, p) in raw.iter().zip(populations) {
            let NeuronKind::DiscreteLif(d) = &p.kind else {
                continue;
            };
            if sim.engine == EngineKind::Event {
                return Err(self.err(
                    Some(r.get_ref().model.span()),
                    &format!("population[{}].model", p.name),
                    "a discrete_lif is a discrete-time model; it runs on the clock engine only",
                ));
            }
            for (key, value) in [("period", d.period), ("offset", Some(d.offset))] {
                let Some(t) = value else { continue };
                let steps = t / sim.dt;
                if (steps - steps.round()).abs() > 1e-6 {
                    let span = super::param_span(r, key);
                    return Err(self.err(
                        span,
                        &format!("population[{}].params.{key}", p.name),
                        format!(
                            "must be a whole number of steps of dt ({} ms), found {steps} steps",
                            sim.dt * 1e3
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}
