//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;

use spikesim::io::results::Results;
use spikesim::model::{ModelSpec, validate::parse_model};

/// Validate a model given as text (relative files resolve from the crate root).
pub fn spec(text: &str) -> ModelSpec {
    parse_model(Path::new("test.toml"), text)
        .unwrap_or_else(|e| panic!("model should be valid: {e}"))
}

pub fn simulate(text: &str) -> Results {
    spikesim::engine::simulate(&spec(text), &mut |_, _| {})
}

/// Relative difference with an absolute floor, for comparing traces.
pub fn rel_diff(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

pub mod microcircuit;
pub mod png;
