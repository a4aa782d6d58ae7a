//! Bad fixed-point input (and fixed-point keys in float models) gets a clear
//! message naming the file, line and field, exit status 1 and no panic, as
//! in `bad_input.rs`.

use std::process::Command;

const GOOD: &str = r#"[simulation]
arithmetic = "fixed"
steps = 20

[[population]]
name = "in"
size = 3
model = "spike_pattern"
pattern = [[1, 0], [0, 1], [1, 1]]

[[population]]
name = "n"
size = 2
model = "lif"
params = { du = 100, dv = 50, vth = 10, bias_mant = 0, bias_exp = 0 }
init = { u = 0, v = [0, 5] }

[[projection]]
from = "in"
to = "n"
connect = { dense = [[1, 2, 3], [4, 5, 6]] }
weight_exp = 2

[[record]]
population = "n"
variables = ["u", "v"]
"#;

const FLOAT: &str = r#"[simulation]
dt = "0.1 ms"
duration = "10 ms"

[[population]]
name = "n"
size = 10
model = "lif"
params = { tau_m = "20 ms", v_rest = "-65 mV", v_th = "-50 mV" }

[[projection]]
from = "n"
to = "n"
connect = { fixed_probability = 0.1 }
weight = "0.5 mV"
"#;

fn spikesim(args: &[&str], model: &str) -> (Option<i32>, String, bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.toml");
    std::fs::write(&path, model).unwrap();
    let out = dir.path().join("out.h5");
    let output = Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .args(args)
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        out.exists(),
    )
}

fn assert_fails(text: &str, fragments: &[&str]) {
    let (code, stderr, wrote) = spikesim(&["run"], text);
    assert_eq!(code, Some(1), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains("model.toml:"),
        "names file and line: {stderr}"
    );
    for f in fragments {
        assert!(stderr.contains(f), "expected {f:?} in: {stderr}");
    }
    assert!(!wrote, "no results file after a failed run");
}

#[test]
fn the_good_model_runs_without_warnings() {
    let (code, stderr, wrote) = spikesim(&["run"], GOOD);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(wrote);
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn unrepresentable_neuron_values_are_errors() {
    let p = "params = { du = 100, dv = 50, vth = 10, bias_mant = 0, bias_exp = 0 }";
    for (bad, fragments) in [
        (
            "du = 5000",
            vec![
                "model.toml:15",
                "population[n].params.du",
                "5000 cannot be represented",
                "0, 4095",
            ],
        ),
        (
            "du = -1",
            vec!["population[n].params.du", "-1 cannot be represented"],
        ),
        (
            "dv = 4096",
            vec!["population[n].params.dv", "4096 cannot be represented"],
        ),
        (
            "vth = 3000000000",
            vec!["population[n].params.vth", "cannot be represented"],
        ),
        (
            "vth = 1.5",
            vec!["population[n].params.vth", "expected an integer"],
        ),
        (
            "vth = \"10 mV\"",
            vec!["population[n].params.vth", "expected an integer"],
        ),
        (
            "bias_mant = 40000",
            vec![
                "population[n].params.bias_mant",
                "40000 cannot be represented",
            ],
        ),
        (
            "bias_mant = [1, 2, 3]",
            vec![
                "population[n].params.bias_mant",
                "array of 2 integers",
                "got an array of 3",
            ],
        ),
        (
            "bias_exp = 40",
            vec!["population[n].params.bias_exp", "40 cannot be represented"],
        ),
        (
            "tau_m = \"20 ms\"",
            vec![
                "population[n].params.tau_m",
                "unknown fixed-point parameter",
            ],
        ),
    ] {
        // The parameter replaced (or added) in the good model.
        let key = bad.split(" = ").next().unwrap();
        let mut fields = vec![
            "du = 100",
            "dv = 50",
            "vth = 10",
            "bias_mant = 0",
            "bias_exp = 0",
        ];
        match fields
            .iter()
            .position(|f| f.starts_with(&format!("{key} = ")))
        {
            Some(i) => fields[i] = bad,
            None => fields.push(bad),
        }
        let text = GOOD.replace(p, &format!("params = {{ {} }}", fields.join(", ")));
        assert_fails(&text, &fragments);
    }
    assert_fails(
        &GOOD.replace(
            "bias_mant = 0, bias_exp = 0",
            "bias_mant = 4095, bias_exp = 20",
        ),
        &["population[n].params.bias_exp", "does not fit 32 bits"],
    );
    assert_fails(
        &GOOD.replace("init = { u = 0,", "init = { u = 5000000000,"),
        &[
            "model.toml:16",
            "population[n].init.u",
            "cannot be represented",
        ],
    );
    assert_fails(
        &GOOD.replace("init = { u = 0,", "init = { i_syn_e = 0, u = 0,"),
        &[
            "population[n].init.i_syn_e",
            "unknown fixed-point parameter",
        ],
    );
}

#[test]
fn bad_projections_are_errors() {
    let dense = "connect = { dense = [[1, 2, 3], [4, 5, 6]] }";
    for (bad, fragments) in [
        (
            "connect = { dense = [[1, 2], [4, 5]] }",
            vec![
                "model.toml:21",
                "projection[0].connect",
                "2 rows (targets) of 3 numbers (sources)",
            ],
        ),
        (
            "connect = { dense = [[1, 2, 3]] }",
            vec!["projection[0].connect", "2 rows (targets) of 3"],
        ),
        (
            "connect = { dense = [[1, 2.5, 3], [4, 5, 6]] }",
            vec!["projection[0].connect", "integers", "2.5"],
        ),
        (
            "connect = { dense = [[1, 2, 3], [4, 5, 1e10]] }",
            vec!["projection[0].connect", "integers"],
        ),
        (
            "connect = \"all_to_all\"",
            vec!["projection[0].weight", "missing: an integer weight"],
        ),
        (
            "connect = \"all_to_all\"\nweight = \"1 mV\"",
            vec!["projection[0].weight", "integers"],
        ),
        (
            "connect = \"all_to_all\"\nweight = 2.5",
            vec!["projection[0].weight", "integers"],
        ),
        (
            "connect = { list = \"x.csv\" }",
            vec!["projection[0].connect"],
        ),
        (
            &format!("{dense}\nweight = 3"),
            vec!["projection[0].weight", "dense matrix carries its weights"],
        ),
        (
            &format!("{dense}\nnum_weight_bits = 9"),
            vec!["projection[0].num_weight_bits", "1..=8"],
        ),
        (
            &format!("{dense}\nnum_weight_bits = 0"),
            vec!["projection[0].num_weight_bits", "1..=8"],
        ),
        (
            &format!("{dense}\nsign_mode = \"both\""),
            vec!["projection[0].sign_mode", "unknown sign mode"],
        ),
        (
            &format!("{dense}\ndelay = \"2 ms\""),
            vec!["projection[0].delay", "one-step pipeline"],
        ),
        (
            &format!("{dense}\nreceptor = \"exc\""),
            vec!["projection[0].receptor"],
        ),
        (
            &format!("{dense}\nplasticity = {{ stdp = {{ tau_plus = \"20 ms\" }} }}"),
            vec!["projection[0].plasticity", "float mode only"],
        ),
        (
            &format!("{dense}\nweight_exp = 40"),
            vec!["projection[0].weight_exp", "-24..=24"],
        ),
    ] {
        let text = GOOD.replace(&format!("{dense}\nweight_exp = 2"), bad);
        assert_fails(&text, &fragments);
    }
    assert_fails(
        &GOOD.replace("from = \"in\"\nto = \"n\"", "from = \"n\"\nto = \"in\""),
        &["projection[0].to", "cannot receive synapses"],
    );
}

#[test]
fn bad_patterns_simulation_and_records_are_errors() {
    for (from, to, fragments) in [
        (
            "pattern = [[1, 0], [0, 1], [1, 1]]",
            "pattern = [[1, 0], [0, 1]]",
            vec!["population[in].pattern", "3 rows"],
        ),
        (
            "pattern = [[1, 0], [0, 1], [1, 1]]",
            "pattern = [[1, 0], [0, 1], [1]]",
            vec!["population[in].pattern", "same length"],
        ),
        (
            "pattern = [[1, 0], [0, 1], [1, 1]]",
            "pattern = [[1, 0], [0, 2], [1, 1]]",
            vec!["population[in].pattern", "0 or 1"],
        ),
        (
            "pattern = [[1, 0], [0, 1], [1, 1]]",
            "",
            vec!["population[in].pattern", "missing"],
        ),
        ("steps = 20", "steps = -3", vec!["simulation.steps"]),
        ("steps = 20", "", vec!["simulation.steps", "missing"]),
        (
            "steps = 20",
            "steps = 20\nduration = \"1 s\"",
            vec!["simulation.duration", "remove `duration`"],
        ),
        (
            "steps = 20",
            "steps = 20\nengine = \"event\"",
            vec!["simulation.engine", "clock engine"],
        ),
        (
            "arithmetic = \"fixed\"",
            "arithmetic = \"double\"",
            vec!["simulation.arithmetic", "unknown arithmetic"],
        ),
        (
            "model = \"lif\"",
            "model = \"cuba_lif\"",
            vec![
                "population[n].model",
                "\"lif\" (Loihi CUBA-LIF) and \"spike_pattern\"",
            ],
        ),
        (
            "variables = [\"u\", \"v\"]",
            "variables = [\"i_syn_e\"]",
            vec!["record[0].variables", "recordable: u, v"],
        ),
    ] {
        assert_fails(&GOOD.replace(from, to), &fragments);
    }
    assert_fails(
        &format!(
            "{GOOD}\n[[stimulus]]\nkind = \"current\"\npopulation = \"n\"\namplitude = \"1 nA\"\n"
        ),
        &["stimulus", "not available in fixed-point mode"],
    );
}

#[test]
fn fixed_point_keys_in_a_float_model_are_errors() {
    let hint = "only in fixed-point mode";
    assert_fails(
        &FLOAT.replace("v_th = \"-50 mV\" }", "v_th = \"-50 mV\", du = 3 }"),
        &["model.toml:9", "population[n].params.du", hint],
    );
    assert_fails(
        &FLOAT.replace("weight = \"0.5 mV\"", "weight = \"0.5 mV\"\nweight_exp = 2"),
        &["projection[0].weight_exp", hint],
    );
    assert_fails(
        &FLOAT.replace(
            "weight = \"0.5 mV\"",
            "weight = \"0.5 mV\"\nsign_mode = \"mixed\"",
        ),
        &["projection[0].sign_mode", hint],
    );
    assert_fails(
        &FLOAT.replace("duration = \"10 ms\"", "duration = \"10 ms\"\nsteps = 5"),
        &["simulation.steps", hint],
    );
    assert_fails(
        &FLOAT.replace("model = \"lif\"\nparams = { tau_m = \"20 ms\", v_rest = \"-65 mV\", v_th = \"-50 mV\" }", "model = \"spike_pattern\"\npattern = [[1]]"),
        &["population[n].pattern", hint],
    );
    assert_fails(
        &FLOAT.replace("duration = \"10 ms\"\n", ""),
        &["simulation.duration", "missing"],
    );
}

#[test]
fn quantize_and_compare_refuse_what_they_cannot_do() {
    let poisson = FLOAT.replace(
        "model = \"lif\"\nparams = { tau_m = \"20 ms\", v_rest = \"-65 mV\", v_th = \"-50 mV\" }",
        "model = \"poisson\"\nparams = { rate = \"5 Hz\" }",
    );
    let poisson = poisson.split("[[projection]]").next().unwrap().to_string();
    let (code, stderr, wrote) = spikesim(&["quantize"], &poisson);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("only lif and cuba_lif populations can be quantized"),
        "{stderr}"
    );
    assert!(!wrote);
    let (code, stderr, _) = spikesim(&["quantize"], GOOD);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("already in fixed point"), "{stderr}");

    let output = Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .args(["compare", "no/such/a.h5", "no/such/b.h5"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.starts_with("error: ") && stderr.contains("no/such/a.h5"),
        "{stderr}"
    );
}
