//! Time constants the event engine can follow at the simulation's step.

use super::{Result, Validator};
use crate::model::schema::RawPopulation;
use crate::model::spec::{EngineKind, PopulationSpec, SimulationSpec};
use toml::Spanned;

/// How many times per step of `dt` the event engine may re-express a CuBa
/// neuron's state. It does so every two of the neuron's shortest time
/// constants (`neuron::cuba_lif::event`, `REFERENCE_SPAN`), to every neuron whose
/// synaptic drives have not decayed to zero, which is all of them in an
/// active network: at ten per step it does more work than the clock engine.
const SPANS_PER_STEP: f64 = 10.0;

/// How many spikes per step of `dt` a neuron may fire at rest on the event
/// engine. Without a refractory period and with a resting drive far above
/// threshold, a LIF neuron refires `tau_m ln((v - v_reset) / (v - v_th))`
/// after each reset, a time that goes to zero as the drive grows: the event
/// engine computes every one of those spikes exactly (a resting potential
/// of 4e6 V fires 1e8 times in 3 ms), where the clock engine fires once per
/// step.
const SPIKES_PER_STEP: f64 = 1000.0;

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
            self.resting_rate(r, p, sim)?;
            let Some((key, tau)) = p
                .kind
                .model()
                .event_time_constants()
                .into_iter()
                .min_by(|a, b| a.1.total_cmp(&b.1))
            else {
                continue;
            };
            let per_step = sim.dt / (2.0 * tau);
            if per_step <= SPANS_PER_STEP {
                continue;
            }
            let span = super::param_span(r, key);
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

    /// A LIF or CuBa population whose resting drive alone refires it more
    /// than [`SPIKES_PER_STEP`] times per step (no refractory period to
    /// speak of, `v_rest + r_m i_e` far above threshold) would take the
    /// event engine that many events per neuron and step: refused with the
    /// parameters that set the pace.
    fn resting_rate(
        &self,
        raw: &Spanned<RawPopulation>,
        p: &PopulationSpec,
        sim: &SimulationSpec,
    ) -> Result<()> {
        let Some(m) = p.kind.model().exact_membrane() else {
            return Ok(());
        };
        // A normal spread of drives counts at its mean.
        let v_inf = m.v_rest + m.init_drive.upper_bound(0.0);
        if v_inf <= m.v_th || v_inf <= m.v_reset {
            return Ok(());
        }
        let interval = m.t_ref + m.tau_m * ((v_inf - m.v_reset) / (v_inf - m.v_th)).ln();
        if interval.is_nan() || interval * SPIKES_PER_STEP >= sim.dt {
            return Ok(());
        }
        let span = super::param_span(raw, "v_rest");
        Err(self.err(
            span,
            &format!("population[{}].params", p.name),
            format!(
                "at rest these neurons refire every {interval:.3e} s (v_rest + r_m i_e = {v_inf:e} V \
                 against v_th = {:e} V, t_ref = {:e} s): more than {SPIKES_PER_STEP} spikes per step \
                 of {:e} s for the event engine to compute one by one; give a refractory period \
                 (t_ref), a drive nearer threshold, or use engine = \"clock\"",
                m.v_th, m.t_ref, sim.dt
            ),
        ))
    }
}
