//! A built network: populations cut into slices that workers own, each with
//! its neuron state and its rings of spikes in flight; projections cut by
//! target slice; the schedule of external drives.

mod persist;

use std::sync::atomic::{AtomicBool, Ordering};

use crate::engine::background::Background;
use crate::engine::comm::{self, Comm, Reduce, Solo};
use crate::engine::partition::{self, RankShare, SlicePlan};
use crate::model::memory::MemoryError;
use crate::model::spec::{EngineKind, ModelSpec, Piecewise, Port, WeightRecordSpec};
use crate::neuron::{self, Neuron};
use crate::plasticity::PlasticPart;
use crate::synapse::csr::Synapse;
use crate::synapse::{Csr, EventRing, connect};

pub use persist::{load_workers, save_workers};

/// A contiguous part of one population, advanced by one worker.
pub struct Slice {
    /// Index of the population in the network.
    pub population: usize,
    /// First neuron of the slice within the population.
    pub offset: u32,
    /// The slice's neurons, as their model advances them.
    pub neuron: Box<dyn Neuron>,
    /// Spikes in flight towards this slice, one ring per input port in
    /// `neuron.ports()` order.
    pub inputs: Vec<EventRing>,
    /// External drive changes, in time order.
    pub drive: Vec<DriveChange>,
    /// Poisson background drawn per neuron and step (clock engine).
    pub background: Option<Background>,
}

impl Slice {
    /// Number of neurons in the slice.
    pub fn len(&self) -> usize {
        self.neuron.size()
    }

    /// Whether the slice holds no neuron.
    pub fn is_empty(&self) -> bool {
        self.neuron.size() == 0
    }
}

/// The synapses of one projection that end in one slice: targets are
/// indices within that slice.
pub struct ProjectionPart {
    /// Index of the target slice in its worker's `slices`.
    pub slice: usize,
    /// The synapses onto the target slice, in compressed rows by presynaptic neuron.
    pub synapses: Csr,
    /// Weights and traces when the projection is plastic.
    pub plastic: Option<PlasticPart>,
}

/// One population of the built network.
pub struct Population {
    /// Its name in the model file.
    pub name: String,
    /// Number of neurons.
    pub size: usize,
    /// Whether its spikes are recorded.
    pub record_spikes: bool,
}

/// One projection of the built network.
pub struct Projection {
    /// Its name in the model file.
    pub name: String,
    /// Index of the source population.
    pub from: usize,
    /// Index of the target population.
    pub to: usize,
    /// Index into the target's `inputs`.
    pub port: usize,
    /// Number of synapses.
    pub synapse_count: usize,
    /// Shortest delay in steps, and in seconds when exact delays are kept.
    pub min_delay: u16,
    /// The shortest delay in seconds when exact (off-grid) delays are kept, else `None`.
    pub min_delay_seconds: Option<f64>,
}

/// What one worker owns.
pub struct Worker {
    /// The slices this worker advances.
    pub slices: Vec<Slice>,
    /// Per projection, the parts that end in this worker's slices.
    pub parts: Vec<Vec<ProjectionPart>>,
}

/// A built network: populations and projections dealt to workers, ready for an engine to run.
pub struct Network {
    /// Time step, seconds.
    pub dt: f64,
    /// Number of steps of the run.
    pub steps: u64,
    /// The populations, in the model's order.
    pub populations: Vec<Population>,
    /// The projections, in the model's order.
    pub projections: Vec<Projection>,
    /// Projections leaving each population.
    pub outgoing: Vec<Vec<usize>>,
    /// The workers of this process, each with its slices.
    pub workers: Vec<Worker>,
    /// Per projection, the grid steps at which its weights are recorded.
    pub snapshot_steps: Vec<Vec<u64>>,
    /// Stop with an error when a state variable becomes NaN or infinite
    /// (see `engine::finite`); on unless turned off, for the benchmark.
    pub check_finite: bool,
}

impl Network {
    /// Build for one worker thread.
    pub fn build(spec: &ModelSpec) -> Self {
        Self::build_for(spec, 1)
    }

    /// Build with the neurons dealt to `threads` workers.
    pub fn build_for(spec: &ModelSpec, threads: usize) -> Self {
        Self::try_build_for(spec, threads).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Network::build_for`], with a failed allocation of the synapses or
    /// the delay rings returned as an error.
    pub fn try_build_for(spec: &ModelSpec, threads: usize) -> Result<Self, MemoryError> {
        Self::try_build_share(spec, RankShare::solo(threads), &Solo)
    }

    /// The plan of every worker of the run: `share.ranks` processes of
    /// `share.threads` workers.
    pub fn plan(spec: &ModelSpec, share: RankShare) -> Vec<SlicePlan> {
        let sizes: Vec<u32> = spec.populations.iter().map(|p| p.size).collect();
        let granules: Vec<u32> = spec
            .populations
            .iter()
            .map(|p| neuron::split_granule(&p.kind))
            .collect();
        partition::plan_for(&sizes, &granules, share)
    }

    /// The part of the network that rank `share.rank` owns: its workers'
    /// slices and the synapses onto them only. The projections' synapse
    /// counts and shortest delays are those of the whole network (agreed
    /// with the other ranks through `comm`, which every rank calls here).
    pub fn try_build_share(
        spec: &ModelSpec,
        share: RankShare,
        comm: &dyn Comm,
    ) -> Result<Self, MemoryError> {
        let exact = spec.simulation.engine == EngineKind::Event;
        let sim = &spec.simulation;
        let sizes: Vec<u32> = spec.populations.iter().map(|p| p.size).collect();
        let plan = Self::plan(spec, share);
        let mine: Vec<(usize, &SlicePlan)> = plan
            .iter()
            .filter_map(|s| Some((share.local(s.worker)?, s)))
            .collect();
        let n_workers = share.threads.max(1);

        let neurons: Vec<Box<dyn Neuron>> = spec
            .populations
            .iter()
            .map(|p| neuron::build(p, sim))
            .collect();
        let mut projections = projection_table(spec, &neurons);

        let workers: Vec<Worker> = (0..n_workers)
            .map(|_| Worker {
                slices: Vec::new(),
                parts: (0..projections.len()).map(|_| Vec::new()).collect(),
            })
            .collect();
        // The synapses onto each slice of this rank. A failure here is agreed
        // on before the collectives below, so that no rank waits in them.
        let built = build_parts(spec, &mine, &sizes, exact, n_workers)
            .map(|built| place_parts(spec, &mine, built, workers));
        let mut workers = comm::agreed(comm, built)?;
        let max_delay = whole_network_delays(&mut projections, &workers, sizes.len(), exact, comm);

        add_slices(&mut workers, spec, &mine, neurons, &sizes, &max_delay)?;
        let mut outgoing = vec![Vec::new(); sizes.len()];
        for (i, p) in projections.iter().enumerate() {
            outgoing[p.from].push(i);
        }
        Ok(Self {
            dt: sim.dt,
            steps: sim.steps,
            populations: spec
                .populations
                .iter()
                .map(|p| Population {
                    name: p.name.clone(),
                    size: p.size as usize,
                    record_spikes: p.record_spikes,
                })
                .collect(),
            snapshot_steps: snapshot_steps(projections.len(), &spec.weight_records),
            projections,
            outgoing,
            workers,
            check_finite: true,
        })
    }

    /// Synapses in the network (in this process).
    pub fn synapse_count(&self) -> usize {
        self.projections.iter().map(|p| p.synapse_count).sum()
    }

    /// Shortest delay of any projection, in steps: the epoch length.
    pub fn min_delay(&self) -> u64 {
        self.projections
            .iter()
            .map(|p| p.min_delay as u64)
            .min()
            .unwrap_or(u64::MAX)
    }

    /// All synapses of projection `j` with population-wide indices, sorted
    /// by (pre, post): the same for any number of workers.
    pub fn synapses(&self, j: usize) -> Vec<Synapse> {
        let mut all = Vec::new();
        for w in &self.workers {
            for part in &w.parts[j] {
                let offset = w.slices[part.slice].offset;
                all.extend(part.synapses.iter().map(|s| Synapse {
                    post: s.post + offset,
                    ..s
                }));
            }
        }
        all.sort_by_key(|s| (s.pre, s.post));
        all
    }
}

/// The projections as the network keeps them; synapse counts and shortest
/// delays are filled in once the synapses are built.
fn projection_table(spec: &ModelSpec, neurons: &[Box<dyn Neuron>]) -> Vec<Projection> {
    spec.projections
        .iter()
        .map(|p| Projection {
            name: p.name.clone(),
            from: p.from,
            to: p.to,
            port: port_index(neurons[p.to].ports(), p.port),
            synapse_count: 0,
            min_delay: 0,
            min_delay_seconds: None,
        })
        .collect()
}

/// The synapse tables built for this rank's slices (`mine`, in that order)
/// handed to the workers that own the slices, with the plastic state of
/// plastic projections.
fn place_parts(
    spec: &ModelSpec,
    mine: &[(usize, &SlicePlan)],
    built: Vec<Vec<Csr>>,
    mut workers: Vec<Worker>,
) -> Vec<Worker> {
    let mut slices_of = vec![0usize; workers.len()];
    for (&(w, s), tables) in mine.iter().zip(built) {
        let worker = &mut workers[w];
        // Its index among the worker's slices, pushed in this order by
        // `add_slices`.
        let slice = slices_of[w];
        slices_of[w] += 1;
        let onto = spec.projections.iter().enumerate();
        let onto = onto.filter(|(_, p)| p.to == s.population);
        for ((j, p), synapses) in onto.zip(tables) {
            let plastic = p
                .plasticity
                .as_ref()
                .map(|p| PlasticPart::new(p, &synapses, s.len as usize));
            worker.parts[j].push(ProjectionPart {
                slice,
                synapses,
                plastic,
            });
        }
    }
    workers
}

/// This rank's slices (`mine`, in that order) given to their workers: the
/// neurons cut from each population's, rings as deep as the longest delay
/// onto the population, drive schedules and background.
fn add_slices(
    workers: &mut [Worker],
    spec: &ModelSpec,
    mine: &[(usize, &SlicePlan)],
    neurons: Vec<Box<dyn Neuron>>,
    sizes: &[u32],
    max_delay: &[usize],
) -> Result<(), MemoryError> {
    let sim = &spec.simulation;
    let mut whole: Vec<Option<Box<dyn Neuron>>> = neurons.into_iter().map(Some).collect();
    for &(w, s) in mine {
        let neuron = slice_of(&mut whole, s, sizes);
        let inputs = neuron
            .ports()
            .iter()
            .map(|_| EventRing::try_new(max_delay[s.population]))
            .collect::<Result<_, _>>()?;
        let drive = drive_schedule(spec, s);
        let population = &spec.populations[s.population];
        let background = population.background.as_ref().map(|b| {
            Background::new(
                b,
                port_index(neuron.ports(), b.port),
                &population.name,
                s.offset,
                s.len,
                sim.seed,
                sim.dt,
            )
        });
        workers[w].slices.push(Slice {
            population: s.population,
            offset: s.offset,
            neuron,
            inputs,
            drive,
            background,
        });
    }
    Ok(())
}

/// Ascending snapshot steps per projection.
fn snapshot_steps(projections: usize, records: &[WeightRecordSpec]) -> Vec<Vec<u64>> {
    let mut steps = vec![Vec::new(); projections];
    for r in records {
        steps[r.projection].extend(&r.steps);
    }
    for s in &mut steps {
        s.sort_unstable();
        s.dedup();
    }
    steps
}

/// The synapses onto each of this rank's slices (`mine`, in that order),
/// one table per projection onto the slice's population (in projection
/// order). Each worker's slices are built on a thread of their own: a
/// slice's synapses come from streams keyed by projection and target
/// neuron, so they do not depend on which thread builds them or when.
fn build_parts(
    spec: &ModelSpec,
    mine: &[(usize, &SlicePlan)],
    sizes: &[u32],
    exact: bool,
    n_workers: usize,
) -> Result<Vec<Vec<Csr>>, MemoryError> {
    let sim = &spec.simulation;
    // Set when a build fails, so that the other threads stop allocating.
    let failed = AtomicBool::new(false);
    let build_slice = |s: &SlicePlan| -> Option<Result<Vec<Csr>, MemoryError>> {
        let onto = s.offset..s.offset + s.len;
        let mut parts = Vec::new();
        for p in spec.projections.iter().filter(|p| p.to == s.population) {
            if failed.load(Ordering::Relaxed) {
                return None;
            }
            let (n_pre, n_post) = (sizes[p.from], sizes[p.to]);
            match connect::try_build_onto(p, n_pre, n_post, onto.clone(), sim.seed, sim.dt, exact) {
                Ok(csr) => parts.push(csr),
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    return Some(Err(e));
                }
            }
        }
        Some(Ok(parts))
    };
    // A worker's slices in order, up to the first failure anywhere.
    let build_worker = |w: usize| -> Vec<(usize, Result<Vec<Csr>, MemoryError>)> {
        let its = mine.iter().enumerate().filter(|(_, (w2, _))| *w2 == w);
        its.map_while(|(i, (_, s))| Some((i, build_slice(s)?)))
            .collect()
    };
    let by_worker: Vec<_> = std::thread::scope(|scope| {
        let build_worker = &build_worker;
        let handles: Vec<_> = (1..n_workers)
            .map(|w| scope.spawn(move || build_worker(w)))
            .collect();
        let mut all = vec![build_worker(0)];
        all.extend(
            handles
                .into_iter()
                .map(|h| h.join().expect("a build thread panicked")),
        );
        all
    });
    let mut built: Vec<_> = by_worker.into_iter().flatten().collect();
    built.sort_unstable_by_key(|(i, _)| *i);
    // Every slice was built unless one failed; then the first failure in
    // order is reported.
    built.into_iter().map(|(_, parts)| parts).collect()
}

/// Fill in each projection's synapse count and shortest delays, those of
/// the whole projection over every rank's parts, and return the longest
/// delay onto each population (what its delay rings must hold). An empty
/// part's delays (it reports 1 step) are left out, as the whole projection
/// would not see them.
fn whole_network_delays(
    projections: &mut [Projection],
    workers: &[Worker],
    populations: usize,
    exact: bool,
    comm: &dyn Comm,
) -> Vec<usize> {
    let parts = |j: usize| workers.iter().flat_map(move |w| &w.parts[j]);
    let mut count: Vec<u64> = (0..projections.len())
        .map(|j| parts(j).map(|p| p.synapses.len() as u64).sum())
        .collect();
    // Steps and exact seconds (a positive f64 orders as its bits), per projection.
    let mut shortest: Vec<u64> = (0..projections.len())
        .flat_map(|j| {
            let filled = || parts(j).filter(|p| !p.synapses.is_empty());
            let steps = filled().map(|p| p.synapses.min_delay() as u64).min();
            let seconds = filled()
                .filter_map(|p| p.synapses.min_seconds())
                .reduce(f64::min);
            [
                steps.unwrap_or(u64::MAX),
                seconds.map_or(u64::MAX, f64::to_bits),
            ]
        })
        .collect();
    let mut longest = vec![0u64; populations];
    for (j, p) in projections.iter().enumerate() {
        for part in parts(j) {
            longest[p.to] = longest[p.to].max(part.synapses.max_delay() as u64);
        }
    }
    comm.all_reduce(&mut count, Reduce::Sum);
    comm.all_reduce(&mut shortest, Reduce::Min);
    comm.all_reduce(&mut longest, Reduce::Max);
    for (j, p) in projections.iter_mut().enumerate() {
        p.synapse_count = count[j] as usize;
        // An empty projection reports what an empty table does: 1 step, 0 s.
        p.min_delay = match shortest[2 * j] {
            u64::MAX => 1,
            d => d as u16,
        };
        p.min_delay_seconds = match shortest[2 * j + 1] {
            u64::MAX if exact && count[j] == 0 => Some(0.0),
            u64::MAX => None,
            bits => Some(f64::from_bits(bits)),
        };
    }
    longest.into_iter().map(|d| d.max(1) as usize).collect()
}

/// The model of one slice: the whole population when it is not split.
fn slice_of(
    whole: &mut [Option<Box<dyn Neuron>>],
    s: &SlicePlan,
    sizes: &[u32],
) -> Box<dyn Neuron> {
    if s.offset == 0 && s.len == sizes[s.population] {
        return whole[s.population]
            .take()
            .expect("one slice per unsplit population");
    }
    let population = whole[s.population]
        .as_ref()
        .expect("split populations stay whole until the end");
    population.split(s.offset as usize, s.len as usize)
}

fn port_index(ports: &[Port], port: Port) -> usize {
    ports
        .iter()
        .position(|&p| p == port)
        .expect("validation only admits ports the target has")
}

/// One change of a slice's external drive: from `time` (grid point `step`
/// for the clock engine) each neuron's drive is `drive[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct DriveChange {
    /// When the drive changes, seconds.
    pub time: f64,
    /// The grid step of `time`.
    pub step: u64,
    /// The new drive of each neuron of the slice.
    pub drive: Vec<f64>,
}

/// Merge the current stimuli of a slice's neurons into one schedule of
/// drive vectors, one per distinct stimulus time.
fn drive_schedule(spec: &ModelSpec, slice: &SlicePlan) -> Vec<DriveChange> {
    let dt = spec.simulation.dt;
    let (lo, hi) = (slice.offset, slice.offset + slice.len);
    let stimuli: Vec<_> = spec
        .currents
        .iter()
        .filter(|c| c.population == slice.population)
        .collect();
    if stimuli.is_empty() {
        return Vec::new();
    }
    let mut times: Vec<f64> = stimuli
        .iter()
        .flat_map(|s| s.drive.times.iter().copied())
        .collect();
    times.push(0.0);
    times.sort_by(f64::total_cmp);
    times.dedup();
    // The times ascend, so each course is read with a cursor: a course of
    // millions of rows costs its length, not its length squared.
    let mut cursors: Vec<Cursor> = stimuli.iter().map(|s| Cursor::new(&s.drive)).collect();
    times
        .into_iter()
        .map(|time| {
            let mut drive = vec![0.0; slice.len as usize];
            for (s, cursor) in stimuli.iter().zip(&mut cursors) {
                let value = cursor.value_at(time);
                match &s.neurons {
                    None => drive.iter_mut().for_each(|d| *d += value),
                    Some(list) => list
                        .iter()
                        .filter(|&&n| (lo..hi).contains(&n))
                        .for_each(|&n| drive[(n - lo) as usize] += value),
                }
            }
            DriveChange {
                time,
                step: (time / dt).round() as u64,
                drive,
            }
        })
        .collect()
}

/// Reads a piecewise-constant course at times that never decrease.
struct Cursor<'a> {
    course: &'a Piecewise,
    /// Rows with a time at or before the latest time asked.
    passed: usize,
}

impl<'a> Cursor<'a> {
    fn new(course: &'a Piecewise) -> Self {
        Self { course, passed: 0 }
    }

    /// The value at `time` (zero before the course starts): the last row
    /// at or before it.
    fn value_at(&mut self, time: f64) -> f64 {
        let times = &self.course.times;
        while self.passed < times.len() && times[self.passed] <= time {
            self.passed += 1;
        }
        match self.passed {
            0 => 0.0,
            k => self.course.values[k - 1],
        }
    }
}
