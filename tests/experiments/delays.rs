//! Learnable delays (DCLS) on the shipped slotted timing task, seeds 1–5 in
//! each delay mode: learned delays beat fixed random ones, which beat none,
//! on the mean final test accuracy. Per seed the first ordering does not
//! always hold (the table shows it), so only the means are judged.

use std::path::Path;

use spikesim::learn::train::experiment::parse_experiment;
use spikesim::learn::train::session::{SessionOptions, run_session};

use crate::report::{Report, mean_std, pct};

const SLOTS: &str = "models/train_delays_slots.toml";
const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

/// Final test accuracy of the shipped slotted experiment in `mode`.
fn final_accuracy(mode: &str, seed: u64, out: &Path) -> f64 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SLOTS);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("mode = \"learned\"", &format!("mode = \"{mode}\""));
    assert!(text.contains(&format!("mode = \"{mode}\"")), "{SLOTS}");
    let mut exp = parse_experiment(&path, &text).unwrap();
    exp.output = out.to_path_buf();
    exp.seed = seed;
    let opts = SessionOptions {
        resume: false,
        show_progress: false,
    };
    let (_, state, _) = run_session(&exp, &opts, &mut |_| {}).unwrap();
    state.history.last().unwrap().test_accuracy
}

#[test]
fn delays_slots() {
    let dir = tempfile::tempdir().unwrap();
    let mut means = Vec::new();
    let mut rows = Vec::new();
    for mode in ["learned", "random", "none"] {
        let accs: Vec<f64> = SEEDS
            .iter()
            .map(|&seed| final_accuracy(mode, seed, &dir.path().join(format!("{mode}{seed}"))))
            .collect();
        let (mean, std) = mean_std(&accs);
        means.push(mean);
        let mut row = vec![mode.to_string()];
        row.extend(accs.iter().map(|&a| pct(a)));
        row.push(format!("{} ± {}", pct(mean), pct(std)));
        rows.push(row);
    }
    let [learned, random, none] = [means[0], means[1], means[2]];
    let mut rep = Report::new(
        "delays_slots",
        "Learnable delays on the slotted timing task",
        &format!(
            "`spikesim train {SLOTS}` with `mode` = learned, random and none, seeds {SEEDS:?}: \
             final-epoch test accuracy in %."
        ),
    );
    let mut header = vec!["delays".to_string()];
    header.extend(SEEDS.iter().map(|s| format!("seed {s}")));
    header.push("mean ± std".into());
    rep.table(
        &header.iter().map(String::as_str).collect::<Vec<_>>(),
        &rows,
    );
    rep.line(&format!(
        "Mark: learned > random + 10 points (margin {:.1}), random > none + 50 points \
         (margin {:.1}), none < 20 % (margin {:.1}).",
        100.0 * (learned - random - 0.1),
        100.0 * (random - none - 0.5),
        100.0 * (0.2 - none)
    ));
    rep.write();
    assert!(learned > random + 0.1, "learned {learned}, random {random}");
    assert!(random > none + 0.5, "random {random}, none {none}");
    assert!(
        none < 0.2,
        "without delays the slots never coincide: {none}"
    );
}
