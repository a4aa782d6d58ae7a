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

use rand::RngExt;
use rand_pcg::Pcg64;

use super::{Neuron, Variable, part};
use crate::engine::rng;
use crate::model::spec::{PoissonRate, Port, SimulationSpec};
use crate::synapse::EventRing;

#[derive(Clone)]
pub struct Poisson {
    dt: f64,
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
    pub fn new(
        rate: &PoissonRate,
        n: usize,
        sim: &SimulationSpec,
        name: &str,
        init_rng: &mut Pcg64,
    ) -> Self {
        let (rates, changes) = match rate {
            PoissonRate::Constant(spec) => (rng::draw(spec, n, init_rng), Vec::new()),
            PoissonRate::Varying(course) => {
                let grid: Vec<(u64, f64)> = course
                    .times
                    .iter()
                    .zip(&course.values)
                    .map(|(&t, &r)| ((t / sim.dt).round() as u64, r))
                    .collect();
                (vec![0.0; n], grid)
            }
        };
        let streams = (0..n)
            .map(|i| rng::stream(sim.seed, "poisson", &format!("{name}#{i}")))
            .collect();
        let mut source = Self {
            dt: sim.dt,
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

    fn step(&mut self, k: u64, _inputs: &[EventRing], spikes: &mut Vec<u32>) {
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
            rates: part(&self.rates, offset, len),
            next: part(&self.next, offset, len),
            changes: self.changes.clone(),
            change_cursor: self.change_cursor,
            streams: part(&self.streams, offset, len),
        })
    }
}
