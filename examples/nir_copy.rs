//! Reads a NIR file with spikesim's reader, checks it, and writes it again
//! with spikesim's writer; or (`--demo`) writes a small graph built here,
//! with a 0-d threshold the writer must broadcast. Used by
//! python/tests/test_nir_files.py, which reads the output with
//! `nir.read` (type check on) and compares parameters.
//!
//!     cargo run --release --example nir_copy -- IN.nir OUT.nir
//!     cargo run --release --example nir_copy -- --demo OUT.nir
//!
//! Prints the error and exits with status 1 on bad input.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use spikesim::nir::{self, Graph, Meta, NirError, Node, Tensor};

/// Input(2) -> Affine -> LIF (0-d v_threshold 1.0) -> Output(2).
fn demo() -> Graph {
    let mut nodes = BTreeMap::new();
    nodes.insert("input".to_string(), Node::Input { shape: vec![2] });
    nodes.insert(
        "fc".to_string(),
        Node::Affine {
            weight: Tensor::new(vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]),
            bias: Tensor::vector(vec![0.5, -0.5]),
        },
    );
    nodes.insert(
        "lif".to_string(),
        Node::LIF {
            tau: Tensor::vector(vec![0.01, 0.02]),
            r: Tensor::vector(vec![1.0, 1.0]),
            v_leak: Tensor::vector(vec![0.0, 0.0]),
            v_threshold: Tensor::scalar(1.0),
            v_reset: Tensor::vector(vec![0.0, 0.0]),
        },
    );
    nodes.insert("output".to_string(), Node::Output { shape: vec![2] });
    let edges = [("input", "fc"), ("fc", "lif"), ("lif", "output")]
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .to_vec();
    let mut metadata = BTreeMap::new();
    metadata.insert("spikesim.dt".to_string(), Meta::Number(1e-4));
    metadata.insert(
        "spikesim.discretisation".to_string(),
        Meta::Text("exact".into()),
    );
    Graph {
        nodes,
        edges,
        metadata,
    }
}

fn run(args: &[String]) -> Result<(), NirError> {
    let graph = match args {
        [flag, _] if flag == "--demo" => demo(),
        [input, _] => {
            let input = Path::new(input);
            let graph = nir::read(input)?;
            graph.check(input)?;
            graph
        }
        _ => {
            return Err(NirError::file(
                "nir_copy",
                "usage: nir_copy IN.nir OUT.nir | nir_copy --demo OUT.nir",
            ));
        }
    };
    nir::write(Path::new(&args[1]), &graph)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
