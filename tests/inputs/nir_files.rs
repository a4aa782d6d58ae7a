//! NIR files written by the `nir` 1.0.8 Python package
//! (tests/fixtures/nir/make_files.py) read through `spikesim::nir::read`
//! with libhdf5 in the guard's child process: every node type, nested
//! graphs, dotted names, float32 weights, a 0-d threshold, a missing
//! `v_reset`; parameters, edges and the shapes nir's own type check inferred
//! compared with what the script recorded (expected.toml). Bad files end in
//! an error naming the node and field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use spikesim::nir::{self, Graph, NirError, Node, Padding, Tensor};

const BIN: &str = env!("CARGO_BIN_EXE_spikesim");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/nir/files")
        .join(name)
}

/// Reads through the child process, as the `spikesim` binary does.
fn read(name: &str) -> Result<Graph, NirError> {
    spikesim::io::guard::read_in_child_process(PathBuf::from(BIN));
    nir::read(&fixture(name))
}

fn expected() -> toml::Table {
    let text = std::fs::read_to_string(fixture("expected.toml")).unwrap();
    text.parse().unwrap()
}

/// (shape, data) of an expected field.
fn shaped(v: &toml::Value) -> (Vec<usize>, Vec<f64>) {
    let t = v.as_table().unwrap();
    let shape = t["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_integer().unwrap() as usize)
        .collect();
    let data = t["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_float().unwrap())
        .collect();
    (shape, data)
}

fn sizes(v: &[usize]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// The non-tensor fields of a node as numbers, as nir stores them.
fn int_fields(node: &Node) -> BTreeMap<&'static str, Vec<f64>> {
    let mut out = BTreeMap::new();
    match node {
        Node::Input { shape } | Node::Output { shape } => {
            out.insert("shape", sizes(shape));
        }
        Node::Flatten {
            start_dim,
            end_dim,
            input_type,
        } => {
            out.insert("start_dim", vec![*start_dim as f64]);
            out.insert("end_dim", vec![*end_dim as f64]);
            if let Some(t) = input_type {
                out.insert("input_type", sizes(t));
            }
        }
        Node::Conv1d {
            stride,
            padding,
            dilation,
            groups,
            input_shape,
            ..
        }
        | Node::Conv2d {
            stride,
            padding,
            dilation,
            groups,
            input_shape,
            ..
        } => {
            out.insert("stride", sizes(stride));
            out.insert("dilation", sizes(dilation));
            out.insert("groups", vec![*groups as f64]);
            if let Padding::Explicit(p) = padding {
                out.insert("padding", sizes(p));
            }
            if let Some(s) = input_shape {
                out.insert("input_shape", sizes(s));
            }
        }
        Node::SumPool2d {
            kernel_size,
            stride,
            padding,
        }
        | Node::AvgPool2d {
            kernel_size,
            stride,
            padding,
        } => {
            out.insert("kernel_size", sizes(kernel_size));
            out.insert("stride", sizes(stride));
            out.insert("padding", sizes(padding));
        }
        _ => {}
    }
    out
}

/// Every node of `graph` by path, subgraphs included.
fn by_path<'g>(graph: &'g Graph, prefix: &str, out: &mut BTreeMap<String, &'g Node>) {
    for (name, node) in &graph.nodes {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        if let Node::Graph(inner) = node {
            by_path(inner, &path, out);
        }
        out.insert(path, node);
    }
}

fn edges_by_path(graph: &Graph, prefix: &str, out: &mut BTreeMap<String, Vec<(String, String)>>) {
    out.insert(prefix.to_string(), graph.edges.clone());
    for (name, node) in &graph.nodes {
        if let Node::Graph(inner) = node {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            edges_by_path(inner, &path, out);
        }
    }
}

/// The file read back equals what the script gave `nir.write`, field by
/// field, bit for bit (float32 weights widen exactly), and the shapes
/// inferred equal nir's own inference.
fn compare(file: &str, expected: &toml::Table) {
    let graph = read(file).unwrap_or_else(|e| panic!("{e}"));
    let shapes = graph
        .check(&fixture(file))
        .unwrap_or_else(|e| panic!("{e}"));
    let want = expected[file].as_table().unwrap();
    let mut nodes = BTreeMap::new();
    by_path(&graph, "", &mut nodes);
    let want_nodes = want["nodes"].as_table().unwrap();
    assert_eq!(
        nodes.keys().collect::<Vec<_>>(),
        want_nodes.keys().collect::<Vec<_>>(),
        "{file}: node paths"
    );
    for (path, node) in &nodes {
        let fields = want_nodes[path.as_str()].as_table().unwrap();
        let at = format!("{file}: {path}");
        assert_eq!(node.type_name(), fields["type"].as_str().unwrap(), "{at}");
        let tensors: BTreeMap<_, _> = node.tensors().into_iter().collect();
        let ints = int_fields(node);
        for (field, value) in fields {
            let (shape, data) = match value {
                toml::Value::String(s) if field == "padding" => {
                    let (Node::Conv1d { padding, .. } | Node::Conv2d { padding, .. }) = node else {
                        panic!("{at}: padding on a {}", node.type_name())
                    };
                    let want = if s == "same" {
                        Padding::Same
                    } else {
                        Padding::Valid
                    };
                    assert_eq!(padding, &want, "{at}");
                    continue;
                }
                toml::Value::String(_) => continue, // type
                v => shaped(v),
            };
            let s = shapes
                .get(path)
                .unwrap_or_else(|| panic!("{at}: no shapes"));
            match field.as_str() {
                "input" => assert_eq!(sizes(&s.input), data, "{at}: inferred input"),
                "output" => assert_eq!(sizes(&s.output), data, "{at}: inferred output"),
                f if tensors.contains_key(f) => {
                    assert_eq!(tensors[f].shape, shape, "{at}: {f} shape");
                    let got = &tensors[f].data;
                    assert!(
                        got.iter()
                            .zip(&data)
                            .all(|(a, b)| a.to_bits() == b.to_bits())
                            && got.len() == data.len(),
                        "{at}: {f}: {got:?} != {data:?}"
                    );
                }
                f => assert_eq!(ints.get(f), Some(&data), "{at}: {f}"),
            }
        }
        // Nothing read that nir did not write.
        for f in tensors.keys().chain(ints.keys()) {
            assert!(fields.contains_key(*f), "{at}: {f} not in the file");
        }
    }
    let mut edges = BTreeMap::new();
    edges_by_path(&graph, "", &mut edges);
    let want_edges = want["edges"].as_table().unwrap();
    assert_eq!(edges.len(), want_edges.len(), "{file}: graphs");
    for (path, pairs) in want_edges {
        let pairs: Vec<(String, String)> = pairs
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let p = p.as_array().unwrap();
                (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into())
            })
            .collect();
        assert_eq!(edges[path.as_str()], pairs, "{file}: edges of `{path}`");
    }
}

#[test]
fn every_node_type_reads_as_nir_wrote_it() {
    let expected = expected();
    for file in ["neurons.nir", "conv2d.nir", "conv1d.nir", "nested.nir"] {
        compare(file, &expected);
    }
    let graph = read("neurons.nir").unwrap();
    // Dotted names are plain names; metadata comes along.
    assert!(graph.nodes.contains_key("lif1.w_rec"));
    assert_eq!(graph.metadata.get("dt"), Some(&nir::Meta::Number(1e-4)));
    assert_eq!(
        graph.metadata.get("source"),
        Some(&nir::Meta::Text("make_files.py".into()))
    );
}

#[test]
fn old_forms_read_as_nir_documents() {
    // An old snnTorch export's 0-d threshold takes the layer's shape.
    let g = read("scalar_threshold.nir").unwrap();
    let Some(Node::LIF { v_threshold, .. }) = g.nodes.get("lif") else {
        panic!("{g:?}")
    };
    assert_eq!(v_threshold, &Tensor::new(vec![2], vec![0.75, 0.75]));
    g.check(&fixture("scalar_threshold.nir")).unwrap();
    // Files before nir 1.0 have no v_reset: zeros.
    let g = read("no_v_reset.nir").unwrap();
    for name in ["lif", "cuba"] {
        let (Some(Node::LIF { v_reset, .. }) | Some(Node::CubaLIF { v_reset, .. })) =
            g.nodes.get(name)
        else {
            panic!("{name}: {g:?}")
        };
        assert_eq!(v_reset, &Tensor::zeros(vec![2]), "{name}");
    }
}

/// The error of reading and checking `file`.
fn error_of(file: &str) -> NirError {
    match read(file) {
        Err(e) => e,
        Ok(g) => g
            .check(&fixture(file))
            .expect_err(&format!("{file} passed the check")),
    }
}

#[test]
fn bad_files_name_the_node_and_field() {
    let cases: [(&str, &str, Option<&str>, &str); 7] = [
        ("not_hdf5.nir", "", None, "not an HDF5 file"),
        ("no_node.nir", "", None, "no `node` group"),
        (
            "unknown_type.nir",
            "lif",
            Some("type"),
            "unknown node type `Banana`",
        ),
        (
            "edge_to_missing_node.nir",
            "ghost",
            Some("edges"),
            "`lif` -> `ghost`",
        ),
        (
            "mismatched_shapes.nir",
            "lif",
            Some("tau"),
            "brings shape [3]",
        ),
        ("nan_parameter.nir", "lif", Some("tau"), "element 1 is NaN"),
        ("cuba_without_w_in.nir", "cuba", Some("w_in"), "missing"),
    ];
    for (file, node, field, words) in cases {
        let e = error_of(file);
        assert_eq!(e.file, fixture(file), "{file}");
        assert_eq!(e.node, node, "{file}: {e}");
        assert_eq!(e.field.as_deref(), field, "{file}: {e}");
        let text = e.to_string();
        assert!(text.contains(words), "{file}: {text}");
        assert!(
            text.starts_with(&fixture(file).display().to_string()),
            "{text}"
        );
    }
}

#[test]
fn written_files_read_back_equal() {
    let dir = tempfile::tempdir().unwrap();
    for file in [
        "neurons.nir",
        "conv2d.nir",
        "conv1d.nir",
        "nested.nir",
        "scalar_threshold.nir",
    ] {
        let graph = read(file).unwrap();
        let out = dir.path().join(file);
        nir::write(&out, &graph).unwrap();
        assert!(!dir.path().join(format!("{file}.partial")).exists());
        let back = nir::read(&out).unwrap();
        assert_eq!(back, graph, "{file}");
    }
}

/// A damaged file (cut short, or bytes overwritten) is an error naming the
/// file, never a crash of the reading program: libhdf5 runs in the child.
#[test]
fn damaged_files_are_errors_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("nested.nir")).unwrap();
    spikesim::io::guard::read_in_child_process(PathBuf::from(BIN));
    let mut damaged = Vec::new();
    for cut in [100, bytes.len() / 2, bytes.len() - 100] {
        damaged.push(bytes[..cut].to_vec());
    }
    // Every 64th byte from the middle on flipped: heaps and B-trees.
    let mut flipped = bytes.clone();
    for b in flipped.iter_mut().skip(bytes.len() / 3).step_by(64) {
        *b ^= 0xff;
    }
    damaged.push(flipped);
    for (i, content) in damaged.iter().enumerate() {
        let path = dir.path().join(format!("damaged{i}.nir"));
        std::fs::write(&path, content).unwrap();
        match nir::read(&path).and_then(|g| g.check(&path).map(|_| g)) {
            Err(e) => assert_eq!(e.file, path, "{e}"),
            // Damage that misses everything read leaves a valid graph.
            Ok(g) => assert_eq!(g.nodes.len(), 4, "{i}"),
        }
    }
}
