//! Learning: training rules and their building blocks, usable without the CLI.
//!
//! - Training on spike datasets: layers trained through time with surrogate
//!   gradients ([`layer`], [`net`], [`surrogate`]), the online trace rule
//!   ([`online`]), optimisers ([`optim`]) and their learning-rate schedules
//!   and gradient clipping ([`schedule`]), experiment files ([`experiment`]),
//!   the training loop ([`train`], [`session`], [`record`]) and export to a
//!   model file ([`export`], [`export_l2mu`] for networks with L2MU layers);
//! - [`tempotron`], [`patterns`], [`lzc`], [`tempotron_experiment`]: the
//!   Tempotron for LIF and meta neurons, Poisson input patterns, Lempel–Ziv
//!   complexity read-outs, and the runner behind `spikesim tempotron`;
//! - [`lmu`]: Legendre Memory Unit matrices, their discretisation and the
//!   synapse mapping that runs them on populations;
//! - [`l2mu`]: the L2MU cell (LMU blocks as LIF / CuBa LIF populations),
//!   forward and backward through time, and the encoding-free input module;
//!   [`l2mu_layer`] makes it a layer of the trainer, [`l2mu_experiment`]
//!   reads `kind = "l2mu"` layers of experiment files, [`real_input`] feeds
//!   them raw real-valued signals as currents;
//! - [`dcls`]: learnable per-synapse delays (dilated convolution with
//!   learnable spacings), the σ schedule and rounding to integer delays;
//! - [`adam`]: the Adam optimiser over flat parameter slices;
//! - [`hlop`]: HLOP lateral subspace neurons (Oja subspace rule) and the
//!   orthogonal projection of weight-update traces;
//! - [`meta_layer`]: layers of probabilistic meta neurons (escape noise)
//!   whose intrinsic parameters are trained with the weights;
//!   [`meta_experiment`] reads `kind = "meta"` layers of experiment files;
//! - [`continual`]: task sequences, EWC, replay memory and the
//!   continual-learning metrics (accuracy matrix, ACC, BWT).
pub mod adam;
pub mod bounds;
pub mod continual;
pub mod dcls;
pub mod delays;
pub mod experiment;
pub mod export;
pub mod export_l2mu;
pub mod file_kind;
pub mod hlop;
pub mod l2mu;
pub mod l2mu_experiment;
pub mod l2mu_layer;
pub mod layer;
pub mod lmu;
pub mod lzc;
pub mod meta_experiment;
pub mod meta_layer;
pub mod net;
pub mod online;
pub mod optim;
pub mod patterns;
pub mod real;
pub mod real_input;
pub mod record;
pub mod schedule;
pub mod session;
pub mod surrogate;
pub mod tempotron;
pub mod tempotron_experiment;
pub mod train;
