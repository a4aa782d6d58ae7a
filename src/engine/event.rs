//! The event-driven scheduler: spikes are timed events in a priority queue,
//! and each neuron is advanced in closed form from its last update to the
//! next event that reaches it. Spike times are real numbers; delays are not
//! rounded to `dt`.
//!
//! Per neuron the queue holds at most one live "check" or "spike" entry:
//! after every change of its state the model says when a threshold crossing
//! could happen at the earliest (a check) or will happen (a spike); a
//! version number per neuron makes older entries stale. Checks are cheap
//! bounds; the exact crossing (see `neuron::exact`) is searched only when a
//! check falls due, not on every input.
//!
//! Workers and epochs are as in the clock engine: each worker runs its own
//! queue up to the end of an epoch as long as the shortest delay, then the
//! epoch's spikes are exchanged and delivered into the target workers'
//! queues. Ties in time are broken by a key that names the source (or the
//! neuron), never the worker, so the result is the same for any number of
//! threads.

use std::cmp::Ordering;

use crate::engine::calendar::Calendar;
use crate::engine::exchange::{Exchange, LocalExchange, Spike, on_workers};
use crate::engine::network::{Network, Population, Projection, Worker};
use crate::engine::plastic::{at_grid_point, plastic_by_slice, post_spikes};
use crate::engine::recording::{SliceRecorder, Traces, slice_recorders};
use crate::io::results::SpikeTrains;
use crate::model::spec::{ModelSpec, Port, RecordSpec};
use crate::neuron::exact::on_grain;
use crate::neuron::{EventModel, Next};
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
    version: Vec<u32>,
    /// Time of each neuron's live queue entry (infinite: none), and whether
    /// it is a spike (which any input invalidates) rather than a check.
    scheduled: Vec<f64>,
    fire_pending: Vec<bool>,
    /// Drive changes: `(time, drive of each neuron of the slice)`.
    drive: Vec<(f64, Vec<f64>)>,
    /// `(time, neuron within the population)`.
    spikes: Vec<(f64, u32)>,
}

struct Shared<'a> {
    duration: f64,
    dt: f64,
    snapshot_steps: &'a [Vec<u64>],
    epoch: f64,
    populations: &'a [Population],
    projections: &'a [Projection],
    outgoing: &'a [Vec<usize>],
}

pub fn run(net: &mut Network, spec: &ModelSpec, progress: &mut dyn FnMut(u64)) -> Outcome {
    let epoch = net
        .projections
        .iter()
        .filter_map(|p| p.min_delay_seconds)
        .fold(f64::INFINITY, f64::min)
        .min(spec.simulation.duration.max(net.dt));
    let Network {
        dt,
        populations,
        projections,
        outgoing,
        workers,
        snapshot_steps,
        ..
    } = net;
    let shared = Shared {
        duration: spec.simulation.duration,
        dt: *dt,
        snapshot_steps,
        epoch,
        populations,
        projections,
        outgoing,
    };
    let exchange = LocalExchange::new(workers.len());
    let records = &spec.records;

    let jobs: Vec<&mut Worker> = workers.iter_mut().collect();
    let (shared, exchange) = (&shared, &exchange);
    let outcomes = on_workers(jobs, progress, |w, worker, progress| {
        run_worker(w, worker, shared, exchange, records, progress)
    });
    assemble(net, records, outcomes)
}

fn event_slices(worker: &Worker) -> Vec<EventSlice> {
    worker
        .slices
        .iter()
        .map(|s| {
            let model = s
                .neuron
                .event_model()
                .expect("every model that validation admits has an event-driven form");
            let n = model.size();
            let drive = s
                .drive
                .iter()
                .map(|c| (on_grain(c.time), c.drive.clone()))
                .collect();
            EventSlice {
                population: s.population,
                offset: s.offset,
                ports: s.neuron.ports().to_vec(),
                model,
                version: vec![0; n],
                scheduled: vec![f64::INFINITY; n],
                fire_pending: vec![false; n],
                drive,
                spikes: Vec::new(),
            }
        })
        .collect()
}

fn recorders(slices: &[EventSlice], records: &[RecordSpec]) -> Vec<Vec<SliceRecorder>> {
    slices
        .iter()
        .map(|s| slice_recorders(s.population, s.offset, s.model.size(), records))
        .collect()
}

/// Queue what a model asked for. A live check that is earlier than the new
/// one stays (it is still a safe lower bound, and looking again then costs
/// less than queueing anew); a pending spike is always replaced, since any
/// input may cancel or move it.
fn schedule(queue: &mut Calendar<Event>, slice: &mut EventSlice, si: usize, i: usize, next: Next) {
    let keep_live = !slice.fire_pending[i];
    let time = match next {
        Next::Nothing if keep_live => return,
        Next::Check(t) if keep_live && t >= slice.scheduled[i] => return,
        Next::Nothing => f64::INFINITY,
        Next::Check(t) | Next::Spike(t) => t,
    };
    slice.version[i] = slice.version[i].wrapping_add(1);
    slice.scheduled[i] = time;
    slice.fire_pending[i] = matches!(next, Next::Spike(_));
    let version = slice.version[i];
    let key = [slice.population as u32, slice.offset + i as u32, 0, 0];
    let (slice_id, neuron) = (si as u32, i as u32);
    let event = match next {
        Next::Nothing => return,
        Next::Check(t) => Event {
            time: t,
            class: 2,
            key,
            kind: Kind::Check {
                slice: slice_id,
                neuron,
                version,
            },
        },
        Next::Spike(t) => Event {
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
    queue.push(event.time, event);
}

fn push(queue: &mut Calendar<Event>, event: Event) {
    queue.push(event.time, event);
}

/// The neuron's live entry has been taken from the queue.
fn taken(slice: &mut EventSlice, i: usize) {
    slice.scheduled[i] = f64::INFINITY;
    slice.fire_pending[i] = false;
}

#[allow(clippy::too_many_arguments)]
fn run_worker(
    w: usize,
    worker: &mut Worker,
    shared: &Shared,
    exchange: &dyn Exchange,
    records: &[RecordSpec],
    progress: &mut dyn FnMut(u64),
) -> (Vec<EventSlice>, Vec<Vec<SliceRecorder>>, u64) {
    let mut slices = event_slices(worker);
    let plastic = plastic_by_slice(&worker.parts, worker.slices.len());
    let mut recs = recorders(&slices, records);
    let mut queue: Calendar<Event> = Calendar::new(shared.epoch);
    for (si, slice) in slices.iter_mut().enumerate() {
        for (c, (t, _)) in slice.drive.iter().enumerate() {
            let key = [slice.population as u32, slice.offset, 0, 0];
            push(
                &mut queue,
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
            schedule(&mut queue, slice, si, i, next);
        }
    }
    let steps = (shared.duration / shared.dt).round() as u64;
    let mut next_sample = 0u64;
    let (mut outbox, mut all, mut emitted) = (Vec::new(), Vec::new(), Vec::new());
    let mut synaptic_events = 0;
    let mut epoch_index = 0;
    loop {
        // Epoch boundaries are multiples of the epoch length, as the
        // calendar's buckets are.
        let start = epoch_index as f64 * shared.epoch;
        let last = start + shared.epoch >= shared.duration;
        // The last epoch includes the end of the run, as the clock engine
        // includes spikes at its last grid point.
        let end = if last {
            shared.duration.next_up()
        } else {
            (epoch_index + 1) as f64 * shared.epoch
        };
        queue.advance_to(epoch_index);
        for (si, slice) in slices.iter_mut().enumerate() {
            emitted.clear();
            slice.model.emit(start, end, &mut emitted);
            for &(t, n) in &emitted {
                record_and_send(slice, on_grain(t), n, shared, &mut outbox);
            }
            let _ = si;
        }
        // Interleave the queue with the samples due in this epoch.
        while next_sample < steps && (next_sample as f64 * shared.dt) < end {
            // On the event grain, so that an arrival at a grid point (a
            // spike time plus a delay, rounded to the grain) is applied
            // before the sample, as the clock engine applies it.
            let t_sample = on_grain(next_sample as f64 * shared.dt);
            process_until(
                &mut queue,
                &mut slices,
                shared,
                worker,
                &plastic,
                t_sample,
                true,
                &mut outbox,
                &mut synaptic_events,
            );
            for (si, slice_recs) in recs.iter_mut().enumerate() {
                for r in slice_recs.iter_mut() {
                    if next_sample.is_multiple_of(r.every) {
                        for (variable, values) in r.variables.iter().zip(&mut r.values) {
                            values.extend(
                                r.local.iter().map(|&i| {
                                    slices[si].model.value(variable, i as usize, t_sample)
                                }),
                            );
                        }
                    }
                }
            }
            at_grid_point(
                &mut worker.parts,
                next_sample,
                shared.dt,
                steps,
                shared.snapshot_steps,
            );
            next_sample += 1;
        }
        process_until(
            &mut queue,
            &mut slices,
            shared,
            worker,
            &plastic,
            end,
            false,
            &mut outbox,
            &mut synaptic_events,
        );
        outbox.sort_unstable_by(Spike::canonical_cmp);
        exchange.exchange(w, epoch_index, &mut outbox, &mut all);
        synaptic_events += deliver(&mut queue, worker, &all, shared);
        epoch_index += 1;
        progress(((end.min(shared.duration) / shared.dt).round() as u64).min(steps));
        if last {
            break;
        }
    }
    at_grid_point(
        &mut worker.parts,
        steps,
        shared.dt,
        steps,
        shared.snapshot_steps,
    );
    (slices, recs, synaptic_events)
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

/// Process queued events before `until` (or up to and including it).
#[allow(clippy::too_many_arguments)]
fn process_until(
    queue: &mut Calendar<Event>,
    slices: &mut [EventSlice],
    shared: &Shared,
    worker: &mut Worker,
    plastic: &[Vec<(usize, usize)>],
    until: f64,
    inclusive: bool,
    outbox: &mut Vec<Spike>,
    events: &mut u64,
) {
    while let Some(e) = queue.peek().copied() {
        if e.time > until || (!inclusive && e.time >= until) {
            break;
        }
        queue.pop();
        match e.kind {
            Kind::Drive { slice, change } => {
                let s = &mut slices[slice as usize];
                let drive = s.drive[change as usize].1.clone();
                for (i, d) in drive.iter().enumerate() {
                    let next = s.model.set_drive(i, e.time, *d);
                    schedule(queue, s, slice as usize, i, next);
                }
            }
            Kind::Batch { j, part, pre } => {
                let p = &mut worker.parts[j as usize][part as usize];
                let port_index = shared.projections[j as usize].port;
                let s = &mut slices[p.slice];
                let port = s.ports[port_index];
                let row = p.synapses.row(pre);
                *events += row.len() as u64;
                match p.plastic.as_mut() {
                    None => {
                        for syn in row {
                            let i = p.synapses.targets[syn] as usize;
                            let weight = p.synapses.weights[syn] as f64;
                            let next = s.model.receive(i, e.time, port, weight);
                            schedule(queue, s, p.slice, i, next);
                        }
                    }
                    Some(plastic) => {
                        for syn in row {
                            let i = p.synapses.targets[syn] as usize;
                            // Rounded as the CSR's weights are, so a static
                            // and a plastic synapse of equal weight act alike.
                            let weight = plastic.on_pre(syn, i, e.time) as f32 as f64;
                            let next = s.model.receive(i, e.time, port, weight);
                            schedule(queue, s, p.slice, i, next);
                        }
                    }
                }
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
                schedule(queue, s, p.slice, i, next);
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
                schedule(queue, s, slice as usize, target as usize, next);
            }
            Kind::Check {
                slice,
                neuron,
                version,
            } => {
                let s = &mut slices[slice as usize];
                if s.version[neuron as usize] == version {
                    taken(s, neuron as usize);
                    let next = s.model.check(neuron as usize, e.time);
                    schedule(queue, s, slice as usize, neuron as usize, next);
                }
            }
            Kind::Fire {
                slice,
                neuron,
                version,
            } => {
                let s = &mut slices[slice as usize];
                if s.version[neuron as usize] == version {
                    taken(s, neuron as usize);
                    record_and_send(s, e.time, neuron, shared, outbox);
                    if !plastic[slice as usize].is_empty() {
                        post_spikes(
                            &mut worker.parts,
                            &plastic[slice as usize],
                            &[neuron],
                            e.time,
                        );
                    }
                    let next = s.model.fire(neuron as usize, e.time);
                    schedule(queue, s, slice as usize, neuron as usize, next);
                }
            }
        }
    }
}

/// Queue the epoch's spikes (canonical order) as inputs to this worker's slices.
fn deliver(queue: &mut Calendar<Event>, worker: &Worker, spikes: &[Spike], shared: &Shared) -> u64 {
    for spike in spikes {
        for &j in &shared.outgoing[spike.population as usize] {
            for (part_index, part) in worker.parts[j].iter().enumerate() {
                let csr = &part.synapses;
                let row = csr.row(spike.neuron);
                if row.is_empty() {
                    continue;
                }
                let key = [spike.population, spike.neuron, j as u32, 0];
                match csr
                    .exact_delays
                    .as_ref()
                    .expect("event networks keep exact delays")
                {
                    ExactDelays::Uniform(d) => {
                        let kind = Kind::Batch {
                            j: j as u32,
                            part: part_index as u32,
                            pre: spike.neuron,
                        };
                        push(
                            queue,
                            Event {
                                time: on_grain(spike.time + d),
                                class: 1,
                                key,
                                kind,
                            },
                        );
                    }
                    ExactDelays::PerSynapse(delays) if part.plastic.is_some() => {
                        for s in row {
                            let kind = Kind::PlasticSingle {
                                j: j as u32,
                                part: part_index as u32,
                                synapse: s as u32,
                            };
                            let key = [spike.population, spike.neuron, j as u32, s as u32];
                            push(
                                queue,
                                Event {
                                    time: on_grain(spike.time + delays[s]),
                                    class: 1,
                                    key,
                                    kind,
                                },
                            );
                        }
                    }
                    ExactDelays::PerSynapse(delays) => {
                        let port = shared.projections[j].port as u8;
                        for s in row {
                            let kind = Kind::Single {
                                slice: part.slice as u32,
                                port,
                                target: csr.targets[s],
                                weight: csr.weights[s],
                            };
                            let key = [spike.population, spike.neuron, j as u32, s as u32];
                            push(
                                queue,
                                Event {
                                    time: on_grain(spike.time + delays[s]),
                                    class: 1,
                                    key,
                                    kind,
                                },
                            );
                        }
                    }
                }
            }
        }
    }
    // Events are counted when applied (`process_until`).
    0
}

fn assemble(
    net: &Network,
    records: &[RecordSpec],
    outcomes: Vec<(Vec<EventSlice>, Vec<Vec<SliceRecorder>>, u64)>,
) -> Outcome {
    let dt = net.dt;
    let mut spikes: Vec<Vec<(f64, u32)>> = vec![Vec::new(); net.populations.len()];
    let mut traces = Traces::new(net, records);
    let mut synaptic_events = 0;
    for ((slices, recs, events), worker) in outcomes.into_iter().zip(&net.workers) {
        synaptic_events += events;
        for ((slice, slice_recs), clock_slice) in slices.into_iter().zip(recs).zip(&worker.slices) {
            spikes[slice.population].extend(slice.spikes);
            traces.add(slice_recs, clock_slice.neuron.as_ref());
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
    Outcome {
        spikes,
        states: traces.states,
        synaptic_events,
    }
}
