//! Float → fixed point: a float LIF / CuBa model file becomes a fixed-point
//! one (`spikesim quantize`), so that the same network can be run both ways
//! and compared (`spikesim compare`).
//!
//! The mapping, per target population (`dt` the step, `tau_m` the membrane
//! and `tau_s` the synaptic time constant):
//! - `v` is measured from `v_reset` (the chip resets to 0) in units of
//!   `s = (v_th - v_reset) / (vth << 6)` volts, with `vth = 2^17 - 1`, the
//!   largest threshold the chip holds: the finest voltage grain whose range
//!   (±2^23 units) still spans `v_reset ± (v_th - v_reset)`.
//! - `dv = round(4096 (1 - exp(-dt / tau_m)))`; CuBa: `du + 1 = round(4096
//!   (1 - exp(-dt / tau_syn_e)))`; LIF (delta synapses): `du = 4095`, so `u`
//!   holds one step's input only.
//! - the resting potential and `i_e` become the bias: `v_inf = bias / (1 - beta)`
//!   with `beta = 1 - dv / 4096`, so `bias = (v_rest - v_reset + r_m i_e) (1 - beta) / s`,
//!   split into a 13-bit mantissa and the smallest exponent that fits.
//! - a weight `w` (a jump of `r_m i_syn`, volts) keeps the area of the
//!   response it causes in `v` (and so the mean drive):
//!   `a_in << 6 = w (tau_s / dt) (1 - alpha) (1 - beta) / s` with
//!   `alpha = 1 - (du + 1) / 4096` and `tau_s` the receptor's own time
//!   constant (an inhibitory current keeps its charge even though the chip
//!   has one current decay); for delta synapses `a_in << 6 = w / s` (the
//!   exact jump). The mantissa is at most 8 bits with the smallest
//!   exponent `>= 0` that fits; the sign mode is the weight's sign.
//! - initial `v` is the float model's own initial draw, mapped as above;
//!   initial currents give `u = i (1 - beta) / s`.
//!
//! - a CuBa population whose inputs force the current over a step
//!   (`input = "forcing"`, what a NIR CubaLIF imports to) keeps the area of
//!   the current too: a forcing of level `W` over `dt` carries the charge
//!   `W dt`, a jump `w` the charge `w tau_s`, so `W` maps as the jump
//!   `W dt / tau_s`; a constant `syn_drive` holds the current at its level,
//!   which joins the bias as a drive.
//! - per-neuron resting potentials (`v_rest` arrays, NIR's biases) become
//!   per-neuron biases.
//! - a `spike_source` becomes a `spike_pattern` with one column per step of
//!   the run (a spike at `k dt` in column `k - 1`, emitted at step `k`).
//! - connection lists and dense matrices become dense integer matrices with
//!   one `weight_exp` (the smallest that fits the largest weight); signs
//!   mixed: mantissas rounded to even, as the chip drops the lowest bit.
//!
//! What does not map is reported: refractory periods (the chip has none),
//! delays other than one step (the chip's pipeline is one step), and
//! voltages that leave the 24-bit range saturate. What cannot map is
//! refused: per-neuron time constants, thresholds and resets, reset by
//! subtraction, non-spiking and leak-free membranes (the chip's neuron
//! has one scale per population, resets to 0, always fires and leaks
//! through `dv`: `dv = 0` would be an integrator, not mapped yet).

use std::fmt::Write;

use super::spec::*;
use crate::neuron;

/// The largest threshold mantissa the chip declares.
pub const VTH: i64 = (1 << 17) - 1;

/// A fixed-point model file and what the mapping could not keep.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantized {
    /// The fixed-point model file's text.
    pub text: String,
    /// What the mapping changed or approximated, for the user.
    pub notes: Vec<String>,
}

/// Integer parameters of one population.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationMap {
    /// Current decay per step, fraction of 2^12.
    pub du: i64,
    /// Voltage decay per step, fraction of 2^12.
    pub dv: i64,
    /// Threshold mantissa.
    pub vth: i64,
    /// Volts per unit of `v`.
    pub scale: f64,
    /// The reset potential the integer `v` counts from, volts.
    pub v_reset: f64,
}

impl PopulationMap {
    /// The mapping of a float LIF membrane `m` (with synaptic time constant `tau_syn`, seconds)
    /// at step `dt` (seconds).
    pub fn new(m: &MembraneParams, tau_syn: Option<f64>, dt: f64) -> Self {
        let fraction = |tau: f64| (4096.0 * (1.0 - (-dt / tau).exp())).round() as i64;
        let dv = fraction(m.tau_m).clamp(0, 4095);
        let du = match tau_syn {
            Some(tau) => (fraction(tau) - 1).clamp(0, 4095),
            None => 4095,
        };
        Self {
            du,
            dv,
            vth: VTH,
            scale: (m.v_th - m.v_reset) / (VTH << 6) as f64,
            v_reset: m.v_reset,
        }
    }

    /// `1 - alpha`, the fraction of `u` lost per step.
    fn u_loss(&self) -> f64 {
        (self.du + 1) as f64 / 4096.0
    }

    /// `1 - beta`, the fraction of `v` lost per step.
    fn v_loss(&self) -> f64 {
        self.dv as f64 / 4096.0
    }

    /// The bias that holds `v` at `drive` volts above `v_reset`.
    pub fn bias(&self, drive: f64) -> (i64, i64) {
        split(drive * self.v_loss() / self.scale, 4095, 7)
    }

    /// `u` for a current given as the voltage `r_m i`.
    pub fn current(&self, i: f64) -> i64 {
        (i * self.v_loss() / self.scale).round() as i64
    }

    /// The integer of the potential `v` (volts).
    pub fn voltage(&self, v: f64) -> i64 {
        ((v - self.v_reset) / self.scale).round() as i64
    }

    /// `(mantissa, exponent)` of a weight `w` (volts) whose current decays
    /// with `tau_s`, `None` for a delta synapse.
    pub fn weight(&self, w: f64, tau_s: Option<f64>, dt: f64) -> (i64, i64) {
        split(self.units(w, tau_s, dt) / 64.0, 255, 24)
    }

    /// The chip's input (before the `<< 6`) that keeps the area of `w`.
    fn units(&self, w: f64, tau_s: Option<f64>, dt: f64) -> f64 {
        match tau_s {
            Some(tau) => w * (tau / dt) * self.u_loss() * self.v_loss() / self.scale,
            None => w / self.scale,
        }
    }
}

/// `x ≈ mantissa << exponent` with `|mantissa| <= max` and the smallest
/// exponent in `0..=max_exp` that allows it.
fn split(x: f64, max: i64, max_exp: i64) -> (i64, i64) {
    let mut e = 0;
    while (x / (1i64 << e) as f64).round().abs() > max as f64 && e < max_exp {
        e += 1;
    }
    ((x / (1i64 << e) as f64).round() as i64, e)
}

/// The fixed-point model file for a validated float model.
pub fn quantize(spec: &ModelSpec) -> Result<Quantized, String> {
    if spec.fixed.is_some() {
        return Err("the model is already in fixed point".into());
    }
    if !spec.currents.is_empty() {
        return Err("current stimuli cannot be quantized: use `i_e` (a bias) instead".into());
    }
    let sim = &spec.simulation;
    let mut notes = Vec::new();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Fixed-point version of {} (spikesim quantize).\n# v is measured from v_reset in units of the population's scale; see the\n# manual's \"Fixed point\" page (docs/src/guide/fixed-point.md) for the mapping.\n\n[simulation]\narithmetic = \"fixed\"\nsteps = {}\ndt = \"{} ms\"\nseed = {}\nthreads = {}",
        spec.path.display(),
        sim.steps,
        sim.dt * 1e3,
        sim.seed,
        sim.threads
    );
    let mut maps = Vec::new();
    for p in &spec.populations {
        maps.push(match p.kind.model().spike_times() {
            Some(spikes) => {
                pattern(&mut out, &mut notes, p, spikes, sim)?;
                None
            }
            None => Some(population(&mut out, &mut notes, p, sim)?),
        });
    }
    for p in &spec.projections {
        projection(&mut out, &mut notes, spec, p, &maps)?;
    }
    for r in &spec.records {
        let mut variables: Vec<&str> = r
            .variables
            .iter()
            .map(|v| if v == "v" { "v" } else { "u" })
            .collect();
        variables.dedup();
        let _ = writeln!(
            out,
            "\n[[record]]\npopulation = \"{}\"\nvariables = [{}]\nevery = {}",
            spec.populations[r.population].name,
            variables
                .iter()
                .map(|v| format!("\"{v}\""))
                .collect::<Vec<_>>()
                .join(", "),
            r.every
        );
        if let Some(n) = &r.neurons {
            let n: Vec<i64> = n.iter().map(|&x| x as i64).collect();
            let _ = writeln!(out, "neurons = {}", ints(&n));
        }
    }
    Ok(Quantized { text: out, notes })
}

/// How a population receives: its map, and whether inputs to its current
/// force it over a step.
#[derive(Debug, Clone)]
struct Target {
    map: PopulationMap,
    forcing: bool,
}

/// A spike source as a `spike_pattern` of one column per step: a spike at
/// grid point `k` (time `k dt`) sets column `k - 1`, which the chip's
/// source emits at step `k`.
fn pattern(
    out: &mut String,
    notes: &mut Vec<String>,
    p: &PopulationSpec,
    spikes: &[(f64, u32)],
    sim: &SimulationSpec,
) -> Result<(), String> {
    let steps = sim.steps as usize;
    let cells = p.size as f64 * steps as f64;
    if cells > 1e8 {
        return Err(format!(
            "population `{}`: a spike pattern of {} neurons by {steps} steps ({cells:e} cells) is too large to write",
            p.name, p.size
        ));
    }
    let mut rows = vec![vec![false; steps]; p.size as usize];
    let mut outside = 0usize;
    for &(t, i) in spikes {
        let k = (t / sim.dt).round();
        if k < 1.0 || k > steps as f64 {
            outside += 1;
            continue;
        }
        rows[i as usize][k as usize - 1] = true;
    }
    if outside > 0 {
        notes.push(format!(
            "population `{}`: {outside} spikes outside steps 1..={steps} dropped",
            p.name
        ));
    }
    let text: Vec<String> = rows
        .iter()
        .map(|r| {
            let bits: Vec<&str> = r.iter().map(|&b| if b { "1" } else { "0" }).collect();
            format!("[{}]", bits.join(", "))
        })
        .collect();
    let _ = writeln!(
        out,
        "\n[[population]]\nname = \"{}\"\nsize = {}\nmodel = \"spike_pattern\"\nrecord_spikes = {}\npattern = [\n  {},\n]",
        p.name,
        p.size,
        p.record_spikes,
        text.join(",\n  ")
    );
    Ok(())
}

/// The options of a LIF or CuBa population that the chip's neuron cannot
/// express: refused, naming them and the engines that run them.
fn refuse_unmapped(
    p: &PopulationSpec,
    m: &MembraneParams,
    extra: &[&'static str],
) -> Result<(), String> {
    let mut keys: Vec<&str> = m
        .options_used()
        .into_iter()
        .filter(|&k| k != "v_rest")
        .collect();
    keys.extend(extra);
    if keys.is_empty() {
        return Ok(());
    }
    Err(format!(
        "population `{}`: {} cannot be quantized (the chip's neuron has one decay, threshold and \
         reset-to-zero per population, and always leaks and fires); the float engines (clock, \
         event) run it",
        p.name,
        keys.iter()
            .map(|k| match *k {
                "reset" => "reset = \"subtract\"".to_string(),
                "spiking" => "spiking = false".to_string(),
                "leak" => "leak = false".to_string(),
                other => format!("per-neuron {other}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// A float LIF or CuBa population as the chip's neuron: its section of the
/// fixed-point file, and how it receives.
fn population(
    out: &mut String,
    notes: &mut Vec<String>,
    p: &PopulationSpec,
    sim: &SimulationSpec,
) -> Result<Target, String> {
    let Some(q) = p.kind.model().quantizable() else {
        return Err(format!(
            "population `{}` is a {}: only lif and cuba_lif populations can be quantized (and spike_source inputs)",
            p.name,
            p.kind.model_name()
        ));
    };
    let m = q.membrane;
    refuse_unmapped(p, m, &q.unmapped)?;
    let tau_syn = q.tau_syn.map(|(e, _)| e);
    let map = PopulationMap::new(m, tau_syn, sim.dt);
    if m.t_ref > 0.0 {
        notes.push(format!(
            "population `{}`: t_ref = {} ms dropped (the chip has no refractory period)",
            p.name,
            m.t_ref * 1e3
        ));
    }
    if let Some((tau_syn_e, tau_syn_i)) = q.tau_syn
        && tau_syn_i != tau_syn_e
    {
        notes.push(format!(
            "population `{}`: one current decay (tau_syn_e = {} ms); inhibitory weights keep their charge, not their time course (tau_syn_i = {} ms)",
            p.name,
            tau_syn_e * 1e3,
            tau_syn_i * 1e3
        ));
    }
    let n = p.size as usize;
    let drive = per_neuron(&m.init_drive, n)
        .ok_or_else(|| format!("population `{}`: a random i_e cannot be quantized", p.name))?;
    let rest = |i: usize| m.each.as_ref().map_or(m.v_rest, |e| e.v_rest.at(i));
    let syn_drive = |i: usize| q.syn_drive.map_or(0.0, |s| s.at(i));
    let (mant, exp): (Vec<i64>, Vec<i64>) = drive
        .iter()
        .enumerate()
        .map(|(i, d)| map.bias(rest(i) - m.v_reset + d + syn_drive(i)))
        .unzip();
    if q.syn_drive.is_some() {
        notes.push(format!(
            "population `{}`: syn_drive joins the bias (the current it holds in steady state)",
            p.name
        ));
    }
    // The float model's own initial state (its random draw included).
    let float = neuron::build(p, sim);
    let all: Vec<u32> = (0..p.size).collect();
    let mut v0 = Vec::new();
    float.sample("v", &all, &mut v0);
    let v0: Vec<i64> = v0.iter().map(|&v| map.voltage(v)).collect();
    let u0: Vec<i64> = match q.init_syn {
        Some((init_e, init_i)) => {
            let e = per_neuron(init_e, n);
            let i = per_neuron(init_i, n);
            let (Some(e), Some(i)) = (e, i) else {
                return Err(format!(
                    "population `{}`: random initial currents cannot be quantized",
                    p.name
                ));
            };
            e.iter().zip(&i).map(|(a, b)| map.current(a + b)).collect()
        }
        None => vec![0; n],
    };
    let _ = writeln!(
        out,
        "\n# 1 unit of v = {:.6e} V; v = 0 is v_reset = {} mV\n[[population]]\nname = \"{}\"\nsize = {}\nmodel = \"lif\"\nrecord_spikes = {}\nparams = {{ du = {}, dv = {}, vth = {}, bias_mant = {}, bias_exp = {} }}\ninit = {{ u = {}, v = {} }}",
        map.scale,
        m.v_reset * 1e3,
        p.name,
        p.size,
        p.record_spikes,
        map.du,
        map.dv,
        map.vth,
        ints(&mant),
        ints(&exp),
        ints(&u0),
        ints(&v0)
    );
    Ok(Target {
        map,
        forcing: q.forcing,
    })
}

fn projection(
    out: &mut String,
    notes: &mut Vec<String>,
    spec: &ModelSpec,
    p: &ProjectionSpec,
    maps: &[Option<Target>],
) -> Result<(), String> {
    let sim = &spec.simulation;
    let target = &spec.populations[p.to];
    let Some(to) = &maps[p.to] else {
        return Err(format!(
            "projection `{}`: its target `{}` is a spike source",
            p.name, target.name
        ));
    };
    let map = &to.map;
    if matches!(p.rule, ConnectRule::List(_) | ConnectRule::Dense(_)) {
        return dense_projection(out, notes, spec, p, to);
    }
    let ValueSpec::Constant(w) = p.weight else {
        return Err(format!(
            "projection `{}`: only a constant weight can be quantized",
            p.name
        ));
    };
    // A zero delay stays zero: the fixed-point engine settles it in the step.
    let zero_delay = p.delay == ValueSpec::Constant(0.0);
    if p.delay != ValueSpec::Constant(sim.dt) && !zero_delay {
        notes.push(format!(
            "projection `{}`: delay becomes one step (the chip's pipeline)",
            p.name
        ));
    }
    let tau_s = match p.port {
        Port::CurrentExc | Port::CurrentInh => target.kind.model().port_tau(p.port),
        _ => None,
    };
    let connect = match &p.rule {
        ConnectRule::AllToAll => "\"all_to_all\"".to_string(),
        ConnectRule::OneToOne => "\"one_to_one\"".to_string(),
        ConnectRule::FixedProbability(q) => format!("{{ fixed_probability = {q:?} }}"),
        ConnectRule::FixedIndegree(k) => format!("{{ fixed_indegree = {k} }}"),
        ConnectRule::FixedTotalNumber { total, multapses } => {
            format!("{{ fixed_total_number = {total}, multapses = {multapses} }}")
        }
        ConnectRule::List(_) | ConnectRule::Dense(_) => unreachable!("mapped above"),
    };
    let w = forced_as_jump(w, to, tau_s, sim.dt);
    let (mant, exp) = map.weight(w, tau_s, sim.dt);
    let effective = (mant << exp) as f64 * 64.0;
    let wanted = map.units(w, tau_s, sim.dt);
    notes.push(format!(
        "projection `{}`: weight {:.4} mV -> {} << {} (relative error {:+.3}%)",
        p.name,
        w * 1e3,
        mant,
        exp,
        100.0 * (effective - wanted) / wanted
    ));
    let _ = writeln!(
        out,
        "\n[[projection]]\nname = \"{}\"\nfrom = \"{}\"\nto = \"{}\"\nconnect = {}\nweight = {}\nweight_exp = {}\nsign_mode = \"{}\"\nallow_autapses = {}",
        p.name,
        spec.populations[p.from].name,
        target.name,
        connect,
        mant,
        exp,
        if mant < 0 { "inhibitory" } else { "excitatory" },
        p.allow_autapses
    );
    if zero_delay {
        let _ = writeln!(out, "delay = \"0 ms\"");
    }
    Ok(())
}

/// A forcing weight `W` as the jump of the same charge, `W dt / tau_s`;
/// other weights unchanged.
fn forced_as_jump(w: f64, to: &Target, tau_s: Option<f64>, dt: f64) -> f64 {
    match tau_s {
        Some(tau) if to.forcing => w * dt / tau,
        _ => w,
    }
}

/// A connection list or dense matrix as the chip's dense matrix
/// (`rows[post][pre]`): every weight mapped as `weight` maps one, with the
/// smallest exponent that fits the largest.
fn dense_projection(
    out: &mut String,
    notes: &mut Vec<String>,
    spec: &ModelSpec,
    p: &ProjectionSpec,
    to: &Target,
) -> Result<(), String> {
    let sim = &spec.simulation;
    let (n_pre, n_post) = (
        spec.populations[p.from].size as usize,
        spec.populations[p.to].size as usize,
    );
    let cells = n_pre as f64 * n_post as f64;
    if cells > 1e8 {
        return Err(format!(
            "projection `{}`: a dense matrix of {n_post} x {n_pre} is too large to write",
            p.name
        ));
    }
    let mut rows = vec![vec![0.0f64; n_pre]; n_post];
    let mut delayed = false;
    match &p.rule {
        ConnectRule::Dense(d) => {
            // Dense entries scale the projection's weight (as the engine
            // draws them, `synapse::connect`).
            let ValueSpec::Constant(w) = p.weight else {
                return Err(format!(
                    "projection `{}`: a dense matrix is quantized with a constant weight only",
                    p.name
                ));
            };
            for (post, row) in d.iter().enumerate() {
                for (cell, x) in rows[post].iter_mut().zip(row) {
                    *cell = x * w;
                }
            }
            delayed |= p.delay != ValueSpec::Constant(sim.dt);
        }
        ConnectRule::List(list) => {
            for s in list {
                let w = match (s.weight, &p.weight) {
                    (Some(w), _) => w,
                    (None, ValueSpec::Constant(w)) => *w,
                    (None, _) => {
                        return Err(format!(
                            "projection `{}`: only listed or constant weights can be quantized",
                            p.name
                        ));
                    }
                };
                rows[s.post as usize][s.pre as usize] += w;
                delayed |= match s.delay {
                    Some(d) => d != sim.dt,
                    None => p.delay != ValueSpec::Constant(sim.dt),
                };
            }
        }
        _ => unreachable!("a list or dense rule"),
    }
    // A projection whose every synapse acts within the step (an imported
    // NIR edge) stays a zero-delay projection: the fixed-point engine runs
    // those in the same step, and one step more per layer would shift
    // every layer behind it.
    let zero = ValueSpec::Constant(0.0);
    let all_zero = match &p.rule {
        ConnectRule::List(list) => list
            .iter()
            .all(|s| s.delay.map_or(p.delay == zero, |d| d == 0.0)),
        _ => p.delay == zero,
    };
    if all_zero {
        delayed = false;
    }
    if delayed {
        notes.push(format!(
            "projection `{}`: delays become one step (the chip's pipeline)",
            p.name
        ));
    }
    let tau_s = match p.port {
        Port::CurrentExc | Port::CurrentInh => spec.populations[p.to].kind.model().port_tau(p.port),
        _ => None,
    };
    let units: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|&w| {
                    to.map
                        .units(forced_as_jump(w, to, tau_s, sim.dt), tau_s, sim.dt)
                        / 64.0
                })
                .collect()
        })
        .collect();
    let all = units.iter().flatten();
    let mixed = all.clone().any(|&u| u < 0.0) && all.clone().any(|&u| u > 0.0);
    let largest = all.fold(0.0f64, |a, &u| a.max(u.abs()));
    // Mixed signs: the chip keeps 7 bits and the sign, dropping the lowest
    // bit, so mantissas are even and at most 254.
    let (min, max, grain) = if mixed {
        (-256.0, 254.0, 2.0)
    } else {
        (-255.0, 255.0, 1.0)
    };
    let mut exp = 0;
    while largest / (1i64 << exp) as f64 > max && exp < 24 {
        exp += 1;
    }
    let scale = (1i64 << exp) as f64;
    let mut lost = 0usize;
    let ints: Vec<Vec<i64>> = units
        .iter()
        .map(|r| {
            r.iter()
                .map(|&u| {
                    let m = ((u / scale / grain).round() * grain).clamp(min, max) as i64;
                    lost += usize::from(m == 0 && u != 0.0);
                    m
                })
                .collect()
        })
        .collect();
    let worst = units
        .iter()
        .flatten()
        .zip(ints.iter().flatten())
        .filter(|(u, _)| **u != 0.0)
        .map(|(u, m)| ((*m as f64 * scale - u) / u).abs())
        .fold(0.0f64, f64::max);
    notes.push(format!(
        "projection `{}`: dense {n_post} x {n_pre}, weight_exp {exp}, largest relative error {:.3}%{}",
        p.name,
        100.0 * worst,
        if lost > 0 { format!(", {lost} weights round to 0 (no synapse)") } else { String::new() }
    ));
    let text: Vec<String> = ints
        .iter()
        .map(|r| {
            format!(
                "[{}]",
                r.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "\n[[projection]]\nname = \"{}\"\nfrom = \"{}\"\nto = \"{}\"\nconnect = {{ dense = [\n  {},\n] }}\nweight_exp = {exp}\nsign_mode = \"{}\"\nallow_autapses = {}",
        p.name,
        spec.populations[p.from].name,
        spec.populations[p.to].name,
        text.join(",\n  "),
        if mixed {
            "mixed"
        } else if largest > 0.0 && units.iter().flatten().any(|&u| u < 0.0) {
            "inhibitory"
        } else {
            "excitatory"
        },
        p.allow_autapses
    );
    if all_zero {
        let _ = writeln!(out, "delay = \"0 ms\"");
    }
    Ok(())
}

/// Per-neuron values of a constant or array value.
fn per_neuron(v: &ValueSpec, n: usize) -> Option<Vec<f64>> {
    match v {
        ValueSpec::Constant(c) => Some(vec![*c; n]),
        ValueSpec::Array(a) => Some(a.clone()),
        _ => None,
    }
}

/// A TOML integer, or an array when the values differ.
fn ints(values: &[i64]) -> String {
    match values.first() {
        Some(&first) if values.iter().all(|&x| x == first) => first.to_string(),
        _ => format!(
            "[{}]",
            values
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn membrane() -> MembraneParams {
        MembraneParams {
            tau_m: 20e-3,
            v_rest: -49e-3,
            v_reset: -60e-3,
            v_th: -50e-3,
            t_ref: 0.0,
            r_m: None,
            init_v: ValueSpec::Constant(-60e-3),
            init_drive: ValueSpec::Constant(0.0),
            each: None,
            reset: crate::neuron::membrane::Reset::Value,
            spiking: true,
            leak: true,
        }
    }

    #[test]
    fn decays_follow_the_time_constants() {
        let m = PopulationMap::new(&membrane(), Some(5e-3), 1e-4);
        // 4096 (1 - exp(-0.005)) = 20.43; 4096 (1 - exp(-0.02)) = 81.1.
        assert_eq!((m.dv, m.du), (20, 80));
        let lif = PopulationMap::new(&membrane(), None, 1e-4);
        assert_eq!(lif.du, 4095);
    }

    #[test]
    fn threshold_and_reset_map_to_the_chip_threshold_and_zero() {
        let m = PopulationMap::new(&membrane(), None, 1e-4);
        assert_eq!(m.voltage(-60e-3), 0);
        assert_eq!(m.voltage(-50e-3), VTH << 6);
        assert_eq!(m.voltage(-70e-3), -(VTH << 6));
    }

    #[test]
    fn bias_holds_the_resting_potential() {
        let m = PopulationMap::new(&membrane(), None, 1e-4);
        let (mant, exp) = m.bias(11e-3);
        assert!(mant.abs() <= 4095);
        // Fixed point of v = v (1 - dv/4096) + bias, back in volts.
        let v_inf = (mant << exp) as f64 / m.v_loss() * m.scale;
        assert!((v_inf - 11e-3).abs() < 11e-3 * 1e-3, "{v_inf}");
    }

    #[test]
    fn weights_keep_their_area_within_rounding() {
        let m = PopulationMap::new(&membrane(), Some(5e-3), 1e-4);
        for (w, tau) in [(1.62e-3, 5e-3), (-9e-3, 10e-3)] {
            let (mant, exp) = m.weight(w, Some(tau), 1e-4);
            assert!(mant.abs() <= 255 && mant.abs() >= 100, "{mant}");
            // Area of v after one jump: u decays by alpha, v integrates u.
            let u = ((mant << exp) << 6) as f64;
            let area = u / (m.u_loss() * m.v_loss()) * m.scale * 1e-4;
            // Rounding the mantissa: at most half a unit of it.
            let bound = (w * tau).abs() * (0.5 / mant.abs() as f64 + 1e-6);
            assert!((area - w * tau).abs() <= bound, "{area} vs {}", w * tau);
        }
    }

    #[test]
    fn split_uses_the_smallest_exponent_that_fits() {
        assert_eq!(split(100.4, 255, 24), (100, 0));
        assert_eq!(split(1139.0, 255, 24), (142, 3));
        assert_eq!(split(-300.0, 255, 24), (-150, 1));
    }

    /// What `spikesim quantize` needs of a graph imported from NIR: spike
    /// sources become patterns, per-neuron resting potentials per-neuron
    /// biases, listed weights a dense matrix (mixed signs: even mantissas),
    /// forcing inputs keep the charge `W dt` and `syn_drive` joins the bias.
    #[test]
    fn an_imported_graph_maps_to_patterns_dense_matrices_and_biases() {
        use crate::model::spec::fixed::{FixedKind, FixedWeights};
        use crate::model::validate::parse_model;
        use std::path::Path;
        let text = r#"
[simulation]
dt = "0.1 ms"
duration = "2 ms"

[[population]]
name = "in"
size = 2
model = "spike_source"
params = { spikes = [["0.1 ms", "0.5 ms"], ["0.3 ms"]] }

[[population]]
name = "lif"
size = 2
model = "lif"
params = { tau_m = "10 ms", v_rest = ["0 mV", "1 mV"], v_th = "10 mV", v_reset = "0 mV" }
init = { v = "0 mV" }

[[population]]
name = "cuba"
size = 1
model = "cuba_lif"
params = { tau_m = "10 ms", tau_syn = "5 ms", v_rest = "0 mV", v_th = "10 mV", v_reset = "0 mV", input = "forcing", syn_drive = "2 mV" }
init = { v = "0 mV" }

[[projection]]
name = "in_lif"
from = "in"
to = "lif"
connect = "all_to_all"
weight = "1 mV"

[[projection]]
name = "in_cuba"
from = "in"
to = "cuba"
connect = "all_to_all"
weight = "4 mV"
"#;
        let mut spec = parse_model(Path::new("m.toml"), text).unwrap();
        let listed = [(0, 0, 2e-3), (1, 1, -1e-3), (1, 0, 0.5e-3)];
        spec.projections[0].rule = ConnectRule::List(
            listed
                .iter()
                .map(|&(pre, post, w)| ListedSynapse {
                    pre,
                    post,
                    weight: Some(w),
                    delay: None,
                })
                .collect(),
        );
        let q = quantize(&spec).unwrap();
        let fixed = parse_model(Path::new("q.toml"), &q.text)
            .unwrap_or_else(|e| panic!("{e}\n{}", q.text))
            .fixed
            .unwrap();
        // Spikes at grid points 1 and 5 (neuron 0) and 3 (neuron 1).
        let FixedKind::SpikePattern(rows) = &fixed.populations[0].kind else {
            panic!("not a pattern")
        };
        let on = |r: &Vec<bool>| {
            r.iter()
                .enumerate()
                .filter(|x| *x.1)
                .map(|x| x.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            (rows[0].len(), on(&rows[0]), on(&rows[1])),
            (20, vec![0, 4], vec![2])
        );
        let dt = 1e-4;
        let lif = PopulationMap::new(spec.populations[1].kind.membrane().unwrap(), None, dt);
        let FixedKind::Lif(l) = &fixed.populations[1].kind else {
            panic!()
        };
        // The bias holds v at v_rest - v_reset: 0 and 1 mV.
        for (i, want) in [0.0, 1e-3].iter().enumerate() {
            let v_inf = (l.bias_mant[i] << l.bias_exp[i]) as f64 / lif.v_loss() * lif.scale;
            assert!((v_inf - want).abs() <= 1e-3 * 1e-3, "neuron {i}: {v_inf}");
        }
        // Listed weights: rows[post][pre], even mantissas of one exponent,
        // each within one grain (2 << exp units) of the exact jump.
        let p = &fixed.projections[0];
        let FixedWeights::Dense(m) = &p.weights else {
            panic!()
        };
        let grain = 2.0 * (1i64 << p.weight_exp) as f64 * 64.0 * lif.scale;
        for &(pre, post, w) in &listed {
            let mant = m[post as usize][pre as usize];
            assert!(mant % 2 == 0 && (-256..=254).contains(&mant), "{mant}");
            let got = (mant << p.weight_exp) as f64 * 64.0 * lif.scale;
            assert!((got - w).abs() <= grain / 2.0 + 1e-18, "{got} vs {w}");
        }
        assert_eq!(m[1][0], 0);
        let largest = m.iter().flatten().map(|x| x.abs()).max().unwrap();
        assert!(
            largest > 127,
            "exponent not the smallest that fits: {largest}"
        );
        // Forcing weight W = 4 mV: the area of v it causes is the charge W dt.
        let cuba_m = spec.populations[2].kind.membrane().unwrap();
        let cuba = PopulationMap::new(cuba_m, Some(5e-3), dt);
        let p = &fixed.projections[1];
        let FixedWeights::Dense(_) = &p.weights else {
            let FixedWeights::Rule(_, mant) = &p.weights else {
                panic!()
            };
            let u = ((mant << p.weight_exp) << 6) as f64;
            let area = u / (cuba.u_loss() * cuba.v_loss()) * cuba.scale * dt;
            let want = 4e-3 * dt;
            // Rounding the mantissa: at most half a unit of it.
            let bound = want * (0.5 / mant.abs() as f64 + 1e-6);
            assert!((area - want).abs() <= bound, "{area} vs {want}");
            // syn_drive of 2 mV holds v 2 mV above v_reset.
            let FixedKind::Lif(c) = &fixed.populations[2].kind else {
                panic!()
            };
            let v_inf = (c.bias_mant[0] << c.bias_exp[0]) as f64 / cuba.v_loss() * cuba.scale;
            assert!((v_inf - 2e-3).abs() <= 2e-3 * 1e-3, "{v_inf}");
            return;
        };
        panic!("a constant weight stays a rule");
    }

    #[test]
    fn options_the_chip_cannot_express_are_refused_by_name() {
        use crate::model::validate::parse_model;
        use std::path::Path;
        for (params, wanted) in [
            (
                r#"reset = "subtract""#,
                r#"population `p`: reset = "subtract" cannot be quantized"#,
            ),
            (
                r#"leak = false"#,
                "population `p`: leak = false cannot be quantized",
            ),
            (
                r#"spiking = false"#,
                "population `p`: spiking = false cannot be quantized",
            ),
            (
                r#"v_th = ["10 mV", "12 mV"]"#,
                "population `p`: per-neuron v_th cannot be quantized",
            ),
        ] {
            let rest = if params.starts_with("leak") {
                ""
            } else {
                r#"v_rest = "0 mV", "#
            };
            let th = if params.starts_with("v_th") {
                ""
            } else {
                r#", v_th = "10 mV""#
            };
            let text = format!(
                "[simulation]\ndt = \"0.1 ms\"\nduration = \"1 ms\"\n\n[[population]]\nname = \"p\"\nsize = 2\nmodel = \"lif\"\nparams = {{ {rest}tau_m = \"10 ms\", v_reset = \"0 mV\"{th}, {params} }}\n"
            );
            let spec = parse_model(Path::new("m.toml"), &text).unwrap_or_else(|e| panic!("{e}"));
            let err = quantize(&spec).unwrap_err();
            assert!(
                err.starts_with(wanted) && err.contains("the float engines"),
                "{err}"
            );
        }
    }

    /// A dense matrix scales the projection's weight, as the engine draws
    /// it: `dense = [[1, 0.5]]` with `weight = "2 mV"` quantizes to the
    /// same integers as the list of 2 mV and 1 mV synapses.
    #[test]
    fn dense_entries_scale_the_projection_weight() {
        use crate::model::validate::parse_model;
        use std::path::Path;
        let model = |connect: &str, weight: &str| {
            format!(
                "[simulation]\ndt = \"0.1 ms\"\nduration = \"2 ms\"\n\n[[population]]\nname = \"in\"\n\
                 size = 2\nmodel = \"spike_source\"\nparams = {{ spikes = [[\"0.1 ms\"], [\"0.3 ms\"]] }}\n\n\
                 [[population]]\nname = \"out\"\nsize = 1\nmodel = \"lif\"\nparams = {{ tau_m = \"10 ms\", \
                 v_rest = \"0 mV\", v_th = \"10 mV\", v_reset = \"0 mV\" }}\ninit = {{ v = \"0 mV\" }}\n\n\
                 [[projection]]\nname = \"p\"\nfrom = \"in\"\nto = \"out\"\nconnect = {connect}\n{weight}"
            )
        };
        let dense = parse_model(
            Path::new("d.toml"),
            &model("{ dense = [[1, 0.5]] }", "weight = \"2 mV\""),
        )
        .unwrap();
        let mut listed = dense.clone();
        listed.projections[0].rule = ConnectRule::List(
            [(0, 2e-3), (1, 1e-3)]
                .iter()
                .map(|&(pre, w)| ListedSynapse {
                    pre,
                    post: 0,
                    weight: Some(w),
                    delay: None,
                })
                .collect(),
        );
        let (a, b) = (quantize(&dense).unwrap(), quantize(&listed).unwrap());
        let matrix = |t: &str| {
            t.lines()
                .skip_while(|l| !l.starts_with("connect = { dense"))
                .take(3)
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(matrix(&a.text).contains('['), "{}", a.text);
        assert_eq!(matrix(&a.text), matrix(&b.text));
    }
}
