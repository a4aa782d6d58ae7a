//! NIR export: the graph spikesim writes for a model (parameters, delays
//! against the import's time grid, located refusals), the round trip
//! spikesim -> NIR -> spikesim, and a trained network's predictions after
//! it.

mod fixed;
mod models;
mod roundtrip;
mod structure;
mod trained;
