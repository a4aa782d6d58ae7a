//! Values that parse but cannot be run are refused with an error naming the
//! file, the line and the field: quantities that overflow once scaled to SI,
//! runs of no step, models of no neuron, absurd recording intervals, weight
//! columns in the wrong unit, and experiment hyper-parameters out of range.

use std::path::{Path, PathBuf};
use std::process::Command;

use spikesim::model::validate::parse_model;

const GOOD: &str = r#"[simulation]
dt = "0.1 ms"
duration = "10 ms"

[[population]]
name = "exc"
size = 10
model = "lif"
params = { tau_m = "20 ms", v_rest = "-65 mV", v_th = "-50 mV", r_m = "100 Mohm", i_e = "0.1 nA" }

[[projection]]
from = "exc"
to = "exc"
connect = { fixed_probability = 0.1 }
weight = "0.5 mV"
delay = "1 ms"

[[record]]
population = "exc"
variables = ["v"]
every = 2
"#;

/// 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in the model"))
        + 1
}

/// `text` is refused with `file:line: field: ...` and every fragment.
fn refused(text: &str, line_needle: &str, field: &str, fragments: &[&str]) {
    let path = Path::new("models/m.toml");
    let e = parse_model(path, text).expect_err("the model must be refused");
    let msg = e.to_string();
    let at = format!("models/m.toml:{}: {field}: ", line_of(text, line_needle));
    assert!(msg.starts_with(&at), "expected {at:?} in {msg:?}");
    for f in fragments {
        assert!(msg.contains(f), "expected {f:?} in {msg:?}");
    }
}

#[test]
fn the_good_model_is_valid() {
    let spec = parse_model(Path::new("m.toml"), GOOD).unwrap();
    assert_eq!(spec.simulation.steps, 100);
    assert_eq!(spec.records[0].every, 2);
}

#[test]
fn quantities_that_overflow_once_scaled_are_refused() {
    // "1e308 GV" is a finite number of gigavolts and an infinite number of volts.
    refused(
        &GOOD.replace("v_th = \"-50 mV\"", "v_th = \"1e308 GV\""),
        "v_th",
        "population[exc].params.v_th",
        &["\"1e308 GV\"", "1e317 V", "outside the range"],
    );
    refused(
        &GOOD.replace("r_m = \"100 Mohm\"", "r_m = \"1e308 Mohm\""),
        "r_m",
        "population[exc].params.r_m",
        &["1e314 ohm"],
    );
    refused(
        &GOOD.replace("dt = \"0.1 ms\"", "dt = \"1e308 ms\""),
        "dt =",
        "simulation.dt",
        &["1e305 s"],
    );
    refused(
        &GOOD.replace("duration = \"10 ms\"", "duration = \"1e300 s\""),
        "duration",
        "simulation.duration",
        &["outside the range"],
    );
    // Subnormal once scaled: 1 / tau would be infinite.
    refused(
        &GOOD.replace("tau_m = \"20 ms\"", "tau_m = \"1e-320 s\""),
        "tau_m",
        "population[exc].params.tau_m",
        &["outside the range"],
    );
    // Each factor in range, their product not: r_m * i_e = 1e120 V.
    refused(
        &GOOD
            .replace("r_m = \"100 Mohm\"", "r_m = \"1e60 ohm\"")
            .replace("i_e = \"0.1 nA\"", "i_e = \"1e60 A\""),
        "i_e",
        "population[exc].params.i_e",
        &["membrane resistance"],
    );
}

#[test]
fn runs_without_a_step_are_refused() {
    refused(
        &GOOD.replace("duration = \"10 ms\"", "duration = \"0.04 ms\""),
        "dt =",
        "simulation.dt",
        &["longer than the duration", "no step"],
    );
    refused(
        &GOOD.replace("duration = \"10 ms\"", "duration = \"0 s\""),
        "dt =",
        "simulation.dt",
        &["no step"],
    );
    // Far too many steps (1e99 s of 0.1 ms).
    refused(
        &GOOD.replace("duration = \"10 ms\"", "duration = \"1e99 s\""),
        "duration",
        "simulation.duration",
        &["1e103 steps"],
    );
}

#[test]
fn a_model_without_population_is_refused() {
    let text = "[simulation]\ndt = \"0.1 ms\"\nduration = \"10 ms\"\n";
    refused(text, "[simulation]", "population", &["no [[population]]"]);
}

#[test]
fn recording_less_often_than_once_per_run_is_refused() {
    refused(
        &GOOD.replace("every = 2", "every = 9200000000000000000"),
        "every",
        "record[0].every",
        &["more than the run's 100 steps"],
    );
    refused(
        &GOOD.replace("every = 2", "every = 0"),
        "every",
        "record[0].every",
        &["positive"],
    );
    // Once per run is allowed.
    let spec = parse_model(
        Path::new("m.toml"),
        &GOOD.replace("every = 2", "every = 100"),
    )
    .unwrap();
    assert_eq!(spec.records[0].every, 100);
}

#[test]
fn a_probability_above_one_is_refused() {
    refused(
        &GOOD.replace("fixed_probability = 0.1", "fixed_probability = 1.0000001"),
        "fixed_probability",
        "projection[0].connect",
        &["[0, 1]"],
    );
}

#[test]
fn fixed_point_runs_need_a_step_and_a_population() {
    let text = "[simulation]\narithmetic = \"fixed\"\nsteps = 0\n";
    refused(text, "steps", "simulation.steps", &["[1, 10^12]"]);
    let text = "[simulation]\narithmetic = \"fixed\"\nsteps = 10\n";
    refused(text, "[simulation]", "population", &["no [[population]]"]);
}

fn with_list(dir: &Path, csv: &str, projection_weight: Option<&str>, synapse: &str) -> String {
    let list = dir.join("list.csv");
    std::fs::write(&list, csv).unwrap();
    let weight = projection_weight.map_or(String::new(), |w| format!("weight = \"{w}\"\n"));
    format!(
        r#"[simulation]
dt = "0.1 ms"
duration = "10 ms"

[[population]]
name = "n"
size = 2
model = "cuba_lif"
params = {{ tau_m = "20 ms", v_rest = "-65 mV", v_th = "-50 mV", r_m = "100 Mohm", tau_syn = "5 ms" }}

[[projection]]
from = "n"
to = "n"
connect = {{ list = {:?} }}
synapse = "{synapse}"
{weight}"#,
        list.display().to_string()
    )
}

#[test]
fn connection_list_weights_must_suit_the_synapse() {
    let dir = tempfile::tempdir().unwrap();
    // A time is no weight, whether or not the projection has its own.
    for weight in [None, Some("0.5 nA")] {
        refused(
            &with_list(dir.path(), "pre,post,weight_ms\n0,1,2\n", weight, "current"),
            "connect",
            "projection[0].connect",
            &["current synapses take current or voltage weights", "a time"],
        );
    }
    // A current on a delta synapse (a voltage jump) is refused.
    refused(
        &with_list(dir.path(), "pre,post,weight_nA\n0,1,2\n", None, "delta"),
        "connect",
        "projection[0].connect",
        &["delta synapses take voltage weights", "a current"],
    );
    // A right unit, but the projection's weight would never be used.
    refused(
        &with_list(
            dir.path(),
            "pre,post,weight_nA\n0,1,2\n",
            Some("0.5 nA"),
            "current",
        ),
        "weight =",
        "projection[0].weight",
        &["weight column"],
    );
    // A weight that overflows once scaled to SI.
    let e = parse_model(
        Path::new("m.toml"),
        &with_list(
            dir.path(),
            "pre,post,weight_GA\n0,1,1e308\n",
            None,
            "current",
        ),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("projection[0].connect") && e.contains("outside the range"),
        "{e}"
    );
    // The current weight, times r_m, is the drive the target receives.
    let spec = parse_model(
        Path::new("m.toml"),
        &with_list(dir.path(), "pre,post,weight_nA\n0,1,2\n", None, "current"),
    )
    .unwrap();
    let spikesim::model::spec::ConnectRule::List(syns) = &spec.projections[0].rule else {
        panic!("a list");
    };
    let w = syns[0].weight.unwrap();
    assert!((w - 2e-9 * 100e6).abs() < 1e-12, "{w}");
}

#[test]
fn the_cli_refuses_an_overflowing_model_with_exit_1_and_no_results() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.toml");
    std::fs::write(
        &model,
        GOOD.replace("v_th = \"-50 mV\"", "v_th = \"1e308 GV\""),
    )
    .unwrap();
    let out = dir.path().join("out.h5");
    let o = Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .arg("run")
        .arg(&model)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("model.toml:9: population[exc].params.v_th"),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// Astrocytes with `tau_ip3` = 1e-16 s: RK4 multiplies IP3's distance
/// from rest `d` by `R = 1 + z + z²/2 + z³/6 + z⁴/24 ≈ 4.17e46` per step
/// (`z = -dt/tau_ip3 = -1e12`), and its last stage reaches `d·|z|³/(4 tau)`:
/// from `d = 1`, finite up to 0.6 ms (`d = R⁶ ≈ 5.23e279`), NaN at 0.7 ms
/// when that stage overflows (`k3 = -inf`, `k4 = +inf`). Before the check,
/// this wrote NaN traces and exited 0.
#[test]
fn the_cli_stops_a_run_whose_state_becomes_nan_with_exit_1_and_an_interrupted_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.toml");
    std::fs::write(
        &model,
        r#"
[simulation]
dt = "0.1 ms"
duration = "2 ms"

[[population]]
name = "glia"
size = 4
model = "astrocyte"
params = { tau_ip3 = "1e-16 s" }
init = { ip3 = [0.16, 0.16, 1.16, 0.16] }

[[record]]
population = "glia"
variables = ["ip3", "ca"]
"#,
    )
    .unwrap();
    let out = dir.path().join("out.h5");
    let o = Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .arg("run")
        .arg(&model)
        .arg("--out")
        .arg(&out)
        .arg("--no-plots")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    let z: f64 = -1e12;
    let r = 1.0 + z + z * z / 2.0 + z.powi(3) / 6.0 + z.powi(4) / 24.0;
    let last = format!("{:.3e}", 0.16 + r.powi(6));
    assert!(
        stderr.contains(
            "error: population `glia`, neuron 2: `ip3` became NaN at t = 0.7 ms (last finite value "
        ),
        "{stderr}"
    );
    let printed = stderr.split("last finite value ").nth(1).unwrap();
    let value: f64 = printed.split(' ').next().unwrap().parse().unwrap();
    assert_eq!(format!("{value:.3e}"), last, "{stderr}");
    assert!(printed.contains(" uM at t = 0.6 ms)"), "{stderr}");
    // The file holds the run up to the epoch boundary where it stopped,
    // marked as interrupted, and no value that is not finite.
    let r = spikesim::io::hdf5::read_results(&out).expect("an interrupted file");
    let reached = r.info.reached.expect("marked as interrupted");
    assert!(reached >= 0.0007 && reached <= r.info.duration, "{reached}");
    assert!(
        r.states
            .iter()
            .flat_map(|s| &s.values)
            .all(|v| v.is_finite())
    );
}

// ----- experiment files ---------------------------------------------------

fn shipped(name: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

/// Replacing `from` by `to` in the shipped file makes `parse` fail at the
/// line of `to` with the field and every fragment.
fn experiment_refused<T: std::fmt::Debug>(
    name: &str,
    parse: fn(&Path, &str) -> Result<T, spikesim::model::ModelError>,
    from: &str,
    to: &str,
    field: &str,
    fragments: &[&str],
) {
    let (path, text) = shipped(name);
    assert!(text.contains(from), "{name} has no {from:?}");
    parse(&path, &text).unwrap_or_else(|e| panic!("{name} as shipped: {e}"));
    let bad = text.replacen(from, to, 1);
    let msg = parse(&path, &bad).expect_err(to).to_string();
    let last = to.lines().last().unwrap();
    let at = format!("{name}:{}: {field}: ", line_of(&bad, last));
    assert!(msg.contains(&at), "expected {at:?} in {msg:?}");
    for f in fragments {
        assert!(msg.contains(f), "expected {f:?} in {msg:?}");
    }
}

#[test]
fn training_hyper_parameters_have_ranges() {
    use spikesim::learn::train::experiment::parse_experiment as p;
    let e = "train_spike_digits.toml";
    let huge = "9200000000000000000";
    experiment_refused(
        e,
        p,
        "lr = 2e-3",
        "lr = 9.2e18",
        "training.lr",
        &["must be ≤ 10"],
    );
    experiment_refused(
        e,
        p,
        "lr = 2e-3",
        "lr = nan",
        "training.lr",
        &["must be > 0"],
    );
    let epochs = format!("epochs = {huge}");
    experiment_refused(
        e,
        p,
        "epochs = 15",
        &epochs,
        "training.epochs",
        &["≤ 1000000"],
    );
    let batch = format!("batch_size = {huge}");
    experiment_refused(
        e,
        p,
        "batch_size = 32",
        &batch,
        "training.batch_size",
        &["≤ 1000000"],
    );
    experiment_refused(
        e,
        p,
        "batch_size = 32",
        "batch_size = 0",
        "training.batch_size",
        &["≥ 1"],
    );
    experiment_refused(
        e,
        p,
        "init_gain = 2.0",
        "init_gain = 1e300",
        "training.init_gain",
        &["≤ 100"],
    );
    experiment_refused(
        e,
        p,
        "surrogate_scale = 10",
        "surrogate_scale = 1e30",
        "training.surrogate_scale",
        &["≤ 10000"],
    );
    experiment_refused(
        e,
        p,
        "threshold = 1.0",
        "threshold = 1e300",
        "layer[0].threshold",
        &["≤ 1000000"],
    );
    experiment_refused(
        e,
        p,
        "dt = \"1 ms\"",
        "dt = \"1 ms\"\nduration = \"1e6 s\"",
        "data.duration",
        &["1e9 steps"],
    );
    experiment_refused(
        e,
        p,
        "dt = \"1 ms\"",
        "dt = \"1 ms\"\nduration = \"0.5 ms\"",
        "data.duration",
        &["no step"],
    );
}

#[test]
fn delay_learning_hyper_parameters_have_ranges() {
    use spikesim::learn::train::experiment::parse_experiment as p;
    let e = "train_delays_synth.toml";
    let (_, text) = shipped(e);
    let max = text
        .lines()
        .find(|l| l.contains("max_delay"))
        .expect("a delay layer");
    let start = max.find("max_delay").unwrap();
    let value_start = start + max[start..].find('"').unwrap();
    let value_end = value_start + 1 + max[value_start + 1..].find('"').unwrap();
    let old = &max[start..=value_end];
    experiment_refused(
        e,
        p,
        old,
        "max_delay = \"1e90 s\"",
        "layer[0].delays.max_delay",
        &["steps of dt"],
    );
}

#[test]
fn continual_hyper_parameters_have_ranges() {
    use spikesim::learn::continual::experiment::parse_continual as p;
    let e = "continual_split_digits.toml";
    experiment_refused(
        e,
        p,
        "lr_continual = 0.01",
        "lr_continual = 9.2e18",
        "continual.lr_continual",
        &["≤ 10"],
    );
    experiment_refused(
        e,
        p,
        "ewc_lambda = 1000.0",
        "ewc_lambda = 1e300",
        "continual.ewc_lambda",
        &["≤ 1000000000000"],
    );
    experiment_refused(
        e,
        p,
        "replay_batch = 16",
        "replay_batch = 9200000000000000000",
        "continual.replay_batch",
        &["≤ 1000000"],
    );
    experiment_refused(
        e,
        p,
        "classes_per_task = 2",
        "classes_per_task = 9200000000000000000",
        "continual.classes_per_task",
        &["≤ 10000"],
    );
    let p_perm: fn(&Path, &str) -> _ = p;
    experiment_refused(
        "continual_permuted_digits.toml",
        p_perm,
        "iterations = 5",
        "iterations = 9200000000000000000",
        "hlop.iterations",
        &["≤ 10000"],
    );
}

#[test]
fn tempotron_hyper_parameters_have_ranges() {
    use spikesim::learn::tempotron::experiment::parse as p;
    let e = "meta_tempotron.toml";
    let (_, text) = shipped(e);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("learning_rate"))
        .unwrap();
    experiment_refused(
        e,
        p,
        line,
        "learning_rate = 9.2e18",
        "training.learning_rate",
        &["≤ 10"],
    );
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("duration"))
        .unwrap();
    experiment_refused(
        e,
        p,
        line,
        "duration = \"1e90 s\"",
        "patterns.duration",
        &["steps of dt per sample"],
    );
}

#[test]
fn poisson_rates_above_one_spike_per_step_are_refused() {
    // 1e15 Hz made the event engine emit 3e12 spikes in 3 ms (a hang found
    // by tests/fuzz_models.rs).
    let text = GOOD.replace(
        "[[projection]]",
        "[[population]]\nname = \"input\"\nsize = 5\nmodel = \"poisson\"\nparams = { rate = \"1e15 Hz\" }\n\n[[projection]]",
    );
    refused(
        &text,
        "1e15 Hz",
        "population[input].params.rate",
        &["more than one spike per step", "1e4 Hz"],
    );
    // 10 kHz at dt = 0.1 ms is one spike per step on average: allowed.
    let text = text.replace("1e15 Hz", "10 kHz");
    parse_model(Path::new("m.toml"), &text).unwrap();
}

/// Found by tests/fuzz_models.rs: an empty projection (here p = 0) gave the
/// event engine an epoch of 0 s, and the run never ended.
#[test]
fn an_empty_projection_does_not_stall_the_event_engine() {
    let model = |engine: &str| {
        GOOD.replace("fixed_probability = 0.1", "fixed_probability = 0")
            .replace("i_e = \"0.1 nA\"", "i_e = \"0.2 nA\"")
            .replace(
                "duration = \"10 ms\"",
                &format!("duration = \"50 ms\"\nengine = \"{engine}\""),
            )
    };
    let spikes = |engine: &str| {
        let spec = parse_model(Path::new("m.toml"), &model(engine)).unwrap();
        assert_eq!(spikes_engine(&spec), engine);
        let results = spikesim::engine::simulate(&spec, &mut |_, _| {});
        results.spikes_of("exc").unwrap().len()
    };
    // 20 mV of drive over a 15 mV gap: each neuron fires once in 50 ms
    // (t = 20 ms · ln 4 ≈ 27.7 ms), in both engines.
    assert_eq!(spikes("event"), 10);
    assert_eq!(spikes("clock"), 10);
}

fn spikes_engine(spec: &spikesim::model::ModelSpec) -> &'static str {
    match spec.simulation.engine {
        spikesim::model::spec::EngineKind::Clock => "clock",
        spikesim::model::spec::EngineKind::Event => "event",
    }
}

/// Without a refractory period a LIF neuron whose resting drive lies far
/// above threshold refires `tau_m ln((v - v_reset) / (v - v_th))` after each
/// reset: with `v_rest` at 4.3e6 V that is 2.8e-11 s, 1e8 spikes in 3 ms,
/// which the event engine would compute one by one (the fuzzer's last
/// hang). Refused there with the interval; the clock engine (one spike per
/// step) and a drive whose interval is above dt / 1000 still run.
#[test]
fn a_resting_drive_that_refires_many_times_per_step_is_refused_on_the_event_engine() {
    let event = GOOD.replace(
        "duration = \"10 ms\"",
        "duration = \"10 ms\"\nengine = \"event\"",
    );
    let far = event.replace(
        "v_rest = \"-65 mV\"",
        "v_rest = \"4294967296 mV\", v_reset = \"-70 mV\"",
    );
    assert_ne!(far, event);
    let clock = far.replace("engine = \"event\"", "engine = \"clock\"");
    parse_model(Path::new("m.toml"), &clock).expect("the clock engine runs it");
    // v = v_rest + r_m i_e against v_reset = -70 mV and v_th = -50 mV.
    let v: f64 = 4294967.296 + 100e6 * 0.1e-9;
    let interval = 20e-3 * ((v + 0.070) / (v + 0.050)).ln();
    assert!(interval < 1e-10, "{interval}");
    refused(
        &far,
        "v_rest = \"4294967296 mV\"",
        "population[exc].params",
        &[&format!("{interval:.3e} s"), "t_ref", "engine = \"clock\""],
    );
    // 100 V: about 1.2e-6 s between spikes, above dt / 1000 = 1e-7 s.
    let near = event.replace(
        "v_rest = \"-65 mV\"",
        "v_rest = \"100 V\", v_reset = \"-70 mV\"",
    );
    parse_model(Path::new("m.toml"), &near).expect("a pace the event engine can follow");
}

/// Potentials are offsets from `v_rest` in double precision: a resting
/// potential of -9.2e15 V (the fuzzer's) puts rounding errors of volts on a
/// membrane whose reset-to-threshold gap is 15 mV, which then crossed
/// threshold endlessly at one instant. A potential above 1e9 gaps is
/// refused, on either engine; 1e6 gaps still runs.
#[test]
fn potentials_too_large_to_resolve_the_threshold_are_refused() {
    let far = GOOD.replace(
        "v_rest = \"-65 mV\"",
        "v_rest = \"-9223372036854775808 mV\", v_reset = \"-65 mV\"",
    );
    refused(
        &far,
        "v_rest = \"-9223372036854775808 mV\"",
        "population[exc].params.v_rest",
        &["times the gap between v_reset and v_th", "double precision"],
    );
    // 1e6 times the 15 mV gap.
    let near = GOOD.replace(
        "v_rest = \"-65 mV\"",
        "v_rest = \"-15 kV\", v_reset = \"-65 mV\"",
    );
    parse_model(Path::new("m.toml"), &near).expect("a span double precision resolves");
}
