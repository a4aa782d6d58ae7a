//! Rank 0's end of a complete run: the summary of spike counts and timings,
//! and the plots named in `[output]`.

use std::path::Path;

use crate::Error;
use crate::cli::paths::ensure_parent;
use crate::io::hdf5::read_results;
use crate::io::results::Results;
use crate::model::memory;
use crate::model::spec::OutputSpec;
use crate::plot::{
    PotentialOptions, RasterOptions, RateOptions, WeightPlotOptions, potential, raster, rate,
    weight_course, weight_histogram,
};

use super::RunArgs;

/// Rank 0's end of a complete run: the summary, and the plots drawn from
/// the file (not from memory, so that they show what it holds).
pub(super) fn finish_run(
    args: &RunArgs,
    spec: &crate::model::ModelSpec,
    estimate: &memory::Estimate,
    out: &Path,
    info: &crate::io::results::RunInfo,
    counts: &crate::io::run_file::SpikeCounts,
) -> Result<(), Error> {
    summarise_counts(info, counts, out);
    if let Some(peak) = memory::peak_resident() {
        say!(
            "memory: estimated {}, peak resident {}",
            memory::bytes(estimate.total()),
            memory::bytes(peak)
        );
    }
    let output = &spec.output;
    let wanted = [
        &output.raster,
        &output.potential,
        &output.weight_histogram,
        &output.weight_course,
        &output.rate,
    ];
    if args.no_plots || wanted.iter().all(|p| p.is_none()) {
        return Ok(());
    }
    let size = std::fs::metadata(out).map_or(0, |m| m.len());
    if size > PLOT_FROM_MEMORY_LIMIT {
        say!(
            "plots: skipped, {} is {} (more than {} to read back): draw them with \
             `spikesim plot` and --from/--to",
            out.display(),
            memory::bytes(size as f64),
            memory::bytes(PLOT_FROM_MEMORY_LIMIT as f64)
        );
        return Ok(());
    }
    for path in wanted.into_iter().flatten() {
        ensure_parent(path)?;
    }
    let results = read_results(out)?;
    if let Some(path) = &output.raster {
        raster(&results, path, &RasterOptions::default())?;
        say!("raster plot: {}", path.display());
    }
    if let Some(path) = &output.potential {
        potential(&results, path, &PotentialOptions::default())?;
        say!("potential plot: {}", path.display());
    }
    plastic_plots(&results, output)
}

/// Remove the plot files named in `[output]` (absent ones are fine).
pub(super) fn remove_plots(output: &OutputSpec) {
    for path in [
        &output.raster,
        &output.potential,
        &output.weight_histogram,
        &output.weight_course,
        &output.rate,
    ]
    .into_iter()
    .flatten()
    {
        let _ = std::fs::remove_file(path);
    }
}

/// Results files larger than this are not read back to draw a run's plots.
const PLOT_FROM_MEMORY_LIMIT: u64 = 2 << 30;

/// Spike counts and timings of a finished run.
fn summarise_counts(
    info: &crate::io::results::RunInfo,
    counts: &crate::io::run_file::SpikeCounts,
    out: &Path,
) {
    say!("{:<20} {:>10} {:>12}", "population", "spikes", "rate (Hz)");
    for (population, size, spikes) in counts {
        let rate = *spikes as f64 / (*size as f64 * info.duration).max(f64::MIN_POSITIVE);
        say!("{:<20} {:>10} {:>12.3}", population, spikes, rate);
    }
    let rtf = if info.simulate_seconds > 0.0 {
        info.duration / info.simulate_seconds
    } else {
        f64::INFINITY
    };
    say!(
        "built in {:.3} s, simulated {} s in {:.3} s ({:.1}x real time)",
        info.build_seconds,
        info.duration,
        info.simulate_seconds,
        rtf
    );
    let events_per_second = info.synaptic_events as f64 / info.simulate_seconds.max(1e-12);
    // A rate of nothing is not worth a number in scientific notation.
    let rate = if info.synaptic_events == 0 {
        String::new()
    } else {
        format!(" ({events_per_second:.3e} per second of wall time)")
    };
    say!(
        "{}, {}{rate}",
        crate::cli::check::counted(info.synapses, "synapse"),
        crate::cli::check::counted(info.synaptic_events, "synaptic event"),
    );
    say!("results: {}", out.display());
}

/// The weight and rate plots named in `[output]`.
fn plastic_plots(results: &Results, output: &OutputSpec) -> Result<(), Error> {
    let opts = WeightPlotOptions::default();
    if let Some(path) = &output.weight_histogram {
        weight_histogram(results, path, &opts)?;
        say!("weight histogram: {}", path.display());
    }
    if let Some(path) = &output.weight_course {
        weight_course(results, path, &opts)?;
        say!("weights over time: {}", path.display());
    }
    if let Some(path) = &output.rate {
        rate(results, path, &RateOptions::default())?;
        say!("rate plot: {}", path.display());
    }
    Ok(())
}
