//! Zero-delay projections (`delay = "0 ms"`): a spike reaches its targets
//! in the step it was emitted in, before their threshold test, populations
//! settling in the order of the zero-delay links; the results do not depend
//! on the thread count; cycles, plastic ones and the event engine are
//! refused with located errors.

use std::path::Path;

use spikesim::model::validate::parse_model;

use crate::common;

const DT: f64 = 1e-4;
const TAU: f64 = 10e-3;

/// A source, a chain of three LIF layers joined by zero-delay jumps above
/// threshold (-70 mV + 25 mV > -50 mV), a subthreshold zero-delay target of
/// the first layer, and a last layer behind a 3-step delay.
fn chain(engine: &str) -> String {
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "8 ms"
seed = 3
engine = "{engine}"

[[population]]
name = "src"
size = 1
model = "spike_source"
params = {{ spikes = [["1 ms", "3 ms", "5.5 ms"]] }}

[[population]]
name = "c"
size = 1
model = "lif"
params = {{ tau_m = "10 ms", v_rest = "-70 mV", v_th = "-50 mV", r_m = "100 Mohm" }}

[[population]]
name = "b"
size = 1
model = "lif"
params = {{ tau_m = "10 ms", v_rest = "-70 mV", v_th = "-50 mV", r_m = "100 Mohm" }}

[[population]]
name = "a"
size = 1
model = "lif"
params = {{ tau_m = "10 ms", v_rest = "-70 mV", v_th = "-50 mV", r_m = "100 Mohm" }}

[[population]]
name = "sub"
size = 1
model = "lif"
params = {{ tau_m = "10 ms", v_rest = "-70 mV", v_th = "-50 mV", r_m = "100 Mohm" }}

[[population]]
name = "late"
size = 1
model = "lif"
params = {{ tau_m = "10 ms", v_rest = "-70 mV", v_th = "-50 mV", r_m = "100 Mohm" }}

[[projection]]
from = "b"
to = "c"
connect = "all_to_all"
weight = "25 mV"
delay = "0 ms"

[[projection]]
from = "src"
to = "a"
connect = "all_to_all"
weight = "25 mV"
delay = "0 ms"

[[projection]]
from = "a"
to = "b"
connect = "all_to_all"
weight = "25 mV"
delay = "0 ms"

[[projection]]
from = "a"
to = "sub"
connect = "all_to_all"
weight = "5 mV"
delay = "0 ms"

[[projection]]
from = "c"
to = "late"
connect = "all_to_all"
weight = "25 mV"
delay = "0.3 ms"

[[record]]
population = "sub"
variables = ["v"]
"#
    )
}

/// Every layer fires in the step of the source's spike (grid points 10, 30
/// and 55), listed in the file against their order; the delayed layer three
/// steps later; the subthreshold target jumps at the same grid point and
/// then decays as `exp(-t / tau_m)`.
#[test]
fn a_zero_delay_chain_fires_every_layer_in_the_source_step() {
    // One population per worker on 3 threads: the layers' spikes cross workers.
    for threads in [1, 3] {
        chain_fires_every_layer_in_the_source_step(threads);
    }
}

fn chain_fires_every_layer_in_the_source_step(threads: u32) {
    let mut spec = common::spec(&chain("clock"));
    spec.simulation.threads = threads;
    let results = spikesim::engine::simulate(&spec, &mut |_, _| {});
    let source = [10u64, 30, 55];
    for layer in ["src", "a", "b", "c"] {
        assert_eq!(results.spikes_of(layer).unwrap().steps, source, "{layer}");
    }
    let late: Vec<u64> = source.iter().map(|k| k + 3).collect();
    assert_eq!(results.spikes_of("late").unwrap().steps, late);
    assert_eq!(results.spikes_of("sub").unwrap().steps, Vec::<u64>::new());
    let v = results.state_of("sub", "v").unwrap();
    let trace = v.column(0);
    let jump = 5e-3f32 as f64;
    for (row, &k) in v.steps.iter().enumerate().take(300) {
        // Jumps of earlier spikes, each decayed since its grid point.
        let expected = -70e-3
            + source
                .iter()
                .filter(|&&s| s <= k)
                .map(|&s| jump * (-((k - s) as f64) * DT / TAU).exp())
                .sum::<f64>();
        assert!(
            (trace[row] - expected).abs() < 1e-12,
            "grid {k}: {} vs {expected}",
            trace[row]
        );
    }
}

/// Two excitatory populations driven by Poisson input through zero-delay
/// projections, joined by a zero-delay feed-forward link and recurrent
/// links of one step and more: enough spikes that an ordering mistake
/// would show.
pub const MIXED: &str = r#"
[simulation]
dt = "0.1 ms"
duration = "200 ms"
seed = 17

[[population]]
name = "in"
size = 200
model = "poisson"
params = { rate = "40 Hz" }

[[population]]
name = "e1"
size = 300
model = "lif"
params = { tau_m = "20 ms", v_rest = "-65 mV", v_th = "-50 mV", v_reset = "-65 mV", r_m = "100 Mohm", t_ref = "2 ms" }

[[population]]
name = "e2"
size = 250
model = "cuba_lif"
params = { tau_m = "20 ms", v_rest = "-65 mV", v_th = "-50 mV", v_reset = "-65 mV", r_m = "100 Mohm", t_ref = "2 ms", tau_syn_e = "5 ms", tau_syn_i = "10 ms" }

[[projection]]
from = "in"
to = "e1"
connect = { fixed_indegree = 30 }
weight = "1.2 mV"
delay = "0 ms"

[[projection]]
from = "e1"
to = "e2"
connect = { fixed_probability = 0.1 }
weight = "0.4 nA"
delay = "0 ms"

[[projection]]
from = "e2"
to = "e1"
connect = { fixed_probability = 0.1 }
weight = "-0.2 mV"
delay = "0.1 ms"

[[projection]]
from = "e1"
to = "e1"
connect = { fixed_probability = 0.05 }
weight = { uniform = ["0.1 mV", "0.6 mV"] }
delay = { uniform = ["0.1 ms", "1 ms"] }

[[projection]]
from = "in"
to = "e2"
connect = { list = "ZERO_LIST" }
weight = "0.3 nA"

[[record]]
population = "e2"
variables = ["v"]
neurons = [0, 100, 249]
"#;

/// [`MIXED`] with its connection list (zero and non-zero listed delays of
/// one projection) written to `dir`.
pub fn mixed_model(dir: &Path) -> String {
    let list = dir.join("zero_list.csv");
    let mut csv = String::from("pre,post,delay_ms\n");
    for post in 0..250u32 {
        for k in 0..4u32 {
            let pre = (post * 7 + k * 13) % 200;
            let delay = if k % 2 == 0 { "0" } else { "0.2" };
            csv.push_str(&format!("{pre},{post},{delay}\n"));
        }
    }
    std::fs::write(&list, csv).expect("list written");
    MIXED.replace("ZERO_LIST", list.to_str().expect("utf-8 path"))
}

#[test]
fn mixed_zero_and_delayed_projections_give_the_same_results_on_1_and_2_threads() {
    let dir = tempfile::tempdir().unwrap();
    let model = mixed_model(dir.path());
    let run = |threads: u32| {
        let mut spec = common::spec(&model);
        spec.simulation.threads = threads;
        spikesim::engine::simulate(&spec, &mut |_, _| {})
    };
    let one = run(1);
    let e1 = one.spikes_of("e1").unwrap().steps.len();
    let e2 = one.spikes_of("e2").unwrap().steps.len();
    assert!(e1 > 300 && e2 > 100, "{e1} and {e2} spikes");
    for threads in [2, 3] {
        let other = run(threads);
        assert_eq!(one.spikes, other.spikes, "{threads} threads");
        assert_eq!(one.states, other.states, "{threads} threads");
        assert_eq!(one.info.synaptic_events, other.info.synaptic_events);
    }
}

fn error_of(text: &str) -> String {
    parse_model(Path::new("m.toml"), text)
        .expect_err("refused")
        .to_string()
}

fn assert_mentions(err: &str, fragments: &[&str]) {
    for fragment in fragments {
        assert!(err.contains(fragment), "{fragment:?} missing from: {err}");
    }
}

#[test]
fn a_zero_delay_cycle_is_refused_naming_its_populations_and_projections() {
    let text = chain("clock").replace(
        "[[record]]",
        "[[projection]]\nname = \"back\"\nfrom = \"c\"\nto = \"a\"\nconnect = \"all_to_all\"\nweight = \"1 mV\"\ndelay = \"0 ms\"\n\n[[record]]",
    );
    let err = error_of(&text);
    // The walk from `src` (the first population) enters the cycle at `a`
    // and closes it with `back`.
    assert_mentions(
        &err,
        &[
            "m.toml:85:",
            "projection[5].delay",
            "zero-delay projections form a cycle: `a` -> `b` (projection `a->b`) -> `c` (projection `b->c`) -> `a` (projection `back`)",
            "delay of at least one step",
        ],
    );
    // With one step on the way back, the same links are fine.
    common::spec(&text.replace(
        "weight = \"1 mV\"\ndelay = \"0 ms\"",
        "weight = \"1 mV\"\ndelay = \"0.1 ms\"",
    ));
}

#[test]
fn a_zero_delay_autapse_is_a_cycle() {
    let text = chain("clock").replace(
        "[[record]]",
        "[[projection]]\nfrom = \"sub\"\nto = \"sub\"\nconnect = \"one_to_one\"\nweight = \"1 mV\"\ndelay = \"0 ms\"\n\n[[record]]",
    );
    assert_mentions(
        &error_of(&text),
        &["zero-delay projections form a cycle: `sub` -> `sub` (projection `sub->sub`)"],
    );
}

#[test]
fn the_event_engine_refuses_zero_delays_naming_the_clock_engine() {
    let err = error_of(&chain("event"));
    assert_mentions(
        &err,
        &[
            "m.toml:49:",
            "projection[0].delay",
            "projection `b->c` has a zero delay",
            "engine = \"clock\"",
        ],
    );
}

/// A spec switched to the event engine after validation (as a library
/// caller could) is refused by the engine itself.
#[test]
fn the_event_engine_refuses_a_zero_delay_network_it_is_handed() {
    let mut spec = common::spec(&chain("clock"));
    spec.simulation.engine = spikesim::model::spec::EngineKind::Event;
    let mut net = spikesim::engine::network::Network::build(&spec);
    let err = match spikesim::engine::event::EventRun::new(&mut net, &spec) {
        Ok(_) => panic!("a zero-delay network is refused by the event engine"),
        Err(e) => e.to_string(),
    };
    assert_mentions(
        &err,
        &["projection `b->c` has a zero delay", "engine = \"clock\""],
    );
}

#[test]
fn plastic_and_drawn_zero_delays_are_refused() {
    let plastic = chain("clock").replacen(
        "weight = \"25 mV\"\ndelay = \"0 ms\"",
        "weight = \"25 mV\"\ndelay = \"0 ms\"\nplasticity = { stdp = { tau_plus = \"20 ms\", tau_minus = \"20 ms\", a_plus = \"0.01 mV\", a_minus = \"0.0105 mV\", w_min = \"0 mV\", w_max = \"30 mV\" } }",
        1,
    );
    assert_mentions(
        &error_of(&plastic),
        &["projection[0].delay", "has a zero delay and plasticity"],
    );
    let drawn = chain("clock").replacen(
        "delay = \"0 ms\"",
        "delay = { uniform = [\"0 ms\", \"0.2 ms\"] }",
        1,
    );
    assert_mentions(
        &error_of(&drawn),
        &["projection[0].delay", "a zero delay is exactly 0"],
    );
}

#[test]
fn a_source_spike_at_time_zero_through_a_zero_delay_is_refused() {
    let spec = common::spec(&chain("clock").replace("[[\"1 ms\",", "[[\"0 ms\","));
    let mut net = spikesim::engine::network::Network::build(&spec);
    let err = match spikesim::engine::clock::ClockRun::new(&mut net, &spec.records, &[]) {
        Ok(_) => panic!("a spike at time 0 through a zero delay is refused"),
        Err(e) => e.to_string(),
    };
    assert_mentions(
        &err,
        &[
            "population `src` neuron 0 spikes at time 0",
            "projection `src->a` has a zero delay",
        ],
    );
}

/// A fixed-point chain: a pattern, three LIF layers joined by zero-delay
/// projections (listed against their order), and a last layer behind the
/// chip's one-step pipeline. `du = dv = 4095` clear `u` and `v` every step,
/// so `u` is exactly the step's input `a_in << 6` = 320, above the
/// threshold `4 << 6`.
fn fixed_chain(threads: u32) -> String {
    let lif = "model = \"lif\"\nparams = { du = 4095, dv = 4095, vth = 4 }";
    let link = |from: &str, to: &str, zero: bool| {
        let delay = if zero { "delay = \"0 ms\"\n" } else { "" };
        format!(
            "\n[[projection]]\nfrom = \"{from}\"\nto = \"{to}\"\nconnect = \"all_to_all\"\nweight = 5\n{delay}"
        )
    };
    let mut text = format!(
        "[simulation]\narithmetic = \"fixed\"\nsteps = 8\nthreads = {threads}\n\n[[population]]\nname = \"in\"\nsize = 1\nmodel = \"spike_pattern\"\npattern = [[0, 1, 0, 1, 0, 0, 0, 0]]\n"
    );
    for name in ["c", "b", "a", "late"] {
        text.push_str(&format!(
            "\n[[population]]\nname = \"{name}\"\nsize = 1\n{lif}\n"
        ));
    }
    text.push_str(&link("b", "c", true));
    text.push_str(&link("in", "a", true));
    text.push_str(&link("a", "b", true));
    text.push_str(&link("c", "late", false));
    text.push_str("\n[[record]]\npopulation = \"c\"\nvariables = [\"u\"]\n");
    text
}

#[test]
fn a_fixed_point_zero_delay_chain_fires_every_layer_in_the_pattern_step() {
    for threads in [1, 2, 3] {
        let r = common::simulate(&fixed_chain(threads));
        for layer in ["in", "a", "b", "c"] {
            assert_eq!(
                r.spikes_of(layer).unwrap().steps,
                vec![2, 4],
                "{layer}, {threads} threads"
            );
        }
        assert_eq!(r.spikes_of("late").unwrap().steps, vec![3, 5]);
        let u = r.state_of("c", "u").unwrap().column(0);
        assert_eq!(u, vec![0.0, 320.0, 0.0, 320.0, 0.0, 0.0, 0.0, 0.0]);
    }
}

#[test]
fn fixed_point_delays_other_than_zero_and_zero_delay_cycles_are_refused() {
    let text = fixed_chain(1);
    let err = error_of(&text.replacen("delay = \"0 ms\"", "delay = \"1 ms\"", 1));
    assert_mentions(
        &err,
        &["projection[0].delay", "one-step pipeline", "\"0 ms\""],
    );
    let cycle = format!(
        "{text}\n[[projection]]\nname = \"back\"\nfrom = \"c\"\nto = \"a\"\nconnect = \"all_to_all\"\nweight = 1\ndelay = \"0 ms\"\n"
    );
    assert_mentions(
        &error_of(&cycle),
        &[
            "projection[4].delay",
            "zero-delay projections form a cycle: `a` -> `b` (projection `a->b`) -> `c` (projection `b->c`) -> `a` (projection `back`)",
        ],
    );
}
