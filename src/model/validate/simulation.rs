//! Validation of the `[simulation]` table: step, duration, engine, threads.

use toml::Spanned;

use super::{Result, Validator, span_of};
use crate::model::schema::RawSimulation;
use crate::model::spec::{EngineKind, SimulationSpec};
use crate::model::units::Dimension;

/// The most clock steps a run may take: 1e15 steps of even 1 ns of
/// compute each would be 30 years, and every step count fits `u64`,
/// `usize` and an exact `f64`.
pub const MAX_STEPS: u64 = 1_000_000_000_000_000;

impl Validator<'_> {
    pub(super) fn simulation(&self, raw: &Spanned<RawSimulation>) -> Result<SimulationSpec> {
        let s = raw.get_ref();
        let missing = |key: &str| {
            self.err(
                Some(raw.span()),
                &format!("simulation.{key}"),
                "missing (e.g. \"0.1 ms\" for dt, \"1 s\" for duration)",
            )
        };
        let dt_text = s.dt.as_ref().ok_or_else(|| missing("dt"))?;
        let duration_text = s.duration.as_ref().ok_or_else(|| missing("duration"))?;
        let dt = self.positive(dt_text, Dimension::Time, "simulation.dt")?;
        let duration = self.quantity(duration_text, Dimension::Time, "simulation.duration")?;
        if duration < 0.0 {
            return Err(self.err(
                span_of(duration_text),
                "simulation.duration",
                "must not be negative",
            ));
        }
        if dt > duration {
            return Err(self.err(
                span_of(dt_text),
                "simulation.dt",
                format!(
                    "{:?} is longer than the duration {:?}: the run would have no step",
                    dt_text.get_ref(),
                    duration_text.get_ref()
                ),
            ));
        }
        // dt <= duration, so at least one step.
        let steps = (duration / dt).round();
        if steps > MAX_STEPS as f64 {
            return Err(self.err(
                span_of(duration_text),
                "simulation.duration",
                format!("is {steps:e} steps of dt, more than the {MAX_STEPS:e} a run can take"),
            ));
        }
        let engine = match &s.engine {
            None => EngineKind::Clock,
            Some(e) => match e.get_ref().as_str() {
                "clock" => EngineKind::Clock,
                "event" => EngineKind::Event,
                other => {
                    return Err(self.err(
                        span_of(e),
                        "simulation.engine",
                        format!("unknown engine {other:?}, expected \"clock\" or \"event\""),
                    ));
                }
            },
        };
        Ok(SimulationSpec {
            dt,
            duration,
            steps: steps as u64,
            seed: s.seed.as_ref().map_or(0, |v| *v.get_ref()),
            engine,
            threads: self.threads(s)?,
        })
    }

    /// `simulation.threads`, 1 when absent; more than `MAX_THREADS` is an error.
    pub(super) fn threads(&self, s: &RawSimulation) -> Result<u32> {
        let Some(t) = &s.threads else { return Ok(1) };
        crate::model::memory::thread_limit(u64::from(*t.get_ref()))
            .map_err(|msg| self.err(span_of(t), "simulation.threads", msg))?;
        Ok(*t.get_ref())
    }
}
