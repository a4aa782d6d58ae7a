//! `spikesim continual`: experiment files and their errors, HLOP's learned
//! subspace against an SVD of the recorded traces, resuming between tasks,
//! thread-count independence, and the methods on small task sequences.

use std::path::{Path, PathBuf};
use std::process::Command;

use nalgebra::DMatrix;
use spikesim::learn::continual::experiment::{ContinualExperiment, Method, parse_continual};
use spikesim::learn::continual::runner::{Run, TaskSequence};
use spikesim::learn::continual::session::{ContinualOptions, run_continual};
use spikesim::learn::continual::{MethodResult, table};
use spikesim::learn::train::data::prepare;
use spikesim::learn::train::trainer::pool;
use spikesim::plasticity::hebbian::principal_angles;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn digits(kind: &str) -> String {
    root()
        .join(format!("stimuli/spike_digits/latency_{kind}.h5"))
        .display()
        .to_string()
}

/// A small experiment on spike-digits: `hidden` LIF neurons, `tables` the
/// `[continual]` / `[hlop]` text, `training` extra `[training]` lines.
fn text(hidden: usize, training: &str, tables: &str, out: &Path) -> String {
    format!(
        r#"[data]
train = "{train}"
test = "{test}"
dt = "1 ms"

[[layer]]
size = {hidden}
tau_m = "10 ms"

[readout]
kind = "membrane"
tau_m = "20 ms"

[training]
epochs = 1
batch_size = 32
optimizer = "adam"
lr = 2e-3
surrogate_scale = 10
init_gain = 2.0
{training}

{tables}

[output]
dir = "{out}"
"#,
        train = digits("train"),
        test = digits("test"),
        out = out.display()
    )
}

fn parse(text: &str) -> ContinualExperiment {
    parse_continual(Path::new("experiment.toml"), text).unwrap_or_else(|e| panic!("{e}"))
}

fn quiet(exp: &ContinualExperiment, opts: &ContinualOptions) -> (Vec<MethodResult>, bool) {
    let outcome = run_continual(exp, opts, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
    (outcome.results, outcome.complete)
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("spikesim_continual_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

const SPLIT_ALL: &str = r#"
[continual]
protocol = "split"
classes_per_task = 2
head = "per_task"
methods = ["finetune", "ewc", "replay", "hlop", "multitask"]
seeds = [3]
ewc_lambda = 50.0
replay_per_class = 5
replay_batch = 8

[hlop]
layers = [{ initial = 12, increments = [8], learning_rate = 0.02 }]
epochs = 1
"#;

#[test]
fn a_resumed_experiment_equals_the_uninterrupted_one_for_any_thread_count() {
    let whole_dir = scratch("whole");
    let whole = parse(&text(48, "threads = 2", SPLIT_ALL, &whole_dir));
    let (expected, complete) = quiet(&whole, &ContinualOptions::default());
    assert!(complete);
    assert_eq!(expected.len(), 5);
    // Five tasks per method: stop in the middle of the second method's
    // run, then twice more, on one thread.
    let parts_dir = scratch("parts");
    let parts = parse(&text(48, "threads = 1", SPLIT_ALL, &parts_dir));
    let mut opts = ContinualOptions {
        stop_after_tasks: Some(7),
        ..Default::default()
    };
    let (_, complete) = quiet(&parts, &opts);
    assert!(!complete);
    opts.resume = true;
    let (_, complete) = quiet(&parts, &opts);
    assert!(!complete);
    opts.stop_after_tasks = None;
    let (resumed, complete) = quiet(&parts, &opts);
    assert!(complete);
    // Debug formatting compares NaN entries (tasks not yet seen) too.
    assert_eq!(format!("{resumed:?}"), format!("{expected:?}"));
    // A checkpoint of another experiment is refused, not silently used.
    let other = parse(
        &text(48, "threads = 1", SPLIT_ALL, &parts_dir)
            .replace("ewc_lambda = 50.0", "ewc_lambda = 60.0"),
    );
    let err = run_continual(
        &other,
        &ContinualOptions {
            resume: true,
            ..Default::default()
        },
        &mut |_| {},
    )
    .err()
    .expect("a foreign checkpoint");
    assert!(err.to_string().contains("another experiment"), "{err}");
    for dir in [whole_dir, parts_dir] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn the_learned_subspace_is_the_principal_subspace_of_the_recorded_traces() {
    let out = scratch("subspace");
    let tables = r#"
[continual]
protocol = "permuted"
tasks = 2
methods = ["hlop"]

[hlop]
layers = [{ initial = 6, increments = [4], learning_rate = 0.1 }, { initial = 6, increments = [4], learning_rate = 0.1 }]
epochs = 10
"#;
    let exp = parse(&text(64, "", tables, &out));
    let data = prepare(&exp.base).unwrap();
    let tasks = TaskSequence::new(exp.spec.protocol, exp.spec.task_seed, &data).unwrap();
    let run = Run::new(&exp, &data, &tasks, Method::Hlop, 1);
    let mut state = run.start().unwrap();
    let pool = pool(0);
    run.train_next_task(&mut state, &pool).unwrap();
    // The traces of task 0 under the trained weights, as the rule saw them.
    let all: Vec<usize> = tasks.train_indices(0).to_vec();
    let traces = run.presynaptic_traces(&state.net, 2, 0, &all);
    for (l, x) in traces.iter().enumerate() {
        let h = state.hlop[l].weights();
        let k = h.nrows();
        let svd = x.clone().svd(false, true);
        let v_t = svd.v_t.unwrap();
        let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
        order.sort_by(|&a, &b| svd.singular_values[b].total_cmp(&svd.singular_values[a]));
        let top = DMatrix::from_columns(
            &order[..k]
                .iter()
                .map(|&i| v_t.row(i).transpose())
                .collect::<Vec<_>>(),
        );
        let angles = principal_angles(&h.transpose(), &top);
        let gram = h * h.transpose();
        let off = (gram - DMatrix::identity(k, k)).abs().max();
        // Energy of the traces inside the learned subspace against the
        // most any k-dimensional subspace holds (the top k singular values).
        let energy = |basis: &DMatrix<f64>| (x * basis).norm_squared();
        let best: f64 = order[..k]
            .iter()
            .map(|&i| svd.singular_values[i].powi(2))
            .sum();
        let captured = energy(&h.transpose()) / best;
        eprintln!(
            "layer {l}: principal angles {angles:?}, |HHᵀ − I| max {off:.2e}, energy {captured:.4} of the best, singular values {:?}",
            order[..k + 1]
                .iter()
                .map(|&i| svd.singular_values[i])
                .collect::<Vec<_>>()
        );
        // The last direction may still be turning where the spectrum has
        // no gap; all others must have settled.
        assert!(
            angles[..k - 1].iter().all(|&a| a < 0.1),
            "layer {l}: {angles:?}"
        );
        assert!(captured > 0.98, "layer {l}: {captured}");
        assert!(off < 0.02, "layer {l}: rows not orthonormal ({off})");
    }
    let _ = std::fs::remove_dir_all(out);
}

/// Mean ACC and BWT of a method, in percentage points.
fn figures(results: &[MethodResult], method: &str) -> (f64, f64) {
    let m = results.iter().find(|m| m.method == method).unwrap();
    (100.0 * m.acc().unwrap().mean, 100.0 * m.bwt().unwrap().mean)
}

#[test]
fn on_a_short_permuted_sequence_hlop_forgets_less_than_fine_tuning_with_either_rule() {
    for rule in ["bptt", "online"] {
        let out = scratch(&format!("short_{rule}"));
        let tables = r#"
[continual]
protocol = "permuted"
tasks = 3
methods = ["finetune", "hlop"]
seeds = [1]

[hlop]
layers = [{ initial = 64 }, { initial = 60, increments = [60], learning_rate = 0.005 }]
epochs = 3
"#;
        let exp = parse(
            &text(256, &format!("rule = \"{rule}\""), tables, &out).replacen(
                "epochs = 1\n",
                "epochs = 2\n",
                1,
            ),
        );
        let (results, _) = quiet(&exp, &ContinualOptions::default());
        eprintln!("{rule}:\n{}", table(&results).unwrap());
        let (_, finetune) = figures(&results, "finetune");
        let (_, hlop) = figures(&results, "hlop");
        assert!(finetune < -15.0, "{rule}: fine-tuning BWT {finetune}");
        assert!(
            hlop > finetune + 10.0,
            "{rule}: HLOP BWT {hlop} vs {finetune}"
        );
        let _ = std::fs::remove_dir_all(out);
    }
}

fn error_of(text: &str) -> String {
    parse_continual(Path::new("bad.toml"), text)
        .err()
        .unwrap_or_else(|| panic!("accepted:\n{text}"))
        .to_string()
}

#[test]
fn experiment_errors_name_the_file_line_and_field() {
    let out = Path::new("/tmp/unused");
    let good = SPLIT_ALL;
    let cases: &[(&str, &str, &str)] = &[
        (
            "protocol = \"split\"",
            "protocol = \"shuffled\"",
            "continual.protocol",
        ),
        ("classes_per_task = 2\n", "", "continual.classes_per_task"),
        ("head = \"per_task\"", "head = \"both\"", "continual.head"),
        (
            "\"multitask\"]",
            "\"multitask\", \"magic\"]",
            "continual.methods",
        ),
        (
            "ewc_lambda = 50.0",
            "ewc_lambda = -1.0",
            "continual.ewc_lambda",
        ),
        (
            "replay_batch = 8",
            "replay_batch = 0",
            "continual.replay_batch",
        ),
        ("initial = 12", "initial = 0", "hlop.layers[0].initial"),
        (
            "layers = [{ initial = 12, increments = [8], learning_rate = 0.02 }]",
            "layers = [{ initial = 12 }, { initial = 4 }]",
            "hlop.layers",
        ),
        (
            "learning_rate = 0.02",
            "learning_rate = 0.0",
            "hlop.layers[0].learning_rate",
        ),
    ];
    for (from, to, field) in cases {
        assert!(good.contains(from), "{from}");
        let message = error_of(&text(32, "", &good.replacen(from, to, 1), out));
        assert!(message.starts_with("bad.toml:"), "{message}");
        assert!(message.contains(field), "{field}: {message}");
        // A line number follows the file name.
        let line = message["bad.toml:".len()..].split(':').next().unwrap();
        assert!(line.parse::<usize>().is_ok(), "{message}");
    }
    // Without [hlop], method "hlop" is refused; without [continual], the file.
    let no_hlop = good[..good.find("[hlop]").unwrap()].to_string();
    assert!(error_of(&text(32, "", &no_hlop, out)).contains("[hlop]"));
    assert!(error_of(&text(32, "", "", out)).contains("[continual]"));
    // Recurrent layers are not trained by the runner.
    let recurrent =
        text(32, "", good, out).replace("tau_m = \"10 ms\"", "tau_m = \"10 ms\"\nrecurrent = true");
    assert!(error_of(&recurrent).contains("layer[0].recurrent"));
}

#[test]
fn the_command_line_refuses_bad_input_with_an_error_and_no_panic() {
    let dir = scratch("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let bin = env!("CARGO_BIN_EXE_spikesim");
    let run = |args: &[&str]| {
        let out = Command::new(bin).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    // A continual experiment given to `train`.
    let file = dir.join("exp.toml");
    std::fs::write(&file, text(32, "", SPLIT_ALL, &dir.join("out"))).unwrap();
    let (code, err) = run(&["train", file.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("spikesim continual"), "{err}");
    // A missing dataset.
    let missing = dir.join("missing.toml");
    std::fs::write(
        &missing,
        text(32, "", SPLIT_ALL, &dir.join("out"))
            .replace(&digits("train"), "/nonexistent/train.h5"),
    )
    .unwrap();
    let (code, err) = run(&["continual", missing.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.starts_with("error:") && err.contains("/nonexistent/train.h5"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    // A split that does not divide the classes: 10 classes in threes.
    let uneven = dir.join("uneven.toml");
    std::fs::write(
        &uneven,
        text(32, "", SPLIT_ALL, &dir.join("out"))
            .replace("classes_per_task = 2", "classes_per_task = 3"),
    )
    .unwrap();
    let (code, err) = run(&["continual", uneven.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("classes_per_task"), "{err}");
    assert!(!dir.join("out/continual.h5").exists());
    let _ = std::fs::remove_dir_all(dir);
}

/// The shipped split spike-digits experiment, reduced for `make test`:
/// `hidden` LIF neurons instead of 1024, `epochs` per task instead of 10,
/// fine-tuning and HLOP only, one seed. The full experiment over its seeds
/// is `make experiments` (tests/experiments/continual.rs).
fn reduced_split(hidden: usize, epochs: usize, seed: u64) -> (f64, f64) {
    let path = root().join("models/continual_split_digits.toml");
    let shipped = std::fs::read_to_string(&path).unwrap();
    let reduced = [
        ("size = 1024", format!("size = {hidden}")),
        ("epochs = 10 ", format!("epochs = {epochs} ")),
        (
            r#"methods = ["finetune", "ewc", "replay", "hlop", "multitask"]"#,
            r#"methods = ["finetune", "hlop"]"#.to_string(),
        ),
        ("seeds = [1, 2, 3]", format!("seeds = [{seed}]")),
    ]
    .iter()
    .fold(shipped, |text, (from, to)| {
        assert!(text.contains(from), "the shipped file has no `{from}`");
        text.replacen(from, to, 1)
    });
    let mut exp = parse_continual(&path, &reduced).unwrap_or_else(|e| panic!("{e}"));
    exp.base.output = scratch(&format!("reduced_split_{seed}"));
    let (results, complete) = quiet(&exp, &ContinualOptions::default());
    assert!(complete);
    let _ = std::fs::remove_dir_all(&exp.base.output);
    let (_, finetune) = figures(&results, "finetune");
    let (_, hlop) = figures(&results, "hlop");
    (finetune, hlop)
}

/// The reduced split experiment (256 hidden, 3 epochs per task) measured
/// on seeds 1-16: fine-tuning BWT -7.3 to -20.8, HLOP -1.7 to +3.1, the gap
/// between them 7.3 to 20.8 points (mean 16.1, std 3.3). The marks sit
/// outside every measured seed by at least 2.3 points (fine-tuning < -5,
/// HLOP > -5, gap > 3); a broken projection would leave HLOP forgetting as
/// fine-tuning does (gap near 0). The test runs seed 17, not among those
/// measured.
#[test]
fn on_reduced_split_digits_hlop_forgets_much_less_than_fine_tuning() {
    let (finetune, hlop) = reduced_split(256, 3, 17);
    assert!(finetune < -5.0, "fine-tuning BWT {finetune}");
    assert!(hlop > -5.0, "HLOP BWT {hlop}");
    assert!(hlop > finetune + 3.0, "HLOP BWT {hlop} vs {finetune}");
}
