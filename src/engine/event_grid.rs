//! Populations without an event form (`astrocyte`, `amsu_lif`, `meta`, and
//! LIF populations that receive an astrocyte's slow inward current, which
//! the closed forms do not include) inside the event engine, the way NEST mixes precise-spike and grid-based
//! neurons: they are stepped on the `dt` grid exactly as the clock engine
//! steps them (`Neuron::step`, the clock's order of drives, plastic
//! arrivals, recording and graded output), while exact populations stay
//! exact.
//!
//! An input that reaches a grid population at real time `t` goes into the
//! input ring of grid point `arrival_step(t) = ceil(t/dt)`, the first grid
//! point at or after it, with times within `1e-9 dt` above a grid point
//! counted as on it (floating-point sums like `k dt + d` land a few ulps off).
//! A clock neuron applies the inputs of grid point `k` in its step to `k`, so
//! an input at `k dt` exactly, as every input is in a grid-aligned network,
//! is applied at the clock engine's arrival step, and an input between grid
//! points waits for the next one, never acting before it arrives. Its spikes
//! (and graded values) of grid point `k` are sent at time `k dt`.
//!
//! Where in the event order: the grid points `k` with `k dt` before the
//! end of an epoch (in `arrival_step` rounding) are stepped in that epoch,
//! each one after every event before `k dt` and before every event at
//! `k dt`. A grid step reads only its own state, rings and plastic parts,
//! which no event of the same epoch touches (spikes cross populations only
//! through the epoch exchange, after the canonical sort), so any fixed point
//! would give the same result; this one also puts each step before the
//! sample of its grid point. Inputs are delivered at the end of the epoch
//! they were sent in and arrive no earlier than the next epoch's start, so
//! their grid point is never one already stepped. Each worker steps its own
//! slices, which the clock engine shows to be independent of the split.

use crate::engine::exchange::Spike;
use crate::engine::finite::Watch;
use crate::engine::network::{Projection, Slice, Worker};
use crate::engine::persist::{Persist, Snapshot};
use crate::model::spec::Port;
use crate::neuron::EventModel;
use crate::synapse::EventRing;

/// The grid point at or after `t`: `ceil(t/dt)`, with `1e-9 dt` tolerance.
pub fn arrival_step(t: f64, dt: f64) -> u64 {
    ((t / dt) - 1e-9).ceil().max(0.0) as u64
}

/// Stand-in event form for a slice stepped on the grid: it schedules nothing.
pub struct OnGrid(pub usize);

impl EventModel for OnGrid {
    fn size(&self) -> usize {
        self.0
    }

    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("on grid");
        s.count("neurons", self.0);
    }

    /// A stand-in: the grid slice's clock model keeps the watch.
    fn finite_watch(&mut self) -> Option<&mut Watch> {
        None
    }
}

/// A worker's grid-stepped slices and where they are in time.
pub struct Grid {
    /// Per worker slice: stepped on the grid.
    pub is_grid: Vec<bool>,
    /// Worker slice indices stepped on the grid.
    pub slices: Vec<usize>,
    /// The next grid point to step to.
    pub next: u64,
    drive_cursor: Vec<usize>,
    /// Neurons (indices in the slice) that fired in the step.
    pub fired: Vec<u32>,
}

impl Grid {
    /// Find the slices without an event form and prepare them: rings (and
    /// plastic queues) widened by two slots, since an input sent late in an
    /// epoch and rounded up may land up to two grid points further than the
    /// clock engine's longest delay; drives of grid point 0 applied.
    pub fn new(worker: &mut Worker, projections: &[Projection]) -> Self {
        let is_grid: Vec<bool> = worker
            .slices
            .iter()
            .map(|s| takes_graded(s, projections) || s.neuron.event_model().is_none())
            .collect();
        let slices: Vec<usize> = (0..is_grid.len()).filter(|&s| is_grid[s]).collect();
        let mut drive_cursor = vec![0; is_grid.len()];
        for &si in &slices {
            let slice = &mut worker.slices[si];
            for ring in &mut slice.inputs {
                *ring = EventRing::new(ring.slots() + 1);
            }
            apply_drive(slice, 0, &mut drive_cursor[si]);
        }
        for part in worker.parts.iter_mut().flatten() {
            if is_grid[part.slice]
                && let Some(p) = part.plastic.as_mut()
            {
                p.widen_queue(2);
            }
        }
        Self {
            is_grid,
            slices,
            next: 1,
            drive_cursor,
            fired: Vec::new(),
        }
    }

    /// After the step to grid point `k` of `slice` (worker slice `si`): the
    /// drives that change at `k`, as the clock engine applies them before
    /// sampling `k`.
    pub fn after_step(&mut self, slice: &mut Slice, si: usize, k: u64) {
        apply_drive(slice, k, &mut self.drive_cursor[si]);
    }
}

/// Whether the slice's population receives an astrocyte port's input (a
/// slow inward current into a LIF): the closed forms have no term for it,
/// so such a population is stepped on the grid as a whole.
fn takes_graded(slice: &Slice, projections: &[Projection]) -> bool {
    let ports = slice.neuron.ports();
    projections
        .iter()
        .filter(|p| p.to == slice.population)
        .any(|p| matches!(ports[p.port], Port::Sic | Port::Glia))
}

/// The drive changes due at grid point `k`.
fn apply_drive(slice: &mut Slice, k: u64, cursor: &mut usize) {
    while let Some(change) = slice.drive.get(*cursor) {
        if change.step > k {
            break;
        }
        slice.neuron.set_external_drive(&change.drive);
        *cursor += 1;
    }
}

/// A grid slice's non-zero graded values of grid point `k` (time `t`).
pub fn send_graded(slice: &Slice, t: f64, outbox: &mut Vec<Spike>) {
    let Some(values) = slice.neuron.graded() else {
        return;
    };
    outbox.extend(
        values
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0.0)
            .map(|(i, &value)| Spike {
                step: 0,
                time: t,
                population: slice.population as u32,
                neuron: slice.offset + i as u32,
                value,
            }),
    );
}

impl Persist for Grid {
    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("grid");
        s.count("slices", self.is_grid.len());
        for g in &mut self.is_grid {
            s.same("stepped on the grid", g);
        }
        s.count("grid slices", self.slices.len());
        s.scalar(&mut self.next);
        s.slice(&mut self.drive_cursor);
        s.vec(&mut self.fired);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_round_up_to_the_next_grid_point_and_stay_on_it() {
        let dt = 1e-4;
        assert_eq!(arrival_step(0.0, dt), 0);
        assert_eq!(arrival_step(30.0 * dt, dt), 30);
        // 17 dt + 13 dt as floating point sums give it, a few ulps off.
        assert_eq!(arrival_step(17.0 * dt + 13.0 * dt, dt), 30);
        assert_eq!(arrival_step(0.0017 + 0.0013, dt), 30);
        assert_eq!(arrival_step(29.5 * dt, dt), 30);
        assert_eq!(arrival_step(30.01 * dt, dt), 31);
    }
}
