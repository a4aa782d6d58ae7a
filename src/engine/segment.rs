//! Runs in segments: every engine advances the network for a stretch of
//! epochs and then stops at an epoch boundary, where the recordings of the
//! stretch leave memory (appended to the output file) and a checkpoint may
//! be written. Where a segment ends is agreed by every worker of every rank
//! through the vote that travels with the spike exchange, so all stop at
//! the same epoch: a full recording buffer, SIGINT/SIGTERM or a state gone
//! non-finite ends one early; a checkpoint or the end of the run is planned.
//!
//! What a worker does between epochs is the same in a segmented run as in a
//! single sweep: segments change when recordings are written, never a
//! number.

use crate::engine::comm::{Comm, settle};
use crate::engine::exchange::{Exchange, Vote, vote};
use crate::engine::finite::NonFinite;
use crate::engine::gather;
use crate::engine::persist::PersistError;
use crate::io::results::Results;
use crate::model::memory::MemoryError;

/// Recording memory per process by default (spikes, traces, weights held
/// between two writes).
pub const DEFAULT_BUFFER: usize = 64 << 20;

/// What the caller asks of a segmented run.
pub struct Control<'a> {
    /// Grid steps between checkpoints (each at the first epoch boundary at
    /// or after a multiple), if any.
    pub checkpoint_every: Option<u64>,
    /// Recording memory per process.
    pub buffer_bytes: usize,
    /// Whether the run has been asked to stop (read at epoch boundaries).
    pub stop: &'a (dyn Fn() -> bool + Sync),
}

impl Control<'_> {
    /// One sweep with the default buffer, never stopped, no checkpoint.
    pub fn plain() -> Control<'static> {
        Control {
            checkpoint_every: None,
            buffer_bytes: DEFAULT_BUFFER,
            stop: &|| false,
        }
    }
}

/// A run's share of an engine (one rank's workers) that advances in segments.
pub trait Segmented {
    /// Grid steps of the whole run.
    fn steps(&self) -> u64;
    /// Grid steps done (an epoch boundary, or the end).
    fn reached(&self) -> u64;
    /// Advance to the first epoch boundary at or after `until` (at most the
    /// end), or to an earlier one where a worker of any rank voted; returns
    /// the votes of the epoch the segment ended with. A worker votes
    /// [`vote::FLUSH`] once its recordings hold more than `budget` bytes.
    fn advance(
        &mut self,
        until: u64,
        budget: usize,
        stop: &(dyn Fn() -> bool + Sync),
        exchange: &dyn Exchange,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Vote, RunError>;
    /// The recordings of this rank's neurons since the last call (the run's
    /// metadata in `info` but its timings), emptying the buffers.
    fn take(&mut self) -> Result<Results, MemoryError>;
    /// Everything the run needs to go on from here, as bytes.
    fn save(&mut self) -> Vec<u8>;
    /// Go on from `bytes` saved by [`Segmented::save`] at step `reached`
    /// by a run of the same model, ranks and threads.
    fn load(&mut self, bytes: &[u8]) -> Result<(), PersistError>;
    /// Spikes delivered to a synapse so far.
    fn synaptic_events(&self) -> u64;
    /// The earliest state of this rank that went non-finite, once a
    /// worker voted [`vote::FAULT`].
    fn fault(&mut self) -> Option<NonFinite>;
}

/// Why a run did not finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    /// The run does not fit in memory.
    Memory(#[from] MemoryError),
    /// Writing the results or a checkpoint failed (said once, on rank 0).
    #[error("{0}")]
    Output(String),
    /// Restoring a checkpoint failed.
    #[error("{0}")]
    Resume(String),
    /// A state variable became NaN or infinite.
    #[error("{0}")]
    NonFinite(String),
}

/// Where the recordings go, on rank 0.
pub trait Sink {
    /// Append a segment (every rank's recordings of it, merged).
    fn append(&mut self, segment: Results) -> Result<(), String>;
    /// Everything appended so far on disk (before a checkpoint).
    fn flush(&mut self) -> Result<(), String> {
        Ok(())
    }
    /// Where every dataset stands, for a checkpoint.
    fn positions(&self) -> Vec<u64> {
        Vec::new()
    }
}

/// A sink that keeps the whole run in memory (the library's [`Results`]).
#[derive(Default)]
pub struct Collect(pub Option<Results>);

impl Sink for Collect {
    fn append(&mut self, segment: Results) -> Result<(), String> {
        match &mut self.0 {
            None => self.0 = Some(segment),
            Some(all) => append_results(all, segment),
        }
        Ok(())
    }
}

/// `later`'s rows after `all`'s (same populations, traces and projections).
pub fn append_results(all: &mut Results, later: Results) {
    for (a, b) in all.spikes.iter_mut().zip(later.spikes) {
        a.steps.extend(b.steps);
        a.senders.extend(b.senders);
        if let (Some(t), Some(u)) = (a.times.as_mut(), b.times) {
            t.extend(u);
        }
    }
    for (a, b) in all.states.iter_mut().zip(later.states) {
        a.steps.extend(b.steps);
        a.values.extend(b.values);
        if a.unit.is_empty() {
            a.unit = b.unit;
        }
        a.threshold = a.threshold.or(b.threshold);
    }
    for (a, b) in all.weights.iter_mut().zip(later.weights) {
        a.steps.extend(b.steps);
        a.times.extend(b.times);
        a.values.extend(b.values);
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The run reached its end.
    Finished,
    /// Stopped on request at this grid step, its recordings written.
    Stopped(u64),
    /// A state went non-finite (the message says where); the recordings
    /// are written up to this grid step.
    Fault(u64, String),
}

/// What [`drive`] needs besides the engine.
pub struct Drive<'a> {
    /// Stop requests, checkpoint schedule and progress reports.
    pub control: &'a Control<'a>,
    /// The process layer.
    pub comm: &'a dyn Comm,
    /// The spike exchange between workers.
    pub exchange: &'a dyn Exchange,
    /// The neurons this rank holds, to merge the ranks' recordings.
    pub owned: &'a gather::Owned<'a>,
    /// Where the recordings go (rank 0; `None` elsewhere).
    pub sink: Option<&'a mut (dyn Sink + 'a)>,
    /// Writes a checkpoint at a grid step: every rank's saved state (rank 0
    /// gets them all, in rank order) and the sink's positions (rank 0).
    pub checkpoint: &'a mut Checkpointer<'a>,
}

/// Writes a checkpoint at a grid step: every rank's saved state (on rank
/// 0, in rank order; `None` elsewhere) and the sink's positions.
pub type Checkpointer<'a> =
    dyn FnMut(u64, Option<Vec<Vec<u8>>>, Vec<u64>) -> Result<(), String> + 'a;

/// Run `engine` to its end (or a requested stop) in segments.
pub fn drive(
    engine: &mut dyn Segmented,
    mut d: Drive,
    progress: &mut dyn FnMut(u64),
) -> Result<Ended, RunError> {
    let steps = engine.steps();
    let per_worker_budget = d.control.buffer_bytes / 2;
    loop {
        let from = engine.reached();
        let until = segment_end(from, steps, d.control.checkpoint_every);
        let votes = engine.advance(
            until,
            per_worker_budget,
            d.control.stop,
            d.exchange,
            progress,
        )?;
        let local = engine.take();
        let local = crate::engine::comm::agreed(d.comm, local)?;
        let merged = if d.comm.ranks() > 1 {
            gather::to_rank_zero(local, d.owned, d.comm)
        } else {
            Some(local)
        };
        let written = match (merged, d.sink.as_deref_mut()) {
            (Some(segment), Some(sink)) => sink.append(segment),
            _ => Ok(()),
        };
        agreed_output(d.comm, written)?;
        let reached = engine.reached();
        if votes & vote::FAULT != 0 {
            let fault = engine.fault();
            return Ok(Ended::Fault(reached, agreed_fault(d.comm, fault)));
        }
        if votes & vote::STOP != 0 && reached < steps {
            return Ok(Ended::Stopped(reached));
        }
        if reached >= steps {
            return Ok(Ended::Finished);
        }
        if d.control.checkpoint_every.is_some() && reached >= until {
            let mine = engine.save();
            let all = d.comm.gather_bytes(&mine);
            drop(mine);
            let written = match d.sink.as_deref_mut() {
                Some(sink) => sink
                    .flush()
                    .and_then(|()| (d.checkpoint)(reached, all, sink.positions())),
                None => Ok(()),
            };
            agreed_output(d.comm, written)?;
        }
    }
}

/// The grid step a segment from `from` should end at: the next checkpoint,
/// or the end of the run.
fn segment_end(from: u64, steps: u64, checkpoint_every: Option<u64>) -> u64 {
    match checkpoint_every {
        Some(every) if every > 0 => ((from / every + 1).saturating_mul(every)).min(steps),
        _ => steps,
    }
}

/// Rank 0's result of writing, on every rank.
fn agreed_output(comm: &dyn Comm, written: Result<(), String>) -> Result<(), RunError> {
    settle(comm.first_failed(written.is_err()), written, |_| {
        // Rank 0 says what went wrong; the others only stop.
        String::from("rank 0 could not write the results")
    })
    .map_err(RunError::Output)
}

/// The message of the run's earliest fault (by time, then rank), on rank 0
/// (the one that reports); a shorter note elsewhere.
fn agreed_fault(comm: &dyn Comm, fault: Option<NonFinite>) -> String {
    let mut time = [fault.as_ref().map_or(u64::MAX, |f| f.time.to_bits())];
    // Times are non-negative: their bits order as the numbers do.
    comm.all_reduce(&mut time, crate::engine::comm::Reduce::Min);
    let mine = fault.filter(|f| f.time.to_bits() == time[0]);
    let first = comm.first_failed(mine.is_some());
    let message = match (&mine, first) {
        (Some(f), Some(r)) if r == comm.rank() => f.to_string(),
        _ => String::new(),
    };
    match comm.gather_bytes(message.as_bytes()) {
        Some(all) => all
            .iter()
            .map(|m| String::from_utf8_lossy(m).to_string())
            .find(|m| !m.is_empty())
            .unwrap_or_else(|| "a state variable became NaN or infinite".into()),
        None => message,
    }
}

/// The vote of a worker at an epoch boundary.
pub fn worker_vote(stop: &(dyn Fn() -> bool + Sync), buffered: usize, budget: usize) -> Vote {
    let mut v = vote::NONE;
    if stop() {
        v |= vote::STOP;
    }
    if buffered > budget {
        v |= vote::FLUSH;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_end_at_checkpoints_and_at_the_end() {
        assert_eq!(segment_end(0, 100, None), 100);
        assert_eq!(segment_end(0, 100, Some(30)), 30);
        assert_eq!(segment_end(30, 100, Some(30)), 60);
        // An epoch boundary past a multiple: the next multiple.
        assert_eq!(segment_end(32, 100, Some(30)), 60);
        assert_eq!(segment_end(95, 100, Some(30)), 100);
    }
}
