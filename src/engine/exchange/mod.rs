//! Spike exchange between workers at the end of each epoch.
//!
//! Workers advance independently for one epoch (the shortest delay, so no
//! spike of the epoch can arrive within it), publish their spikes, and then
//! every worker reads every worker's spikes and delivers those that reach
//! its own neurons. One interface, two implementations: [`LocalExchange`]
//! serves the threads of one process, [`RankExchange`] the threads of every
//! process of an MPI job (see [`crate::engine::comm`]).

mod local;
mod ranks;

use std::sync::atomic::{AtomicUsize, Ordering};

use crossbeam::utils::CachePadded;

pub use local::LocalExchange;
pub use ranks::{Encoding, ExchangeStats, RankExchange, global_ids_fit};

/// A spike as exchanged: grid step (clock engine) or time (event engine),
/// population, neuron index within the population.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    /// The grid step of the spike.
    pub step: u64,
    /// Its time, seconds (exact in the event engine).
    pub time: f64,
    /// Index of the population that fired.
    pub population: u32,
    /// Index of the neuron within it.
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

/// What a worker asks of the others at the end of an epoch, as bits: the
/// exchange returns every worker's (of every rank) bits or-ed together, so
/// that all of them end a segment of the run at the same epoch.
pub type Vote = u8;

/// The bits of a [`Vote`].
pub mod vote {
    /// Nothing asked.
    pub const NONE: u8 = 0;
    /// Stop the run (SIGINT or SIGTERM).
    pub const STOP: u8 = 1;
    /// A recording buffer is full: end the segment so it can be written.
    pub const FLUSH: u8 = 2;
    /// A state variable is no longer finite: stop the run.
    pub const FAULT: u8 = 4;
}

/// How workers share each epoch's spikes: threads of one process, or processes of an MPI run.
pub trait Exchange: Sync {
    /// Publish this worker's spikes of epoch `epoch` (emptying `spikes`)
    /// and its `vote`, wait for the others, and fill `all` with every
    /// worker's spikes of the epoch in canonical order. Returns every
    /// worker's vote of the epoch, or-ed.
    fn exchange(
        &self,
        worker: usize,
        epoch: u64,
        spikes: &mut Vec<Spike>,
        all: &mut Vec<Spike>,
        vote: Vote,
    ) -> Vote;

    /// The lowest process of the run whose `failed` is true, if any (called
    /// by the main thread only, before the workers start): a failure on one
    /// rank then stops them all instead of leaving the others waiting in an
    /// exchange.
    fn first_failed(&self, failed: bool) -> Option<usize> {
        failed.then_some(0)
    }

    /// What exchanging between processes cost, if this exchange does.
    fn stats(&self) -> Option<ExchangeStats> {
        None
    }
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
    /// A barrier for `parties` threads that spins instead of sleeping (epochs are short).
    pub fn new(parties: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // The other ranks of an MPI job on this machine run as many workers.
        let here = crate::engine::comm::ranks_on_this_machine();
        Self {
            parties,
            oversubscribed: parties * here > cores,
            arrived: CachePadded::new(AtomicUsize::new(0)),
            generation: CachePadded::new(AtomicUsize::new(0)),
        }
    }

    /// Waits until every party has arrived.
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
