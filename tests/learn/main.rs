//! Learning: datasets and encoders, surrogate-gradient training, delays,
//! L2MU, meta neurons, Tempotron, continual learning and the CLI over them.

// The allocator the `spikesim` command trains with (the library sets none):
// these run training in-process, and glibc's mmap/munmap of per-sample
// gradients would make them slower than the command they stand for.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../common/png.rs"]
#[allow(dead_code)] // each binary uses part of the helpers
mod png;

mod continual;
mod encode_synth;
mod experiment_options;
mod info_kinds;
mod learn_cli;
mod learn_dcls;
mod learn_delays;
mod learn_gradients;
mod learn_l2mu;
mod learn_l2mu_export;
mod learn_l2mu_real;
mod learn_l2mu_train;
mod learn_lmu;
mod learn_meta;
mod optim;
mod plots;
mod spike_dataset;
mod support;
mod tempotron;
mod training;
