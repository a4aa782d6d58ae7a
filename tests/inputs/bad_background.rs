//! A population's Poisson `background` is refused, with file:line:field,
//! wherever it cannot run: the event engine, fixed-point mode, a target
//! without membrane, missing or malformed fields.

use std::path::Path;

use spikesim::model::validate::parse_model;

fn model(engine: &str, background: &str) -> String {
    format!(
        r#"[simulation]
dt = "0.1 ms"
duration = "10 ms"
engine = "{engine}"

[[population]]
name = "src"
size = 5
model = "poisson"
params = {{ rate = "5 Hz" }}

[[population]]
name = "exc"
size = 10
model = "cuba_lif"
params = {{ tau_m = "10 ms", v_rest = "-65 mV", v_th = "-50 mV", r_m = "40 Mohm", tau_syn = "0.5 ms" }}
background = {background}
"#
    )
}

const GOOD: &str = r#"{ rate = "8 Hz", indegree = 1600, weight = "87.8 pA", receptor = "exc" }"#;

fn refused(text: &str, line: usize, field: &str, fragment: &str) {
    let e = parse_model(Path::new("models/m.toml"), text).expect_err("must be refused");
    let msg = e.to_string();
    let at = format!("models/m.toml:{line}: {field}: ");
    assert!(msg.starts_with(&at), "expected {at:?} in {msg:?}");
    assert!(msg.contains(fragment), "expected {fragment:?} in {msg:?}");
}

#[test]
fn a_good_background_is_read_in_si() {
    let spec = parse_model(Path::new("m.toml"), &model("clock", GOOD)).unwrap();
    let b = spec.populations[1].background.as_ref().unwrap();
    assert_eq!((b.rate, b.indegree), (8.0, 1600));
    // Weights are carried as r_m * i: 40 Mohm * 87.8 pA = 3.512 mV.
    assert!((b.weight - 3.512e-3).abs() < 1e-12);
    assert!((b.events_per_step(1e-4) - 1.28).abs() < 1e-12);
}

#[test]
fn the_event_engine_refuses_a_background() {
    refused(
        &model("event", GOOD),
        17,
        "population[exc].background",
        "clock engine only",
    );
}

#[test]
fn missing_and_malformed_fields_are_named() {
    let cases = [
        (
            r#"{ indegree = 10, weight = "1 pA" }"#,
            "population[exc].background.rate",
            "missing",
        ),
        (
            r#"{ rate = "8 Hz", weight = "1 pA" }"#,
            "population[exc].background.indegree",
            "missing",
        ),
        (
            r#"{ rate = "8 Hz", indegree = 10 }"#,
            "population[exc].background.weight",
            "missing",
        ),
        (
            r#"{ rate = "8 mV", indegree = 10, weight = "1 pA" }"#,
            "population[exc].background.rate",
            "expected",
        ),
        (
            r#"{ rate = "-8 Hz", indegree = 10, weight = "1 pA" }"#,
            "population[exc].background.rate",
            "negative",
        ),
        (
            r#"{ rate = "8 Hz", indegree = 0, weight = "1 pA" }"#,
            "population[exc].background.indegree",
            "positive",
        ),
        (
            r#"{ rate = "8 Hz", indegree = 1.5, weight = "1 pA" }"#,
            "population[exc].background.indegree",
            "whole number",
        ),
        (
            r#"{ rate = "8 Hz", indegree = 10, weight = "1 pA", receptor = "nmda" }"#,
            "population[exc].background.receptor",
            "unknown receptor",
        ),
        (
            r#"{ rate = "8 Hz", indegree = 10, weight = { uniform = ["1 pA", "2 pA"] } }"#,
            "population[exc].background.weight",
            "one value",
        ),
        (
            r#"{ rate = "8 Hz", indegree = 10, weight = "1 pA", delay = "1 ms" }"#,
            "population[exc].background.delay",
            "unknown parameter",
        ),
        (
            r#"{ rate = "1e9 Hz", indegree = 100000, weight = "1 pA" }"#,
            "population[exc].background.rate",
            "events per neuron and step",
        ),
    ];
    for (background, field, fragment) in cases {
        refused(&model("clock", background), 17, field, fragment);
    }
}

#[test]
fn a_source_takes_no_background() {
    let text = model("clock", GOOD).replace(
        "params = { rate = \"5 Hz\" }",
        "params = { rate = \"5 Hz\" }\nbackground = { rate = \"8 Hz\", indegree = 1, weight = \"1 pA\" }",
    );
    refused(
        &text,
        11,
        "population[src].background",
        "takes no background",
    );
}

#[test]
fn fixed_point_mode_refuses_a_background() {
    let text = std::fs::read_to_string("models/fixed_point_demo.toml").unwrap().replace(
        "init = { u = 0, v = 0 }",
        "init = { u = 0, v = 0 }\nbackground = { rate = \"8 Hz\", indegree = 1, weight = \"1 pA\" }",
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("background"))
        .unwrap()
        + 1;
    refused(
        &text,
        line,
        "population[exc].background",
        "fixed-point mode",
    );
}
