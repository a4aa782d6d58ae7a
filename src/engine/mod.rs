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
pub mod plastic;
pub mod prefetch;
pub mod recording;
pub mod rng;

use std::time::Instant;

use crate::io::results::{Results, RunInfo, SpikeTrains};
use crate::model::ModelSpec;
use crate::model::memory;
use crate::model::spec::EngineKind;
use comm::{Comm, Reduce, Solo};
use exchange::{Encoding, Exchange, ExchangeStats, LocalExchange, RankExchange};
use finite::RunError;
use network::Network;
use partition::{RankShare, SlicePlan};

/// Worker threads for a requested count (0 = every core), at most
/// [`memory::THREADS_PER_CORE`] per core (see [`memory::workers_for`]).
pub fn thread_count(requested: u32) -> usize {
    memory::workers_for(requested as u64)
}

/// Build and run a validated model. `progress(steps_done, steps_total)` is
/// called now and then from the simulation loop.
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
/// `comm` calling it together; the results are gathered on rank 0. A failed
/// allocation on any rank is an error on every rank.
pub fn try_simulate_on(
    spec: &ModelSpec,
    progress: &mut dyn FnMut(u64, u64),
    comm: &dyn Comm,
) -> Result<RankRun, RunError> {
    let share = RankShare {
        rank: comm.rank(),
        ranks: comm.ranks(),
        threads: rank_threads(spec, comm),
    };
    let (mut local, owned, exchange) = match &spec.fixed {
        Some(model) => fixed::simulate_share(spec, model, progress, share, comm),
        None => simulate_share(spec, progress, share, comm)?,
    };
    if share.ranks == 1 {
        return Ok(RankRun {
            results: Some(local),
            exchange: None,
        });
    }
    local.info.ranks = share.ranks as u32;
    let info = &mut local.info;
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
    let mut stats = exchange.unwrap_or_default();
    // Epochs are the same on every rank; spikes and bytes add up.
    let mut totals = [stats.spikes_sent, stats.bytes_sent];
    comm.all_reduce(&mut totals, Reduce::Sum);
    let mut seconds = [stats.seconds.to_bits()];
    comm.all_reduce(&mut seconds, Reduce::Max);
    (stats.spikes_sent, stats.bytes_sent) = (totals[0], totals[1]);
    stats.seconds = f64::from_bits(seconds[0]);
    let names: Vec<String> = match &spec.fixed {
        Some(model) => model.populations.iter().map(|p| p.name.clone()).collect(),
        None => spec.populations.iter().map(|p| p.name.clone()).collect(),
    };
    let owned = gather::Owned {
        names: &names,
        ranges: owned,
    };
    Ok(RankRun {
        results: gather::to_rank_zero(local, &owned, comm),
        exchange: Some(stats),
    })
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

/// This rank's results, the neurons it holds, and what exchanging spikes
/// with the other ranks cost (none with one rank).
pub type RankPart = (Results, Owned, Option<ExchangeStats>);

/// This rank's part of a float-engine run.
fn simulate_share(
    spec: &ModelSpec,
    progress: &mut dyn FnMut(u64, u64),
    share: RankShare,
    comm: &dyn Comm,
) -> Result<RankPart, RunError> {
    let threads = share.threads;
    let started = Instant::now();
    let built = Network::try_build_share(spec, share, comm);
    let mut net = comm::agreed(comm, built)?;
    let build_seconds = started.elapsed().as_secs_f64();
    let owned = net
        .workers
        .iter()
        .flat_map(|w| &w.slices)
        .map(|s| (s.population, s.offset..s.offset + s.len() as u32))
        .collect();

    let sizes: Vec<u32> = spec.populations.iter().map(|p| p.size).collect();
    let encoding = match spec.simulation.engine {
        EngineKind::Clock => Encoding::Steps,
        EngineKind::Event => Encoding::Times,
    };
    let exchange = exchange_for(comm, net.workers.len(), &sizes, encoding);
    let total = net.steps;
    let started = Instant::now();
    let outcome = match spec.simulation.engine {
        EngineKind::Clock => clock::try_run_with(
            &mut net,
            &spec.records,
            &mut |k| progress(k, total),
            exchange.as_ref(),
        ),
        EngineKind::Event => event::try_run_with(
            &mut net,
            spec,
            &mut |k| progress(k, total),
            exchange.as_ref(),
        ),
    };
    // A rank that found a non-finite value stops every rank, so that none
    // waits for the others in the gathering of the results.
    let failed = matches!(outcome, Err(RunError::NonFinite(_)));
    let outcome = comm::settle(
        comm.first_failed(failed),
        outcome,
        RunError::NonFiniteOnRank,
    )?;
    let simulate_seconds = started.elapsed().as_secs_f64();
    let weights = plastic::weight_traces(&mut net, &spec.weight_records);

    let engine = match spec.simulation.engine {
        EngineKind::Clock => "clock",
        EngineKind::Event => "event",
    };
    let results = Results {
        info: RunInfo {
            build_seconds,
            simulate_seconds,
            synapses: net.synapse_count() as u64,
            synaptic_events: outcome.synaptic_events,
            ..run_info(spec, engine, threads)
        },
        spikes: recorded(
            outcome.spikes,
            spec.populations.iter().map(|p| p.record_spikes),
        ),
        states: outcome.states,
        weights,
    };
    Ok((results, owned, exchange.stats()))
}

/// What a run records about itself, but for its timings and counts.
fn run_info(spec: &ModelSpec, engine: &str, threads: usize) -> RunInfo {
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
fn recorded(spikes: Vec<SpikeTrains>, record: impl Iterator<Item = bool>) -> Vec<SpikeTrains> {
    spikes
        .into_iter()
        .zip(record)
        .filter_map(|(s, keep)| keep.then_some(s))
        .collect()
}
