//! The Li–Rinzel astrocyte (our stand-in for the AM-SU paper's model):
//! its calcium against an independent high-accuracy integration, its IP3
//! input and its slow inward current against their closed forms.

use crate::common;

use spikesim::io::results::{Results, StateTrace};

fn trace<'a>(r: &'a Results, pop: &str, var: &str) -> &'a StateTrace {
    r.states
        .iter()
        .find(|s| s.population == pop && s.variable == var)
        .unwrap_or_else(|| panic!("no trace {pop}.{var}"))
}

/// Constant IP3 (ip3 = ip3_0 = 0.5 µM), NEST defaults otherwise.
const CONSTANT_IP3: &str = r#"
[simulation]
dt = "1 ms"
duration = "30 s"

[[population]]
name = "astro"
size = 1
model = "astrocyte"
params = { ip3_0 = 0.5 }

[[record]]
population = "astro"
variables = ["ca", "h", "ip3"]
every = 100
"#;

#[test]
fn calcium_under_constant_ip3_matches_an_independent_dop853_integration() {
    let r = common::simulate(CONSTANT_IP3);
    let (ca, h, ip3) = (
        trace(&r, "astro", "ca"),
        trace(&r, "astro", "h"),
        trace(&r, "astro", "ip3"),
    );
    assert_eq!(ca.unit, "uM");
    let text = include_str!("../fixtures/astrocyte/li_rinzel_constant_ip3.csv");
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), ca.values.len());
    let mut worst: f64 = 0.0;
    for (i, row) in rows.iter().enumerate() {
        assert!((ca.steps[i] as f64 * 1e-3 - row[0]).abs() < 1e-9);
        worst = worst
            .max(common::rel_diff(ca.values[i], row[1]))
            .max(common::rel_diff(h.values[i], row[2]));
        assert_eq!(ip3.values[i], 0.5, "IP3 stays at ip3_0");
    }
    // The trace is not trivial: a calcium spike from 0.07 to ~1 µM.
    let peak = ca.values.iter().cloned().fold(0.0, f64::max);
    assert!(peak > 0.9, "{peak}");
    assert!(worst < 1e-6, "largest relative difference {worst:e}");
}

/// One tripartite spike: IP3 jumps by `delta_ip3 · weight` at its arrival,
/// then relaxes to ip3_0 with `tau_ip3`.
#[test]
fn a_tripartite_spike_raises_ip3_by_delta_ip3_times_the_weight() {
    let model = r#"
[simulation]
dt = "0.1 ms"
duration = "2 s"

[[population]]
name = "pre"
size = 1
model = "spike_source"
params = { spikes = [["100 ms"]] }

[[population]]
name = "astro"
size = 1
model = "astrocyte"
params = { delta_ip3 = 2.0, tau_ip3 = "1.5 s" }

[[projection]]
from = "pre"
to = "astro"
synapse = "tripartite"
connect = "all_to_all"
weight = 0.25
delay = "2 ms"

[[record]]
population = "astro"
variables = ["ip3"]
"#;
    let r = common::simulate(model);
    let ip3 = trace(&r, "astro", "ip3");
    let arrival = 1020; // (100 ms + 2 ms) / 0.1 ms
    for (row, &step) in ip3.steps.iter().enumerate() {
        let expected = if step < arrival {
            0.16
        } else {
            0.16 + 0.5 * (-((step - arrival) as f64) * 1e-4 / 1.5).exp()
        };
        let got = ip3.values[row];
        assert!(
            common::rel_diff(got, expected) < 1e-10,
            "step {step}: {got} vs {expected}"
        );
    }
}

/// The slow inward current reaches a LIF membrane as the drive
/// `r_m · weight · I_SIC` (rounded to f32 like every synaptic weight),
/// `delay` after the astrocyte computed it.
#[test]
fn the_slow_inward_current_drives_a_lif_membrane_in_closed_form() {
    check_sic(r#"model = "lif""#);
}

#[test]
fn the_slow_inward_current_drives_a_cuba_lif_membrane_in_closed_form() {
    check_sic(
        r#"model = "cuba_lif"
tau_syn = "5 ms""#,
    );
}

fn check_sic(cell_model: &str) {
    let model = r#"
[simulation]
dt = "0.1 ms"
duration = "300 ms"

[[population]]
name = "astro"
size = 1
model = "astrocyte"
params = { sic_scale = "30 pA", ip3_0 = 0.8 }
init = { ca = 0.45, ip3 = 0.8 }

[[population]]
name = "cell"
size = 1
MODEL
params = { tau_m = "20 ms", v_rest = "-70 mV", v_th = "-50 mV", r_m = "100 Mohm" TAU }

[[projection]]
from = "astro"
to = "cell"
synapse = "sic"
connect = "all_to_all"
weight = 0.5
delay = "0.5 ms"

[[record]]
population = "astro"
variables = ["sic", "ca"]

[[record]]
population = "cell"
variables = ["v"]
"#;
    let (model_line, tau) = match cell_model.split_once('\n') {
        Some((m, t)) => (m.to_string(), format!(", {t}")),
        None => (cell_model.to_string(), String::new()),
    };
    let model = model.replace("MODEL", &model_line).replace(" TAU", &tau);
    let r = common::simulate(&model);
    let sic = &trace(&r, "astro", "sic").values;
    let v = &trace(&r, "cell", "v").values;
    assert!(sic[1] > 1e-10, "the astrocyte sends a current: {}", sic[1]);
    let (decay, d) = ((-0.1f64 / 20.0).exp(), 5usize);
    let mut expected = -0.070;
    for m in 0..v.len() - 1 {
        // Events carry f32 weights: the drive is rounded like any weight.
        let drive = if m > d {
            ((0.5e8f32 as f64 * sic[m - d]) as f32) as f64
        } else {
            0.0
        };
        let v_inf = -0.070 + drive;
        expected = v_inf + (expected - v_inf) * decay;
        assert!(
            (v[m + 1] - expected).abs() < 1e-12,
            "step {}: {} vs {expected}",
            m + 1,
            v[m + 1]
        );
    }
    assert!(v[v.len() - 1] > -0.0695, "the current depolarises the cell");
}

/// The AM-SU-style unit (our proposal): each group's trace follows
/// `a ← λ a + (1 − λ) · spikes / group_size` exactly, with `kappa = 0` the
/// units are plain LIF neurons, and a positive `kappa` raises the threshold
/// and so lowers the rate.
#[test]
fn amsu_traces_follow_their_groups_spikes_and_modulate_the_threshold() {
    let model = |model: &str, extra: &str| {
        format!(
            r#"
[simulation]
dt = "0.1 ms"
duration = "1 s"
seed = 9

[[population]]
name = "drive"
size = 100
model = "poisson"
params = {{ rate = "20 Hz" }}

[[population]]
name = "cells"
size = 40
model = "{model}"
params = {{ tau_m = "20 ms", v_rest = "-65 mV", v_th = "-50 mV", t_ref = "2 ms" {extra} }}

[[projection]]
from = "drive"
to = "cells"
connect = {{ fixed_indegree = 50 }}
weight = "1 mV"

[[record]]
population = "cells"
variables = ["{var}"]
neurons = [0, 10, 20, 30]
"#,
            var = if model == "lif" { "v" } else { "a" }
        )
    };
    let spikes_of = |r: &Results| {
        r.spikes
            .iter()
            .find(|s| s.population == "cells")
            .unwrap()
            .clone()
    };

    let lif = common::simulate(&model("lif", ""));
    let neutral = common::simulate(&model("amsu_lif", ", group_size = 20, kappa = 0.0"));
    assert_eq!(spikes_of(&lif).senders, spikes_of(&neutral).senders);
    assert_eq!(spikes_of(&lif).steps, spikes_of(&neutral).steps);

    let tau_a = 0.1;
    let modulated = common::simulate(&model(
        "amsu_lif",
        &format!(", group_size = 20, kappa = 300.0, tau_a = \"{tau_a} s\""),
    ));
    let s = spikes_of(&modulated);
    assert!(
        s.len() * 10 < spikes_of(&lif).len() * 9,
        "the trace raises the threshold: {} vs {} spikes",
        s.len(),
        spikes_of(&lif).len()
    );
    // As a gain, a negative kappa turns the group's input down as it fires.
    let damped = common::simulate(&model(
        "amsu_lif",
        ", group_size = 20, kappa = -300.0, tau_a = \"0.1 s\", modulation = \"gain\"",
    ));
    assert!(spikes_of(&damped).len() * 10 < spikes_of(&lif).len() * 9);
    let a = trace(&modulated, "cells", "a");
    let lambda = (-1e-4f64 / tau_a).exp();
    for (column, group) in [(0usize, 0u32), (2, 1)] {
        let mut expected = 0.0;
        for (row, &step) in a.steps.iter().enumerate() {
            assert_eq!(
                a.values[row * 4 + column],
                expected,
                "group {group} step {step}"
            );
            let fired = s
                .steps
                .iter()
                .zip(&s.senders)
                .filter(|(k, n)| **k == step + 1 && **n / 20 == group)
                .count();
            expected = lambda * expected + (1.0 - lambda) * (fired as f64 / 20.0);
        }
    }
    // Neurons 0 and 10 share group 0's trace, 20 and 30 group 1's.
    for row in 0..a.steps.len() {
        assert_eq!(a.values[row * 4], a.values[row * 4 + 1]);
        assert_eq!(a.values[row * 4 + 2], a.values[row * 4 + 3]);
    }
    assert!(a.values.iter().any(|&x| x > 0.0));
}

/// The example runs from the command line and its calcium can be plotted.
#[test]
fn the_astrocyte_example_runs_and_plots_its_calcium() {
    let dir = tempfile::tempdir().unwrap();
    let (h5, png) = (dir.path().join("a.h5"), dir.path().join("ca.png"));
    let bin = env!("CARGO_BIN_EXE_spikesim");
    let run = std::process::Command::new(bin)
        .args([
            "run",
            "models/astrocyte_network.toml",
            "--no-plots",
            "--set",
        ])
        .arg("simulation.duration=\"300 ms\"")
        .arg("--out")
        .arg(&h5)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let plot = std::process::Command::new(bin)
        .arg("plot")
        .arg(&h5)
        .arg("--potential")
        .arg(&png)
        .args(["--population", "astro", "--variable", "ca"])
        .output()
        .unwrap();
    assert!(
        plot.status.success(),
        "{}",
        String::from_utf8_lossy(&plot.stderr)
    );
    assert!(
        std::fs::read(&png)
            .unwrap()
            .starts_with(b"\x89PNG\r\n\x1a\n")
    );
    let r = spikesim::io::hdf5::read_results(&h5).unwrap();
    for var in ["ca", "ip3", "h"] {
        assert!(!trace(&r, "astro", var).values.is_empty());
    }
}
