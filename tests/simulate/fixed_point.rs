//! Fixed-point mode beyond the Lava replays (`fixed_point_lava.rs`): rules
//! checked against hand-computed integers, thread independence on a network
//! that is actually split, the results layout, warnings, and the quantized
//! CUBA network's rates against the float network's.

use crate::common;

use std::path::Path;
use std::process::Command;

use spikesim::io::results::Results;
use spikesim::model::validate::parse_model;

fn fixed(body: &str) -> String {
    format!("[simulation]\narithmetic = \"fixed\"\nsteps = 6\n\n{body}")
}

fn simulate(text: &str) -> Results {
    common::simulate(text)
}

/// `u` of neuron `n` after each step.
fn trace(r: &Results, pop: &str, var: &str, n: usize) -> Vec<i64> {
    let t = r.state_of(pop, var).expect("recorded");
    t.column(n).into_iter().map(|x| x as i64).collect()
}

const ONE_SPIKE: &str = r#"
[[population]]
name = "in"
size = 3
model = "spike_pattern"
pattern = [[1, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0]]

[[population]]
name = "n"
size = 1
model = "lif"
params = { du = 4095, dv = 4095, vth = 100000 }

[[record]]
population = "n"
variables = ["u", "v"]
"#;

#[test]
fn a_spike_at_step_t_reaches_u_at_step_t_plus_one() {
    // du = 4095 clears u each step, so u is exactly this step's a_in << 6.
    let r = simulate(&fixed(&format!(
        "{ONE_SPIKE}\n[[projection]]\nfrom = \"in\"\nto = \"n\"\nconnect = {{ dense = [[5, 0, 0]] }}\n"
    )));
    assert_eq!(trace(&r, "n", "u", 0), vec![0, 5 * 64, 0, 0, 0, 0]);
    let steps = &r.state_of("n", "u").unwrap().steps;
    assert_eq!(steps, &vec![1, 2, 3, 4, 5, 6]);
    // Source spikes carry the step numbers from 1.
    assert_eq!(r.spikes_of("in").unwrap().steps, vec![1, 1, 1]);
}

#[test]
fn the_exponent_scales_the_sum_not_each_weight() {
    // Three spikes of weight 1 with exponent -1: (1 + 1 + 1) >> 1 = 1, where
    // shifting each weight would give 0; exponent -2 gives 0; +3 gives 24.
    for (exp, a_in) in [(-1, 1), (-2, 0), (3, 24)] {
        let r = simulate(&fixed(&format!(
            "{ONE_SPIKE}\n[[projection]]\nfrom = \"in\"\nto = \"n\"\nconnect = \"all_to_all\"\nweight = 1\nweight_exp = {exp}\n"
        )));
        assert_eq!(trace(&r, "n", "u", 0)[1], a_in * 64, "exponent {exp}");
    }
    // Negative sums round down: -3 >> 1 = -2.
    let r = simulate(&fixed(&format!(
        "{ONE_SPIKE}\n[[projection]]\nfrom = \"in\"\nto = \"n\"\nconnect = \"all_to_all\"\nweight = -1\nweight_exp = -1\n"
    )));
    assert_eq!(trace(&r, "n", "u", 0)[1], -2 * 64);
}

#[test]
fn projections_into_one_target_add_after_their_own_exponents() {
    // 3 >> 1 = 1 and 3 << 2 = 12: a_in = 13 (not (3 + 3) scaled once).
    let r = simulate(&fixed(&format!(
        "{ONE_SPIKE}
[[projection]]
name = \"a\"
from = \"in\"
to = \"n\"
connect = \"all_to_all\"
weight = 1
weight_exp = -1

[[projection]]
name = \"b\"
from = \"in\"
to = \"n\"
connect = \"all_to_all\"
weight = 1
weight_exp = 2
"
    )));
    assert_eq!(trace(&r, "n", "u", 0)[1], 13 * 64);
}

#[test]
fn weights_are_clipped_and_truncated_once_at_build() {
    // Mixed 8-bit: 255 -> 254, -3 -> -4; the sum 250 reaches u at step 2.
    let r = simulate(&fixed(&format!(
        "{ONE_SPIKE}\n[[projection]]\nfrom = \"in\"\nto = \"n\"\nconnect = {{ dense = [[255, -3, 0]] }}\n"
    )));
    assert_eq!(trace(&r, "n", "u", 0)[1], 250 * 64);
    // Excitatory 5-bit: 300 -> 255 -> 248, 7 -> 0.
    let r = simulate(&fixed(&format!(
        "{ONE_SPIKE}\n[[projection]]\nfrom = \"in\"\nto = \"n\"\nconnect = {{ dense = [[300, 7, 0]] }}\nnum_weight_bits = 5\n"
    )));
    assert_eq!(trace(&r, "n", "u", 0)[1], 248 * 64);
}

#[test]
fn bias_only_neuron_matches_the_closed_recurrence_and_resets_v_only() {
    // dv = 0 (no leak), bias 3 << 2 = 12 per step, threshold 1 << 6 = 64:
    // v = 12, 24, ..., 72 > 64 at step 6 -> spike, v = 0; u stays at
    // its decaying initial value (du = 0 still loses 1/4096 per step).
    let r = simulate(&fixed(
        r#"
[[population]]
name = "n"
size = 1
model = "lif"
params = { du = 0, dv = 0, vth = 1, bias_mant = 3, bias_exp = 2 }
init = { u = 0 }

[[population]]
name = "m"
size = 1
model = "lif"
params = { du = 0, dv = 0, vth = 100000 }
init = { u = 8192 }

[[record]]
population = "n"
variables = ["u", "v"]

[[record]]
population = "m"
variables = ["u"]
"#,
    ));
    assert_eq!(trace(&r, "n", "v", 0), vec![12, 24, 36, 48, 60, 0]);
    assert_eq!(r.spikes_of("n").unwrap().steps, vec![6]);
    // 8192 * 4095 / 4096 = 8190 (toward zero), then 8188, ...
    assert_eq!(
        trace(&r, "m", "u", 0),
        vec![8190, 8188, 8186, 8184, 8182, 8180]
    );
}

/// A network large enough to be split into several slices per population.
fn split_network(threads: u32) -> String {
    let pattern: Vec<String> = (0..40)
        .map(|i| {
            let row: Vec<&str> = (0..13)
                .map(|k| if (i * 7 + k * 3) % 11 == 0 { "1" } else { "0" })
                .collect();
            format!("[{}]", row.join(", "))
        })
        .collect();
    format!(
        r#"[simulation]
arithmetic = "fixed"
steps = 300
threads = {threads}
seed = 11

[[population]]
name = "in"
size = 40
model = "spike_pattern"
pattern = [{}]

[[population]]
name = "exc"
size = 900
model = "lif"
params = {{ du = 300, dv = 150, vth = 600, bias_mant = 50, bias_exp = 3 }}

[[population]]
name = "inh"
size = 600
model = "lif"
params = {{ du = 300, dv = 150, vth = 600, bias_mant = 20, bias_exp = 3 }}

[[projection]]
from = "in"
to = "exc"
connect = {{ fixed_probability = 0.2 }}
weight = 150
weight_exp = 1

[[projection]]
from = "exc"
to = "exc"
connect = {{ fixed_indegree = 30 }}
weight = 25

[[projection]]
from = "exc"
to = "inh"
connect = {{ fixed_probability = 0.05 }}
weight = 40

[[projection]]
from = "inh"
to = "exc"
connect = {{ fixed_indegree = 20 }}
weight = -90
weight_exp = -1

[[record]]
population = "exc"
variables = ["u", "v"]

[[record]]
population = "inh"
variables = ["v"]
every = 7
neurons = [599, 0, 300]
"#,
        pattern.join(", ")
    )
}

#[test]
fn any_thread_count_gives_the_same_integers() {
    let one = simulate(&split_network(1));
    let spikes: usize = one.spikes.iter().map(|s| s.len()).sum();
    assert!(spikes > 5000, "the network is active: {spikes} spikes");
    for threads in [2, 3] {
        let other = simulate(&split_network(threads));
        assert_eq!(other.spikes, one.spikes, "{threads} threads");
        assert_eq!(other.states, one.states, "{threads} threads");
    }
    let sparse = one.state_of("inh", "v").unwrap();
    assert_eq!(
        sparse.steps.iter().take(3).copied().collect::<Vec<_>>(),
        vec![1, 8, 15]
    );
    assert_eq!(sparse.neurons, vec![599, 0, 300]);
}

#[test]
fn sparse_rules_draw_the_float_engines_synapses() {
    // Same seed and projection name as a float model: the same pairs.
    let fixed_spec = parse_model(Path::new("f.toml"), &split_network(1)).unwrap();
    let model = fixed_spec.fixed.as_ref().unwrap();
    let float = common::spec(
        r#"[simulation]
dt = "1 ms"
duration = "1 ms"
seed = 11

[[population]]
name = "in"
size = 40
model = "poisson"
params = { rate = "1 Hz" }

[[population]]
name = "exc"
size = 900
model = "lif"
params = { tau_m = "20 ms", v_rest = "0 mV", v_th = "1 mV" }

[[projection]]
from = "in"
to = "exc"
connect = { fixed_probability = 0.2 }
weight = "1 mV"
"#,
    );
    let float_csr =
        spikesim::synapse::connect::build(&float.projections[0], 40, 900, 11, 1e-3, false);
    let (int_csr, mode) =
        spikesim::engine::fixed::projection_synapses(&model.projections[0], 40, 900, 11, 1e-3);
    assert_eq!(mode, spikesim::synapse::fixed::SignMode::Excitatory);
    assert_eq!(int_csr.offsets, float_csr.offsets);
    assert_eq!(int_csr.targets, float_csr.targets);
    assert!(int_csr.weights.iter().all(|&w| w == 150));
}

#[test]
fn results_file_holds_i32_state_and_spike_steps_that_index_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo.h5");
    let status = Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .args(["run", "models/fixed_point_demo.toml", "--no-plots", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let file = hdf5::File::open(&out).unwrap();
    let u = file.dataset("state/readout/u").unwrap();
    let v = file.dataset("state/readout/v").unwrap();
    for d in [&u, &v] {
        assert_eq!(
            d.dtype().unwrap().to_descriptor().unwrap(),
            hdf5::types::TypeDescriptor::Integer(hdf5::types::IntSize::U4)
        );
        assert_eq!(d.shape(), vec![500, 4]);
    }
    let steps: Vec<u64> = file
        .dataset("state/readout/steps")
        .unwrap()
        .read_raw()
        .unwrap();
    assert_eq!(steps, (1..=500).collect::<Vec<u64>>());
    let times: Vec<f64> = file
        .dataset("state/readout/times")
        .unwrap()
        .read_raw()
        .unwrap();
    assert_eq!(times[9], 10.0 * 1e-3);
    let v: Vec<i32> = v.read_raw().unwrap();
    let spike_steps: Vec<u64> = file
        .dataset("spikes/readout/steps")
        .unwrap()
        .read_raw()
        .unwrap();
    let senders: Vec<u32> = file
        .dataset("spikes/readout/senders")
        .unwrap()
        .read_raw()
        .unwrap();
    assert!(!spike_steps.is_empty());
    for (&t, &n) in spike_steps.iter().zip(&senders) {
        // The row of step t shows the reset.
        assert_eq!(
            v[(t as usize - 1) * 4 + n as usize],
            0,
            "step {t} neuron {n}"
        );
    }
    // The reader gives them back as integers.
    let r = spikesim::io::hdf5::read_results(&out).unwrap();
    assert!(r.state_of("readout", "u").unwrap().integer);
    assert_eq!(r.info.duration, 0.5);
}

#[test]
fn values_beyond_the_chips_widths_warn_but_run() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("wide.toml");
    std::fs::write(
        &model,
        fixed(
            r#"
[[population]]
name = "n"
size = 2
model = "lif"
params = { vth = 140000, bias_mant = [5000, 0] }
init = { u = 9000000 }
"#,
        ),
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .arg("run")
        .arg(&model)
        .arg("--out")
        .arg(dir.path().join("wide.h5"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    for fragment in [
        "warning: ",
        "wide.toml:10: population[n].params.vth: 140000 is beyond",
        "population[n].params.bias_mant: 5000",
        "population[n].init.u: 9000000",
    ] {
        assert!(stderr.contains(fragment), "{fragment:?} in {stderr}");
    }
}

#[test]
fn quantized_cuba_keeps_its_rates_within_a_few_percent() {
    // CUBA with one synaptic time constant and no refractory period: the
    // chip has one current decay and no refractoriness, so for this network
    // the mapping is sound (the manual, docs/src/guide/fixed-point.md).
    let overrides: Vec<String> = [
        "population.exc.params.t_ref=\"0 ms\"",
        "population.inh.params.t_ref=\"0 ms\"",
        "population.exc.params.tau_syn_i=\"5 ms\"",
        "population.inh.params.tau_syn_i=\"5 ms\"",
    ]
    .map(String::from)
    .to_vec();
    let float = spikesim::model::load(Path::new("models/cuba.toml"), &overrides).unwrap();
    let q = spikesim::model::quantize::quantize(&float).unwrap();
    let fixed = parse_model(Path::new("cuba_fixed.toml"), &q.text).unwrap();
    assert!(fixed.warnings.is_empty(), "{:?}", fixed.warnings);
    let a = spikesim::engine::simulate(&float, &mut |_, _| {});
    let b = spikesim::engine::simulate(&fixed, &mut |_, _| {});
    let diffs = spikesim::io::compare::compare(&a, &b);
    assert_eq!(diffs.len(), 2);
    for d in diffs {
        assert!(d.rate_a > 5.0, "{}: the network is active", d.population);
        let change = d.relative_rate_change().abs();
        assert!(
            change < 0.03,
            "{}: {} Hz vs {} Hz",
            d.population,
            d.rate_a,
            d.rate_b
        );
        // Same connectivity and initial state: per-neuron counts stay close.
        assert!(d.count_correlation.unwrap() > 0.9, "{d:?}");
    }
}

#[test]
fn quantize_then_compare_through_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_spikesim");
    let fixed = dir.path().join("single_fixed.toml");
    let output = Command::new(bin)
        .args(["quantize", "models/single_lif.toml", "--out"])
        .arg(&fixed)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("t_ref = 2 ms dropped"), "{stdout}");
    let (a, b) = (dir.path().join("a.h5"), dir.path().join("b.h5"));
    for (model, out) in [
        (Path::new("models/single_lif.toml"), &a),
        (fixed.as_path(), &b),
    ] {
        let status = Command::new(bin)
            .arg("run")
            .arg(model)
            .args(["--no-plots", "--out"])
            .arg(out)
            .output()
            .unwrap();
        assert!(status.status.success());
    }
    let output = Command::new(bin)
        .arg("compare")
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    // Float: t_ref + tau ln(20/5) = 15.9 ms, 12 spikes in 200 ms; the chip
    // has no refractory period: about 14.2 ms, 14 spikes.
    let row = stdout
        .lines()
        .find(|l| l.starts_with("neuron"))
        .expect("a row");
    assert!(
        row.contains("60.000Hz") && row.contains("70.000Hz"),
        "{row}"
    );
    let r = spikesim::io::hdf5::read_results(&b).unwrap();
    assert!(r.state_of("neuron", "v").unwrap().integer);
}
