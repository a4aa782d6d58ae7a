//! `make experiments`: the full experiments behind the manual's tables, each
//! over the seeds it is judged on. Every test reruns its experiment, writes
//! its table to `docs/src/experiments/<name>.md` and then checks the mark with
//! the margin measured over seeds. `make test` runs reduced versions of the
//! same claims (see the per-area test binaries); these take minutes to tens
//! of minutes each, so they live behind the `experiments` feature:
//!
//! ```sh
//! cargo test --release --features experiments --test experiments -- --test-threads 1 --nocapture
//! ```

// The allocator the `spikesim` command trains with (the library sets none):
// these run training in-process, and glibc's mmap/munmap of per-sample
// gradients would make them slower than the command they stand for.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod continual;
mod delays;
mod l2mu;
#[path = "../common/microcircuit.rs"]
mod microcircuit;
mod microcircuit_full;
mod report;
mod stdp;
