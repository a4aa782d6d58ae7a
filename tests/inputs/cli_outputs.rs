//! Where a run's files go and what `check` says about current synapses:
//! with `--out`, the plots named in `[output]` are drawn beside the results
//! file (named after it) and no `results/` folder appears; `check` prints
//! the PSP peak of one spike of each current-synapse projection's mean
//! weight and warns when it is under 1% of `v_th - v_rest`.

use std::path::Path;
use std::process::{Command, Output};

fn spikesim(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spikesim"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// A Poisson source driving 5 CuBa LIF neurons through `weight`.
fn cuba_model(weight: &str, output: &str) -> String {
    format!(
        r#"[simulation]
dt = "0.1 ms"
duration = "40 ms"

[[population]]
name = "src"
size = 10
model = "poisson"
params = {{ rate = "50 Hz" }}

[[population]]
name = "n"
size = 5
model = "cuba_lif"
params = {{ tau_m = "20 ms", v_rest = "-70 mV", v_reset = "-70 mV", v_th = "-50 mV", t_ref = "2 ms", tau_syn_e = "5 ms", tau_syn_i = "10 ms" }}

[[projection]]
from = "src"
to = "n"
connect = "all_to_all"
weight = "{weight}"
receptor = "exc"
{output}"#
    )
}

#[test]
fn out_puts_the_plots_beside_the_results_and_makes_no_results_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = cuba_model(
        "2 mV",
        "\n[output]\nraster = \"results/m_raster.png\"\nrate = \"results/m_rate.svg\"\n",
    );
    std::fs::write(d.join("m.toml"), model).unwrap();
    let o = spikesim(&["run", "m.toml", "--out", "runs/a.h5"], d);
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for plot in ["runs/a_raster.png", "runs/a_rate.svg"] {
        assert!(d.join(plot).is_file(), "{plot} missing: {said}");
        assert!(said.contains(plot), "{plot} not named in: {said}");
    }
    assert!(!d.join("results").exists(), "{said}");
    // Without plots, a run with --out makes no folder but the one it writes in.
    let o = spikesim(&["run", "m.toml", "--out", "b.h5", "--no-plots"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!d.join("results").exists());
}

/// The number after `marker` in `text`, up to the next space.
fn number_after(text: &str, marker: &str) -> f64 {
    text.split(marker)
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no number after {marker:?} in {text}"))
}

#[test]
fn check_prints_the_psp_peak_of_current_synapses_and_warns_when_tiny() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // v(t) = w tau_s/(tau_s - tau_m) (e^{-t/tau_s} - e^{-t/tau_m}) peaks at
    // w (tau_s/tau_m)^(tau_m/(tau_m - tau_s)): with 5 and 20 ms, w 0.25^(4/3).
    let peak_of = |w_mv: f64| w_mv * 0.25f64.powf(4.0 / 3.0);
    for (weight, w_mv, tiny) in [("2 mV", 2.0, false), ("0.5 mV", 0.5, true)] {
        std::fs::write(d.join("m.toml"), cuba_model(weight, "")).unwrap();
        let o = spikesim(&["check", "m.toml"], d);
        let (out, err) = (
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
        );
        assert!(o.status.success(), "{err}");
        assert!(out.contains("projection src->n: mean weight"), "{out}");
        let printed = number_after(&out, "PSP peak of ");
        assert!(
            (printed - peak_of(w_mv)).abs() < 1e-3 * peak_of(w_mv),
            "{weight}: printed {printed} mV, expected {}",
            peak_of(w_mv)
        );
        // 1% of v_th - v_rest = 20 mV is 0.2 mV: 0.315 mV passes, 0.079 not.
        assert_eq!(
            err.contains("under 1% of v_th - v_rest = 20.00 mV"),
            tiny,
            "{weight}: {err}"
        );
    }
    // A LIF target (voltage jumps) gets no PSP line.
    let lif = cuba_model("2 mV", "").replace(
        "model = \"cuba_lif\"\nparams = { tau_m = \"20 ms\", v_rest = \"-70 mV\", v_reset = \"-70 mV\", v_th = \"-50 mV\", t_ref = \"2 ms\", tau_syn_e = \"5 ms\", tau_syn_i = \"10 ms\" }",
        "model = \"lif\"\nparams = { tau_m = \"20 ms\", v_rest = \"-70 mV\", v_th = \"-50 mV\" }",
    ).replace("receptor = \"exc\"\n", "");
    std::fs::write(d.join("l.toml"), lif).unwrap();
    let o = spikesim(&["check", "l.toml"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("PSP"));
}
