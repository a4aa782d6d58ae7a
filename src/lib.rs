#![warn(missing_docs)]
//! spikesim: a spiking-neural-network simulator.
//!
//! The library is usable without the command line: [`model::load`] reads and
//! validates a model file (or [`model::validate::parse_model`] a model given
//! as text), [`engine::simulate`] builds and runs it, and [`io::hdf5`] and
//! [`plot`] write what it produced ([`io::hdf5::read_results`] reads it
//! back). Every quantity is in SI units: seconds, volts, amperes, siemens.
//!
//! # Load, simulate, read the results
//!
//! One LIF neuron driven by a constant current `i_e` fires periodically:
//! from reset it charges towards `v_rest + r_m i_e` and reaches threshold
//! after `tau_m ln(r_m i_e / (r_m i_e - (v_th - v_rest)))`, then stays
//! refractory for `t_ref`.
//!
//! ```
//! use std::path::Path;
//! use spikesim::engine::simulate;
//! use spikesim::model::validate::parse_model;
//!
//! let text = r#"
//! [simulation]
//! dt = "0.1 ms"
//! duration = "200 ms"
//!
//! [[population]]
//! name = "neuron"
//! size = 1
//! model = "lif"
//! params = { tau_m = "10 ms", v_rest = "-70 mV", v_reset = "-70 mV", v_th = "-55 mV",
//!            t_ref = "2 ms", r_m = "100 Mohm", i_e = "0.2 nA" }
//!
//! [[record]]
//! population = "neuron"
//! variables = ["v"]
//! "#;
//! // The path names the model in errors and resolves files it refers to.
//! let spec = parse_model(Path::new("one_lif.toml"), text)?;
//! let results = simulate(&spec, &mut |_done, _total| {});
//!
//! // Spikes: step indices and senders; times in seconds.
//! let spikes = results.spikes_of("neuron").unwrap();
//! let drive: f64 = 100e6 * 0.2e-9; // r_m i_e = 20 mV
//! let period = 2e-3 + 10e-3 * (drive / (drive - 15e-3)).ln();
//! let expected = (0.2 / period).floor();
//! assert!((spikes.len() as f64 - expected).abs() <= 1.0, "{} spikes", spikes.len());
//! let first = spikes.times(results.info.dt)[0];
//! assert!((first - (period - 2e-3)).abs() < 2e-4, "first spike at {first} s");
//!
//! // State: one row per sample, one column per recorded neuron, in volts.
//! let v = results.state_of("neuron", "v").unwrap();
//! assert_eq!(v.unit, "V");
//! assert_eq!(v.rows(), 2000);
//! assert!(v.column(0).iter().all(|&x| (-0.0701..-0.055).contains(&x)));
//!
//! // The results file: written beside its path, then moved there.
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("one_lif.h5");
//! spikesim::io::hdf5::write_results(&path, &results)?;
//! let back = spikesim::io::hdf5::read_results(&path)?;
//! assert_eq!(back.spikes_of("neuron").unwrap().steps, spikes.steps);
//! assert_eq!(back.state_of("neuron", "v").unwrap().values, v.values);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The programs in `examples/` do the same from files (`cargo run --example
//! simulate`, `cargo run --example read_results -- results/cuba.h5`).
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
