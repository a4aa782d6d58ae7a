//! Spike exchange between workers at the end of each epoch.
//!
//! Workers advance independently for one epoch (the shortest delay, so no
//! spike of the epoch can arrive within it), publish their spikes, and then
//! every worker reads every worker's spikes and delivers those that reach
//! its own neurons. The `Exchange` trait is the seam where a process-level
//! (MPI) implementation would go; `LocalExchange` serves threads in one
//! process with one spinning barrier per epoch: outboxes are double
//! buffered, so a worker may publish the next epoch's spikes while another
//! still reads this epoch's.

use std::sync::RwLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crossbeam::utils::CachePadded;

/// A spike as exchanged: grid step (clock engine) or time (event engine),
/// population, neuron index within the population.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    pub step: u64,
    pub time: f64,
    pub population: u32,
    pub neuron: u32,
    /// Multiplies the synaptic weight: 1 for a spike, the sent value for a
    /// graded output (an astrocyte's slow inward current).
    pub value: f64,
}

impl Spike {
    /// The order in which spikes are delivered, the same for any number of
    /// workers: by time, then population, then neuron.
    pub fn canonical_cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.step
            .cmp(&other.step)
            .then(self.time.total_cmp(&other.time))
            .then(self.population.cmp(&other.population))
            .then(self.neuron.cmp(&other.neuron))
    }
}

pub trait Exchange: Sync {
    /// Publish this worker's spikes of epoch `epoch` (emptying `spikes`),
    /// wait for the others, and fill `all` with every worker's spikes of the
    /// epoch in canonical order.
    fn exchange(&self, worker: usize, epoch: u64, spikes: &mut Vec<Spike>, all: &mut Vec<Spike>);
}

/// Spins before a waiting worker yields its core.
const SPIN_LIMIT: u32 = 1000;

/// A barrier whose waiters spin (with backoff) rather than sleep: on a
/// small machine a sleeping barrier costs tens of microseconds per epoch.
pub struct SpinBarrier {
    parties: usize,
    oversubscribed: bool,
    arrived: CachePadded<AtomicUsize>,
    generation: CachePadded<AtomicUsize>,
}

impl SpinBarrier {
    pub fn new(parties: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            parties,
            oversubscribed: parties > cores,
            arrived: CachePadded::new(AtomicUsize::new(0)),
            generation: CachePadded::new(AtomicUsize::new(0)),
        }
    }

    pub fn wait(&self) {
        if self.parties <= 1 {
            return;
        }
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.parties {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return;
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation {
            // Spin for a few microseconds, the usual wait on a quiet machine.
            // Past that the last worker is likely not running (more workers
            // than cores, or other programs on them): give it the core.
            if self.oversubscribed || spins >= SPIN_LIMIT {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
                spins += 1;
            }
        }
    }
}

/// Run `job` for every worker's share: worker 0 on this thread (the one
/// that reports `progress`), the others on scoped threads. Results come back
/// in worker order.
pub fn on_workers<T: Send, R: Send>(
    shares: Vec<T>,
    progress: &mut dyn FnMut(u64),
    job: impl Fn(usize, T, &mut dyn FnMut(u64)) -> R + Sync,
) -> Vec<R> {
    std::thread::scope(|scope| {
        let job = &job;
        let mut shares = shares.into_iter().enumerate();
        let (_, first) = shares.next().expect("at least one worker");
        let handles: Vec<_> = shares
            .map(|(w, share)| scope.spawn(move || job(w, share, &mut |_| {})))
            .collect();
        let mut results = vec![job(0, first, progress)];
        results.extend(
            handles
                .into_iter()
                .map(|h| h.join().expect("a worker panicked")),
        );
        results
    })
}

type Outbox = CachePadded<RwLock<Vec<Spike>>>;

/// Exchange between the threads of one process.
pub struct LocalExchange {
    /// `outboxes[epoch % 2][worker]`.
    outboxes: [Vec<Outbox>; 2],
    barrier: SpinBarrier,
}

impl LocalExchange {
    pub fn new(workers: usize) -> Self {
        let boxes = || {
            (0..workers)
                .map(|_| CachePadded::new(RwLock::new(Vec::new())))
                .collect()
        };
        Self {
            outboxes: [boxes(), boxes()],
            barrier: SpinBarrier::new(workers),
        }
    }
}

impl Exchange for LocalExchange {
    fn exchange(&self, worker: usize, epoch: u64, spikes: &mut Vec<Spike>, all: &mut Vec<Spike>) {
        let outboxes = &self.outboxes[(epoch % 2) as usize];
        {
            // Every reader of this buffer (two epochs ago) has since passed
            // the barrier of the previous epoch, so it is free to refill.
            let mut outbox = outboxes[worker].write().unwrap_or_else(|e| e.into_inner());
            outbox.clear();
            outbox.append(spikes);
        }
        self.barrier.wait();
        all.clear();
        for outbox in outboxes {
            all.extend_from_slice(&outbox.read().unwrap_or_else(|e| e.into_inner()));
        }
        // Each outbox is in canonical order already; several must be merged.
        if outboxes.len() > 1 {
            all.sort_unstable_by(Spike::canonical_cmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_worker_sees_every_spike_in_canonical_order() {
        let workers = 3;
        let exchange = LocalExchange::new(workers);
        let seen: Vec<Vec<Spike>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    let exchange = &exchange;
                    s.spawn(move || {
                        let mut all = Vec::new();
                        let mut seen = Vec::new();
                        for epoch in 0..50u64 {
                            let mut mine: Vec<Spike> = (0..w as u32 + 1)
                                .map(|n| Spike {
                                    step: epoch,
                                    time: 0.0,
                                    population: (2 - w) as u32,
                                    neuron: n,
                                    value: 1.0,
                                })
                                .collect();
                            exchange.exchange(w, epoch, &mut mine, &mut all);
                            seen.extend_from_slice(&all);
                        }
                        seen
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for s in &seen {
            assert_eq!(s, &seen[0]);
            assert_eq!(s.len(), 50 * 6);
            assert!(s.windows(2).all(|w| w[0].canonical_cmp(&w[1]).is_le()));
        }
    }
}
