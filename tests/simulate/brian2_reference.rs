//! spikesim against Brian2 2.11 on one current-based LIF neuron driven by
//! excitatory and inhibitory input spikes (fixture made by
//! `tests/fixtures/brian2/make_cuba_neuron.py`, see its README).
//!
//! Aligning the two simulators' conventions (both verified by the script):
//! - Brian2's StateMonitor row `k` is the state at `k·dt` after that step's
//!   synaptic effects and resets: spikesim's sample at grid point `k`.
//! - An input spike Brian2 emits at `t` with delay 0 first shows in row
//!   `t/dt + 1`: spikesim's source spike at `t` with the one-step minimum delay.
//! - Brian2 reports an output spike at the start of the step in which `v`
//!   crossed (`t_n`); spikesim at its end, grid point `n + 1`.
//! - Brian2 holds `v` for `t_ref/dt - 1` updates after the reset (its
//!   refractory clock starts at the reported time, one step early);
//!   spikesim holds it for `t_ref/dt`. So 2 ms in Brian2 is 1.9 ms here.

use std::path::Path;

use crate::common;

const FIXTURES: &str = "tests/fixtures/brian2";

fn read_rows(name: &str) -> Vec<Vec<f64>> {
    let path = Path::new(FIXTURES).join(name);
    let mut reader = csv::Reader::from_path(&path).unwrap();
    reader
        .records()
        .map(|r| {
            r.unwrap()
                .iter()
                .map(|x| x.parse::<f64>().unwrap())
                .collect()
        })
        .collect()
}

fn model() -> String {
    let mut per_channel = [Vec::new(), Vec::new()];
    for row in read_rows("cuba_neuron_inputs.csv") {
        per_channel[row[0] as usize].push(format!("\"{} ms\"", row[1] * 1e3));
    }
    let spikes = per_channel
        .iter()
        .map(|c| format!("[{}]", c.join(", ")))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "200 ms"

[[population]]
name = "input"
size = 2
model = "spike_source"
params = {{ spikes = [{spikes}] }}

[[population]]
name = "n"
size = 1
model = "cuba_lif"
params = {{ tau_m = "10 ms", v_rest = "-49 mV", v_reset = "-60 mV", v_th = "-50 mV", t_ref = "1.9 ms", tau_syn_e = "5 ms", tau_syn_i = "10 ms" }}
init = {{ v = "-58 mV" }}

[[projection]]
from = "input"
to = "n"
connect = {{ dense = [[1, 0]] }}
weight = "2.5 mV"
receptor = "exc"

[[projection]]
name = "inhibitory"
from = "input"
to = "n"
connect = {{ dense = [[0, 1]] }}
weight = "-1.5 mV"
receptor = "inh"

[[record]]
population = "n"
variables = ["v", "i_syn_e", "i_syn_i"]
"#
    )
}

#[test]
fn single_cuba_neuron_matches_brian2() {
    let results = common::simulate(&model());
    let reference = read_rows("cuba_neuron.csv");
    let (v, ge, gi) = (
        results.state_of("n", "v").unwrap(),
        results.state_of("n", "i_syn_e").unwrap(),
        results.state_of("n", "i_syn_i").unwrap(),
    );
    assert_eq!(
        ge.unit, "V",
        "without r_m, currents are kept as r_m·i in volts, like Brian2's ge"
    );
    assert_eq!(v.rows(), reference.len());
    // Weights are stored as f32: 2.5 mV is off by 5.6e-11 V, hence 1 nV.
    let mut worst: f64 = 0.0;
    for (row, r) in reference.iter().enumerate() {
        assert_eq!(v.steps[row], r[0] as u64);
        worst = worst
            .max((v.values[row] - r[2]).abs())
            .max((ge.values[row] - r[3]).abs())
            .max((gi.values[row] - r[4]).abs());
    }
    assert!(worst < 1e-9, "largest difference from Brian2: {worst:e} V");

    let brian_spikes: Vec<u64> = read_rows("cuba_neuron_spikes.csv")
        .iter()
        .map(|r| (r[0] / 1e-4).round() as u64 + 1)
        .collect();
    assert_eq!(brian_spikes.len(), 9);
    assert_eq!(results.spikes_of("n").unwrap().steps, brian_spikes);
}
