#![warn(missing_docs)]
//! spikesim: a spiking-neural-network simulator.
//!
//! The library is usable without the command line: [`model::load`] reads and
//! validates a model file, [`engine::simulate`] builds and runs it, and
//! [`io::hdf5`] and [`plot`] write what it produced.
pub mod cli;
pub mod engine;
pub mod error;
pub mod io;
pub mod learn;
pub mod model;
pub mod neuron;
pub mod nir;
pub mod plasticity;
pub mod plot;
pub mod synapse;

pub use error::Error;
