//! Learning outside the simulation loop: the Tempotron for LIF and meta
//! neurons, Poisson input patterns, Lempel–Ziv complexity read-outs, and the
//! experiment runner that puts them together (`spikesim tempotron`).
pub mod experiment;
pub mod lzc;
pub mod patterns;
pub mod tempotron;
