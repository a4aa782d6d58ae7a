//! The Tempotron and what `spikesim tempotron` runs on it: the neuron and
//! its learning rule for LIF and meta neurons ([`neuron`]), Poisson input
//! patterns ([`patterns`]), Lempel–Ziv complexity read-outs ([`lzc`]), and
//! the experiment files and their runner ([`experiment`]). Imports run
//! `experiment` → `neuron` → `patterns`, and `experiment` → `lzc`.

pub mod experiment;
pub mod lzc;
pub mod neuron;
pub mod patterns;
