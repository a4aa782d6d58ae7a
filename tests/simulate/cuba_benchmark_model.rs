//! The shipped CUBA benchmark (Vogels & Abbott 2005) settles into the
//! asynchronous irregular state at the rates Brian2's example gives.

use std::path::Path;

use spikesim::io::results::Results;

/// Steps of the initial transient left out of the statistics (the uniform
/// initial potentials make the first ~100 ms a synchronous volley).
const SETTLED: u64 = 2000;

fn run_cuba(seed: u64) -> Results {
    // 5 s rather than 1 s: ISI statistics need tens of intervals per neuron.
    let overrides = [
        format!("simulation.seed={seed}"),
        "simulation.duration=\"5 s\"".to_string(),
    ];
    let spec = spikesim::model::load(Path::new("models/cuba.toml"), &overrides).unwrap();
    spikesim::engine::simulate(&spec, &mut |_, _| {})
}

/// Mean coefficient of variation of the inter-spike intervals of neurons
/// with at least `min_spikes` spikes.
fn mean_isi_cv(results: &Results, population: &str, min_spikes: usize) -> f64 {
    let s = results.spikes_of(population).unwrap();
    let mut per_neuron = vec![Vec::new(); s.size as usize];
    for (&step, &n) in s.steps.iter().zip(&s.senders) {
        if step >= SETTLED {
            per_neuron[n as usize].push(step as f64);
        }
    }
    let cvs: Vec<f64> = per_neuron
        .iter()
        .filter(|t| t.len() >= min_spikes)
        .map(|t| {
            let isi: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
            let mean = isi.iter().sum::<f64>() / isi.len() as f64;
            let var = isi.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / isi.len() as f64;
            var.sqrt() / mean
        })
        .collect();
    cvs.iter().sum::<f64>() / cvs.len() as f64
}

/// Synchrony: variance of the population spike count in 1 ms bins divided by
/// the mean variance of single neurons' counts times N (Golomb's chi²); near
/// 0 for asynchronous activity, 1 for full synchrony.
fn synchrony(results: &Results, population: &str, bin_steps: u64) -> f64 {
    let s = results.spikes_of(population).unwrap();
    let bins = (results.info.duration / results.info.dt) as u64 / bin_steps + 1;
    let n = s.size as usize;
    let mut counts = vec![vec![0.0f64; bins as usize]; n];
    for (&step, &i) in s.steps.iter().zip(&s.senders) {
        counts[i as usize][(step / bin_steps) as usize] += 1.0;
    }
    let var = |x: &[f64]| {
        let m = x.iter().sum::<f64>() / x.len() as f64;
        x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / x.len() as f64
    };
    let pop: Vec<f64> = (0..bins as usize)
        .map(|b| counts.iter().map(|c| c[b]).sum::<f64>() / n as f64)
        .collect();
    let single = counts.iter().map(|c| var(c)).sum::<f64>() / n as f64;
    var(&pop) / single
}

#[test]
fn cuba_is_asynchronous_irregular_at_brian2_rates() {
    for seed in [1, 2] {
        let r = run_cuba(seed);
        for pop in ["exc", "inh"] {
            let rate = r.mean_rate(pop).unwrap();
            let cv = mean_isi_cv(&r, pop, 10);
            let chi2 = synchrony(&r, pop, 10);
            eprintln!(
                "seed {seed} {pop}: rate {rate:.2} Hz, ISI CV {cv:.2}, synchrony chi² {chi2:.4}"
            );
            assert!((4.0..8.0).contains(&rate), "{pop} rate {rate}");
            assert!(cv > 0.6, "{pop} irregular firing: CV {cv}");
            assert!(chi2 < 0.05, "{pop} asynchronous: chi² {chi2}");
        }
    }
}
