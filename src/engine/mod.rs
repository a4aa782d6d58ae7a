//! Schedulers that advance time, and what they share.
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

use crate::io::results::{Results, RunInfo};
use crate::model::ModelSpec;
use crate::model::spec::EngineKind;
use network::Network;

/// Worker threads for a requested count (0 = every core).
pub fn thread_count(requested: u32) -> usize {
    match requested {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n as usize,
    }
}

/// Build and run a validated model. `progress(steps_done, steps_total)` is
/// called now and then from the simulation loop.
pub fn simulate(spec: &ModelSpec, progress: &mut dyn FnMut(u64, u64)) -> Results {
    if let Some(model) = &spec.fixed {
        return fixed::simulate(spec, model, progress);
    }
    let threads = thread_count(spec.simulation.threads);
    let started = Instant::now();
    let mut net = Network::build_for(spec, threads);
    let build_seconds = started.elapsed().as_secs_f64();

    let total = net.steps;
    let started = Instant::now();
    let outcome = match spec.simulation.engine {
        EngineKind::Clock => clock::run(&mut net, &spec.records, &mut |k| progress(k, total)),
        EngineKind::Event => event::run(&mut net, spec, &mut |k| progress(k, total)),
    };
    let simulate_seconds = started.elapsed().as_secs_f64();
    let weights = plastic::weight_traces(&mut net, &spec.weight_records);

    let sim = &spec.simulation;
    Results {
        info: RunInfo {
            model_text: spec.text.clone(),
            model_path: spec.path.display().to_string(),
            seed: sim.seed,
            dt: sim.dt,
            duration: sim.duration,
            engine: match spec.simulation.engine {
                EngineKind::Clock => "clock".into(),
                EngineKind::Event => "event".into(),
            },
            threads: threads as u32,
            version: env!("CARGO_PKG_VERSION").into(),
            build_seconds,
            simulate_seconds,
            synapses: net.synapse_count() as u64,
            synaptic_events: outcome.synaptic_events,
        },
        spikes: outcome
            .spikes
            .into_iter()
            .zip(&spec.populations)
            .filter(|(_, p)| p.record_spikes)
            .map(|(s, _)| s)
            .collect(),
        states: outcome.states,
        weights,
    }
}
