//! The Song, Miller & Abbott 2000 model, reduced for `make test` to its
//! first 300 s: additive STDP on 1000 Poisson inputs empties the middle of
//! the weight distribution towards both bounds, and the output rate falls
//! from its start and levels off. The full 1000 s run over five seeds, where
//! the weights end bimodal, is `make experiments`
//! (tests/experiments/stdp.rs, docs/src/experiments/stdp_song2000.md).

use std::path::Path;

use spikesim::io::results::Results;

const W_MAX: f64 = 2.0e-3;

fn run(seed: u64) -> Results {
    let set = [
        "simulation.duration=\"300 s\"".to_string(),
        format!("simulation.seed={seed}"),
    ];
    let spec = spikesim::model::load(Path::new("models/stdp_song2000.toml"), &set).unwrap();
    assert_eq!(spec.simulation.steps, 3_000_000);
    spikesim::engine::simulate(&spec, &mut |_, _| {})
}

/// Output rate (Hz) in consecutive windows of `width` seconds.
fn rates(results: &Results, width: f64) -> Vec<f64> {
    let times = results.spikes_of("neuron").unwrap().times(results.info.dt);
    let n = (results.info.duration / width).round() as usize;
    let mut counts = vec![0usize; n];
    for t in times {
        counts[((t / width) as usize).min(n - 1)] += 1;
    }
    counts.iter().map(|&c| c as f64 / width).collect()
}

/// Fraction of `w` below 0.1 w_max, between, and above 0.9 w_max.
fn thirds(w: &[f64]) -> (f64, f64, f64) {
    let frac =
        |pred: &dyn Fn(f64) -> bool| w.iter().filter(|&&x| pred(x)).count() as f64 / w.len() as f64;
    let low = frac(&|x| x < 0.1 * W_MAX);
    let high = frac(&|x| x > 0.9 * W_MAX);
    (low, 1.0 - low - high, high)
}

/// Measured at 300 s on seeds 1-8: below 0.1 w_max 0.677-0.695, in the
/// middle 0.247-0.271 (0.78-0.83 at the start), above 0.9 w_max
/// 0.050-0.060; rate in the first 50 s 150-159 Hz, in the last 50 s
/// 34.0-35.7 Hz (ratio at least 4.2), the last two windows within 3.8 % of
/// each other. The marks sit outside every measured seed (middle < 0.35,
/// low > 0.6, high > 0.03, ratio > 3, windows within 10 %); the test runs
/// seed 9, which was not measured.
#[test]
fn weights_leave_the_middle_for_both_bounds_and_the_rate_levels_off() {
    let results = run(9);
    let w = results.weights_of("stdp").unwrap();
    let (_, initial_middle, _) = thirds(w.row(0));
    let (low, middle, high) = thirds(w.row(w.steps.len() - 1));
    let r = rates(&results, 50.0);
    println!(
        "low {low:.3} middle {middle:.3} high {high:.3} (middle initially {initial_middle:.3}); rates per 50 s {r:.1?}"
    );
    // Uniform start: 80 % in the middle.
    assert!((initial_middle - 0.8).abs() < 0.05, "{initial_middle}");
    assert!(middle < 0.35, "the middle empties: {middle}");
    assert!(low > 0.6 && high > 0.03, "both bounds fill: {low}, {high}");
    let (first, last, before) = (r[0], r[r.len() - 1], r[r.len() - 2]);
    assert!(
        first > 3.0 * last,
        "the rate falls from {first} Hz to {last} Hz"
    );
    assert!(
        (last - before).abs() < 0.1 * last,
        "the rate levels off: {before} Hz then {last} Hz"
    );
}
