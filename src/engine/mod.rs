//! Schedulers that advance time, and what they share.
pub mod background;
pub mod calendar;
pub mod check_grid;
pub mod clock;
pub mod comm;
pub mod event;
pub mod event_grid;
pub mod exchange;
pub mod finite;
pub mod fixed;
pub mod gather;
pub mod network;
pub mod partition;
pub mod persist;
pub mod plastic;
pub mod prefetch;
pub mod recording;
pub mod rng;
pub mod segment;
pub mod zero;

use std::time::Instant;

use crate::io::results::{Results, RunInfo};
use crate::model::ModelSpec;
use crate::model::memory;
use crate::model::spec::EngineKind;
use comm::{Comm, Reduce, Solo, settle};
use exchange::{Encoding, Exchange, ExchangeStats, LocalExchange, RankExchange};

use network::Network;
use partition::{RankShare, SlicePlan};
pub use segment::{Checkpointer, Collect, Control, Drive, Ended, RunError, Segmented, Sink};

/// Worker threads for a requested count (0 = every core), at most
/// [`memory::THREADS_PER_CORE`] per core (see [`memory::workers_for`]).
pub fn thread_count(requested: u32) -> usize {
    memory::workers_for(requested as u64)
}

/// Build and run a validated model. `progress(steps_done, steps_total)` is
/// called now and then from the simulation loop.
///
/// ```
/// use std::path::Path;
/// let spec = spikesim::model::validate::parse_model(Path::new("poisson.toml"), r#"
/// [simulation]
/// dt = "0.1 ms"
/// duration = "1 s"
/// seed = 5
///
/// [[population]]
/// name = "input"
/// size = 1000
/// model = "poisson"
/// params = { rate = "20 Hz" }
/// "#)?;
/// let mut last = (0, 0);
/// let results = spikesim::engine::simulate(&spec, &mut |done, total| last = (done, total));
/// // 1000 neurons at 20 Hz for 1 s: 20 000 spikes, standard deviation ~141.
/// let spikes = results.spikes_of("input").unwrap();
/// assert!(spikes.len().abs_diff(20_000) < 5 * 141, "{} spikes", spikes.len());
/// assert!((results.mean_rate("input").unwrap() - 20.0).abs() < 0.7);
/// assert_eq!(last.1, 10_000, "progress counts the steps");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn simulate(spec: &ModelSpec, progress: &mut dyn FnMut(u64, u64)) -> Results {
    try_simulate(spec, progress).unwrap_or_else(|e| panic!("{e}"))
}

/// [`simulate`], with a failed allocation of the synapses, delay rings or
/// recordings returned as an error. It does not check the estimate of
/// [`memory::model_estimate`]: callers that want a refusal up front do.
pub fn try_simulate(
    spec: &ModelSpec,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Results, RunError> {
    let run = try_simulate_on(spec, progress, &Solo)?;
    Ok(run.results.expect("one process holds the results"))
}

/// What one rank of a run ends with.
pub struct RankRun {
    /// The whole run's results on rank 0, `None` on the other ranks.
    pub results: Option<Results>,
    /// The spike exchange between ranks (summed over them, the time the
    /// slowest rank spent), when there were several.
    pub exchange: Option<ExchangeStats>,
}

/// Worker threads per rank: rank 0's count, so that every rank plans the
/// same partition even where machines differ in cores (`threads = 0`).
pub fn rank_threads(spec: &ModelSpec, comm: &dyn Comm) -> usize {
    comm.broadcast_u64(thread_count(spec.simulation.threads) as u64) as usize
}

/// Why a model cannot run on `ranks` processes of `threads` workers, if it
/// cannot: a rank would own no neuron.
pub fn rank_count_error(spec: &ModelSpec, ranks: usize, threads: usize) -> Option<String> {
    let share = RankShare {
        rank: 0,
        ranks,
        threads,
    };
    let (plan, sizes): (Vec<SlicePlan>, Vec<u32>) = match &spec.fixed {
        Some(model) => (
            fixed::FixedNetwork::plan(model, share),
            model.populations.iter().map(|p| p.size).collect(),
        ),
        None => (
            Network::plan(spec, share),
            spec.populations.iter().map(|p| p.size).collect(),
        ),
    };
    if !exchange::global_ids_fit(&sizes) {
        return Some(format!(
            "{}: more than {} neurons in all cannot run on several ranks",
            spec.path.display(),
            u32::MAX
        ));
    }
    let idle = partition::idle_ranks(&plan, share);
    (idle > 0).then(|| {
        format!(
            "{}: {ranks} ranks, but the model's {} neurons give only {} slices \
             (populations under {} neurons are not split), so {idle} ranks would \
             have nothing to simulate: run with at most {} ranks",
            spec.path.display(),
            sizes.iter().map(|&s| s as u64).sum::<u64>(),
            plan.len(),
            2 * partition::MIN_SLICE,
            ranks - idle
        )
    })
}

/// Build and run this rank's part of a validated model, every rank of
/// `comm` calling it together; the results are gathered on rank 0 and kept
/// in memory. A failed allocation on any rank is an error on every rank.
pub fn try_simulate_on(
    spec: &ModelSpec,
    progress: &mut dyn FnMut(u64, u64),
    comm: &dyn Comm,
) -> Result<RankRun, RunError> {
    let mut collect = Collect::default();
    let sink: Option<&mut dyn Sink> = (comm.rank() == 0).then_some(&mut collect);
    let output = Output {
        control: Control::plain(),
        sink,
        checkpoint: None,
        resume: None,
    };
    let end = run_share(spec, progress, comm, output)?;
    if let Ended::Fault(_, message) = end.ended {
        return Err(RunError::NonFinite(message));
    }
    let results = (comm.rank() == 0).then(|| {
        let mut results = collect.0.take().unwrap_or_default();
        results.info = end.info;
        results
    });
    Ok(RankRun {
        results,
        exchange: end.exchange,
    })
}

/// What a run of one rank is given besides the model.
pub struct Output<'a> {
    /// Stop requests, checkpoint schedule and progress reports of the run.
    pub control: Control<'a>,
    /// Where the recordings go (rank 0 only).
    pub sink: Option<&'a mut dyn Sink>,
    /// Writes a checkpoint (see [`segment::Drive::checkpoint`]); needed when
    /// `control.checkpoint_every` is set.
    pub checkpoint: Option<&'a mut Checkpointer<'a>>,
    /// This rank's state saved by a checkpoint, to go on from.
    pub resume: Option<Vec<u8>>,
}

/// How one rank's run ended.
pub struct RankEnd {
    /// The run's description, timings (the slowest rank's) and counts
    /// (summed over ranks).
    pub info: RunInfo,
    /// Whether the run finished or stopped early, and why.
    pub ended: Ended,
    /// The spike exchange between ranks, when there were several.
    pub exchange: Option<ExchangeStats>,
}

/// Build and run this rank's part of a validated model in segments, every
/// rank of `comm` calling it together.
pub fn run_share(
    spec: &ModelSpec,
    progress: &mut dyn FnMut(u64, u64),
    comm: &dyn Comm,
    output: Output,
) -> Result<RankEnd, RunError> {
    let share = RankShare {
        rank: comm.rank(),
        ranks: comm.ranks(),
        threads: rank_threads(spec, comm),
    };
    let started = Instant::now();
    match &spec.fixed {
        Some(model) => {
            let sim = &spec.simulation;
            let mut net =
                fixed::FixedNetwork::build_share(model, sim.seed, sim.dt, sim.steps, share, comm);
            let built = Built {
                engine: "clock (fixed-point)",
                seconds: started.elapsed().as_secs_f64(),
                synapses: net.synapse_count() as u64,
                owned: net.owned(),
                names: model.populations.iter().map(|p| p.name.clone()).collect(),
            };
            let exchange = exchange_for(comm, net.workers(), &net.sizes(), Encoding::Steps);
            let mut engine = fixed::FixedRun::new(&mut net, &model.records);
            finish(
                spec,
                &mut engine,
                built,
                exchange.as_ref(),
                comm,
                output,
                progress,
            )
        }
        None => {
            let built = Network::try_build_share(spec, share, comm);
            let mut net = comm::agreed(comm, built)?;
            let (engine_name, encoding) = match spec.simulation.engine {
                EngineKind::Clock => ("clock", Encoding::Steps),
                EngineKind::Event => ("event", Encoding::Times),
            };
            let built = Built {
                engine: engine_name,
                seconds: started.elapsed().as_secs_f64(),
                synapses: net.synapse_count() as u64,
                owned: net
                    .workers
                    .iter()
                    .flat_map(|w| &w.slices)
                    .map(|s| (s.population, s.offset..s.offset + s.len() as u32))
                    .collect(),
                names: spec.populations.iter().map(|p| p.name.clone()).collect(),
            };
            let sizes: Vec<u32> = spec.populations.iter().map(|p| p.size).collect();
            let exchange = exchange_for(comm, net.workers.len(), &sizes, encoding);
            match spec.simulation.engine {
                EngineKind::Clock => {
                    let made = clock::ClockRun::new(&mut net, &spec.records, &spec.weight_records);
                    let mut engine = comm::agreed(comm, made)?;
                    finish(
                        spec,
                        &mut engine,
                        built,
                        exchange.as_ref(),
                        comm,
                        output,
                        progress,
                    )
                }
                EngineKind::Event => {
                    let made = event::EventRun::new(&mut net, spec);
                    let mut engine = comm::agreed(comm, made)?;
                    finish(
                        spec,
                        &mut engine,
                        built,
                        exchange.as_ref(),
                        comm,
                        output,
                        progress,
                    )
                }
            }
        }
    }
}

/// What building a rank's network left to report.
struct Built {
    engine: &'static str,
    seconds: f64,
    synapses: u64,
    owned: Owned,
    names: Vec<String>,
}

/// Restore a checkpoint if asked, run the engine to its end in segments,
/// and sum up.
fn finish(
    spec: &ModelSpec,
    engine: &mut dyn Segmented,
    built: Built,
    exchange: &dyn Exchange,
    comm: &dyn Comm,
    output: Output,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<RankEnd, RunError> {
    let Output {
        control,
        sink,
        mut checkpoint,
        resume,
    } = output;
    if let Some(bytes) = resume {
        let loaded = engine.load(&bytes).map_err(|e| e.to_string());
        drop(bytes);
        settle(comm.first_failed(loaded.is_err()), loaded, |rank| {
            format!("rank {rank} could not restore its state from the checkpoint")
        })
        .map_err(RunError::Resume)?;
    }
    let owned = gather::Owned {
        names: &built.names,
        ranges: built.owned,
    };
    let mut no_checkpoint = |_: u64, _: Option<Vec<Vec<u8>>>, _: Vec<u64>| -> Result<(), String> {
        Err("no checkpoint was asked for".into())
    };
    // Reborrowed: the trait objects' lifetimes shorten to this call's.
    #[allow(clippy::needless_option_as_deref)]
    let checkpoint: &mut Checkpointer = match checkpoint.as_deref_mut() {
        Some(c) => c,
        None => &mut no_checkpoint,
    };
    let sink = sink.map(|s| -> &mut dyn Sink { s });

    let total = engine.steps();
    let started = Instant::now();
    let ended = segment::drive(
        engine,
        Drive {
            control: &control,
            comm,
            exchange,
            owned: &owned,
            sink,
            checkpoint,
        },
        &mut |k| progress(k, total),
    )?;
    let mut info = RunInfo {
        build_seconds: built.seconds,
        simulate_seconds: started.elapsed().as_secs_f64(),
        synapses: built.synapses,
        synaptic_events: engine.synaptic_events(),
        ..run_info(spec, built.engine, rank_threads_here(spec, comm))
    };
    let stats = exchange.stats();
    if comm.ranks() == 1 {
        return Ok(RankEnd {
            info,
            ended,
            exchange: None,
        });
    }
    Ok(RankEnd {
        exchange: Some(across_ranks(&mut info, stats, comm)),
        info,
        ended,
    })
}

/// Worker threads of this rank (as planned by [`rank_threads`]).
fn rank_threads_here(spec: &ModelSpec, comm: &dyn Comm) -> usize {
    if comm.ranks() == 1 {
        thread_count(spec.simulation.threads)
    } else {
        rank_threads(spec, comm)
    }
}

/// Counts summed and timings of the slowest rank, in `info` and in the
/// exchange's statistics.
fn across_ranks(
    info: &mut RunInfo,
    stats: Option<ExchangeStats>,
    comm: &dyn Comm,
) -> ExchangeStats {
    info.ranks = comm.ranks() as u32;
    let mut sums = [info.synaptic_events];
    comm.all_reduce(&mut sums, Reduce::Sum);
    info.synaptic_events = sums[0];
    let mut slowest = [
        info.build_seconds.to_bits(),
        info.simulate_seconds.to_bits(),
    ];
    comm.all_reduce(&mut slowest, Reduce::Max);
    (info.build_seconds, info.simulate_seconds) =
        (f64::from_bits(slowest[0]), f64::from_bits(slowest[1]));
    let mut stats = stats.unwrap_or_default();
    // Epochs are the same on every rank; spikes and bytes add up.
    let mut totals = [stats.spikes_sent, stats.bytes_sent];
    comm.all_reduce(&mut totals, Reduce::Sum);
    let mut seconds = [stats.seconds.to_bits()];
    comm.all_reduce(&mut seconds, Reduce::Max);
    (stats.spikes_sent, stats.bytes_sent) = (totals[0], totals[1]);
    stats.seconds = f64::from_bits(seconds[0]);
    stats
}

/// The spike exchange for `workers` threads of this rank.
pub(crate) fn exchange_for<'a>(
    comm: &'a dyn Comm,
    workers: usize,
    sizes: &[u32],
    encoding: Encoding,
) -> Box<dyn Exchange + 'a> {
    if comm.ranks() == 1 {
        Box::new(LocalExchange::new(workers))
    } else {
        Box::new(RankExchange::new(comm, workers, sizes, encoding))
    }
}

/// Neuron ranges `(population, neurons)` this rank's slices hold.
pub type Owned = Vec<(usize, std::ops::Range<u32>)>;

/// What a run records about itself, but for its timings and counts.
pub fn run_info(spec: &ModelSpec, engine: &str, threads: usize) -> RunInfo {
    let sim = &spec.simulation;
    RunInfo {
        model_text: spec.text.clone(),
        model_path: spec.path.display().to_string(),
        seed: sim.seed,
        dt: sim.dt,
        duration: sim.duration,
        engine: engine.into(),
        threads: threads as u32,
        ranks: 1,
        version: env!("CARGO_PKG_VERSION").into(),
        ..RunInfo::default()
    }
}

/// The spike trains of the populations whose spikes are recorded.
pub(crate) fn recorded(
    spikes: Vec<crate::io::results::SpikeTrains>,
    record: impl Iterator<Item = bool>,
) -> Vec<crate::io::results::SpikeTrains> {
    spikes
        .into_iter()
        .zip(record)
        .filter_map(|(s, keep)| keep.then_some(s))
        .collect()
}
