//! The exported graph itself, checked against the rules of the time grid
//! worked out by hand for the test models, and the refusals.

use std::path::Path;

use spikesim::model::validate::parse_model;
use spikesim::nir::export::{ExportError, export_spec};
use spikesim::nir::{Graph, Meta, Node};

use crate::models;

fn export(text: &str) -> Result<Graph, ExportError> {
    let spec = parse_model(Path::new("m.toml"), text).unwrap_or_else(|e| panic!("{e}"));
    export_spec(&spec).map(|(g, _)| g)
}

fn delay_of(g: &Graph, name: &str) -> Option<Vec<f64>> {
    match g.nodes.get(name)? {
        Node::Delay { delay } => Some(delay.data.clone()),
        other => panic!("{name} is a {}", other.type_name()),
    }
}

fn assert_close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-12 * b.abs().max(1e-12),
        "{what}: {a} vs {b}"
    );
}

#[test]
fn lif_parameters_make_each_graph_weight_the_jump() {
    let g = export(&models::lif_with_delays("clock")).unwrap();
    let Some(Node::LIF {
        tau,
        r,
        v_leak,
        v_threshold,
        v_reset,
    }) = g.nodes.get("a")
    else {
        panic!("a is not a LIF: {:?}", g.nodes.get("a"));
    };
    assert_eq!(tau.shape, vec![4]);
    for i in 0..4 {
        assert_eq!(tau.data[i], 10e-3);
        // The exact import's jump r w (1 - exp(-dt/tau)) equals w.
        assert_close(
            r.data[i] * (1.0 - (-1e-4f64 / 10e-3).exp()),
            1.0,
            "r (1 - e^(-dt/tau))",
        );
        // Shifted by the initial potential (v_rest): NIR states start at 0.
        assert_eq!(v_leak.data[i], 0.0);
        assert_close(v_threshold.data[i], 10e-3, "v_th");
        assert_close(v_reset.data[i], -2e-3, "v_reset");
    }
    assert_eq!(
        g.metadata.get("spikesim.v_offset.a"),
        Some(&Meta::Number(-70e-3))
    );
    // input -> a: dense [post][pre] times 6 mV.
    let Some(Node::Linear { weight }) = g.nodes.get("input->a.weight") else {
        panic!("no Linear for input->a");
    };
    assert_eq!(weight.shape, vec![4, 3]);
    let dense = [
        [1.0, 0.0, 0.5],
        [0.0, 1.0, 0.0],
        [0.7, 0.7, 0.7],
        [0.0, 0.0, 1.0],
    ];
    for (post, row) in dense.iter().enumerate() {
        for (pre, &entry) in row.iter().enumerate() {
            let expected = f64::from((6e-3 * entry) as f32);
            assert_eq!(weight.data[post * 3 + pre], expected, "w[{post}][{pre}]");
        }
    }
}

#[test]
fn delays_account_for_the_input_step_and_the_cycles_closing_edges() {
    let g = export(&models::lif_with_delays("clock")).unwrap();
    // input -> a: 3 steps, the input's data run one step ahead: 2 steps.
    assert_close(
        delay_of(&g, "input->a.delay").unwrap()[0],
        0.2e-3,
        "input->a",
    );
    // a -> b: not on a closing edge.
    assert_close(delay_of(&g, "a->b.delay").unwrap()[0], 0.5e-3, "a->b");
    // The walk from `input` reaches a, then b (a's first out-edge), then
    // b -> a closes the cycle a -> b -> a: one step shorter; a -> a closes
    // its own.
    assert_close(delay_of(&g, "b->a.delay").unwrap()[0], 0.9e-3, "b->a");
    assert_close(delay_of(&g, "a->a.delay").unwrap()[0], 0.1e-3, "a->a");
    let edges: Vec<(&str, &str)> = g
        .edges
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert!(edges.contains(&("input", "input->a.weight")));
    assert!(edges.contains(&("input->a.weight", "input->a.delay")));
    assert!(edges.contains(&("input->a.delay", "a")));
    assert!(edges.contains(&("a", "a.output")) && edges.contains(&("b", "b.output")));
    assert!(matches!(g.nodes.get("input"), Some(Node::Input { shape }) if shape == &vec![3]));
    assert_eq!(g.metadata.get("spikesim.dt"), Some(&Meta::Number(1e-4)));
    assert_eq!(
        g.metadata.get("spikesim.discretisation"),
        Some(&Meta::Text("exact".into()))
    );
}

#[test]
fn a_one_step_path_out_of_an_input_has_no_delay_node() {
    let text = models::lif_with_delays("clock").replace("delay = \"0.3 ms\"", "delay = \"0.1 ms\"");
    let g = export(&text).unwrap();
    assert!(!g.nodes.contains_key("input->a.delay"));
    assert!(
        g.edges
            .iter()
            .any(|(a, b)| a == "input->a.weight" && b == "a")
    );
}

#[test]
fn cuba_jump_input_is_a_cubalif_read_with_dirac_spikes() {
    let g = export(&models::cuba("clock")).unwrap();
    let Some(Node::CubaLIF {
        tau_syn,
        tau_mem,
        r,
        w_in,
        ..
    }) = g.nodes.get("c")
    else {
        panic!("c is not a CubaLIF");
    };
    assert_eq!(tau_syn.data, vec![4e-3; 3]);
    assert_eq!(tau_mem.data, vec![10e-3; 3]);
    // A Dirac spike of weight w moves r I by r w_in w / tau_syn = w.
    for i in 0..3 {
        assert_close(
            r.data[i] * w_in.data[i] / tau_syn.data[i],
            1.0,
            "r w_in / tau_syn",
        );
    }
    assert_eq!(
        g.metadata.get("spikesim.cuba_input"),
        Some(&Meta::Text("jump".into()))
    );
}

/// The export's error for `text`, which must name `field`.
fn refused(text: &str, field: &str) -> String {
    let e = export(text)
        .err()
        .unwrap_or_else(|| panic!("{field}: exported"));
    let message = e.to_string();
    assert!(message.contains(field), "{message} does not name {field}");
    assert!(message.contains("cannot be exported to NIR"), "{message}");
    message
}

#[test]
fn what_nir_cannot_express_is_refused_with_its_place() {
    let lif = models::lif_with_delays("clock");
    refused(
        &lif.replace(
            "v_th = \"-60 mV\" }",
            "v_th = \"-60 mV\", t_ref = \"2 ms\" }",
        ),
        "population[a].params.t_ref",
    );
    refused(
        &lif.replace(
            "model = \"spike_source\"\nparams = {",
            "model = \"poisson\"\nparams = { rate = \"10 Hz\" }\n#",
        ),
        "population[input].model",
    );
    refused(
        &(lif.clone()
            + "\n[[population]]\nname = \"x\"\nsize = 1\nmodel = \"adex\"\nparams = { }\n"),
        "population[x]",
    );
    let stdp = lif.replace(
        "weight = \"2.5 mV\"\ndelay = \"0.5 ms\"",
        "weight = \"2.5 mV\"\ndelay = \"0.5 ms\"\nplasticity = { stdp = { tau_plus = \"20 ms\", tau_minus = \"20 ms\", a_plus = \"0.01 mV\", a_minus = \"0.0105 mV\", w_min = \"0 mV\", w_max = \"5 mV\" } }",
    );
    refused(&stdp, "projection[a->b].plasticity");
    refused(
        &models::cuba("clock").replace("tau_syn = \"4 ms\"", "tau_syn_e = \"4 ms\", tau_syn_i = \"8 ms\"")
            .replace("receptor = \"exc\"", "receptor = \"exc\"\n\n[[projection]]\nname = \"x\"\nfrom = \"input\"\nto = \"c\"\nconnect = \"all_to_all\"\nweight = \"-1 mV\"\nreceptor = \"inh\"\ndelay = \"1 ms\""),
        "population[c].params.tau_syn_i",
    );
    // spikesim's default discrete_lif resets one update late.
    refused(
        &models::discrete().replace(", reset = \"value\", cuba", ", cuba"),
        "population[d2].params.reset",
    );
}
