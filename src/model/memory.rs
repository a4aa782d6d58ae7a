//! How much memory a run will take, estimated before anything large is
//! allocated, and what the machine can give it.
//!
//! A model that cannot fit (a billion neurons, 10¹² synapses, 4·10¹⁰
//! recorded samples) used to abort with "memory allocation failed" after
//! minutes of building; now it is refused up front with the estimate, its
//! largest contributor and the memory available. The estimate aims at the
//! peak of a run: it counts the transient copies made while building, and
//! spikes at a generous assumed rate. Counts are `f64` so that absurd sizes
//! cannot overflow the arithmetic that is meant to refuse them.
//!
//! Allocations that the estimate sizes (synapse storage, recording buffers,
//! delay rings, training buffers) also go through [`try_vec`] and friends, so
//! that if the estimate was wrong, or was overridden, a failed allocation is
//! an error rather than an abort.

use std::fmt;

use super::spec::fixed::{FixedKind, FixedModel, FixedWeights};
use super::spec::{ConnectRule, EngineKind, ModelSpec, NeuronKind, ValueSpec};

/// Mean firing rate assumed for neurons whose rate the model does not state
/// (every model but Poisson sources and spike lists): ten times the few Hz
/// of cortical models, so that the estimate errs on the safe side without
/// refusing a big network that fires as networks do. A network that fires
/// faster for long can exceed the estimate by its spikes.
pub const ASSUMED_RATE: f64 = 50.0;

/// Resident memory of the program itself (code, HDF5, allocator arenas),
/// measured as the peak RSS of `spikesim run` on a one-neuron model (about
/// 14 MB on x86-64 Linux), rounded up.
pub const PROGRAM_BYTES: f64 = 20e6;

/// Most worker threads a model or a command may ask for, on any machine.
pub const MAX_THREADS: u64 = 1024;

/// Most workers per core actually started: beyond it, workers that spin at
/// every exchange only slow the run (1000 workers on 2 cores took over a
/// minute for what 8 do in half a second); results do not depend on it.
pub const THREADS_PER_CORE: usize = 8;

/// Fewest workers always allowed, so that tests and models written for a
/// bigger machine still run with their own thread count.
pub const MIN_THREAD_CAP: usize = 64;

/// One part of an estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// What the part holds ("synapses of exc->inh", ...).
    pub what: String,
    /// Its size, bytes.
    pub bytes: f64,
}

/// An estimate: its parts, largest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Estimate {
    /// The parts, largest first.
    pub parts: Vec<Part>,
}

impl Estimate {
    fn add(&mut self, what: impl Into<String>, bytes: f64) {
        if bytes > 0.0 {
            self.parts.push(Part {
                what: what.into(),
                bytes,
            });
        }
    }

    fn sorted(mut self) -> Self {
        self.parts.sort_by(|a, b| b.bytes.total_cmp(&a.bytes));
        self
    }

    /// Total bytes.
    pub fn total(&self) -> f64 {
        self.parts.iter().map(|p| p.bytes).sum()
    }

    /// The largest part.
    pub fn largest(&self) -> Option<&Part> {
        self.parts.first()
    }

    /// "1.2 GB (synapses 800 MB, recordings 300 MB, ...)": the total and the
    /// `n` largest parts.
    pub fn summary(&self, n: usize) -> String {
        let parts: Vec<String> = self
            .parts
            .iter()
            .take(n)
            .map(|p| format!("{} {}", p.what, bytes(p.bytes)))
            .collect();
        format!("{} ({})", bytes(self.total()), parts.join(", "))
    }
}

/// Memory the process can use: physical memory available and the
/// address-space limit (`ulimit -v`), either unknown on other systems.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Available {
    /// Physical memory, bytes, if known.
    pub physical: Option<f64>,
    /// Address space the process may use, bytes, if limited.
    pub address_space: Option<f64>,
}

impl Available {
    /// The smaller of the two limits, if any is known.
    pub fn limit(&self) -> Option<f64> {
        match (self.physical, self.address_space) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl fmt::Display for Available {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let physical = self
            .physical
            .map_or("unknown".to_string(), |b| format!("{} available", bytes(b)));
        let space = self.address_space.map_or("unlimited".to_string(), bytes);
        write!(f, "physical memory {physical}, address-space limit {space}")
    }
}

impl Available {
    /// This machine's memory when `ranks` processes share it: each may
    /// count on its part only.
    pub fn shared_by(&self, ranks: usize) -> Available {
        let n = ranks.max(1) as f64;
        Available {
            physical: self.physical.map(|b| b / n),
            address_space: self.address_space,
        }
    }
}

/// What this process may allocate, from `/proc/meminfo` (`MemAvailable`, or
/// `MemTotal` on old kernels) and `/proc/self/limits` (`Max address space`).
pub fn available() -> Available {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    Available {
        physical: meminfo_bytes(&meminfo, "MemAvailable:")
            .or_else(|| meminfo_bytes(&meminfo, "MemTotal:")),
        address_space: address_space_limit(&limits),
    }
}

/// The peak resident memory of this process so far (`VmHWM` of
/// `/proc/self/status`), if the system reports it.
pub fn peak_resident() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    meminfo_bytes(&status, "VmHWM:")
}

/// A `/proc/meminfo` entry (given in kB) in bytes.
fn meminfo_bytes(meminfo: &str, key: &str) -> Option<f64> {
    let line = meminfo.lines().find(|l| l.starts_with(key))?;
    let kb: f64 = line[key.len()..].split_whitespace().next()?.parse().ok()?;
    Some(kb * 1024.0)
}

/// The soft `Max address space` of `/proc/self/limits`, in bytes.
fn address_space_limit(limits: &str) -> Option<f64> {
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max address space"))?;
    let soft = line["Max address space".len()..]
        .split_whitespace()
        .next()?;
    soft.parse().ok()
}

/// Refused or failed: a run that does not fit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct MemoryError(pub String);

/// `Ok` when `estimate` fits in what is `available`, else the refusal:
/// estimate, largest contributor, memory available and how to override.
pub fn check_fits(
    what: &str,
    estimate: &Estimate,
    available: &Available,
    override_hint: &str,
) -> Result<(), MemoryError> {
    let Some(limit) = available.limit() else {
        return Ok(());
    };
    if estimate.total() <= limit {
        return Ok(());
    }
    let largest = estimate.largest().map_or(String::new(), |p| {
        format!("; the largest part is {} ({})", p.what, bytes(p.bytes))
    });
    Err(MemoryError(format!(
        "{what} needs an estimated {}{largest}, but this machine offers {available}; \
         make it smaller, or {override_hint} to try anyway",
        estimate.summary(4)
    )))
}

/// A byte count for people: "1.5 GB", "820 kB".
pub fn bytes(b: f64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = b;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if value >= 1000.0 {
        return format!("{b:.3e} B");
    }
    match unit {
        0 => format!("{value:.0} B"),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

// ----- fallible allocation ----------------------------------------------

/// A vector of `len` copies of `value`, or an error naming `what` when the
/// memory cannot be had.
pub fn try_vec<T: Clone>(len: usize, value: T, what: &str) -> Result<Vec<T>, MemoryError> {
    let mut v = try_with_capacity(len, what)?;
    v.resize(len, value);
    Ok(v)
}

/// An empty vector with room for exactly `len` elements.
pub fn try_with_capacity<T>(len: usize, what: &str) -> Result<Vec<T>, MemoryError> {
    let mut v = Vec::new();
    try_reserve(&mut v, len, what)?;
    Ok(v)
}

/// Room for `more` elements beyond `v`'s length, exactly.
pub fn try_reserve<T>(v: &mut Vec<T>, more: usize, what: &str) -> Result<(), MemoryError> {
    v.try_reserve_exact(more).map_err(|_| {
        MemoryError(format!(
            "cannot allocate {} for {what}: out of memory (see {})",
            bytes(more as f64 * std::mem::size_of::<T>() as f64),
            available()
        ))
    })
}

/// An iterator collected into a vector allocated fallibly for `len` items.
pub fn try_collect<T>(
    len: usize,
    items: impl Iterator<Item = T>,
    what: &str,
) -> Result<Vec<T>, MemoryError> {
    let mut v = try_with_capacity(len, what)?;
    v.extend(items);
    Ok(v)
}

// ----- threads ------------------------------------------------------------

/// Cores of this machine (1 if unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Workers actually started for `requested` (0 = every core): at most
/// `THREADS_PER_CORE` per core, and never fewer than `MIN_THREAD_CAP`
/// allowed. Results do not depend on the worker count.
pub fn workers_for(requested: u64) -> usize {
    let cores = cores();
    let cap = (THREADS_PER_CORE * cores).max(MIN_THREAD_CAP);
    match requested {
        0 => cores,
        n => (n.min(cap as u64)) as usize,
    }
}

/// The warning to give when `requested` threads are clamped, if they are.
pub fn thread_warning(requested: u64, field: &str) -> Option<String> {
    let workers = workers_for(requested);
    (requested != 0 && workers as u64 != requested).then(|| {
        format!(
            "{field} = {requested} is more than {THREADS_PER_CORE} per core on this machine's {} cores: running with {workers} threads (the results do not depend on it)",
            cores()
        )
    })
}

/// The refusal of a thread count above `MAX_THREADS`, if it is.
pub fn thread_limit(requested: u64) -> Result<(), String> {
    if requested > MAX_THREADS {
        Err(format!(
            "at most {MAX_THREADS} threads, got {requested} (0 uses every core)"
        ))
    } else {
        Ok(())
    }
}

// ----- models -------------------------------------------------------------

/// Bytes of state per neuron of each model: its per-neuron vectors (f64
/// state, flags, refractory counters), counted from `neuron::*`, rounded up.
pub fn neuron_state_bytes(kind: &NeuronKind) -> f64 {
    kind.model().state_bytes()
}

/// Expected synapse count of a connection rule between `n_pre` and `n_post`
/// neurons; `exclude_self` drops the diagonal of a projection onto its own
/// population.
pub fn expected_synapses(rule: &ConnectRule, n_pre: f64, n_post: f64, exclude_self: bool) -> f64 {
    let pairs = n_pre * n_post - if exclude_self { n_pre.min(n_post) } else { 0.0 };
    match rule {
        ConnectRule::AllToAll => pairs,
        ConnectRule::OneToOne => n_pre.min(n_post),
        ConnectRule::FixedProbability(p) => p * pairs,
        ConnectRule::FixedIndegree(k) => {
            let available = if exclude_self { n_pre - 1.0 } else { n_pre };
            (*k as f64).min(available.max(0.0)) * n_post
        }
        ConnectRule::FixedTotalNumber { total, .. } => *total as f64,
        ConnectRule::List(list) => list.len() as f64,
        ConnectRule::Dense(rows) => rows.iter().flatten().filter(|&&x| x != 0.0).count() as f64,
    }
}

/// Whether a per-synapse value varies between synapses (so that the CSR
/// stores one per synapse rather than one for all).
fn varies(v: &ValueSpec) -> bool {
    match v {
        ValueSpec::Constant(_) => false,
        ValueSpec::Uniform { low, high } => low != high,
        ValueSpec::Normal { std, .. } => *std > 0.0,
        ValueSpec::Array(a) => a.windows(2).any(|w| w[0] != w[1]),
    }
}

/// The largest value a delay can take, in seconds (a normal draw counted
/// to five standard deviations).
fn largest_delay(v: &ValueSpec, rule: &ConnectRule) -> f64 {
    let listed = match rule {
        ConnectRule::List(list) => list.iter().filter_map(|s| s.delay).fold(0.0, f64::max),
        _ => 0.0,
    };
    listed.max(v.upper_bound(5.0))
}

/// Bytes one synapse takes in a CSR as built (`synapse::csr`): target
/// (u32) and weight (f32), `delay_bytes` of delay in steps (0 when all are
/// equal, 1 when all fit in a byte, else 2), and an f64 delay in seconds for
/// the event engine when they vary.
pub fn csr_bytes_per_synapse(delay_bytes: f64, exact: bool) -> f64 {
    let seconds = if delay_bytes > 0.0 && exact { 8.0 } else { 0.0 };
    4.0 + 4.0 + delay_bytes + seconds
}

/// Bytes a spike takes while a run holds it: the worker's `(step, neuron)`
/// (or `(time, neuron)`) pair, then the assembled step, sender and, for the
/// event engine, time.
pub fn spike_bytes(engine: EngineKind) -> f64 {
    match engine {
        EngineKind::Clock => 16.0 + 12.0,
        EngineKind::Event => 16.0 + 20.0,
    }
}

/// Bytes per synapse of what fixed-point mode holds beside its packed
/// synapses while building them: the float engine's CSR and the
/// `(pre, post, weight)` triples it is read into.
pub const BUILD_BYTES_PER_SYNAPSE: f64 = 8.0 + 32.0;

/// The expected firing rate of a population, for spikes and events.
fn population_rate(kind: &NeuronKind, size: f64, duration: f64) -> f64 {
    kind.model()
        .expected_rate(size, duration)
        .unwrap_or(ASSUMED_RATE)
}

/// The estimated peak memory of running a validated model with `workers`
/// worker threads.
pub fn model_estimate(spec: &ModelSpec, workers: usize) -> Estimate {
    let mut e = Estimate::default();
    e.add("the program", PROGRAM_BYTES);
    if let Some(fixed) = &spec.fixed {
        fixed_parts(&mut e, spec, fixed);
        return e.sorted();
    }
    let sim = &spec.simulation;
    let exact = sim.engine == EngineKind::Event;
    let duration = sim.steps as f64 * sim.dt;
    let sizes: Vec<f64> = spec.populations.iter().map(|p| p.size as f64).collect();
    let rates: Vec<f64> = spec
        .populations
        .iter()
        .zip(&sizes)
        .map(|(p, &n)| population_rate(&p.kind, n, duration))
        .collect();

    e.add(
        "neuron state",
        spec.populations
            .iter()
            .zip(&sizes)
            .map(|(p, n)| n * neuron_state_bytes(&p.kind))
            .sum(),
    );
    e.add("current stimuli", current_bytes(spec, &sizes));
    synapse_parts(&mut e, spec, &sizes, exact, workers);
    e.add(
        "delay rings",
        ring_slot_bytes(spec, workers) + in_flight_bytes(spec, &sizes, &rates),
    );
    e.add("state recordings", recording_bytes(spec, &sizes));
    e.add(
        "recorded spikes",
        spec.populations
            .iter()
            .zip(sizes.iter().zip(&rates))
            .filter(|(p, _)| p.record_spikes)
            .map(|(_, (n, r))| n * r * duration * spike_bytes(sim.engine))
            .sum(),
    );
    e.add("weight recordings", weight_record_bytes(spec, &sizes));
    e.sorted()
}

/// What one rank of `ranks` needs (each with `workers` threads): its share
/// of what is spread over the ranks (synapses, which each rank stores for
/// its own neurons only, and the neurons' state); the recordings whole,
/// since rank 0 gathers them.
pub fn rank_estimate(spec: &ModelSpec, workers: usize, ranks: usize) -> Estimate {
    let mut e = model_estimate(spec, workers);
    if ranks <= 1 {
        return e;
    }
    const SPREAD: [&str; 5] = [
        "synapses",
        "plastic synapse state",
        "neuron state",
        "current stimuli",
        "delay rings",
    ];
    for part in &mut e.parts {
        if SPREAD.contains(&part.what.as_str()) {
            part.bytes /= ranks as f64;
        }
    }
    e.sorted()
}

/// Parts of an estimate that a run streams to its results file instead of
/// holding them (see `engine::segment`).
const STREAMED: [&str; 3] = ["state recordings", "recorded spikes", "weight recordings"];

/// The size of the results file of a run whose estimate is `e` (made
/// before [`streamed`]): samples and weights are held twice in memory but
/// written once, a spike (time, sender, step) takes 20 bytes on disk.
pub fn results_file_bytes(e: &Estimate) -> f64 {
    e.parts
        .iter()
        .map(|p| match p.what.as_str() {
            "state recordings" | "weight recordings" => p.bytes / 2.0,
            "recorded spikes" => p.bytes * 20.0 / 28.0,
            _ => 0.0,
        })
        .sum()
}

/// Free bytes for an unprivileged writer on the file system of `folder`.
pub fn free_disk(folder: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(folder.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid C string and a statvfs to fill.
    let ok = unsafe { libc::statvfs(path.as_ptr(), &mut st) } == 0;
    ok.then(|| st.f_bavail as u64 * st.f_frsize as u64)
}

/// `e` for a run that writes its recordings as it goes: they take at most
/// `buffer` bytes between two writes (and never more than all of them),
/// plus the results file's chunk caches (`cache` bytes at most).
pub fn streamed(mut e: Estimate, buffer: f64, cache: f64) -> Estimate {
    let held: f64 = e
        .parts
        .iter()
        .filter(|p| STREAMED.contains(&p.what.as_str()))
        .map(|p| p.bytes)
        .sum();
    e.parts.retain(|p| !STREAMED.contains(&p.what.as_str()));
    e.add("recordings between writes", held.min(buffer));
    e.add("results file caches", held.min(cache));
    e.sorted()
}

/// Synapses as stored, each part built in place at its final size (one
/// part per target slice, each with its row offsets), and plastic state.
fn synapse_parts(e: &mut Estimate, spec: &ModelSpec, sizes: &[f64], exact: bool, workers: usize) {
    let dt = spec.simulation.dt;
    let (mut stored, mut plastic) = (0.0, 0.0);
    for p in &spec.projections {
        let n = projection_synapses(p, sizes);
        let per_synapse_delays = varies(&p.delay) || matches!(p.rule, ConnectRule::List(_));
        let delay_bytes = match per_synapse_delays {
            false => 0.0,
            true if largest_delay(&p.delay, &p.rule) / dt <= 255.5 => 1.0,
            true => 2.0,
        };
        let parts = (workers.max(1) as f64).min(sizes[p.to].max(1.0));
        stored += n * csr_bytes_per_synapse(delay_bytes, exact) + 8.0 * parts * sizes[p.from];
        if p.plasticity.is_some() {
            // f64 weight, incoming index, pending index; traces per neuron.
            plastic += n * 16.0 + 16.0 * (sizes[p.from] + sizes[p.to]);
        }
    }
    e.add("synapses", stored);
    e.add("plastic synapse state", plastic);
}

fn projection_synapses(p: &super::spec::ProjectionSpec, sizes: &[f64]) -> f64 {
    let exclude_self = p.from == p.to && !p.allow_autapses;
    expected_synapses(&p.rule, sizes[p.from], sizes[p.to], exclude_self)
}

/// `drive_schedule` keeps one drive vector per distinct stimulus time for
/// every neuron of the stimulated population.
fn current_bytes(spec: &ModelSpec, sizes: &[f64]) -> f64 {
    (0..sizes.len())
        .map(|pop| {
            let changes: usize = spec
                .currents
                .iter()
                .filter(|c| c.population == pop)
                .map(|c| c.drive.times.len())
                .sum();
            if changes == 0 {
                0.0
            } else {
                (changes + 1) as f64 * (sizes[pop] * 8.0 + 48.0)
            }
        })
        .sum()
}

/// Empty ring slots: one per step of the longest delay, per port, per slice.
fn ring_slot_bytes(spec: &ModelSpec, workers: usize) -> f64 {
    let dt = spec.simulation.dt;
    spec.projections
        .iter()
        .map(|p| {
            let slots = (largest_delay(&p.delay, &p.rule) / dt).clamp(1.0, 65535.0) + 1.0;
            slots * 24.0 * workers as f64
        })
        .sum()
}

/// Events in flight: each spike of a projection's sources sends one per
/// synapse, which waits in a ring slot for its delay.
fn in_flight_bytes(spec: &ModelSpec, sizes: &[f64], rates: &[f64]) -> f64 {
    let dt = spec.simulation.dt;
    spec.projections
        .iter()
        .map(|p| {
            let delay = largest_delay(&p.delay, &p.rule).clamp(dt, 65535.0 * dt) + dt;
            let synapses = projection_synapses(p, sizes);
            // A slot keeps its largest capacity: count twice the mean.
            2.0 * synapses * rates[p.from] * delay * 8.0
        })
        .sum()
}

/// Samples per recorded trace, twice: the slices' buffers and the assembled
/// whole-population traces exist together at the end of the run.
fn recording_bytes(spec: &ModelSpec, sizes: &[f64]) -> f64 {
    spec.records
        .iter()
        .map(|r| {
            let neurons = r
                .neurons
                .as_ref()
                .map_or(sizes[r.population], |n| n.len() as f64);
            let rows = (spec.simulation.steps as f64 / r.every.max(1) as f64).ceil();
            2.0 * 8.0 * rows * neurons * r.variables.len() as f64
        })
        .sum()
}

/// Weight snapshots: each an f64 per synapse, held by the plastic parts and
/// again in the assembled traces.
fn weight_record_bytes(spec: &ModelSpec, sizes: &[f64]) -> f64 {
    spec.weight_records
        .iter()
        .map(|w| {
            let p = &spec.projections[w.projection];
            2.0 * 8.0 * w.steps.len() as f64 * projection_synapses(p, sizes)
        })
        .sum()
}

/// A fixed-point model: integer state per neuron, a weight and a target per
/// synapse, recordings as in float mode.
fn fixed_parts(e: &mut Estimate, spec: &ModelSpec, fixed: &FixedModel) {
    let sizes: Vec<f64> = fixed.populations.iter().map(|p| p.size as f64).collect();
    let steps = spec.simulation.steps as f64;
    e.add(
        "neuron state",
        fixed
            .populations
            .iter()
            .zip(&sizes)
            .map(|(p, n)| match &p.kind {
                FixedKind::Lif(_) => 64.0 * n,
                FixedKind::SpikePattern(rows) => {
                    16.0 * n + rows.iter().map(Vec::len).sum::<usize>() as f64
                }
            })
            .sum(),
    );
    let synapses: f64 = fixed
        .projections
        .iter()
        .map(|p| match &p.weights {
            FixedWeights::Dense(rows) => rows.iter().flatten().filter(|&&w| w != 0).count() as f64,
            FixedWeights::Rule(rule, _) => expected_synapses(
                rule,
                sizes[p.from],
                sizes[p.to],
                p.from == p.to && !p.allow_autapses,
            ),
        })
        .sum();
    e.add(
        "synapses",
        synapses * (2.0 * 16.0 + BUILD_BYTES_PER_SYNAPSE),
    );
    e.add(
        "recorded spikes",
        fixed
            .populations
            .iter()
            .zip(&sizes)
            .filter(|(p, _)| p.record_spikes)
            .map(|(_, n)| n * ASSUMED_RATE * steps * spec.simulation.dt * 28.0)
            .sum(),
    );
    e.add(
        "state recordings",
        fixed
            .records
            .iter()
            .map(|r| {
                let neurons = r
                    .neurons
                    .as_ref()
                    .map_or(sizes[r.population], |n| n.len() as f64);
                2.0 * 8.0
                    * (steps / r.every.max(1) as f64).ceil()
                    * neurons
                    * r.variables.len() as f64
            })
            .sum(),
    );
}

// ----- training -----------------------------------------------------------

/// The sizes a training run's memory depends on, known once its datasets
/// are read (before they are binned).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingShape {
    /// Input channels, then each layer's size, the read-out last.
    pub widths: Vec<usize>,
    /// Recurrent weights per layer (same order as `widths[1..]`).
    pub recurrent: Vec<bool>,
    /// Per layer, taps of its input delays (1 without delays).
    pub delay_taps: Vec<usize>,
    /// Steps a sample is simulated for.
    pub steps: usize,
    /// Training samples.
    pub train_samples: usize,
    /// Test samples.
    pub test_samples: usize,
    /// Spikes in both datasets as read.
    pub spikes: usize,
    /// Samples per batch.
    pub batch_size: usize,
    /// Worker threads.
    pub threads: usize,
}

/// Trainable parameters: weights (with delay taps), recurrent weights, and
/// a time constant and a threshold per layer.
pub fn training_parameters(s: &TrainingShape) -> f64 {
    s.widths
        .windows(2)
        .zip(s.recurrent.iter().zip(&s.delay_taps))
        .map(|(w, (&rec, &taps))| {
            let (n_in, n_out) = (w[0] as f64, w[1] as f64);
            n_in * n_out * taps as f64 + if rec { n_out * n_out } else { 0.0 } + 2.0
        })
        .sum()
}

/// The estimated peak memory of training: parameters with the optimiser's
/// state, a batch of per-sample gradients, the activations that BPTT keeps
/// for the samples in flight, and the datasets read and binned.
pub fn training_estimate(s: &TrainingShape) -> Estimate {
    let mut e = Estimate::default();
    e.add("the program", PROGRAM_BYTES);
    let params = training_parameters(s);
    // f32 weights, Adam's two moments, the batch's mean gradient.
    e.add("layer weights and optimiser state", 4.0 * 4.0 * params);
    e.add("per-sample gradients", 4.0 * params * s.batch_size as f64);
    let in_flight = s.threads.min(s.batch_size).max(1) as f64;
    let neurons: f64 = s.widths[1..].iter().map(|&n| n as f64).sum();
    let steps = s.steps as f64 + s.widths.len() as f64;
    // Per sample: the dense input, U and y of every layer, and their
    // gradients during the backward pass (f32).
    let per_sample = 4.0 * steps * (s.widths[0] as f64 + 4.0 * neurons);
    e.add(
        "BPTT activations (steps x neurons x samples in flight)",
        in_flight * per_sample,
    );
    // A binned sample holds one (empty or not) event list per step.
    let samples = (s.train_samples + s.test_samples) as f64;
    e.add(
        "binned datasets (steps x samples)",
        samples * steps * 24.0 + s.spikes as f64 * (8.0 + 8.0),
    );
    e.sorted()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streamed_run_holds_its_buffer_not_its_recordings() {
        let mut e = Estimate::default();
        e.add("synapses", 1e9);
        e.add("state recordings", 5e10);
        e.add("recorded spikes", 2e10);
        let s = streamed(e, 64.0 * 1048576.0, 64.0 * 1048576.0);
        assert_eq!(s.total(), 1e9 + 2.0 * 64.0 * 1048576.0);
        let mut small = Estimate::default();
        small.add("recorded spikes", 1000.0);
        assert_eq!(streamed(small, 1e8, 1e8).total(), 2000.0);
    }

    #[test]
    fn reads_the_limits_files() {
        let meminfo = "MemTotal:       24000000 kB\nMemFree: 1 kB\nMemAvailable:   16000000 kB\n";
        assert_eq!(
            meminfo_bytes(meminfo, "MemAvailable:"),
            Some(16000000.0 * 1024.0)
        );
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max address space         unlimited            unlimited            bytes\n";
        assert_eq!(address_space_limit(limits), None);
        let limited = "Max address space         4096000000           unlimited            bytes\n";
        assert_eq!(address_space_limit(limited), Some(4096000000.0));
    }

    #[test]
    fn expected_counts_follow_the_rules() {
        assert_eq!(
            expected_synapses(&ConnectRule::AllToAll, 10.0, 10.0, true),
            90.0
        );
        assert_eq!(
            expected_synapses(&ConnectRule::OneToOne, 10.0, 7.0, false),
            7.0
        );
        assert_eq!(
            expected_synapses(&ConnectRule::FixedProbability(0.1), 100.0, 50.0, false),
            500.0
        );
        assert_eq!(
            expected_synapses(&ConnectRule::FixedIndegree(5), 3.0, 4.0, true),
            8.0
        );
    }

    #[test]
    fn byte_counts_read_as_people_write_them() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(1.5e9), "1.5 GB");
        assert_eq!(bytes(2e13), "20.0 TB");
    }

    #[test]
    fn a_refusal_names_the_largest_part_and_the_limit() {
        let mut e = Estimate::default();
        e.add("synapses", 8e12);
        e.add("neuron state", 1e9);
        let e = e.sorted();
        let avail = Available {
            physical: Some(16e9),
            address_space: None,
        };
        let msg = check_fits("m.toml", &e, &avail, "pass --ignore-memory-limit")
            .unwrap_err()
            .0;
        assert!(msg.contains("8.0 TB"), "{msg}");
        assert!(msg.contains("largest part is synapses"), "{msg}");
        assert!(msg.contains("16.0 GB available"), "{msg}");
        assert!(
            check_fits(
                "m",
                &e,
                &Available {
                    physical: Some(1e13),
                    address_space: None
                },
                ""
            )
            .is_ok()
        );
    }

    #[test]
    fn failed_allocations_are_errors() {
        let err = try_vec(usize::MAX / 16, 0u64, "a test buffer").unwrap_err();
        assert!(err.0.contains("a test buffer"), "{}", err.0);
    }
}
