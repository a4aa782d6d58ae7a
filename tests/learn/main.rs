//! Learning: datasets and encoders, surrogate-gradient training, delays,
//! L2MU, meta neurons, Tempotron, continual learning and the CLI over them.

#[path = "../common/png.rs"]
#[allow(dead_code)] // each binary uses part of the helpers
mod png;

mod continual;
mod encode_synth;
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
