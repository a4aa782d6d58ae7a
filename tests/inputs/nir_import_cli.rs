//! `spikesim nir import` on files written by the `nir` package
//! (tests/fixtures/nir/import/make_import_files.py and nirfile's
//! tests/fixtures/nir/files/): bad graphs and options end in exit status 1
//! with the node and field named and nothing written; a good one gives a
//! model that runs and fires where the closed form says.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_spikesim");

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/nir")
        .join(rel)
}

/// Runs `spikesim nir import GRAPH ARGS --out DIR/m.toml`: (status, stderr).
fn import(graph: &str, args: &[&str], dir: &Path) -> (i32, String) {
    let out = Command::new(BIN)
        .args(["nir", "import"])
        .arg(fixture(graph))
        .args(args)
        .arg("--out")
        .arg(dir.join("m.toml"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_graphs_and_options_exit_1_naming_node_and_field_writing_nothing() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "import/weight_loop.nir",
            &["--dt", "1 ms", "--duration", "5 ms"],
            &["node `a`: field `edges`", "cycle through no neuron node"],
        ),
        (
            "import/big_conv.nir",
            &["--dt", "1 ms", "--duration", "5 ms"],
            &["node `conv`: field `weight`", "limit of 10000000"],
        ),
        (
            "import/small.nir",
            &[
                "--dt",
                "1 ms",
                "--duration",
                "5 ms",
                "--discretisation",
                "euler",
            ],
            &["node `lif`: field `tau`", "--dt"],
        ),
        (
            "files/neurons.nir",
            &["--dt", "0.1 ms", "--duration", "5 ms"],
            &["node `cubali`: field `edges`", "non-spiking"],
        ),
        (
            "files/nan_parameter.nir",
            &["--dt", "1 ms", "--duration", "5 ms"],
            &["node `lif`: field `tau`"],
        ),
        (
            "files/not_hdf5.nir",
            &["--dt", "1 ms", "--duration", "5 ms"],
            &["not_hdf5.nir"],
        ),
        (
            "import/small.nir",
            &["--dt", "1", "--duration", "5 ms"],
            &["--dt"],
        ),
        ("import/small.nir", &["--dt", "1 ms"], &["--duration"]),
    ];
    for (graph, args, wants) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (code, err) = import(graph, args, dir.path());
        assert_eq!(code, 1, "{graph} {args:?}: {err}");
        for want in *wants {
            assert!(err.contains(want), "{graph} {args:?}: {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{graph}: wrote {left:?}");
    }
}

#[test]
fn bad_input_spikes_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let spikes = dir.path().join("in.csv");
    std::fs::write(&spikes, "neuron,step\n0,0\n2,1\n").unwrap();
    let (code, err) = import(
        "import/small.nir",
        &["--dt", "1 ms", "--input", spikes.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("in.csv") && err.contains("line 3") && err.contains("neuron 2"),
        "{err}"
    );
    assert!(!dir.path().join("m.toml").exists());
}

#[test]
fn an_imported_graph_runs_and_fires_as_the_closed_form_says() {
    // small.nir: fc = [[1, 0.5], [0, 2]], bias [0, 0.1]; LIF tau 1 ms and
    // 0.1 ms, r 1, threshold 0.5. One spike of input 0 at data step 0:
    // exact, dt 1 ms: lif 0 jumps by 1·(1 - e^{-1}) = 0.632 > 0.5 and fires at
    // grid point 1 (zero delay); lif 1 gets 0 from input 0 and rests at
    // r·b = 0.1: never.
    let dir = tempfile::tempdir().unwrap();
    let spikes = dir.path().join("in.csv");
    std::fs::write(&spikes, "neuron,step\n0,0\n").unwrap();
    let (code, err) = import(
        "import/small.nir",
        &[
            "--dt",
            "1 ms",
            "--duration",
            "4 ms",
            "--input",
            spikes.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    let model = dir.path().join("m.toml");
    assert!(dir.path().join("m_files/input_0.csv").is_file());
    let spec = spikesim::model::load(&model, &[]).unwrap();
    let res = spikesim::engine::simulate(&spec, &mut |_, _| {});
    let s = res.spikes_of("lif").unwrap();
    assert_eq!((s.steps.clone(), s.senders.clone()), (vec![1], vec![0]));
}
