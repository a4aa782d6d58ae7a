//! Training throughput: one epoch of spike-digits (1 437 samples) through
//! the example experiment's network (64 -> 128 LIF -> 10 membrane read-out),
//! BPTT and the online rule, one and two threads.

// The allocator the `spikesim` command trains with (the library sets none):
// these run training in-process, and glibc's mmap/munmap of per-sample
// gradients would make them slower than the command they stand for.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use indicatif::ProgressBar;
use spikesim::learn::train::data::prepare;
use spikesim::learn::train::experiment::{Rule, load_experiment};
use spikesim::learn::train::trainer::{TrainState, pool, train_epoch};

fn epoch(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/train_spike_digits.toml");
    let base = load_experiment(&path).unwrap();
    let data = prepare(&base).unwrap();
    let mut group = c.benchmark_group("spike_digits_epoch");
    group.sample_size(10);
    group.throughput(Throughput::Elements(data.train.len() as u64));
    for (rule, name) in [(Rule::Bptt, "bptt"), (Rule::Online, "online")] {
        for threads in [1, 2] {
            let mut exp = base.clone();
            exp.rule = rule;
            exp.threads = threads;
            let pool = pool(threads);
            let mut state = TrainState::new(&exp, &data);
            let bar = ProgressBar::hidden();
            group.bench_with_input(BenchmarkId::new(name, threads), &threads, |b, _| {
                b.iter(|| pool.install(|| train_epoch(&exp, &mut state, &data.train, &bar)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, epoch);
criterion_main!(benches);
