//! Probabilistic meta neurons: the firing frequencies the engine produces
//! against their closed forms (fixed seed, binomial bounds), and the new
//! models' independence of the thread count.

use crate::common;

use spikesim::neuron::meta::LevyBaxter;

/// Spikes per neuron of population `pop`.
fn counts(r: &spikesim::io::results::Results, pop: &str, size: usize) -> Vec<u64> {
    let trains = r.spikes.iter().find(|s| s.population == pop).unwrap();
    let mut c = vec![0; size];
    for &n in &trains.senders {
        c[n as usize] += 1;
    }
    c
}

/// `k` successes in `n` trials are within 5 standard deviations of `n p`.
fn assert_binomial(k: u64, n: u64, p: f64, what: &str) {
    let mean = n as f64 * p;
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    let z = (k as f64 - mean) / sd.max(1e-12);
    assert!(
        z.abs() < 5.0,
        "{what}: {k} spikes in {n} trials, expected {mean:.1} ± {sd:.1} (z = {z:.2})"
    );
}

/// A membrane time constant of 1 µs brings `v` back to `v_rest + r_m i_e`
/// within every 0.1 ms step, so each step is an independent trial at that
/// potential; five groups of 40 neurons sit at five potentials, -55, -53,
/// -51, -49 and -47 mV, none of them at the threshold (-50 mV), where a
/// sigmoid's 1/2 or an exponential's `rho_0 dt` would hide a wrong slope.
fn escape_model(firing: &str, extra: &str) -> String {
    let drives: Vec<String> = (0..200)
        .map(|i| format!("\"{} nA\"", 0.02 * (i / 40) as f64 - 0.04))
        .collect();
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "2 s"
seed = 11

[[population]]
name = "meta"
size = 200
model = "meta"
params = {{ firing = "{firing}", tau_m = "1 us", v_rest = "-51 mV", v_reset = "-70 mV", v_th = "-50 mV", r_m = "100 Mohm", delta_u = "2 mV", i_e = [{}] {extra} }}
init = {{ v = "-51 mV" }}
"#,
        drives.join(", ")
    )
}

/// The potentials of the five groups, in volts.
const LEVELS: [f64; 5] = [-0.055, -0.053, -0.051, -0.049, -0.047];

/// Checks the spike counts of the five groups against `p(v)`, the escape
/// probability per 0.1 ms step written out here (not the crate's).
fn check_escape(firing: &str, extra: &str, p: impl Fn(f64) -> f64) {
    let r = common::simulate(&escape_model(firing, extra));
    let c = counts(&r, "meta", 200);
    let trials = 40 * 20_000;
    for (level, &v) in LEVELS.iter().enumerate() {
        let k: u64 = c[level * 40..(level + 1) * 40].iter().sum();
        assert_binomial(k, trials, p(v), &format!("{firing} at v = {v}"));
    }
}

/// Exponential escape, `rho(v) = rho_0 exp((v - v_th)/delta_u)`, held for
/// one step: `p = 1 - exp(-rho dt)`.
#[test]
fn exponential_escape_fires_with_its_closed_form_probability() {
    let (rho_0, dt, v_th, delta_u) = (200.0, 1e-4, -0.050, 0.002);
    check_escape("exponential", r#", rho_0 = "200 Hz""#, |v: f64| {
        1.0 - (-rho_0 * ((v - v_th) / delta_u).exp() * dt).exp()
    });
}

/// Sigmoid escape: `p = 1 / (1 + exp(-(v - v_th)/delta_u))` per step.
#[test]
fn sigmoid_escape_fires_with_its_closed_form_probability() {
    let (v_th, delta_u) = (-0.050, 0.002);
    check_escape("sigmoid", "", |v: f64| {
        1.0 / (1.0 + (-(v - v_th) / delta_u).exp())
    });
}

/// Levy–Baxter neurons receiving `n` inputs of 1 mV every step, g = 1.3 mV,
/// s = 0.7: `P(spike | n)` from the binomial–Irwin–Hall closed form.
#[test]
fn levy_baxter_fires_with_the_irwin_hall_probability() {
    let steps = 5000;
    let times: Vec<String> = (1..=steps)
        .map(|k| format!("\"{} ms\"", k as f64 * 0.1))
        .collect();
    let train = format!("[{}]", times.join(", "));
    let mut model = String::from("[simulation]\ndt = \"0.1 ms\"\nduration = \"0.6 s\"\nseed = 5\n");
    for n in 1..=4 {
        let trains = vec![train.clone(); n].join(", ");
        model += &format!(
            r#"
[[population]]
name = "in{n}"
size = {n}
model = "spike_source"
params = {{ spikes = [{trains}] }}

[[population]]
name = "lb{n}"
size = 100
model = "meta"
params = {{ firing = "levy_baxter", success = 0.7, g = "1.3 mV" }}

[[projection]]
from = "in{n}"
to = "lb{n}"
connect = "all_to_all"
weight = "1 mV"
delay = "0.1 ms"
"#
        );
    }
    let r = common::simulate(&model);
    let unit = LevyBaxter {
        success: 0.7,
        g: 1.3e-3,
        inhibition: 1.0,
    };
    for n in 1..=4u32 {
        let p = unit.probability(n, 1e-3);
        let k: u64 = counts(&r, &format!("lb{n}"), 100).iter().sum();
        assert_binomial(k, 100 * steps as u64, p, &format!("n = {n}"));
        if n == 1 {
            assert_eq!(k, 0, "one input of 1 mV cannot reach 1.3 mV");
        }
    }
}

const META: &str = r#"
[[population]]
name = "meta"
size = 600
model = "meta"
params = { tau_m = "20 ms", v_rest = "-65 mV", v_th = "-52 mV", t_ref = "2 ms", rho_0 = "20 Hz", delta_u = "3 mV" }

[[population]]
name = "lb"
size = 600
model = "meta"
params = { firing = "levy_baxter", success = 0.5, g = "0.6 mV" }

[[projection]]
from = "drive"
to = "meta"
connect = { fixed_indegree = 40 }
weight = "1 mV"

[[projection]]
from = "exc"
to = "lb"
connect = { fixed_indegree = 10 }
weight = "0.5 mV"
"#;

/// Meta, AM-SU and astrocyte populations large enough to be split between
/// workers give the same spikes and traces with 1, 2 and 3 threads.
#[test]
fn the_new_models_do_not_depend_on_the_thread_count() {
    let model = std::fs::read_to_string("models/astrocyte_network.toml").unwrap();
    let run = |threads: u32| {
        let text = model
            .replace("duration = \"10 s\"", "duration = \"1 s\"")
            .replace("threads = 1", &format!("threads = {threads}"))
            + META;
        assert!(text.contains(&format!("threads = {threads}")));
        let path = std::path::Path::new("models/astrocyte_network.toml");
        let spec = spikesim::model::validate::parse_model(path, &text).unwrap();
        spikesim::engine::simulate(&spec, &mut |_, _| {})
    };
    let one = run(1);
    assert!(
        one.spikes
            .iter()
            .all(|s| s.population == "astro" || !s.is_empty())
    );
    for threads in [2, 3] {
        let other = run(threads);
        assert_eq!(one.spikes, other.spikes, "{threads} threads");
        assert_eq!(one.states, other.states, "{threads} threads");
    }
}
