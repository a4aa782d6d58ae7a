//! Learning: training rules and their building blocks, usable without the CLI.
//!
//! Grouped by concept, from the bottom up:
//!
//! - [`real`], [`surrogate`]: the scalar type of training (f32, or f64 for
//!   gradient checks) and the surrogate derivatives of the spike function;
//! - [`optim`]: the optimisers (SGD with momentum and Adam over a network's
//!   tensors, Adam over flat slices for blocks trained on their own) and
//!   the gradients' layout;
//! - [`layers`]: layers trained through time (LIF / CuBa LIF, meta neurons,
//!   the L2MU cell with its Legendre matrices);
//! - [`net`]: a network of layers, its loss and back-propagation through
//!   time;
//! - [`delays`]: learnable per-synapse delays (DCLS) and the LIF layer that
//!   carries them;
//! - [`bounds`]: the ranges experiment files' hyper-parameters must lie in;
//! - [`train`]: `spikesim train`: experiment files, data, the training loop,
//!   the online rule, records, export to a model file;
//! - [`tempotron`]: the Tempotron, its input patterns, LZC read-outs and
//!   `spikesim tempotron`;
//! - [`continual`]: task sequences, EWC, replay, HLOP, the
//!   continual-learning metrics and `spikesim continual`;
//! - [`file_kind`]: which command takes a TOML file.
//!
//! Each module imports only modules above it in this list (`continual`
//! builds on `train`'s experiment files, data and loop); `make check` runs
//! `scripts/module_cycles.py -r src/learn`, which finds any cycle here or in
//! a folder below.
pub mod bounds;
pub mod continual;
pub mod delays;
pub mod file_kind;
pub mod layers;
pub mod net;
pub mod optim;
pub mod real;
pub mod surrogate;
pub mod tempotron;
pub mod train;
