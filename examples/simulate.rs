//! Simulates a model with the library and prints each population's spike
//! count and mean rate: the model built into this program (a Poisson input
//! and three LIF neurons on a constant current) or a model file.
//!
//! ```sh
//! cargo run --release --example simulate
//! cargo run --release --example simulate -- models/cuba.toml
//! ```

use std::path::Path;
use std::process::ExitCode;

use spikesim::engine::simulate;
use spikesim::io::results::Results;
use spikesim::model::{self, ModelError, validate::parse_model};

/// The built-in model: 100 Poisson neurons at 50 Hz (not connected) and
/// three LIF neurons on a constant 0.2 nA current (r_m i_e = 20 mV, 15 mV
/// above rest to threshold), 200 ms.
pub const MODEL: &str = r#"
[simulation]
dt = "0.1 ms"
duration = "200 ms"
seed = 3

[[population]]
name = "input"
size = 100
model = "poisson"
params = { rate = "50 Hz" }

[[population]]
name = "driven"
size = 3
model = "lif"
params = { tau_m = "10 ms", v_rest = "-70 mV", v_reset = "-70 mV", v_th = "-55 mV",
           t_ref = "2 ms", r_m = "100 Mohm", i_e = "0.2 nA" }
"#;

/// One population's spikes in a run.
#[derive(Debug)]
pub struct Count {
    /// The population's name in the model.
    pub population: String,
    /// Spikes it fired during the run.
    pub spikes: usize,
    /// Mean firing rate per neuron, Hz.
    pub rate: f64,
}

/// Validates `text` (a model file's contents; `path` names it in errors and
/// resolves the files it refers to), simulates it and counts each
/// population's spikes.
pub fn spike_counts(path: &Path, text: &str) -> Result<Vec<Count>, ModelError> {
    let spec = parse_model(path, text)?;
    Ok(counts(&simulate(&spec, &mut |_, _| {})))
}

/// Each population's spike count and mean rate in `results`.
pub fn counts(results: &Results) -> Vec<Count> {
    results
        .spikes
        .iter()
        .map(|s| Count {
            population: s.population.clone(),
            spikes: s.len(),
            rate: results.mean_rate(&s.population).unwrap_or(0.0),
        })
        .collect()
}

#[allow(dead_code)] // tests/simulate/examples.rs calls `spike_counts` only
fn main() -> ExitCode {
    let counts = match std::env::args_os().nth(1) {
        // A file: read it with `model::load`, which also applies overrides.
        Some(file) => {
            model::load(Path::new(&file), &[]).map(|spec| counts(&simulate(&spec, &mut |_, _| {})))
        }
        None => spike_counts(Path::new("built-in.toml"), MODEL),
    };
    match counts {
        Ok(counts) => {
            for c in counts {
                println!(
                    "{:<12} {:>8} spikes {:>9.2} Hz",
                    c.population, c.spikes, c.rate
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
