//! A calendar queue for the event engine: future events wait unsorted in
//! buckets one epoch wide, and only the events due in the current epoch
//! (and any that arrive late into it) are kept in a small binary heap.
//! Pushing a future event costs O(1); popping costs O(log k) for the k
//! events of one epoch rather than O(log n) for all n events in flight.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::engine::persist::{Persist, Snapshot};

/// Buckets in the ring; events further ahead wait in an overflow heap.
const BUCKETS: usize = 1024;

/// A calendar queue of events keyed by time: a ring of buckets one width wide, with a heap for
/// events further ahead; pops events of the current bucket in order.
pub struct Calendar<E: Ord> {
    width: f64,
    /// Bucket index of the current epoch.
    base: u64,
    buckets: Vec<Vec<E>>,
    /// Due now (the current epoch and anything older): popped in order.
    now: BinaryHeap<std::cmp::Reverse<E>>,
    /// Beyond the ring.
    overflow: BinaryHeap<std::cmp::Reverse<(u64, E)>>,
}

impl<E: Ord> Calendar<E> {
    /// A calendar with buckets `width` seconds wide (the epoch length).
    pub fn new(width: f64) -> Self {
        Self {
            width: if width.is_finite() && width > 0.0 {
                width
            } else {
                f64::MAX
            },
            base: 0,
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            now: BinaryHeap::new(),
            overflow: BinaryHeap::new(),
        }
    }

    fn bucket_of(&self, time: f64) -> u64 {
        let b = (time / self.width).floor();
        if b <= 0.0 { 0 } else { b as u64 }
    }

    /// Schedules `event` at `time` (seconds).
    pub fn push(&mut self, time: f64, event: E) {
        let b = self.bucket_of(time);
        if b <= self.base {
            // Due in the current epoch, or placed in an earlier bucket by
            // rounding: either way, ordered with the current events.
            self.now.push(std::cmp::Reverse(event));
        } else if b - self.base < BUCKETS as u64 {
            self.buckets[(b % BUCKETS as u64) as usize].push(event);
        } else {
            self.overflow.push(std::cmp::Reverse((b, event)));
        }
    }

    /// Make epoch `epoch` (bucket index) the current one.
    pub fn advance_to(&mut self, epoch: u64) {
        while self.base < epoch {
            self.base += 1;
            let i = (self.base % BUCKETS as u64) as usize;
            let due = std::mem::take(&mut self.buckets[i]);
            self.now.extend(due.into_iter().map(std::cmp::Reverse));
            // Overflow events that now fall inside the ring (or are due).
            while let Some(std::cmp::Reverse((b, _))) = self.overflow.peek() {
                if *b - self.base >= BUCKETS as u64 && *b > self.base {
                    break;
                }
                let Some(std::cmp::Reverse((b, e))) = self.overflow.pop() else {
                    break;
                };
                if b <= self.base {
                    self.now.push(std::cmp::Reverse(e));
                } else {
                    self.buckets[(b % BUCKETS as u64) as usize].push(e);
                }
            }
        }
    }

    /// The earliest event of the current bucket, if any.
    pub fn peek(&self) -> Option<&E> {
        self.now.peek().map(|r| &r.0)
    }

    /// Removes and returns the earliest event of the current bucket.
    pub fn pop(&mut self) -> Option<E> {
        self.now.pop().map(|r| r.0)
    }
}

/// The whole calendar, buckets and heaps in their exact internal order:
/// events that compare equal leave the heaps in the order their layout
/// gives, and that order decides results.
impl<E: Ord + Clone + Default + Persist> Persist for Calendar<E> {
    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("calendar");
        s.same_f64("bucket width", self.width);
        s.scalar(&mut self.base);
        s.count("buckets", self.buckets.len());
        for bucket in &mut self.buckets {
            s.seq(bucket, E::default(), |s, e| e.persist(s));
        }
        persist_heap(s, &mut self.now, Reverse(E::default()), |s, r| {
            r.0.persist(s)
        });
        let blank = Reverse((0, E::default()));
        persist_heap(s, &mut self.overflow, blank, |s, r| {
            s.scalar(&mut r.0.0);
            r.0.1.persist(s);
        });
    }
}

/// A binary heap as its internal array. Loading rebuilds the heap from the
/// array, which leaves a valid heap's layout as it is; an array that is
/// not a heap is refused.
fn persist_heap<T: Ord + Clone>(
    s: &mut Snapshot,
    heap: &mut BinaryHeap<T>,
    blank: T,
    each: impl FnMut(&mut Snapshot, &mut T),
) {
    let mut items = heap.as_slice().to_vec();
    s.seq(&mut items, blank, each);
    if s.is_saving() || s.error().is_some() {
        return;
    }
    if (1..items.len()).any(|i| items[(i - 1) / 2] < items[i]) {
        return s.invalid("a heap's array is out of heap order");
    }
    *heap = BinaryHeap::from(items);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events come out in time order across epochs, including ones pushed
    /// far ahead (overflow) and late ones.
    #[test]
    fn pops_in_order_epoch_by_epoch() {
        let width = 1e-4;
        let mut cal: Calendar<(u64, u32)> = Calendar::new(width);
        // Times as integer nanoseconds in the events, to compare exactly.
        let times: Vec<u64> = (0..5000u64).map(|i| (i * 7919) % 300_000_000).collect();
        for (i, &t) in times.iter().enumerate() {
            cal.push(t as f64 * 1e-9, (t, i as u32));
        }
        let mut out = Vec::new();
        let epochs = (0.3 / width) as u64 + 2;
        for e in 0..epochs {
            cal.advance_to(e);
            let end = (e + 1) as f64 * width;
            while let Some(&(t, _)) = cal.peek() {
                if t as f64 * 1e-9 >= end {
                    break;
                }
                out.push(cal.pop().unwrap().0);
            }
        }
        let mut sorted = times.clone();
        sorted.sort_unstable();
        assert_eq!(out, sorted);
    }

    /// Ordered by time only: events that tie leave the heap in the order
    /// its layout gives, which a restored calendar must reproduce.
    #[derive(Debug, Clone, Copy, Default)]
    struct Tie {
        time: u64,
        payload: u32,
    }
    impl PartialEq for Tie {
        fn eq(&self, other: &Self) -> bool {
            self.time == other.time
        }
    }
    impl Eq for Tie {}
    impl PartialOrd for Tie {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Tie {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            self.time.cmp(&other.time)
        }
    }
    impl Persist for Tie {
        fn persist(&mut self, s: &mut Snapshot) {
            s.scalar(&mut self.time);
            s.scalar(&mut self.payload);
        }
    }

    fn drain(cal: &mut Calendar<Tie>, epochs: std::ops::Range<u64>, width: f64) -> Vec<u32> {
        let mut out = Vec::new();
        for e in epochs {
            cal.advance_to(e);
            while let Some(t) = cal.peek() {
                if t.time as f64 * 1e-9 >= (e + 1) as f64 * width {
                    break;
                }
                out.push(cal.pop().unwrap().payload);
            }
        }
        out
    }

    /// Saved in the middle of an epoch, with ties in the heap, the buckets
    /// and the overflow, a restored calendar pops exactly what the
    /// original pops, in the same order.
    #[test]
    fn a_restored_calendar_pops_ties_in_the_same_order() {
        let width = 1e-6;
        let mut cal: Calendar<Tie> = Calendar::new(width);
        for i in 0..20_000u64 {
            // Times in ns: 3000 distinct ones, so about 7 events tie at
            // each; some beyond the ring's reach (overflow).
            let time = (i * 7919) % 3000 * 100 + if i % 97 == 0 { 2_000_000 } else { 0 };
            let payload = (i * 2_654_435_761 % 1_000_003) as u32;
            cal.push(time as f64 * 1e-9, Tie { time, payload });
        }
        cal.advance_to(40);
        for _ in 0..30 {
            cal.pop();
        }
        let mut s = Snapshot::saving();
        cal.persist(&mut s);
        let bytes = s.into_bytes();
        let mut restored: Calendar<Tie> = Calendar::new(width);
        let mut s = Snapshot::loading(&bytes);
        restored.persist(&mut s);
        s.finish().unwrap();
        let a = drain(&mut cal, 40..2400, width);
        let b = drain(&mut restored, 40..2400, width);
        assert_eq!(a.len(), 20_000 - 30);
        assert!(a == b, "the restored calendar popped in another order");
        let mut other: Calendar<Tie> = Calendar::new(width);
        let mut s = Snapshot::loading(&bytes[..bytes.len() - 4]);
        other.persist(&mut s);
        assert!(s.finish().is_err());
    }
}
