//! `[scale]`: sizes, synapse counts, background sources and weights scaled
//! as NEST's microcircuit example scales them, and the lost mean input put
//! back as a constant drive, checked against the formulas written out by
//! hand (van Albada et al. 2015: w / sqrt(K), DC = (1 - sqrt(K)) sum w k nu tau).

use std::path::Path;

use spikesim::model::overrides;
use spikesim::model::spec::{ConnectRule, NeuronKind, ValueSpec};
use spikesim::model::validate::parse_model;

const R_M: f64 = 40e6;

const MODEL: &str = r#"[simulation]
dt = "0.1 ms"
duration = "10 ms"

[scale]
neurons = 1.0
indegree = 1.0
rates = { A = "2 Hz", B = "5 Hz" }

[[population]]
name = "A"
size = 1000
model = "cuba_lif"
params = { tau_m = "10 ms", v_rest = "-65 mV", v_th = "-50 mV", r_m = "40 Mohm", i_e = "10 pA", tau_syn_e = "0.5 ms", tau_syn_i = "1 ms" }
background = { rate = "10 Hz", indegree = 200, weight = "50 pA", receptor = "exc" }

[[population]]
name = "B"
size = 300
model = "cuba_lif"
params = { tau_m = "10 ms", v_rest = "-65 mV", v_th = "-50 mV", r_m = "40 Mohm", tau_syn_e = "0.5 ms", tau_syn_i = "1 ms" }

[[projection]]
from = "A"
to = "B"
connect = { fixed_indegree = 100 }
weight = "20 pA"
receptor = "exc"

[[projection]]
from = "B"
to = "A"
connect = { fixed_indegree = 50 }
weight = { normal = { mean = "-80 pA", std = "8 pA" } }
receptor = "inh"
"#;

fn scaled(sets: &[&str]) -> spikesim::model::ModelSpec {
    let path = Path::new("models/m.toml");
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let text = overrides::apply(path, MODEL, &sets).unwrap();
    parse_model(path, &text).unwrap_or_else(|e| panic!("{e}"))
}

fn drive(spec: &spikesim::model::ModelSpec, pop: usize) -> f64 {
    match &spec.populations[pop].kind {
        NeuronKind::CubaLif(c) => match c.membrane.init_drive {
            ValueSpec::Constant(d) => d,
            ref other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1e-12)
}

#[test]
fn scale_one_leaves_the_model_as_written() {
    let spec = scaled(&[]);
    assert_eq!(spec.populations[0].size, 1000);
    assert_eq!(spec.projections[0].rule, ConnectRule::FixedIndegree(100));
    assert!(close(drive(&spec, 0), R_M * 10e-12));
    assert_eq!(drive(&spec, 1), 0.0);
}

#[test]
fn neurons_and_indegree_scale_sizes_counts_weights_and_add_the_lost_mean() {
    let spec = scaled(&["scale.neurons=0.5", "scale.indegree=0.25"]);
    let (a, b) = (&spec.populations[0], &spec.populations[1]);
    assert_eq!((a.size, b.size), (500, 150));
    assert_eq!(spec.projections[0].rule, ConnectRule::FixedIndegree(25));
    // 12.5 rounds half to even, as numpy's round in NEST's example.
    assert_eq!(spec.projections[1].rule, ConnectRule::FixedIndegree(12));
    // Weights / sqrt(0.25) = x2.
    assert_eq!(
        spec.projections[0].weight,
        ValueSpec::Constant(R_M * 40e-12)
    );
    match spec.projections[1].weight {
        ValueSpec::Normal { mean, std, .. } => {
            assert!(close(mean, R_M * -160e-12) && close(std, R_M * 16e-12));
        }
        ref other => panic!("{other:?}"),
    }
    let bg = a.background.as_ref().unwrap();
    assert_eq!(bg.indegree, 50);
    assert!(close(bg.weight, R_M * 100e-12));
    // DC (1 - sqrt K) * sum(w k nu tau) in amperes, times r_m:
    // A gets B's inhibition (-80 pA, 50 sources at 5 Hz, tau_syn_i = 1 ms)
    // and its background (50 pA, 200 sources at 10 Hz, tau_syn_e = 0.5 ms);
    // B gets A's excitation (20 pA, 100 sources at 2 Hz, 0.5 ms).
    let dc_a = 0.5 * (-80e-12 * 50.0 * 5.0 * 1e-3 + 50e-12 * 200.0 * 10.0 * 0.5e-3);
    let dc_b = 0.5 * (20e-12 * 100.0 * 2.0 * 0.5e-3);
    assert!(
        close(drive(&spec, 0), R_M * (10e-12 + dc_a)),
        "{}",
        drive(&spec, 0)
    );
    assert!(close(drive(&spec, 1), R_M * dc_b), "{}", drive(&spec, 1));
}

fn refused(sets: &[&str], edit: (&str, &str), field: &str, fragment: &str) {
    let path = Path::new("models/m.toml");
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let text = overrides::apply(path, &MODEL.replace(edit.0, edit.1), &sets).unwrap();
    let e = parse_model(path, &text).expect_err("must be refused");
    let msg = e.to_string();
    if !field.is_empty() {
        assert!(
            msg.contains(&format!(": {field}: ")),
            "expected {field:?} in {msg:?}"
        );
    }
    assert!(msg.contains(fragment), "expected {fragment:?} in {msg:?}");
    assert!(msg.starts_with("models/m.toml:"), "{msg}");
}

#[test]
fn bad_scalings_are_refused_with_the_field() {
    refused(&["scale.neurons=0"], ("", ""), "scale.neurons", "(0, 1000]");
    refused(
        &["scale.indegree=\"a lot\""],
        ("", ""),
        "scale.indegree",
        "(0, 1000]",
    );
    refused(
        &["scale.neurons=0.0001"],
        ("", ""),
        "scale.neurons",
        "would keep no neuron",
    );
    refused(
        &["scale.indegree=0.5"],
        ("B = \"5 Hz\"", "C = \"5 Hz\""),
        "scale.rates.C",
        "unknown population",
    );
    refused(
        &["scale.indegree=0.5"],
        (", B = \"5 Hz\"", ""),
        "scale.rates",
        "full-scale rate of `B`",
    );
    refused(
        &["scale.indegree=0.5"],
        ("B = \"5 Hz\"", "B = \"5 mV\""),
        "scale.rates.B",
        "expected",
    );
    refused(
        &["scale.neurons=0.5"],
        ("{ fixed_indegree = 100 }", "{ fixed_probability = 0.1 }"),
        "projection[0].connect",
        "fixed_total_number",
    );
    refused(
        &[],
        ("indegree = 1.0", "indegree = 1.0\nsynapses = 2"),
        "",
        "unknown field `synapses`",
    );
}
