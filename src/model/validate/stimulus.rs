//! Validation of `[[stimulus]]` tables: injected currents (constant, stepped,
//! from a file) and Poisson inputs, which become a source population and
//! its projection.

use std::ops::Range;

use toml::{Spanned, Value};

use super::values::{check_rate_per_step, piecewise};
use super::{Result, Validator, span_of};
use crate::io::stimuli;
use crate::model::schema::RawStimulus;
use crate::model::spec::*;
use crate::model::units::{Dimension, parse_as};

impl Validator<'_> {
    pub(super) fn stimulus(
        &self,
        index: usize,
        raw: &Spanned<RawStimulus>,
        pops: &mut Vec<PopulationSpec>,
        projections: &mut Vec<ProjectionSpec>,
        currents: &mut Vec<CurrentStimulusSpec>,
        sim: &SimulationSpec,
    ) -> Result<()> {
        let s = raw.get_ref();
        let field = |f: &str| format!("stimulus[{index}].{f}");
        let target = self.population_ref(&s.population, pops, &field("population"))?;
        let Some(membrane) = pops[target].kind.membrane().cloned() else {
            return Err(self.err(
                span_of(&s.population),
                &field("population"),
                format!(
                    "population `{}` is a {} and takes no stimulus",
                    pops[target].name,
                    pops[target].kind.model_name()
                ),
            ));
        };
        let neurons = self.neuron_list(s.neurons.as_ref(), pops[target].size, &field("neurons"))?;
        match s.kind.get_ref().as_str() {
            "current" => {
                let drive = self.current_course(s, membrane.r_m, &field)?;
                currents.push(CurrentStimulusSpec {
                    population: target,
                    neurons,
                    drive,
                });
                Ok(())
            }
            "poisson" => {
                let rate = s.rate.as_ref().ok_or_else(|| {
                    self.err(
                        Some(raw.span()),
                        &field("rate"),
                        "a poisson stimulus needs `rate` (e.g. \"10 Hz\")",
                    )
                })?;
                let (rate, _) =
                    self.value_quantity(rate, &[Dimension::Frequency], &field("rate"))?;
                if rate < 0.0 {
                    return Err(self.err(
                        span_of(s.rate.as_ref().expect("checked")),
                        &field("rate"),
                        "must not be negative",
                    ));
                }
                check_rate_per_step(&ValueSpec::Constant(rate), sim.dt).map_err(|m| {
                    self.err(
                        span_of(s.rate.as_ref().expect("checked")),
                        &field("rate"),
                        m,
                    )
                })?;
                let weight_value = s.weight.as_ref().ok_or_else(|| {
                    self.err(
                        Some(raw.span()),
                        &field("weight"),
                        "a poisson stimulus needs `weight`",
                    )
                })?;
                let port = self.port(
                    s.synapse.as_ref(),
                    s.receptor.as_ref(),
                    Some(weight_value),
                    &pops[target],
                    &field(""),
                )?;
                let weight = self.weight(weight_value, port, membrane.r_m, &field("weight"))?;
                let delay = match &s.delay {
                    None => ValueSpec::Constant(sim.dt),
                    Some(d) => {
                        let (spec, _) =
                            self.value_spec(d, &[Dimension::Time], &field("delay"), None)?;
                        self.check_delay(&spec, sim.dt)
                            .map_err(|m| self.err(span_of(d), &field("delay"), m))?;
                        spec
                    }
                };
                let targets: Vec<u32> = neurons.unwrap_or_else(|| (0..pops[target].size).collect());
                let name = format!("{}:poisson{index}", pops[target].name);
                pops.push(PopulationSpec {
                    name: name.clone(),
                    size: targets.len() as u32,
                    kind: NeuronKind::Poisson(PoissonRate::Constant(ValueSpec::Constant(rate))),
                    record_spikes: false,
                    background: None,
                });
                let synapses = targets
                    .iter()
                    .enumerate()
                    .map(|(i, &post)| ListedSynapse {
                        pre: i as u32,
                        post,
                        weight: None,
                        delay: None,
                    })
                    .collect();
                projections.push(ProjectionSpec {
                    name,
                    from: pops.len() - 1,
                    to: target,
                    rule: ConnectRule::List(synapses),
                    weight,
                    delay,
                    port,
                    allow_autapses: true,
                    plasticity: None,
                });
                Ok(())
            }
            other => Err(self.err(
                span_of(&s.kind),
                &field("kind"),
                format!("unknown stimulus kind {other:?}, expected \"current\" or \"poisson\""),
            )),
        }
    }

    /// A current stimulus as a piecewise-constant drive (volts, `r_m * i`).
    fn current_course(
        &self,
        s: &RawStimulus,
        r_m: Option<f64>,
        field: &dyn Fn(&str) -> String,
    ) -> Result<Piecewise> {
        let to_drive =
            |value: f64, dim: Dimension, span: Option<Range<usize>>, f: &str| -> Result<f64> {
                match (dim, r_m) {
                    (Dimension::Voltage, _) => Ok(value),
                    (_, Some(r)) => {
                        self.drive_in_range(ValueSpec::Constant(value * r), span, f)?;
                        Ok(value * r)
                    }
                    (_, None) => Err(self.err(
                        span,
                        f,
                        "a current needs the target's membrane resistance `r_m`",
                    )),
                }
            };
        let dims = [Dimension::Current, Dimension::Voltage];
        if let Some(a) = &s.amplitude {
            let (amp, dim) = self.value_quantity(a, &dims, &field("amplitude"))?;
            let amp = to_drive(amp, dim, span_of(a), &field("amplitude"))?;
            let start = match &s.start {
                Some(t) => self.quantity(t, Dimension::Time, &field("start"))?,
                None => 0.0,
            };
            let stop = match &s.stop {
                Some(t) => Some(self.quantity(t, Dimension::Time, &field("stop"))?),
                None => None,
            };
            if start < 0.0 || stop.is_some_and(|stop| stop < start) {
                return Err(self.err(span_of(a), &field("start"), "needs 0 <= start <= stop"));
            }
            let mut times = vec![0.0, start];
            let mut values = vec![0.0, amp];
            if let Some(stop) = stop {
                times.push(stop);
                values.push(0.0);
            }
            return Ok(Piecewise { times, values });
        }
        if let (Some(ts), Some(amps)) = (&s.times, &s.amplitudes) {
            if ts.get_ref().len() != amps.get_ref().len() || ts.get_ref().is_empty() {
                return Err(self.err(
                    span_of(ts),
                    &field("times"),
                    "`times` and `amplitudes` need the same, non-zero length",
                ));
            }
            let mut rows = Vec::new();
            for (t, a) in ts.get_ref().iter().zip(amps.get_ref()) {
                let t = parse_as(t, Dimension::Time)
                    .map_err(|e| self.err(span_of(ts), &field("times"), e.to_string()))?;
                let (a_val, dim) = self.quantity_of(
                    &Value::String(a.clone()),
                    &dims,
                    span_of(amps),
                    &field("amplitudes"),
                )?;
                rows.push((
                    t,
                    to_drive(a_val, dim, span_of(amps), &field("amplitudes"))?,
                ));
            }
            return piecewise(rows).map_err(|m| self.err(span_of(ts), &field("times"), m));
        }
        if let Some(f) = &s.file {
            let value = Spanned::new(f.span(), Value::String(f.get_ref().clone()));
            let path = self.file(f, &field("file"))?;
            let table = stimuli::read_csv_table(&path)
                .map_err(|e| self.err(span_of(f), &field("file"), e))?;
            let dim = table
                .columns
                .iter()
                .find(|c| c.name == "amplitude")
                .and_then(|c| c.unit.map(|u| u.1))
                .unwrap_or(Dimension::Current);
            let mut course = self.time_course(&value, &field("file"), "amplitude", dim)?;
            for v in &mut course.values {
                *v = to_drive(*v, dim, span_of(f), &field("file"))?;
            }
            return Ok(course);
        }
        Err(self.err(
            span_of(&s.kind),
            &field("amplitude"),
            "a current stimulus needs `amplitude` (with optional `start`/`stop`), `times` + `amplitudes`, or `file`",
        ))
    }
}
