//! Fixed-point mode: the whole network in Loihi's integer arithmetic, step
//! by step, bit for bit as Lava's bit-accurate models (`arith` holds the
//! rules).
//!
//! Steps are numbered 1, 2, 3, ... A step of a worker: every slice it owns
//! takes the synaptic input accumulated at the previous step (`a_in`) and
//! advances (LIF) or emits its pattern column (sources); the step's spikes
//! are recorded and exchanged; each worker then sums, per projection and
//! target, the weights of the spikes that reach its own slices and scales
//! each sum by the projection's exponent: that is the next step's `a_in`.
//! This is the chip's one-step synaptic pipeline, and it makes the step
//! the epoch of the exchange. Integer sums do not depend on their order,
//! so any partition gives the same integers; the partition and the
//! exchange are the clock engine's (`partition`, `exchange`).
//!
//! Zero-delay projections (`delay = "0 ms"`, see `zero`) bypass the
//! pipeline: within a step the slices advance layer by layer, and the
//! spikes of a layer's zero-delay projections are exchanged and summed into
//! their targets' `a_in` before the next layer advances.

pub mod arith;

use crate::engine::comm::{Comm, Reduce, Solo};
use crate::engine::exchange::{Exchange, LocalExchange, Spike, Vote, on_workers, vote};
use crate::engine::partition::{self, RankShare, SlicePlan};
use crate::engine::persist::{Persist, PersistError, Snapshot};
use crate::engine::segment::{RunError, Segmented, worker_vote};
use crate::engine::zero::Layers;
use crate::io::results::{Results, SpikeTrains, StateTrace};
use crate::model::fixed::{FixedKind, FixedModel, FixedProjection, FixedWeights};
use crate::model::memory::MemoryError;
use crate::model::spec::{ProjectionSpec, RecordSpec, ValueSpec};
use crate::neuron::loihi_lif::LoihiLif;
use crate::neuron::spike_pattern::SpikePattern;
use crate::synapse::connect;
use crate::synapse::fixed::{IntCsr, SignMode, quantize};

/// The neurons of a slice.
enum Cells {
    Lif(LoihiLif),
    Pattern(SpikePattern),
}

impl Cells {
    fn size(&self) -> usize {
        match self {
            Cells::Lif(n) => n.size(),
            Cells::Pattern(p) => p.size(),
        }
    }

    fn split(&self, offset: usize, len: usize) -> Self {
        match self {
            Cells::Lif(n) => Cells::Lif(n.split(offset, len)),
            Cells::Pattern(p) => Cells::Pattern(p.split(offset, len)),
        }
    }

    /// Step `t` (from 1) with input `a_in`; spikes appended in order.
    fn step(&mut self, t: u64, a_in: &[i32], spikes: &mut Vec<u32>) {
        match self {
            Cells::Lif(n) => n.step(a_in, spikes),
            Cells::Pattern(p) => p.emit(t, spikes),
        }
    }

    fn value(&self, variable: &str, i: u32) -> i32 {
        match (self, variable) {
            (Cells::Lif(n), "u") => n.u[i as usize],
            (Cells::Lif(n), _) => n.v[i as usize],
            (Cells::Pattern(_), _) => 0,
        }
    }
}

struct Slice {
    population: usize,
    offset: u32,
    cells: Cells,
    /// Synaptic input for the next step, one per neuron.
    a_in: Vec<i32>,
}

/// The synapses of one projection that end in one slice.
struct Part {
    slice: usize,
    synapses: IntCsr,
    weight_exp: i32,
    /// This step's weight sums per target neuron of the slice, and the
    /// targets that received something (so that quiet steps cost nothing).
    sums: Vec<i64>,
    touched: Vec<u32>,
    marked: Vec<bool>,
}

struct Worker {
    slices: Vec<Slice>,
    /// Per projection, the parts that end in this worker's slices.
    parts: Vec<Vec<Part>>,
}

/// A built integer network, its neurons dealt to workers.
pub struct FixedNetwork {
    /// Number of steps of the run.
    pub steps: u64,
    names: Vec<String>,
    sizes: Vec<u32>,
    record_spikes: Vec<bool>,
    /// Projections leaving each population (those of `layers.later` when
    /// some projection has a zero delay).
    outgoing: Vec<Vec<usize>>,
    /// The settling order when the model has zero-delay projections.
    layers: Option<Layers>,
    synapse_count: usize,
    workers: Vec<Worker>,
}

/// The synapses of a projection with their weights as the chip holds them:
/// sign mode (given or inferred), clipping and truncation, done once here.
pub fn projection_synapses(
    p: &FixedProjection,
    n_pre: u32,
    n_post: u32,
    seed: u64,
    dt: f64,
) -> (IntCsr, SignMode) {
    let raw: Vec<(u32, u32, i64)> = match &p.weights {
        FixedWeights::Dense(rows) => rows
            .iter()
            .enumerate()
            .flat_map(|(post, row)| {
                row.iter()
                    .enumerate()
                    .map(move |(pre, &w)| (pre as u32, post as u32, w))
            })
            .collect(),
        FixedWeights::Rule(rule, w) => {
            // The float engine's connection rules, for the pairs only.
            let spec = ProjectionSpec {
                name: p.name.clone(),
                from: p.from,
                to: p.to,
                rule: rule.clone(),
                weight: ValueSpec::Constant(1.0),
                delay: ValueSpec::Constant(dt),
                port: crate::model::spec::Port::Voltage,
                allow_autapses: p.allow_autapses,
                plasticity: None,
            };
            connect::build(&spec, n_pre, n_post, seed, dt, false)
                .iter()
                .map(|s| (s.pre, s.post, *w))
                .collect()
        }
    };
    let mode = p
        .sign_mode
        .unwrap_or_else(|| SignMode::infer(raw.iter().map(|s| s.2)));
    let synapses = raw
        .into_iter()
        .map(|(pre, post, w)| (pre, post, quantize(w, mode, p.num_weight_bits)))
        .collect();
    (IntCsr::new(n_pre as usize, synapses), mode)
}

impl FixedNetwork {
    /// Builds the integer network of `model`, its random draws from `seed`, for `steps` steps
    /// of `dt` seconds, its neurons dealt to `threads` workers.
    pub fn build(model: &FixedModel, seed: u64, dt: f64, steps: u64, threads: usize) -> Self {
        Self::build_share(model, seed, dt, steps, RankShare::solo(threads), &Solo)
    }

    /// The part of the network that rank `share.rank` owns (see
    /// [`crate::engine::network::Network::try_build_share`]); `comm` sums
    /// the synapse count over the ranks.
    pub fn build_share(
        model: &FixedModel,
        seed: u64,
        dt: f64,
        steps: u64,
        share: RankShare,
        comm: &dyn Comm,
    ) -> Self {
        let sizes: Vec<u32> = model.populations.iter().map(|p| p.size).collect();
        let plan: Vec<_> = Self::plan(model, share)
            .into_iter()
            .filter_map(|s| {
                let worker = share.local(s.worker)?;
                Some(SlicePlan { worker, ..s })
            })
            .collect();
        let threads = share.threads;
        let targeted = |to: usize| plan.iter().any(|s| s.population == to);
        let csrs: Vec<Option<IntCsr>> = model
            .projections
            .iter()
            .map(|p| {
                targeted(p.to)
                    .then(|| projection_synapses(p, sizes[p.from], sizes[p.to], seed, dt).0)
            })
            .collect();
        let whole: Vec<Cells> = model
            .populations
            .iter()
            .map(|p| match &p.kind {
                FixedKind::Lif(params) => Cells::Lif(LoihiLif::new(params)),
                FixedKind::SpikePattern(rows) => Cells::Pattern(SpikePattern::new(rows.clone())),
            })
            .collect();
        let mut workers: Vec<Worker> = (0..threads.max(1))
            .map(|_| Worker {
                slices: Vec::new(),
                parts: (0..csrs.len()).map(|_| Vec::new()).collect(),
            })
            .collect();
        for s in &plan {
            let cells = whole[s.population].split(s.offset as usize, s.len as usize);
            let worker = &mut workers[s.worker];
            let local = worker.slices.len();
            worker.slices.push(Slice {
                population: s.population,
                offset: s.offset,
                cells,
                a_in: vec![0; s.len as usize],
            });
            for (j, p) in model.projections.iter().enumerate() {
                if p.to == s.population {
                    worker.parts[j].push(Part {
                        slice: local,
                        synapses: match &csrs[j] {
                            Some(csr) => csr.restricted_to_targets(s.offset, s.offset + s.len),
                            None => unreachable!("built for every projection onto this rank"),
                        },
                        weight_exp: p.weight_exp,
                        sums: vec![0; s.len as usize],
                        touched: Vec::new(),
                        marked: vec![false; s.len as usize],
                    });
                }
            }
        }
        let links: Vec<_> = model
            .projections
            .iter()
            .map(|p| (p.from, p.to, p.zero_delay))
            .collect();
        let layers = Layers::new(sizes.len(), &links);
        let outgoing = match &layers {
            Some(layers) => layers.later.clone(),
            None => {
                let mut outgoing = vec![Vec::new(); sizes.len()];
                for (j, p) in model.projections.iter().enumerate() {
                    outgoing[p.from].push(j);
                }
                outgoing
            }
        };
        let mut synapse_count = [workers
            .iter()
            .flat_map(|w| w.parts.iter().flatten())
            .map(|part| part.synapses.len() as u64)
            .sum::<u64>()];
        comm.all_reduce(&mut synapse_count, Reduce::Sum);
        Self {
            steps,
            names: model.populations.iter().map(|p| p.name.clone()).collect(),
            record_spikes: model.populations.iter().map(|p| p.record_spikes).collect(),
            sizes,
            outgoing,
            layers,
            synapse_count: synapse_count[0] as usize,
            workers,
        }
    }

    /// Neuron ranges `(population, neurons)` this rank's slices hold.
    pub fn owned(&self) -> super::Owned {
        self.workers
            .iter()
            .flat_map(|w| &w.slices)
            .map(|s| (s.population, s.offset..s.offset + s.cells.size() as u32))
            .collect()
    }

    /// Worker threads of this rank.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Neurons per population.
    pub fn sizes(&self) -> Vec<u32> {
        self.sizes.clone()
    }

    /// Synapses in the network.
    pub fn synapse_count(&self) -> usize {
        self.synapse_count
    }

    /// The plan of every worker of the run.
    pub fn plan(model: &FixedModel, share: RankShare) -> Vec<SlicePlan> {
        let sizes: Vec<u32> = model.populations.iter().map(|p| p.size).collect();
        partition::plan_for(&sizes, &vec![1; sizes.len()], share)
    }
}

/// A slice's samples for one record: `values[variable]` row-major over
/// the rows, with this slice's recorded neurons as columns.
struct SliceSamples {
    record: usize,
    local: Vec<u32>,
    columns: Vec<usize>,
    values: Vec<Vec<i32>>,
}

/// A worker's progress through the run, kept from one segment to the next.
#[derive(Default)]
struct WorkerRun {
    /// This segment's spikes per slice: `(step, neuron within the population)`.
    spikes: Vec<Vec<(u64, u32)>>,
    samples: Vec<Vec<SliceSamples>>,
    synaptic_events: u64,
    /// Steps done.
    t: u64,
}

impl WorkerRun {
    fn buffered(&self) -> usize {
        let spikes: usize = self.spikes.iter().map(|s| s.len() * 12).sum();
        let samples: usize = self
            .samples
            .iter()
            .flatten()
            .flat_map(|s| &s.values)
            .map(|v| v.len() * 4)
            .sum();
        spikes + samples
    }
}

/// Whether the state after step `t` is a sample of `r`.
fn sampled(r: &RecordSpec, t: u64) -> bool {
    (t - 1).is_multiple_of(r.every)
}

/// Steps in `from + 1..=to` after which `r` samples.
fn sample_steps(r: &RecordSpec, from: u64, to: u64) -> Vec<u64> {
    (from + 1..=to).filter(|&t| sampled(r, t)).collect()
}

/// Worker `w`'s steps from where it stands to `until`, or to an earlier one
/// where some worker voted.
fn run_worker(
    w: usize,
    worker: &mut Worker,
    run: &mut WorkerRun,
    net: &Shared,
    exchange: &dyn Exchange,
    (until, budget, stop): (u64, usize, &(dyn Fn() -> bool + Sync)),
    progress: &mut dyn FnMut(u64),
) -> Vote {
    let (mut fired, mut outbox, mut all) = (Vec::new(), Vec::new(), Vec::new());
    let mut now = Vec::new();
    let report_every = (net.steps / 200).max(1);
    let by_layer = match net.layers {
        Some(layers) => layers.slices_by_layer(worker.slices.iter().map(|s| s.population)),
        None => vec![(0..worker.slices.len()).collect()],
    };
    // Exchanges per step: one per layer that sends zero-delay spikes, and
    // the step's own; numbered on from 1 (step t's last is t without layers).
    let per_step = 1 + net
        .layers
        .map_or(0, |l| l.sends.iter().filter(|&&s| s).count()) as u64;
    let mut votes = vote::NONE;
    while run.t < net.steps && run.t < until && votes == vote::NONE {
        let t = run.t + 1;
        let mut exchanged = (t - 1) * per_step;
        for (layer, slices) in by_layer.iter().enumerate() {
            for &si in slices {
                step_slice(worker, si, run, net, t, &mut fired, &mut outbox);
                if let Some(layers) = net.layers {
                    let slice = &worker.slices[si];
                    if !layers.now[slice.population].is_empty() {
                        queue(slice, t, &fired, &mut now);
                    }
                }
            }
            if let Some(layers) = net.layers
                && layers.sends[layer]
            {
                exchanged += 1;
                exchange.exchange(w, exchanged, &mut now, &mut all, vote::NONE);
                run.synaptic_events += deliver(worker, &all, &layers.now);
            }
        }
        if net.layers.is_some() {
            // Layers advance out of population order.
            outbox.sort_by(Spike::canonical_cmp);
        }
        let mine = worker_vote(stop, run.buffered(), budget);
        votes = exchange.exchange(w, exchanged + 1, &mut outbox, &mut all, mine);
        run.synaptic_events += deliver(worker, &all, net.outgoing);
        run.t = t;
        if t.is_multiple_of(report_every) {
            progress(t);
        }
    }
    if run.t >= net.steps {
        progress(net.steps);
    }
    votes
}

/// Step `t` of slice `si`: it takes its input and advances; its spikes
/// (left in `fired`) are recorded and queued in `outbox`, its samples taken.
fn step_slice(
    worker: &mut Worker,
    si: usize,
    run: &mut WorkerRun,
    net: &Shared,
    t: u64,
    fired: &mut Vec<u32>,
    outbox: &mut Vec<Spike>,
) {
    let slice = &mut worker.slices[si];
    fired.clear();
    slice.cells.step(t, &slice.a_in, fired);
    slice.a_in.iter_mut().for_each(|a| *a = 0);
    let p = slice.population;
    if net.record_spikes[p] {
        run.spikes[si].extend(fired.iter().map(|&i| (t, slice.offset + i)));
    }
    if !net.outgoing[p].is_empty() {
        queue(slice, t, fired, outbox);
    }
    for s in &mut run.samples[si] {
        let r = &net.records[s.record];
        if sampled(r, t) {
            for (variable, values) in r.variables.iter().zip(&mut s.values) {
                values.extend(s.local.iter().map(|&i| slice.cells.value(variable, i)));
            }
        }
    }
}

/// Queue a slice's spikes of step `t` as they are exchanged.
fn queue(slice: &Slice, t: u64, fired: &[u32], outbox: &mut Vec<Spike>) {
    outbox.extend(fired.iter().map(|&i| Spike {
        step: t,
        time: 0.0,
        population: slice.population as u32,
        neuron: slice.offset + i,
        value: 1.0,
    }));
}

/// Sum the weights of `spikes` per target through the projections
/// `outgoing` of their populations, then hand each projection's scaled sums
/// to its target slice as input: for the next step, or for this one
/// through zero-delay projections.
fn deliver(worker: &mut Worker, spikes: &[Spike], outgoing: &[Vec<usize>]) -> u64 {
    let mut events = 0;
    for spike in spikes {
        for &j in &outgoing[spike.population as usize] {
            for part in &mut worker.parts[j] {
                let row = part.synapses.row(spike.neuron);
                events += row.len() as u64;
                for s in row {
                    let target = part.synapses.targets[s];
                    part.sums[target as usize] += part.synapses.weights[s] as i64;
                    if !part.marked[target as usize] {
                        part.marked[target as usize] = true;
                        part.touched.push(target);
                    }
                }
            }
        }
    }
    for parts in &mut worker.parts {
        for part in parts {
            let a_in = &mut worker.slices[part.slice].a_in;
            for &target in &part.touched {
                let t = target as usize;
                // Inputs from several projections add as int32.
                a_in[t] = a_in[t].wrapping_add(arith::dense_output(part.sums[t], part.weight_exp));
                part.sums[t] = 0;
                part.marked[t] = false;
            }
            part.touched.clear();
        }
    }
    events
}

fn slice_samples(slice: &Slice, records: &[RecordSpec], size: u32) -> Vec<SliceSamples> {
    let range = slice.offset..slice.offset + slice.cells.size() as u32;
    records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.population == slice.population)
        .map(|(record, r)| {
            let neurons: Vec<u32> = r.neurons.clone().unwrap_or_else(|| (0..size).collect());
            let (columns, local) = neurons
                .iter()
                .enumerate()
                .filter(|(_, n)| range.contains(n))
                .map(|(c, &n)| (c, n - slice.offset))
                .unzip();
            SliceSamples {
                record,
                local,
                columns,
                values: vec![Vec::new(); r.variables.len()],
            }
        })
        .collect()
}

/// What every worker reads.
struct Shared<'a> {
    steps: u64,
    record_spikes: &'a [bool],
    outgoing: &'a [Vec<usize>],
    layers: Option<&'a Layers>,
    records: &'a [RecordSpec],
}

/// What a fixed-point run produced, before it becomes `Results`.
pub struct Outcome {
    /// Spikes, one train per population.
    pub spikes: Vec<SpikeTrains>,
    /// Recorded (integer) state samples.
    pub states: Vec<StateTrace>,
    /// Spikes delivered to a synapse.
    pub synaptic_events: u64,
}

/// Run `net` for its steps, recording `records`.
pub fn run(
    net: &mut FixedNetwork,
    records: &[RecordSpec],
    progress: &mut dyn FnMut(u64),
) -> Outcome {
    let exchange = LocalExchange::new(net.workers.len());
    run_with(net, records, progress, &exchange)
}

/// [`run`] with the spikes exchanged through `exchange` (made for this
/// network's workers): the outcome holds this process's neurons only.
pub fn run_with(
    net: &mut FixedNetwork,
    records: &[RecordSpec],
    progress: &mut dyn FnMut(u64),
    exchange: &dyn Exchange,
) -> Outcome {
    let mut run = FixedRun::new(net, records);
    let steps = run.steps();
    let never = || false;
    // Integer state: nothing can fail on the way.
    let _ = run.advance(steps, usize::MAX, &never, exchange, progress);
    let synaptic_events = run.synaptic_events();
    let results = run.take_here();
    Outcome {
        spikes: results.spikes,
        states: results.states,
        synaptic_events,
    }
}

/// A fixed-point run of one rank's workers, in segments.
pub struct FixedRun<'a> {
    net: &'a mut FixedNetwork,
    records: &'a [RecordSpec],
    workers: Vec<WorkerRun>,
    /// Steps whose samples were taken before this segment.
    taken: u64,
}

impl<'a> FixedRun<'a> {
    /// The fixed-point run of `net`, recording `records`.
    pub fn new(net: &'a mut FixedNetwork, records: &'a [RecordSpec]) -> Self {
        let workers = net
            .workers
            .iter()
            .map(|w| WorkerRun {
                spikes: vec![Vec::new(); w.slices.len()],
                samples: w
                    .slices
                    .iter()
                    .map(|s| slice_samples(s, records, net.sizes[s.population]))
                    .collect(),
                ..WorkerRun::default()
            })
            .collect();
        Self {
            net,
            records,
            workers,
            taken: 0,
        }
    }

    fn take_here(&mut self) -> Outcome {
        let to = self.reached();
        let outcome = assemble(self.net, self.records, &mut self.workers, self.taken, to);
        self.taken = to;
        outcome
    }

    fn save_or_load(&mut self, s: &mut Snapshot) {
        for (worker, run) in self.net.workers.iter_mut().zip(&mut self.workers) {
            worker.persist(s);
            s.scalar(&mut run.synaptic_events);
            s.scalar(&mut run.t);
        }
    }
}

impl Segmented for FixedRun<'_> {
    fn steps(&self) -> u64 {
        self.net.steps
    }

    fn reached(&self) -> u64 {
        self.workers[0].t
    }

    fn advance(
        &mut self,
        until: u64,
        budget: usize,
        stop: &(dyn Fn() -> bool + Sync),
        exchange: &dyn Exchange,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Vote, RunError> {
        let net = &mut *self.net;
        let shared = Shared {
            steps: net.steps,
            record_spikes: &net.record_spikes,
            outgoing: &net.outgoing,
            layers: net.layers.as_ref(),
            records: self.records,
        };
        let budget = budget / net.workers.len().max(1);
        let jobs: Vec<_> = net.workers.iter_mut().zip(&mut self.workers).collect();
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
        let outcome = self.take_here();
        let record = self.net.record_spikes.iter().copied();
        Ok(Results {
            spikes: crate::engine::recorded(outcome.spikes, record),
            states: outcome.states,
            ..Results::default()
        })
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
        self.taken = self.reached();
        Ok(())
    }

    fn synaptic_events(&self) -> u64 {
        self.workers.iter().map(|w| w.synaptic_events).sum()
    }

    /// Integer state wraps as the chip's does: it cannot become NaN.
    fn fault(&mut self) -> Option<crate::engine::finite::NonFinite> {
        None
    }
}

/// Merge the workers' spikes and samples of steps `from + 1..=to` into
/// whole-population results, emptying them.
fn assemble(
    net: &FixedNetwork,
    records: &[RecordSpec],
    runs: &mut [WorkerRun],
    from: u64,
    to: u64,
) -> Outcome {
    let mut spikes: Vec<Vec<(u64, u32)>> = vec![Vec::new(); net.sizes.len()];
    let mut states: Vec<Vec<StateTrace>> = records
        .iter()
        .map(|r| {
            let neurons = r
                .neurons
                .clone()
                .unwrap_or_else(|| (0..net.sizes[r.population]).collect());
            let steps = sample_steps(r, from, to);
            r.variables
                .iter()
                .map(|v| StateTrace {
                    population: net.names[r.population].clone(),
                    variable: v.clone(),
                    values: vec![0.0; steps.len() * neurons.len()],
                    neurons: neurons.clone(),
                    steps: steps.clone(),
                    integer: true,
                    ..Default::default()
                })
                .collect()
        })
        .collect();
    let mut synaptic_events = 0;
    for (worker, run) in net.workers.iter().zip(runs) {
        synaptic_events += run.synaptic_events;
        for (slice, (slice_spikes, samples)) in worker
            .slices
            .iter()
            .zip(run.spikes.iter_mut().zip(&mut run.samples))
        {
            spikes[slice.population].append(slice_spikes);
            for s in samples {
                for (trace, values) in states[s.record].iter_mut().zip(&mut s.values) {
                    let width = trace.neurons.len();
                    for row in 0..trace.steps.len() {
                        for (c, &column) in s.columns.iter().enumerate() {
                            trace.values[row * width + column] =
                                values[row * s.local.len() + c] as f64;
                        }
                    }
                    if trace.variable == "v"
                        && let Cells::Lif(n) = &slice.cells
                    {
                        trace.threshold = n.threshold().map(|t| t as f64);
                    }
                    values.clear();
                }
            }
        }
    }
    let spikes = spikes
        .into_iter()
        .enumerate()
        .map(|(p, mut list)| {
            list.sort_unstable();
            let mut trains = SpikeTrains::new(&net.names[p], net.sizes[p]);
            (trains.steps, trains.senders) = list.into_iter().unzip();
            trains
        })
        .collect();
    Outcome {
        spikes,
        states: states.into_iter().flatten().collect(),
        synaptic_events,
    }
}

// Checkpoints (see `engine::persist`): the state that changes during a
// run. Decays, thresholds, biases, patterns and synapses come from the model.

use crate::engine::persist;

impl Persist for Cells {
    fn persist(&mut self, s: &mut Snapshot) {
        match self {
            Cells::Lif(n) => {
                s.tag("loihi_lif");
                s.slice(&mut n.u);
                s.slice(&mut n.v);
            }
            Cells::Pattern(p) => {
                s.tag("spike_pattern");
                s.count("neurons", p.size());
            }
        }
    }
}

impl Persist for Slice {
    fn persist(&mut self, s: &mut Snapshot) {
        s.same("population", &mut self.population);
        s.same("offset", &mut self.offset);
        self.cells.persist(s);
        s.slice(&mut self.a_in);
    }
}

impl Persist for Part {
    fn persist(&mut self, s: &mut Snapshot) {
        s.same("target slice", &mut self.slice);
        s.count("synapses", self.synapses.len());
        s.slice(&mut self.sums);
        s.vec(&mut self.touched);
        s.below("touched target", &self.touched, self.sums.len());
        s.slice(&mut self.marked);
    }
}

impl Persist for Worker {
    fn persist(&mut self, s: &mut Snapshot) {
        s.section("slices", |s| {
            s.count("slices", self.slices.len());
            for (i, slice) in self.slices.iter_mut().enumerate() {
                s.section(&format!("slice {i}"), |s| slice.persist(s));
            }
        });
        s.section("projections", |s| {
            s.count("projections", self.parts.len());
            for (j, parts) in self.parts.iter_mut().enumerate() {
                s.section(&format!("projection {j}"), |s| s.items(parts));
            }
        });
    }
}

impl FixedNetwork {
    /// Every worker's state, one blob each.
    pub fn save_workers(&mut self) -> Vec<Vec<u8>> {
        persist::save_all(&mut self.workers)
    }

    /// Restore every worker of a freshly built network (same model, ranks
    /// and threads) from the blobs of [`FixedNetwork::save_workers`].
    pub fn load_workers(&mut self, blobs: &[Vec<u8>]) -> Result<(), PersistError> {
        persist::load_all(&mut self.workers, blobs)
    }
}

/// [`save_workers`](crate::engine::network::save_workers) for a
/// fixed-point network.
pub fn save_fixed_workers(net: &mut FixedNetwork) -> Vec<Vec<u8>> {
    net.save_workers()
}

/// [`load_workers`](crate::engine::network::load_workers) for a
/// fixed-point network.
pub fn load_fixed_workers(net: &mut FixedNetwork, blobs: &[Vec<u8>]) -> Result<(), PersistError> {
    net.load_workers(blobs)
}

#[cfg(test)]
mod persist_tests;
