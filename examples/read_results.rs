//! Reads a results file (HDF5, as `spikesim run` writes it) with the library
//! and prints what it holds: the run, each population's spikes and each
//! recorded state variable with its unit and shape.
//!
//! ```sh
//! cargo run --release -- run models/cuba.toml       # writes results/cuba.h5
//! cargo run --release --example read_results -- results/cuba.h5
//! ```

use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

use spikesim::io::IoError;
use spikesim::io::hdf5::read_results;

/// The summary this program prints of the results file at `path`.
pub fn summary(path: &Path) -> Result<String, IoError> {
    let results = read_results(path)?;
    let info = &results.info;
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "{}: {} s simulated at dt = {} s, engine {}, seed {}",
        path.display(),
        info.covered(),
        info.dt,
        info.engine,
        info.seed
    );
    for s in &results.spikes {
        let rate = results.mean_rate(&s.population).unwrap_or(0.0);
        let _ = writeln!(
            out,
            "spikes {}: {} neurons, {} spikes, {:.3} Hz",
            s.population,
            s.size,
            s.len(),
            rate
        );
    }
    for t in &results.states {
        // `values` is row-major: one row per sample time, one column per
        // recorded neuron.
        let _ = writeln!(
            out,
            "state {}/{}: {} samples x {} neurons, unit {:?}",
            t.population,
            t.variable,
            t.rows(),
            t.neurons.len(),
            t.unit
        );
    }
    Ok(out)
}

#[allow(dead_code)] // tests/simulate/examples.rs calls `summary` only
fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: read_results <results.h5>");
        return ExitCode::from(2);
    };
    match summary(Path::new(&path)) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
