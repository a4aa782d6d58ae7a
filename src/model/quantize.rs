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
//! What does not map is reported: refractory periods (the chip has none),
//! delays other than one step (the chip's pipeline is one step), and
//! voltages that leave the 24-bit range saturate.

use std::fmt::Write;

use super::spec::*;
use crate::neuron;

/// The largest threshold mantissa the chip declares.
pub const VTH: i64 = (1 << 17) - 1;

/// A fixed-point model file and what the mapping could not keep.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantized {
    pub text: String,
    pub notes: Vec<String>,
}

/// Integer parameters of one population.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationMap {
    pub du: i64,
    pub dv: i64,
    pub vth: i64,
    /// Volts per unit of `v`.
    pub scale: f64,
    pub v_reset: f64,
}

impl PopulationMap {
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

    pub fn voltage(&self, v: f64) -> i64 {
        ((v - self.v_reset) / self.scale).round() as i64
    }

    /// `(mantissa, exponent)` of a weight `w` (volts) whose current decays
    /// with `tau_s`, `None` for a delta synapse.
    pub fn weight(&self, w: f64, tau_s: Option<f64>, dt: f64) -> (i64, i64) {
        let u = match tau_s {
            Some(tau) => w * (tau / dt) * self.u_loss() * self.v_loss() / self.scale,
            None => w / self.scale,
        };
        split(u / 64.0, 255, 24)
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
        "# Fixed-point version of {} (spikesim quantize).\n# v is measured from v_reset in units of the population's scale; see the\n# README's \"Fixed-point mode\" for the mapping.\n\n[simulation]\narithmetic = \"fixed\"\nsteps = {}\ndt = \"{} ms\"\nseed = {}\nthreads = {}",
        spec.path.display(),
        sim.steps,
        sim.dt * 1e3,
        sim.seed,
        sim.threads
    );
    let mut maps = Vec::new();
    for p in &spec.populations {
        maps.push(population(&mut out, &mut notes, p, sim)?);
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

/// A float LIF or CuBa population as the chip's neuron: its section of the
/// fixed-point file, and its map with whether it has a synaptic current.
fn population(
    out: &mut String,
    notes: &mut Vec<String>,
    p: &PopulationSpec,
    sim: &SimulationSpec,
) -> Result<(PopulationMap, bool), String> {
    let Some(q) = p.kind.model().quantizable() else {
        return Err(format!(
            "population `{}` is a {}: only lif and cuba_lif populations can be quantized",
            p.name,
            p.kind.model_name()
        ));
    };
    let m = q.membrane;
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
    let (mant, exp): (Vec<i64>, Vec<i64>) = drive
        .iter()
        .map(|d| map.bias(m.v_rest - m.v_reset + d))
        .unzip();
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
    Ok((map, tau_syn.is_some()))
}

fn projection(
    out: &mut String,
    notes: &mut Vec<String>,
    spec: &ModelSpec,
    p: &ProjectionSpec,
    maps: &[(PopulationMap, bool)],
) -> Result<(), String> {
    let sim = &spec.simulation;
    let target = &spec.populations[p.to];
    let (map, _) = &maps[p.to];
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
        ConnectRule::List(_) | ConnectRule::Dense(_) => {
            return Err(format!(
                "projection `{}`: list and dense rules with float weights are not quantized; write the fixed-point dense matrix directly",
                p.name
            ));
        }
    };
    let (mant, exp) = map.weight(w, tau_s, sim.dt);
    let effective = (mant << exp) as f64 * 64.0;
    let wanted = match tau_s {
        Some(tau) => w * (tau / sim.dt) * map.u_loss() * map.v_loss() / map.scale,
        None => w / map.scale,
    };
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
}
