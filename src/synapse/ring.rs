//! Per-target input buffers indexed by arrival step, reused cyclically.
//!
//! A spike delivered with a delay of `d` steps at grid point `k` is added to
//! slot `(k + d) mod slots`; the target consumes slot `k + 1` during the step
//! `k → k + 1` and leaves it zeroed. With `slots = max_delay + 1`, every slot
//! a delivery can reach is distinct from the one being consumed.

#[derive(Debug, Clone)]
pub struct RingBuffer {
    size: usize,
    slots: usize,
    data: Vec<f64>,
}

impl RingBuffer {
    pub fn new(size: usize, max_delay: usize) -> Self {
        let slots = max_delay.max(1) + 1;
        Self {
            size,
            slots,
            data: vec![0.0; size * slots],
        }
    }

    /// The values that arrive at grid point `k`.
    #[inline]
    pub fn slot_mut(&mut self, k: u64) -> &mut [f64] {
        let start = (k % self.slots as u64) as usize * self.size;
        &mut self.data[start..start + self.size]
    }

    pub fn slots(&self) -> usize {
        self.slots
    }
}
