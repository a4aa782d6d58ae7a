//! Schedulers that advance time, and what they share.
pub mod background;
pub mod calendar;
pub mod check_grid;
pub mod clock;
pub mod event;
pub mod event_grid;
pub mod exchange;
pub mod fixed;
pub mod network;
pub mod partition;
pub mod plastic;
pub mod prefetch;
pub mod recording;
pub mod rng;

use std::time::Instant;

use crate::io::results::{Results, RunInfo, SpikeTrains};
use crate::model::ModelSpec;
use crate::model::memory::{self, MemoryError};
use crate::model::spec::EngineKind;
use network::Network;

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
) -> Result<Results, MemoryError> {
    if let Some(model) = &spec.fixed {
        return Ok(fixed::simulate(spec, model, progress));
    }
    let threads = thread_count(spec.simulation.threads);
    let started = Instant::now();
    let mut net = Network::try_build_for(spec, threads)?;
    let build_seconds = started.elapsed().as_secs_f64();

    let total = net.steps;
    let started = Instant::now();
    let outcome = match spec.simulation.engine {
        EngineKind::Clock => clock::try_run(&mut net, &spec.records, &mut |k| progress(k, total)),
        EngineKind::Event => event::try_run(&mut net, spec, &mut |k| progress(k, total)),
    }?;
    let simulate_seconds = started.elapsed().as_secs_f64();
    let weights = plastic::weight_traces(&mut net, &spec.weight_records);

    let engine = match spec.simulation.engine {
        EngineKind::Clock => "clock",
        EngineKind::Event => "event",
    };
    Ok(Results {
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
    })
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
