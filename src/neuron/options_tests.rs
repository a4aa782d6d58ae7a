//! The model-file options of `lif` and `cuba_lif` (per-neuron arrays,
//! `reset`, `spiking`, `leak`, `drive`, `input`, `syn_drive`) against
//! closed forms and hand-computed sequences, and their located errors.

use std::path::Path;

use crate::model::validate::parse_model;
use crate::neuron::Neuron;
use crate::synapse::{Arrival, EventRing};

const DT: f64 = 1e-4;

/// The model of a file with populations given as `(name, size, model,
/// params)`, its neurons built.
fn build(pops: &[(&str, u32, &str, &str)]) -> Vec<Box<dyn Neuron>> {
    let spec = parse_model(Path::new("m.toml"), &file(pops)).unwrap_or_else(|e| panic!("{e}"));
    spec.populations
        .iter()
        .map(|p| crate::neuron::build(p, &spec.simulation))
        .collect()
}

fn file(pops: &[(&str, u32, &str, &str)]) -> String {
    let mut text = "[simulation]\ndt = \"0.1 ms\"\nduration = \"10 ms\"\n".to_string();
    for (name, size, model, params) in pops {
        text += &format!(
            "\n[[population]]\nname = \"{name}\"\nsize = {size}\nmodel = \"{model}\"\nparams = {{ {params} }}\n"
        );
    }
    text
}

/// The error of a one-population file, as printed.
fn error(model: &str, params: &str) -> String {
    match parse_model(Path::new("m.toml"), &file(&[("p", 2, model, params)])) {
        Ok(_) => panic!("{params}: accepted"),
        Err(e) => e.to_string(),
    }
}

/// Rings for a neuron's ports, with `events(k)` the arrivals of grid point
/// `k + 1` per port, stepped `steps` times: `(v after each step, spikes as
/// (step, neuron))`.
fn run(
    n: &mut dyn Neuron,
    steps: u64,
    events: impl Fn(u64) -> Vec<(usize, u32, f32)>,
) -> (Vec<Vec<f64>>, Vec<(u64, u32)>) {
    let mut rings: Vec<EventRing> = n.ports().iter().map(|_| EventRing::new(1)).collect();
    let all: Vec<u32> = (0..n.size() as u32).collect();
    let (mut v, mut fired) = (Vec::new(), Vec::new());
    for k in 0..steps {
        for (port, target, weight) in events(k) {
            rings[port].slot_mut(k + 1).push(Arrival { target, weight });
        }
        let mut spikes = Vec::new();
        n.step(k, &rings, &mut spikes);
        for r in &mut rings {
            r.clear(k + 1);
        }
        fired.extend(spikes.iter().map(|&i| (k, i)));
        let mut now = Vec::new();
        n.sample("v", &all, &mut now);
        v.push(now);
    }
    (v, fired)
}

fn sample(n: &dyn Neuron, variable: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let all: Vec<u32> = (0..n.size() as u32).collect();
    n.sample(variable, &all, &mut out);
    out
}

/// `tau_s dI/dt = -I + W`, `tau_m du/dt = -u + I` from `u = I = 0`:
/// `I = W (1 - e^{-t/ts})`, `u = W [1 - ts/(ts-tm) e^{-t/ts} + tm/(ts-tm)
/// e^{-t/tm}]`, and for `ts = tm = tau`: `u = W [1 - (1 + t/tau) e^{-t/tau}]`.
fn step_response(w: f64, tm: f64, ts: f64, t: f64) -> (f64, f64) {
    let i = w * (1.0 - (-t / ts).exp());
    let u = if ts == tm {
        w * (1.0 - (1.0 + t / tm) * (-t / tm).exp())
    } else {
        w * (1.0 - ts / (ts - tm) * (-t / ts).exp() + tm / (ts - tm) * (-t / tm).exp())
    };
    (u, i)
}

/// A weight arriving at every grid point in forcing mode is a constant
/// input: after many steps `v` and the current equal the analytic step
/// response, for distinct and for equal time constants; a `syn_drive` of
/// the same level (per neuron) gives the same response with no input.
#[test]
fn forcing_mode_follows_the_analytic_step_response() {
    let w = 0.015625f32; // volts (r_m I), exact in single precision
    for (tm, ts) in [(20e-3, 5e-3), (10e-3, 10e-3), (5e-3, 20e-3)] {
        let params = format!(
            "tau_m = \"{} ms\", tau_syn = \"{} ms\", v_rest = \"-70 mV\", v_th = \"1 V\", input = \"forcing\"",
            tm * 1e3,
            ts * 1e3
        );
        let driven = format!(
            "tau_m = \"{} ms\", tau_syn = \"{} ms\", v_rest = \"-70 mV\", v_th = \"1 V\", syn_drive = [\"15.625 mV\", \"31.25 mV\"]",
            tm * 1e3,
            ts * 1e3
        );
        let mut pops = build(&[("f", 1, "cuba_lif", &params), ("d", 2, "cuba_lif", &driven)]);
        let steps = 1500;
        let (v, spikes) = run(pops[0].as_mut(), steps, |_| vec![(1, 0, w)]);
        assert!(spikes.is_empty());
        let (vd, _) = run(pops[1].as_mut(), steps, |_| vec![]);
        for k in [0, 1, 9, 99, 499, 1499] {
            let t = (k + 1) as f64 * DT;
            let (u, _) = step_response(f64::from(w), tm, ts, t);
            let got = v[k][0] + 70e-3;
            assert!(
                (got - u).abs() < 1e-12,
                "tm {tm} ts {ts} step {k}: {got} vs {u}"
            );
            for (j, level) in [(0, 15.625e-3), (1, 31.25e-3)] {
                let (u, _) = step_response(level, tm, ts, t);
                let got = vd[k][j] + 70e-3;
                assert!(
                    (got - u).abs() < 1e-12,
                    "syn_drive {j} step {k}: {got} vs {u}"
                );
            }
        }
        let t = steps as f64 * DT;
        let (_, i) = step_response(f64::from(w), tm, ts, t);
        let got = sample(pops[0].as_ref(), "i_syn_e")[0];
        assert!((got - i).abs() < 1e-13, "current {got} vs {i}");
        let (_, i) = step_response(31.25e-3, tm, ts, t);
        let got = sample(pops[1].as_ref(), "i_syn_e")[1];
        assert!((got - i).abs() < 1e-13, "driven current {got} vs {i}");
    }
}

/// One weight in forcing mode acts over the step that ends at its arrival:
/// after that step the current is `W (1 - e^{-dt/ts})` (a jump would give
/// `W`), and afterwards both decay freely, so the area under the current is
/// `W dt` (the charge of a level `W` held for `dt`).
#[test]
fn a_single_forcing_input_acts_over_its_step_only() {
    let params = "tau_m = \"20 ms\", tau_syn = \"5 ms\", v_rest = \"0 mV\", v_th = \"1 V\", input = \"forcing\"";
    let mut pops = build(&[("f", 1, "cuba_lif", params)]);
    let n = pops[0].as_mut();
    let w = 0.5f32;
    let (_, _) = run(n, 1, |_| vec![(1, 0, w)]);
    let i1 = sample(n, "i_syn_e")[0];
    let expected = 0.5 * (1.0 - (-DT / 5e-3).exp());
    assert!((i1 - expected).abs() < 1e-15, "{i1} vs {expected}");
    let (v, _) = run(n, 20000, |_| vec![]);
    let (i_end, v_end) = (sample(n, "i_syn_e")[0], v.last().unwrap()[0]);
    assert!(i_end.abs() < 1e-15 && v_end.abs() < 1e-12);
    // Sum of the current at grid points times dt ~ W dt (rectangle rule on a
    // decay of 50 steps: within 1%).
    let mut n2 = build(&[("f", 1, "cuba_lif", params)]).remove(0);
    let mut area = 0.0;
    for k in 0..20000 {
        let (_, _) = run(n2.as_mut(), 1, |_| {
            if k == 0 { vec![(1, 0, w)] } else { vec![] }
        });
        area += sample(n2.as_ref(), "i_syn_e")[0] * DT;
    }
    assert!((area - 0.5 * DT).abs() < 0.01 * 0.5 * DT, "{area}");
}

/// `leak = false`: `tau_m dv/dt = drive`, so `v` ramps by `drive dt/tau_m`
/// per step (1 µV here) and jumps add directly; with a threshold of
/// 0.5505 mV and reset to 0 it fires every 551 steps. By subtraction from
/// a ramp of 0.3 mV per step against 1 mV: 0.3, 0.6, 0.9, 1.2 → 0.2, …
#[test]
fn an_integrator_ramps_and_resets_by_value_or_by_subtraction() {
    let ramp = "leak = false, tau_m = \"1 s\", drive = \"10 mV\", v_th = \"0.5505 mV\"";
    let mut pops = build(&[("r", 1, "lif", ramp)]);
    let (v, spikes) = run(pops[0].as_mut(), 1200, |_| vec![]);
    assert_eq!(spikes, [(550, 0), (1101, 0)]);
    assert!((v[99][0] - 100e-6).abs() < 1e-15, "{}", v[99][0]);
    assert_eq!(v[550][0], 0.0);
    assert!((v[560][0] - 10e-6).abs() < 1e-15);

    let jumps = "leak = false, tau_m = \"1 s\", v_th = \"1 V\"";
    let mut pops = build(&[("j", 1, "lif", jumps)]);
    let (v, _) = run(pops[0].as_mut(), 5, |k| {
        vec![(0, 0, if k == 2 { 0.25 } else { 0.0 })]
    });
    assert_eq!(
        v.iter().map(|x| x[0]).collect::<Vec<_>>(),
        [0.0, 0.0, 0.25, 0.25, 0.25]
    );

    let sub = "leak = false, tau_m = \"1 s\", drive = \"3 V\", v_th = \"1 mV\", v_reset = \"0 V\", reset = \"subtract\"";
    let mut pops = build(&[("s", 1, "lif", sub)]);
    let (v, spikes) = run(pops[0].as_mut(), 10, |_| vec![]);
    let expected = [0.3, 0.6, 0.9, 0.2, 0.5, 0.8, 0.1, 0.4, 0.7, 0.0];
    for (k, e) in expected.iter().enumerate() {
        assert!((v[k][0] - e * 1e-3).abs() < 1e-15, "step {k}: {}", v[k][0]);
    }
    assert_eq!(spikes.iter().map(|s| s.0).collect::<Vec<_>>(), [3, 6, 9]);
}

/// Leaky, reset by subtraction: a jump of 25 mV from rest (0) against
/// v_th = 10 mV, v_reset = -10 mV leaves 25 - 20 = 5 mV in the same step,
/// which then decays as `5 mV e^{-t/tau_m}`; reset by value leaves -10 mV.
#[test]
fn subtract_reset_keeps_the_overshoot() {
    let base = "tau_m = \"20 ms\", v_rest = \"0 mV\", v_th = \"10 mV\", v_reset = \"-10 mV\"";
    let sub = format!("{base}, reset = \"subtract\"");
    let mut pops = build(&[("s", 1, "lif", &sub), ("v", 1, "lif", base)]);
    let events = |k: u64| vec![(0, 0, if k == 0 { 0.025f32 } else { 0.0 })];
    let (v, spikes) = run(pops[0].as_mut(), 50, events);
    assert_eq!(spikes, [(0, 0)]);
    let w = f64::from(0.025f32);
    for k in [0usize, 10, 49] {
        let e = (w - 20e-3) * (-(k as f64) * DT / 20e-3).exp();
        assert!((v[k][0] - e).abs() < 1e-15, "step {k}: {} vs {e}", v[k][0]);
    }
    let (v, _) = run(pops[1].as_mut(), 1, events);
    assert_eq!(v[0][0], -10e-3);
}

/// A population with per-neuron `tau_m`, `v_rest`, `v_th`, `v_reset` (and
/// `tau_syn` for CuBa) gives the spikes and potentials, bit for bit, of
/// separate populations of one neuron with those values.
#[test]
fn per_neuron_parameters_equal_separate_populations() {
    let taus = [10.0, 20.0, 35.0];
    let rests = [-70.0, -65.0, -60.0];
    let ths = [-52.0, -50.0, -55.0];
    let resets = [-75.0, -70.0, -68.0];
    let tss = [2.0, 5.0, 8.0];
    let list = |x: &[f64], unit: &str| {
        format!(
            "[{}]",
            x.iter()
                .map(|v| format!("\"{v} {unit}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    // An irregular input: neuron i gets a weight at steps where (k * (i+3)) % 7 < 3.
    let events = |port: usize, w: f32, per: usize| {
        move |k: u64| -> Vec<(usize, u32, f32)> {
            (0..per as u32)
                .filter(|&i| (k * (i as u64 + 3)) % 7 < 3)
                .map(|i| (port, i, w))
                .collect()
        }
    };
    for (model, port, w, extra) in [
        ("lif", 0, 0.004f32, ""),
        ("cuba_lif", 1, 0.06f32, "input = \"forcing\""),
    ] {
        let syn = |ts: String| {
            if model == "cuba_lif" {
                format!(", tau_syn = {ts}")
            } else {
                String::new()
            }
        };
        let opt = if extra.is_empty() {
            String::new()
        } else {
            format!(", {extra}")
        };
        let together = format!(
            "tau_m = {}, v_rest = {}, v_th = {}, v_reset = {}{}{opt}",
            list(&taus, "ms"),
            list(&rests, "mV"),
            list(&ths, "mV"),
            list(&resets, "mV"),
            syn(list(&tss, "ms"))
        );
        let mut one = build(&[("all", 3, model, &together)]).remove(0);
        let (v_all, s_all) = run(one.as_mut(), 2000, events(port, w, 3));
        assert!(s_all.len() > 10, "{model}: {} spikes", s_all.len());
        for i in 0..3 {
            let alone = format!(
                "tau_m = \"{} ms\", v_rest = \"{} mV\", v_th = \"{} mV\", v_reset = \"{} mV\"{}{opt}",
                taus[i],
                rests[i],
                ths[i],
                resets[i],
                syn(format!("\"{} ms\"", tss[i]))
            );
            let mut n = build(&[("one", 1, model, &alone)]).remove(0);
            let shifted = |k: u64| {
                (events(port, w, 3))(k)
                    .into_iter()
                    .filter(|e| e.1 == i as u32)
                    .map(|(p, _, w)| (p, 0, w))
                    .collect()
            };
            let (v, s) = run(n.as_mut(), 2000, shifted);
            let mine: Vec<u64> = s_all
                .iter()
                .filter(|s| s.1 == i as u32)
                .map(|s| s.0)
                .collect();
            assert_eq!(
                mine,
                s.iter().map(|s| s.0).collect::<Vec<_>>(),
                "{model} neuron {i}"
            );
            for k in 0..2000 {
                assert_eq!(v_all[k][i], v[k][0], "{model} neuron {i} step {k}");
            }
        }
    }
}

/// `spiking = false`: the potential passes any level and never fires.
#[test]
fn a_non_spiking_membrane_never_fires() {
    let mut pops = build(&[(
        "li",
        1,
        "lif",
        "tau_m = \"20 ms\", v_rest = \"0 mV\", spiking = false",
    )]);
    let (v, spikes) = run(pops[0].as_mut(), 3, |_| vec![(0, 0, 10.0)]);
    assert!(spikes.is_empty());
    assert!(v[2][0] > 29.0);
    assert_eq!(pops[0].threshold(), None);
}

/// Options without a closed form leave the population to the grid (the
/// event engine steps it as the clock engine does); plain ones keep it.
#[test]
fn only_plain_membranes_have_an_event_form() {
    let plain = "tau_m = \"20 ms\", v_rest = \"-70 mV\", v_th = \"-50 mV\", tau_syn = \"5 ms\"";
    for (model, params, exact) in [
        ("cuba_lif", plain.to_string(), true),
        (
            "lif",
            "tau_m = \"20 ms\", v_rest = \"-70 mV\", v_th = \"-50 mV\", drive = \"5 mV\"".into(),
            true,
        ),
        ("cuba_lif", format!("{plain}, input = \"forcing\""), false),
        ("cuba_lif", format!("{plain}, syn_drive = \"1 mV\""), false),
        ("cuba_lif", format!("{plain}, reset = \"subtract\""), false),
        (
            "lif",
            "tau_m = [\"20 ms\", \"10 ms\"], v_rest = \"-70 mV\", v_th = \"-50 mV\"".into(),
            false,
        ),
        (
            "lif",
            "tau_m = [\"20 ms\", \"20 ms\"], v_rest = \"-70 mV\", v_th = \"-50 mV\"".into(),
            true,
        ),
    ] {
        let n = build(&[("p", 2, model, &params)]).remove(0);
        assert_eq!(n.event_model().is_some(), exact, "{model} {params}");
    }
}

#[test]
fn bad_options_are_located_errors() {
    let lif = |extra: &str| {
        error(
            "lif",
            &format!("tau_m = \"20 ms\", v_rest = \"-70 mV\", v_th = \"-50 mV\", {extra}"),
        )
    };
    let cases = [
        (
            lif("v_reset = [\"-60 mV\", \"-40 mV\"]"),
            "m.toml:9: population[p].params.v_reset: neuron 1: must lie below v_th",
        ),
        (
            lif("reset = \"late\""),
            "m.toml:9: population[p].params.reset: unknown value \"late\" (allowed: \"value\", \"subtract\")",
        ),
        (
            lif("leak = \"no\""),
            "m.toml:9: population[p].params.leak: must be true or false",
        ),
        (
            lif("leak = false"),
            "m.toml:9: population[p].params.v_rest: a membrane without leak",
        ),
        (
            lif("drive = \"1 mV\", i_e = \"1 pA\", r_m = \"1 Mohm\""),
            "m.toml:9: population[p].params.drive: give either `i_e` or `drive`",
        ),
        (
            lif("input = \"forcing\""),
            "m.toml:9: population[p].params.input: unknown parameter `input`",
        ),
        (
            error(
                "lif",
                "tau_m = [\"20 ms\", \"-1 ms\"], v_rest = \"-70 mV\", v_th = \"-50 mV\"",
            ),
            "m.toml:9: population[p].params.tau_m: must be positive, got -1e-3 (neuron 1)",
        ),
        (
            error(
                "lif",
                "tau_m = [\"20 ms\"], v_rest = \"-70 mV\", v_th = \"-50 mV\"",
            ),
            "m.toml:9: population[p].params.tau_m:",
        ),
        (
            error(
                "cuba_lif",
                "tau_m = \"20 ms\", v_rest = \"-70 mV\", v_th = \"-50 mV\", tau_syn = \"5 ms\", input = \"step\"",
            ),
            "m.toml:9: population[p].params.input: unknown value \"step\" (allowed: \"jump\", \"forcing\")",
        ),
        (
            error(
                "amsu_lif",
                "tau_m = \"20 ms\", v_rest = \"-70 mV\", v_th = \"-50 mV\", reset = \"subtract\"",
            ),
            "params.reset: unknown parameter `reset`",
        ),
    ];
    for (got, wanted) in cases {
        assert!(got.contains(wanted), "{got}\n  wanted: {wanted}");
    }
}

/// `discrete_lif` with β = 1/2, an input of 1/4 per update, v_th = 3/8,
/// v_reset = 1/16, by hand in the three reset modes (dyadic numbers, so
/// the sums are exact). V = 3/8 exactly does not fire (strict test).
#[test]
fn discrete_lif_reset_modes_follow_hand_computed_sequences() {
    let base = "beta = 0.5, v_th = \"0.375 V\", v_reset = \"0.0625 V\"";
    let cases: [(&str, [f64; 7], [u64; 2]); 3] = [
        (
            "value",
            [0.25, 0.375, 0.0625, 0.28125, 0.0625, 0.28125, 0.0625],
            [2, 4],
        ),
        (
            "subtract",
            [0.25, 0.375, 0.125, 0.3125, 0.09375, 0.296875, 0.0859375],
            [2, 4],
        ),
        (
            "subtract_late",
            [
                0.25, 0.375, 0.4375, 0.15625, 0.328125, 0.4140625, 0.14453125,
            ],
            [2, 5],
        ),
    ];
    for (mode, expected, fired) in cases {
        let params = format!("{base}, reset = \"{mode}\"");
        let mut n = build(&[("d", 1, "discrete_lif", &params)]).remove(0);
        let (v, spikes) = run(n.as_mut(), 7, |_| vec![(0, 0, 0.25)]);
        assert_eq!(
            v.iter().map(|x| x[0]).collect::<Vec<_>>(),
            expected,
            "{mode}"
        );
        assert_eq!(
            spikes.iter().map(|s| s.0).take(2).collect::<Vec<_>>(),
            fired,
            "{mode}"
        );
    }
}

/// α = β = 1/2, i_bias = 1/4, v_bias = 1/8, one input of 1 at the first
/// update, not spiking. Semi-implicit (V takes the new J):
/// J = 1.25, 0.875, 0.6875; V = 1.375, 1.6875, 1.65625. Explicit (V takes
/// the J before the update): V = 0.125, 1.4375, 1.71875.
#[test]
fn discrete_lif_biases_and_cuba_modes_follow_hand_computed_sequences() {
    let base =
        "beta = 0.5, alpha = 0.5, i_bias = \"0.25 V\", v_bias = \"0.125 V\", spiking = false";
    for (mode, expected) in [
        ("semi_implicit", [1.375, 1.6875, 1.65625]),
        ("explicit", [0.125, 1.4375, 1.71875]),
    ] {
        let params = format!("{base}, cuba = \"{mode}\"");
        let mut n = build(&[("d", 1, "discrete_lif", &params)]).remove(0);
        let (v, spikes) = run(n.as_mut(), 3, |k| {
            if k == 0 { vec![(0, 0, 1.0)] } else { vec![] }
        });
        assert!(spikes.is_empty());
        assert_eq!(
            v.iter().map(|x| x[0]).collect::<Vec<_>>(),
            expected,
            "{mode}"
        );
        assert_eq!(sample(n.as_ref(), "j"), [0.6875], "{mode}");
        assert_eq!(n.threshold(), None);
    }
}

/// Per-neuron β, α and v_th give what separate populations with those
/// values give; the default model's arithmetic is unchanged by the option
/// path when an array is uniform.
#[test]
fn discrete_lif_per_neuron_values_equal_separate_populations() {
    let together =
        "beta = [0.5, 0.9], alpha = [0.25, 0.0], v_th = [\"1 V\", \"0.7 V\"], reset = \"value\"";
    let mut all = build(&[("d", 2, "discrete_lif", together)]).remove(0);
    let events = |k: u64| {
        vec![
            (0, 0, 0.3f32),
            (0, 1, if k.is_multiple_of(3) { 0.5f32 } else { 0.1 }),
        ]
    };
    let (v_all, s_all) = run(all.as_mut(), 60, events);
    assert!(s_all.len() > 5);
    for (i, alone) in [
        "beta = 0.5, alpha = 0.25, v_th = \"1 V\", reset = \"value\"",
        "beta = 0.9, v_th = \"0.7 V\", reset = \"value\"",
    ]
    .iter()
    .enumerate()
    {
        let mut n = build(&[("d", 1, "discrete_lif", alone)]).remove(0);
        let mine = |k: u64| {
            events(k)
                .into_iter()
                .filter(|e| e.1 == i as u32)
                .map(|(p, _, w)| (p, 0, w))
                .collect()
        };
        let (v, s) = run(n.as_mut(), 60, mine);
        assert_eq!(
            s.iter().map(|s| s.0).collect::<Vec<_>>(),
            s_all
                .iter()
                .filter(|s| s.1 == i as u32)
                .map(|s| s.0)
                .collect::<Vec<_>>()
        );
        for k in 0..60 {
            assert_eq!(v[k][0], v_all[k][i], "neuron {i} step {k}");
        }
    }
    // A uniform array is the scalar model (today's late subtraction).
    let mut uniform = build(&[(
        "d",
        2,
        "discrete_lif",
        "beta = [0.5, 0.5], v_th = \"0.4 V\"",
    )])
    .remove(0);
    let (v, _) = run(uniform.as_mut(), 4, |_| vec![(0, 0, 0.25)]);
    assert_eq!(
        v.iter().map(|x| x[0]).collect::<Vec<_>>(),
        [0.25, 0.375, 0.4375, 0.21875 + 0.25 - 0.4]
    );
}

#[test]
fn discrete_lif_bad_options_are_located_errors() {
    let cases = [
        (
            error("discrete_lif", "beta = [0.5, 1.5], v_th = \"1 V\""),
            "m.toml:9: population[p].params.beta: must be in [0, 1], got 1.5 (neuron 1)",
        ),
        (
            error(
                "discrete_lif",
                "beta = 0.5, v_th = \"1 V\", v_reset = \"1 V\"",
            ),
            "m.toml:9: population[p].params.v_reset: must lie below v_th",
        ),
        (
            error(
                "discrete_lif",
                "beta = 0.5, v_th = \"1 V\", reset = \"late\"",
            ),
            "m.toml:9: population[p].params.reset: unknown value \"late\" (allowed: \"subtract_late\", \"subtract\", \"value\")",
        ),
        (
            error(
                "discrete_lif",
                "beta = 0.5, v_th = \"1 V\", cuba = \"implicit\"",
            ),
            "m.toml:9: population[p].params.cuba: unknown value \"implicit\"",
        ),
        (
            error("discrete_lif", "beta = 0.5, v_th = \"-1 V\""),
            "m.toml:9: population[p].params.v_th: must be positive",
        ),
    ];
    for (got, wanted) in cases {
        assert!(got.contains(wanted), "{got}\n  wanted: {wanted}");
    }
}

/// A CuBa membrane without leak integrates its current:
/// `tau_m dv/dt = I`. Forced by a constant `W` from rest,
/// `v(t) = (W / tau_m)(t - ts (1 - e^{-t/ts}))`; after one jump `I0`,
/// `v(t) = I0 (ts / tau_m)(1 - e^{-t/ts})`.
#[test]
fn a_leak_free_cuba_membrane_integrates_its_current() {
    let (tm, ts) = (1.0, 5e-3);
    let forced =
        "leak = false, tau_m = \"1 s\", tau_syn = \"5 ms\", v_th = \"1 V\", input = \"forcing\"";
    let jumped = "leak = false, tau_m = \"1 s\", tau_syn = \"5 ms\", v_th = \"1 V\"";
    let mut pops = build(&[("f", 1, "cuba_lif", forced), ("j", 1, "cuba_lif", jumped)]);
    let w = 0.5f32;
    let (v, _) = run(pops[0].as_mut(), 400, |_| vec![(1, 0, w)]);
    let (vj, _) = run(pops[1].as_mut(), 400, |k| {
        if k == 0 { vec![(1, 0, w)] } else { vec![] }
    });
    let w = f64::from(w);
    for k in [0usize, 9, 99, 399] {
        let t = (k + 1) as f64 * DT;
        let want = w / tm * (t - ts * (1.0 - (-t / ts).exp()));
        assert!(
            (v[k][0] - want).abs() < 1e-14,
            "forced, step {k}: {} vs {want}",
            v[k][0]
        );
        // The jump arrives at grid point 1: `t` counts from there.
        let t = k as f64 * DT;
        let want = w * ts / tm * (1.0 - (-t / ts).exp());
        assert!(
            (vj[k][0] - want).abs() < 1e-14,
            "jump, step {k}: {} vs {want}",
            vj[k][0]
        );
    }
}
