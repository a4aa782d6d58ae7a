//! `spikesim continual`: every method and seed of an experiment through the
//! task sequence, a checkpoint after every task, then the results (HDF5,
//! CSV, the printed table) and the plots.
//!
//! Output directory:
//!
//! ```text
//! continual.h5              R per method [seeds, T, T], ACC, BWT, curves
//! continual.csv             the same in long format
//! summary.txt               the comparison table (ACC, BWT mean ± std)
//! accuracy_<method>.png     heatmap of R averaged over the seeds
//! forgetting_<method>.png   per-task accuracy over training (first seed)
//! runs/<method>_seed<s>.h5  checkpoint of each run after its last task
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use super::experiment::{ContinualExperiment, Protocol};
use super::hlop::HlopLayer;
use super::runner::{Run, RunState, TaskSequence};
use super::{AccuracyMatrix, MethodResult, csv, table};
use crate::Error;
use crate::engine::rng::fnv1a;
use crate::io::IoError;
use crate::io::hdf5::{
    HlopSaved, RunCheckpoint, read_run_checkpoint, write_continual, write_run_checkpoint,
};
use crate::learn::train::data::prepare;
use crate::learn::train::trainer::experiment_pool;

#[derive(Debug, Clone, Default)]
/// How a continual-learning session runs.
pub struct ContinualOptions {
    /// Continue every run from its checkpoint, where there is one.
    pub resume: bool,
    /// Whether to show a progress bar.
    pub show_progress: bool,
    /// Stop after training this many tasks in all (to test resuming).
    pub stop_after_tasks: Option<usize>,
}

/// What a session produced.
pub struct ContinualOutcome {
    /// Each method's results.
    pub results: Vec<MethodResult>,
    /// `false` when the session stopped early (`stop_after_tasks`).
    pub complete: bool,
    /// The files written.
    pub files: Vec<PathBuf>,
}

/// Where the checkpoint of one run lives.
pub fn checkpoint_path(dir: &Path, method: &str, seed: u64) -> PathBuf {
    dir.join("runs").join(format!("{method}_seed{seed}.h5"))
}

fn fingerprint(exp: &ContinualExperiment, method: &str, seed: u64) -> u64 {
    fnv1a(&[&exp.text, method, &seed.to_string()])
}

/// Runs every method and seed of the continual-learning experiment `exp` (or goes on from their
/// checkpoints), writing results, plots and checkpoints; `report` receives the lines to show
/// the user.
pub fn run_continual(
    exp: &ContinualExperiment,
    opts: &ContinualOptions,
    report: &mut dyn FnMut(&str),
) -> Result<ContinualOutcome, Error> {
    let data = prepare(&exp.base)?;
    let tasks = TaskSequence::new(exp.spec.protocol, exp.spec.task_seed, &data).map_err(|e| {
        let field = match exp.spec.protocol {
            Protocol::Split { .. } => "continual.classes_per_task",
            Protocol::Permuted { .. } => "continual.tasks",
        };
        Error::Usage(format!("{}: {field}: {e}", exp.base.path.display()))
    })?;
    let dir = &exp.base.output;
    std::fs::create_dir_all(dir.join("runs")).map_err(|source| IoError::File {
        path: dir.clone(),
        action: "create the output directory",
        source,
    })?;
    report(&format!(
        "{} tasks of {} training / {} test samples each (task 0), {} channels, {} steps of {} ms, {} classes",
        tasks.tasks(),
        tasks.train_indices(0).len(),
        tasks.test_indices(0).len(),
        data.train.channels,
        data.train.steps,
        exp.base.dt * 1e3,
        data.classes
    ));
    let pool = experiment_pool(&exp.base)?;
    let spec = &exp.spec;
    let total = (spec.methods.len() * spec.seeds.len() * tasks.tasks()) as u64;
    let bar = progress(opts.show_progress, total);
    let mut budget = opts.stop_after_tasks;
    let mut results = Vec::new();
    for &method in &spec.methods {
        let mut result = MethodResult {
            method: method.name().to_string(),
            seeds: spec.seeds.clone(),
            runs: Vec::new(),
            curves: Vec::new(),
        };
        for &seed in &spec.seeds {
            let run = Run::new(exp, &data, &tasks, method, seed);
            let path = checkpoint_path(dir, method.name(), seed);
            let mut state = run
                .start()
                .map_err(|e| Error::Usage(format!("{}: {e}", exp.base.path.display())))?;
            if opts.resume && path.exists() {
                restore(&run, &mut state, &path)?;
                bar.inc(state.tasks_done as u64);
            }
            let print = fingerprint(exp, method.name(), seed);
            let mut started = Instant::now();
            let finished = run.run(&mut state, &pool, &mut budget, &mut |s| {
                write_run_checkpoint(&path, &checkpoint(s, print))?;
                bar.inc(1);
                let row: Vec<String> = (0..s.tasks_done)
                    .map(|j| format!("{:.1}", 100.0 * s.r.get(s.tasks_done - 1, j)))
                    .collect();
                bar.suspend(|| {
                    report(&format!(
                        "{} seed {seed}: task {}/{} done in {:.1} s, accuracy on tasks 0..{} (%): {}",
                        method.name(),
                        s.tasks_done,
                        tasks.tasks(),
                        started.elapsed().as_secs_f64(),
                        s.tasks_done - 1,
                        row.join(" ")
                    ))
                });
                started = Instant::now();
                Ok(())
            })?;
            if !finished {
                bar.finish_and_clear();
                report(&format!(
                    "stopped after the requested number of tasks; `--resume` continues from {}",
                    dir.join("runs").display()
                ));
                return Ok(ContinualOutcome {
                    results,
                    complete: false,
                    files: Vec::new(),
                });
            }
            result.runs.push(state.r);
            result.curves.push(state.curves);
        }
        results.push(result);
    }
    bar.finish_and_clear();
    let (files, table) = write_outputs(exp, &results)?;
    report(&table);
    Ok(ContinualOutcome {
        results,
        complete: true,
        files,
    })
}

fn progress(show: bool, total: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("tasks [{bar:30}] {pos}/{len} ({elapsed}, eta {eta})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar
}

fn checkpoint(s: &RunState, fingerprint: u64) -> RunCheckpoint {
    let mut tensors = Vec::new();
    for (l, layer) in s.net.layers.iter().enumerate() {
        for (name, values) in layer.param_names().into_iter().zip(layer.params()) {
            tensors.push((format!("layer{l}.{name}"), values.to_vec()));
        }
    }
    RunCheckpoint {
        fingerprint,
        tasks_done: s.tasks_done,
        r: s.r.clone(),
        curves: s.curves.clone(),
        tensors,
        hlop: s
            .hlop
            .iter()
            .map(|h| HlopSaved {
                h: h.weights().clone(),
                fixed: h.fixed(),
                additions: h.additions(),
            })
            .collect(),
        ewc: s.ewc.as_ref().map_or(Vec::new(), |e| {
            e.anchors()
                .into_iter()
                .map(|(f, o)| (f.to_vec(), o.to_vec()))
                .collect()
        }),
    }
}

/// Puts a checkpoint back into a freshly started run's state.
fn restore(run: &Run, state: &mut RunState, path: &Path) -> Result<(), Error> {
    let c = read_run_checkpoint(path)?;
    let stale = |detail: String| IoError::WrongShape {
        path: path.to_path_buf(),
        object: "/".into(),
        detail,
    };
    if c.fingerprint != fingerprint(run.exp, run.method.name(), run.seed) {
        return Err(stale(
            "the checkpoint belongs to another experiment file, method or seed; run without --resume to start over"
                .into(),
        )
        .into());
    }
    if c.r.tasks() != state.r.tasks() || c.tasks_done > state.r.tasks() {
        return Err(stale(format!(
            "{} tasks recorded, the experiment has {}",
            c.r.tasks(),
            state.r.tasks()
        ))
        .into());
    }
    for (l, layer) in state.net.layers.iter_mut().enumerate() {
        let names = layer.param_names();
        for (name, tensor) in names.into_iter().zip(layer.params_mut()) {
            let key = format!("layer{l}.{name}");
            let Some((_, values)) = c.tensors.iter().find(|(k, _)| *k == key) else {
                return Err(stale(format!("no tensor `net/{key}`")).into());
            };
            if values.len() != tensor.len() {
                return Err(stale(format!(
                    "`net/{key}` has {} values, the network needs {}",
                    values.len(),
                    tensor.len()
                ))
                .into());
            }
            tensor.clone_from(values);
        }
    }
    if c.hlop.len() != state.hlop.len() {
        return Err(stale(format!(
            "{} HLOP layers saved, the run has {}",
            c.hlop.len(),
            state.hlop.len()
        ))
        .into());
    }
    if let Some(h) = &run.exp.spec.hlop {
        let config = h.config(&run.projected_dims(&state.net), run.seed);
        for (l, saved) in c.hlop.into_iter().enumerate() {
            let layer = HlopLayer::new(
                l,
                config.layers[l].dim,
                config.layers[l].learning_rate,
                &config,
            )
            .with_weights(saved.h, saved.fixed, saved.additions)
            .map_err(|e| stale(e.to_string()))?;
            state.hlop[l] = layer;
        }
    }
    if let Some(ewc) = state.ewc.as_mut() {
        for (fisher, optimum) in c.ewc {
            ewc.consolidate(fisher, &optimum)
                .map_err(|e| stale(e.to_string()))?;
        }
    }
    state.r = c.r;
    state.curves = c.curves;
    state.tasks_done = c.tasks_done;
    run.rebuild_replay(state);
    Ok(())
}

/// R averaged over the seeds (NaN where not evaluated).
pub fn mean_matrix(runs: &[AccuracyMatrix]) -> AccuracyMatrix {
    let t = runs[0].tasks();
    let rows: Vec<Vec<f64>> = (0..t)
        .map(|i| {
            (0..t)
                .map(|j| runs.iter().map(|r| r.get(i, j)).sum::<f64>() / runs.len() as f64)
                .collect()
        })
        .collect();
    AccuracyMatrix::from_rows(&rows).expect("means of accuracies are accuracies")
}

fn write_outputs(
    exp: &ContinualExperiment,
    results: &[MethodResult],
) -> Result<(Vec<PathBuf>, String), Error> {
    let dir = &exp.base.output;
    let h5 = dir.join("continual.h5");
    write_continual(&h5, results)?;
    let write = |path: &Path, action: &'static str, contents: String| -> Result<(), Error> {
        std::fs::write(path, contents).map_err(|source| {
            Error::Io(IoError::File {
                path: path.to_path_buf(),
                action,
                source,
            })
        })
    };
    let csv_path = dir.join("continual.csv");
    let csv = csv(results).map_err(|e| Error::Usage(e.to_string()))?;
    write(&csv_path, "write the CSV", csv)?;
    let summary = dir.join("summary.txt");
    let table = table(results).map_err(|e| Error::Usage(e.to_string()))?;
    write(&summary, "write the table", table.clone())?;
    let mut files = vec![h5, csv_path, summary];
    for m in results {
        let heatmap = dir.join(format!("accuracy_{}.png", m.method));
        let seeds = m.seeds.len();
        crate::plot::continual::accuracy_matrix(
            &heatmap,
            &format!(
                "{}, mean of {seeds} seed{}",
                m.method,
                if seeds == 1 { "" } else { "s" }
            ),
            &mean_matrix(&m.runs),
        )?;
        let curves = dir.join(format!("forgetting_{}.png", m.method));
        crate::plot::continual::forgetting_curves(
            &curves,
            &format!("{}, seed {}", m.method, m.seeds[0]),
            &m.curves[0],
        )?;
        files.extend([heatmap, curves]);
    }
    Ok((files, table))
}
