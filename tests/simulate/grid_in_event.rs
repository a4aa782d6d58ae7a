//! Populations without an event form (astrocyte, AM-SU, meta) run in the
//! event engine stepped on the grid (`engine::event_grid`): on a grid-aligned
//! network they give the clock engine's spikes and traces bit for bit,
//! whatever the thread count, and they mix with exact LIF neurons.

use crate::common;

use spikesim::io::results::Results;

/// Input trains on the grid (0.1 ms), spread over 0.3 s: neuron `i` fires
/// every `17 + i % 11` steps from step `1 + 3 i`.
fn trains(n: usize) -> String {
    let train = |i: usize| {
        let times: Vec<String> = (0..)
            .map(|m| 1 + 3 * i + m * (17 + i % 11))
            .take_while(|&k| k < 3000)
            .map(|k| format!("\"{} ms\"", k as f64 * 0.1))
            .collect();
        format!("[{}]", times.join(", "))
    };
    (0..n).map(train).collect::<Vec<_>>().join(", ")
}

/// Meta (escape noise and Levy–Baxter), AM-SU and an astrocyte that feeds
/// its slow inward current back into the meta neurons, driven by spike
/// sources and a current step; every delay a multiple of `dt`.
fn grid_network(engine: &str, threads: u32) -> String {
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "0.3 s"
seed = 11
engine = "{engine}"
threads = {threads}

[[population]]
name = "drive"
size = 30
model = "spike_source"
params = {{ spikes = [{trains}] }}

[[population]]
name = "meta"
size = 40
model = "meta"
params = {{ tau_m = "20 ms", v_rest = "-65 mV", v_th = "-55 mV", t_ref = "2 ms", rho_0 = "100 Hz", delta_u = "2 mV", r_m = "100 Mohm" }}

[[population]]
name = "amsu"
size = 40
model = "amsu_lif"
params = {{ tau_m = "20 ms", v_rest = "-65 mV", v_reset = "-65 mV", v_th = "-55 mV", t_ref = "2 ms", group_size = 10, tau_a = "100 ms", kappa = 200.0, modulation = "threshold" }}

[[population]]
name = "lb"
size = 20
model = "meta"
params = {{ firing = "levy_baxter", success = 0.6, g = "0.8 mV" }}

[[population]]
name = "astro"
size = 2
model = "astrocyte"
params = {{ tau_ip3 = "7 s", delta_ip3 = 5.0, sic_scale = "50 pA" }}
init = {{ h = 0.8, ip3 = 5.0 }}

[[projection]]
from = "drive"
to = "meta"
connect = {{ fixed_indegree = 10 }}
weight = {{ uniform = ["0.5 mV", "2 mV"] }}
delay = "1 ms"

[[projection]]
name = "drive->amsu"
from = "drive"
to = "amsu"
connect = {{ fixed_indegree = 10 }}
weight = {{ uniform = ["0.5 mV", "2.5 mV"] }}
delay = "1.5 ms"

[[projection]]
name = "amsu->lb"
from = "amsu"
to = "lb"
connect = {{ fixed_indegree = 8 }}
weight = "1 mV"
delay = "0.7 ms"

[[population]]
name = "cells"
size = 20
model = "lif"
params = {{ tau_m = "20 ms", v_rest = "-65 mV", v_reset = "-65 mV", v_th = "-55 mV", t_ref = "2 ms", r_m = "100 Mohm" }}

[[projection]]
name = "drive->cells"
from = "drive"
to = "cells"
connect = {{ fixed_indegree = 10 }}
weight = {{ uniform = ["0.5 mV", "2.5 mV"] }}
delay = "1 ms"
plasticity = {{ stdp = {{ tau_plus = "20 ms", tau_minus = "20 ms", a_plus = "0.05 mV", a_minus = "0.06 mV", w_min = "0 mV", w_max = "3 mV" }} }}

[[projection]]
name = "amsu->cells"
from = "amsu"
to = "cells"
connect = {{ fixed_indegree = 8 }}
weight = "1 mV"
delay = "0.5 ms"
plasticity = {{ stdp = {{ tau_plus = "20 ms", tau_minus = "20 ms", a_plus = "0.02 mV", a_minus = "0.02 mV", w_min = "0 mV", w_max = "2 mV" }} }}

[[projection]]
from = "astro"
to = "cells"
synapse = "sic"
connect = "all_to_all"
weight = 1.0
delay = "1 ms"

[[record]]
projection = "drive->cells"
weights = true
interval = "100 ms"

[[record]]
projection = "amsu->cells"
weights = true
interval = "100 ms"

[[projection]]
from = "meta"
to = "astro"
synapse = "tripartite"
connect = "all_to_all"
weight = 0.01
delay = "1 ms"

[[projection]]
from = "astro"
to = "meta"
synapse = "sic"
connect = "all_to_all"
weight = 1.0
delay = "0.5 ms"

[[stimulus]]
kind = "current"
population = "meta"
neurons = [0, 1, 2, 3]
amplitude = "0.1 nA"
start = "50 ms"
stop = "150 ms"

[[record]]
population = "astro"
variables = ["ca", "ip3", "h", "sic"]
every = 10

[[record]]
population = "meta"
variables = ["v", "p_spike"]
neurons = [0, 5, 21, 39]

[[record]]
population = "amsu"
variables = ["v", "a"]
neurons = [0, 15, 33]
every = 2
"#,
        trains = trains(30)
    )
}

fn assert_same(clock: &Results, event: &Results, what: &str) {
    for (c, e) in clock.spikes.iter().zip(&event.spikes) {
        assert_eq!(c.population, e.population);
        assert_eq!(c.steps, e.steps, "{what}: spike steps of {}", c.population);
        assert_eq!(c.senders, e.senders, "{what}: senders of {}", c.population);
    }
    assert_eq!(clock.spikes.len(), event.spikes.len());
    assert_eq!(clock.states, event.states, "{what}: traces");
}

#[test]
fn a_grid_aligned_network_of_grid_models_matches_the_clock_engine_bit_for_bit() {
    let clock = common::simulate(&grid_network("clock", 1));
    let event = common::simulate(&grid_network("event", 1));
    for pop in ["meta", "amsu", "lb", "cells"] {
        let spikes = clock.spikes_of(pop).unwrap();
        assert!(spikes.steps.len() > 20, "{pop} should fire");
    }
    let sic = clock.state_of("astro", "sic").unwrap();
    assert!(
        sic.values.iter().any(|&v| v != 0.0),
        "the astrocyte should send its slow inward current"
    );
    assert_same(&clock, &event, "event vs clock");
    // STDP onto LIF neurons that take a slow inward current (so are stepped
    // on the grid), from a source and from a grid population, learns the
    // same weights.
    assert_eq!(clock.weights.len(), 2);
    for (c, e) in clock.weights.iter().zip(&event.weights) {
        let first = &c.values[..c.synapses()];
        let last = &c.values[c.values.len() - c.synapses()..];
        assert_ne!(first, last, "{} should learn", c.projection);
        assert_eq!(c.steps, e.steps);
        assert_eq!(c.values, e.values, "weights of {}", c.projection);
    }
}

#[test]
fn grid_models_in_the_event_engine_do_not_depend_on_the_thread_count() {
    let one = common::simulate(&grid_network("event", 1));
    for threads in [2, 3] {
        let other = common::simulate(&grid_network("event", threads));
        assert_eq!(one.spikes, other.spikes, "{threads} threads");
        assert_eq!(one.states, other.states, "{threads} threads");
        assert_eq!(one.weights, other.weights, "{threads} threads");
    }
}

/// Exact LIF neurons driven on the grid drive AM-SU units, which drive
/// other exact LIF neurons back: with grid-aligned inputs and delays the
/// exact neurons cross threshold between grid points, so their spikes land
/// on the grid point after the crossing, where the clock LIF reports them.
fn mixed_network(engine: &str, threads: u32) -> String {
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "0.3 s"
seed = 3
engine = "{engine}"
threads = {threads}

[[population]]
name = "drive"
size = 30
model = "spike_source"
params = {{ spikes = [{trains}] }}

[[population]]
name = "exact_in"
size = 20
model = "lif"
params = {{ tau_m = "20 ms", v_rest = "-65 mV", v_reset = "-65 mV", v_th = "-55 mV", t_ref = "2 ms" }}

[[population]]
name = "amsu"
size = 20
model = "amsu_lif"
params = {{ tau_m = "20 ms", v_rest = "-65 mV", v_reset = "-65 mV", v_th = "-55 mV", t_ref = "2 ms", group_size = 10, tau_a = "100 ms", kappa = 100.0, modulation = "threshold" }}

[[population]]
name = "exact_out"
size = 10
model = "lif"
params = {{ tau_m = "10 ms", v_rest = "-65 mV", v_reset = "-65 mV", v_th = "-60 mV", t_ref = "2 ms" }}

[[projection]]
from = "drive"
to = "exact_in"
connect = {{ fixed_indegree = 12 }}
weight = {{ uniform = ["1 mV", "3 mV"] }}
delay = "1 ms"

[[projection]]
from = "exact_in"
to = "amsu"
connect = {{ fixed_indegree = 6 }}
weight = "4 mV"
delay = "1 ms"

[[projection]]
from = "amsu"
to = "exact_out"
connect = {{ fixed_indegree = 5 }}
weight = "2.5 mV"
delay = "0.5 ms"

[[record]]
population = "amsu"
variables = ["v", "a"]
neurons = [0, 11]
"#,
        trains = trains(30)
    )
}

#[test]
fn exact_and_grid_populations_drive_each_other_as_in_the_clock_engine() {
    let clock = common::simulate(&mixed_network("clock", 1));
    let event = common::simulate(&mixed_network("event", 1));
    for pop in ["exact_in", "amsu", "exact_out"] {
        let spikes = clock.spikes_of(pop).unwrap();
        assert!(spikes.steps.len() > 20, "{pop} should fire");
    }
    // The exact neurons' real spike times lie in the step before the grid
    // point they are reported at.
    let dt = 1e-4;
    for pop in ["exact_in", "exact_out"] {
        let s = event.spikes_of(pop).unwrap();
        let times = s.times.as_ref().expect("exact times");
        for (&t, &k) in times.iter().zip(&s.steps) {
            assert!(t > (k as f64 - 1.0) * dt && t <= k as f64 * dt + 1e-12);
        }
    }
    // The AM-SU units are stepped on the grid: their spikes are at grid times.
    let amsu = event.spikes_of("amsu").unwrap();
    for (&t, &k) in amsu.times.as_ref().unwrap().iter().zip(&amsu.steps) {
        assert_eq!(t, k as f64 * dt);
    }
    assert_same(&clock, &event, "mixed, event vs clock");
    for threads in [2, 3] {
        let other = common::simulate(&mixed_network("event", threads));
        assert_eq!(event.spikes, other.spikes, "{threads} threads");
        assert_eq!(event.states, other.states, "{threads} threads");
    }
}

/// The astrocyte example, whose LIF neurons receive the slow inward current
/// and so are stepped on the grid too, runs in the event engine; with its
/// Poisson drive continuous there, it is compared by rate only.
#[test]
fn the_astrocyte_example_runs_in_the_event_engine() {
    let model = std::fs::read_to_string("models/astrocyte_network.toml").unwrap();
    let text = |engine: &str| {
        model
            .replace("duration = \"10 s\"", "duration = \"1 s\"")
            .replace(
                "threads = 1",
                &format!("threads = 2\nengine = \"{engine}\""),
            )
    };
    let run = |engine: &str| {
        let text = text(engine);
        assert!(
            text.contains(&format!("engine = \"{engine}\"")) && text.contains("duration = \"1 s\""),
            "models/astrocyte_network.toml changed: the edits above missed"
        );
        let path = std::path::Path::new("models/astrocyte_network.toml");
        let spec = spikesim::model::validate::parse_model(path, &text).unwrap();
        let r = spikesim::engine::simulate(&spec, &mut |_, _| {});
        // The engine that ran: named in the metadata, and only the event
        // engine records spike times of its own.
        assert_eq!(r.info.engine, engine);
        let exc = r.spikes_of("exc").unwrap();
        assert_eq!(exc.times.is_some(), engine == "event", "{engine}");
        r
    };
    let (clock, event) = (run("clock"), run("event"));
    for pop in ["exc", "amsu"] {
        let (c, e) = (
            clock.spikes_of(pop).unwrap().steps.len() as f64,
            event.spikes_of(pop).unwrap().steps.len() as f64,
        );
        assert!(c > 100.0, "{pop}: {c} clock spikes");
        assert!(
            (e - c).abs() < 0.1 * c,
            "{pop}: {e} event vs {c} clock spikes"
        );
    }
    let ca = event.state_of("astro", "ca").unwrap();
    assert!(ca.values.iter().all(|v| v.is_finite() && *v > 0.0));
}
