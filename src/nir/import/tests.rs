//! Whole-graph imports checked against hand-computed weights, parameters
//! and delays (the brief's formulas evaluated by hand below each case), and
//! the errors.

use std::path::Path;

use super::text::{Plan, plan};
use super::*;
use crate::nir::{Graph, Node, Padding, Tensor};

fn t(shape: &[usize], data: &[f64]) -> Tensor {
    Tensor::new(shape.to_vec(), data.to_vec())
}

fn s(x: f64) -> Tensor {
    Tensor::scalar(x)
}

fn graph(nodes: Vec<(&str, Node)>, edges: &[(&str, &str)]) -> Graph {
    Graph {
        nodes: nodes.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        edges: edges
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        metadata: Default::default(),
    }
}

fn lif(n: usize, tau: &[f64], r: &[f64], v_leak: &[f64]) -> Node {
    Node::LIF {
        tau: t(&[n], tau),
        r: t(&[n], r),
        v_leak: t(&[n], v_leak),
        v_threshold: t(&[n], &vec![1.0; n]),
        v_reset: t(&[n], &vec![0.0; n]),
    }
}

fn opts(dt: f64) -> ImportOptions {
    ImportOptions {
        duration: Some(10.0 * dt),
        ..ImportOptions::new(dt)
    }
}

fn run(g: &Graph, o: &ImportOptions) -> Result<Plan, NirError> {
    plan(g, Path::new("g.nir"), o, false, "m_files")
}

fn model(p: &Plan) -> toml::Value {
    toml::from_str(&p.model).unwrap_or_else(|e| panic!("{e}\n{}", p.model))
}

/// The population table named `name`.
fn pop<'a>(m: &'a toml::Value, name: &str) -> &'a toml::Value {
    m["population"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no population {name}"))
}

/// Rows `(pre, post, weight, delay_s)` of the projection named `name`.
fn synapses(p: &Plan, name: &str) -> Vec<(u32, u32, f64, f64)> {
    let m = model(p);
    let proj = m["projection"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no projection {name}:\n{}", p.model));
    let file = proj["connect"]["list"].as_str().unwrap();
    let file = file.strip_prefix("m_files/").unwrap();
    let text = &p.files.iter().find(|f| f.0 == file).unwrap().1;
    let fixed_delay = proj.get("delay").map(|_| 0.0);
    text.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                c[0].parse().unwrap(),
                c[1].parse().unwrap(),
                c[2].parse().unwrap(),
                fixed_delay.unwrap_or_else(|| c[3].parse().unwrap()),
            )
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

fn quantity(v: &toml::Value) -> f64 {
    crate::model::units::parse_quantity(v.as_str().unwrap())
        .unwrap()
        .value
}

#[test]
fn paths_compose_and_sum_with_biases_in_the_rest_potential() {
    // input(2) -> fc (W = [[1, 2], [3, 4]], b = [0.5, -0.5]) -> sc (2, 10) -> lif
    // input(2) -> lin (identity) -> lif
    // Composed: diag(2, 10) W + I = [[3, 4], [30, 41]]; bias diag(2, 10) b = [1, -5].
    let g = graph(
        vec![
            ("input", Node::Input { shape: vec![2] }),
            (
                "fc",
                Node::Affine {
                    weight: t(&[2, 2], &[1.0, 2.0, 3.0, 4.0]),
                    bias: t(&[2], &[0.5, -0.5]),
                },
            ),
            (
                "sc",
                Node::Scale {
                    scale: t(&[2], &[2.0, 10.0]),
                },
            ),
            (
                "lin",
                Node::Linear {
                    weight: t(&[2, 2], &[1.0, 0.0, 0.0, 1.0]),
                },
            ),
            ("lif", lif(2, &[0.01, 0.02], &[2.0, 1.0], &[0.0, 0.1])),
            ("out", Node::Output { shape: vec![2] }),
        ],
        &[
            ("input", "fc"),
            ("fc", "sc"),
            ("sc", "lif"),
            ("input", "lin"),
            ("lin", "lif"),
            ("lif", "out"),
        ],
    );
    let dt = 1e-3;
    let p = run(&g, &opts(dt)).unwrap();
    // exact: J = r (1 - exp(-dt/tau)) w
    let g0 = 2.0 * (1.0 - (-0.1f64).exp());
    let g1 = 1.0 * (1.0 - (-0.05f64).exp());
    let want = [
        (0, 0, 3.0 * g0),
        (1, 0, 4.0 * g0),
        (0, 1, 30.0 * g1),
        (1, 1, 41.0 * g1),
    ];
    let got = synapses(&p, "input->lif");
    assert_eq!(got.len(), 4);
    for (pre, post, w) in want {
        let row = got.iter().find(|r| r.0 == pre && r.1 == post).unwrap();
        assert!(close(row.2, w), "{row:?} vs {w}");
        assert_eq!(row.3, 0.0);
    }
    let m = model(&p);
    let l = pop(&m, "lif");
    assert_eq!(l["model"].as_str(), Some("lif"));
    // v_rest = v_leak + r b = [0 + 2·1, 0.1 + 1·(-5)]
    let v_rest: Vec<f64> = l["params"]["v_rest"]
        .as_array()
        .unwrap()
        .iter()
        .map(quantity)
        .collect();
    assert!(
        close(v_rest[0], 2.0) && close(v_rest[1], -4.9),
        "{v_rest:?}"
    );
    let tau: Vec<f64> = l["params"]["tau_m"]
        .as_array()
        .unwrap()
        .iter()
        .map(quantity)
        .collect();
    assert_eq!(tau, vec![0.01, 0.02]);
    // uniform parameters collapse to scalars
    assert_eq!(quantity(&l["params"]["v_th"]), 1.0);
    assert_eq!(l["init"]["v"].as_str(), Some("0 V"));
    assert_eq!(l["record_spikes"].as_bool(), Some(true));
    assert_eq!(pop(&m, "input")["record_spikes"].as_bool(), Some(false));
    assert_eq!(m["simulation"]["engine"].as_str(), Some("clock"));
}

#[test]
fn nested_recurrent_graph_and_delays_give_the_dfs_delays() {
    // in(2) -> rec{input -> lif.a <-> w_rec (swap), lif.a -> output} -> d (2 ms, 0) -> post(IF)
    let inner = graph(
        vec![
            ("input", Node::Input { shape: vec![2] }),
            (
                "lif.a",
                Node::LIF {
                    tau: s(0.01),
                    r: s(1.0),
                    v_leak: s(0.0),
                    v_threshold: s(1.0),
                    v_reset: s(0.0),
                },
            ),
            (
                "w_rec",
                Node::Linear {
                    weight: t(&[2, 2], &[0.0, 1.0, 1.0, 0.0]),
                },
            ),
            ("output", Node::Output { shape: vec![2] }),
        ],
        &[
            ("input", "lif.a"),
            ("lif.a", "w_rec"),
            ("w_rec", "lif.a"),
            ("lif.a", "output"),
        ],
    );
    let g = graph(
        vec![
            ("in", Node::Input { shape: vec![2] }),
            ("rec", Node::Graph(inner)),
            (
                "d",
                Node::Delay {
                    delay: t(&[2], &[0.002, 0.0]),
                },
            ),
            (
                "post",
                Node::IF {
                    r: s(2.0),
                    v_threshold: s(1.0),
                    v_reset: s(0.0),
                },
            ),
            ("out", Node::Output { shape: vec![2] }),
        ],
        &[("in", "rec"), ("rec", "d"), ("d", "post"), ("post", "out")],
    );
    let dt = 1e-3;
    let p = run(&g, &opts(dt)).unwrap();
    let names: Vec<&str> = p.names.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, vec!["in", "post", "rec:lif_a"]);
    assert_eq!(p.names[2].0, "rec/lif.a");
    let j = 1.0 - (-0.1f64).exp();
    let fwd = synapses(&p, "in->rec:lif_a");
    assert_eq!(fwd.len(), 2);
    assert!(
        fwd.iter()
            .all(|r| r.0 == r.1 && close(r.2, j) && r.3 == 0.0)
    );
    // the edge w_rec -> lif.a closes the cycle: one step
    let rec = synapses(&p, "rec:lif_a->rec:lif_a (delayed)");
    assert_eq!(rec.len(), 2);
    assert!(
        rec.iter()
            .all(|r| r.0 != r.1 && close(r.2, j) && close(r.3, dt))
    );
    // IF (exact): J = r dt w; channel 0 two steps late, channel 1 now
    let now = synapses(&p, "rec:lif_a->post");
    assert_eq!(now.len(), 1);
    assert_eq!((now[0].0, now[0].1), (1, 1));
    assert!(close(now[0].2, 2.0 * dt));
    let late = synapses(&p, "rec:lif_a->post (delayed)");
    assert_eq!(late.len(), 1);
    assert_eq!((late[0].0, late[0].1), (0, 0));
    assert!(close(late[0].3, 2.0 * dt));
    let m = model(&p);
    let post = pop(&m, "post");
    assert_eq!(post["params"]["leak"].as_bool(), Some(false));
    assert_eq!(quantity(&post["params"]["tau_m"]), 1.0);
    assert!(
        m["projection"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x.get("allow_autapses").and_then(|v| v.as_bool()) == Some(true))
    );
}

#[test]
fn euler_and_snntorch_cuba_parameters() {
    // CubaLIF tau_syn 2 ms, tau_mem 4 ms, r 2, w_in 3, v_leak 0.5, v_reset 0.3,
    // fed by an Affine [[1]] with bias 1, dt = 1 ms:
    // dt/ts = 0.5, dt/tm = 0.25: alpha 0.5, beta 0.75,
    // weight = r w_in (dt/tm)(dt/ts) = 0.75, i_bias = 0.75 · 1, v_bias = 0.25 · 0.5.
    let g = graph(
        vec![
            ("x", Node::Input { shape: vec![1] }),
            (
                "fc",
                Node::Affine {
                    weight: t(&[1, 1], &[1.0]),
                    bias: t(&[1], &[1.0]),
                },
            ),
            (
                "c",
                Node::CubaLIF {
                    tau_syn: t(&[1], &[0.002]),
                    tau_mem: t(&[1], &[0.004]),
                    r: t(&[1], &[2.0]),
                    v_leak: t(&[1], &[0.5]),
                    w_in: t(&[1], &[3.0]),
                    v_threshold: t(&[1], &[1.0]),
                    v_reset: t(&[1], &[0.3]),
                },
            ),
            ("o", Node::Output { shape: vec![1] }),
        ],
        &[("x", "fc"), ("fc", "c"), ("c", "o")],
    );
    for (d, cuba, v_reset, notes) in [
        (Discretisation::Euler, "explicit", 0.3, 0),
        (Discretisation::Snntorch, "semi_implicit", 0.0, 1),
    ] {
        let o = ImportOptions {
            discretisation: d,
            ..opts(1e-3)
        };
        let p = run(&g, &o).unwrap();
        assert_eq!(p.notes.len(), notes, "{:?}", p.notes);
        let m = model(&p);
        let c = &pop(&m, "c")["params"];
        assert_eq!(pop(&m, "c")["model"].as_str(), Some("discrete_lif"));
        assert!(close(c["alpha"].as_float().unwrap(), 0.5));
        assert!(close(c["beta"].as_float().unwrap(), 0.75));
        assert_eq!(c["cuba"].as_str(), Some(cuba));
        assert_eq!(c["reset"].as_str(), Some("value"));
        assert!(close(quantity(&c["i_bias"]), 0.75));
        assert!(close(quantity(&c["v_bias"]), 0.125));
        assert!(close(quantity(&c["v_reset"]), v_reset));
        let w = synapses(&p, "x->c");
        assert_eq!(w.len(), 1);
        assert!(close(w[0].2, 0.75));
    }
    // exact: cuba_lif in forcing mode, W = r w_in w = 6, syn_drive = r w_in b = 6
    let p = run(&g, &opts(1e-3)).unwrap();
    let m = model(&p);
    let c = pop(&m, "c");
    assert_eq!(c["model"].as_str(), Some("cuba_lif"));
    assert_eq!(c["params"]["input"].as_str(), Some("forcing"));
    assert!(close(quantity(&c["params"]["syn_drive"]), 6.0));
    assert!(close(synapses(&p, "x->c")[0].2, 6.0));
    assert!(p.model.contains("synapse = \"current\""));
}

#[test]
fn a_convolution_becomes_its_sparse_connection_list() {
    // x (1, 3, 3) -> conv [[1, 0], [0, -1]] -> thr (1, 2, 2): each output
    // (y, x) gets +1 from input (y, x) and -1 from (y+1, x+1).
    let g = graph(
        vec![
            (
                "x",
                Node::Input {
                    shape: vec![1, 3, 3],
                },
            ),
            (
                "conv",
                Node::Conv2d {
                    weight: t(&[1, 1, 2, 2], &[1.0, 0.0, 0.0, -1.0]),
                    bias: t(&[1], &[0.0]),
                    stride: vec![1, 1],
                    padding: Padding::Valid,
                    dilation: vec![1, 1],
                    groups: 1,
                    input_shape: None,
                },
            ),
            (
                "thr",
                Node::Threshold {
                    threshold: t(&[1, 2, 2], &[0.5; 4]),
                },
            ),
            (
                "o",
                Node::Output {
                    shape: vec![1, 2, 2],
                },
            ),
        ],
        &[("x", "conv"), ("conv", "thr"), ("thr", "o")],
    );
    let p = run(&g, &opts(1e-3)).unwrap();
    let mut w = synapses(&p, "x->thr");
    w.sort_by_key(|r| (r.1, r.0));
    let want: Vec<(u32, u32, f64, f64)> = vec![
        (0, 0, 1.0, 0.0),
        (4, 0, -1.0, 0.0),
        (1, 1, 1.0, 0.0),
        (5, 1, -1.0, 0.0),
        (3, 2, 1.0, 0.0),
        (7, 2, -1.0, 0.0),
        (4, 3, 1.0, 0.0),
        (8, 3, -1.0, 0.0),
    ];
    assert_eq!(w, want);
    let m = model(&p);
    let thr = pop(&m, "thr");
    assert_eq!(thr["size"].as_integer(), Some(4));
    assert_eq!(thr["params"]["beta"].as_float(), Some(0.0));
    assert_eq!(quantity(&thr["params"]["v_th"]), 0.5);
}

fn error(g: &Graph, o: &ImportOptions) -> String {
    match run(g, o) {
        Ok(p) => panic!("expected an error, got\n{}", p.model),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unsupported_graphs_are_located_errors() {
    let li = Node::LI {
        tau: s(0.01),
        r: s(1.0),
        v_leak: s(0.0),
    };
    // a non-spiking node feeding another neuron node
    let g = graph(
        vec![
            ("x", Node::Input { shape: vec![1] }),
            ("li", li.clone()),
            (
                "w",
                Node::Linear {
                    weight: t(&[1, 1], &[1.0]),
                },
            ),
            ("lif", lif(1, &[0.01], &[1.0], &[0.0])),
        ],
        &[("x", "li"), ("li", "w"), ("w", "lif")],
    );
    let e = error(&g, &opts(1e-3));
    assert!(
        e.contains("node `li`") && e.contains("non-spiking") && e.contains("`w`"),
        "{e}"
    );
    // ... but it may feed an Output
    let g = graph(
        vec![
            ("x", Node::Input { shape: vec![1] }),
            ("li", li),
            ("o", Node::Output { shape: vec![1] }),
        ],
        &[("x", "li"), ("li", "o")],
    );
    let p = run(&g, &opts(1e-3)).unwrap();
    assert!(p.model.contains("variables = [\"v\"]"), "{}", p.model);
    // a loop of weights with no neuron in it
    let g = graph(
        vec![
            ("x", Node::Input { shape: vec![1] }),
            (
                "a",
                Node::Linear {
                    weight: t(&[1, 1], &[1.0]),
                },
            ),
            (
                "b",
                Node::Linear {
                    weight: t(&[1, 1], &[0.5]),
                },
            ),
            ("lif", lif(1, &[0.01], &[1.0], &[0.0])),
        ],
        &[("x", "a"), ("a", "b"), ("b", "a"), ("a", "lif")],
    );
    let e = error(&g, &opts(1e-3));
    assert!(
        e.contains("cycle through no neuron node") && e.contains("`a`") && e.contains("`b`"),
        "{e}"
    );
    // forward Euler with dt longer than tau
    let g = graph(
        vec![
            ("x", Node::Input { shape: vec![1] }),
            ("lif", lif(1, &[0.5e-3], &[1.0], &[0.0])),
        ],
        &[("x", "lif")],
    );
    let o = ImportOptions {
        discretisation: Discretisation::Euler,
        ..opts(1e-3)
    };
    let e = error(&g, &o);
    assert!(
        e.contains("node `lif`: field `tau`") && e.contains("--dt"),
        "{e}"
    );
    // mismatched sizes
    let g = graph(
        vec![
            ("x", Node::Input { shape: vec![3] }),
            ("lif", lif(2, &[0.01; 2], &[1.0; 2], &[0.0; 2])),
        ],
        &[("x", "lif")],
    );
    let e = error(&g, &opts(1e-3));
    assert!(
        e.contains("node `lif`: field `edges`") && e.contains("3 elements"),
        "{e}"
    );
    // a convolution too large to expand
    let g = graph(
        vec![
            (
                "x",
                Node::Input {
                    shape: vec![16, 128, 128],
                },
            ),
            (
                "conv",
                Node::Conv2d {
                    weight: Tensor::zeros(vec![16, 16, 3, 3]),
                    bias: Tensor::zeros(vec![16]),
                    stride: vec![1, 1],
                    padding: Padding::Same,
                    dilation: vec![1, 1],
                    groups: 1,
                    input_shape: None,
                },
            ),
            ("thr", Node::Threshold { threshold: s(1.0) }),
        ],
        &[("x", "conv"), ("conv", "thr")],
    );
    let e = error(&g, &opts(1e-3));
    assert!(
        e.contains("node `conv`: field `weight`") && e.contains("limit of 10000000"),
        "{e}"
    );
    // no duration
    let g = graph(
        vec![
            ("x", Node::Input { shape: vec![1] }),
            ("lif", lif(1, &[0.01], &[1.0], &[0.0])),
        ],
        &[("x", "lif")],
    );
    let e = error(&g, &ImportOptions::new(1e-3));
    assert!(e.contains("--duration"), "{e}");
}

#[test]
fn nothing_is_written_when_the_import_fails_and_everything_when_it_works() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sub").join("m.toml");
    let g = graph(
        vec![
            ("x", Node::Input { shape: vec![2] }),
            ("lif", lif(2, &[0.01; 2], &[1.0; 2], &[0.0; 2])),
        ],
        &[("x", "lif")],
    );
    let e = import_graph(
        &g,
        Path::new("g.nir"),
        &ImportOptions::new(1e-3),
        Recording::Outputs,
        &out,
    );
    assert!(e.is_err());
    assert!(
        !dir.path().join("sub").exists()
            || std::fs::read_dir(dir.path().join("sub"))
                .unwrap()
                .next()
                .is_none()
    );
    let spikes = dir.path().join("in.csv");
    std::fs::write(&spikes, "neuron,step\n1,0\n0,4\n").unwrap();
    let o = ImportOptions {
        input: Some(spikes),
        ..ImportOptions::new(1e-3)
    };
    let done = import_graph(&g, Path::new("g.nir"), &o, Recording::Outputs, &out).unwrap();
    assert_eq!(done.files, dir.path().join("sub").join("m_files"));
    let text = std::fs::read_to_string(&out).unwrap();
    // duration: the last input step (4) acts in step 4 -> 5
    assert!(text.contains("duration = \"0.005 s\""), "{text}");
    let input = std::fs::read_to_string(done.files.join("input_0.csv")).unwrap();
    assert_eq!(input, "neuron,time_s\n1,0.001\n0,0.005\n");
    // again over the first import: replaced, no leftovers beside it
    import_graph(&g, Path::new("g.nir"), &o, Recording::Outputs, &out).unwrap();
    let mut left: Vec<String> = std::fs::read_dir(dir.path().join("sub"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, vec!["m.toml", "m_files"]);
}
