//! Poisson spike trains on the clock grid.
//!
//! A neuron spikes in a step with probability `1 - exp(-rate·dt)`: the chance
//! that a continuous Poisson process has at least one event in the step
//! (several events in one step make one spike). Rather than drawing a number
//! per neuron and step, the number of steps to the next spike is drawn from
//! the matching geometric law, which is exact and much cheaper at low rates.
//! A time-varying rate is piecewise constant; at each change every neuron's
//! next spike is drawn again, which the memoryless law makes exact.

use rand::RngExt;
use rand_pcg::Pcg64;

use super::{Neuron, Variable};
use crate::engine::rng;
use crate::model::spec::{PoissonRate, Port, SimulationSpec};
use crate::synapse::EventRing;

pub struct Poisson {
    dt: f64,
    rates: Vec<f64>,
    /// Grid point of each neuron's next spike (`u64::MAX`: never).
    next: Vec<u64>,
    /// Rate changes: `(grid point, rate)`, after the first.
    changes: Vec<(u64, f64)>,
    change_cursor: usize,
    rng: Pcg64,
}

impl Poisson {
    pub fn new(
        rate: &PoissonRate,
        n: usize,
        sim: &SimulationSpec,
        init_rng: &mut Pcg64,
        rng: Pcg64,
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
        let mut source = Self {
            dt: sim.dt,
            rates,
            next: vec![u64::MAX; n],
            changes,
            change_cursor: 0,
            rng,
        };
        if source.changes.is_empty() {
            source.redraw_all(0);
        }
        source
    }

    /// Steps from now to the next spike at `rate` (at least one).
    fn gap(&mut self, rate: f64) -> u64 {
        if rate <= 0.0 {
            return u64::MAX;
        }
        // -ln(U), U in (0, 1]: an exponential draw; its ceiling in units of
        // 1/(rate·dt) is the geometric number of steps.
        let u: f64 = 1.0 - self.rng.random::<f64>();
        let steps = (-u.ln() / (rate * self.dt)).ceil();
        (steps as u64).max(1)
    }

    fn redraw_all(&mut self, from: u64) {
        for i in 0..self.next.len() {
            let g = self.gap(self.rates[i]);
            self.next[i] = from.saturating_add(g);
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
                let g = self.gap(self.rates[i]);
                self.next[i] = grid.saturating_add(g);
            }
        }
    }

    fn sample(&self, _variable: &str, _neurons: &[u32], _out: &mut Vec<f64>) {}
}
