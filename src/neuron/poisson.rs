//! Poisson spike trains on the clock grid.
//!
//! A neuron spikes in a step with probability `1 - exp(-rate·dt)`: the chance
//! that a continuous Poisson process has at least one event in the step
//! (several events in one step make one spike). Rather than drawing a number
//! per neuron and step, the number of steps to the next spike is drawn from
//! the matching geometric law, which is exact and much cheaper at low rates.
//! A time-varying rate is piecewise constant; at each change every neuron's
//! next spike is drawn again, which the memoryless law makes exact.
//!
//! Each neuron has its own random stream (keyed by population name and
//! index), so a neuron's train does not depend on how the population is
//! split between threads.

use crate::engine::finite::Watch;
use rand::RngExt;
use rand_pcg::Pcg64;

use super::model::{ModelParams, NeuronModel};
use super::{EventModel, Neuron, Variable, part};
use crate::engine::persist::Snapshot;
use crate::engine::rng;
use crate::model::ModelError;
use crate::model::spec::{Piecewise, Port, SimulationSpec, ValueSpec};
use crate::model::units::Dimension;
use crate::model::validate::{check_non_negative, check_rate_course, check_rate_per_step};
use crate::synapse::EventRing;

#[derive(Debug, Clone, PartialEq)]
/// The rate of a Poisson population: constant per neuron or changing in time.
pub enum PoissonRate {
    /// Per-neuron constant rates.
    Constant(ValueSpec),
    /// The same time-varying rate for every neuron.
    Varying(Piecewise),
}

/// `model = "poisson"`: `rate` (per neuron) or `rate_file` (a CSV time
/// course shared by every neuron).
impl NeuronModel for PoissonRate {
    fn example() -> (&'static str, &'static str) {
        (r#"rate = "10 Hz""#, "")
    }

    fn parse(r: &ModelParams) -> Result<Self, ModelError> {
        let (params, dt) = (&r.params, r.dt);
        params.allow(&["rate", "rate_file"])?;
        r.init.allow(&[])?;
        match (params.get("rate"), params.get("rate_file")) {
            (Some(_), None) => {
                let (spec, _) = params
                    .value("rate", &[Dimension::Frequency], Some(r.size as usize))?
                    .expect("present");
                check_non_negative(&spec)
                    .and_then(|()| check_rate_per_step(&spec, dt))
                    .map_err(|m| params.error("rate", m))?;
                Ok(PoissonRate::Constant(spec))
            }
            (None, Some(_)) => {
                let course = params.time_course("rate_file", "rate", Dimension::Frequency)?;
                check_rate_course(&course, dt).map_err(|m| params.error("rate_file", m))?;
                Ok(PoissonRate::Varying(course))
            }
            _ => Err(params.error(
                "rate",
                "a poisson population needs exactly one of `rate` or `rate_file`",
            )),
        }
    }

    fn recordable(&self) -> &'static [&'static str] {
        &[]
    }

    fn build(
        &self,
        n: usize,
        sim: &SimulationSpec,
        name: &str,
        init: &mut Pcg64,
    ) -> Box<dyn Neuron> {
        Box::new(Poisson::new(self, n, sim, name, init))
    }

    /// A source: nothing ends in it.
    fn synapses(&self) -> super::model::Synapses {
        super::model::Synapses::NONE
    }

    fn state_bytes(&self) -> f64 {
        48.0
    }

    fn expected_rate(&self, _size: f64, _duration: f64) -> Option<f64> {
        Some(match self {
            PoissonRate::Constant(v) => v.upper_bound(3.0),
            PoissonRate::Varying(p) => p.values.iter().copied().fold(0.0, f64::max),
        })
    }
}

#[derive(Clone)]
/// A population of Poisson spike sources.
pub struct Poisson {
    dt: f64,
    /// Rate changes in seconds, for the event-driven engine.
    changes_s: Vec<(f64, f64)>,
    rates: Vec<f64>,
    /// Grid point of each neuron's next spike (`u64::MAX`: never).
    next: Vec<u64>,
    /// Rate changes: `(grid point, rate)`.
    changes: Vec<(u64, f64)>,
    change_cursor: usize,
    streams: Vec<Pcg64>,
}

/// Steps from now to the next spike at `rate` (at least one).
fn gap(rate: f64, dt: f64, rng: &mut Pcg64) -> u64 {
    if rate <= 0.0 {
        return u64::MAX;
    }
    // -ln(U), U in (0, 1]: an exponential draw; its ceiling in units of
    // 1/(rate·dt) is the geometric number of steps.
    let u: f64 = 1.0 - rng.random::<f64>();
    let steps = (-u.ln() / (rate * dt)).ceil();
    (steps as u64).max(1)
}

impl Poisson {
    /// `n` sources firing at `rate` in the run `sim`, their random streams keyed by the
    /// population's `name`, initial values from `init_rng`.
    pub fn new(
        rate: &PoissonRate,
        n: usize,
        sim: &SimulationSpec,
        name: &str,
        init_rng: &mut Pcg64,
    ) -> Self {
        let (rates, changes_s) = match rate {
            PoissonRate::Constant(spec) => (rng::draw(spec, n, init_rng), Vec::new()),
            PoissonRate::Varying(course) => {
                let changes = course
                    .times
                    .iter()
                    .copied()
                    .zip(course.values.iter().copied())
                    .collect();
                (vec![0.0; n], changes)
            }
        };
        let changes: Vec<(u64, f64)> = changes_s
            .iter()
            .map(|&(t, r)| ((t / sim.dt).round() as u64, r))
            .collect();
        let streams = (0..n)
            .map(|i| rng::stream(sim.seed, "poisson", &format!("{name}#{i}")))
            .collect();
        let mut source = Self {
            dt: sim.dt,
            changes_s,
            rates,
            next: vec![u64::MAX; n],
            changes,
            change_cursor: 0,
            streams,
        };
        if source.changes.is_empty() {
            source.redraw_all(0);
        }
        source
    }

    fn redraw_all(&mut self, from: u64) {
        for i in 0..self.next.len() {
            self.next[i] = from.saturating_add(gap(self.rates[i], self.dt, &mut self.streams[i]));
        }
    }

    /// Apply every rate change that takes effect at grid point `k`.
    fn apply_changes(&mut self, k: u64) {
        let mut changed = false;
        while let Some(&(at, rate)) = self.changes.get(self.change_cursor) {
            if at > k {
                break;
            }
            self.rates.iter_mut().for_each(|r| *r = rate);
            self.change_cursor += 1;
            changed = true;
        }
        if changed {
            self.redraw_all(k);
        }
    }
}

impl Neuron for Poisson {
    fn size(&self) -> usize {
        self.next.len()
    }

    fn ports(&self) -> &'static [Port] {
        &[]
    }

    fn variables(&self) -> Vec<Variable> {
        Vec::new()
    }

    fn settle(&mut self, k: u64, _inputs: &[EventRing], spikes: &mut Vec<u32>) {
        self.apply_changes(k);
        let grid = k + 1;
        for i in 0..self.next.len() {
            if self.next[i] == grid {
                spikes.push(i as u32);
                self.next[i] =
                    grid.saturating_add(gap(self.rates[i], self.dt, &mut self.streams[i]));
            }
        }
    }

    fn sample(&self, _variable: &str, _neurons: &[u32], _out: &mut Vec<f64>) {}

    fn split(&self, offset: usize, len: usize) -> Box<dyn Neuron> {
        Box::new(Self {
            dt: self.dt,
            changes_s: self.changes_s.clone(),
            rates: part(&self.rates, offset, len),
            next: part(&self.next, offset, len),
            changes: self.changes.clone(),
            change_cursor: self.change_cursor,
            streams: part(&self.streams, offset, len),
        })
    }

    fn event_model(&self) -> Option<Box<dyn EventModel>> {
        let mut model = ContinuousPoisson {
            rates: self.rates.clone(),
            next: vec![f64::INFINITY; self.rates.len()],
            changes: self.changes_s.clone(),
            change_cursor: 0,
            streams: self.streams.clone(),
        };
        if model.changes.is_empty() {
            model.redraw_all(0.0);
        }
        Some(Box::new(model))
    }

    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("poisson");
        s.count("rate changes", self.changes.len());
        s.slice(&mut self.rates);
        s.slice(&mut self.next);
        s.cursor(
            "rate change cursor",
            &mut self.change_cursor,
            self.changes.len(),
        );
        s.rngs(&mut self.streams);
    }

    /// Spike times and rates come validated from the model and only
    /// schedule spikes: no state variable that could become non-finite.
    fn finite_watch(&mut self) -> Option<&mut Watch> {
        None
    }
}

/// Poisson trains in continuous time, for the event-driven engine:
/// exponential intervals, redrawn at each rate change (memoryless).
struct ContinuousPoisson {
    rates: Vec<f64>,
    next: Vec<f64>,
    changes: Vec<(f64, f64)>,
    change_cursor: usize,
    streams: Vec<Pcg64>,
}

impl ContinuousPoisson {
    fn interval(rate: f64, rng: &mut Pcg64) -> f64 {
        if rate <= 0.0 {
            return f64::INFINITY;
        }
        let u: f64 = 1.0 - rng.random::<f64>();
        -u.ln() / rate
    }

    fn redraw_all(&mut self, from: f64) {
        for i in 0..self.next.len() {
            self.next[i] = from + Self::interval(self.rates[i], &mut self.streams[i]);
        }
    }

    /// Emit neuron spikes in `[from, to)` under the current rates.
    fn emit_constant(&mut self, to: f64, out: &mut Vec<(f64, u32)>) {
        for i in 0..self.next.len() {
            while self.next[i] < to {
                out.push((self.next[i], i as u32));
                self.next[i] += Self::interval(self.rates[i], &mut self.streams[i]);
            }
        }
    }
}

impl EventModel for ContinuousPoisson {
    fn size(&self) -> usize {
        self.next.len()
    }

    fn emit(&mut self, from: f64, to: f64, out: &mut Vec<(f64, u32)>) {
        let start = out.len();
        let mut t = from;
        while let Some(&(at, rate)) = self.changes.get(self.change_cursor) {
            if at >= to {
                break;
            }
            self.emit_constant(at.max(t), out);
            self.rates.iter_mut().for_each(|r| *r = rate);
            self.redraw_all(at.max(t));
            self.change_cursor += 1;
            t = at.max(t);
        }
        self.emit_constant(to, out);
        out[start..].sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    }

    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("poisson (event)");
        s.count("rate changes", self.changes.len());
        s.slice(&mut self.rates);
        s.slice(&mut self.next);
        s.cursor(
            "rate change cursor",
            &mut self.change_cursor,
            self.changes.len(),
        );
        s.rngs(&mut self.streams);
    }

    /// Spike times and rates come validated from the model and only
    /// schedule spikes: no state variable that could become non-finite.
    fn finite_watch(&mut self) -> Option<&mut Watch> {
        None
    }
}
