//! The Song, Miller & Abbott 2000 model as shipped: additive STDP on 1000
//! Poisson inputs drives the weights to a bimodal distribution (most near 0
//! or near w_max) and the output rate to a steady value.

use std::path::Path;

use spikesim::io::results::Results;

fn run() -> Results {
    let spec = spikesim::model::load(Path::new("models/stdp_song2000.toml"), &[]).unwrap();
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

#[test]
fn weights_become_bimodal_and_the_rate_settles() {
    let results = run();
    let w = results.weights_of("stdp").unwrap();
    let w_max = 2.0e-3;
    let last = w.row(w.steps.len() - 1);
    let frac = |pred: &dyn Fn(f64) -> bool| {
        last.iter().filter(|&&x| pred(x)).count() as f64 / last.len() as f64
    };
    let low = frac(&|x| x < 0.1 * w_max);
    let high = frac(&|x| x > 0.9 * w_max);
    let middle = 1.0 - low - high;
    let first = w.row(0);
    let initial_middle = first
        .iter()
        .filter(|&&x| (0.1 * w_max..=0.9 * w_max).contains(&x))
        .count() as f64
        / first.len() as f64;
    let r = rates(&results, 50.0);
    println!(
        "low {low:.3} high {high:.3} middle {middle:.3} (initially {initial_middle:.3}); rates per 50 s: {r:.1?}"
    );
    // Uniform start: 80 % in the middle; at the end most sit at a bound,
    // and both bounds are populated (competition, not runaway).
    assert!((initial_middle - 0.8).abs() < 0.05);
    assert!(low + high > 0.8, "bimodal: {low} near 0, {high} near w_max");
    assert!(low > 0.1 && high > 0.05, "both modes: {low}, {high}");
    // The rate falls from its start as most synapses weaken, then settles:
    // over the last 500 s, 50 s windows vary by little.
    let tail = &r[r.len() - 10..];
    let mean = tail.iter().sum::<f64>() / tail.len() as f64;
    let spread = tail.iter().map(|x| (x - mean).abs()).fold(0.0, f64::max);
    assert!(mean > 1.0, "the neuron still fires: {mean} Hz");
    assert!(spread < 0.1 * mean, "rate settles: {tail:?}");
    assert!(
        r[0] > 2.0 * mean,
        "the rate falls from {} Hz to {mean} Hz",
        r[0]
    );
}
