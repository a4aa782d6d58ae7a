//! What the check for NaN and infinite state variables costs
//! (`Network::check_finite`): the CUBA benchmark model, shortened, with the
//! check on and off, in both engines on one thread.
//!
//! Besides criterion's timings, `cargo bench --bench finite_check` prints
//! the median ratio of paired runs (on, off, alternating, so that drifts of
//! the machine's speed hit both alike) with its spread.
//!
//! Measured 5 Dec 2026 on the 2-core AMD EPYC shared machine, 61 pairs of
//! 0.5 s runs: clock on/off 1.0128 (quartiles 0.9998 .. 1.0262), event
//! 1.0033 (0.9806 .. 1.0386); criterion's medians 16.75 against 16.38 ms
//! and 44.16 against 44.33 ms.

use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, criterion_group};
use spikesim::engine::network::Network;
use spikesim::engine::{clock, event};
use spikesim::model::ModelSpec;
use spikesim::model::spec::EngineKind;

/// CUBA (models/cuba.toml) for `seconds` in `engine`, without recording.
fn cuba(engine: EngineKind, seconds: f64) -> ModelSpec {
    let mut spec = spikesim::model::load(Path::new("models/cuba.toml"), &[]).unwrap();
    spec.simulation.engine = engine;
    spec.simulation.duration = seconds;
    spec.simulation.steps = (seconds / spec.simulation.dt).round() as u64;
    spec.records.clear();
    spec
}

/// Seconds of one run, the network built beforehand.
fn timed(spec: &ModelSpec, check: bool) -> f64 {
    let mut net = Network::build(spec);
    net.check_finite = check;
    let started = Instant::now();
    let outcome = match spec.simulation.engine {
        EngineKind::Clock => clock::run(&mut net, &[], &mut |_| {}),
        EngineKind::Event => event::run(&mut net, spec, &mut |_| {}),
    };
    let seconds = started.elapsed().as_secs_f64();
    std::hint::black_box(outcome.synaptic_events);
    seconds
}

fn median(mut x: Vec<f64>) -> f64 {
    x.sort_by(f64::total_cmp);
    x[x.len() / 2]
}

/// `pairs` runs with the check and without, alternating which goes first:
/// the median of the ratios on/off, and their quartiles.
fn paired(spec: &ModelSpec, pairs: usize) -> (f64, f64, f64) {
    let mut ratios: Vec<f64> = (0..pairs)
        .map(|p| {
            let (on, off) = if p % 2 == 0 {
                let on = timed(spec, true);
                (on, timed(spec, false))
            } else {
                let off = timed(spec, false);
                (timed(spec, true), off)
            };
            on / off
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let q = |f: f64| ratios[((ratios.len() - 1) as f64 * f).round() as usize];
    (median(ratios.clone()), q(0.25), q(0.75))
}

fn finite_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("finite_check");
    group.sample_size(10);
    for (engine, seconds) in [(EngineKind::Clock, 0.5), (EngineKind::Event, 0.5)] {
        let spec = cuba(engine, seconds);
        for check in [true, false] {
            let name = format!("cuba_{engine:?}_{seconds}s_check_{check}");
            group.bench_function(name, |b| {
                b.iter_batched(
                    || {
                        let mut net = Network::build(&spec);
                        net.check_finite = check;
                        net
                    },
                    |mut net| match engine {
                        EngineKind::Clock => clock::run(&mut net, &[], &mut |_| {}),
                        EngineKind::Event => event::run(&mut net, &spec, &mut |_| {}),
                    },
                    criterion::BatchSize::LargeInput,
                )
            });
        }
    }
    group.finish();
}

criterion_group!(benches, finite_check);

fn main() {
    // `cargo test --benches` passes no `--bench`: only criterion's quick check.
    if std::env::args().any(|a| a == "--bench") {
        for (engine, seconds, pairs) in [(EngineKind::Clock, 0.5, 61), (EngineKind::Event, 0.5, 61)]
        {
            let spec = cuba(engine, seconds);
            let (ratio, low, high) = paired(&spec, pairs);
            println!(
                "finite check, CUBA {engine:?} {seconds} s, {pairs} pairs: on/off = {ratio:.4} \
                 (quartiles {low:.4} .. {high:.4}), cost {:+.2} %",
                (ratio - 1.0) * 100.0
            );
        }
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
