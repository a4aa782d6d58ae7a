//! The per-neuron Poisson background against Campbell's theorem, on the
//! clock grid. Each step a neuron receives a Poisson number of events with
//! mean `lambda = rate * indegree * dt`, independent across steps; an event
//! arriving at grid point `j` adds `u = r_m J` to the synaptic drive, which
//! moves `v` at grid point `j + m` by exactly
//! `h_m = u tau_s / (tau_s - tau_m) (b^m - a^m)`, `a = e^{-dt/tau_m}`,
//! `b = e^{-dt/tau_s}` (`h_0 = 0`: the membrane sees the event from the
//! next step). Below threshold `v` is a linear filter of the counts, so in
//! the stationary state (Campbell's theorem, discrete form)
//! `E[v] - v_rest = lambda sum_m h_m` and `Var[v] = lambda sum_m h_m^2`,
//! both geometric series in closed form.

use crate::common;

const TAU_M: f64 = 10e-3;
const TAU_S: f64 = 0.5e-3;
const R_M: f64 = 40e6; // tau_m / C_m with C_m = 250 pF, as NEST's iaf_psc_exp
const DT: f64 = 1e-4;
const RATE: f64 = 8.0;
const INDEGREE: f64 = 1600.0;
const WEIGHT: f64 = 87.8e-12;
const V_REST: f64 = -65e-3;

fn model(v_th: &str, threads: u32, duration: &str, every: u32) -> String {
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "{duration}"
seed = 14
threads = {threads}

[[population]]
name = "n"
size = 200
model = "cuba_lif"
params = {{ tau_m = "10 ms", v_rest = "-65 mV", v_reset = "-65 mV", v_th = "{v_th}", t_ref = "2 ms", r_m = "40 Mohm", tau_syn = "0.5 ms" }}
background = {{ rate = "8 Hz", indegree = 1600, weight = "87.8 pA", receptor = "exc" }}

[[record]]
population = "n"
variables = ["v"]
every = {every}
"#
    )
}

/// `(sum_m h_m, sum_m h_m^2)` for one event.
fn kernel_sums() -> (f64, f64) {
    let u = R_M * WEIGHT;
    let amp = u * TAU_S / (TAU_S - TAU_M);
    let (a, b) = ((-DT / TAU_M).exp(), (-DT / TAU_S).exp());
    let sum = amp * (1.0 / (1.0 - b) - 1.0 / (1.0 - a));
    let sum_sq = amp * amp * (1.0 / (1.0 - b * b) - 2.0 / (1.0 - a * b) + 1.0 / (1.0 - a * a));
    (sum, sum_sq)
}

#[test]
fn free_membrane_potential_has_campbells_mean_and_variance() {
    // No spikes: threshold far above the drive.
    let results = common::simulate(&model("0 mV", 1, "2.1 s", 10));
    let v = results.state_of("n", "v").unwrap();
    let width = v.neurons.len();
    // Skip 100 ms (ten membrane time constants) of transient from v_rest.
    let samples: Vec<f64> = v
        .steps
        .iter()
        .enumerate()
        .filter(|&(_, &k)| k as f64 * DT >= 0.1)
        .flat_map(|(row, _)| v.values[row * width..(row + 1) * width].iter().copied())
        .collect();
    let n = samples.len() as f64;
    let mean = samples.iter().sum::<f64>() / n;
    let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;

    let lambda = RATE * INDEGREE * DT;
    let (sum, sum_sq) = kernel_sums();
    let expected_mean = V_REST + lambda * sum;
    let expected_var = lambda * sum_sq;
    // Continuous-time Campbell for the mean, nu J R tau_s = 22.5 mV, differs
    // from the grid's sum by O((dt / tau)^2) only.
    let continuous = RATE * INDEGREE * WEIGHT * R_M * TAU_S;
    assert!((lambda * sum / continuous - 1.0).abs() < 1e-3);
    // 200 neurons x 2 s with a correlation time of ~tau_m: about 4e4
    // independent samples, so the standard error of the mean is ~0.01 mV
    // (sigma = 1.37 mV / 200) and that of the variance ~1 %. Margins: 0.1 mV
    // (a 0.5 % error of the rate would move the mean by 0.11 mV) and 5 %.
    assert!(
        (mean - expected_mean).abs() < 0.1e-3,
        "mean {mean} V, Campbell {expected_mean} V"
    );
    assert!(
        (var / expected_var - 1.0).abs() < 0.05,
        "variance {var} V^2, Campbell {expected_var} V^2"
    );
}

#[test]
fn background_spikes_do_not_depend_on_the_thread_count() {
    let one = common::simulate(&model("-50 mV", 1, "200 ms", 1000));
    let two = common::simulate(&model("-50 mV", 2, "200 ms", 1000));
    let (a, b) = (one.spikes_of("n").unwrap(), two.spikes_of("n").unwrap());
    assert!(
        a.len() > 1000,
        "the background drives the neurons to fire: {}",
        a.len()
    );
    let sorted = |s: &spikesim::io::results::SpikeTrains| {
        let mut v: Vec<(u64, u32)> = s
            .steps
            .iter()
            .copied()
            .zip(s.senders.iter().copied())
            .collect();
        v.sort();
        v
    };
    assert_eq!(sorted(a), sorted(b));
}
