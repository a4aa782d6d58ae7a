//! Exchange between the threads of one process: one spinning barrier per
//! epoch; outboxes are double buffered, so a worker may publish the next
//! epoch's spikes while another still reads this epoch's.

use std::sync::RwLock;

use crossbeam::utils::CachePadded;

use std::sync::atomic::{AtomicU8, Ordering};

use super::{Exchange, Spike, SpinBarrier, Vote};

type Outbox = CachePadded<RwLock<Vec<Spike>>>;

/// Exchange between the threads of one process.
pub struct LocalExchange {
    /// `outboxes[epoch % 2][worker]`.
    outboxes: [Vec<Outbox>; 2],
    /// `votes[epoch % 3]`: the workers' votes or-ed. Three, so that the
    /// one of the next epoch can be cleared while this one is read.
    votes: [CachePadded<AtomicU8>; 3],
    barrier: SpinBarrier,
}

impl LocalExchange {
    /// The exchange between `workers` threads of one process.
    pub fn new(workers: usize) -> Self {
        let boxes = || {
            (0..workers)
                .map(|_| CachePadded::new(RwLock::new(Vec::new())))
                .collect()
        };
        Self {
            outboxes: [boxes(), boxes()],
            votes: Default::default(),
            barrier: SpinBarrier::new(workers),
        }
    }
}

impl LocalExchange {
    /// Publish `worker`'s spikes and vote of `epoch` and wait until every
    /// worker has.
    pub(super) fn publish(&self, worker: usize, epoch: u64, spikes: &mut Vec<Spike>, vote: Vote) {
        // The slot of epoch + 1 was last read at epoch - 2, by workers that
        // have all since reached the barrier of epoch - 1; nobody writes it
        // before passing this epoch's barrier.
        self.votes[((epoch + 1) % 3) as usize].store(0, Ordering::Relaxed);
        self.votes[(epoch % 3) as usize].fetch_or(vote, Ordering::AcqRel);
        let outboxes = &self.outboxes[(epoch % 2) as usize];
        {
            // Every reader of this buffer (two epochs ago) has since passed
            // the barrier of the previous epoch, so it is free to refill.
            let mut outbox = outboxes[worker].write().unwrap_or_else(|e| e.into_inner());
            outbox.clear();
            outbox.append(spikes);
        }
        self.barrier.wait();
    }

    /// Every worker's published spikes of `epoch`, in canonical order.
    pub(super) fn collect(&self, epoch: u64, all: &mut Vec<Spike>) {
        let outboxes = &self.outboxes[(epoch % 2) as usize];
        all.clear();
        for outbox in outboxes {
            all.extend_from_slice(&outbox.read().unwrap_or_else(|e| e.into_inner()));
        }
        // Each outbox is in canonical order already; several must be merged.
        if outboxes.len() > 1 {
            all.sort_unstable_by(Spike::canonical_cmp);
        }
    }

    /// Every worker's vote of `epoch`, once all have published.
    pub(super) fn votes(&self, epoch: u64) -> Vote {
        self.votes[(epoch % 3) as usize].load(Ordering::Acquire)
    }

    pub(super) fn barrier(&self) -> &SpinBarrier {
        &self.barrier
    }
}

impl Exchange for LocalExchange {
    fn exchange(
        &self,
        worker: usize,
        epoch: u64,
        spikes: &mut Vec<Spike>,
        all: &mut Vec<Spike>,
        vote: Vote,
    ) -> Vote {
        self.publish(worker, epoch, spikes, vote);
        self.collect(epoch, all);
        self.votes(epoch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_worker_sees_every_spike_in_canonical_order_and_every_vote() {
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
                            // Worker w votes bit w at epochs that are multiples
                            // of w + 2: every worker must see the same or.
                            let vote = if epoch % (w as u64 + 2) == 0 {
                                1 << w
                            } else {
                                0
                            };
                            let votes = exchange.exchange(w, epoch, &mut mine, &mut all, vote);
                            let expected: u8 = (0..workers)
                                .filter(|v| epoch % (*v as u64 + 2) == 0)
                                .map(|v| 1u8 << v)
                                .sum();
                            assert_eq!(votes, expected, "epoch {epoch}");
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
