//! Spikes in flight: per target port, a ring of slots indexed by arrival
//! step, each holding the `(target, weight)` events that arrive then.
//!
//! A spike delivered with a delay of `d` steps at grid point `k` lands in
//! slot `(k + d) mod slots`; the target consumes slot `k + 1` during the step
//! `k → k + 1`, and the engine empties it afterwards. With
//! `slots = max_delay + 1`, every slot a delivery can reach differs from the
//! one being consumed. Events are sparse (a few per neuron and second), so
//! the target touches only the neurons that receive something, and the
//! order of events in a slot is the fixed delivery order, which keeps the
//! floating-point sums reproducible.

use crate::model::memory::{MemoryError, try_vec};

/// One synaptic event: a weight (in the port's unit) for one target neuron.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    /// The target neuron.
    pub target: u32,
    /// The weight it brings, in the target port's unit.
    pub weight: f32,
}

#[derive(Debug, Clone)]
/// Per-target arrivals waiting for their step: a ring of slots, one per step of delay.
pub struct EventRing {
    slots: Vec<Vec<Arrival>>,
}

impl EventRing {
    /// A ring for delays up to `max_delay` steps.
    pub fn new(max_delay: usize) -> Self {
        Self::try_new(max_delay).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`EventRing::new`], with a failed allocation returned as an error.
    pub fn try_new(max_delay: usize) -> Result<Self, MemoryError> {
        Ok(Self {
            slots: try_vec(max_delay.max(1) + 1, Vec::new(), "delay rings")?,
        })
    }

    fn index(&self, k: u64) -> usize {
        (k % self.slots.len() as u64) as usize
    }

    /// The events that arrive at grid point `k`.
    pub fn slot(&self, k: u64) -> &[Arrival] {
        &self.slots[self.index(k)]
    }

    /// Where to add events that arrive at grid point `k`.
    pub fn slot_mut(&mut self, k: u64) -> &mut Vec<Arrival> {
        let i = self.index(k);
        &mut self.slots[i]
    }

    /// Forget the events of grid point `k` once they have been applied.
    pub fn clear(&mut self, k: u64) {
        let i = self.index(k);
        self.slots[i].clear();
    }

    /// Number of slots.
    pub fn slots(&self) -> usize {
        self.slots.len()
    }

    /// Every slot, in index order.
    pub fn slots_ref(&self) -> &[Vec<Arrival>] {
        &self.slots
    }

    /// Every slot, in index order (for checkpoints).
    pub fn slots_mut(&mut self) -> &mut [Vec<Arrival>] {
        &mut self.slots
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_back_at_their_arrival_step_only() {
        let mut ring = EventRing::new(3);
        ring.slot_mut(5).push(Arrival {
            target: 1,
            weight: 0.5,
        });
        ring.slot_mut(7).push(Arrival {
            target: 2,
            weight: 1.0,
        });
        assert!(ring.slot(4).is_empty() && ring.slot(6).is_empty());
        assert_eq!(
            ring.slot(5),
            &[Arrival {
                target: 1,
                weight: 0.5
            }]
        );
        ring.clear(5);
        assert!(ring.slot(5).is_empty());
        assert_eq!(ring.slot(7).len(), 1);
        assert_eq!(ring.slots(), 4);
    }
}
