//! STDP measured through the real engines from model files: one synapse per
//! pre/post neuron pair, spike times controlled by spike sources (the post
//! neurons are made to fire by a strong driver synapse), weight changes
//! read from the recorded weights and compared with closed forms computed
//! here by explicit sums over spike pairs (not with traces).

use crate::common;

use spikesim::io::results::Results;

const DELAY_MS: f64 = 1.5;
const TAU_PLUS: f64 = 0.0168;
const TAU_MINUS: f64 = 0.0337;
const TAU_X: f64 = 0.101;
const TAU_Y: f64 = 0.125;

/// Spike lists (ms) as a TOML value: one list per neuron.
fn spike_lists(lists: &[Vec<f64>]) -> String {
    let inner: Vec<String> = lists
        .iter()
        .map(|l| {
            let t: Vec<String> = l.iter().map(|t| format!("\"{t} ms\"")).collect();
            format!("[{}]", t.join(", "))
        })
        .collect();
    format!("[{}]", inner.join(", "))
}

/// A model where pre neuron `i` fires at `pre[i]` and post neuron `i` at
/// `post[i]` (driven one step or instant after its driver), with a plastic
/// one-to-one projection `plastic` between them.
fn protocol(engine: &str, threads: u32, pre: &[Vec<f64>], post: &[Vec<f64>], rule: &str) -> String {
    let n = pre.len();
    // The driver fires 0.1 ms before the wanted post spike (its delay).
    let drive: Vec<Vec<f64>> = post
        .iter()
        .map(|l| l.iter().map(|t| t - 0.1).collect())
        .collect();
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "200 ms"
engine = "{engine}"
threads = {threads}

[[population]]
name = "pre"
size = {n}
model = "spike_source"
params = {{ spikes = {pre} }}

[[population]]
name = "driver"
size = {n}
model = "spike_source"
params = {{ spikes = {drive} }}

[[population]]
name = "post"
size = {n}
model = "lif"
params = {{ tau_m = "20 ms", v_rest = "-65 mV", v_th = "-50 mV" }}

[[projection]]
name = "plastic"
from = "pre"
to = "post"
connect = "one_to_one"
weight = "0.5 mV"
delay = "{DELAY_MS} ms"
plasticity = {{ {rule} }}

[[projection]]
from = "driver"
to = "post"
connect = "one_to_one"
weight = "100 mV"
delay = "0.1 ms"

[[record]]
projection = "plastic"
weights = true
times = ["0 ms", "200 ms"]
"#,
        pre = spike_lists(pre),
        drive = spike_lists(&drive),
    )
}

fn pair_rule(pairing: &str) -> String {
    format!(
        r#"stdp = {{ tau_plus = "{} ms", tau_minus = "{} ms", a_plus = "0.01 mV", a_minus = "0.012 mV", w_min = "0 mV", w_max = "2 mV", pairing = "{pairing}" }}"#,
        TAU_PLUS * 1e3,
        TAU_MINUS * 1e3
    )
}

fn triplet_rule(pairing: &str) -> String {
    format!(
        r#"triplet_stdp = {{ tau_plus = "{}ms", tau_minus = "{}ms", tau_x = "{}ms", tau_y = "{}ms", a2_plus = "0.005 mV", a3_plus = "0.0062 mV", a2_minus = "0.007 mV", a3_minus = "0.0023 mV", w_min = "0 mV", w_max = "2 mV", pairing = "{pairing}" }}"#,
        TAU_PLUS * 1e3,
        TAU_MINUS * 1e3,
        TAU_X * 1e3,
        TAU_Y * 1e3
    )
}

/// Recorded spike times (s) of each neuron of a population.
fn trains(results: &Results, population: &str, n: usize) -> Vec<Vec<f64>> {
    let s = results.spikes_of(population).unwrap();
    let mut out = vec![Vec::new(); n];
    for (t, &i) in s.times(results.info.dt).iter().zip(&s.senders) {
        out[i as usize].push(*t);
    }
    out
}

/// Weight change of each synapse (V), first to last snapshot.
fn weight_changes(results: &Results) -> Vec<f64> {
    let w = results.weights_of("plastic").unwrap();
    assert_eq!(w.steps.len(), 2);
    w.row(1).iter().zip(w.row(0)).map(|(b, a)| b - a).collect()
}

struct Rule {
    a2_plus: f64,
    a3_plus: f64,
    a2_minus: f64,
    a3_minus: f64,
    nearest: bool,
}

/// Sum of `exp(-(t - s)/tau)` over the spikes `s` of `list` that come
/// before `t` (strictly, or also at `t`), or only the last of them.
fn kernel_sum(list: &[f64], t: f64, tau: f64, inclusive: bool, nearest: bool) -> f64 {
    let earlier = list.iter().filter(|&&s| s < t || (inclusive && s == t));
    let terms: Vec<f64> = earlier.map(|s| (-(t - s) / tau).exp()).collect();
    if nearest {
        terms.last().copied().unwrap_or(0.0)
    } else {
        terms.iter().sum()
    }
}

/// The triplet rule (pair rule: a3 = 0) by explicit sums over spikes:
/// `pre` are arrival times at the synapse. A pre arrival at the time of a
/// post spike counts before it.
fn closed_form(pre: &[f64], post: &[f64], r: &Rule) -> f64 {
    let mut dw = 0.0;
    for &t in pre {
        let o1 = kernel_sum(post, t, TAU_MINUS, false, r.nearest);
        let r2 = kernel_sum(pre, t, TAU_X, false, r.nearest);
        dw -= o1 * (r.a2_minus + r.a3_minus * r2);
    }
    for &t in post {
        let r1 = kernel_sum(pre, t, TAU_PLUS, true, r.nearest);
        let o2 = kernel_sum(post, t, TAU_Y, false, r.nearest);
        dw += r1 * (r.a2_plus + r.a3_plus * o2);
    }
    dw
}

/// Run a protocol, check the recorded spikes are the wanted ones, and
/// return (measured changes, closed-form changes).
fn measure(
    engine: &str,
    pre: &[Vec<f64>],
    post: &[Vec<f64>],
    rule: &str,
    r: &Rule,
) -> (Vec<f64>, Vec<f64>) {
    let results = common::simulate(&protocol(engine, 1, pre, post, rule));
    let n = pre.len();
    let pre_spikes = trains(&results, "pre", n);
    let post_spikes = trains(&results, "post", n);
    let expected = (0..n)
        .map(|i| {
            assert_eq!(
                post_spikes[i].len(),
                post[i].len(),
                "post {i} fires as driven"
            );
            for (got, want) in post_spikes[i].iter().zip(&post[i]) {
                assert!(
                    (got - want * 1e-3).abs() < 1e-9,
                    "post {i}: {got} vs {want} ms"
                );
            }
            let arrivals: Vec<f64> = pre_spikes[i].iter().map(|t| t + DELAY_MS * 1e-3).collect();
            closed_form(&arrivals, &post_spikes[i], r)
        })
        .collect();
    (weight_changes(&results), expected)
}

fn assert_close(measured: &[f64], expected: &[f64], what: &str) {
    for (i, (m, e)) in measured.iter().zip(expected).enumerate() {
        assert!(*e != 0.0, "{what} {i}: the protocol must change the weight");
        assert!(
            (m - e).abs() <= 1e-9 * e.abs(),
            "{what} synapse {i}: measured {m:e}, closed form {e:e}"
        );
    }
}

const PAIR: Rule = Rule {
    a2_plus: 1e-5,
    a3_plus: 0.0,
    a2_minus: 1.2e-5,
    a3_minus: 0.0,
    nearest: false,
};

#[test]
fn pair_window_matches_the_exponentials_in_both_engines() {
    // Δt = t_post - (t_pre + delay), both signs; off-grid times for the
    // event engine.
    for (engine, offsets) in [
        (
            "clock",
            vec![-40.0, -12.3, -5.0, -0.2, 0.3, 1.0, 7.7, 25.0, 60.0],
        ),
        (
            "event",
            vec![-40.03, -12.37, -5.0, -0.21, 0.33, 1.01, 7.77, 25.0, 60.01],
        ),
    ] {
        let pre: Vec<Vec<f64>> = offsets.iter().map(|_| vec![50.0]).collect();
        let post: Vec<Vec<f64>> = offsets.iter().map(|d| vec![50.0 + DELAY_MS + d]).collect();
        let (measured, expected) = measure(engine, &pre, &post, &pair_rule("all_to_all"), &PAIR);
        assert_close(&measured, &expected, engine);
        // And directly against the textbook window.
        for (d, m) in offsets.iter().zip(&measured) {
            let dt = d * 1e-3;
            let window = if dt > 0.0 {
                1e-5 * (-dt / TAU_PLUS).exp()
            } else {
                -1.2e-5 * (dt / TAU_MINUS).exp()
            };
            assert!(
                (m - window).abs() <= 1e-9 * window.abs(),
                "{engine} Δt = {d} ms: {m:e} vs {window:e}"
            );
        }
    }
}

/// Two pre then one post (potentiation), two post then one pre (depression).
fn pairing_protocol() -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let pre = vec![vec![10.0, 20.0], vec![60.0], vec![100.0, 104.0, 108.0]];
    let post = vec![vec![30.0], vec![40.0, 50.0], vec![111.0, 113.0]];
    (pre, post)
}

#[test]
fn nearest_and_all_to_all_pairing_differ_as_theory_says() {
    let (pre, post) = pairing_protocol();
    for engine in ["clock", "event"] {
        let (all, all_expected) = measure(engine, &pre, &post, &pair_rule("all_to_all"), &PAIR);
        let nearest_rule = Rule {
            nearest: true,
            ..PAIR
        };
        let (near, near_expected) =
            measure(engine, &pre, &post, &pair_rule("nearest"), &nearest_rule);
        assert_close(&all, &all_expected, "all-to-all");
        assert_close(&near, &near_expected, "nearest");
        // Synapse 0: all-to-all adds the earlier pre spike's pairing.
        let a = 1e-3 * DELAY_MS;
        let (t0, t2) = (0.010 + a, 0.030);
        let extra = 1e-5 * (-(t2 - t0) / TAU_PLUS).exp();
        assert!((all[0] - near[0] - extra).abs() <= 1e-9 * extra);
        // Synapse 1: nearest depresses by the last post spike only.
        let t = 0.060 + a;
        let extra = 1.2e-5 * (-(t - 0.040) / TAU_MINUS).exp();
        assert!((near[1] - all[1] - extra).abs() <= 1e-9 * extra);
    }
}

#[test]
fn triplet_rule_matches_its_closed_form_in_both_variants() {
    // Pre-pre-post-post and post-post-pre-pre, and a mixed burst.
    let pre = vec![vec![0.0, 5.0], vec![10.0, 15.0], vec![100.0, 106.0, 109.0]];
    let post = vec![vec![10.0, 15.0], vec![1.0, 6.0], vec![103.0, 109.0, 112.0]];
    for engine in ["clock", "event"] {
        for (pairing, nearest) in [("all_to_all", false), ("nearest", true)] {
            let r = Rule {
                a2_plus: 5e-6,
                a3_plus: 6.2e-6,
                a2_minus: 7e-6,
                a3_minus: 2.3e-6,
                nearest,
            };
            let (measured, expected) = measure(engine, &pre, &post, &triplet_rule(pairing), &r);
            assert_close(&measured, &expected, &format!("{engine} {pairing}"));
        }
    }
}

/// A network large enough to be split between threads, with STDP (per-synapse
/// delays), triplet STDP and Oja's subspace rule.
fn split_network(engine: &str, threads: u32) -> String {
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "1 s"
seed = 11
engine = "{engine}"
threads = {threads}

[[population]]
name = "in"
size = 600
model = "poisson"
params = {{ rate = "15 Hz" }}

[[population]]
name = "exc"
size = 600
model = "cuba_lif"
params = {{ tau_m = "20 ms", v_rest = "-70 mV", v_reset = "-60 mV", v_th = "-54 mV", tau_syn_e = "5 ms", tau_syn_i = "5 ms" }}
init = {{ v = {{ uniform = ["-70 mV", "-55 mV"] }} }}

[[population]]
name = "out"
size = 20
model = "lif"
params = {{ tau_m = "20 ms", v_rest = "-70 mV", v_th = "-54 mV" }}

[[projection]]
name = "in->exc"
from = "in"
to = "exc"
connect = {{ fixed_probability = 0.2 }}
weight = {{ uniform = ["0 mV", "3 mV"] }}
delay = {{ uniform = ["0.5 ms", "3 ms"] }}
plasticity = {{ stdp = {{ tau_plus = "20 ms", tau_minus = "20 ms", a_plus = 0.02, a_minus = 0.021, w_min = "0 mV", w_max = "3 mV", weight_dependence = "multiplicative" }} }}

[[projection]]
name = "exc->exc"
from = "exc"
to = "exc"
connect = {{ fixed_probability = 0.02 }}
weight = "0.5 mV"
delay = "1 ms"
plasticity = {{ {triplet} }}

[[projection]]
name = "exc->out"
from = "exc"
to = "out"
connect = "all_to_all"
weight = {{ uniform = ["0 mV", "0.3 mV"] }}
delay = "1 ms"
plasticity = {{ oja_subspace = {{ eta = "5 Hz", tau_pre = "20 ms", tau_post = "50 ms", w_ref = "0.1 mV", w_min = "-1 mV", w_max = "1 mV", every = "1 ms" }} }}

[[record]]
projection = "in->exc"
weights = true
interval = "250 ms"

[[record]]
projection = "exc->exc"
weights = true
times = ["0 s", "1 s"]

[[record]]
projection = "exc->out"
weights = true
times = ["0 s", "0.5 s", "1 s"]
"#,
        triplet = triplet_rule("nearest")
    )
}

#[test]
fn plastic_runs_do_not_depend_on_the_thread_count() {
    for engine in ["clock", "event"] {
        let one = common::simulate(&split_network(engine, 1));
        let two = common::simulate(&split_network(engine, 2));
        assert_eq!(one.spikes, two.spikes, "{engine}");
        assert_eq!(one.weights.len(), 3);
        for (a, b) in one.weights.iter().zip(&two.weights) {
            assert_eq!(a.pre, b.pre);
            assert_eq!(a.post, b.post);
            let bits = |w: &[f64]| w.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&a.values),
                bits(&b.values),
                "{engine} {}",
                a.projection
            );
            // The weights did change (the rules ran), and stayed in bounds.
            let n = a.synapses();
            let last = a.row(a.steps.len() - 1);
            let moved = last.iter().zip(a.row(0)).filter(|(x, y)| x != y).count();
            assert!(
                moved > n / 2,
                "{engine} {}: {moved} of {n} changed",
                a.projection
            );
        }
        let exc = one.spikes_of("exc").unwrap();
        assert!(exc.len() > 100, "{engine}: the network is active");
    }
}

/// Hebbian rules through the engines: every `every` = 1 ms the weight takes
/// an Euler step of the rule with traces computed here by explicit sums.
fn hebbian_reference(pre: &[f64], post: &[f64], oja: bool) -> f64 {
    let (eta, tau_pre, tau_post, w_ref, decay) = (40.0, 0.02, 0.05, 1e-3, 0.5);
    let h = 1e-3;
    // The initial weight as stored (f32), as the engines start from it.
    let mut u = 0.5e-3f32 as f64 / w_ref;
    let trace = |list: &[f64], t: f64, tau: f64| -> f64 {
        list.iter()
            .filter(|&&s| s <= t)
            .map(|s| (-(t - s) / tau).exp())
            .sum()
    };
    // Updates at 1 ms, 2 ms, ... before the end of the 200 ms run.
    for k in 1..200 {
        let t = k as f64 * h;
        let (x, y) = (trace(pre, t, tau_pre), trace(post, t, tau_post));
        let du = if oja {
            y * (x - y * u)
        } else {
            x * y - decay * u
        };
        u += eta * h * du;
    }
    u * w_ref
}

#[test]
fn hebbian_and_oja_projections_follow_the_rate_rule() {
    // No spike or arrival falls on an update time (whole ms).
    let pre = vec![vec![10.2, 22.2, 37.3, 51.2, 90.2], vec![5.2, 120.2]];
    let post = vec![vec![30.3, 60.3, 95.3], vec![40.3, 41.8, 130.3]];
    for engine in ["clock", "event"] {
        for (name, oja) in [("hebbian", false), ("oja", true)] {
            let decay = if oja { "" } else { ", decay = 0.5" };
            let rule = format!(
                r#"{name} = {{ eta = "40 Hz", tau_pre = "20 ms", tau_post = "50 ms", w_ref = "1 mV", w_min = "-5 mV", w_max = "5 mV", every = "1 ms"{decay} }}"#
            );
            let results = common::simulate(&protocol(engine, 1, &pre, &post, &rule));
            let w = results.weights_of("plastic").unwrap();
            let pre_spikes = trains(&results, "pre", 2);
            let post_spikes = trains(&results, "post", 2);
            for i in 0..2 {
                let arrivals: Vec<f64> =
                    pre_spikes[i].iter().map(|t| t + DELAY_MS * 1e-3).collect();
                let expected = hebbian_reference(&arrivals, &post_spikes[i], oja);
                let got = w.row(1)[i];
                assert!(
                    (got - expected).abs() <= 1e-9 * expected.abs(),
                    "{engine} {name} synapse {i}: {got:e} vs {expected:e}"
                );
                assert!((got - 0.5e-3).abs() > 1e-5, "the rule changed the weight");
            }
        }
    }
}

/// Per-synapse delays (a connection list with a delay column): the
/// presynaptic time that counts is each synapse's own arrival.
#[test]
fn per_synapse_delays_count_at_arrival_in_both_engines() {
    let dir = tempfile::tempdir().unwrap();
    let delays_ms = [0.5, 1.5, 3.2, 7.9];
    let list = dir.path().join("synapses.csv");
    let mut csv = String::from("pre,post,delay_ms\n");
    for (i, d) in delays_ms.iter().enumerate() {
        csv.push_str(&format!("{i},{i},{d}\n"));
    }
    std::fs::write(&list, csv).unwrap();
    // Every pre neuron fires at 50 ms, every post at 54 ms: the pairs are
    // causal or anti-causal depending on the delay alone.
    let pre: Vec<Vec<f64>> = delays_ms.iter().map(|_| vec![50.0]).collect();
    let post: Vec<Vec<f64>> = delays_ms.iter().map(|_| vec![54.0]).collect();
    for engine in ["clock", "event"] {
        let text = protocol(engine, 1, &pre, &post, &pair_rule("all_to_all")).replace(
            "connect = \"one_to_one\"\nweight = \"0.5 mV\"\ndelay = \"1.5 ms\"",
            &format!(
                "connect = {{ list = {:?} }}\nweight = \"0.5 mV\"",
                list.display().to_string()
            ),
        );
        assert!(text.contains("list ="));
        let results = common::simulate(&text);
        let measured = weight_changes(&results);
        let pre_spikes = trains(&results, "pre", delays_ms.len());
        let post_spikes = trains(&results, "post", delays_ms.len());
        for (i, d) in delays_ms.iter().enumerate() {
            let arrival = pre_spikes[i][0] + d * 1e-3;
            let expected = closed_form(&[arrival], &post_spikes[i], &PAIR);
            assert!(
                (measured[i] - expected).abs() <= 1e-9 * expected.abs(),
                "{engine} delay {d} ms: {:e} vs {expected:e}",
                measured[i]
            );
        }
        // 0.5, 1.5 and 3.2 ms arrive before the post spike, 7.9 ms after.
        assert!(measured[..3].iter().all(|&m| m > 0.0) && measured[3] < 0.0);
    }
}
