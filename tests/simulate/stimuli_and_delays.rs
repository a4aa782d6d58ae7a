//! Inputs reach their targets when and how the model file says.

use crate::common;

fn lif_with(extra: &str, duration_ms: f64) -> String {
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "{duration_ms} ms"
seed = 11

[[population]]
name = "n"
size = 3
model = "lif"
params = {{ tau_m = "10 ms", v_rest = "-70 mV", v_th = "-50 mV", r_m = "100 Mohm" }}

[[record]]
population = "n"
variables = ["v"]
{extra}
"#
    )
}

#[test]
fn delta_spikes_jump_v_exactly_after_their_delay() {
    let extra = r#"
[[population]]
name = "src"
size = 1
model = "spike_source"
params = { spikes = [["2 ms", "7.3 ms"]] }

[[projection]]
from = "src"
to = "n"
connect = { list = "stimuli/test_delays.csv" }
"#;
    let results = common::simulate(&lif_with(extra, 20.0));
    let v = results.state_of("n", "v").unwrap();
    // Find, per neuron, the steps where v jumped up from rest.
    for (column, delay_steps, weight) in [(0usize, 1u64, 2e-3f64), (1, 15, 1e-3), (2, 40, 3e-3)] {
        let trace = v.column(column);
        let jumps: Vec<u64> = (1..trace.len())
            .filter(|&r| trace[r] - trace[r - 1] > 1e-4)
            .map(|r| v.steps[r])
            .collect();
        let arrivals: Vec<u64> = [20u64, 73]
            .iter()
            .map(|s| s + delay_steps)
            .filter(|&s| s < 200)
            .collect();
        assert_eq!(jumps, arrivals, "neuron {column}");
        // The first jump lands on a resting membrane: its size is the weight (f32).
        let first = arrivals[0] as usize;
        let jump = trace[first] - (-70e-3);
        assert!((jump - weight as f32 as f64).abs() < 1e-15, "{jump}");
    }
}

#[test]
fn step_current_follows_the_closed_form_from_its_onset() {
    let extra = r#"
[[stimulus]]
kind = "current"
population = "n"
neurons = [1]
amplitude = "0.15 nA"
start = "5 ms"
stop = "25 ms"
"#;
    let results = common::simulate(&lif_with(extra, 40.0));
    let v = results.state_of("n", "v").unwrap();
    let (rest, drive, tau) = (-70e-3, 100e6 * 0.15e-9, 10e-3);
    let at_stop = rest + drive * (1.0 - (-20e-3f64 / tau).exp());
    for (row, &k) in v.steps.iter().enumerate() {
        let t = k as f64 * 1e-4;
        let expected = if t <= 5e-3 {
            rest
        } else if t <= 25e-3 {
            rest + drive * (1.0 - (-(t - 5e-3) / tau).exp())
        } else {
            rest + (at_stop - rest) * (-(t - 25e-3) / tau).exp()
        };
        let got = v.values[row * 3 + 1];
        assert!(
            common::rel_diff(got, expected) < 1e-12,
            "t={t}: {got} vs {expected}"
        );
        assert_eq!(v.values[row * 3], rest, "untargeted neurons stay at rest");
    }
}

#[test]
fn poisson_rates_follow_constant_and_file_rates() {
    let model = r#"
[simulation]
dt = "0.1 ms"
duration = "500 ms"
seed = 3

[[population]]
name = "steady"
size = 400
model = "poisson"
params = { rate = "25 Hz" }

[[population]]
name = "ramp"
size = 400
model = "poisson"
params = { rate_file = "stimuli/ramp_rate.csv" }
"#;
    let results = common::simulate(model);
    // Expected counts: 400 · 25 Hz · 0.5 s = 5000 (sd ≈ 71, Poisson),
    // and the ramp: 0 for 100 ms, 20 Hz for 200 ms, 80 Hz for 200 ms.
    let steady = results.spikes_of("steady").unwrap();
    let p = -(-25.0f64 * 1e-4).exp_m1();
    let expected = 400.0 * 5000.0 * p;
    assert!(
        (steady.len() as f64 - expected).abs() < 5.0 * expected.sqrt(),
        "{}",
        steady.len()
    );
    let ramp = results.spikes_of("ramp").unwrap();
    let count_between =
        |a: u64, b: u64| ramp.steps.iter().filter(|&&s| s > a && s <= b).count() as f64;
    assert_eq!(count_between(0, 1000), 0.0);
    let mid = 400.0 * 0.2 * 20.0;
    let late = 400.0 * 0.2 * 80.0;
    assert!((count_between(1000, 3000) - mid).abs() < 5.0 * f64::sqrt(mid));
    assert!((count_between(3000, 5000) - late).abs() < 5.0 * f64::sqrt(late));
    // No neuron spikes twice in one step.
    let mut pairs: Vec<(u64, u32)> = ramp
        .steps
        .iter()
        .copied()
        .zip(ramp.senders.iter().copied())
        .collect();
    let n = pairs.len();
    pairs.sort_unstable();
    pairs.dedup();
    assert_eq!(pairs.len(), n);
}

#[test]
fn shipped_file_driven_model_replays_its_spike_file() {
    let spec =
        spikesim::model::load(std::path::Path::new("models/pattern_driven.toml"), &[]).unwrap();
    let results = spikesim::engine::simulate(&spec, &mut |_, _| {});
    let volley = results.spikes_of("volley").unwrap();
    // stimuli/pulse_pattern.csv, written out: channel n fires at
    // 5 + n + 50 k ms for k = 0..10 (rows "0,5", "1,6", ..., "19,474"),
    // i.e. at step 10 (5 + n + 50 k) of 0.1 ms.
    let mut expected: Vec<(u64, u32)> = (0..10u64)
        .flat_map(|k| (0..20u32).map(move |n| (10 * (5 + u64::from(n) + 50 * k), n)))
        .collect();
    expected.sort_unstable();
    let got: Vec<(u64, u32)> = volley
        .steps
        .iter()
        .copied()
        .zip(volley.senders.iter().copied())
        .collect();
    assert_eq!(got, expected);
    assert!(results.mean_rate("cells").unwrap() > 0.0);
}

#[test]
fn spikes_of_one_run_replay_as_an_hdf5_source_in_another() {
    let first = common::simulate(
        r#"
[simulation]
dt = "0.1 ms"
duration = "200 ms"
seed = 5

[[population]]
name = "p"
size = 30
model = "poisson"
params = { rate = "40 Hz" }
"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("first.h5");
    spikesim::io::hdf5::write_results(&file, &first).unwrap();
    let replay = common::simulate(&format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "200 ms"

[[population]]
name = "again"
size = 30
model = "spike_source"
params = {{ file = "{}", group = "/spikes/p" }}

[[population]]
name = "n"
size = 1
model = "lif"
params = {{ tau_m = "10 ms", v_rest = "-70 mV", v_th = "-50 mV" }}

[[record]]
population = "n"
variables = ["v"]
every = 7
"#,
        file.display()
    ));
    let (a, b) = (
        first.spikes_of("p").unwrap(),
        replay.spikes_of("again").unwrap(),
    );
    let mut original: Vec<(u64, u32)> = a
        .steps
        .iter()
        .copied()
        .zip(a.senders.iter().copied())
        .collect();
    original.sort_unstable();
    let replayed: Vec<(u64, u32)> = b
        .steps
        .iter()
        .copied()
        .zip(b.senders.iter().copied())
        .collect();
    assert!(!original.is_empty());
    assert_eq!(replayed, original);
    let v = replay.state_of("n", "v").unwrap();
    assert_eq!(
        v.steps,
        (0..2000).step_by(7).collect::<Vec<u64>>(),
        "every = 7 samples grid points 0, 7, 14, ..."
    );
}

/// A current course of 2e5 rows was read back row by row for each of its
/// times (quadratic: 8 s, and 2e6 rows never ended); now once. The course
/// changes every 10 µs, 3 µs off the 0.1 ms grid; a membrane of 1 ns sits
/// at `v_rest + r_m I` within microseconds, so each recorded sample shows
/// the row in force at its time: row `10 k - 1` at step `k`.
#[test]
fn long_current_course_is_read_in_one_pass_and_sampled_at_the_right_rows() {
    let rows = 200_000u64;
    let amp_na = |i: u64| ((i * 7919) % 101) as f64 * 1e-3;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("course.csv");
    let mut text = String::from("time_ms,amplitude_nA\n");
    for i in 0..rows {
        text.push_str(&format!(
            "{:.3},{:.3}\n",
            i as f64 * 0.01 + 0.003,
            amp_na(i)
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let model = format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "2 s"
engine = "event"

[[population]]
name = "n"
size = 1
model = "lif"
params = {{ tau_m = "1 ns", v_rest = "-70 mV", v_th = "0 mV", r_m = "100 Mohm" }}

[[stimulus]]
kind = "current"
population = "n"
file = "{}"

[[record]]
population = "n"
variables = ["v"]
"#,
        csv.display()
    );
    let results = common::simulate(&model);
    let v = results.state_of("n", "v").unwrap();
    assert_eq!(v.steps.len(), 20_000);
    for (row, &k) in v.steps.iter().enumerate() {
        let current = if k == 0 {
            0.0
        } else {
            amp_na(10 * k - 1) * 1e-9
        };
        let expected = -70e-3 + 100e6 * current;
        let got = v.values[row];
        assert!(
            (got - expected).abs() < 1e-12,
            "step {k}: {got} vs {expected}"
        );
    }
}

#[test]
fn poisson_stimulus_follows_its_rate_file() {
    // A perfect integrator (no leak, unreachable threshold) counts the
    // stimulus's spikes: v = (arrivals) · 1 mV. stimuli/ramp_rate.csv is
    // 0 Hz for 100 ms, 20 Hz for 200 ms, then 80 Hz, for each of 400 targets.
    let model = r#"
[simulation]
dt = "0.1 ms"
duration = "500 ms"
seed = 5

[[population]]
name = "counter"
size = 400
model = "lif"
params = { tau_m = "10 ms", v_th = "1 V", leak = false }

[[stimulus]]
kind = "poisson"
population = "counter"
rate_file = "stimuli/ramp_rate.csv"
weight = "1 mV"
delay = "0.1 ms"

[[record]]
population = "counter"
variables = ["v"]
every = 1000
"#;
    let results = common::simulate(model);
    let trace = results.state_of("counter", "v").unwrap();
    assert_eq!(trace.steps, vec![0, 1000, 2000, 3000, 4000]);
    let v = &trace.values;
    let arrivals = |sample: usize| -> f64 {
        (0..400)
            .map(|n| {
                let count = v[sample * 400 + n] / 1e-3;
                assert!((count - count.round()).abs() < 1e-6, "{count}");
                count.round()
            })
            .sum()
    };
    // Samples every 100 ms: 0, 100, ..., 400 ms.
    assert_eq!(arrivals(1), 0.0, "spikes while the file's rate is 0");
    let mid = 400.0 * 0.2 * 20.0;
    let late = 400.0 * 0.1 * 80.0;
    let by_300 = arrivals(3);
    assert!((by_300 - mid).abs() < 5.0 * mid.sqrt(), "{by_300} vs {mid}");
    let after = arrivals(4) - by_300;
    assert!(
        (after - late).abs() < 5.0 * late.sqrt(),
        "{after} vs {late}"
    );
}

#[test]
fn poisson_stimulus_wants_exactly_one_rate() {
    let both = r#"
[simulation]
dt = "0.1 ms"
duration = "10 ms"

[[population]]
name = "p"
size = 1
model = "lif"
params = { tau_m = "10 ms", v_th = "1 V", leak = false }

[[stimulus]]
kind = "poisson"
population = "p"
rate = "10 Hz"
rate_file = "stimuli/ramp_rate.csv"
weight = "1 mV"
"#;
    let err = spikesim::model::validate::parse_model(std::path::Path::new("test.toml"), both)
        .expect_err("both rates refused")
        .to_string();
    assert!(err.contains("exactly one of `rate`"), "{err}");
}
