//! The notebooks (quickstart, training, continual_learning) run top to bottom
//! against the binary built for this test run.
//!
//! It needs the Python venv of `notebooks/requirements.txt`, named by
//! `SPIKESIM_PYTHON`; `make test` creates it and sets the variable:
//!
//! ```text
//! SPIKESIM_PYTHON=$PWD/.venv/bin/python cargo test --release --test notebook -- --include-ignored
//! ```
//!
//! `tests/run_notebook.py` executes the notebook with nbclient, in an
//! ipykernel run by that same python. The notebook writes its outputs to
//! `results/` only.

use std::path::Path;
use std::process::Command;

/// Code cells of the notebook file, counted from its JSON text (nbformat
/// writes one `"cell_type": "code"` per code cell; a cell's source would
/// escape the quotes).
fn code_cells(notebook: &Path) -> usize {
    let text = std::fs::read_to_string(notebook)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", notebook.display()));
    text.matches(r#""cell_type": "code""#).count()
}

/// `(executed, total)` from the helper's `executed <name>: <n>/<m> code cells`.
fn executed_line(stdout: &str, name: &str) -> Option<(usize, usize)> {
    let prefix = format!("executed {name}: ");
    let line = stdout.lines().find_map(|l| l.strip_prefix(&prefix))?;
    let (counts, _) = line.split_once(' ')?;
    let (executed, total) = counts.split_once('/')?;
    Some((executed.parse().ok()?, total.parse().ok()?))
}

/// Runs `notebook` (relative to the repository) and checks every code cell ran.
fn run_notebook(relative: &str) {
    let python = std::env::var_os("SPIKESIM_PYTHON").unwrap_or_else(|| {
        panic!(
            "SPIKESIM_PYTHON is not set: point it at the python of the venv with \
             notebooks/requirements.txt installed, e.g. \
             `make venv && SPIKESIM_PYTHON=$PWD/.venv/bin/python cargo test --release --test notebook -- --include-ignored`, \
             or run `make test`"
        )
    });
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let notebook = root.join(relative);
    let expected = code_cells(&notebook);
    assert!(expected > 0, "{} has no code cells", notebook.display());

    let output = Command::new(&python)
        .arg(root.join("tests/run_notebook.py"))
        .arg(&notebook)
        .current_dir(root)
        .env("SPIKESIM_BIN", env!("CARGO_BIN_EXE_spikesim"))
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run SPIKESIM_PYTHON={}: {e}",
                Path::new(&python).display()
            )
        });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = format!("--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert!(
        output.status.success(),
        "executing {relative} failed ({}):\n{report}",
        output.status
    );
    let name = notebook.file_name().unwrap().to_string_lossy();
    let counts = executed_line(&stdout, &name);
    assert_eq!(
        counts,
        Some((expected, expected)),
        "expected `executed {name}: {expected}/{expected} code cells`:\n{report}"
    );
}

#[test]
#[ignore = "needs the Python venv; run `make test`"]
fn quickstart_notebook_runs() {
    run_notebook("notebooks/quickstart.ipynb");
}

/// Trains on spike-digits for a few epochs, plots the learning curve and runs
/// the exported network (its own assertions: loss falls, test accuracy above
/// 80 %, the hidden layer fires, the membrane read-out never does).
#[test]
#[ignore = "needs the Python venv; run `make test`"]
fn training_notebook_runs() {
    run_notebook("notebooks/training.ipynb");
}

/// Runs `spikesim continual` on split spike-digits (one seed, all five
/// methods), draws the accuracy matrices and forgetting curves (its own
/// assertions: ACC and BWT recomputed from R match the stored ones and
/// `continual.csv` to 1e-12, every task is learned while it trains, multitask
/// ends above 90 %).
#[test]
#[ignore = "needs the Python venv; run `make test`"]
fn continual_learning_notebook_runs() {
    run_notebook("notebooks/continual_learning.ipynb");
}
