//! Exchange between the threads of every process of an MPI job.
//!
//! The threads of a rank gather their spikes as [`LocalExchange`] does;
//! worker 0 of each rank (the main thread, the only one that calls MPI)
//! then sends the rank's spikes of the epoch to every other rank with two
//! collectives (an all-gather of byte counts and an all-gather-v of the
//! bytes), decodes every rank's spikes, and puts them in canonical order;
//! a second barrier lets the rank's other workers read them.
//!
//! Encoding of one rank's spikes of one epoch (little-endian; nothing at
//! all for no spikes): the count
//! `n`; for grid-step spikes (clock engine, fixed-point mode) the first
//! step, then `n` global neuron ids (u32: population offset + neuron) and
//! `n` step offsets (u32); for exact-time spikes (event engine) `n` ids
//! and `n` times (f64). Graded values follow only for the spikes whose
//! value is not 1: their count, then (index, value) pairs. So a spike
//! costs 8 bytes on the grid and 12 with its exact time, instead of the
//! 40 of an in-memory [`Spike`].

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Instant;

use super::{Exchange, LocalExchange, Spike, Vote};
use crate::engine::comm::Comm;

/// How spike times travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Grid steps (`Spike::step`; `time` is 0).
    Steps,
    /// Exact times (`Spike::time`; `step` is 0).
    Times,
}

/// What this rank's exchanges cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ExchangeStats {
    /// Epochs (exchanges) of the run.
    pub epochs: u64,
    /// Spikes this rank sent, and the bytes it sent for them.
    pub spikes_sent: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Wall time spent encoding, in the collectives and decoding.
    pub seconds: f64,
}

impl ExchangeStats {
    /// Mean bytes sent per spike.
    pub fn bytes_per_spike(&self) -> f64 {
        self.bytes_sent as f64 / self.spikes_sent.max(1) as f64
    }

    /// Mean wall-clock seconds per epoch.
    pub fn seconds_per_epoch(&self) -> f64 {
        self.seconds / self.epochs.max(1) as f64
    }
}

/// The spike exchange between ranks (MPI processes), over [`crate::engine::comm::Comm`].
pub struct RankExchange<'a> {
    local: LocalExchange,
    comm: &'a dyn Comm,
    encoding: Encoding,
    /// Global id of each population's first neuron, and the total at the end.
    offsets: Vec<u64>,
    /// Every rank's spikes of an epoch, `global[epoch % 2]`.
    global: [RwLock<Vec<Spike>>; 2],
    /// Every worker's vote of every rank of an epoch, `votes[epoch % 2]`.
    votes: [AtomicU8; 2],
    stats: Mutex<ExchangeStats>,
}

impl<'a> RankExchange<'a> {
    /// For `workers` threads on this rank and populations of `sizes`
    /// neurons (at most `u32::MAX` neurons in all, see [`global_ids_fit`]).
    pub fn new(comm: &'a dyn Comm, workers: usize, sizes: &[u32], encoding: Encoding) -> Self {
        let mut offsets = vec![0u64];
        for &s in sizes {
            offsets.push(offsets.last().copied().unwrap_or(0) + s as u64);
        }
        Self {
            local: LocalExchange::new(workers),
            comm,
            encoding,
            offsets,
            global: [RwLock::new(Vec::new()), RwLock::new(Vec::new())],
            votes: Default::default(),
            stats: Mutex::new(ExchangeStats::default()),
        }
    }

    /// What the exchange sent so far.
    pub fn stats(&self) -> ExchangeStats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Worker 0's part: this rank's spikes out, every rank's spikes in.
    fn across_ranks(&self, epoch: u64) {
        let started = Instant::now();
        let mut mine = Vec::new();
        self.local.collect(epoch, &mut mine);
        let mut bytes = Vec::new();
        encode(&mine, self.encoding, &self.offsets, &mut bytes);
        let (mut all_bytes, mut lengths) = (Vec::new(), Vec::new());
        let votes = self.comm.all_gather_bytes(
            &bytes,
            self.local.votes(epoch),
            &mut all_bytes,
            &mut lengths,
        );
        self.votes[(epoch % 2) as usize].store(votes, Ordering::Release);
        let mut global = self.global[(epoch % 2) as usize]
            .write()
            .unwrap_or_else(|e| e.into_inner());
        global.clear();
        let mut at = 0;
        for len in lengths {
            decode(
                &all_bytes[at..at + len],
                self.encoding,
                &self.offsets,
                &mut global,
            );
            at += len;
        }
        // Each rank's part is in canonical order; the parts must be merged.
        global.sort_unstable_by(Spike::canonical_cmp);
        let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        stats.epochs += 1;
        stats.spikes_sent += mine.len() as u64;
        stats.bytes_sent += bytes.len() as u64;
        stats.seconds += started.elapsed().as_secs_f64();
    }
}

/// Whether every neuron of populations of `sizes` has a u32 global id.
pub fn global_ids_fit(sizes: &[u32]) -> bool {
    sizes.iter().map(|&s| s as u64).sum::<u64>() <= u32::MAX as u64
}

impl Exchange for RankExchange<'_> {
    fn exchange(
        &self,
        worker: usize,
        epoch: u64,
        spikes: &mut Vec<Spike>,
        all: &mut Vec<Spike>,
        vote: Vote,
    ) -> Vote {
        self.local.publish(worker, epoch, spikes, vote);
        if worker == 0 {
            self.across_ranks(epoch);
        }
        // Worker 0 has written the epoch's spikes; nobody writes them again
        // before every worker has passed the next epoch's first barrier.
        self.local.barrier().wait();
        all.clear();
        all.extend_from_slice(
            &self.global[(epoch % 2) as usize]
                .read()
                .unwrap_or_else(|e| e.into_inner()),
        );
        self.votes[(epoch % 2) as usize].load(Ordering::Acquire)
    }

    fn first_failed(&self, failed: bool) -> Option<usize> {
        self.comm.first_failed(failed)
    }

    fn stats(&self) -> Option<ExchangeStats> {
        Some(RankExchange::stats(self))
    }
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// `spikes` (in canonical order) as bytes; see the module's documentation.
pub fn encode(spikes: &[Spike], encoding: Encoding, offsets: &[u64], out: &mut Vec<u8>) {
    out.clear();
    // An epoch without spikes, the usual case at short delays, costs nothing.
    if spikes.is_empty() {
        return;
    }
    put_u32(out, spikes.len() as u32);
    let base = spikes.iter().map(|s| s.step).min().unwrap_or(0);
    if encoding == Encoding::Steps {
        put_u64(out, base);
    }
    for s in spikes {
        put_u32(
            out,
            (offsets[s.population as usize] + s.neuron as u64) as u32,
        );
    }
    for s in spikes {
        match encoding {
            // Steps of one epoch lie within the longest delay (u16) of each other.
            Encoding::Steps => put_u32(out, (s.step - base) as u32),
            Encoding::Times => put_u64(out, s.time.to_bits()),
        }
    }
    let graded = spikes.iter().filter(|s| s.value != 1.0).count();
    put_u32(out, graded as u32);
    for (i, s) in spikes.iter().enumerate().filter(|(_, s)| s.value != 1.0) {
        put_u32(out, i as u32);
        put_u64(out, s.value.to_bits());
    }
}

/// A little-endian reader of what [`encode`] wrote.
struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl Reader<'_> {
    fn u32(&mut self) -> u32 {
        let v = u32::from_le_bytes(
            self.bytes[self.at..self.at + 4]
                .try_into()
                .unwrap_or_default(),
        );
        self.at += 4;
        v
    }

    fn u64(&mut self) -> u64 {
        let v = u64::from_le_bytes(
            self.bytes[self.at..self.at + 8]
                .try_into()
                .unwrap_or_default(),
        );
        self.at += 8;
        v
    }
}

/// Append the spikes of one rank's `bytes` to `out`.
pub fn decode(bytes: &[u8], encoding: Encoding, offsets: &[u64], out: &mut Vec<Spike>) {
    if bytes.is_empty() {
        return;
    }
    let mut r = Reader { bytes, at: 0 };
    let n = r.u32() as usize;
    let base = match encoding {
        Encoding::Steps => r.u64(),
        Encoding::Times => 0,
    };
    let first = out.len();
    for _ in 0..n {
        let id = r.u32() as u64;
        let population = offsets.partition_point(|&o| o <= id) - 1;
        out.push(Spike {
            step: 0,
            time: 0.0,
            population: population as u32,
            neuron: (id - offsets[population]) as u32,
            value: 1.0,
        });
    }
    for s in &mut out[first..] {
        match encoding {
            Encoding::Steps => s.step = base + r.u32() as u64,
            Encoding::Times => s.time = f64::from_bits(r.u64()),
        }
    }
    for _ in 0..r.u32() {
        let i = r.u32() as usize;
        out[first + i].value = f64::from_bits(r.u64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spike(step: u64, time: f64, population: u32, neuron: u32, value: f64) -> Spike {
        Spike {
            step,
            time,
            population,
            neuron,
            value,
        }
    }

    #[test]
    fn decoding_gives_back_the_encoded_spikes_in_8_or_12_bytes_each() {
        let offsets = [0, 800, 1000, 1001];
        let on_grid = vec![
            spike(70, 0.0, 0, 799, 1.0),
            spike(70, 0.0, 2, 0, 0.25),
            spike(75, 0.0, 1, 3, 1.0),
        ];
        let timed = vec![
            spike(0, 0.0071, 1, 199, 1.0),
            spike(0, 0.00712345678, 0, 5, 1.0),
        ];
        for (spikes, encoding, per_spike) in
            [(on_grid, Encoding::Steps, 8), (timed, Encoding::Times, 12)]
        {
            let mut bytes = Vec::new();
            encode(&spikes, encoding, &offsets, &mut bytes);
            let graded = spikes.iter().filter(|s| s.value != 1.0).count();
            let header = 8 + if encoding == Encoding::Steps { 8 } else { 0 };
            assert_eq!(bytes.len(), header + per_spike * spikes.len() + 12 * graded);
            let mut back = vec![spike(1, 0.0, 0, 0, 1.0)];
            decode(&bytes, encoding, &offsets, &mut back);
            assert_eq!(&back[1..], &spikes[..]);
        }
    }

    #[test]
    fn no_spikes_cost_nothing() {
        let mut bytes = vec![1];
        encode(&[], Encoding::Times, &[0, 10], &mut bytes);
        assert!(bytes.is_empty());
        let mut back = Vec::new();
        decode(&bytes, Encoding::Times, &[0, 10], &mut back);
        assert!(back.is_empty());
    }
}
