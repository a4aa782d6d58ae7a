//! NIR export: the graph spikesim writes for a model (parameters, delays
//! against the import's time grid, located refusals), and the round trip
//! spikesim -> NIR -> spikesim.

mod models;
mod structure;
