//! Bad parameters of the astrocyte, AM-SU and meta models, and misplaced
//! tripartite / slow-inward-current projections, get a clear message naming
//! the file, line and field, a non-zero exit and no panic.

use std::path::PathBuf;
use std::process::Command;

/// Line numbers below refer to this text.
const GOOD: &str = r#"[simulation]
dt = "0.1 ms"
duration = "20 ms"

[[population]]
name = "exc"
size = 20
model = "lif"
params = { tau_m = "20 ms", v_rest = "-65 mV", v_th = "-50 mV", r_m = "100 Mohm" }

[[population]]
name = "astro"
size = 2
model = "astrocyte"
params = { tau_ip3 = "7 s", delta_ip3 = 5.0 }
init = { h = 0.8 }

[[population]]
name = "meta"
size = 10
model = "meta"
params = { tau_m = "20 ms", v_rest = "-65 mV", v_th = "-50 mV", rho_0 = "100 Hz", delta_u = "2 mV" }

[[population]]
name = "lb"
size = 10
model = "meta"
params = { firing = "levy_baxter", success = 0.5, g = "1 mV" }

[[population]]
name = "amsu"
size = 20
model = "amsu_lif"
params = { tau_m = "20 ms", v_rest = "-65 mV", v_th = "-50 mV", group_size = 10, tau_a = "1 s" }

[[projection]]
from = "exc"
to = "astro"
synapse = "tripartite"
connect = "all_to_all"
weight = 0.01

[[projection]]
from = "astro"
to = "exc"
synapse = "sic"
connect = "all_to_all"
weight = 1.0

[[projection]]
from = "exc"
to = "lb"
connect = "all_to_all"
weight = "0.5 mV"

[[record]]
population = "astro"
variables = ["ca", "ip3", "h"]
"#;

struct Outcome {
    code: Option<i32>,
    stderr: String,
    out: PathBuf,
    /// Keeps the folder (and any results file) until the checks are done.
    _dir: tempfile::TempDir,
}

fn run(args: &[&str], text: &str, file: &str) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join(file);
    std::fs::write(&model, text).unwrap();
    let out = dir.path().join("out.h5");
    let output = Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .args(args)
        .arg(&model)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    Outcome {
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        out,
        _dir: dir,
    }
}

fn assert_fails(text: &str, fragments: &[&str]) {
    let o = run(&["run"], text, "model.toml");
    assert_eq!(o.code, Some(1), "stderr: {}", o.stderr);
    assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
    assert!(
        o.stderr.starts_with("error: ") && o.stderr.contains("model.toml"),
        "{}",
        o.stderr
    );
    for f in fragments {
        assert!(o.stderr.contains(f), "expected {f:?} in: {}", o.stderr);
    }
    assert!(!o.out.exists(), "no results file after a failed run");
}

#[test]
fn the_good_model_runs() {
    let o = run(&["run"], GOOD, "model.toml");
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(!std::path::Path::new(&format!("{}.partial", o.out.display())).exists());
    // The astrocytes' recorded states: both cells, every 0.1 ms step of
    // the 20 ms, h starting at its `init` of 0.8.
    let results = spikesim::io::hdf5::read_results(&o.out).unwrap();
    for var in ["ca", "ip3", "h"] {
        let s = results.state_of("astro", var).expect(var);
        assert_eq!(s.neurons, [0, 1], "{var}");
        assert_eq!(s.rows(), 200, "{var}");
        assert_eq!(s.values.len(), 400, "{var}");
        assert!(s.values.iter().all(|v| v.is_finite() && *v >= 0.0), "{var}");
    }
    let h = results.state_of("astro", "h").unwrap();
    assert!((h.values[0] - 0.8).abs() < 1e-3 && (h.values[1] - 0.8).abs() < 1e-3);
}

#[test]
fn negative_astrocyte_time_constant() {
    assert_fails(
        &GOOD.replace("tau_ip3 = \"7 s\"", "tau_ip3 = \"-7 s\""),
        &[
            "model.toml:15",
            "population[astro].params.tau_ip3",
            "must be positive",
        ],
    );
}

#[test]
fn negative_concentration() {
    assert_fails(
        &GOOD.replace("delta_ip3 = 5.0", "delta_ip3 = -5.0"),
        &[
            "model.toml:15",
            "population[astro].params.delta_ip3",
            "must not be negative",
        ],
    );
}

#[test]
fn receptor_fraction_outside_zero_one() {
    assert_fails(
        &GOOD.replace("h = 0.8", "h = 1.5"),
        &["model.toml:16", "population[astro].init.h", "[0, 1]"],
    );
}

#[test]
fn success_probability_outside_zero_one() {
    assert_fails(
        &GOOD.replace("success = 0.5", "success = 1.5"),
        &[
            "model.toml:28",
            "population[lb].params.success",
            "probability",
            "[0, 1]",
        ],
    );
}

#[test]
fn negative_noise_scale() {
    assert_fails(
        &GOOD.replace("delta_u = \"2 mV\"", "delta_u = \"-2 mV\""),
        &[
            "model.toml:22",
            "population[meta].params.delta_u",
            "must be positive",
        ],
    );
}

#[test]
fn missing_noise_scale() {
    assert_fails(
        &GOOD.replace(", delta_u = \"2 mV\"", ""),
        &["population[meta].params.delta_u", "missing"],
    );
}

#[test]
fn unknown_firing_rule() {
    assert_fails(
        &GOOD.replace("firing = \"levy_baxter\"", "firing = \"poisson\""),
        &[
            "model.toml:28",
            "population[lb].params.firing",
            "unknown firing",
        ],
    );
}

#[test]
fn sigmoid_escape_takes_no_rate() {
    assert_fails(
        &GOOD.replace(
            "rho_0 = \"100 Hz\"",
            "firing = \"sigmoid\", rho_0 = \"100 Hz\"",
        ),
        &["population[meta].params.rho_0", "sigmoid"],
    );
}

#[test]
fn amsu_group_must_divide_the_population() {
    assert_fails(
        &GOOD.replace("group_size = 10", "group_size = 7"),
        &[
            "model.toml:34",
            "population[amsu].params.group_size",
            "divides",
        ],
    );
}

#[test]
fn tripartite_projection_onto_a_non_astrocyte() {
    let text = GOOD.replacen("to = \"astro\"", "to = \"meta\"", 1);
    assert_fails(
        &text,
        &[
            "model.toml:39",
            "projection[0].synapse",
            "ends in an astrocyte",
            "`meta` is a meta",
        ],
    );
}

#[test]
fn tripartite_projection_from_an_astrocyte() {
    let text = GOOD.replacen(
        "from = \"exc\"\nto = \"astro\"",
        "from = \"astro\"\nto = \"astro\"",
        1,
    );
    assert!(text != GOOD);
    assert_fails(
        &text,
        &["model.toml:39", "projection[0].synapse", "sends none"],
    );
}

#[test]
fn sic_from_a_non_astrocyte() {
    let text = GOOD.replacen("from = \"astro\"", "from = \"meta\"", 1);
    assert_fails(&text, &["projection[1].synapse", "comes from an astrocyte"]);
}

#[test]
fn sic_onto_a_membrane_without_resistance() {
    let text = GOOD.replace(", r_m = \"100 Mohm\"", "");
    assert_fails(&text, &["projection[1].to", "membrane resistance `r_m`"]);
}

#[test]
fn ordinary_synapse_onto_an_astrocyte() {
    let text = GOOD.replacen("synapse = \"tripartite\"\n", "", 1);
    assert_fails(
        &text,
        &["projection[0].synapse", "is an astrocyte", "tripartite"],
    );
}

#[test]
fn negative_tripartite_weight() {
    let text = GOOD.replace("weight = 0.01", "weight = -0.01");
    assert_fails(
        &text,
        &["model.toml:41", "projection[0].weight", "at least 0"],
    );
}

#[test]
fn astrocyte_variable_that_does_not_exist() {
    let text = GOOD.replace(
        "variables = [\"ca\", \"ip3\", \"h\"]",
        "variables = [\"v\"]",
    );
    assert_fails(
        &text,
        &["record[0].variables", "recordable: ca, ip3, h, sic"],
    );
}

/// The models without an event form run in the event engine, stepped on
/// the grid (`engine::event_grid`), with the LIF neurons that take their
/// slow inward current.
#[test]
fn the_event_engine_runs_the_grid_models() {
    let text = GOOD.replace(
        "duration = \"20 ms\"",
        "duration = \"20 ms\"\nengine = \"event\"",
    );
    let spec = spikesim::model::validate::parse_model(std::path::Path::new("model.toml"), &text)
        .expect("the event engine admits astrocyte, meta and amsu_lif");
    let results = spikesim::engine::simulate(&spec, &mut |_, _| {});
    for pop in ["exc", "astro", "meta", "lb", "amsu"] {
        assert!(results.spikes_of(pop).is_some(), "{pop} recorded");
    }
    assert_eq!(results.info.engine, "event");
}

#[test]
fn a_bad_tempotron_experiment_names_line_and_field() {
    let text = std::fs::read_to_string("models/meta_tempotron.toml")
        .unwrap()
        .replace("rate = \"5 Hz\"", "rate = \"-5 Hz\"");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exp.toml");
    std::fs::write(&path, text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .arg("tempotron")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("exp.toml:15") && stderr.contains("patterns.rate"),
        "{stderr}"
    );
}

#[test]
fn plasticity_on_a_tripartite_projection() {
    let text = GOOD.replacen(
        "synapse = \"tripartite\"\n",
        "synapse = \"tripartite\"\nplasticity = { stdp = { tau_plus = \"20 ms\" } }\n",
        1,
    );
    assert!(text != GOOD);
    assert_fails(&text, &["projection[0].plasticity", "glial or graded"]);
}

/// A spike source firing at 1 ms onto one `cond_lif` neuron; `{synapse}` is
/// replaced by the projection's weight, receptor or synapse lines.
const CONDUCTANCE: &str = r#"[simulation]
dt = "0.1 ms"
duration = "3 ms"

[[population]]
name = "s"
size = 1
model = "spike_source"
params = { spikes = [["1 ms"]] }

[[population]]
name = "c"
size = 1
model = "cond_lif"

[[projection]]
from = "s"
to = "c"
connect = "all_to_all"
{synapse}

[[record]]
population = "c"
variables = ["g_ex", "g_in"]
"#;

fn conductance_model(synapse: &str) -> String {
    CONDUCTANCE.replace("{synapse}", synapse)
}

#[test]
fn excitatory_conductance_weights_must_not_be_negative() {
    assert_fails(
        &conductance_model("weight = \"-6 nS\"\nreceptor = \"exc\""),
        &["projection[0].weight", "must not be negative"],
    );
    // A normal distribution can draw below zero unless its `min` says not.
    assert_fails(
        &conductance_model(
            "weight = { normal = { mean = \"6 nS\", std = \"2 nS\" } }\nreceptor = \"exc\"",
        ),
        &["projection[0].weight", "must not be negative"],
    );
    assert_fails(
        &conductance_model("weight = \"6 nS\"\nsynapse = \"current\""),
        &["projection[0].synapse", "without synaptic current"],
    );
    assert_fails(
        &conductance_model("weight = \"6 mV\""),
        &["projection[0].weight", "conductance"],
    );
}

/// The spike (grid point 10) arrives one step later: the conductance the
/// receptor names jumps by the weight's magnitude at grid point 11, the
/// other stays closed.
#[test]
fn a_conductance_weight_lands_in_its_receptor_with_its_magnitude() {
    for (synapse, open, closed) in [
        ("weight = \"6 nS\"\nreceptor = \"exc\"", "g_ex", "g_in"),
        ("weight = \"6 nS\"\nreceptor = \"inh\"", "g_in", "g_ex"),
        ("weight = \"-6 nS\"", "g_in", "g_ex"),
    ] {
        let o = run(
            &["run", "--no-plots"],
            &conductance_model(synapse),
            "model.toml",
        );
        assert_eq!(o.code, Some(0), "{synapse}: {}", o.stderr);
        let r = spikesim::io::hdf5::read_results(&o.out).unwrap();
        let g = &r.state_of("c", open).unwrap().values;
        assert!(g[..11].iter().all(|&x| x == 0.0), "{synapse}: {g:?}");
        assert!((g[11] - 6e-9).abs() < 1e-15, "{synapse}: {}", g[11]);
        assert!(g[12] < g[11] && g[12] > 0.0, "{synapse}: decays");
        let other = &r.state_of("c", closed).unwrap().values;
        assert!(other.iter().all(|&x| x == 0.0), "{synapse}");
    }
}
