//! Throughput of the clock engine's parts: neuron updates, spike delivery,
//! the whole CUBA benchmark model, and STDP on the Song et al. 2000 model.

use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use spikesim::engine::network::Network;
use spikesim::engine::{clock, simulate};
use spikesim::model::validate::parse_model;

/// A population of `n` neurons of `model` with no synapses, driven above
/// threshold so that the spike path is exercised too.
fn lone_population(model: &str, n: usize) -> String {
    let extra = if model == "cuba_lif" {
        ", tau_syn_e = \"5 ms\", tau_syn_i = \"10 ms\""
    } else {
        ""
    };
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "100 ms"

[[population]]
name = "p"
size = {n}
model = "{model}"
params = {{ tau_m = "20 ms", v_rest = "-49 mV", v_reset = "-60 mV", v_th = "-50 mV", t_ref = "5 ms"{extra} }}
init = {{ v = {{ uniform = ["-60 mV", "-50 mV"] }} }}
"#
    )
}

fn neuron_updates(c: &mut Criterion) {
    let mut group = c.benchmark_group("neuron_update");
    for model in ["lif", "cuba_lif"] {
        for n in [4_000usize, 64_000] {
            let spec = parse_model(Path::new("bench.toml"), &lone_population(model, n)).unwrap();
            group.throughput(Throughput::Elements((n as u64) * spec.simulation.steps));
            group.bench_with_input(BenchmarkId::new(model, n), &spec, |b, spec| {
                b.iter_batched(
                    || Network::build(spec),
                    |mut net| clock::run(&mut net, &[], &mut |_| {}),
                    criterion::BatchSize::LargeInput,
                )
            });
        }
    }
    group.finish();
}

/// Poisson sources into a CuBa population: dominated by event delivery.
fn spike_delivery(c: &mut Criterion) {
    let text = r#"
[simulation]
dt = "0.1 ms"
duration = "100 ms"

[[population]]
name = "src"
size = 2000
model = "poisson"
params = { rate = "50 Hz" }

[[population]]
name = "dst"
size = 4000
model = "cuba_lif"
params = { tau_m = "20 ms", v_rest = "-70 mV", v_th = "-50 mV", tau_syn = "5 ms" }

[[projection]]
from = "src"
to = "dst"
connect = { fixed_probability = 0.05 }
weight = "0.01 mV"
delay = { uniform = ["0.1 ms", "2 ms"] }
"#;
    let spec = parse_model(Path::new("bench.toml"), text).unwrap();
    let events = simulate(&spec, &mut |_, _| {}).info.synaptic_events;
    let mut group = c.benchmark_group("spike_delivery");
    group.throughput(Throughput::Elements(events));
    group.bench_function("poisson_2000_to_4000_p0.05", |b| {
        b.iter_batched(
            || Network::build(&spec),
            |mut net| clock::run(&mut net, &[], &mut |_| {}),
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn cuba_model(c: &mut Criterion) {
    let spec = spikesim::model::load(Path::new("models/cuba.toml"), &[]).unwrap();
    let mut group = c.benchmark_group("cuba");
    group.sample_size(20);
    for threads in [1, 2] {
        group.bench_function(format!("clock_4000_neurons_1s_{threads}_threads"), |b| {
            b.iter_batched(
                || Network::build_for(&spec, threads),
                |mut net| clock::run(&mut net, &[], &mut |_| {}),
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.bench_function("build_4000_neurons", |b| b.iter(|| Network::build(&spec)));
    let mut event_spec = spec.clone();
    event_spec.simulation.engine = spikesim::model::spec::EngineKind::Event;
    event_spec.simulation.duration = 0.2;
    event_spec.simulation.steps = 2000;
    group.sample_size(10);
    group.bench_function("event_4000_neurons_0.2s", |b| {
        b.iter_batched(
            || Network::build(&event_spec),
            |mut net| spikesim::engine::event::run(&mut net, &event_spec, &mut |_| {}),
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// The Song, Miller & Abbott STDP model for 10 s: 100 000 plastic synaptic
/// events onto one neuron, through either engine.
fn stdp_song(c: &mut Criterion) {
    let mut spec = spikesim::model::load(Path::new("models/stdp_song2000.toml"), &[]).unwrap();
    spec.simulation.duration = 10.0;
    spec.simulation.steps = 100_000;
    spec.weight_records.clear();
    let mut group = c.benchmark_group("stdp_song2000");
    group.sample_size(10);
    group.throughput(Throughput::Elements(100_000));
    for engine in [
        spikesim::model::spec::EngineKind::Event,
        spikesim::model::spec::EngineKind::Clock,
    ] {
        let mut spec = spec.clone();
        spec.simulation.engine = engine;
        group.bench_function(format!("{engine:?}_10s"), |b| {
            b.iter(|| simulate(&spec, &mut |_, _| {}))
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    neuron_updates,
    spike_delivery,
    cuba_model,
    stdp_song
);
criterion_main!(benches);
