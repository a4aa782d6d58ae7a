//! `spikesim train`: networks of [`crate::learn::layers`] trained on spike
//! (or real-valued) datasets, from experiment file to exported model.
//!
//! - [`experiment`]: experiment files (TOML), with the readers of `meta` and
//!   `l2mu` layers and the learning-rate [`schedule`]s they name;
//! - [`data`]: the datasets binned to the training step, or real-valued
//!   signals fed as currents;
//! - [`online`]: the online trace rule, the alternative to BPTT;
//! - [`trainer`]: the training loop (mini-batches in parallel, reduced in a
//!   fixed order), evaluation, the state a run carries;
//! - [`record`]: metrics, learning curve, checkpoints and trained weights;
//! - [`export`]: the trained network as a model file the simulator runs;
//! - [`session`]: all of it for one experiment, as the command runs it.
//!
//! Each module imports only modules above it in this list (`schedule`, read
//! by `experiment`, comes first of all; `session` uses all the others).

pub mod data;
pub mod experiment;
pub mod export;
pub mod online;
pub mod record;
pub mod schedule;
pub mod session;
pub mod trainer;
