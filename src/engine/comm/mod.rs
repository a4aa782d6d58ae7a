//! What a run needs from the other processes of an MPI job: the few
//! collectives the spike exchange, the network build and the gathering of
//! results use. [`Solo`] is the one-process case (every collective is the
//! identity); `MpiComm` (feature `mpi`) runs them over MPI.
//!
//! Every method is collective: all ranks call it, in the same order, from
//! their main thread (MPI is initialised with `MPI_THREAD_FUNNELED`).

#[cfg(feature = "mpi")]
pub mod mpi;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// A reduction over ranks.
pub enum Reduce {
    /// The smallest value.
    Min,
    /// The largest value.
    Max,
    /// The sum.
    Sum,
}

/// The process layer: this rank's index, the number of ranks and the collective operations
/// between them (one process without MPI).
pub trait Comm: Sync {
    /// This process's rank, from 0.
    fn rank(&self) -> usize;
    /// Number of ranks.
    fn ranks(&self) -> usize;

    /// Element-wise reduction of `values` over all ranks, in place.
    fn all_reduce(&self, values: &mut [u64], op: Reduce);

    /// Every rank's `mine`, concatenated in rank order into `all`;
    /// `lengths[r]` is rank `r`'s byte count. Returns every rank's `vote`
    /// or-ed (it travels with the byte counts, at no extra message).
    fn all_gather_bytes(
        &self,
        mine: &[u8],
        vote: u8,
        all: &mut Vec<u8>,
        lengths: &mut Vec<usize>,
    ) -> u8;

    /// Every rank's `mine`, on rank 0 (in rank order); `None` elsewhere.
    fn gather_bytes(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>>;

    /// Rank 0's `value`, on every rank.
    fn broadcast_u64(&self, value: u64) -> u64;

    /// Stop every rank of the job after a failure that the others cannot
    /// be told of (they may be waiting in a collective).
    fn abort(&self, message: &str) -> !;

    /// The lowest rank whose `failed` is true, if any.
    fn first_failed(&self, failed: bool) -> Option<usize> {
        let mut first = [if failed { self.rank() as u64 } else { u64::MAX }];
        self.all_reduce(&mut first, Reduce::Min);
        (first[0] != u64::MAX).then_some(first[0] as usize)
    }
}

/// `result`, once every rank has reached this point: an error on any rank
/// is an error on all, so that none is left waiting in a later collective.
pub fn agreed<T>(
    comm: &dyn Comm,
    result: Result<T, crate::model::memory::MemoryError>,
) -> Result<T, crate::model::memory::MemoryError> {
    settle(comm.first_failed(result.is_err()), result, |rank| {
        crate::model::memory::MemoryError(format!(
            "rank {rank} of the run could not allocate its part of the network"
        ))
    })
}

/// A rank's own `result` given the lowest failing rank of the run
/// (`first_failed`): its own error if it failed, `elsewhere(rank)` if
/// only another rank did.
pub fn settle<T, E>(
    first_failed: Option<usize>,
    result: Result<T, E>,
    elsewhere: impl FnOnce(usize) -> E,
) -> Result<T, E> {
    match (first_failed, result) {
        (_, Err(e)) => Err(e),
        (Some(rank), Ok(_)) => Err(elsewhere(rank)),
        (None, Ok(v)) => Ok(v),
    }
}

/// One process: no other rank to talk to.
pub struct Solo;

impl Comm for Solo {
    fn rank(&self) -> usize {
        0
    }

    fn ranks(&self) -> usize {
        1
    }

    fn all_reduce(&self, _values: &mut [u64], _op: Reduce) {}

    fn all_gather_bytes(
        &self,
        mine: &[u8],
        vote: u8,
        all: &mut Vec<u8>,
        lengths: &mut Vec<usize>,
    ) -> u8 {
        all.clear();
        all.extend_from_slice(mine);
        lengths.clear();
        lengths.push(mine.len());
        vote
    }

    fn gather_bytes(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>> {
        Some(vec![mine.to_vec()])
    }

    fn broadcast_u64(&self, value: u64) -> u64 {
        value
    }

    fn abort(&self, message: &str) -> ! {
        eprintln!("error: {message}");
        std::process::exit(1)
    }
}

/// The launch environment of an MPI job, read before (and without) MPI:
/// `(rank, ranks)` when this process was started by `mpirun` / `mpiexec`
/// (Open MPI, PMIx or MPICH's Hydra), else `None`.
pub fn launched_by_mpirun() -> Option<(usize, usize)> {
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok()?.trim().parse::<usize>().ok())
    };
    let size = var(&["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"]);
    let rank = var(&["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"]);
    match (rank, size) {
        (Some(rank), Some(size)) => Some((rank, size)),
        (Some(rank), None) => Some((rank, rank + 1)),
        (None, Some(size)) => Some((0, size)),
        (None, None) => None,
    }
}

/// Ranks of the job that share this machine (`OMPI_COMM_WORLD_LOCAL_SIZE`),
/// at least 1: they share its memory.
pub fn ranks_on_this_machine() -> usize {
    std::env::var("OMPI_COMM_WORLD_LOCAL_SIZE")
        .or_else(|_| std::env::var("MPI_LOCALNRANKS"))
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(1usize)
        .max(1)
}
