//! Checks on the grid. A check (look again at a neuron, see `event.rs`) is
//! only a lower bound on when the neuron can cross its threshold, so the
//! event engine moves it down onto a multiple of `dt`. Those checks wait
//! here, one list per grid step, instead of in the priority queue: a check
//! touches only its own neuron, so the checks due at one time need no order
//! among themselves, and appending to and walking a list costs much less
//! than a heap push and pop. At high rates checks are most of the traffic.

use crate::engine::persist::{Persist, Snapshot};

/// Grid steps the ring reaches ahead; a check further ahead is moved
/// earlier, to the last step it reaches (still a lower bound).
const STEPS: u64 = 2048;

/// Checks due at grid steps, in step order: what the event engine does at the step boundaries
/// of a dt grid.
pub struct CheckGrid<T> {
    dt: f64,
    /// `1 / dt`: a multiplication is much cheaper than a division.
    per_step: f64,
    /// Step `k`'s checks are in `lists[k % STEPS]`; every pending step lies
    /// within `STEPS` steps of the current time.
    lists: Vec<Vec<T>>,
    /// No step before this one holds checks.
    first: u64,
    pending: usize,
}

impl<T> CheckGrid<T> {
    /// An empty grid of step `dt` (seconds).
    pub fn new(dt: f64) -> Self {
        Self {
            dt,
            per_step: 1.0 / dt,
            lists: (0..STEPS).map(|_| Vec::new()).collect(),
            first: 0,
            pending: 0,
        }
    }

    /// The grid step and time where a check asked for at `t` waits, when
    /// it is not in the past: the last grid time at or before `t`, after
    /// `now` (times are never negative, so truncation is the floor).
    pub fn slot(&self, t: f64, now: f64) -> Option<(u64, f64)> {
        let reach = (now * self.per_step) as u64 + STEPS - 2;
        let mut step = ((t * self.per_step) as u64).min(reach);
        // `t · (1/dt)` may round up across a step; the slot must not be later.
        if step as f64 * self.dt > t {
            step = step.saturating_sub(1);
        }
        let time = step as f64 * self.dt;
        (time > now).then_some((step, time))
    }

    /// Schedules `check` at step `step`.
    pub fn push(&mut self, step: u64, check: T) {
        self.lists[(step % STEPS) as usize].push(check);
        self.first = self.first.min(step);
        self.pending += 1;
    }

    /// The earliest step with checks, and its time.
    pub fn earliest(&mut self) -> Option<(u64, f64)> {
        if self.pending == 0 {
            return None;
        }
        while self.lists[(self.first % STEPS) as usize].is_empty() {
            self.first += 1;
        }
        Some((self.first, self.first as f64 * self.dt))
    }

    /// Take the checks of `step`; hand the list back with `restore`, which
    /// keeps its allocation.
    pub fn take(&mut self, step: u64) -> Vec<T> {
        let list = std::mem::take(&mut self.lists[(step % STEPS) as usize]);
        self.pending -= list.len();
        list
    }

    /// Hands back the list [`CheckGrid::take`] gave for `step`, emptied, keeping its
    /// allocation.
    pub fn restore(&mut self, step: u64, mut list: Vec<T>) {
        list.clear();
        let slot = &mut self.lists[(step % STEPS) as usize];
        if slot.is_empty() {
            *slot = list;
        }
    }
}

impl<T: Clone + Default + Persist> Persist for CheckGrid<T> {
    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("check grid");
        s.same_f64("dt", self.dt);
        s.count("grid lists", self.lists.len());
        for list in &mut self.lists {
            s.seq(list, T::default(), |s, c| c.persist(s));
        }
        s.scalar(&mut self.first);
        s.scalar(&mut self.pending);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks come out step by step in time order, each no later than
    /// asked for, none in the past, and far ones within the ring's reach.
    #[test]
    fn checks_wait_on_the_grid_no_later_than_asked() {
        let dt = 1e-4;
        let mut grid: CheckGrid<f64> = CheckGrid::new(dt);
        let mut now = 0.0;
        let mut asked = vec![3.05e-4, 1e-4, 0.7e-4, 2.5, 1.23e-3];
        for &t in &asked {
            if let Some((step, time)) = grid.slot(t, now) {
                assert!(time <= t && time > now);
                grid.push(step, t);
            }
        }
        // 0.7e-4 lies before the first grid time after 0: it has no slot.
        asked.retain(|&t| t >= 1e-4);
        let mut seen = Vec::new();
        while let Some((step, time)) = grid.earliest() {
            assert!(time >= now);
            now = time;
            let list = grid.take(step);
            seen.extend(list.iter().copied());
            grid.restore(step, list);
        }
        asked.sort_by(f64::total_cmp);
        assert_eq!(seen, asked);
        // The far one waited at the ring's reach, not at 2.5 s.
        assert!(now < (STEPS as f64) * dt);
    }
}
