//! The event-driven scheduler: spikes are timed events in a priority queue,
//! and each neuron's state is known in closed form at the time of whatever
//! reaches it (see `neuron::trajectory` and `neuron::cuba_lif`'s event
//! form). Spike times are real numbers; delays are not rounded to `dt`.
//!
//! Per neuron the agenda holds at most one live "check" or "spike" entry:
//! after every change of its state the model says when a threshold crossing
//! could happen at the earliest (a check) or will happen (a spike); a
//! version number per neuron makes older entries stale. Checks are cheap
//! bounds; the exact crossing is searched only when a check falls due, not
//! on every input. Checks may come early, so most are moved down onto the
//! `dt` grid, where they wait in plain lists (`CheckGrid`) rather than in the
//! queue. A spike reaches all its targets in a slice through one call into
//! the model (`EventModel::receive_all`).
//!
//! Workers and epochs are as in the clock engine: each worker runs its own
//! queue up to the end of an epoch as long as the shortest delay, then the
//! epoch's spikes are exchanged and delivered into the target workers'
//! queues. Ties in time are broken by a key that names the source (or the
//! neuron), never the worker, so the result is the same for any number of
//! threads.
//!
//! Populations without a closed form are stepped on the `dt` grid among the
//! events (`event_grid`); the run ends with its last instant, after the last
//! exchange, so that inputs arriving exactly at the end act, as in the clock
//! engine's last step.

use std::cmp::Ordering;

use crate::engine::calendar::Calendar;
use crate::engine::check_grid::CheckGrid;
use crate::engine::event_grid::{Grid, OnGrid, arrival_step, send_graded};
use crate::engine::exchange::{Exchange, LocalExchange, Spike, Vote, on_workers, vote};
use crate::engine::finite;
use crate::engine::network::{Network, Population, Projection, ProjectionPart, Slice, Worker};
use crate::engine::persist::{Persist, PersistError, Snapshot};
use crate::engine::plastic::{at_grid_point, plastic_by_slice, post_spikes};
use crate::engine::prefetch::{AHEAD, prefetch, scattered};
use crate::engine::recording::{SliceRecorder, Traces, slice_recorders};
use crate::engine::segment::{RunError, Segmented, worker_vote};
use crate::io::results::{Results, SpikeTrains};
use crate::model::memory::MemoryError;
use crate::model::spec::{ModelSpec, Port, RecordSpec, WeightRecordSpec};
use crate::neuron::trajectory::on_grain;
use crate::neuron::{EventModel, Next};
use crate::synapse::Arrival;
use crate::synapse::csr::ExactDelays;

/// What a run produced (as the clock engine's).
pub use crate::engine::clock::Outcome;

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A stimulus changes the external drive of a slice.
    Drive { slice: u32, change: u32 },
    /// A spike of `pre` reaches every synapse of one part of projection `j`
    /// (uniform delay).
    Batch { j: u32, part: u32, pre: u32 },
    /// One synapse's input (per-synapse delays).
    Single {
        slice: u32,
        port: u8,
        target: u32,
        weight: f32,
    },
    /// One synapse's input through a plastic part (per-synapse delays):
    /// the weight is read when it arrives.
    PlasticSingle { j: u32, part: u32, synapse: u32 },
    /// Look for a crossing of neuron `neuron` of `slice`.
    Check {
        slice: u32,
        neuron: u32,
        version: u32,
    },
    /// Neuron reaches threshold.
    Fire {
        slice: u32,
        neuron: u32,
        version: u32,
    },
}

/// A queued event. Order: time, then class (drives, then inputs, then
/// thresholds), then a key that does not depend on the partition.
#[derive(Debug, Clone, Copy)]
struct Event {
    time: f64,
    class: u8,
    key: [u32; 4],
    kind: Kind,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Event {
    fn cmp(&self, other: &Self) -> Ordering {
        self.time
            .total_cmp(&other.time)
            .then(self.class.cmp(&other.class))
            .then(self.key.cmp(&other.key))
    }
}

/// One slice in the event engine.
struct EventSlice {
    population: usize,
    offset: u32,
    model: Box<dyn EventModel>,
    ports: Vec<Port>,
    pending: Vec<Pending>,
    /// Drive changes: `(time, drive of each neuron of the slice)`.
    drive: Vec<(f64, Vec<f64>)>,
    /// `(time, neuron within the population)`.
    spikes: Vec<(f64, u32)>,
}

/// A neuron's live entry in the agenda.
#[derive(Debug, Clone, Copy)]
struct Pending {
    /// Bumped whenever the entry is replaced: older entries are stale.
    version: u32,
    /// A spike (which any input invalidates) rather than a check.
    fire: bool,
    /// Its time (infinite: none).
    time: f64,
}

const NONE_PENDING: Pending = Pending {
    version: 0,
    fire: false,
    time: f64::INFINITY,
};

/// A check waiting on the grid.
#[derive(Debug, Clone, Copy)]
struct GridCheck {
    slice: u32,
    neuron: u32,
    version: u32,
}

/// Where a worker's future events wait: checks that fall on the grid in
/// `checks`, everything else in the time-ordered `queue`.
struct Agenda {
    queue: Calendar<Event>,
    checks: CheckGrid<GridCheck>,
    /// Some slice is too large for the cache: worth prefetching for.
    fetch_ahead: bool,
}

struct Shared<'a> {
    duration: f64,
    dt: f64,
    snapshot_steps: &'a [Vec<u64>],
    epoch: f64,
    populations: &'a [Population],
    projections: &'a [Projection],
    outgoing: &'a [Vec<usize>],
    check_finite: bool,
}

/// Runs `net` event by event to the end of `spec`'s duration; `progress(steps)` reports the
/// simulated time in steps.
pub fn run(net: &mut Network, spec: &ModelSpec, progress: &mut dyn FnMut(u64)) -> Outcome {
    try_run(net, spec, progress).unwrap_or_else(|e| panic!("{e}"))
}

/// [`run`], with a failed allocation of the recordings or a state variable
/// that became non-finite returned as an error.
pub fn try_run(
    net: &mut Network,
    spec: &ModelSpec,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome, finite::RunError> {
    let exchange = LocalExchange::new(net.workers.len());
    try_run_with(net, spec, progress, &exchange)
}

/// [`try_run`] with the spikes exchanged through `exchange` (made for this
/// network's workers): the outcome holds this process's neurons only.
pub fn try_run_with(
    net: &mut Network,
    spec: &ModelSpec,
    progress: &mut dyn FnMut(u64),
    exchange: &dyn Exchange,
) -> Result<Outcome, finite::RunError> {
    let mut run = EventRun::new(net, spec)?;
    crate::engine::clock::sweep(&mut run, exchange, progress)
}

/// A worker's progress through the run, kept from one segment to the next.
struct WorkerRun {
    /// The worker's queues and event forms, made when it first advances.
    state: Option<WorkerState>,
    /// This segment's samples per slice.
    recs: Vec<Vec<SliceRecorder>>,
    /// Next grid point to sample.
    next_sample: u64,
    /// Epochs exchanged.
    epoch_index: u64,
    /// Steps last reported to `progress`.
    reported: u64,
    synaptic_events: u64,
    /// The run's last instant is done.
    finished: bool,
}

/// What a worker's events live in.
struct WorkerState {
    grid: Grid,
    slices: Vec<EventSlice>,
    agenda: Agenda,
    /// Spikes to send at the end of the epoch.
    outbox: Vec<Spike>,
}

impl WorkerRun {
    /// The counters (recordings are written before a save).
    fn persist_counters(&mut self, s: &mut Snapshot) {
        s.scalar(&mut self.next_sample);
        s.scalar(&mut self.epoch_index);
        s.scalar(&mut self.reported);
        s.scalar(&mut self.synaptic_events);
        let mut finished = u64::from(self.finished);
        s.scalar(&mut finished);
        self.finished = finished != 0;
    }
}

/// An event-driven run of one rank's workers, in segments.
pub struct EventRun<'a> {
    net: &'a mut Network,
    records: &'a [RecordSpec],
    weight_records: &'a [WeightRecordSpec],
    duration: f64,
    /// Epoch length (s).
    epoch: f64,
    workers: Vec<WorkerRun>,
    /// Grid points whose samples were taken before this segment.
    sampled: u64,
}

impl<'a> EventRun<'a> {
    /// The event-driven run of `net` as `spec` describes it; refuses a queue that would not fit
    /// in memory.
    pub fn new(net: &'a mut Network, spec: &'a ModelSpec) -> Result<Self, MemoryError> {
        // Validation refuses zero delays under `engine = "event"`; a spec
        // switched to this engine afterwards is refused here.
        if let Some(p) = net
            .projections
            .iter()
            .find(|p| p.synapse_count > 0 && p.min_delay == 0)
        {
            return Err(MemoryError(format!(
                "projection `{}` has a zero delay, which the clock engine (engine = \"clock\") and fixed-point mode run; the event engine needs delays of at least one step (dt)",
                p.name
            )));
        }
        finite::switch(&mut net.workers, net.check_finite);
        // A projection without synapses has no shortest delay (an empty one
        // reports 0, and an epoch of 0 s never ends the run).
        let epoch = net
            .projections
            .iter()
            .filter(|p| p.synapse_count > 0)
            .filter_map(|p| p.min_delay_seconds)
            .fold(f64::INFINITY, f64::min)
            .min(crate::engine::clock::MAX_EPOCH_STEPS as f64 * net.dt)
            .min(spec.simulation.duration.max(net.dt));
        let records = &spec.records;
        let workers = net
            .workers
            .iter()
            .map(|w| {
                Ok(WorkerRun {
                    state: None,
                    recs: recorders(&w.slices, records)?,
                    next_sample: 0,
                    epoch_index: 0,
                    reported: 0,
                    synaptic_events: 0,
                    finished: false,
                })
            })
            .collect::<Result<_, MemoryError>>()?;
        Ok(Self {
            net,
            records,
            weight_records: &spec.weight_records,
            duration: spec.simulation.duration,
            epoch,
            workers,
            sampled: 0,
        })
    }

    /// What every worker reads, and the workers.
    fn split(&mut self) -> (Shared<'_>, &mut Vec<Worker>, &mut Vec<WorkerRun>) {
        let Network {
            dt,
            populations,
            projections,
            outgoing,
            workers,
            snapshot_steps,
            check_finite,
            ..
        } = &mut *self.net;
        let shared = Shared {
            duration: self.duration,
            dt: *dt,
            snapshot_steps,
            epoch: self.epoch,
            populations,
            projections,
            outgoing,
            check_finite: *check_finite,
        };
        (shared, workers, &mut self.workers)
    }

    fn save_or_load(&mut self, s: &mut Snapshot) {
        let (shared, workers, runs) = self.split();
        for (worker, run) in workers.iter_mut().zip(runs.iter_mut()) {
            // Made before the worker is restored: making it widens the
            // rings of grid slices and the plastic queues, which the saved
            // worker then fills.
            if run.state.is_none() {
                run.state = Some(WorkerState::start(worker, &shared));
            }
            worker.persist(s);
            run.persist_counters(s);
            if let Some(state) = run.state.as_mut() {
                state.persist(s);
            }
        }
    }
}

impl Segmented for EventRun<'_> {
    fn steps(&self) -> u64 {
        self.net.steps
    }

    fn reached(&self) -> u64 {
        let w = &self.workers[0];
        if w.finished {
            return self.net.steps;
        }
        let t = w.epoch_index as f64 * self.epoch;
        ((t / self.net.dt).round() as u64).min(self.net.steps)
    }

    fn advance(
        &mut self,
        until: u64,
        budget: usize,
        stop: &(dyn Fn() -> bool + Sync),
        exchange: &dyn Exchange,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Vote, RunError> {
        let until_time = until as f64 * self.net.dt;
        let steps = self.net.steps;
        let (shared, workers, runs) = self.split();
        let budget = budget / workers.len().max(1);
        let jobs: Vec<_> = workers.iter_mut().zip(runs.iter_mut()).collect();
        let shared = &shared;
        let votes = on_workers(jobs, progress, |w, (worker, run), progress| {
            let limits = Limits {
                until: until_time,
                steps,
                budget,
                stop,
            };
            run_worker(w, worker, run, shared, exchange, limits, progress)
        });
        Ok(votes[0])
    }

    fn take(&mut self) -> Result<Results, MemoryError> {
        let through = self.workers[0].next_sample;
        let outcome = assemble(
            self.net,
            self.records,
            &mut self.workers,
            self.sampled,
            through,
        )?;
        self.sampled = through;
        let finished = self.workers[0].finished;
        Ok(crate::engine::clock::segment_results(
            self.net,
            self.weight_records,
            outcome,
            finished,
        ))
    }

    fn save(&mut self) -> Vec<u8> {
        let mut s = Snapshot::saving();
        self.save_or_load(&mut s);
        s.into_bytes()
    }

    fn load(&mut self, bytes: &[u8]) -> Result<(), PersistError> {
        let mut s = Snapshot::loading(bytes);
        self.save_or_load(&mut s);
        s.finish()?;
        // Recordings were written before the save.
        for run in &mut self.workers {
            if let Some(state) = &mut run.state {
                state.slices.iter_mut().for_each(|s| s.spikes.clear());
                state.outbox.clear();
            }
        }
        self.sampled = self.workers[0].next_sample;
        Ok(())
    }

    fn synaptic_events(&self) -> u64 {
        self.workers.iter().map(|w| w.synaptic_events).sum()
    }

    fn fault(&mut self) -> Option<finite::NonFinite> {
        let mut notes = Vec::new();
        let net = &mut *self.net;
        for (run, worker) in self.workers.iter_mut().zip(&mut net.workers) {
            for (si, clock) in worker.slices.iter_mut().enumerate() {
                notes.extend(finite::slice_error(clock, &net.populations));
                let Some(state) = run.state.as_mut() else {
                    continue;
                };
                let slice = &mut state.slices[si];
                if let Some(bad) = slice.model.finite_watch().and_then(|w| w.first()) {
                    let name = &net.populations[slice.population].name;
                    let variables = clock.neuron.variables();
                    notes.push((
                        slice.population,
                        finite::to_error(bad, name, slice.offset, &variables),
                    ));
                }
            }
        }
        finite::earliest(notes)
    }
}

/// Where a worker's segment may end.
struct Limits<'a> {
    /// The first epoch boundary at or after this time (s) ends it.
    until: f64,
    steps: u64,
    /// Bytes of recordings past which the worker asks for a write.
    budget: usize,
    stop: &'a (dyn Fn() -> bool + Sync),
}

impl WorkerState {
    /// The worker's queues at time 0: drive changes, every neuron's first
    /// check, and the spikes of grid point 0 waiting to be sent.
    fn start(worker: &mut Worker, shared: &Shared) -> Self {
        let grid = Grid::new(worker, shared.projections);
        let mut slices = event_slices(worker, &grid.is_grid, shared.check_finite);
        let mut agenda = Agenda {
            queue: Calendar::new(shared.epoch),
            checks: CheckGrid::new(shared.dt),
            fetch_ahead: slices.iter().any(|s| scattered(&s.pending)),
        };
        for (si, slice) in slices.iter_mut().enumerate() {
            for (c, (t, _)) in slice.drive.iter().enumerate() {
                let key = [slice.population as u32, slice.offset, 0, 0];
                push(
                    &mut agenda.queue,
                    Event {
                        time: *t,
                        class: 0,
                        key,
                        kind: Kind::Drive {
                            slice: si as u32,
                            change: c as u32,
                        },
                    },
                );
            }
            for i in 0..slice.model.size() {
                let next = slice.model.check(i, 0.0);
                schedule(&mut agenda, slice, (si, i), 0.0, next);
            }
        }
        let mut state = Self {
            grid,
            slices,
            agenda,
            outbox: Vec::new(),
        };
        let Self {
            grid,
            slices,
            outbox,
            ..
        } = &mut state;
        for &si in &grid.slices {
            grid.fired.clear();
            worker.slices[si].neuron.initial_spikes(&mut grid.fired);
            for &n in &grid.fired {
                record_and_send(&mut slices[si], 0.0, n, shared, outbox);
            }
        }
        state
    }

    fn persist(&mut self, s: &mut Snapshot) {
        self.grid.persist(s);
        for slice in &mut self.slices {
            slice.persist(s);
        }
        self.agenda.persist(s);
    }
}

/// The slices' event forms; a grid slice (see `event_grid`) gets a stand-in
/// and keeps its drives to itself.
fn event_slices(worker: &Worker, is_grid: &[bool], check_finite: bool) -> Vec<EventSlice> {
    worker
        .slices
        .iter()
        .zip(is_grid)
        .map(|(s, &grid)| {
            let mut model = match grid {
                true => Box::new(OnGrid(s.neuron.size())),
                false => s.neuron.event_model().expect("not a grid slice"),
            };
            if let Some(watch) = model.finite_watch() {
                watch.on = check_finite;
            }
            let n = model.size();
            let drive = match grid {
                true => Vec::new(),
                false => s
                    .drive
                    .iter()
                    .map(|c| (on_grain(c.time), c.drive.clone()))
                    .collect(),
            };
            EventSlice {
                population: s.population,
                offset: s.offset,
                ports: s.neuron.ports().to_vec(),
                model,
                pending: vec![NONE_PENDING; n],
                drive,
                spikes: Vec::new(),
            }
        })
        .collect()
}

fn recorders(
    slices: &[Slice],
    records: &[RecordSpec],
) -> Result<Vec<Vec<SliceRecorder>>, MemoryError> {
    slices
        .iter()
        .map(|s| slice_recorders(s.population, s.offset, s.len(), records))
        .collect()
}

/// Queue what a model asked for at `now`. A check is only a lower bound on
/// the crossing time, so it may come earlier: moved down onto the grid, the
/// checks of many neurons fall on one time, where the model computes its
/// exponentials once for all of them (see `CheckGrid`). A live check that
/// is earlier than the new one stays (it is still a safe lower bound, and
/// looking again then costs less than queueing anew); a pending spike is
/// always replaced, since any input may cancel or move it.
fn schedule(
    agenda: &mut Agenda,
    slice: &mut EventSlice,
    (si, i): (usize, usize),
    now: f64,
    next: Next,
) {
    let whom = Whom {
        slice: si as u32,
        neuron: i as u32,
        population: slice.population as u32,
        offset: slice.offset,
    };
    enter(agenda, &mut slice.pending[i], whom, now, next);
}

/// The neuron a scheduled entry is for.
#[derive(Debug, Clone, Copy)]
struct Whom {
    slice: u32,
    neuron: u32,
    population: u32,
    /// Of the slice in its population.
    offset: u32,
}

/// `schedule`, given the neuron's live entry.
fn enter(agenda: &mut Agenda, p: &mut Pending, whom: Whom, now: f64, next: Next) {
    let keep_live = !p.fire;
    let on_grid = match next {
        Next::Nothing if keep_live => return,
        Next::Check(t) if keep_live && t >= p.time => return,
        Next::Check(t) => agenda.checks.slot(t, now),
        _ => None,
    };
    let time = match next {
        Next::Nothing => f64::INFINITY,
        Next::Check(t) => on_grid.map_or(t, |(_, g)| g),
        Next::Spike(t) => t,
    };
    p.version = p.version.wrapping_add(1);
    p.time = time;
    p.fire = matches!(next, Next::Spike(_));
    let version = p.version;
    let (slice_id, neuron) = (whom.slice, whom.neuron);
    let key = [whom.population, whom.offset + neuron, 0, 0];
    let event = match (next, on_grid) {
        (Next::Nothing, _) => return,
        (Next::Check(_), Some((step, _))) => {
            let check = GridCheck {
                slice: slice_id,
                neuron,
                version,
            };
            return agenda.checks.push(step, check);
        }
        (Next::Check(t), None) => Event {
            time: t,
            class: 2,
            key,
            kind: Kind::Check {
                slice: slice_id,
                neuron,
                version,
            },
        },
        (Next::Spike(t), _) => Event {
            time: on_grain(t),
            class: 3,
            key,
            kind: Kind::Fire {
                slice: slice_id,
                neuron,
                version,
            },
        },
    };
    push(&mut agenda.queue, event);
}

fn push(queue: &mut Calendar<Event>, event: Event) {
    queue.push(event.time, event);
}

/// The neuron's live entry has been taken from the agenda.
fn taken(slice: &mut EventSlice, i: usize) {
    let p = &mut slice.pending[i];
    p.time = f64::INFINITY;
    p.fire = false;
}

/// Worker `w`'s epochs from where it stands to the first boundary at or
/// after `limits.until`, or to an earlier one where some worker voted.
fn run_worker(
    w: usize,
    worker: &mut Worker,
    run: &mut WorkerRun,
    shared: &Shared,
    exchange: &dyn Exchange,
    limits: Limits,
    progress: &mut dyn FnMut(u64),
) -> Vote {
    if run.finished {
        return vote::NONE;
    }
    let plastic = plastic_by_slice(&worker.parts, worker.slices.len());
    let state = run
        .state
        .get_or_insert_with(|| WorkerState::start(worker, shared));
    let WorkerState {
        grid,
        slices,
        agenda,
        outbox,
    } = state;
    let recs = &mut run.recs;
    let steps = limits.steps;
    let (mut all, mut emitted) = (Vec::new(), Vec::new());
    let synaptic_events = &mut run.synaptic_events;
    let report_every = (steps / 200).max(1);
    let mut votes;
    loop {
        let epoch_index = run.epoch_index;
        let (start, end, last) = epoch_span(epoch_index, shared);
        agenda.queue.advance_to(epoch_index);
        emit_spike_sources(slices, (start, end), &mut emitted, shared, outbox);
        let mut r = Run {
            agenda,
            slices,
            shared,
            worker,
            plastic: &plastic,
            outbox,
            events: synaptic_events,
        };
        // Interleave the queue with the samples due in this epoch.
        r.sample_until(grid, recs, (&mut run.next_sample, steps), end);
        let through = arrival_step(end, shared.dt);
        r.advance(grid, end, false, through);
        outbox.sort_unstable_by(Spike::canonical_cmp);
        let buffered = buffered_bytes(slices, recs, worker);
        let mut mine = worker_vote(limits.stop, buffered, limits.budget);
        // Models keep their last finite state and note what went bad: the
        // workers stop together at the end of the epoch.
        if shared.check_finite && non_finite_noted(worker, slices) {
            mine |= vote::FAULT;
        }
        votes = exchange.exchange(w, epoch_index, outbox, &mut all, mine);
        *synaptic_events += deliver(&mut agenda.queue, worker, &all, shared, grid);
        run.epoch_index += 1;
        // About 200 reports a run, as the clock engine gives: reporting
        // every epoch cost 5 % of CUBA's loop.
        let done = ((end.min(shared.duration) / shared.dt).round() as u64).min(steps);
        if done >= run.reported + report_every || last {
            progress(done);
            run.reported = done;
        }
        if last {
            let mut r = Run {
                agenda,
                slices,
                shared,
                worker,
                plastic: &plastic,
                outbox,
                events: synaptic_events,
            };
            r.last_instant(grid, run.epoch_index, steps);
            run.finished = true;
            break;
        }
        if votes != vote::NONE || end >= limits.until {
            break;
        }
    }
    if run.finished {
        at_grid_point(
            &mut worker.parts,
            steps,
            shared.dt,
            steps,
            shared.snapshot_steps,
        );
    }
    votes
}

/// The epoch `epoch_index`'s start and end, and whether it is the last.
fn epoch_span(epoch_index: u64, shared: &Shared) -> (f64, f64, bool) {
    // Epoch boundaries are multiples of the epoch length, as the
    // calendar's buckets are.
    let start = epoch_index as f64 * shared.epoch;
    let last = start + shared.epoch >= shared.duration;
    // The last epoch stops short of the run's last instant, which
    // follows it (`last_instant`).
    let end = if last {
        shared.duration
    } else {
        (epoch_index + 1) as f64 * shared.epoch
    };
    (start, end, last)
}

/// The spikes that spike sources emit in `[start, end)`, recorded and sent.
fn emit_spike_sources(
    slices: &mut [EventSlice],
    (start, end): (f64, f64),
    emitted: &mut Vec<(f64, u32)>,
    shared: &Shared,
    outbox: &mut Vec<Spike>,
) {
    for slice in slices.iter_mut() {
        emitted.clear();
        slice.model.emit(start, end, emitted);
        for &(t, n) in emitted.iter() {
            record_and_send(slice, on_grain(t), n, shared, outbox);
        }
    }
}

/// The recorded variables due at grid step `step` (time `t`): read from the
/// neuron state of a grid slice, from the event model of an exact one.
fn sample(
    recs: &mut [Vec<SliceRecorder>],
    grid: &Grid,
    grid_slices: &[Slice],
    slices: &mut [EventSlice],
    step: u64,
    t: f64,
) {
    for (si, slice_recs) in recs.iter_mut().enumerate() {
        for r in slice_recs.iter_mut() {
            if step.is_multiple_of(r.every) {
                for (variable, values) in r.variables.iter().zip(&mut r.values) {
                    if grid.is_grid[si] {
                        grid_slices[si].neuron.sample(variable, &r.local, values);
                        continue;
                    }
                    values.extend(
                        r.local
                            .iter()
                            .map(|&i| slices[si].model.value(variable, i as usize, t)),
                    );
                }
            }
        }
    }
}

/// Bytes of recordings a worker holds: spikes, samples and weight snapshots.
fn buffered_bytes(slices: &[EventSlice], recs: &[Vec<SliceRecorder>], worker: &Worker) -> usize {
    slices.iter().map(|s| s.spikes.len() * 12).sum::<usize>()
        + recs
            .iter()
            .flatten()
            .flat_map(|r| &r.values)
            .map(|v| v.len() * 8)
            .sum::<usize>()
        + crate::engine::plastic::snapshot_bytes(&worker.parts)
}

/// Whether a grid slice's neurons or an exact slice's model noted a state
/// that is not finite.
fn non_finite_noted(worker: &mut Worker, slices: &mut [EventSlice]) -> bool {
    worker.slices.iter_mut().any(finite::noted)
        || slices
            .iter_mut()
            .any(|s| s.model.finite_watch().is_some_and(|w| w.first().is_some()))
}

fn record_and_send(
    slice: &mut EventSlice,
    t: f64,
    local: u32,
    shared: &Shared,
    outbox: &mut Vec<Spike>,
) {
    let neuron = slice.offset + local;
    if shared.populations[slice.population].record_spikes {
        slice.spikes.push((t, neuron));
    }
    if !shared.outgoing[slice.population].is_empty() {
        outbox.push(Spike {
            step: 0,
            time: t,
            population: slice.population as u32,
            neuron,
            value: 1.0,
        });
    }
}

/// What processing the agenda works on.
struct Run<'a, 'b> {
    agenda: &'a mut Agenda,
    slices: &'a mut [EventSlice],
    shared: &'a Shared<'b>,
    worker: &'a mut Worker,
    plastic: &'a [Vec<(usize, usize)>],
    outbox: &'a mut Vec<Spike>,
    events: &'a mut u64,
}

impl Run<'_, '_> {
    /// Advance to each grid point before `end` from `next_sample` (and
    /// before `steps`), taking its samples and weight snapshots there;
    /// `next_sample` ends at the first not taken.
    fn sample_until(
        &mut self,
        grid: &mut Grid,
        recs: &mut [Vec<SliceRecorder>],
        (next_sample, steps): (&mut u64, u64),
        end: f64,
    ) {
        let dt = self.shared.dt;
        while *next_sample < steps && (*next_sample as f64 * dt) < end {
            let step = *next_sample;
            // On the event grain, so that an arrival at a grid point (a
            // spike time plus a delay, rounded to the grain) is applied
            // before the sample, as the clock engine applies it.
            let t_sample = on_grain(step as f64 * dt);
            self.advance(grid, t_sample, true, step + 1);
            sample(recs, grid, &self.worker.slices, self.slices, step, t_sample);
            let snapshot_steps = self.shared.snapshot_steps;
            at_grid_point(&mut self.worker.parts, step, dt, steps, snapshot_steps);
            *next_sample += 1;
        }
    }

    /// Process the events before `until` (or up to and including it), and
    /// step the grid slices to every grid point before `through`, each
    /// after the events before its time (see `event_grid`). Without grid
    /// slices this is `process_until` alone.
    fn advance(&mut self, grid: &mut Grid, until: f64, inclusive: bool, through: u64) {
        if !grid.slices.is_empty() {
            while grid.next < through {
                let t = grid.next as f64 * self.shared.dt;
                self.process(t.min(until), false);
                self.step_grid(grid);
            }
        }
        self.process(until, inclusive);
    }

    /// The run's last instant, after the last exchange, as the clock
    /// engine includes its last grid point: inputs sent in the last epoch
    /// that arrive exactly at the end act, and the spikes then are recorded
    /// (and sent nowhere: nothing arrives after the end).
    fn last_instant(&mut self, grid: &mut Grid, epoch_index: u64, steps: u64) {
        let (now, after) = (self.shared.duration, self.shared.duration.next_up());
        self.agenda.queue.advance_to(epoch_index + 1);
        let mut emitted = Vec::new();
        for slice in self.slices.iter_mut() {
            emitted.clear();
            slice.model.emit(now, after, &mut emitted);
            for &(t, n) in &emitted {
                record_and_send(slice, on_grain(t), n, self.shared, self.outbox);
            }
        }
        self.advance(grid, after, false, steps + 1);
        self.outbox.clear();
    }

    fn process(&mut self, until: f64, inclusive: bool) {
        process_until(
            self.agenda,
            self.slices,
            self.shared,
            self.worker,
            self.plastic,
            until,
            inclusive,
            self.outbox,
            self.events,
        );
    }

    /// Step every grid slice to grid point `grid.next`, as the clock engine
    /// does: plastic arrivals read their weights, the slice steps, plastic
    /// parts learn of its spikes, the ring slot is emptied, spikes and graded
    /// values are sent at the grid time, the drives due then are applied.
    fn step_grid(&mut self, grid: &mut Grid) {
        let k = grid.next;
        let t = k as f64 * self.shared.dt;
        let worker = &mut *self.worker;
        for gi in 0..grid.slices.len() {
            let si = grid.slices[gi];
            let slice = &mut worker.slices[si];
            for &(j, pi) in &self.plastic[si] {
                let part = &mut worker.parts[j][pi];
                let slot = slice.inputs[self.shared.projections[j].port].slot_mut(k);
                if let Some(p) = part.plastic.as_mut() {
                    p.arrive(k, t, &part.synapses, slot);
                }
            }
            grid.fired.clear();
            slice.neuron.step(k - 1, &slice.inputs, &mut grid.fired);
            if !self.plastic[si].is_empty() {
                post_spikes(&mut worker.parts, &self.plastic[si], &grid.fired, t);
            }
            let slice = &mut worker.slices[si];
            slice.inputs.iter_mut().for_each(|ring| ring.clear(k));
            for &n in &grid.fired {
                record_and_send(&mut self.slices[si], t, n, self.shared, self.outbox);
            }
            if !self.shared.outgoing[slice.population].is_empty() {
                send_graded(slice, t, self.outbox);
            }
            grid.after_step(slice, si, k);
        }
        grid.next += 1;
    }
}

/// Process the agenda's events before `until` (or up to and including it).
#[allow(clippy::too_many_arguments)]
fn process_until(
    agenda: &mut Agenda,
    slices: &mut [EventSlice],
    shared: &Shared,
    worker: &mut Worker,
    plastic: &[Vec<(usize, usize)>],
    until: f64,
    inclusive: bool,
    outbox: &mut Vec<Spike>,
    events: &mut u64,
) {
    let due = |t: f64| t < until || (inclusive && t == until);
    loop {
        let grid = agenda.checks.earliest().filter(|&(_, t)| due(t));
        let event = agenda.queue.peek().copied().filter(|e| due(e.time));
        match (grid, event) {
            // Checks on the grid rank as checks (class 2) at their time.
            (Some((_, t)), Some(e)) if e.time < t || (e.time == t && e.class < 2) => {
                agenda.queue.pop();
                handle(e, agenda, slices, shared, worker, plastic, outbox, events);
            }
            (Some((step, t)), _) => {
                let list = agenda.checks.take(step);
                for (k, c) in list.iter().enumerate() {
                    // The neurons to check are scattered: in large
                    // populations, fetch ahead.
                    if agenda.fetch_ahead
                        && let Some(a) = list.get(k + AHEAD)
                    {
                        let s = &slices[a.slice as usize];
                        prefetch(&s.pending, a.neuron as usize);
                        s.model.prefetch(a.neuron as usize);
                    }
                    let s = &mut slices[c.slice as usize];
                    check(
                        agenda,
                        s,
                        (c.slice as usize, c.neuron as usize),
                        c.version,
                        t,
                    );
                }
                agenda.checks.restore(step, list);
            }
            (None, Some(e)) => {
                agenda.queue.pop();
                handle(e, agenda, slices, shared, worker, plastic, outbox, events);
            }
            (None, None) => break,
        }
    }
}

/// A check of neuron `i` falls due at `t`, unless it is stale.
fn check(agenda: &mut Agenda, s: &mut EventSlice, (si, i): (usize, usize), version: u32, t: f64) {
    if s.pending[i].version == version {
        taken(s, i);
        let next = s.model.check(i, t);
        schedule(agenda, s, (si, i), t, next);
    }
}

#[allow(clippy::too_many_arguments)]
fn handle(
    e: Event,
    agenda: &mut Agenda,
    slices: &mut [EventSlice],
    shared: &Shared,
    worker: &mut Worker,
    plastic: &[Vec<(usize, usize)>],
    outbox: &mut Vec<Spike>,
    events: &mut u64,
) {
    match e.kind {
        Kind::Drive { slice, change } => {
            let s = &mut slices[slice as usize];
            let drive = s.drive[change as usize].1.clone();
            for (i, d) in drive.iter().enumerate() {
                let next = s.model.set_drive(i, e.time, *d);
                schedule(agenda, s, (slice as usize, i), e.time, next);
            }
        }
        Kind::Batch { j, part, pre } => {
            batch(
                agenda,
                slices,
                shared,
                worker,
                (j, part, pre),
                e.time,
                events,
            );
        }
        Kind::PlasticSingle { j, part, synapse } => {
            let p = &mut worker.parts[j as usize][part as usize];
            let s = &mut slices[p.slice];
            let port = s.ports[shared.projections[j as usize].port];
            let syn = synapse as usize;
            let i = p.synapses.targets[syn] as usize;
            let plastic = p.plastic.as_mut().expect("queued for plastic parts only");
            let weight = plastic.on_pre(syn, i, e.time) as f32 as f64;
            *events += 1;
            let next = s.model.receive(i, e.time, port, weight);
            schedule(agenda, s, (p.slice, i), e.time, next);
        }
        Kind::Single {
            slice,
            port,
            target,
            weight,
        } => {
            let s = &mut slices[slice as usize];
            let port = s.ports[port as usize];
            *events += 1;
            let next = s
                .model
                .receive(target as usize, e.time, port, weight as f64);
            schedule(agenda, s, (slice as usize, target as usize), e.time, next);
        }
        Kind::Check {
            slice,
            neuron,
            version,
        } => {
            let s = &mut slices[slice as usize];
            check(
                agenda,
                s,
                (slice as usize, neuron as usize),
                version,
                e.time,
            );
        }
        Kind::Fire {
            slice,
            neuron,
            version,
        } => {
            let (si, i) = (slice as usize, neuron as usize);
            let s = &mut slices[si];
            if s.pending[i].version == version {
                taken(s, i);
                record_and_send(s, e.time, neuron, shared, outbox);
                if !plastic[si].is_empty() {
                    post_spikes(&mut worker.parts, &plastic[si], &[neuron], e.time);
                }
                let next = s.model.fire(i, e.time);
                schedule(agenda, s, (si, i), e.time, next);
            }
        }
    }
}

/// A spike arriving at `time` through row `pre` of part `part` of
/// projection `j`: a static row goes to the model all at once, a plastic
/// one synapse by synapse.
fn batch(
    agenda: &mut Agenda,
    slices: &mut [EventSlice],
    shared: &Shared,
    worker: &mut Worker,
    (j, part, pre): (u32, u32, u32),
    time: f64,
    events: &mut u64,
) {
    let p = &mut worker.parts[j as usize][part as usize];
    let port_index = shared.projections[j as usize].port;
    let s = &mut slices[p.slice];
    let port = s.ports[port_index];
    let row = p.synapses.row(pre);
    *events += row.len() as u64;
    if let Some(plastic) = p.plastic.as_mut() {
        // Each synapse's weight is read (and changed) as the spike
        // arrives, so a plastic row goes synapse by synapse.
        for syn in row {
            let i = p.synapses.targets[syn] as usize;
            // Rounded as the CSR's weights are, so a static and a
            // plastic synapse of equal weight act alike.
            let weight = plastic.on_pre(syn, i, time) as f32 as f64;
            let next = s.model.receive(i, time, port, weight);
            schedule(agenda, s, (p.slice, i), time, next);
        }
        return;
    }
    let (population, offset) = (s.population as u32, s.offset);
    let pending = &mut s.pending;
    let (targets, weights) = (&p.synapses.targets[row.clone()], &p.synapses.weights[row]);
    // The model reports the targets in order: in a large population,
    // fetch the live entry of the one `AHEAD` places on.
    let (mut k, fetch) = (0, scattered(pending));
    s.model
        .receive_all(time, port, targets, weights, &mut |i, next| {
            if fetch && let Some(&ahead) = targets.get(k + AHEAD) {
                prefetch(pending, ahead as usize);
            }
            k += 1;
            let whom = Whom {
                slice: p.slice as u32,
                neuron: i as u32,
                population,
                offset,
            };
            enter(agenda, &mut pending[i], whom, time, next);
        });
}

/// Queue the epoch's spikes (canonical order) as inputs to this worker's slices.
fn deliver(
    queue: &mut Calendar<Event>,
    worker: &mut Worker,
    spikes: &[Spike],
    shared: &Shared,
    grid: &Grid,
) -> u64 {
    let mut on_grid = 0;
    for spike in spikes {
        for &j in &shared.outgoing[spike.population as usize] {
            for part_index in 0..worker.parts[j].len() {
                let part = &worker.parts[j][part_index];
                let csr = &part.synapses;
                let row = csr.row(spike.neuron);
                if row.is_empty() {
                    continue;
                }
                if grid.is_grid[part.slice] {
                    on_grid += to_grid(worker, (j, part_index), spike, shared, grid.next);
                    continue;
                }
                queue_exact(queue, part, (j, part_index), spike, shared);
            }
        }
    }
    // Events to exact slices are counted when applied (`process_until`).
    on_grid
}

/// An input arriving at `time`: inputs come after drives and before
/// thresholds at the same time (see [`Event`]).
fn input(time: f64, key: [u32; 4], kind: Kind) -> Event {
    Event {
        time,
        class: 1,
        key,
        kind,
    }
}

/// Queue a spike's inputs through part `(j, part_index)`, which ends in an
/// exact slice: one batch for the row when its delays are uniform, else one
/// event per synapse.
fn queue_exact(
    queue: &mut Calendar<Event>,
    part: &ProjectionPart,
    (j, part_index): (usize, usize),
    spike: &Spike,
    shared: &Shared,
) {
    let csr = &part.synapses;
    let row = csr.row(spike.neuron);
    let key = [spike.population, spike.neuron, j as u32, 0];
    let graded = spike.value != 1.0 && part.plastic.is_none();
    match csr
        .exact_delays
        .as_ref()
        .expect("event networks keep exact delays")
    {
        ExactDelays::Uniform(d) if graded => {
            // A graded value scales each synapse's weight.
            let port = shared.projections[j].port as u8;
            for s in row {
                let kind = Kind::Single {
                    slice: part.slice as u32,
                    port,
                    target: csr.targets[s],
                    weight: (csr.weights[s] as f64 * spike.value) as f32,
                };
                let key = [spike.population, spike.neuron, j as u32, s as u32];
                let time = on_grain(spike.time + d);
                push(queue, input(time, key, kind));
            }
        }
        ExactDelays::Uniform(d) => {
            let kind = Kind::Batch {
                j: j as u32,
                part: part_index as u32,
                pre: spike.neuron,
            };
            push(queue, input(on_grain(spike.time + d), key, kind));
        }
        ExactDelays::PerSynapse(delays) if part.plastic.is_some() => {
            for s in row {
                let kind = Kind::PlasticSingle {
                    j: j as u32,
                    part: part_index as u32,
                    synapse: s as u32,
                };
                let key = [spike.population, spike.neuron, j as u32, s as u32];
                push(queue, input(on_grain(spike.time + delays[s]), key, kind));
            }
        }
        ExactDelays::PerSynapse(delays) => {
            let port = shared.projections[j].port as u8;
            for s in row {
                let kind = Kind::Single {
                    slice: part.slice as u32,
                    port,
                    target: csr.targets[s],
                    weight: match graded {
                        true => (csr.weights[s] as f64 * spike.value) as f32,
                        false => csr.weights[s],
                    },
                };
                let key = [spike.population, spike.neuron, j as u32, s as u32];
                push(queue, input(on_grain(spike.time + delays[s]), key, kind));
            }
        }
    }
}

/// Put a spike's inputs through part `(j, part)`, which ends in a grid
/// slice, into the slice's rings at their `arrival_step`s, as the clock
/// engine's `deliver` does (plastic parts queue them to read the weight on
/// arrival); returns the synaptic events. `next` is the grid point the
/// slice steps to next: an arrival rounded onto an earlier one would be a
/// scheduling error.
fn to_grid(
    worker: &mut Worker,
    (j, part): (usize, usize),
    spike: &Spike,
    shared: &Shared,
    next: u64,
) -> u64 {
    let p = &mut worker.parts[j][part];
    let csr = &p.synapses;
    let delays = csr
        .exact_delays
        .as_ref()
        .expect("event networks keep exact delays");
    let ring = &mut worker.slices[p.slice].inputs[shared.projections[j].port];
    let row = csr.row(spike.neuron);
    let events = row.len() as u64;
    for s in row {
        let d = match delays {
            ExactDelays::Uniform(d) => *d,
            ExactDelays::PerSynapse(ds) => ds[s],
        };
        let step = arrival_step(spike.time + d, shared.dt);
        debug_assert!(step >= next, "an input for a grid point already stepped");
        let step = step.max(next);
        match p.plastic.as_mut() {
            Some(plastic) => plastic.queue(step, s as u32),
            None => ring.slot_mut(step).push(Arrival {
                target: csr.targets[s],
                weight: match spike.value == 1.0 {
                    true => csr.weights[s],
                    false => (csr.weights[s] as f64 * spike.value) as f32,
                },
            }),
        }
    }
    events
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
    let dt = net.dt;
    let mut spikes: Vec<Vec<(f64, u32)>> = vec![Vec::new(); net.populations.len()];
    let mut traces = Traces::new(net, records, from, through)?;
    let mut synaptic_events = 0;
    for (run, worker) in runs.iter_mut().zip(&net.workers) {
        synaptic_events += run.synaptic_events;
        for (si, clock_slice) in worker.slices.iter().enumerate() {
            if let Some(state) = &mut run.state {
                let slice = &mut state.slices[si];
                spikes[slice.population].append(&mut slice.spikes);
            }
            traces.add(&mut run.recs[si], clock_slice.neuron.as_ref());
        }
    }
    let spikes = spikes
        .into_iter()
        .zip(&net.populations)
        .map(|(mut list, pop)| {
            list.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut trains = SpikeTrains::new(&pop.name, pop.size as u32);
            // The step of a spike is the first grid point at or after it, as
            // the clock engine would report it.
            trains.steps = list
                .iter()
                .map(|&(t, _)| ((t / dt) - 1e-9).ceil().max(0.0) as u64)
                .collect();
            trains.senders = list.iter().map(|&(_, n)| n).collect();
            trains.times = Some(list.iter().map(|&(t, _)| t).collect());
            trains
        })
        .collect();
    Ok(Outcome {
        spikes,
        states: traces.states,
        synaptic_events,
    })
}

// Checkpoints (see `engine::persist`): the event engine's per-worker state.
// The drive schedules, ports and shared tables come from the model.

impl Default for Event {
    fn default() -> Self {
        Event {
            time: 0.0,
            class: 0,
            key: [0; 4],
            kind: Kind::Drive {
                slice: 0,
                change: 0,
            },
        }
    }
}

impl Persist for Event {
    fn persist(&mut self, s: &mut Snapshot) {
        s.scalar(&mut self.time);
        s.scalar(&mut self.class);
        for k in &mut self.key {
            s.scalar(k);
        }
        self.kind.persist(s);
    }
}

impl Persist for Kind {
    fn persist(&mut self, s: &mut Snapshot) {
        let mut tag: u8 = match self {
            Kind::Drive { .. } => 0,
            Kind::Batch { .. } => 1,
            Kind::Single { .. } => 2,
            Kind::PlasticSingle { .. } => 3,
            Kind::Check { .. } => 4,
            Kind::Fire { .. } => 5,
        };
        s.scalar(&mut tag);
        if s.is_loading() {
            *self = match tag {
                0 => Kind::Drive {
                    slice: 0,
                    change: 0,
                },
                1 => Kind::Batch {
                    j: 0,
                    part: 0,
                    pre: 0,
                },
                2 => Kind::Single {
                    slice: 0,
                    port: 0,
                    target: 0,
                    weight: 0.0,
                },
                3 => Kind::PlasticSingle {
                    j: 0,
                    part: 0,
                    synapse: 0,
                },
                4 => Kind::Check {
                    slice: 0,
                    neuron: 0,
                    version: 0,
                },
                5 => Kind::Fire {
                    slice: 0,
                    neuron: 0,
                    version: 0,
                },
                other => return s.invalid(format!("no event kind {other}")),
            };
        }
        match self {
            Kind::Drive { slice, change } => {
                s.scalar(slice);
                s.scalar(change);
            }
            Kind::Batch { j, part, pre } => {
                s.scalar(j);
                s.scalar(part);
                s.scalar(pre);
            }
            Kind::Single {
                slice,
                port,
                target,
                weight,
            } => {
                s.scalar(slice);
                s.scalar(port);
                s.scalar(target);
                s.scalar(weight);
            }
            Kind::PlasticSingle { j, part, synapse } => {
                s.scalar(j);
                s.scalar(part);
                s.scalar(synapse);
            }
            Kind::Check {
                slice,
                neuron,
                version,
            }
            | Kind::Fire {
                slice,
                neuron,
                version,
            } => {
                s.scalar(slice);
                s.scalar(neuron);
                s.scalar(version);
            }
        }
    }
}

impl Persist for Pending {
    fn persist(&mut self, s: &mut Snapshot) {
        s.scalar(&mut self.version);
        s.scalar(&mut self.fire);
        s.scalar(&mut self.time);
    }
}

// Not derived: the type's definition is the loop code's, left untouched.
#[allow(clippy::derivable_impls)]
impl Default for GridCheck {
    fn default() -> Self {
        GridCheck {
            slice: 0,
            neuron: 0,
            version: 0,
        }
    }
}

impl Persist for GridCheck {
    fn persist(&mut self, s: &mut Snapshot) {
        s.scalar(&mut self.slice);
        s.scalar(&mut self.neuron);
        s.scalar(&mut self.version);
    }
}

/// The model's state, the neurons' live entries and the spikes recorded
/// so far.
impl Persist for EventSlice {
    fn persist(&mut self, s: &mut Snapshot) {
        s.same("population", &mut self.population);
        s.same("offset", &mut self.offset);
        s.count("neurons", self.model.size());
        s.section("model", |s| self.model.persist(s));
        s.count("drive changes", self.drive.len());
        s.items(&mut self.pending);
        s.seq(&mut self.spikes, (0.0, 0), |s, (t, n)| {
            s.scalar(t);
            s.scalar(n);
        });
    }
}

impl Persist for Agenda {
    fn persist(&mut self, s: &mut Snapshot) {
        s.section("queue", |s| self.queue.persist(s));
        s.section("checks", |s| self.checks.persist(s));
        s.scalar(&mut self.fetch_ahead);
    }
}

#[cfg(test)]
mod persist_tests;
