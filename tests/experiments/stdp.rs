//! Song, Miller & Abbott 2000 as shipped (1000 s, additive STDP on 1000
//! Poisson inputs onto one neuron), over the file's seed and four more: the
//! weights become bimodal (most near 0 or near w_max, both modes populated)
//! and the output rate falls from its start and settles.

use std::path::Path;

use spikesim::io::results::Results;

use crate::report::{Report, mean_std};

const MODEL: &str = "models/stdp_song2000.toml";
const W_MAX: f64 = 2.0e-3;

fn run(seed: u64) -> Results {
    let set = [format!("simulation.seed={seed}")];
    let spec =
        spikesim::model::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(MODEL), &set).unwrap();
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

/// The figures judged for one run.
struct Outcome {
    low: f64,
    high: f64,
    first_rate: f64,
    tail_mean: f64,
    tail_spread: f64,
}

fn outcome(results: &Results) -> Outcome {
    let w = results.weights_of("stdp").unwrap();
    let last = w.row(w.steps.len() - 1);
    let frac = |pred: &dyn Fn(f64) -> bool| {
        last.iter().filter(|&&x| pred(x)).count() as f64 / last.len() as f64
    };
    let r = rates(results, 50.0);
    let tail = &r[r.len() - 10..];
    let (tail_mean, _) = mean_std(tail);
    Outcome {
        low: frac(&|x| x < 0.1 * W_MAX),
        high: frac(&|x| x > 0.9 * W_MAX),
        first_rate: r[0],
        tail_mean,
        tail_spread: tail
            .iter()
            .map(|x| (x - tail_mean).abs())
            .fold(0.0, f64::max)
            / tail_mean,
    }
}

#[test]
fn stdp_song2000() {
    let seeds = [2000u64, 1, 2, 3, 4];
    let outcomes: Vec<Outcome> = seeds.iter().map(|&s| outcome(&run(s))).collect();
    let mut rep = Report::new(
        "stdp_song2000",
        "STDP: Song, Miller & Abbott 2000",
        &format!(
            "`spikesim run {MODEL}` with `--set simulation.seed=S`: the fraction of weights below \
             0.1 w_max and above 0.9 w_max at 1000 s, the output rate in the first 50 s and over \
             the last 500 s (50 s windows), and the largest deviation of a last-500-s window from \
             that mean."
        ),
    );
    let rows: Vec<Vec<String>> = seeds
        .iter()
        .zip(&outcomes)
        .map(|(s, o)| {
            vec![
                s.to_string(),
                format!("{:.3}", o.low),
                format!("{:.3}", o.high),
                format!("{:.1}", o.first_rate),
                format!("{:.2}", o.tail_mean),
                format!("{:.1} %", 100.0 * o.tail_spread),
            ]
        })
        .collect();
    rep.table(
        &[
            "seed",
            "< 0.1 w_max",
            "> 0.9 w_max",
            "rate 0–50 s (Hz)",
            "rate 500–1000 s (Hz)",
            "window spread",
        ],
        &rows,
    );
    let min = |f: &dyn Fn(&Outcome) -> f64| outcomes.iter().map(f).fold(f64::INFINITY, f64::min);
    let max = |f: &dyn Fn(&Outcome) -> f64| outcomes.iter().map(f).fold(0.0, f64::max);
    rep.line(&format!(
        "Marks, on every seed: low + high > 0.8 (lowest {:.3}), low > 0.1 (lowest {:.3}) and \
         high > 0.05 (lowest {:.3}), window spread < 10 % (largest {:.1} %), first rate > twice \
         the settled rate (lowest ratio {:.2}).",
        min(&|o| o.low + o.high),
        min(&|o| o.low),
        min(&|o| o.high),
        100.0 * max(&|o| o.tail_spread),
        min(&|o| o.first_rate / o.tail_mean)
    ));
    rep.write();
    for (s, o) in seeds.iter().zip(&outcomes) {
        assert!(o.low + o.high > 0.8, "seed {s}: not bimodal");
        assert!(o.low > 0.1 && o.high > 0.05, "seed {s}: a mode is empty");
        assert!(o.tail_mean > 1.0, "seed {s}: the neuron stops firing");
        assert!(o.tail_spread < 0.1, "seed {s}: the rate does not settle");
        assert!(
            o.first_rate > 2.0 * o.tail_mean,
            "seed {s}: the rate does not fall"
        );
    }
}
