//! Time constants the event engine can follow at the simulation's step.

use super::{Result, Validator};
use crate::model::schema::RawPopulation;
use crate::model::spec::{EngineKind, NeuronKind, PopulationSpec, SimulationSpec};
use toml::Spanned;

/// How many times per step of `dt` the event engine may re-express a CuBa
/// neuron's state. It does so every two of the neuron's shortest time
/// constants (`neuron::exact`, `REFERENCE_SPAN`), to every neuron whose
/// synaptic drives have not decayed to zero, which is all of them in an
/// active network: at ten per step it does more work than the clock engine.
const SPANS_PER_STEP: f64 = 10.0;

impl Validator<'_> {
    /// A CuBa population on the event engine whose shortest time constant
    /// is far below `dt` would take the engine `duration / tau` updates of
    /// every neuron (a nanosecond over a second: 5e8): refused with the
    /// clock engine or a smaller `dt` as the way out. (A plain LIF has no
    /// drives, and its neurons at rest cost nothing, so any `tau_m` runs.)
    pub(super) fn event_pace(
        &self,
        raw: &[Spanned<RawPopulation>],
        populations: &[PopulationSpec],
        sim: &SimulationSpec,
    ) -> Result<()> {
        if sim.engine != EngineKind::Event {
            return Ok(());
        }
        for (r, p) in raw.iter().zip(populations) {
            let NeuronKind::CubaLif(c) = &p.kind else {
                continue;
            };
            let (key, tau) = [
                ("tau_m", c.membrane.tau_m),
                ("tau_syn_e", c.tau_syn_e),
                ("tau_syn_i", c.tau_syn_i),
            ]
            .into_iter()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("three time constants");
            let per_step = sim.dt / (2.0 * tau);
            if per_step <= SPANS_PER_STEP {
                continue;
            }
            let span = r
                .get_ref()
                .params
                .as_ref()
                .and_then(|m| m.get_ref().get(key).map(|v| v.span()));
            return Err(self.err(
                span,
                &format!("population[{}].params.{key}", p.name),
                format!(
                    "{tau:e} s is too short for the event engine at dt = {:e} s: it would update every \
                     neuron {per_step:.3e} times per step (every 2 {key}); use engine = \"clock\", \
                     or a dt of at most {:e} s",
                    sim.dt,
                    2.0 * SPANS_PER_STEP * tau
                ),
            ));
        }
        Ok(())
    }
}
