//! The model-file options of `lif` and `cuba_lif` (per-neuron arrays,
//! reset by subtraction, leak-free integrators, forcing inputs,
//! `syn_drive`) in whole runs: populations with them have no closed form,
//! so the event engine steps them on the grid and must give the clock
//! engine's spikes and traces bit for bit; 1 and 2 threads (populations cut
//! in slices, each with its part of the per-neuron constants) agree too.

use crate::common;

use spikesim::io::results::Results;

/// Neuron `i` of the source fires every `7 + i % 5` steps from step `1 + i`.
fn trains(n: usize) -> String {
    let train = |i: usize| {
        let times: Vec<String> = (0..)
            .map(|m| 1 + i + m * (7 + i % 5))
            .take_while(|&k| k < 1000)
            .map(|k| format!("\"{:.1} ms\"", k as f64 * 0.1))
            .collect();
        format!("[{}]", times.join(", "))
    };
    (0..n).map(train).collect::<Vec<_>>().join(", ")
}

fn list(n: usize, f: impl Fn(usize) -> String) -> String {
    format!("[{}]", (0..n).map(f).collect::<Vec<_>>().join(", "))
}

fn network(engine: &str, threads: u32) -> String {
    // Above engine::partition::MAX_UNSPLIT, so that 2 threads cut each population.
    let n = 600;
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "100 ms"
seed = 3
engine = "{engine}"
threads = {threads}

[[population]]
name = "drive"
size = 20
model = "spike_source"
params = {{ spikes = [{trains}] }}

[[population]]
name = "lif"
size = {n}
model = "lif"
params = {{ tau_m = {taus}, v_rest = {rests}, v_th = "-50 mV", v_reset = "-60 mV", reset = "subtract" }}

[[population]]
name = "if"
size = {n}
model = "lif"
params = {{ leak = false, tau_m = "1 s", v_th = "10 mV", v_reset = "0 mV", drive = {drives} }}

[[population]]
name = "cuba"
size = {n}
model = "cuba_lif"
params = {{ tau_m = "10 ms", tau_syn = {tss}, v_rest = "0 mV", v_th = "10 mV", v_reset = "0 mV", input = "forcing", syn_drive = "3 mV" }}

[[projection]]
from = "drive"
to = "lif"
connect = {{ fixed_indegree = 6 }}
weight = {{ uniform = ["1 mV", "4 mV"] }}
delay = "1 ms"

[[projection]]
from = "drive"
to = "if"
connect = {{ fixed_indegree = 4 }}
weight = "1 mV"
delay = "0.5 ms"

[[projection]]
from = "lif"
to = "cuba"
synapse = "current"
connect = {{ fixed_indegree = 5 }}
weight = {{ uniform = ["5 mV", "40 mV"] }}
delay = "0.3 ms"

[[record]]
population = "lif"
variables = ["v"]
neurons = {all}

[[record]]
population = "if"
variables = ["v"]
neurons = {all}

[[record]]
population = "cuba"
variables = ["v", "i_syn_e"]
neurons = {all}
"#,
        trains = trains(20),
        // Every neuron, listed: a record without `neurons` of a population
        // cut over threads keeps only one slice's columns (on main too, see
        // engine/recording.rs `slice_recorders`; reported to the lead).
        all = list(n, |i| i.to_string()),
        taus = list(n, |i| format!("\"{} ms\"", 5 + 2 * i)),
        rests = list(n, |i| format!("\"{} mV\"", -70 + i as i32 % 4)),
        drives = list(n, |i| format!("\"{} mV\"", 20 * (i % 3))),
        tss = list(n, |i| format!("\"{} ms\"", 2 + i % 4)),
    )
}

fn assert_same(a: &Results, b: &Results, what: &str) {
    assert_eq!(a.spikes.len(), b.spikes.len());
    for (x, y) in a.spikes.iter().zip(&b.spikes) {
        assert_eq!(x.population, y.population);
        assert_eq!(x.steps, y.steps, "{what}: spike steps of {}", x.population);
        assert_eq!(x.senders, y.senders, "{what}: senders of {}", x.population);
    }
    assert_eq!(a.states.len(), b.states.len());
    for (x, y) in a.states.iter().zip(&b.states) {
        let what = format!("{what}: {} {}", x.population, x.variable);
        assert_eq!((&x.neurons, &x.steps), (&y.neurons, &y.steps), "{what}");
        let first = x
            .values
            .iter()
            .zip(&y.values)
            .position(|(p, q)| p.to_bits() != q.to_bits());
        if let Some(i) = first {
            let n = x.neurons.len();
            panic!(
                "{what}: step {} neuron {}: {} vs {}",
                x.steps[i / n],
                x.neurons[i % n],
                x.values[i],
                y.values[i]
            );
        }
    }
}

#[test]
fn membrane_options_run_alike_in_both_engines_and_any_thread_count() {
    let clock = common::simulate(&network("clock", 1));
    for pop in ["lif", "if", "cuba"] {
        let n = clock.spikes_of(pop).unwrap().steps.len();
        assert!(n > 20, "{pop} should fire, fired {n}");
    }
    assert_same(
        &clock,
        &common::simulate(&network("clock", 2)),
        "clock, 2 threads",
    );
    assert_same(
        &clock,
        &common::simulate(&network("event", 1)),
        "event vs clock",
    );
    assert_same(
        &clock,
        &common::simulate(&network("event", 2)),
        "event, 2 threads",
    );
}
