//! State variables that become NaN or infinite stop the run with an error
//! naming population, neuron, variable, time and last finite value (see
//! `engine::finite`), the same for one and two threads, in both engines.
//! The times and values expected are computed here from closed forms.

use crate::common;

use spikesim::engine::finite::{NonFinite, RunError};
use spikesim::engine::network::{DriveChange, Network};
use spikesim::engine::{clock, event};
use spikesim::model::ModelSpec;
use spikesim::model::spec::EngineKind;

const DT: f64 = 1e-4;

fn run(spec: &ModelSpec, threads: usize, poison: impl Fn(&mut Network)) -> Result<u64, RunError> {
    let mut net = Network::build_for(spec, threads);
    poison(&mut net);
    let outcome = match spec.simulation.engine {
        EngineKind::Clock => clock::try_run(&mut net, &spec.records, &mut |_| {}),
        EngineKind::Event => event::try_run(&mut net, spec, &mut |_| {}),
    }?;
    Ok(outcome.synaptic_events)
}

fn non_finite(result: Result<u64, RunError>) -> NonFinite {
    match result {
        Err(RunError::NonFinite(e)) => e,
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("the run succeeded"),
    }
}

/// Li–Rinzel astrocytes whose IP3 time constant is 1e-16 s: with
/// `z = -dt/tau_ip3 = -1e12`, RK4 multiplies `d = ip3 - ip3_0` by
/// `R = 1 + z + z²/2 + z³/6 + z⁴/24` per step (IP3 obeys its own linear
/// equation), and its last stage reaches `d · |z|³/(4 tau_ip3)`. The state
/// becomes non-finite in the first step whose stage exceeds `f64::MAX`.
fn astrocytes(engine: &str, d0: &[(usize, f64)], n: usize) -> String {
    let ip3: Vec<String> = (0..n)
        .map(|i| {
            let d = d0.iter().find(|(j, _)| *j == i).map_or(0.0, |(_, d)| *d);
            format!("{:e}", 0.16 + d)
        })
        .collect();
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "2 ms"
engine = "{engine}"

[[population]]
name = "glia"
size = {n}
model = "astrocyte"
params = {{ tau_ip3 = "1e-16 s" }}
init = {{ ip3 = [{}] }}

[[record]]
population = "glia"
variables = ["ip3", "ca"]
"#,
        ip3.join(", ")
    )
}

/// The first grid point at which a neuron starting `d0` away from
/// `ip3_0` has a non-finite state, and `d` one step before.
fn astrocyte_blow_up(d0: f64) -> (u64, f64) {
    let (tau, z) = (1e-16, -DT / 1e-16);
    let r = 1.0 + z + z * z / 2.0 + z.powi(3) / 6.0 + z.powi(4) / 24.0;
    let largest_stage = |d: f64| d * z.abs().powi(3) / (4.0 * tau);
    let (mut k, mut d) = (1, d0);
    while largest_stage(d) <= f64::MAX {
        (k, d) = (k + 1, d * r);
    }
    (k, d)
}

#[test]
fn astrocytes_whose_ip3_overflows_stop_the_run_in_both_engines_and_any_thread_count() {
    // Neurons 310 and 599 (in the second worker's slice with two threads)
    // blow up one step before neuron 3 (in the first's): 310 is reported.
    let (early, late) = (1e40, 1.0);
    let (k_early, d_early) = astrocyte_blow_up(early);
    let (k_late, _) = astrocyte_blow_up(late);
    assert_eq!((k_early, k_late), (6, 7), "the closed form's steps");
    for engine in ["clock", "event"] {
        let spec = common::spec(&astrocytes(
            engine,
            &[(3, late), (310, early), (599, early)],
            600,
        ));
        for threads in [1, 2] {
            let e = non_finite(run(&spec, threads, |_| {}));
            let context = format!("{engine}, {threads} threads: {e}");
            assert_eq!(
                (e.population.as_str(), e.neuron),
                ("glia", 310),
                "{context}"
            );
            assert_eq!(
                (e.variable.as_str(), e.unit.as_str()),
                ("ip3", "uM"),
                "{context}"
            );
            assert!(!e.value.is_finite(), "{context}");
            assert_eq!(e.time, k_early as f64 * DT, "{context}");
            assert_eq!(e.last_time, (k_early - 1) as f64 * DT, "{context}");
            assert!(
                common::rel_diff(e.last_finite - 0.16, d_early) < 1e-9,
                "{context}"
            );
        }
    }
}

/// LIF neurons at rest from `v0`, without input: `v_k = v_rest + (v0 -
/// v_rest) e^{-k dt/tau_m}`; an infinite drive makes `v = v_inf + (v -
/// v_inf) e^{-dt/tau_m}` NaN at the next grid point (clock) or at once
/// (event engine, where the neuron is brought up to the drive's time).
fn lif(engine: &str) -> String {
    format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "10 ms"
engine = "{engine}"

[[population]]
name = "quiet"
size = 20
model = "lif"
params = {{ tau_m = "20 ms", v_rest = "-70 mV", v_th = "-50 mV" }}
init = {{ v = "-60 mV" }}

[[population]]
name = "exc"
size = 600
model = "cuba_lif"
params = {{ tau_m = "20 ms", v_rest = "-70 mV", v_th = "-50 mV", tau_syn = "5 ms" }}
init = {{ v = "-60 mV" }}

[[record]]
population = "exc"
variables = ["v"]
neurons = [17]
"#
    )
}

/// An infinite drive from grid point `step` on for `neurons` of population
/// `population` (standing in for a stimulus gone wrong: a model file's
/// drives are bounded by validation).
fn infinite_drive(net: &mut Network, population: usize, neurons: &[u32], step: u64) {
    for slice in net.workers.iter_mut().flat_map(|w| &mut w.slices) {
        if slice.population != population {
            continue;
        }
        let mut drive = vec![0.0; slice.len()];
        let mut any = false;
        for &i in neurons {
            if let Some(d) = i
                .checked_sub(slice.offset)
                .and_then(|j| drive.get_mut(j as usize))
            {
                *d = f64::INFINITY;
                any = true;
            }
        }
        if any {
            slice.drive.push(DriveChange {
                time: step as f64 * DT,
                step,
                drive,
            });
        }
    }
}

#[test]
fn an_infinite_drive_stops_the_run_at_the_step_it_makes_v_nan() {
    let v_at = |k: u64| -70e-3 + 10e-3 * (-(k as f64) * DT / 20e-3).exp();
    for engine in ["clock", "event"] {
        let spec = common::spec(&lif(engine));
        for threads in [1, 2] {
            // Neurons 17 and 590 of `exc` go bad at step 50, neuron 3 of
            // `quiet` (an earlier population) at step 60: `exc` 17 is reported.
            let e = non_finite(run(&spec, threads, |net| {
                infinite_drive(net, 1, &[17, 590], 50);
                infinite_drive(net, 0, &[3], 60);
            }));
            let context = format!("{engine}, {threads} threads: {e}");
            assert_eq!((e.population.as_str(), e.neuron), ("exc", 17), "{context}");
            assert_eq!(
                (e.variable.as_str(), e.unit.as_str()),
                ("v", "V"),
                "{context}"
            );
            assert!(e.value.is_nan(), "{context}");
            let (at, last) = match engine {
                "clock" => (51, 50),
                _ => (50, 50),
            };
            assert!((e.time - at as f64 * DT).abs() < 1e-15, "{context}");
            assert!((e.last_time - last as f64 * DT).abs() < 1e-15, "{context}");
            assert!((e.last_finite - v_at(50)).abs() < 1e-12, "{context}");
            assert!(
                e.to_string()
                    .starts_with("population `exc`, neuron 17: `v` became NaN at t = ")
            );
        }
        // Without poison the same model runs.
        assert!(run(&spec, 2, |_| {}).is_ok());
    }
    // With the check off, the poisoned clock run goes on with NaN, as it
    // did before the check.
    let spec = common::spec(&lif("clock"));
    let unchecked = run(&spec, 1, |net| {
        net.check_finite = false;
        infinite_drive(net, 1, &[17], 50);
    });
    assert!(unchecked.is_ok());
}
