//! NIR (Neuromorphic Intermediate Representation) graphs: the in-memory
//! graph ([`graph`]), reading and writing the HDF5 files of the `nir` 1.0.8
//! Python package ([`mod@file`]), shape inference and the type check
//! ([`check`]), and the located error all of them return ([`error`]).
//!
//! `nir` sits above `io` and `model`: it may use both; nothing below it
//! uses `nir`.
pub mod check;
pub mod error;
pub mod export;
pub mod file;
pub mod graph;
pub mod import;

pub use check::{NodeShapes, Shapes};
pub use error::NirError;
pub use file::{read, write};
pub use graph::{Graph, Meta, Node, Padding, Tensor};
