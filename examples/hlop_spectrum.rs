//! Diagnostic behind the continual-learning figures of docs/src/guide/continual.md: trains task 0
//! of a continual experiment with HLOP, then prints, per projected layer, how
//! much of the energy of the task's presynaptic traces the learned subspace
//! holds and how much the best subspaces of 1, 5, … dimensions (the SVD of
//! the recorded traces) would hold, and the largest eigenvalue per trace (a
//! Hebbian rate must stay below its inverse).
//!
//! `cargo run --release --example hlop_spectrum -- models/continual_permuted_digits.toml`

use spikesim::learn::continual::experiment::{Method, load_continual};
use spikesim::learn::continual::runner::{Run, TaskSequence};
use spikesim::learn::train::data::prepare;
use spikesim::learn::train::trainer::pool;
use std::path::Path;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: hlop_spectrum EXPERIMENT.toml");
    let exp = load_continual(Path::new(&path)).unwrap();
    let data = prepare(&exp.base).unwrap();
    let tasks = TaskSequence::new(exp.spec.protocol, exp.spec.task_seed, &data).unwrap();
    let run = Run::new(&exp, &data, &tasks, Method::Hlop, 1);
    let mut state = run.start().unwrap();
    let pool = pool(0);
    let t0 = std::time::Instant::now();
    run.train_next_task(&mut state, &pool).unwrap();
    eprintln!("task 0 trained in {:.1} s", t0.elapsed().as_secs_f64());
    let all: Vec<usize> = tasks.train_indices(0).to_vec();
    let layers = state.hlop.len();
    let traces = run.presynaptic_traces(&state.net, layers, 0, &all);
    for (l, x) in traces.iter().enumerate() {
        let sv = x.clone().svd(false, false).singular_values;
        let mut e: Vec<f64> = sv.iter().map(|s| s * s).collect();
        e.sort_by(|a, b| b.total_cmp(a));
        let total: f64 = e.iter().sum();
        let mut cum = 0.0;
        let mut report = Vec::new();
        for (k, v) in e.iter().enumerate() {
            cum += v;
            if [1, 5, 10, 20, 40, 60, 100, 150, 200, 300].contains(&(k + 1)) {
                report.push(format!("{}:{:.3}", k + 1, cum / total));
            }
        }
        let h = state.hlop[l].weights();
        let captured = (x * h.transpose()).norm_squared() / total;
        eprintln!(
            "layer {l}: rows {} learned capture {:.4}; SVD cumulative {}; lambda_max/row {:.3}",
            h.nrows(),
            captured,
            report.join(" "),
            e[0] / x.nrows() as f64
        );
    }
}
