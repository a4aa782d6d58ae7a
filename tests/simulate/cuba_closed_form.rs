//! The current-based LIF against its closed-form solution. With synaptic
//! drives `u_x(t) = r_m i_x(t)` decaying with `tau_x`, and no threshold
//! crossing,
//! `v(t) = v_inf + (v0 - v_inf) e^{-t/tau_m} + sum_x u_x0 tau_x/(tau_x - tau_m) (e^{-t/tau_x} - e^{-t/tau_m})`
//! (and `u_x0 (t/tau_m) e^{-t/tau_m}` when `tau_x = tau_m`). Inputs arriving
//! later superpose, each from its arrival time.

use crate::common;

const R_M: f64 = 100e6;
const TAU_M: f64 = 20e-3;
const V_REST: f64 = -65e-3;

/// Response of `v` at time `t` after a drive jump `u0` with time constant `tau_s`.
fn kernel(u0: f64, tau_s: f64, t: f64) -> f64 {
    if t < 0.0 {
        return 0.0;
    }
    if (tau_s - TAU_M).abs() < 1e-15 {
        return u0 * t / TAU_M * (-t / TAU_M).exp();
    }
    u0 * tau_s / (tau_s - TAU_M) * ((-t / tau_s).exp() - (-t / TAU_M).exp())
}

fn neuron(tau_e_ms: f64, tau_i_ms: f64, extra: &str) -> String {
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "150 ms"

[[population]]
name = "n"
size = 1
model = "cuba_lif"
params = {{ tau_m = "20 ms", v_rest = "-65 mV", v_th = "0 mV", r_m = "100 Mohm", i_e = "0.1 nA", tau_syn_e = "{tau_e_ms} ms", tau_syn_i = "{tau_i_ms} ms" }}
init = {{ v = "-70 mV", i_syn_e = "0.5 nA", i_syn_i = "-0.3 nA" }}

[[record]]
population = "n"
variables = ["v", "i_syn_e", "i_syn_i"]
{extra}
"#
    )
}

fn check_traces(tau_e: f64, tau_i: f64, extra: &str, arrivals: &[(f64, f64, char)]) {
    let results = common::simulate(&neuron(tau_e * 1e3, tau_i * 1e3, extra));
    let (v, ie, ii) = (
        results.state_of("n", "v").unwrap(),
        results.state_of("n", "i_syn_e").unwrap(),
        results.state_of("n", "i_syn_i").unwrap(),
    );
    assert_eq!(ie.unit, "A");
    let v_inf = V_REST + R_M * 0.1e-9;
    let mut worst: f64 = 0.0;
    for (row, &k) in v.steps.iter().enumerate() {
        let t = k as f64 * 1e-4;
        let mut ev = 0.5e-9 * (-t / tau_e).exp();
        let mut iv = -0.3e-9 * (-t / tau_i).exp();
        let mut expected_v = v_inf
            + (-70e-3 - v_inf) * (-t / TAU_M).exp()
            + kernel(R_M * 0.5e-9, tau_e, t)
            + kernel(R_M * -0.3e-9, tau_i, t);
        for &(at, drive, receptor) in arrivals {
            if t + 1e-12 < at {
                continue;
            }
            let tau = if receptor == 'e' { tau_e } else { tau_i };
            let current = drive / R_M * (-(t - at) / tau).exp();
            if receptor == 'e' {
                ev += current;
            } else {
                iv += current;
            }
            expected_v += kernel(drive, tau, t - at);
        }
        worst = worst
            .max(common::rel_diff(v.values[row], expected_v))
            .max(common::rel_diff(ie.values[row], ev))
            .max(common::rel_diff(ii.values[row], iv));
    }
    assert!(worst < 1e-9, "worst relative error {worst:e}");
}

#[test]
fn free_decay_matches_closed_form() {
    check_traces(5e-3, 10e-3, "", &[]);
}

#[test]
fn equal_synaptic_and_membrane_time_constants_use_the_limit() {
    check_traces(20e-3, 20e-3, "", &[]);
    check_traces(20e-3 * (1.0 + 1e-6), 20e-3, "", &[]);
    check_traces(20e-3, 7e-3, "", &[]);
}

#[test]
fn delivered_spikes_superpose_from_their_arrival_step() {
    // Spikes at 20 ms and 50.3 ms, delayed 1.5 ms (15 steps): jumps of the
    // drive at 21.5 ms and 51.8 ms. Weights are stored as f32 (r_m · w in volts).
    let extra = r#"
[[population]]
name = "src"
size = 2
model = "spike_source"
params = { spikes = [["20 ms"], ["50.3 ms"]] }

[[projection]]
from = "src"
to = "n"
connect = "all_to_all"
weight = "0.8 nA"
delay = "1.5 ms"
receptor = "exc"

[[projection]]
name = "inhibition"
from = "src"
to = "n"
connect = { list = "stimuli/test_inhibitory_pair.csv" }
delay = "1.5 ms"
receptor = "inh"
"#;
    let w_e = (R_M * 0.8e-9) as f32 as f64;
    let w_i = (R_M * -0.25e-9) as f32 as f64;
    let arrivals = [
        (21.5e-3, w_e, 'e'),
        (51.8e-3, w_e, 'e'),
        (51.8e-3, w_i, 'i'),
    ];
    check_traces(5e-3, 10e-3, extra, &arrivals);
}
