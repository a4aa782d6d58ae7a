//! A NIR graph imported (`nir::import`), validated and simulated: the
//! membrane of an LIF node against the closed form of each discretisation
//! (written from the equations of docs/src/nir.md, not from the code), and a
//! zero-delay chain Input -> Threshold -> IF firing in the input's step.

use std::path::Path;

use spikesim::nir::import::{Discretisation, ImportOptions, Recording, import_graph};
use spikesim::nir::{Graph, Node, Tensor};

fn t(shape: &[usize], data: &[f64]) -> Tensor {
    Tensor::new(shape.to_vec(), data.to_vec())
}

const DT: f64 = 1e-3;
const TAU: f64 = 10e-3;
const W: f64 = 0.5;
const B: f64 = 0.3;

/// in(2): channel 0 -> fc (w 0.5, bias 0.3) -> lif (tau 10 ms, never fires);
/// channel 1 -> sel -> thr (θ 0.5) -> fc2 (2) -> integ (IF, r 1000, v_th 1).
fn graph() -> Graph {
    let nodes: Vec<(&str, Node)> = vec![
        ("in", Node::Input { shape: vec![2] }),
        (
            "fc",
            Node::Affine {
                weight: t(&[1, 2], &[W, 0.0]),
                bias: t(&[1], &[B]),
            },
        ),
        (
            "lif",
            Node::LIF {
                tau: t(&[1], &[TAU]),
                r: t(&[1], &[1.0]),
                v_leak: t(&[1], &[0.0]),
                v_threshold: t(&[1], &[10.0]),
                v_reset: t(&[1], &[0.0]),
            },
        ),
        (
            "sel",
            Node::Linear {
                weight: t(&[1, 2], &[0.0, 1.0]),
            },
        ),
        (
            "thr",
            Node::Threshold {
                threshold: t(&[1], &[0.5]),
            },
        ),
        (
            "fc2",
            Node::Linear {
                weight: t(&[1, 1], &[2.0]),
            },
        ),
        (
            "integ",
            Node::IF {
                r: t(&[1], &[1000.0]),
                v_threshold: t(&[1], &[1.0]),
                v_reset: t(&[1], &[0.0]),
            },
        ),
        ("out", Node::Output { shape: vec![1] }),
        ("out2", Node::Output { shape: vec![1] }),
    ];
    let edges = [
        ("in", "fc"),
        ("fc", "lif"),
        ("lif", "out"),
        ("in", "sel"),
        ("sel", "thr"),
        ("thr", "fc2"),
        ("fc2", "integ"),
        ("integ", "out2"),
    ];
    Graph {
        nodes: nodes.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        edges: edges
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        metadata: Default::default(),
    }
}

fn simulate(d: Discretisation) -> spikesim::io::results::Results {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    // channel 0 at data step 0; channel 1 at steps 2 and 5
    std::fs::write(&input, "neuron,step\n0,0\n1,2\n1,5\n").unwrap();
    let out = dir.path().join("m.toml");
    let opts = ImportOptions {
        discretisation: d,
        duration: Some(8.0 * DT),
        input: Some(input),
        ..ImportOptions::new(DT)
    };
    import_graph(
        &graph(),
        Path::new("g.nir"),
        &opts,
        Recording::AllNodes,
        &out,
    )
    .unwrap();
    let spec = spikesim::model::load(&out, &[])
        .unwrap_or_else(|e| panic!("{e}\n{}", std::fs::read_to_string(&out).unwrap()));
    spikesim::engine::simulate(&spec, &mut |_, _| {})
}

#[test]
fn imported_lif_follows_each_discretisations_closed_form() {
    for d in [
        Discretisation::Exact,
        Discretisation::Euler,
        Discretisation::Snntorch,
    ] {
        let res = simulate(d);
        let v = res.state_of("lif", "v").unwrap().column(0);
        // sample k: the membrane after update k-1; sample 0 the initial 0.
        let mut want = vec![0.0];
        let mut x = 0.0f64;
        // Synapse weights are stored as f32 (synapse::csr): the jump is the
        // f32 nearest to the formula's.
        let f32_jump = |j: f64| f64::from(j as f32);
        let a = (-DT / TAU).exp();
        for n in 0..v.len() - 1 {
            let arrives = n == 0;
            x = match d {
                // exact: rest r b, decay e^{-dt/τ}, jump r w (1 - e^{-dt/τ}) at arrival
                Discretisation::Exact => {
                    let jump = if arrives {
                        f32_jump(W * (1.0 - a))
                    } else {
                        0.0
                    };
                    B + (x - B) * a + jump
                }
                // Euler: v ← (1 - dt/τ) v + (dt/τ)(v_leak + r (x + b))
                _ => {
                    let jump = if arrives { f32_jump(DT / TAU * W) } else { 0.0 };
                    (1.0 - DT / TAU) * x + DT / TAU * B + jump
                }
            };
            want.push(x);
        }
        assert_eq!(v.len(), 8);
        for (k, (a, b)) in v.iter().zip(&want).enumerate() {
            assert!((a - b).abs() < 1e-12, "{d:?} sample {k}: {a} vs {b}");
        }
        // Input data steps 2 and 5 are grid points 3 and 6; the Threshold and
        // the IF behind it (jump r·w·dt = 2 > 1) fire in that same step.
        for pop in ["thr", "integ"] {
            let s = res.spikes_of(pop).unwrap();
            assert_eq!(s.steps, vec![3, 6], "{d:?} {pop}");
        }
        // the IF is reset in the step it fires: sample 3 is 0 again
        let v = res.state_of("integ", "v").unwrap().column(0);
        assert_eq!(v[3], 0.0, "{d:?}: {v:?}");
    }
}
