//! Synapses: connectivity in CSR form, connection rules, delay ring buffers.
pub mod connect;
pub mod csr;
pub mod fixed;
pub mod ring;

pub use csr::{Csr, Delays};
pub use ring::{Arrival, EventRing};
