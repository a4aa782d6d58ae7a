//! The shipped continual-learning experiments over their seeds: the issue's
//! mark (fine-tuning forgets more than 15 points, HLOP less than 3 and ends
//! within 5 points of joint training, EWC between the two in ACC and BWT),
//! judged on the mean over the file's seeds, with the per-seed figures in
//! the table so the margin on each seed can be read.

use std::path::{Path, PathBuf};

use spikesim::learn::continual::MethodResult;
use spikesim::learn::continual::experiment::load_continual;
use spikesim::learn::continual::session::{ContinualOptions, run_continual};

use crate::report::{Report, mean_std, pct};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spikesim_exp_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs `models/<name>.toml` as shipped (seeds, threads and all) into a
/// scratch directory and checks that what was written is what was computed.
fn shipped(name: &str) -> Vec<MethodResult> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("models/{name}.toml"));
    let mut exp = load_continual(&path).unwrap_or_else(|e| panic!("{e}"));
    exp.base.output = scratch(name);
    let outcome = run_continual(&exp, &ContinualOptions::default(), &mut |_| {})
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(outcome.complete);
    let written =
        spikesim::io::hdf5::read_continual(&exp.base.output.join("continual.h5")).unwrap();
    assert_eq!(format!("{written:?}"), format!("{:?}", outcome.results));
    let _ = std::fs::remove_dir_all(&exp.base.output);
    outcome.results
}

/// Per-seed ACC and BWT of one method, as fractions.
fn per_seed(m: &MethodResult) -> (Vec<f64>, Vec<f64>) {
    let acc = m.runs.iter().map(|r| r.acc().unwrap()).collect();
    let bwt = m.runs.iter().map(|r| r.bwt().unwrap()).collect();
    (acc, bwt)
}

fn report(name: &str, title: &str, results: &[MethodResult]) {
    let seeds = &results[0].seeds;
    let mut rep = Report::new(
        name,
        title,
        &format!(
            "`spikesim continual models/{name}.toml`, seeds {seeds:?}: ACC and BWT in %, \
             mean ± sample std over seeds, then each seed's figure."
        ),
    );
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|m| {
            let (acc, bwt) = per_seed(m);
            let ((am, asd), (bm, bsd)) = (mean_std(&acc), mean_std(&bwt));
            vec![
                m.method.clone(),
                format!("{} ± {}", pct(am), pct(asd)),
                format!("{} ± {}", pct(bm), pct(bsd)),
                acc.iter().map(|&a| pct(a)).collect::<Vec<_>>().join(", "),
                bwt.iter().map(|&b| pct(b)).collect::<Vec<_>>().join(", "),
            ]
        })
        .collect();
    rep.table(
        &[
            "method",
            "ACC (%)",
            "BWT (%)",
            "ACC per seed",
            "BWT per seed",
        ],
        &rows,
    );
    let margins = margins(results);
    rep.line(&format!(
        "Mark (on the means): fine-tuning BWT < −15 (margin {:.2}), HLOP BWT > −3 (margin {:.2}), \
         HLOP ACC > joint ACC − 5 (margin {:.2}), EWC strictly between fine-tuning and HLOP in ACC \
         and BWT (smallest gap {:.2}). Per seed, the narrowest margin to a threshold is {:.2} points.",
        margins.finetune_bwt,
        margins.hlop_bwt,
        margins.hlop_acc,
        margins.ewc_between,
        margins.worst_seed
    ));
    rep.write();
}

/// How far each part of the mark is from failing, in percentage points
/// (positive: met).
struct Margins {
    finetune_bwt: f64,
    hlop_bwt: f64,
    hlop_acc: f64,
    ewc_between: f64,
    worst_seed: f64,
}

fn method<'a>(results: &'a [MethodResult], name: &str) -> &'a MethodResult {
    results.iter().find(|m| m.method == name).unwrap()
}

fn margins(results: &[MethodResult]) -> Margins {
    let mean = |name: &str| {
        let m = method(results, name);
        (100.0 * m.acc().unwrap().mean, 100.0 * m.bwt().unwrap().mean)
    };
    let (ft_acc, ft_bwt) = mean("finetune");
    let (ewc_acc, ewc_bwt) = mean("ewc");
    let (hlop_acc, hlop_bwt) = mean("hlop");
    let (joint_acc, _) = mean("multitask");
    let (_, ft_seeds) = per_seed(method(results, "finetune"));
    let (_, hlop_seeds) = per_seed(method(results, "hlop"));
    let worst_seed = ft_seeds
        .iter()
        .map(|b| -15.0 - 100.0 * b)
        .chain(hlop_seeds.iter().map(|b| 100.0 * b + 3.0))
        .fold(f64::INFINITY, f64::min);
    Margins {
        finetune_bwt: -15.0 - ft_bwt,
        hlop_bwt: hlop_bwt + 3.0,
        hlop_acc: hlop_acc - (joint_acc - 5.0),
        ewc_between: [
            ewc_bwt - ft_bwt,
            hlop_bwt - ewc_bwt,
            ewc_acc - ft_acc,
            hlop_acc - ewc_acc,
        ]
        .into_iter()
        .fold(f64::INFINITY, f64::min),
        worst_seed,
    }
}

fn assert_the_mark(results: &[MethodResult]) {
    let m = margins(results);
    assert!(m.finetune_bwt > 0.0, "fine-tuning forgets too little");
    assert!(m.hlop_bwt > 0.0, "HLOP forgets too much");
    assert!(m.hlop_acc > 0.0, "HLOP ends too far below joint training");
    assert!(
        m.ewc_between > 0.0,
        "EWC is not between fine-tuning and HLOP"
    );
}

#[test]
fn continual_split_digits() {
    let results = shipped("continual_split_digits");
    report(
        "continual_split_digits",
        "Split spike-digits (5 tasks of 2 classes)",
        &results,
    );
    assert_the_mark(&results);
}

#[test]
fn continual_permuted_digits() {
    let results = shipped("continual_permuted_digits");
    report(
        "continual_permuted_digits",
        "Permuted spike-digits (784 channels, 10 tasks)",
        &results,
    );
    assert_the_mark(&results);
}
