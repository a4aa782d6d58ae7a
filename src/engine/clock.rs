//! The clock-driven scheduler: every neuron advances by `dt` each step.
//!
//! Workers (threads) each own slices of the populations and advance them for
//! an epoch as long as the shortest delay; then they exchange the epoch's
//! spikes and each delivers, in one canonical order, those that reach its
//! own slices. No spike can arrive within the epoch it was emitted in, so
//! workers synchronise twice per epoch and never per spike.
//!
//! Per step `k → k + 1` of a slice: external drives that change at grid
//! point `k` are applied; state is sampled at grid point `k` for recorders
//! due; the slice steps (see `neuron` for the update order); its spikes at
//! grid point `k + 1` are recorded and sent. Spikes at grid point 0 (from
//! sources) are delivered before the first step.

use crate::engine::comm::settle;
use crate::engine::exchange::{Exchange, LocalExchange, Spike, on_workers};
use crate::engine::finite::{self, RunError};
use crate::engine::network::{Network, Population, Projection, Slice, Worker};
use crate::engine::plastic::{at_grid_point, plastic_by_slice, post_spikes};
use crate::engine::recording::{SliceRecorder, Traces, slice_recorders};
use crate::io::results::{SpikeTrains, StateTrace};
use crate::model::memory::MemoryError;
use crate::model::spec::RecordSpec;
use crate::synapse::{Arrival, Delays};

/// What a run produced.
pub struct Outcome {
    pub spikes: Vec<SpikeTrains>,
    pub states: Vec<StateTrace>,
    /// Spikes delivered to a synapse.
    pub synaptic_events: u64,
}

/// What a worker brings back.
#[derive(Default)]
struct WorkerOutcome {
    /// Per slice: `(grid point, neuron within the population)`.
    spikes: Vec<Vec<(u64, u32)>>,
    recorders: Vec<Vec<SliceRecorder>>,
    synaptic_events: u64,
    /// The grid point at which this worker first saw a state variable
    /// become non-finite (the run goes on to the end for now).
    non_finite_at: Option<u64>,
}

/// The read-only part of the network that every worker consults.
struct Shared<'a> {
    steps: u64,
    dt: f64,
    snapshot_steps: &'a [Vec<u64>],
    epoch: u64,
    populations: &'a [Population],
    projections: &'a [Projection],
    outgoing: &'a [Vec<usize>],
    check_finite: bool,
}

/// Run `net` for its number of steps, recording `records`.
/// `progress(k)` is called now and then with the number of steps done.
pub fn run(net: &mut Network, records: &[RecordSpec], progress: &mut dyn FnMut(u64)) -> Outcome {
    try_run(net, records, progress).unwrap_or_else(|e| panic!("{e}"))
}

/// [`run`], with a failed allocation of the recordings or a state variable
/// that became non-finite returned as an error.
pub fn try_run(
    net: &mut Network,
    records: &[RecordSpec],
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome, RunError> {
    let exchange = LocalExchange::new(net.workers.len());
    try_run_with(net, records, progress, &exchange)
}

/// [`try_run`] with the spikes exchanged through `exchange` (made for this
/// network's workers): the outcome holds this process's neurons only.
pub fn try_run_with(
    net: &mut Network,
    records: &[RecordSpec],
    progress: &mut dyn FnMut(u64),
    exchange: &dyn Exchange,
) -> Result<Outcome, RunError> {
    let Network {
        dt,
        steps,
        populations,
        projections,
        outgoing,
        workers,
        snapshot_steps,
        check_finite,
    } = net;
    finite::switch(workers, *check_finite);
    let epoch = projections
        .iter()
        .map(|p| p.min_delay as u64)
        .min()
        .unwrap_or(*steps)
        .max(1);
    let shared = Shared {
        steps: *steps,
        dt: *dt,
        snapshot_steps,
        epoch,
        populations,
        projections,
        outgoing,
        check_finite: *check_finite,
    };
    let recorders: Result<Vec<Vec<Vec<SliceRecorder>>>, _> = workers
        .iter()
        .map(|w| {
            w.slices
                .iter()
                .map(|s| slice_recorders(s.population, s.offset, s.len(), records, *steps))
                .collect()
        })
        .collect();
    let recorders = agreed(exchange, recorders)?;

    let jobs: Vec<_> = workers.iter_mut().zip(recorders).collect();
    let shared = &shared;
    let outcomes = on_workers(jobs, progress, |w, (worker, recorders), progress| {
        run_worker(w, worker, recorders, shared, exchange, progress)
    });
    assemble(net, records, outcomes)
}

fn run_worker(
    w: usize,
    worker: &mut Worker,
    mut recorders: Vec<Vec<SliceRecorder>>,
    shared: &Shared,
    exchange: &dyn Exchange,
    progress: &mut dyn FnMut(u64),
) -> WorkerOutcome {
    let mut spikes: Vec<Vec<(u64, u32)>> = vec![Vec::new(); worker.slices.len()];
    let mut drive_cursor = vec![0usize; worker.slices.len()];
    let (mut fired, mut outbox, mut all) = (Vec::new(), Vec::new(), Vec::new());
    let mut synaptic_events = 0;
    let mut non_finite_at = None;
    let plastic = plastic_by_slice(&worker.parts, worker.slices.len());

    for (si, slice) in worker.slices.iter_mut().enumerate() {
        fired.clear();
        slice.neuron.initial_spikes(&mut fired);
        emit(slice, si, 0, &fired, shared, &mut spikes, &mut outbox);
    }
    let mut epoch = 0;
    exchange.exchange(w, epoch, &mut outbox, &mut all);
    synaptic_events += deliver(worker, &all, shared);

    let report_every = (shared.steps / 200).max(1);
    if shared.steps > 0 {
        begin_step(worker, &mut recorders, &mut drive_cursor, 0, shared);
    }
    let mut k = 0;
    while k < shared.steps {
        let end = k.saturating_add(shared.epoch).min(shared.steps);
        for step in k..end {
            let t = (step + 1) as f64 * shared.dt;
            for (si, slice) in worker.slices.iter_mut().enumerate() {
                fired.clear();
                for &(j, pi) in &plastic[si] {
                    let part = &mut worker.parts[j][pi];
                    let slot = slice.inputs[shared.projections[j].port].slot_mut(step + 1);
                    if let Some(p) = part.plastic.as_mut() {
                        p.arrive(step + 1, t, &part.synapses, slot);
                    }
                }
                if let Some(b) = slice.background.as_mut() {
                    b.add(slice.inputs[b.port].slot_mut(step + 1));
                }
                slice.neuron.settle(step, &slice.inputs, &mut fired);
                if shared.check_finite && non_finite_at.is_none() && finite::noted(slice) {
                    non_finite_at = Some(step + 1);
                }
                if !plastic[si].is_empty() {
                    post_spikes(&mut worker.parts, &plastic[si], &fired, t);
                }
                slice
                    .inputs
                    .iter_mut()
                    .for_each(|ring| ring.clear(step + 1));
                emit(
                    slice,
                    si,
                    step + 1,
                    &fired,
                    shared,
                    &mut spikes,
                    &mut outbox,
                );
                emit_graded(slice, step + 1, shared, &mut outbox);
            }
            // The last step's successor is begun before the exchange below:
            // it needs no input, so it fills the time spent waiting there.
            if step + 1 < shared.steps {
                begin_step(worker, &mut recorders, &mut drive_cursor, step + 1, shared);
            }
            if (step + 1).is_multiple_of(report_every) {
                progress(step + 1);
            }
        }
        epoch += 1;
        exchange.exchange(w, epoch, &mut outbox, &mut all);
        synaptic_events += deliver(worker, &all, shared);
        k = end;
    }
    at_grid_point(
        &mut worker.parts,
        shared.steps,
        shared.dt,
        shared.steps,
        shared.snapshot_steps,
    );
    progress(shared.steps);
    WorkerOutcome {
        spikes,
        recorders,
        synaptic_events,
        non_finite_at,
    }
}

/// Record a slice's spikes of grid point `grid` and queue them for exchange.
fn emit(
    slice: &Slice,
    si: usize,
    grid: u64,
    fired: &[u32],
    shared: &Shared,
    spikes: &mut [Vec<(u64, u32)>],
    outbox: &mut Vec<Spike>,
) {
    let population = slice.population;
    if shared.populations[population].record_spikes {
        spikes[si].extend(fired.iter().map(|&i| (grid, slice.offset + i)));
    }
    if !shared.outgoing[population].is_empty() {
        outbox.extend(fired.iter().map(|&i| Spike {
            step: grid,
            time: 0.0,
            population: population as u32,
            neuron: slice.offset + i,
            value: 1.0,
        }));
    }
}

/// Queue a graded-output slice's non-zero values of grid point `grid`.
fn emit_graded(slice: &Slice, grid: u64, shared: &Shared, outbox: &mut Vec<Spike>) {
    let Some(values) = slice.neuron.graded() else {
        return;
    };
    if shared.outgoing[slice.population].is_empty() {
        return;
    }
    outbox.extend(
        values
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0.0)
            .map(|(i, &value)| Spike {
                step: grid,
                time: 0.0,
                population: slice.population as u32,
                neuron: slice.offset + i as u32,
                value,
            }),
    );
}

/// The input-free first half of step `k → k + 1` for every slice: drives
/// that change at grid point `k`, samples of grid point `k`, propagation;
/// and the plasticity updates and weight snapshots of grid point `k`.
fn begin_step(
    worker: &mut Worker,
    recorders: &mut [Vec<SliceRecorder>],
    drive_cursor: &mut [usize],
    k: u64,
    shared: &Shared,
) {
    at_grid_point(
        &mut worker.parts,
        k,
        shared.dt,
        shared.steps,
        shared.snapshot_steps,
    );
    for (si, slice) in worker.slices.iter_mut().enumerate() {
        apply_drive(slice, k, &mut drive_cursor[si]);
        for r in &mut recorders[si] {
            sample(r, slice, k);
        }
        slice.neuron.propagate(k);
    }
}

fn apply_drive(slice: &mut Slice, k: u64, cursor: &mut usize) {
    while let Some(change) = slice.drive.get(*cursor) {
        if change.step > k {
            break;
        }
        slice.neuron.set_external_drive(&change.drive);
        *cursor += 1;
    }
}

fn sample(r: &mut SliceRecorder, slice: &Slice, k: u64) {
    if !k.is_multiple_of(r.every) {
        return;
    }
    for (variable, values) in r.variables.iter().zip(&mut r.values) {
        slice.neuron.sample(variable, &r.local, values);
    }
}

/// Add the epoch's spikes (in canonical order) to the rings of this worker's
/// slices; returns the number of synaptic events.
fn deliver(worker: &mut Worker, spikes: &[Spike], shared: &Shared) -> u64 {
    let mut events = 0;
    for spike in spikes {
        for &j in &shared.outgoing[spike.population as usize] {
            let port = shared.projections[j].port;
            for part in &mut worker.parts[j] {
                let csr = &part.synapses;
                let row = csr.row(spike.neuron);
                events += row.len() as u64;
                if let Some(p) = part.plastic.as_mut() {
                    // Weights are read when the spike arrives, not now.
                    for s in row {
                        p.queue(spike.step + csr.delay(s) as u64, s as u32);
                    }
                    continue;
                }
                let ring = &mut worker.slices[part.slice].inputs[port];
                match &csr.delays {
                    Delays::Uniform(d) => {
                        let (targets, weights) = (&csr.targets[row.clone()], &csr.weights[row]);
                        ring.slot_mut(spike.step + *d as u64).extend(
                            targets
                                .iter()
                                .zip(weights)
                                .map(|(&target, &weight)| Arrival {
                                    target,
                                    weight: scaled(weight, spike.value),
                                }),
                        );
                    }
                    Delays::Short(delays) => {
                        for s in row {
                            let event = Arrival {
                                target: csr.targets[s],
                                weight: scaled(csr.weights[s], spike.value),
                            };
                            ring.slot_mut(spike.step + delays[s] as u64).push(event);
                        }
                    }
                    Delays::PerSynapse(delays) => {
                        for s in row {
                            let event = Arrival {
                                target: csr.targets[s],
                                weight: scaled(csr.weights[s], spike.value),
                            };
                            ring.slot_mut(spike.step + delays[s] as u64).push(event);
                        }
                    }
                }
            }
        }
    }
    events
}

/// A synaptic weight times a spike's value; exactly the weight for a spike.
#[inline(always)]
fn scaled(weight: f32, value: f64) -> f32 {
    if value == 1.0 {
        weight
    } else {
        (weight as f64 * value) as f32
    }
}

/// `result`, once every process of the run has reached this point: an
/// error on any of them is an error on all (no rank left waiting).
pub(crate) fn agreed<T>(
    exchange: &dyn Exchange,
    result: Result<T, MemoryError>,
) -> Result<T, MemoryError> {
    settle(exchange.first_failed(result.is_err()), result, |_| {
        MemoryError("another rank of the run could not allocate its recordings".into())
    })
}

/// Merge the workers' spikes and samples into whole-population results.
fn assemble(
    net: &mut Network,
    records: &[RecordSpec],
    outcomes: Vec<WorkerOutcome>,
) -> Result<Outcome, RunError> {
    if outcomes.iter().any(|o| o.non_finite_at.is_some())
        && let Some(e) = finite::earliest_in(&mut net.workers, &net.populations)
    {
        return Err(e.into());
    }
    let mut spikes: Vec<Vec<(u64, u32)>> = vec![Vec::new(); net.populations.len()];
    let mut traces = Traces::new(net, records)?;
    let mut synaptic_events = 0;
    for (worker, outcome) in net.workers.iter().zip(outcomes) {
        synaptic_events += outcome.synaptic_events;
        for (slice, (slice_spikes, recorders)) in worker
            .slices
            .iter()
            .zip(outcome.spikes.into_iter().zip(outcome.recorders))
        {
            spikes[slice.population].extend(slice_spikes);
            traces.add(recorders, slice.neuron.as_ref());
        }
    }
    let spikes = spikes
        .into_iter()
        .zip(&net.populations)
        .map(|(mut list, pop)| {
            // Canonical order: by time, then neuron; the same for any split.
            list.sort_unstable();
            let mut trains = SpikeTrains::new(&pop.name, pop.size as u32);
            (trains.steps, trains.senders) = list.into_iter().unzip();
            trains
        })
        .collect();
    Ok(Outcome {
        spikes,
        states: traces.states,
        synaptic_events,
    })
}
