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
//!
//! Zero-delay projections (see `zero`): the slices settle layer by layer
//! within each step, the spikes of a layer's zero-delay projections are
//! exchanged and delivered before the next layer settles, and the epoch is
//! as long as the shortest of the other delays.

use crate::engine::exchange::{Exchange, LocalExchange, Spike, Vote, on_workers, vote};
use crate::engine::finite;
use crate::engine::network::{Network, Population, Projection, Slice, Worker};
use crate::engine::persist::{Persist, PersistError, Snapshot};
use crate::engine::plastic::{self, at_grid_point, plastic_by_slice, post_spikes};
use crate::engine::recording::{SliceRecorder, Traces, slice_recorders};
use crate::engine::segment::{RunError, Segmented, worker_vote};
use crate::engine::zero::Layers;
use crate::io::results::{Results, SpikeTrains, StateTrace};
use crate::model::memory::MemoryError;
use crate::model::spec::{RecordSpec, WeightRecordSpec};
use crate::synapse::{Arrival, Delays};

/// What a run produced.
pub struct Outcome {
    /// Spikes recorded in the segment, one train per population.
    pub spikes: Vec<SpikeTrains>,
    /// State samples recorded in the segment.
    pub states: Vec<StateTrace>,
    /// Spikes delivered to a synapse.
    pub synaptic_events: u64,
}

/// The longest epoch in grid steps, whatever the delays: a run ends
/// segments (to write recordings, checkpoint, or stop) only at epoch
/// boundaries, so a model without projections still has some. Shorter
/// epochs than the shortest delay change no number.
pub const MAX_EPOCH_STEPS: u64 = 100;

/// A worker's progress through the run, kept from one segment to the next.
#[derive(Default)]
struct WorkerRun {
    /// This segment's spikes per slice: `(grid point, neuron within the
    /// population)`.
    spikes: Vec<Vec<(u64, u32)>>,
    /// This segment's samples per slice.
    recorders: Vec<Vec<SliceRecorder>>,
    /// Next drive change per slice.
    drive_cursor: Vec<usize>,
    synaptic_events: u64,
    /// Epochs exchanged (the first, of grid point 0, included).
    epoch: u64,
    /// Grid steps done.
    k: u64,
    /// Grid point 0 is done: initial spikes sent, its samples taken.
    started: bool,
}

impl WorkerRun {
    /// Bytes of recordings held.
    fn buffered(&self, worker: &Worker) -> usize {
        let spikes: usize = self.spikes.iter().map(|s| s.len() * 12).sum();
        let samples: usize = self
            .recorders
            .iter()
            .flatten()
            .flat_map(|r| &r.values)
            .map(|v| v.len() * 8)
            .sum();
        spikes + samples + crate::engine::plastic::snapshot_bytes(&worker.parts)
    }

    /// The counters and cursors (recordings are written before a save).
    fn persist(&mut self, s: &mut Snapshot) {
        let mut cursors: Vec<u64> = self.drive_cursor.iter().map(|&c| c as u64).collect();
        s.vec(&mut cursors);
        self.drive_cursor = cursors.into_iter().map(|c| c as usize).collect();
        s.scalar(&mut self.synaptic_events);
        s.scalar(&mut self.epoch);
        s.scalar(&mut self.k);
        let mut started = u64::from(self.started);
        s.scalar(&mut started);
        self.started = started != 0;
    }
}

/// The read-only part of the network that every worker consults.
struct Shared<'a> {
    steps: u64,
    dt: f64,
    snapshot_steps: &'a [Vec<u64>],
    epoch: u64,
    populations: &'a [Population],
    projections: &'a [Projection],
    /// Projections delivered at the end of an epoch, per population: all of
    /// them, or with zero-delay ones those of `layers.later`.
    outgoing: &'a [Vec<usize>],
    layers: Option<&'a Layers>,
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
) -> Result<Outcome, finite::RunError> {
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
) -> Result<Outcome, finite::RunError> {
    let mut run = ClockRun::new(net, records, &[])?;
    sweep(&mut run, exchange, progress)
}

/// A whole run in one segment, as the tests and benches drive it.
pub(crate) fn sweep(
    run: &mut dyn Segmented,
    exchange: &dyn Exchange,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome, finite::RunError> {
    let steps = run.steps();
    let never = || false;
    let votes = run
        .advance(steps, usize::MAX, &never, exchange, progress)
        .map_err(|e| match e {
            RunError::Memory(m) => m,
            other => MemoryError(other.to_string()),
        })?;
    if votes & vote::FAULT != 0
        && let Some(e) = run.fault()
    {
        return Err(e.into());
    }
    let synaptic_events = run.synaptic_events();
    let results = run.take()?;
    Ok(Outcome {
        spikes: results.spikes,
        states: results.states,
        synaptic_events,
    })
}

/// A clock-driven run of one rank's workers, in segments.
pub struct ClockRun<'a> {
    net: &'a mut Network,
    records: &'a [RecordSpec],
    weight_records: &'a [WeightRecordSpec],
    workers: Vec<WorkerRun>,
    epoch: u64,
    /// The settling order when the model has zero-delay projections.
    layers: Option<Layers>,
    /// Grid points whose samples were taken before this segment.
    sampled: u64,
}

impl<'a> ClockRun<'a> {
    /// The clock-driven run of `net` as `spec` describes it.
    pub fn new(
        net: &'a mut Network,
        records: &'a [RecordSpec],
        weight_records: &'a [WeightRecordSpec],
    ) -> Result<Self, MemoryError> {
        let layers = zero_delay_layers(net);
        // Zero-delay projections are delivered within the step: the other
        // delays set the epoch.
        let epoch = net
            .projections
            .iter()
            .map(|p| p.min_delay as u64)
            .filter(|&d| d > 0)
            .min()
            .unwrap_or(net.steps)
            .clamp(1, MAX_EPOCH_STEPS);
        if let Some(layers) = &layers {
            refuse_initial_zero_delay_spikes(net, layers)?;
        }
        finite::switch(&mut net.workers, net.check_finite);
        let workers = net
            .workers
            .iter()
            .map(|w| {
                let recorders = w
                    .slices
                    .iter()
                    .map(|s| slice_recorders(s.population, s.offset, s.len(), records))
                    .collect::<Result<_, _>>()?;
                Ok(WorkerRun {
                    spikes: vec![Vec::new(); w.slices.len()],
                    recorders,
                    drive_cursor: vec![0; w.slices.len()],
                    ..WorkerRun::default()
                })
            })
            .collect::<Result<_, MemoryError>>()?;
        Ok(Self {
            net,
            records,
            weight_records,
            workers,
            epoch,
            layers,
            sampled: 0,
        })
    }

    /// Grid points sampled so far: the step after the last boundary has
    /// its samples taken before the exchange that ends the epoch.
    fn sampled_through(&self) -> u64 {
        let w = &self.workers[0];
        if w.started {
            (w.k + 1).min(self.net.steps)
        } else {
            0
        }
    }
}

impl Segmented for ClockRun<'_> {
    fn steps(&self) -> u64 {
        self.net.steps
    }

    fn reached(&self) -> u64 {
        self.workers[0].k
    }

    fn advance(
        &mut self,
        until: u64,
        budget: usize,
        stop: &(dyn Fn() -> bool + Sync),
        exchange: &dyn Exchange,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Vote, RunError> {
        let Network {
            dt,
            steps,
            populations,
            projections,
            outgoing,
            workers,
            snapshot_steps,
            check_finite,
        } = &mut *self.net;
        let layers = self.layers.as_ref();
        let shared = Shared {
            steps: *steps,
            dt: *dt,
            snapshot_steps,
            epoch: self.epoch,
            populations,
            projections,
            outgoing: layers.map_or(outgoing, |l| &l.later),
            layers,
            check_finite: *check_finite,
        };
        let budget = budget / workers.len().max(1);
        let jobs: Vec<_> = workers.iter_mut().zip(&mut self.workers).collect();
        let shared = &shared;
        let votes = on_workers(jobs, progress, |w, (worker, run), progress| {
            run_worker(
                w,
                worker,
                run,
                shared,
                exchange,
                (until, budget, stop),
                progress,
            )
        });
        Ok(votes[0])
    }

    fn take(&mut self) -> Result<Results, MemoryError> {
        let through = self.sampled_through();
        let outcome = assemble(
            self.net,
            self.records,
            &mut self.workers,
            self.sampled,
            through,
        )?;
        self.sampled = through;
        let finished = self.reached() >= self.net.steps;
        Ok(segment_results(
            self.net,
            self.weight_records,
            outcome,
            finished,
        ))
    }

    fn save(&mut self) -> Vec<u8> {
        let mut s = Snapshot::saving();
        for (worker, run) in self.net.workers.iter_mut().zip(&mut self.workers) {
            worker.persist(&mut s);
            run.persist(&mut s);
        }
        s.into_bytes()
    }

    fn load(&mut self, bytes: &[u8]) -> Result<(), PersistError> {
        let mut s = Snapshot::loading(bytes);
        for (worker, run) in self.net.workers.iter_mut().zip(&mut self.workers) {
            worker.persist(&mut s);
            run.persist(&mut s);
        }
        s.finish()?;
        self.sampled = self.sampled_through();
        Ok(())
    }

    fn synaptic_events(&self) -> u64 {
        self.workers.iter().map(|w| w.synaptic_events).sum()
    }

    fn fault(&mut self) -> Option<finite::NonFinite> {
        finite::earliest_in(&mut self.net.workers, &self.net.populations)
    }
}

/// A float-engine segment's results: the recorded populations' spikes, the
/// traces, and the weight snapshots taken (with the final weights copied
/// back into the synapse tables once the run is `finished`).
pub(crate) fn segment_results(
    net: &mut Network,
    weight_records: &[WeightRecordSpec],
    outcome: Outcome,
    finished: bool,
) -> Results {
    let weights = if finished {
        plastic::weight_traces(net, weight_records)
    } else {
        plastic::take_weight_traces(net, weight_records)
    };
    Results {
        spikes: crate::engine::recorded(
            outcome.spikes,
            net.populations.iter().map(|p| p.record_spikes),
        ),
        states: outcome.states,
        weights,
        ..Results::default()
    }
}

/// Worker `w`'s epochs from where it stands to the first boundary at or
/// after `until`, or to an earlier one where some worker voted.
fn run_worker(
    w: usize,
    worker: &mut Worker,
    run: &mut WorkerRun,
    shared: &Shared,
    exchange: &dyn Exchange,
    (until, budget, stop): (u64, usize, &(dyn Fn() -> bool + Sync)),
    progress: &mut dyn FnMut(u64),
) -> Vote {
    let (mut fired, mut outbox, mut all) = (Vec::new(), Vec::new(), Vec::new());
    let plastic = plastic_by_slice(&worker.parts, worker.slices.len());
    let mut votes = vote::NONE;
    let by_layer = match shared.layers {
        Some(layers) => layers.slices_by_layer(worker.slices.iter().map(|s| s.population)),
        None => vec![(0..worker.slices.len()).collect()],
    };

    if !run.started {
        for (si, slice) in worker.slices.iter_mut().enumerate() {
            fired.clear();
            slice.neuron.initial_spikes(&mut fired);
            emit(slice, si, 0, &fired, shared, &mut run.spikes, &mut outbox);
        }
        exchange.exchange(w, run.epoch, &mut outbox, &mut all, vote::NONE);
        run.synaptic_events += deliver(worker, &all, shared.projections, shared.outgoing);
        if shared.steps > 0 {
            begin_step(worker, &mut run.recorders, &mut run.drive_cursor, 0, shared);
        }
        run.started = true;
    }

    while run.k < shared.steps && run.k < until && votes == vote::NONE {
        let k = run.k;
        let end = k.saturating_add(shared.epoch).min(shared.steps);
        let turn = Turn {
            w,
            exchange,
            plastic: &plastic,
            by_layer: &by_layer,
        };
        advance(
            worker,
            run,
            shared,
            &turn,
            (k, end),
            (&mut fired, &mut outbox),
            progress,
        );
        if shared.layers.is_some() {
            // Layers settle out of population order within a step.
            outbox.sort_by(Spike::canonical_cmp);
        }
        run.epoch += 1;
        let mut mine = worker_vote(stop, run.buffered(worker), budget);
        // A model keeps its last finite state and notes what went bad: the
        // workers stop together at the end of the epoch.
        if shared.check_finite && worker.slices.iter_mut().any(finite::noted) {
            mine |= vote::FAULT;
        }
        votes = exchange.exchange(w, run.epoch, &mut outbox, &mut all, mine);
        run.synaptic_events += deliver(worker, &all, shared.projections, shared.outgoing);
        run.k = end;
    }
    if run.k >= shared.steps {
        at_grid_point(
            &mut worker.parts,
            shared.steps,
            shared.dt,
            shared.steps,
            shared.snapshot_steps,
        );
        progress(shared.steps);
    }
    votes
}

/// Grid steps `k..end` of a worker's slices: plastic and background inputs
/// arrive, neurons settle (layer by layer, `by_layer`, the spikes of
/// zero-delay projections exchanged and delivered after each layer that
/// has some), their spikes are recorded and queued in `outbox` for the
/// exchange at the end of the epoch.
fn advance(
    worker: &mut Worker,
    run: &mut WorkerRun,
    shared: &Shared,
    turn: &Turn,
    (k, end): (u64, u64),
    (fired, outbox): (&mut Vec<u32>, &mut Vec<Spike>),
    progress: &mut dyn FnMut(u64),
) {
    let report_every = (shared.steps / 200).max(1);
    let (mut now, mut all) = (Vec::new(), Vec::new());
    for step in k..end {
        for (layer, slices) in turn.by_layer.iter().enumerate() {
            for &si in slices {
                let plastic = &turn.plastic[si];
                settle(worker, si, run, shared, plastic, step, (fired, outbox));
                if let Some(layers) = shared.layers {
                    let slice = &worker.slices[si];
                    if !layers.now[slice.population].is_empty() {
                        queue(slice, step + 1, fired, &mut now);
                    }
                }
            }
            if let Some(layers) = shared.layers
                && layers.sends[layer]
            {
                run.epoch += 1;
                turn.exchange
                    .exchange(turn.w, run.epoch, &mut now, &mut all, vote::NONE);
                run.synaptic_events += deliver(worker, &all, shared.projections, &layers.now);
            }
        }
        // The last step's successor is begun before the exchange below:
        // it needs no input, so it fills the time spent waiting there.
        if step + 1 < shared.steps {
            begin_step(
                worker,
                &mut run.recorders,
                &mut run.drive_cursor,
                step + 1,
                shared,
            );
        }
        if (step + 1).is_multiple_of(report_every) {
            progress(step + 1);
        }
    }
}

/// Step `step → step + 1` of slice `si`: plastic and background inputs
/// arrive, the neurons settle; their spikes (left in `fired`) are recorded
/// and queued in `outbox`.
fn settle(
    worker: &mut Worker,
    si: usize,
    run: &mut WorkerRun,
    shared: &Shared,
    plastic: &[(usize, usize)],
    step: u64,
    (fired, outbox): (&mut Vec<u32>, &mut Vec<Spike>),
) {
    let t = (step + 1) as f64 * shared.dt;
    let slice = &mut worker.slices[si];
    fired.clear();
    for &(j, pi) in plastic {
        let part = &mut worker.parts[j][pi];
        let slot = slice.inputs[shared.projections[j].port].slot_mut(step + 1);
        if let Some(p) = part.plastic.as_mut() {
            p.arrive(step + 1, t, &part.synapses, slot);
        }
    }
    if let Some(b) = slice.background.as_mut() {
        b.add(slice.inputs[b.port].slot_mut(step + 1));
    }
    slice.neuron.settle(step, &slice.inputs, fired);
    if !plastic.is_empty() {
        post_spikes(&mut worker.parts, plastic, fired, t);
    }
    slice
        .inputs
        .iter_mut()
        .for_each(|ring| ring.clear(step + 1));
    emit(slice, si, step + 1, fired, shared, &mut run.spikes, outbox);
    emit_graded(slice, step + 1, shared, outbox);
}

/// Queue a slice's spikes of grid point `grid` as they are exchanged.
fn queue(slice: &Slice, grid: u64, fired: &[u32], outbox: &mut Vec<Spike>) {
    outbox.extend(fired.iter().map(|&i| Spike {
        step: grid,
        time: 0.0,
        population: slice.population as u32,
        neuron: slice.offset + i,
        value: 1.0,
    }));
}

/// What a worker keeps through its epochs: who it is, its exchange, its
/// slices' plastic parts and its slices by layer.
struct Turn<'a> {
    w: usize,
    exchange: &'a dyn Exchange,
    /// Per slice, its plastic parts `(projection, part)`.
    plastic: &'a [Vec<(usize, usize)>],
    /// Slice indices per layer (one layer without zero-delay projections).
    by_layer: &'a [Vec<usize>],
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
        queue(slice, grid, fired, outbox);
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
/// slices through the projections `outgoing` of their populations; returns
/// the number of synaptic events.
fn deliver(
    worker: &mut Worker,
    spikes: &[Spike],
    projections: &[Projection],
    outgoing: &[Vec<usize>],
) -> u64 {
    let mut events = 0;
    for spike in spikes {
        for &j in &outgoing[spike.population as usize] {
            let port = projections[j].port;
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

/// The layers of `net`'s populations when some projection has a zero delay.
fn zero_delay_layers(net: &Network) -> Option<Layers> {
    let links: Vec<_> = net
        .projections
        .iter()
        .map(|p| (p.from, p.to, p.min_delay == 0))
        .collect();
    Layers::new(net.populations.len(), &links)
}

/// A spike at grid point 0 (a source's spike at time 0) has no step to
/// arrive in through a zero-delay projection: refused, rather than moved
/// to another grid point. The slices with zero-delay projections are asked
/// for their spikes of grid point 0 here; when they have none, asking
/// again at the start of the run gives none either.
fn refuse_initial_zero_delay_spikes(net: &mut Network, layers: &Layers) -> Result<(), MemoryError> {
    let mut fired = Vec::new();
    for slice in net.workers.iter_mut().flat_map(|w| &mut w.slices) {
        let Some(&j) = layers.now[slice.population].first() else {
            continue;
        };
        fired.clear();
        slice.neuron.initial_spikes(&mut fired);
        if let Some(&i) = fired.first() {
            return Err(MemoryError(format!(
                "population `{}` neuron {} spikes at time 0, and projection `{}` has a zero delay: a zero-delay spike arrives in the step it is emitted in, and none ends at time 0. Move the spike to a time of at least dt, or give the projection a delay",
                net.populations[slice.population].name,
                slice.offset + i,
                net.projections[j].name
            )));
        }
    }
    Ok(())
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

/// Merge the workers' spikes and samples of the segment (grid points
/// `from..through` sampled) into whole-population results, emptying them.
fn assemble(
    net: &mut Network,
    records: &[RecordSpec],
    runs: &mut [WorkerRun],
    from: u64,
    through: u64,
) -> Result<Outcome, MemoryError> {
    let mut spikes: Vec<Vec<(u64, u32)>> = vec![Vec::new(); net.populations.len()];
    let mut traces = Traces::new(net, records, from, through)?;
    let mut synaptic_events = 0;
    for (worker, run) in net.workers.iter().zip(runs) {
        synaptic_events += run.synaptic_events;
        for (slice, (slice_spikes, recorders)) in worker
            .slices
            .iter()
            .zip(run.spikes.iter_mut().zip(&mut run.recorders))
        {
            spikes[slice.population].append(slice_spikes);
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

#[cfg(test)]
mod persist_tests;
