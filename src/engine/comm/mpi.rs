//! [`Comm`] over MPI (rsmpi on the system's Open MPI).

use mpi::collective::SystemOperation;
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use mpi::{Count, Threading};

use super::{Comm, Reduce};

/// Largest piece of a rank's results sent to rank 0 in one collective:
/// bounds the buffers, and keeps each count within MPI's `int`.
const GATHER_CHUNK: usize = 64 << 20;

/// The job's world communicator. MPI stays initialised while this lives.
pub struct MpiComm {
    world: SimpleCommunicator,
    _universe: Universe,
}

// MPI is initialised with MPI_THREAD_FUNNELED: the communicator is only used
// from the main thread (worker 0 runs there, see `exchange::on_workers`);
// the other workers hold a reference but never call it.
unsafe impl Sync for MpiComm {}

impl MpiComm {
    /// Initialise MPI (threads funnelled through the main thread). `None`
    /// when it was initialised before or the library refuses.
    pub fn init() -> Option<Self> {
        let (universe, threading) = mpi::initialize_with_threading(Threading::Funneled)?;
        let world = universe.world();
        if threading < Threading::Funneled {
            world.abort_with("this MPI library offers no thread support (MPI_THREAD_FUNNELED)");
        }
        Some(Self {
            world,
            _universe: universe,
        })
    }

    /// Stop every rank when this process panics: the others may be in a
    /// collective that would otherwise wait for it forever.
    pub fn abort_on_panic() {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            previous(info);
            unsafe {
                mpi::ffi::MPI_Abort(mpi::ffi::RSMPI_COMM_WORLD, 1);
            }
        }));
    }
}

trait AbortWith {
    fn abort_with(&self, message: &str) -> !;
}

impl AbortWith for SimpleCommunicator {
    fn abort_with(&self, message: &str) -> ! {
        eprintln!("error: rank {}: {message}", self.rank());
        self.abort(1)
    }
}

fn counts_and_displacements(lengths: &[usize]) -> (Vec<Count>, Vec<Count>) {
    let counts: Vec<Count> = lengths.iter().map(|&l| l as Count).collect();
    let displs = counts
        .iter()
        .scan(0, |at, &c| {
            let d = *at;
            *at += c;
            Some(d)
        })
        .collect();
    (counts, displs)
}

impl Comm for MpiComm {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn ranks(&self) -> usize {
        self.world.size() as usize
    }

    fn all_reduce(&self, values: &mut [u64], op: Reduce) {
        let op = match op {
            Reduce::Min => SystemOperation::min(),
            Reduce::Max => SystemOperation::max(),
            Reduce::Sum => SystemOperation::sum(),
        };
        let mine = values.to_vec();
        self.world.all_reduce_into(&mine[..], values, op);
    }

    fn all_gather_bytes(
        &self,
        mine: &[u8],
        vote: u8,
        all: &mut Vec<u8>,
        lengths: &mut Vec<usize>,
    ) -> u8 {
        if mine.len() > Count::MAX as usize {
            self.world
                .abort_with("an epoch's spikes exceed 2 GiB on one rank: use more ranks");
        }
        // The vote rides above the count's 31 bits.
        let word = mine.len() as u64 | (vote as u64) << 32;
        let mut words = vec![0u64; self.ranks()];
        self.world.all_gather_into(&word, &mut words[..]);
        let votes = words.iter().fold(0u8, |v, &w| v | (w >> 32) as u8);
        let total: usize = words.iter().map(|&w| (w & 0xffff_ffff) as usize).sum();
        if total > Count::MAX as usize {
            self.world
                .abort_with("an epoch's spikes exceed 2 GiB in all: use a shorter minimum delay");
        }
        lengths.clear();
        lengths.extend(words.iter().map(|&w| (w & 0xffff_ffff) as usize));
        all.clear();
        // No rank has anything: every rank knows it, and skips the second call.
        if total == 0 {
            return votes;
        }
        all.resize(total, 0);
        let (counts, displs) = counts_and_displacements(lengths);
        let mut partition = PartitionMut::new(&mut all[..], counts, &displs[..]);
        // An empty slice's pointer is dangling; Open MPI refuses it even for
        // a count of 0, so an empty send points into a real buffer.
        let nothing = [0u8; 1];
        let mine = if mine.is_empty() { &nothing[..0] } else { mine };
        self.world.all_gather_varcount_into(mine, &mut partition);
        votes
    }

    fn gather_bytes(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>> {
        let ranks = self.ranks();
        let root = self.world.process_at_rank(0);
        let mut rounds = [mine.len().div_ceil(GATHER_CHUNK) as u64];
        self.all_reduce(&mut rounds, Reduce::Max);
        let mut gathered: Vec<Vec<u8>> = vec![Vec::new(); if self.rank() == 0 { ranks } else { 0 }];
        let mut lengths = vec![0 as Count; ranks];
        let mut buffer = Vec::new();
        let nothing = [0u8; 1];
        for round in 0..rounds[0] as usize {
            let start = (round * GATHER_CHUNK).min(mine.len());
            let piece = &mine[start..(start + GATHER_CHUNK).min(mine.len())];
            // Never an empty slice's dangling pointer (see all_gather_bytes).
            let piece = if piece.is_empty() {
                &nothing[..0]
            } else {
                piece
            };
            if self.rank() == 0 {
                root.gather_into_root(&(piece.len() as Count), &mut lengths[..]);
                let lengths: Vec<usize> = lengths.iter().map(|&c| c as usize).collect();
                let total: usize = lengths.iter().sum();
                buffer.clear();
                buffer.resize(total + 1, 0u8);
                let (counts, displs) = counts_and_displacements(&lengths);
                {
                    let mut partition =
                        PartitionMut::new(&mut buffer[..total], counts, &displs[..]);
                    root.gather_varcount_into_root(piece, &mut partition);
                }
                let mut at = 0;
                for (r, &len) in lengths.iter().enumerate() {
                    gathered[r].extend_from_slice(&buffer[at..at + len]);
                    at += len;
                }
            } else {
                root.gather_into(&(piece.len() as Count));
                root.gather_varcount_into(piece);
            }
        }
        (self.rank() == 0).then_some(gathered)
    }

    fn broadcast_u64(&self, value: u64) -> u64 {
        let mut value = value;
        self.world.process_at_rank(0).broadcast_into(&mut value);
        value
    }

    fn abort(&self, message: &str) -> ! {
        self.world.abort_with(message)
    }
}
