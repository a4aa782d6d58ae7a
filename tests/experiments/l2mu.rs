//! The L2MU network on the memory task over eight seeds, judged on the final
//! epoch (not the best): every seed learns the task (> 75 %), where a
//! feed-forward LIF network of the same size stays near chance (< 60 %;
//! three classes, so chance is 33 %).

use std::path::Path;

use spikesim::learn::train::experiment::{Experiment, load_experiment, parse_experiment};
use spikesim::learn::train::session::{SessionOptions, run_session};

use crate::report::{Report, mean_std, pct};

const MODEL: &str = "models/train_l2mu_memory.toml";
const SEEDS: [u64; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

fn final_accuracy(exp: &Experiment) -> f64 {
    let opts = SessionOptions {
        resume: false,
        show_progress: false,
    };
    let (_, state, _) = run_session(exp, &opts, &mut |_| {}).unwrap();
    state.history.last().unwrap().test_accuracy
}

/// The shipped experiment with its L2MU layer replaced by 66 LIF neurons
/// (about as many parameters).
fn feed_forward(exp: &Experiment) -> Experiment {
    let text = std::fs::read_to_string(&exp.path).unwrap();
    let start = text.find("[[layer]]").unwrap();
    let end = text.find("[readout]").unwrap();
    let ff = format!(
        "{}[[layer]]\nsize = 66\nneuron = \"lif\"\ntau_m = \"5 ms\"\n\n{}",
        &text[..start],
        &text[end..]
    );
    parse_experiment(&exp.path, &ff).unwrap()
}

#[test]
fn l2mu_memory() {
    let dir = tempfile::tempdir().unwrap();
    let base = load_experiment(&Path::new(env!("CARGO_MANIFEST_DIR")).join(MODEL)).unwrap();
    let l2mu: Vec<f64> = SEEDS
        .iter()
        .map(|&seed| {
            let mut e = base.clone();
            e.seed = seed;
            e.output = dir.path().join(format!("l2mu{seed}"));
            final_accuracy(&e)
        })
        .collect();
    let ff: Vec<f64> = SEEDS[..3]
        .iter()
        .map(|&seed| {
            let mut e = feed_forward(&base);
            e.seed = seed;
            e.output = dir.path().join(format!("ff{seed}"));
            final_accuracy(&e)
        })
        .collect();
    let mut rep = Report::new(
        "l2mu_memory",
        "L2MU on the memory task",
        &format!(
            "`spikesim train {MODEL}`: final-epoch test accuracy in %, L2MU over seeds {SEEDS:?}, \
             the feed-forward network of 66 LIF neurons over seeds 1–3."
        ),
    );
    let row = |name: &str, accs: &[f64]| {
        let (mean, std) = mean_std(accs);
        let min = accs.iter().copied().fold(f64::INFINITY, f64::min);
        let max = accs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        vec![
            name.to_string(),
            accs.iter().map(|&a| pct(a)).collect::<Vec<_>>().join(", "),
            format!("{} ± {}", pct(mean), pct(std)),
            format!("{}–{}", pct(min), pct(max)),
        ]
    };
    rep.table(
        &["network", "per seed", "mean ± std", "range"],
        &[row("L2MU", &l2mu), row("feed-forward", &ff)],
    );
    let worst = l2mu.iter().copied().fold(f64::INFINITY, f64::min);
    let best_ff = ff.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    rep.line(&format!(
        "Mark: every L2MU seed > 75 % (lowest {}, margin {:.1} points); feed-forward < 60 % \
         (highest {}, margin {:.1} points).",
        pct(worst),
        100.0 * (worst - 0.75),
        pct(best_ff),
        100.0 * (0.6 - best_ff)
    ));
    rep.write();
    assert!(worst > 0.75, "an L2MU seed ends at {worst}");
    assert!(best_ff < 0.6, "feed-forward reaches {best_ff}");
}
