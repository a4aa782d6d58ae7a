//! `spikesim compare`: compare the spikes of two results files.

use std::path::Path;

use crate::Error;
use crate::io::hdf5::read_results;
use crate::io::results::RunInfo;

/// `spikesim compare`: the per-population table of differences between
/// two results files.
pub fn compare(a: &Path, b: &Path) -> Result<(), Error> {
    let (ra, rb) = (read_results(a)?, read_results(b)?);
    // Refuse before printing anything a script could take for a table.
    let diffs = crate::io::compare::compare(&ra, &rb);
    if diffs.is_empty() {
        return Err(Error::Usage(
            "the two files share no recorded population".into(),
        ));
    }
    for warning in differences(&ra.info, &rb.info) {
        if !crate::cli::quiet() {
            eprintln!("warning: {warning}");
        }
    }
    say!("A: {}\nB: {}", a.display(), b.display());
    say!(
        "{:<12} {:>10} {:>10} {:>9} {:>8} {:>9} {:>9} {:>11} {:>11} {:>11}",
        "population",
        "rate A",
        "rate B",
        "change",
        "count r",
        "equal n",
        "matched",
        "mean shift",
        "median |s|",
        "max |s|"
    );
    for d in diffs {
        say!(
            "{:<12} {:>8.3}Hz {:>8.3}Hz {:>8.2}% {:>8} {:>9} {:>9} {:>9.3}ms {:>9.3}ms {:>9.3}ms",
            d.population,
            d.rate_a,
            d.rate_b,
            100.0 * d.relative_rate_change(),
            d.count_correlation
                .map_or("-".to_string(), |r| format!("{r:.3}")),
            format!("{}/{}", d.equal_counts, d.size),
            d.matched,
            d.mean_shift * 1e3,
            d.median_abs_shift * 1e3,
            d.max_abs_shift * 1e3
        );
    }
    Ok(())
}

/// What makes two runs' rates and spike counts not comparable as they
/// stand: different durations (rates are per run, counts are not) and
/// different steps.
pub fn differences(a: &RunInfo, b: &RunInfo) -> Vec<String> {
    let mut out = Vec::new();
    if a.duration != b.duration {
        out.push(format!(
            "the runs last {} s (A) and {} s (B): spike counts and shifts cover different spans",
            a.duration, b.duration
        ));
    }
    if a.dt != b.dt {
        out.push(format!(
            "the runs step by {} ms (A) and {} ms (B)",
            a.dt * 1e3,
            b.dt * 1e3
        ));
    }
    out
}
