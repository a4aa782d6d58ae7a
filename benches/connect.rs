//! Building connectivity: the synapses of 100 000 targets × 100 sources
//! each (fixed_indegree, uniform delays) and of as many by
//! fixed_total_number with redrawn normal weights and delays, one range
//! of targets at a time as a worker or rank builds them. The full-size
//! figure (1 M × 100) is measured with `/usr/bin/time -v spikesim run`;
//! criterion's repeats keep this one at a tenth of that.

use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use spikesim::model::validate::parse_model;
use spikesim::synapse::connect;

const N: u32 = 100_000;
const K: u64 = 100;

fn model(rule: &str, weight: &str, delay: &str) -> String {
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "1 ms"

[[population]]
name = "p"
size = {N}
model = "lif"
params = {{ tau_m = "20 ms", v_rest = "-65 mV", v_th = "-50 mV" }}

[[projection]]
from = "p"
to = "p"
connect = {rule}
weight = {weight}
delay = {delay}
"#
    )
}

fn build(c: &mut Criterion) {
    let cases = [
        (
            "fixed_indegree",
            model(
                &format!("{{ fixed_indegree = {K} }}"),
                "\"0.1 mV\"",
                r#"{ uniform = ["1 ms", "2 ms"] }"#,
            ),
        ),
        (
            "fixed_total_number",
            model(
                &format!("{{ fixed_total_number = {} }}", K * N as u64),
                r#"{ normal = { mean = "0.15 mV", std = "0.015 mV", min = "0 mV" } }"#,
                r#"{ normal = { mean = "1.5 ms", std = "0.75 ms", min = "0.1 ms" } }"#,
            ),
        ),
    ];
    let mut group = c.benchmark_group("connect");
    group.sample_size(10);
    group.throughput(Throughput::Elements(K * N as u64));
    for (name, text) in cases {
        let spec = parse_model(Path::new("bench.toml"), &text).unwrap();
        let (p, sim) = (&spec.projections[0], &spec.simulation);
        for ranges in [1u32, 4] {
            group.bench_with_input(BenchmarkId::new(name, ranges), &ranges, |b, &ranges| {
                b.iter(|| {
                    (0..ranges)
                        .map(|r| {
                            let onto = r * N / ranges..(r + 1) * N / ranges;
                            connect::try_build_onto(p, N, N, onto, sim.seed, sim.dt, false)
                                .unwrap()
                                .len()
                        })
                        .sum::<usize>()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, build);
criterion_main!(benches);
