//! Command-line inputs that used to abort, panic or destroy a file: plot
//! options taking a time, output paths that are inputs or not files, and
//! `check` on experiment files. Each is a clean error (exit 1, the option
//! or file and field named) or a correct answer.

use std::path::Path;
use std::process::{Command, Output};

const MODEL: &str = r#"[simulation]
dt = "0.1 ms"
duration = "50 ms"

[[population]]
name = "n"
size = 4
model = "lif"
params = { tau_m = "10 ms", v_rest = "-70 mV", v_th = "-55 mV", r_m = "100 Mohm", i_e = "0.2 nA" }

[[stimulus]]
kind = "current"
population = "n"
file = "course.csv"
"#;

const COURSE: &str = "time_ms,amplitude_nA\n0,0.1\n20,0.0\n";

fn spikesim(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Exit 1, an `error:` line holding every fragment, no panic.
fn assert_refused(o: &Output, fragments: &[&str]) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: ") && !stderr.contains("panicked"),
        "{stderr}"
    );
    for f in fragments {
        assert!(stderr.contains(f), "{f:?} missing from: {stderr}");
    }
}

fn with_model() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.toml"), MODEL).unwrap();
    std::fs::write(dir.path().join("course.csv"), COURSE).unwrap();
    dir
}

#[test]
fn run_refuses_outputs_that_are_inputs_or_not_files_and_leaves_them_alone() {
    let dir = with_model();
    let d = dir.path();
    // The model, the stimulus by another spelling (through a folder that
    // does not exist yet), a link to the model.
    std::os::unix::fs::symlink(d.join("m.toml"), d.join("link.h5")).unwrap();
    for out in ["m.toml", "./new/../course.csv", "link.h5"] {
        let o = spikesim(&["run", "m.toml", "--out", out, "--no-plots"], d);
        assert_refused(&o, &["--out", out, "also an input"]);
    }
    assert_eq!(std::fs::read_to_string(d.join("m.toml")).unwrap(), MODEL);
    assert_eq!(
        std::fs::read_to_string(d.join("course.csv")).unwrap(),
        COURSE
    );
    // A FIFO and a directory are not replaced.
    let fifo = d.join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let o = spikesim(&["run", "m.toml", "--out", "fifo", "--no-plots"], d);
    assert_refused(&o, &["--out", "a FIFO"]);
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    let o = spikesim(&["run", "m.toml", "--out", ".", "--no-plots"], d);
    assert_refused(&o, &["--out", "a directory"]);
    // An [output] plot onto the model (through a link with a plot's
    // extension) or onto the results names the field.
    std::os::unix::fs::symlink(d.join("p.toml"), d.join("model.png")).unwrap();
    let plotting = format!("{MODEL}\n[output]\nraster = \"model.png\"\n");
    std::fs::write(d.join("p.toml"), &plotting).unwrap();
    // (Without --out: with it the plots go beside the --out file.)
    let o = spikesim(&["run", "p.toml"], d);
    assert_refused(&o, &["p.toml: output.raster", "also an input"]);
    assert_eq!(std::fs::read_to_string(d.join("p.toml")).unwrap(), plotting);
    assert!(!d.join("results").exists(), "a refused run makes no folder");
    let plotting = format!("{MODEL}\n[output]\npath = \"r.png\"\nrate = \"r.png\"\n");
    std::fs::write(d.join("q.toml"), &plotting).unwrap();
    let o = spikesim(&["run", "q.toml"], d);
    assert_refused(&o, &["q.toml: output.rate", "the same file"]);
    // quantize --out onto its model.
    let o = spikesim(&["quantize", "m.toml", "--out", "m.toml"], d);
    assert_refused(&o, &["--out", "also an input"]);
    assert_eq!(std::fs::read_to_string(d.join("m.toml")).unwrap(), MODEL);
    // A fresh path is fine, and the results are there, whole.
    let o = spikesim(&["run", "m.toml", "--out", "r.h5", "--no-plots"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let results = spikesim::io::hdf5::read_results(&d.join("r.h5")).unwrap();
    assert_eq!(results.spikes_of("n").unwrap().size, 4);
    assert!(!d.join("r.h5.partial").exists() && !d.join("r.partial.h5").exists());
}

#[test]
fn plot_time_options_are_checked_against_the_run() {
    let dir = with_model();
    let d = dir.path();
    let o = spikesim(&["run", "m.toml", "--out", "r.h5", "--no-plots"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (bin, fragment) in [
        ("1 ns", "at least the run's step dt = 1e-4 s, got 1e-9 s"),
        // Subnormal: refused as a quantity no model can hold, before the
        // plot's own check.
        ("1e-320 s", "outside the range a model can hold"),
        ("0 s", "must be a positive duration"),
    ] {
        let o = spikesim(&["plot", "r.h5", "--rate", "rate.png", "--bin", bin], d);
        assert_refused(&o, &["--bin:", fragment]);
        assert!(!d.join("rate.png").exists());
    }
    for (from, to, option) in [("0 s", "1e-320 s", "--to"), ("60 ms", "70 ms", "--from")] {
        let args = [
            "plot",
            "r.h5",
            "--raster",
            "raster.png",
            "--from",
            from,
            "--to",
            to,
        ];
        assert_refused(&spikesim(&args, d), &[option]);
    }
    let o = spikesim(&["plot", "r.h5", "--raster", "r.h5"], d);
    assert_refused(&o, &["--raster", "also an input"]);
    assert!(spikesim::io::hdf5::read_results(&d.join("r.h5")).is_ok());
    let o = spikesim(&["plot", "r.h5", "--rate", "rate.png", "--bin", "5 ms"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(d.join("rate.png").exists());
}

#[test]
fn check_recognises_experiment_files_and_checks_them_with_their_parser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (file, kind, command) in [
        (
            "models/train_spike_digits.toml",
            "training experiment",
            "spikesim train",
        ),
        (
            "models/continual_split_digits.toml",
            "continual-learning experiment",
            "spikesim continual",
        ),
        (
            "models/meta_tempotron.toml",
            "Tempotron experiment",
            "spikesim tempotron",
        ),
    ] {
        let o = spikesim(&["check", file], root);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            stdout.contains(&format!("ok, {kind}")) && stdout.contains(command),
            "{stdout}"
        );
    }
    // A mistake in one is reported by the experiment's parser, with its line.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root.join("models/train_spike_digits.toml")).unwrap();
    let bad = text.replacen("[training]", "[training]\nbogus_rate = 3", 1);
    assert_ne!(bad, text);
    std::fs::write(dir.path().join("e.toml"), bad).unwrap();
    let o = spikesim(&["check", "e.toml"], dir.path());
    assert_refused(&o, &["e.toml:", "bogus_rate"]);
    let o = spikesim(
        &["check", "models/meta_tempotron.toml", "--seed", "3"],
        root,
    );
    assert_refused(&o, &["Tempotron experiment", "model files"]);
    // --set reaches the experiment's fields, checked by its parser.
    let o = spikesim(
        &[
            "check",
            "models/meta_tempotron.toml",
            "--set",
            "training.epochs=7",
        ],
        root,
    );
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && said.contains("7 epochs"), "{said}");
    let o = spikesim(
        &[
            "check",
            "models/meta_tempotron.toml",
            "--set",
            "training.epochs=0",
        ],
        root,
    );
    assert_refused(&o, &["training.epochs"]);
}

/// The exit statuses the manual states ("Exit status" in
/// docs/src/guide/command-line.md): 0 done, 1 an error in what the command was given (files, values), 2 a command line that does
/// not parse (clap's usage errors: unknown option, missing argument, bad
/// choice), each with its message on standard error.
#[test]
fn exit_statuses_are_the_documented_ones() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.toml"), MODEL).unwrap();
    std::fs::write(dir.path().join("course.csv"), COURSE).unwrap();
    let ok = spikesim(&["check", "m.toml"], dir.path());
    assert_eq!(ok.status.code(), Some(0));
    assert_refused(
        &spikesim(&["check", "missing.toml"], dir.path()),
        &["missing.toml"],
    );
    for args in [
        &["check", "m.toml", "--no-such-option"][..],
        &["run"][..],
        &[
            "nir",
            "import",
            "g.nir",
            "--dt",
            "1 ms",
            "--out",
            "x.toml",
            "--discretisation",
            "rk4",
        ][..],
    ] {
        let o = spikesim(args, dir.path());
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains("--help"),
            "{args:?}: {stderr}"
        );
    }
}

/// `compare` warns when the two runs last different times (its counts and
/// shifts then cover different spans) and refuses files with no population
/// in common before printing a header a script could take for a table.
#[test]
fn compare_warns_on_durations_and_refuses_before_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("m.toml"), MODEL).unwrap();
    std::fs::write(d.join("course.csv"), COURSE).unwrap();
    let other = MODEL.replace("\"n\"", "\"other\"");
    std::fs::write(d.join("o.toml"), other).unwrap();
    for args in [
        &["run", "m.toml", "--out", "a.h5", "--no-plots"][..],
        &[
            "run",
            "m.toml",
            "--out",
            "b.h5",
            "--no-plots",
            "--set",
            "simulation.duration=\"30 ms\"",
        ][..],
        &["run", "o.toml", "--out", "c.h5", "--no-plots"][..],
    ] {
        let o = spikesim(args, d);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let same = spikesim(&["compare", "a.h5", "a.h5"], d);
    assert_eq!(same.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&same.stderr).contains("warning"));
    let longer = spikesim(&["compare", "a.h5", "b.h5"], d);
    assert_eq!(longer.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&longer.stderr);
    assert!(
        stderr.contains("warning: the runs last 0.05 s (A) and 0.03 s (B)"),
        "{stderr}"
    );
    let disjoint = spikesim(&["compare", "a.h5", "c.h5"], d);
    assert_refused(&disjoint, &["share no recorded population"]);
    assert!(
        disjoint.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&disjoint.stdout)
    );
}
