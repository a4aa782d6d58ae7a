//! The event-driven engine: exact continuous-time spike times, agreement
//! with the clock engine as dt shrinks and on grid-aligned networks, and the
//! same results for any number of threads.

use crate::common;

const TAU: f64 = 10e-3;
const V_REST: f64 = -70e-3;
const V_TH: f64 = -55e-3;
const T_REF: f64 = 2e-3;
const DRIVE: f64 = 100e6 * 0.2e-9; // r_m · i_e = 20 mV

fn single_lif(engine: &str, dt_ms: f64) -> String {
    format!(
        r#"
[simulation]
dt = "{dt_ms} ms"
duration = "200 ms"
engine = "{engine}"

[[population]]
name = "n"
size = 1
model = "lif"
params = {{ tau_m = "10 ms", v_rest = "-70 mV", v_reset = "-70 mV", v_th = "-55 mV", t_ref = "2 ms", r_m = "100 Mohm", i_e = "0.2 nA" }}
"#
    )
}

/// Continuous-time spike times: from a reset, `tau ln(RI / (RI - (V_th - V_r)))`
/// to threshold, plus the refractory period between spikes.
fn analytic_times() -> Vec<f64> {
    let to_threshold = TAU * (DRIVE / (DRIVE - (V_TH - V_REST))).ln();
    let mut times = vec![to_threshold];
    while *times.last().unwrap() + T_REF + to_threshold <= 0.2 {
        let next = times.last().unwrap() + T_REF + to_threshold;
        times.push(next);
    }
    times
}

#[test]
fn single_lif_spike_times_are_the_analytic_ones() {
    let results = common::simulate(&single_lif("event", 0.1));
    let spikes = results.spikes_of("n").unwrap();
    let times = spikes
        .times
        .as_ref()
        .expect("the event engine keeps exact times");
    let expected = analytic_times();
    assert_eq!(times.len(), expected.len());
    for (t, e) in times.iter().zip(&expected) {
        // 1e-9 ms.
        assert!((t - e).abs() < 1e-12, "{t} vs {e}");
    }
    // Reported steps are the first grid points at or after the spikes.
    for (&step, t) in spikes.steps.iter().zip(times) {
        assert!(step as f64 * 1e-4 >= t - 1e-12 && (step as f64 - 1.0) * 1e-4 < *t);
    }
}

#[test]
fn clock_spike_times_converge_to_the_event_engine_as_dt_shrinks() {
    let exact = analytic_times();
    let mut errors = Vec::new();
    for dt_ms in [0.1, 0.01, 0.001] {
        let results = common::simulate(&single_lif("clock", dt_ms));
        let clock = results.spikes_of("n").unwrap().times(dt_ms * 1e-3);
        assert_eq!(clock.len(), exact.len(), "dt = {dt_ms} ms");
        // The clock engine snaps each crossing up to the grid; errors
        // accumulate from spike to spike but stay below one step per spike.
        let worst = clock
            .iter()
            .zip(&exact)
            .map(|(c, e)| (c - e).abs())
            .fold(0.0, f64::max);
        assert!(
            worst < dt_ms * 1e-3 * exact.len() as f64,
            "dt = {dt_ms} ms: {worst}"
        );
        errors.push(worst);
    }
    eprintln!("largest spike-time error for dt = 0.1, 0.01, 0.001 ms: {errors:?}");
    assert!(
        errors[1] < errors[0] / 5.0 && errors[2] < errors[1] / 5.0,
        "{errors:?}"
    );
}

/// A CuBa neuron with inputs at times off the grid (delays of 1.234 ms): the
/// sampled potential equals the closed form, each input counted from its
/// exact arrival.
#[test]
fn cuba_inputs_arrive_at_exact_times_and_the_trace_is_the_closed_form() {
    let model = r#"
[simulation]
dt = "0.1 ms"
duration = "60 ms"
engine = "event"

[[population]]
name = "src"
size = 1
model = "spike_source"
params = { spikes = [["3.3333 ms", "17.05 ms"]] }

[[population]]
name = "n"
size = 1
model = "cuba_lif"
params = { tau_m = "20 ms", v_rest = "-65 mV", v_th = "0 mV", tau_syn_e = "5 ms", tau_syn_i = "10 ms" }

[[projection]]
from = "src"
to = "n"
connect = "all_to_all"
weight = "4 mV"
delay = "1.234 ms"
receptor = "exc"

[[record]]
population = "n"
variables = ["v", "i_syn_e"]
"#;
    let results = common::simulate(model);
    let v = results.state_of("n", "v").unwrap();
    let w = 4e-3f32 as f64;
    let kernel = |s: f64| -> f64 {
        if s < 0.0 {
            return 0.0;
        }
        5e-3 / (5e-3 - 20e-3) * ((-s / 5e-3).exp() - (-s / 20e-3).exp())
    };
    let arrivals = [3.3333e-3 + 1.234e-3, 17.05e-3 + 1.234e-3];
    for (row, &k) in v.steps.iter().enumerate() {
        let t = k as f64 * 1e-4;
        let expected = -65e-3 + arrivals.iter().map(|a| w * kernel(t - a)).sum::<f64>();
        assert!(
            common::rel_diff(v.values[row], expected) < 1e-9,
            "t = {t}: {} vs {expected}",
            v.values[row]
        );
    }
}

/// LIF neurons with delta synapses and a subthreshold drive can only cross
/// at an input, so when inputs and delays lie on the grid both engines must
/// produce the same spikes.
#[test]
fn grid_aligned_network_gives_the_same_spikes_in_both_engines() {
    let model = |engine: &str| {
        format!(
            r#"
[simulation]
dt = "0.1 ms"
duration = "300 ms"
seed = 9
engine = "{engine}"

[[population]]
name = "src"
size = 40
model = "spike_source"
params = {{ file = "stimuli/grid_spikes.csv" }}

[[population]]
name = "net"
size = 60
model = "lif"
params = {{ tau_m = "15 ms", v_rest = "-70 mV", v_reset = "-70 mV", v_th = "-60 mV", t_ref = "2 ms", r_m = "100 Mohm", i_e = "0.05 nA" }}

[[projection]]
from = "src"
to = "net"
connect = {{ fixed_probability = 0.3 }}
weight = {{ uniform = ["1 mV", "4 mV"] }}
delay = "1.5 ms"

[[projection]]
from = "net"
to = "net"
connect = {{ fixed_probability = 0.1 }}
weight = {{ uniform = ["-2 mV", "3 mV"] }}
delay = "2 ms"
"#
        )
    };
    let clock = common::simulate(&model("clock"));
    let event = common::simulate(&model("event"));
    let (c, e) = (
        clock.spikes_of("net").unwrap(),
        event.spikes_of("net").unwrap(),
    );
    assert!(c.len() > 50, "the network is active: {} spikes", c.len());
    assert_eq!(c.steps, e.steps);
    assert_eq!(c.senders, e.senders);
}

/// The run was the event engine's: its metadata says so, and only that
/// engine records exact spike times, some of them (for LIF neurons driven
/// off the grid) between grid points.
fn assert_event_engine_ran(r: &spikesim::io::results::Results, pop: &str) {
    assert_eq!(r.info.engine, "event");
    let s = r.spikes_of(pop).unwrap();
    let times = s.times.as_ref().expect("the event engine's exact times");
    let dt = r.info.dt;
    let off_grid = times
        .iter()
        .filter(|&&t| ((t / dt).round() * dt - t).abs() > 1e-6 * dt)
        .count();
    assert!(
        off_grid * 2 > times.len(),
        "{off_grid} of {} spike times off the grid",
        times.len()
    );
}

#[test]
fn event_engine_results_do_not_depend_on_the_thread_count() {
    let shipped = std::fs::read_to_string("models/cuba.toml").unwrap();
    let text = shipped
        .replace("engine = \"clock\"", "engine = \"event\"")
        .replace("duration = \"1 s\"", "duration = \"200 ms\"");
    assert!(
        text.contains("engine = \"event\"") && !text.contains("engine = \"clock\""),
        "models/cuba.toml no longer says engine = \"clock\": the edit above missed"
    );
    let run = |threads: u32| {
        let mut spec = common::spec(&text);
        spec.simulation.threads = threads;
        spikesim::engine::simulate(&spec, &mut |_, _| {})
    };
    let one = run(1);
    assert_event_engine_ran(&one, "exc");
    assert!(one.spikes_of("exc").unwrap().len() > 1000);
    for threads in [2, 3] {
        let other = run(threads);
        assert_eq!(one.spikes, other.spikes, "{threads} threads");
        assert_eq!(one.states, other.states, "{threads} threads");
    }
}

/// A step current switched on and off between grid points: the event
/// engine applies it at its exact times, and samples the closed form.
#[test]
fn step_current_acts_at_its_exact_times() {
    let model = r#"
[simulation]
dt = "0.1 ms"
duration = "40 ms"
engine = "event"

[[population]]
name = "n"
size = 2
model = "lif"
params = { tau_m = "10 ms", v_rest = "-70 mV", v_th = "-50 mV", r_m = "100 Mohm" }

[[stimulus]]
kind = "current"
population = "n"
neurons = [1]
amplitude = "0.15 nA"
start = "5.03 ms"
stop = "25.07 ms"

[[record]]
population = "n"
variables = ["v"]
"#;
    let results = common::simulate(model);
    let v = results.state_of("n", "v").unwrap();
    let (rest, drive, tau) = (-70e-3, 100e6 * 0.15e-9, 10e-3);
    let (on, off): (f64, f64) = (5.03e-3, 25.07e-3);
    let at_stop = rest + drive * (1.0 - (-(off - on) / tau).exp());
    for (row, &k) in v.steps.iter().enumerate() {
        let t = k as f64 * 1e-4;
        let expected = if t <= on {
            rest
        } else if t <= off {
            rest + drive * (1.0 - (-(t - on) / tau).exp())
        } else {
            rest + (at_stop - rest) * (-(t - off) / tau).exp()
        };
        assert!(
            common::rel_diff(v.values[row * 2 + 1], expected) < 1e-9,
            "t = {t}"
        );
        assert_eq!(v.values[row * 2], rest);
    }
}

/// A membrane of a nanosecond: the engine re-expresses its state every two
/// nanoseconds, 10^9 times in two seconds, which never finished; neurons at
/// rest or held at reset now skip those spans. Ten neurons driven above
/// threshold spike at `tau ln(RI / (RI - (V_th - V_r)))` after each
/// refractory period, as in the closed form.
#[test]
fn nanosecond_membrane_runs_and_spikes_at_the_analytic_times() {
    let tau = 1e-9;
    let model = r#"
[simulation]
dt = "0.1 ms"
duration = "2 s"
engine = "event"

[[population]]
name = "n"
size = 10
model = "lif"
params = { tau_m = "1 ns", v_rest = "-70 mV", v_reset = "-70 mV", v_th = "-55 mV", t_ref = "2 ms", r_m = "100 Mohm", i_e = "0.2 nA" }
"#;
    let results = common::simulate(model);
    let spikes = results.spikes_of("n").unwrap();
    let times = spikes.times.as_ref().expect("exact times");
    let to_threshold = tau * (DRIVE / (DRIVE - (V_TH - V_REST))).ln();
    let mut expected = vec![to_threshold];
    while *expected.last().unwrap() + T_REF + to_threshold < 2.0 {
        expected.push(expected.last().unwrap() + T_REF + to_threshold);
    }
    assert_eq!(expected.len(), 1000);
    for neuron in 0..10 {
        let own: Vec<f64> = times
            .iter()
            .zip(&spikes.senders)
            .filter(|&(_, &s)| s == neuron)
            .map(|(&t, _)| t)
            .collect();
        assert_eq!(own.len(), expected.len(), "neuron {neuron}");
        for (t, e) in own.iter().zip(&expected) {
            // Event times sit on a 0.1 ps grain; a thousand periods add up
            // at most a thousand roundings.
            assert!((t - e).abs() < 1e-10, "neuron {neuron}: {t} vs {e}");
        }
    }
}

/// A CuBa neuron's drives never rest in an active network, so a time
/// constant far below dt would cost the event engine ~dt/(2 tau) updates of
/// every neuron per step: refused at validation, naming the field and the
/// way out; the clock engine takes the same model.
#[test]
fn cuba_time_constant_far_below_dt_is_refused_on_the_event_engine() {
    let model = |engine: &str| {
        format!(
            r#"
[simulation]
dt = "0.1 ms"
duration = "10 ms"
engine = "{engine}"

[[population]]
name = "c"
size = 2
model = "cuba_lif"
params = {{ tau_m = "20 ms", v_rest = "-49 mV", v_reset = "-60 mV", v_th = "-50 mV", t_ref = "5 ms", tau_syn_e = "1 ns", tau_syn_i = "10 ms" }}
"#
        )
    };
    let err =
        spikesim::model::validate::parse_model(std::path::Path::new("m.toml"), &model("event"))
            .expect_err("1 ns under dt = 0.1 ms is refused")
            .to_string();
    for fragment in [
        "m.toml:11:",
        "population[c].params.tau_syn_e",
        "5.000e4 times per step",
        "engine = \"clock\"",
        "2e-8 s",
    ] {
        assert!(err.contains(fragment), "{fragment:?} missing from: {err}");
    }
    let clock = common::simulate(&model("clock"));
    assert!(clock.spikes_of("c").is_some());
}
