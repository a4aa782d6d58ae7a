//! `spikesim info`: summarise a results file.

use std::path::Path;

use crate::Error;
use crate::cli::quiet;
use crate::io::hdf5::read_results;
use crate::io::results::Results;

/// One line on stderr for the file of an interrupted run: what it holds.
pub(crate) fn warn_if_interrupted(path: &Path, results: &Results) {
    let Some(reached) = results.info.reached.filter(|_| !quiet()) else {
        return;
    };
    // Rounded to the nanosecond, so that 1500 steps of 0.1 ms read 0.15 s.
    let seconds = |t: f64| (t * 1e9).round() / 1e9;
    eprintln!(
        "warning: {} was interrupted: it holds the run up to t = {} s of {} s",
        path.display(),
        seconds(reached),
        seconds(results.info.duration)
    );
}

/// `spikesim info`: the run description and recorded datasets of a
/// results file.
pub fn info(path: &Path) -> Result<(), Error> {
    let results = read_results(path)?;
    warn_if_interrupted(path, &results);
    let i = &results.info;
    say!("{}", path.display());
    say!("  model:     {}", i.model_path);
    say!(
        "  spikesim:  {}, engine {}, {} thread(s)",
        i.version,
        i.engine,
        i.threads
    );
    say!(
        "  dt:        {} ms, duration {} s, seed {}",
        i.dt * 1e3,
        i.duration,
        i.seed
    );
    say!(
        "  wall time: build {:.3} s, simulate {:.3} s",
        i.build_seconds,
        i.simulate_seconds
    );
    say!(
        "  synapses:  {}, synaptic events {}",
        i.synapses,
        i.synaptic_events
    );
    for s in &results.spikes {
        let rate = results.mean_rate(&s.population).unwrap_or(0.0);
        say!(
            "  spikes/{:<14} {:>4} neurons {:>9} spikes {:>9.3} Hz",
            s.population,
            s.size,
            s.len(),
            rate
        );
    }
    for t in &results.states {
        say!(
            "  state/{}/{:<8} {} neurons x {} samples [{}]",
            t.population,
            t.variable,
            t.neurons.len(),
            t.rows(),
            t.unit
        );
    }
    for w in &results.weights {
        say!(
            "  weights/{:<13} {} synapses x {} snapshots [{}]",
            w.projection,
            w.synapses(),
            w.steps.len(),
            w.unit
        );
    }
    Ok(())
}
