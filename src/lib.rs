//! spikesim: a spiking-neural-network simulator.
pub mod io;
pub mod model;
pub mod plot;
