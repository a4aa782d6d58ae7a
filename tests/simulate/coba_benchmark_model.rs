//! The shipped COBA benchmark (Vogels & Abbott 2005, Benchmark 1 of Brette
//! et al. 2007; `cond_lif` is NEST's `iaf_cond_exp`) fires at the
//! population rates Brian2 2.11 gives for the same network, within Brian2's
//! own seed-to-seed spread (tests/fixtures/brian2/coba_rates.csv, made by
//! make_coba_rates.py beside it: 12 seeds, 1 s, nothing discarded).

use std::path::Path;

use spikesim::io::results::Results;

/// Two seeds never run before this test was written (the marks below
/// were set first, from spreads measured on other seeds).
const SEEDS: [u64; 2] = [101, 102];

/// spikesim's seed-to-seed standard deviation of the rates (excitatory,
/// inhibitory), measured on seeds 1-8: 17.8 ± 1.3 Hz and 18.5 ± 0.5 Hz.
const SPIKESIM_SD: (f64, f64) = (1.3, 0.5);

/// A reference's rates per seed: (excitatory, inhibitory), Hz.
fn reference_rates(fixture: &str) -> Vec<(f64, f64)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture);
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
            (f[1], f[2])
        })
        .collect()
}

fn mean_sd(x: &[f64]) -> (f64, f64) {
    let m = x.iter().sum::<f64>() / x.len() as f64;
    let var = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64;
    (m, var.sqrt())
}

/// Mean CV of the inter-spike intervals of neurons with at least 3 spikes
/// (as make_coba_rates.py computes Brian2's).
fn mean_isi_cv(results: &Results, population: &str) -> f64 {
    let s = results.spikes_of(population).unwrap();
    let mut per_neuron = vec![Vec::new(); s.size as usize];
    for (&step, &n) in s.steps.iter().zip(&s.senders) {
        per_neuron[n as usize].push(step as f64);
    }
    let cvs: Vec<f64> = per_neuron
        .iter()
        .filter(|t| t.len() >= 3)
        .map(|t| {
            let isi: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
            let (mean, _) = mean_sd(&isi);
            let var = isi.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / isi.len() as f64;
            var.sqrt() / mean
        })
        .collect();
    cvs.iter().sum::<f64>() / cvs.len() as f64
}

/// The mean rates of two spikesim seeds against two references:
///
/// - **Brian2 2.11** (tests/fixtures/brian2/coba_rates.csv, 12 seeds):
///   excitatory 19.30 ± 1.27 Hz, inhibitory 19.29 ± 0.53 Hz. spikesim's
///   mean must lie within Brian2's own seed-to-seed band, its mean ± 3 sd.
///   spikesim runs 4-8 % below Brian2 (seeds 1-8 above; the cause is not
///   the integrator, the tolerance or the one-step delay, each checked), so
///   this band is the claim, and with the offset and spread measured on
///   seeds 1-8 a mean of two seeds falls outside it with odds of about 1 in
///   80 (inhibitory) and 1 in 160 (excitatory).
/// - **NEST 3.10 `iaf_cond_exp`** on the same network
///   (tests/fixtures/nest_coba/coba_rates.csv, 10 seeds): the same model
///   and integrator family, so the means must agree within 3 standard
///   errors of their difference, `3 sqrt(sd_nest²/10 + sd_spikesim²/2)`.
///
/// The mean ISI CV of each seed must lie within 0.2 of Brian2's range
/// (1.48-1.61 excitatory, 1.46-1.61 inhibitory). The networks differ in a
/// synaptic delay of one step here and in NEST (none in Brian2) and in the
/// integrator (adaptive Runge-Kutta here, RKF45 in NEST, exponential Euler
/// in Brian2).
#[test]
fn coba_fires_at_brian2_and_nest_rates() {
    let brian2 = reference_rates("tests/fixtures/brian2/coba_rates.csv");
    let nest = reference_rates("tests/fixtures/nest_coba/coba_rates.csv");
    assert_eq!((brian2.len(), nest.len()), (12, 10));
    let runs: Vec<Results> = SEEDS
        .iter()
        .map(|seed| {
            let overrides = [
                format!("simulation.seed={seed}"),
                "simulation.threads=2".into(),
            ];
            let spec = spikesim::model::load(Path::new("models/coba.toml"), &overrides).unwrap();
            spikesim::engine::simulate(&spec, &mut |_, _| {})
        })
        .collect();
    let columns = [
        ("exc", 0, SPIKESIM_SD.0, (1.48, 1.61)),
        ("inh", 1, SPIKESIM_SD.1, (1.46, 1.61)),
    ];
    for (pop, column, sd_spikesim, cv_range) in columns {
        let pick = |rows: &[(f64, f64)]| -> Vec<f64> {
            rows.iter()
                .map(|r| if column == 0 { r.0 } else { r.1 })
                .collect()
        };
        let (mean_b, sd_b) = mean_sd(&pick(&brian2));
        let (mean_n, sd_n) = mean_sd(&pick(&nest));
        let rates: Vec<f64> = runs.iter().map(|r| r.mean_rate(pop).unwrap()).collect();
        let rate = rates.iter().sum::<f64>() / rates.len() as f64;
        eprintln!(
            "{pop}: spikesim {rates:.3?} Hz, Brian2 {mean_b:.3} ± {sd_b:.3}, NEST {mean_n:.3} ± {sd_n:.3}"
        );
        assert!(
            (rate - mean_b).abs() < 3.0 * sd_b,
            "{pop}: {rate} Hz against Brian2's {mean_b} ± {sd_b} Hz"
        );
        let se =
            (sd_n.powi(2) / nest.len() as f64 + sd_spikesim.powi(2) / rates.len() as f64).sqrt();
        assert!(
            (rate - mean_n).abs() < 3.0 * se,
            "{pop}: {rate} Hz against NEST's {mean_n} ± {sd_n} Hz (3 se = {})",
            3.0 * se
        );
        for r in &runs {
            let cv = mean_isi_cv(r, pop);
            assert!(
                cv > cv_range.0 - 0.2 && cv < cv_range.1 + 0.2,
                "{pop}: ISI CV {cv}"
            );
        }
    }
}
