//! `spikesim info`: summarise a results file; given another file spikesim
//! reads or writes (a spike dataset, training metrics or checkpoint,
//! continual-learning results, a NIR graph, a run checkpoint), say what it
//! is instead of calling it an incomplete run file.

use std::path::Path;

use crate::Error;
use crate::cli::quiet;
use crate::io::hdf5::read_results;
use crate::io::results::Results;
use crate::io::tree::{TreeGroup, TreeValues, read_tree};

/// One line on stderr for the file of an interrupted run: what it holds.
pub(crate) fn warn_if_interrupted(path: &Path, results: &Results) {
    let Some(reached) = results.info.reached.filter(|_| !quiet()) else {
        return;
    };
    // Rounded to the nanosecond, so that 1500 steps of 0.1 ms read 0.15 s.
    let seconds = |t: f64| (t * 1e9).round() / 1e9;
    eprintln!(
        "warning: {} was interrupted: it holds the run up to t = {} s of {} s",
        path.display(),
        seconds(reached),
        seconds(results.info.duration)
    );
}

/// `spikesim info`: the run description and recorded datasets of a
/// results file.
pub fn info(path: &Path) -> Result<(), Error> {
    let results = match read_results(path) {
        Ok(results) => results,
        Err(e) => match other_kind(path) {
            Some(what) => {
                say!("{what}");
                return Ok(());
            }
            None => return Err(e.into()),
        },
    };
    warn_if_interrupted(path, &results);
    let i = &results.info;
    say!("{}", path.display());
    say!("  model:     {}", i.model_path);
    say!(
        "  spikesim:  {}, engine {}, {} thread(s)",
        i.version,
        i.engine,
        i.threads
    );
    say!(
        "  dt:        {} ms, duration {} s, seed {}",
        i.dt * 1e3,
        i.duration,
        i.seed
    );
    say!(
        "  wall time: build {:.3} s, simulate {:.3} s",
        i.build_seconds,
        i.simulate_seconds
    );
    say!(
        "  synapses:  {}, synaptic events {}",
        i.synapses,
        i.synaptic_events
    );
    for s in &results.spikes {
        let rate = results.mean_rate(&s.population).unwrap_or(0.0);
        say!(
            "  spikes/{:<14} {:>4} neurons {:>9} spikes {:>9.3} Hz",
            s.population,
            s.size,
            s.len(),
            rate
        );
    }
    for t in &results.states {
        say!(
            "  state/{}/{:<8} {} neurons x {} samples [{}]",
            t.population,
            t.variable,
            t.neurons.len(),
            t.rows(),
            t.unit
        );
    }
    for w in &results.weights {
        say!(
            "  weights/{:<13} {} synapses x {} snapshots [{}]",
            w.projection,
            w.synapses(),
            w.steps.len(),
            w.unit
        );
    }
    Ok(())
}

/// What a file that is not a run's results file is, as a few lines naming
/// the command that reads or writes it; `None` when it looks like none of
/// them (then the results reader's error stands).
fn other_kind(path: &Path) -> Option<String> {
    if crate::io::checkpoint::has_magic(path) {
        return Some(format!(
            "{}: a run checkpoint (not a results file): `spikesim run --resume` goes on from it",
            path.display()
        ));
    }
    let tree = read_tree(path).ok()?;
    let lines = describe_tree(&tree)?;
    Some(format!("{}: {lines}", path.display()))
}

/// The kind of an HDF5 file spikesim knows, told by its groups and
/// datasets, with what it holds.
fn describe_tree(tree: &TreeGroup) -> Option<String> {
    if let Some(c) = tree.group("continual") {
        return Some(continual_results(c));
    }
    if tree.group("net").is_some() && tree.dataset("R").is_some() {
        return Some(
            "a continual-learning run checkpoint (one method and seed): \
             `spikesim continual --resume` goes on from it"
                .into(),
        );
    }
    if tree
        .group("spikes")
        .is_some_and(|g| g.dataset("times").is_some())
        && tree.dataset("labels").is_some()
    {
        return Some(spike_dataset(tree));
    }
    if tree.dataset("test_accuracy").is_some() && tree.dataset("epoch").is_some() {
        return Some(training_metrics(tree));
    }
    if tree.dataset("metrics").is_some() && tree.group("layer0").is_some() {
        let epochs = tree.dataset("metrics").map_or(0, |d| d.shape[0]);
        return Some(format!(
            "a training checkpoint (spikesim train) after {}; `spikesim train --resume` goes on from it",
            crate::cli::check::counted(epochs as u64, "epoch")
        ));
    }
    if tree.group("node").is_some() && tree.dataset("version").is_some() {
        let nodes = tree
            .group("node")
            .and_then(|n| n.group("nodes"))
            .map_or(0, |n| n.groups.len());
        return Some(format!(
            "a NIR graph ({}): `spikesim nir import` makes a model file of it",
            crate::cli::check::counted(nodes as u64, "node")
        ));
    }
    if tree.dataset("data").is_some() && tree.dataset("labels").is_some() {
        return Some(
            "a real-valued dataset (`data`, `labels`): `spikesim dataset encode` makes spikes of it"
                .into(),
        );
    }
    None
}

fn continual_results(c: &TreeGroup) -> String {
    let methods: Vec<&str> = c.groups.iter().map(|g| g.name.as_str()).collect();
    let seeds = c
        .groups
        .first()
        .and_then(|g| g.dataset("seeds"))
        .map_or(0, |d| d.shape.first().copied().unwrap_or(0));
    let tasks = c
        .groups
        .first()
        .and_then(|g| g.dataset("R"))
        .and_then(|d| d.shape.get(1).copied())
        .unwrap_or(0);
    format!(
        "continual-learning results (spikesim continual): {} ({}), {}, {}",
        crate::cli::check::counted(methods.len() as u64, "method"),
        methods.join(", "),
        crate::cli::check::counted(seeds as u64, "seed"),
        crate::cli::check::counted(tasks as u64, "task")
    )
}

fn spike_dataset(tree: &TreeGroup) -> String {
    let samples = tree
        .dataset("labels")
        .map_or(0, |d| d.shape.first().copied().unwrap_or(0));
    format!(
        "a spike dataset (SHD layout) of {}: `spikesim dataset info` summarises it",
        crate::cli::check::counted(samples as u64, "sample")
    )
}

fn training_metrics(tree: &TreeGroup) -> String {
    let column = |name: &str| match tree.dataset(name).map(|d| &d.values) {
        Some(TreeValues::Float(v)) => v.clone(),
        _ => Vec::new(),
    };
    let test = column("test_accuracy");
    let train = column("train_accuracy");
    let last = match (train.last(), test.last()) {
        (Some(tr), Some(te)) => format!(
            "; last epoch: training {:.1} %, test {:.1} %",
            100.0 * tr,
            100.0 * te
        ),
        _ => String::new(),
    };
    format!(
        "training metrics (spikesim train) of {}{last}",
        crate::cli::check::counted(test.len() as u64, "epoch")
    )
}
