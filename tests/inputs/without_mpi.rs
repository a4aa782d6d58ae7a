//! A build without the `mpi` feature started by mpirun on several ranks:
//! each copy would simulate the whole model alone and write the same file,
//! so each refuses, and only rank 0 says why (and how to build with MPI).
//! The launch is what mpirun puts in the environment of each copy
//! (Open MPI's variables), so no MPI installation is needed here.
#![cfg(not(feature = "mpi"))]

use std::path::Path;
use std::process::Command;

fn as_rank(rank: usize, ranks: usize, model: &str, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .args(["run", model, "--no-plots", "--out"])
        .arg(out)
        .env("OMPI_COMM_WORLD_SIZE", ranks.to_string())
        .env("OMPI_COMM_WORLD_RANK", rank.to_string())
        .output()
        .expect("spikesim runs")
}

#[test]
fn without_mpi_a_multi_rank_launch_says_how_to_build_with_it_once() {
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/single_lif.toml");
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("out.h5");
    let zero = as_rank(0, 2, model, &out);
    let said = String::from_utf8_lossy(&zero.stderr);
    assert_eq!(zero.status.code(), Some(1), "{said}");
    assert_eq!(said.lines().count(), 1, "one line: {said}");
    assert!(
        said.contains("cargo build --release --features mpi"),
        "{said}"
    );
    let one = as_rank(1, 2, model, &out);
    assert_eq!(one.status.code(), Some(1));
    assert!(
        one.stderr.is_empty() && one.stdout.is_empty(),
        "rank 1 is silent"
    );
    assert!(!out.exists(), "no results file");
    // One rank is an ordinary run.
    let solo = as_rank(0, 1, model, &out);
    assert!(
        solo.status.success(),
        "{}",
        String::from_utf8_lossy(&solo.stderr)
    );
    assert!(out.exists());
}
