//! A LIF neuron with constant input against the closed-form solution
//! `v(t) = v_inf + (v0 - v_inf) exp(-t / tau_m)`: on the dt grid it spikes at
//! the first grid point where `v` exceeds threshold, then stays at `v_reset`
//! for the refractory steps.

use crate::common;

struct Case {
    tau_m: f64,
    v_rest: f64,
    v_reset: f64,
    v_th: f64,
    t_ref: f64,
    r_m: f64,
    i_e: f64,
    dt: f64,
    duration: f64,
}

impl Case {
    fn model(&self) -> String {
        format!(
            r#"
[simulation]
dt = "{dt} ms"
duration = "{duration} ms"

[[population]]
name = "n"
size = 1
model = "lif"
params = {{ tau_m = "{tau_m} ms", v_rest = "{v_rest} mV", v_reset = "{v_reset} mV", v_th = "{v_th} mV", t_ref = "{t_ref} ms", r_m = "{r_m} Mohm", i_e = "{i_e} nA" }}
init = {{ v = "{v_reset} mV" }}

[[record]]
population = "n"
variables = ["v"]
"#,
            dt = self.dt * 1e3,
            duration = self.duration * 1e3,
            tau_m = self.tau_m * 1e3,
            v_rest = self.v_rest * 1e3,
            v_reset = self.v_reset * 1e3,
            v_th = self.v_th * 1e3,
            t_ref = self.t_ref * 1e3,
            r_m = self.r_m * 1e-6,
            i_e = self.i_e * 1e9,
        )
    }

    fn v_inf(&self) -> f64 {
        self.v_rest + self.r_m * self.i_e
    }

    /// Steps from a reset (v = v_reset, free to move) to the next spike.
    fn steps_to_spike(&self) -> u64 {
        let x = self.tau_m / self.dt
            * ((self.v_inf() - self.v_reset) / (self.v_inf() - self.v_th)).ln();
        assert!(
            (x - x.round()).abs() > 1e-6,
            "case too close to a grid point to be decided"
        );
        x.floor() as u64 + 1
    }

    fn expected_spike_steps(&self) -> Vec<u64> {
        let total = (self.duration / self.dt).round() as u64;
        let refractory = (self.t_ref / self.dt).round() as u64;
        let mut steps = vec![self.steps_to_spike()];
        loop {
            let next = steps.last().unwrap() + refractory + self.steps_to_spike();
            if next > total {
                break;
            }
            steps.push(next);
        }
        steps.retain(|&s| s <= total);
        steps
    }
}

fn cases() -> Vec<Case> {
    let base = Case {
        tau_m: 10e-3,
        v_rest: -70e-3,
        v_reset: -70e-3,
        v_th: -55e-3,
        t_ref: 2e-3,
        r_m: 100e6,
        i_e: 0.2e-9,
        dt: 0.1e-3,
        duration: 0.5,
    };
    vec![
        Case { ..base },
        Case {
            dt: 0.01e-3,
            duration: 0.2,
            ..base
        },
        Case {
            tau_m: 20e-3,
            v_reset: -65e-3,
            t_ref: 5e-3,
            i_e: 0.3e-9,
            ..base
        },
        Case {
            tau_m: 3e-3,
            t_ref: 0.0,
            i_e: 0.16e-9,
            dt: 0.05e-3,
            ..base
        },
        Case {
            v_rest: -60e-3,
            v_th: -50e-3,
            v_reset: -60e-3,
            r_m: 1e9,
            i_e: 0.05e-9,
            t_ref: 1e-3,
            ..base
        },
    ]
}

#[test]
fn spike_steps_equal_the_closed_form_on_the_grid() {
    for case in cases() {
        let results = common::simulate(&case.model());
        let spikes = results.spikes_of("n").unwrap();
        assert_eq!(
            spikes.steps,
            case.expected_spike_steps(),
            "tau_m={} dt={}",
            case.tau_m,
            case.dt
        );
        // Each grid spike is the first grid point at or after the exact
        // continuous-time crossing.
        let exact_first =
            case.tau_m * ((case.v_inf() - case.v_reset) / (case.v_inf() - case.v_th)).ln();
        let grid_first = spikes.steps[0] as f64 * case.dt;
        assert!(grid_first >= exact_first && grid_first - exact_first < case.dt);
    }
}

#[test]
fn membrane_trace_equals_the_closed_form_between_spikes() {
    for case in cases() {
        let results = common::simulate(&case.model());
        let v = results.state_of("n", "v").unwrap();
        let spikes = &results.spikes_of("n").unwrap().steps;
        let refractory = (case.t_ref / case.dt).round() as u64;
        let mut worst: f64 = 0.0;
        for (row, &k) in v.steps.iter().enumerate() {
            // Time since v last left v_reset (start, or a spike's end of refractoriness).
            let last_spike = spikes.iter().copied().rfind(|&s| s <= k);
            let free_since = last_spike.map_or(0, |s| s + refractory);
            let expected = if k < free_since {
                case.v_reset
            } else {
                let t = (k - free_since) as f64 * case.dt;
                case.v_inf() + (case.v_reset - case.v_inf()) * (-t / case.tau_m).exp()
            };
            worst = worst.max(common::rel_diff(v.values[row], expected));
        }
        assert!(
            worst < 1e-9,
            "worst relative error {worst:e} (tau_m={})",
            case.tau_m
        );
    }
}

#[test]
fn shipped_single_lif_model_fires_at_the_analytic_rate() {
    let spec = spikesim::model::load(std::path::Path::new("models/single_lif.toml"), &[]).unwrap();
    let results = spikesim::engine::simulate(&spec, &mut |_, _| {});
    let steps = &results.spikes_of("neuron").unwrap().steps;
    // tau_m = 10 ms, R·I = 20 mV, V_th - V_reset = 15 mV: 13.86 ms to threshold,
    // 139 steps on the 0.1 ms grid, plus 20 refractory steps between spikes.
    let expected: Vec<u64> = (0..)
        .map(|i| 139 + 159 * i)
        .take_while(|&s| s <= 2000)
        .collect();
    assert_eq!(steps, &expected);
}
