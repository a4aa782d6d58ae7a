//! Validation of `[[stimulus]]` tables: injected currents (constant, stepped,
//! from a file) and Poisson inputs, which become a source population and
//! its projection.

use std::ops::Range;

use toml::{Spanned, Value};

use super::values::{check_rate_course, check_rate_per_step, piecewise};
use super::{Result, Validator, span_of};
use crate::io::stimuli;
use crate::model::schema::RawStimulus;
use crate::model::spec::*;
use crate::model::units::{Dimension, parse_as};

/// A current stimulus's amplitudes: a current, or the voltage `r_m * i`.
const CURRENT_DIMS: [Dimension; 2] = [Dimension::Current, Dimension::Voltage];

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
                let rate = self.stimulus_rate(raw, sim.dt, &field)?;
                let (port, weight) =
                    self.stimulus_weight(raw, &pops[target], membrane.r_m, &field)?;
                let delay = self.delay(s.delay.as_ref(), sim.dt, &field("delay"))?;
                let targets: Vec<u32> = neurons.unwrap_or_else(|| (0..pops[target].size).collect());
                let name = format!("{}:poisson{index}", pops[target].name);
                pops.push(PopulationSpec {
                    name: name.clone(),
                    size: targets.len() as u32,
                    kind: NeuronKind::Poisson(rate),
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

    /// A Poisson stimulus's rate: exactly one of `rate` (constant) or
    /// `rate_file` (a CSV time course, as for a `poisson` population); never
    /// negative, at most one spike per step.
    fn stimulus_rate(
        &self,
        raw: &Spanned<RawStimulus>,
        dt: f64,
        field: &dyn Fn(&str) -> String,
    ) -> Result<PoissonRate> {
        let s = raw.get_ref();
        match (&s.rate, &s.rate_file) {
            (Some(rate), None) => self.constant_stimulus_rate(rate, dt, &field("rate")),
            (None, Some(file)) => self.stimulus_rate_file(file, dt, &field("rate_file")),
            _ => Err(self.err(
                Some(raw.span()),
                &field("rate"),
                "a poisson stimulus needs exactly one of `rate` (e.g. \"10 Hz\") or `rate_file`",
            )),
        }
    }

    /// `rate`: one frequency.
    fn constant_stimulus_rate(
        &self,
        rate: &Spanned<Value>,
        dt: f64,
        field: &str,
    ) -> Result<PoissonRate> {
        let (value, _) = self.value_quantity(rate, &[Dimension::Frequency], field)?;
        if value < 0.0 {
            return Err(self.err(span_of(rate), field, "must not be negative"));
        }
        let spec = ValueSpec::Constant(value);
        check_rate_per_step(&spec, dt).map_err(|m| self.err(span_of(rate), field, m))?;
        Ok(PoissonRate::Constant(spec))
    }

    /// `rate_file`: the `rate` column of a CSV file over its `time` column.
    fn stimulus_rate_file(
        &self,
        file: &Spanned<String>,
        dt: f64,
        field: &str,
    ) -> Result<PoissonRate> {
        let value = Spanned::new(file.span(), Value::String(file.get_ref().clone()));
        let course = self.time_course(&value, field, "rate", Dimension::Frequency)?;
        check_rate_course(&course, dt).map_err(|m| self.err(span_of(file), field, m))?;
        Ok(PoissonRate::Varying(course))
    }

    /// A Poisson stimulus's port on its target and its `weight` there.
    fn stimulus_weight(
        &self,
        raw: &Spanned<RawStimulus>,
        target: &PopulationSpec,
        r_m: Option<f64>,
        field: &dyn Fn(&str) -> String,
    ) -> Result<(Port, ValueSpec)> {
        let s = raw.get_ref();
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
            target,
            &field(""),
        )?;
        let weight = self.weight(weight_value, port, r_m, &field("weight"))?;
        Ok((port, weight))
    }

    /// A current stimulus as a piecewise-constant drive (volts, `r_m * i`).
    fn current_course(
        &self,
        s: &RawStimulus,
        r_m: Option<f64>,
        field: &dyn Fn(&str) -> String,
    ) -> Result<Piecewise> {
        if let Some(a) = &s.amplitude {
            return self.current_pulse(s, a, r_m, field);
        }
        if let (Some(ts), Some(amps)) = (&s.times, &s.amplitudes) {
            return self.current_steps(ts, amps, r_m, field);
        }
        if let Some(f) = &s.file {
            return self.current_file(f, r_m, field);
        }
        Err(self.err(
            span_of(&s.kind),
            &field("amplitude"),
            "a current stimulus needs `amplitude` (with optional `start`/`stop`), `times` + `amplitudes`, or `file`",
        ))
    }

    /// `amplitude` from `start` (default 0) until `stop` (default: the end).
    fn current_pulse(
        &self,
        s: &RawStimulus,
        a: &Spanned<Value>,
        r_m: Option<f64>,
        field: &dyn Fn(&str) -> String,
    ) -> Result<Piecewise> {
        let (amp, dim) = self.value_quantity(a, &CURRENT_DIMS, &field("amplitude"))?;
        let amp = self.to_drive(amp, dim, r_m, span_of(a), &field("amplitude"))?;
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
        Ok(Piecewise { times, values })
    }

    /// `times` and `amplitudes`: each amplitude holds from its time on.
    fn current_steps(
        &self,
        ts: &Spanned<Vec<String>>,
        amps: &Spanned<Vec<String>>,
        r_m: Option<f64>,
        field: &dyn Fn(&str) -> String,
    ) -> Result<Piecewise> {
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
                &CURRENT_DIMS,
                span_of(amps),
                &field("amplitudes"),
            )?;
            rows.push((
                t,
                self.to_drive(a_val, dim, r_m, span_of(amps), &field("amplitudes"))?,
            ));
        }
        piecewise(rows).map_err(|m| self.err(span_of(ts), &field("times"), m))
    }

    /// A CSV file's `amplitude` column over its `time` column; the column's
    /// unit says current or voltage (current when it has none).
    fn current_file(
        &self,
        f: &Spanned<String>,
        r_m: Option<f64>,
        field: &dyn Fn(&str) -> String,
    ) -> Result<Piecewise> {
        let value = Spanned::new(f.span(), Value::String(f.get_ref().clone()));
        let path = self.file(f, &field("file"))?;
        let table =
            stimuli::read_csv_table(&path).map_err(|e| self.err(span_of(f), &field("file"), e))?;
        let dim = table
            .columns
            .iter()
            .find(|c| c.name == "amplitude")
            .and_then(|c| c.unit.map(|u| u.1))
            .unwrap_or(Dimension::Current);
        let mut course = self.time_course(&value, &field("file"), "amplitude", dim)?;
        for v in &mut course.values {
            *v = self.to_drive(*v, dim, r_m, span_of(f), &field("file"))?;
        }
        Ok(course)
    }

    /// A current (times `r_m`) or a voltage as the drive the membrane adds.
    fn to_drive(
        &self,
        value: f64,
        dim: Dimension,
        r_m: Option<f64>,
        span: Option<Range<usize>>,
        f: &str,
    ) -> Result<f64> {
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
    }
}
