//! Which worker thread advances which neurons.
//!
//! Each population is cut into contiguous slices (large populations into one
//! slice per thread, small ones kept whole) and the slices are dealt to the
//! workers so that every worker gets about the same number of neurons.
//! Results never depend on this plan: a neuron's inputs reach it in the same
//! order whichever worker owns it, and every random stream is keyed by
//! population or neuron, not by slice.

/// Populations smaller than this are never split: a slice must be worth a
/// thread's time.
pub const MIN_SLICE: u32 = 256;

/// Populations up to this size stay in one slice whatever the thread count.
pub const MAX_UNSPLIT: u32 = 2 * MIN_SLICE - 1;

#[derive(Debug, Clone, PartialEq, Eq)]
/// A contiguous part of one population given to one worker.
pub struct SlicePlan {
    /// Index of the population.
    pub population: usize,
    /// First neuron of the slice within its population.
    pub offset: u32,
    /// Number of neurons.
    pub len: u32,
    /// The global index of the worker that advances it.
    pub worker: usize,
}

/// Which of the run's processes this is: rank `rank` of `ranks`, each with
/// `threads` workers. Rank `r` owns the global workers
/// `r * threads .. (r + 1) * threads` of a plan made for `ranks * threads`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankShare {
    /// This process's rank.
    pub rank: usize,
    /// Number of ranks (processes).
    pub ranks: usize,
    /// Worker threads per rank.
    pub threads: usize,
}

impl RankShare {
    /// One process holding every worker.
    pub fn solo(threads: usize) -> Self {
        Self {
            rank: 0,
            ranks: 1,
            threads: threads.max(1),
        }
    }

    /// Workers of the whole run.
    pub fn workers(&self) -> usize {
        self.ranks.max(1) * self.threads.max(1)
    }

    /// The rank that owns the global worker `worker`.
    pub fn rank_of(&self, worker: usize) -> usize {
        worker / self.threads.max(1)
    }

    /// This rank's worker index of a global worker it owns.
    pub fn local(&self, worker: usize) -> Option<usize> {
        (self.rank_of(worker) == self.rank).then(|| worker % self.threads.max(1))
    }
}

/// Slices in population order (and offset order within a population).
pub fn plan(sizes: &[u32], threads: usize) -> Vec<SlicePlan> {
    plan_grouped(sizes, &vec![1; sizes.len()], threads)
}

/// As `plan`, with every slice of population `p` holding whole groups of
/// `granules[p]` neurons (which divides its size).
pub fn plan_grouped(sizes: &[u32], granules: &[u32], threads: usize) -> Vec<SlicePlan> {
    plan_for(sizes, granules, RankShare::solo(threads))
}

/// The plan of a run on `share.ranks` processes: made for all their workers,
/// with equally loaded workers taken rank by rank in turn, so that slices
/// go to every rank before a rank gets a second one.
pub fn plan_for(sizes: &[u32], granules: &[u32], share: RankShare) -> Vec<SlicePlan> {
    let threads = share.workers();
    let mut slices = Vec::new();
    for (population, (&size, &granule)) in sizes.iter().zip(granules).enumerate() {
        let groups = size / granule;
        let parts = (size / MIN_SLICE).min(groups).clamp(1, threads as u32);
        let mut offset = 0;
        for part in 0..parts {
            // Near-equal contiguous parts: the first `groups % parts` get one group more.
            let len = granule * (groups / parts + u32::from(part < groups % parts));
            slices.push(SlicePlan {
                population,
                offset,
                len,
                worker: 0,
            });
            offset += len;
        }
    }
    assign(&mut slices, share);
    slices
}

/// Ranks of the run that own no slice of `plan`.
pub fn idle_ranks(plan: &[SlicePlan], share: RankShare) -> usize {
    let mut busy = vec![false; share.ranks.max(1)];
    for s in plan {
        busy[share.rank_of(s.worker)] = true;
    }
    busy.iter().filter(|b| !**b).count()
}

/// Largest slices first, each to the least loaded worker; ties go to the
/// lowest thread index, then to the lowest rank (with one rank: the lowest
/// worker index).
fn assign(slices: &mut [SlicePlan], share: RankShare) {
    let threads = share.workers();
    let mut order: Vec<usize> = (0..slices.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(slices[i].len), i));
    let mut load = vec![0u64; threads];
    let turn = |w: usize| (w % share.threads.max(1), share.rank_of(w));
    for i in order {
        let worker = (0..threads)
            .min_by_key(|&w| (load[w], turn(w)))
            .unwrap_or(0);
        slices[i].worker = worker;
        load[worker] += slices[i].len as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_neuron_is_in_exactly_one_slice() {
        for threads in [1, 2, 3, 8] {
            let sizes = [3200, 800, 1, 5000, 255];
            let slices = plan(&sizes, threads);
            for (p, &size) in sizes.iter().enumerate() {
                let mut next = 0;
                for s in slices.iter().filter(|s| s.population == p) {
                    assert_eq!(s.offset, next);
                    next += s.len;
                    assert!(s.worker < threads);
                }
                assert_eq!(next, size);
            }
        }
    }

    #[test]
    fn grouped_slices_hold_whole_groups() {
        let slices = plan_grouped(&[3000, 900], &[30, 1], 4);
        for s in slices.iter().filter(|s| s.population == 0) {
            assert_eq!(s.offset % 30, 0);
            assert_eq!(s.len % 30, 0);
        }
        assert_eq!(slices.iter().map(|s| s.len).sum::<u32>(), 3900);
    }

    #[test]
    fn slices_reach_every_rank_before_any_rank_gets_two() {
        // 4 slices, 3 ranks of 2 threads: the plain order would leave rank 2 idle.
        let share = RankShare {
            rank: 0,
            ranks: 3,
            threads: 2,
        };
        let slices = plan_for(&[800, 200], &[1, 1], share);
        assert_eq!(slices.len(), 4);
        assert_eq!(idle_ranks(&slices, share), 0);
        let ranks: Vec<usize> = slices.iter().map(|s| share.rank_of(s.worker)).collect();
        for r in 0..3 {
            assert!(ranks.contains(&r));
        }
        // One rank: the plan of the threads alone.
        assert_eq!(
            plan_for(&[800, 200], &[1, 1], RankShare::solo(4)),
            plan(&[800, 200], 4)
        );
    }

    #[test]
    fn load_is_balanced() {
        let slices = plan(&[3200, 800], 2);
        let mut load = [0u32; 2];
        for s in &slices {
            load[s.worker] += s.len;
        }
        assert_eq!(load, [2000, 2000]);
    }
}
