//! Current-based LIF: exponentially decaying excitatory and inhibitory
//! synaptic currents feed the membrane,
//! `tau_m dv/dt = (v_rest - v) + r_m (i_e + i_ext + i_syn_e + i_syn_i)`,
//! `tau_syn_e di_syn_e/dt = -i_syn_e` (likewise for `i_syn_i`).
//! Currents are carried internally as the voltages `r_m · i` (Brian2's CUBA
//! convention), so the model also works without a membrane resistance.
//!
//! Options besides the membrane's (`MembraneParams::read_options`):
//! per-neuron arrays of `tau_syn` (`tau_syn_e`, `tau_syn_i`);
//! `input = "forcing"`: a weight `W` arriving at grid point `k + 1` is a
//! constant forcing of level `W` over the step `(k dt, (k + 1) dt]`,
//! `tau_s di/dt = -i + W`, integrated exactly (NIR's `w_in S` held over a
//! step) instead of a jump of `i` at `k + 1`; `syn_drive` (volts): a
//! constant forcing of the excitatory current equation. Both are exact by
//! linearity: the free propagation of the step plus the forced response
//! `i += W (1 - e^{-dt/tau_s})`, `v += W d` with `d` the potential a unit
//! forcing from rest reaches after `dt` (`forced_response`). A population
//! with any option (`CubaParams::is_plain` false) has no closed form: the
//! event engine steps it on the `dt` grid, exactly as the clock engine;
//! `spikesim quantize` maps forcing inputs and `syn_drive` (see
//! `model::quantize`) and refuses the rest by name.

use rand_pcg::Pcg64;

use multiversion::multiversion;

mod event;

use super::membrane::{self, CHUNK, Membrane, MembraneState, synaptic_propagator};
use super::membrane::{MEMBRANE_OPTIONS, MEMBRANE_PARAMS, MembraneParams};
use super::model::{self, ModelParams, NeuronModel, Quantizable};
use super::per_neuron::{self, PerNeuron};
use super::{EventModel, Neuron, Variable};
use crate::engine::finite::{Watch, add_checked, any_bad_weight};
use crate::engine::persist::{Persist, Snapshot};
use crate::engine::rng;
use crate::model::ModelError;
use crate::model::spec::{Port, SimulationSpec, ValueSpec};
use crate::model::units::Dimension;
use crate::synapse::{Arrival, EventRing};
pub(crate) use event::ExactCells;

#[derive(Debug, Clone, PartialEq)]
/// The parameters of a current-based LIF population.
pub struct CubaParams {
    /// The LIF membrane.
    pub membrane: MembraneParams,
    /// Excitatory synaptic time constant, seconds.
    pub tau_syn_e: f64,
    /// Inhibitory synaptic time constant, seconds.
    pub tau_syn_i: f64,
    /// Initial synaptic currents as voltages (`r_m * i`).
    pub init_syn_e: ValueSpec,
    /// Initial inhibitory synaptic current, as a voltage (`r_m * i`).
    pub init_syn_i: ValueSpec,
    /// Per-neuron `(tau_syn_e, tau_syn_i)` when they differ between neurons
    /// (`tau_syn_e` and `tau_syn_i` then hold the means).
    pub syn_each: Option<Box<(PerNeuron, PerNeuron)>>,
    /// How inputs enter the current (a jump, or a forcing over a step).
    pub input: Input,
    /// Constant forcing of the excitatory current equation, volts.
    pub syn_drive: PerNeuron,
}

/// How a weight arriving at a current synapse acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The current jumps by the weight at the arrival.
    Jump,
    /// A constant forcing of the current equation over the step that ends
    /// at the arrival.
    Forcing,
}

impl CubaParams {
    /// Whether the model has only today's options (see
    /// `MembraneParams::is_plain`).
    pub fn is_plain(&self) -> bool {
        self.membrane.is_plain()
            && self.syn_each.is_none()
            && self.input == Input::Jump
            && self.syn_drive == PerNeuron::Same(0.0)
    }

    /// The options that make it not plain, as the model-file keys.
    pub fn options_used(&self) -> Vec<&'static str> {
        let mut used = self.membrane.options_used();
        if self.syn_each.is_some() {
            used.push("tau_syn");
        }
        if self.input != Input::Jump {
            used.push("input");
        }
        if self.syn_drive != PerNeuron::Same(0.0) {
            used.push("syn_drive");
        }
        used
    }
}

/// `model = "cuba_lif"`: the membrane's parameters and `tau_syn` (or
/// `tau_syn_e` and `tau_syn_i`); `init` may set `i_syn_e` and `i_syn_i`
/// (currents, or voltages `r_m · i`).
impl NeuronModel for CubaParams {
    fn example() -> (&'static str, &'static str) {
        (
            "tau_m = \"20 ms\", v_rest = \"-70 mV\", v_th = \"-50 mV\", tau_syn = \"5 ms\"",
            "",
        )
    }

    fn parse(r: &ModelParams) -> Result<Self, ModelError> {
        let (params, init) = (&r.params, &r.init);
        let mut allowed = MEMBRANE_PARAMS.to_vec();
        allowed.extend(["tau_syn", "tau_syn_e", "tau_syn_i"]);
        allowed.extend(MEMBRANE_OPTIONS);
        allowed.extend(["input", "syn_drive"]);
        params.allow(&allowed)?;
        init.allow(&["v", "i_syn_e", "i_syn_i"])?;
        let membrane = MembraneParams::read_options(r)?;
        let size = r.size as usize;
        let tau = |key: &str| {
            per_neuron::positive(params, key, Dimension::Time, size)?.ok_or_else(|| {
                let dim = Dimension::Time;
                params.error(
                    key,
                    format!("missing, expected {dim} such as {}", dim.example()),
                )
            })
        };
        let (tau_syn_e, tau_syn_i) = match params.get("tau_syn") {
            Some(_) => {
                if params.get("tau_syn_e").is_some() || params.get("tau_syn_i").is_some() {
                    return Err(params.error(
                        "tau_syn",
                        "give either `tau_syn` or `tau_syn_e` and `tau_syn_i`, not both",
                    ));
                }
                let t = tau("tau_syn")?;
                (t.clone(), t)
            }
            None => (tau("tau_syn_e")?, tau("tau_syn_i")?),
        };
        let input = match per_neuron::choice(params, "input", &["jump", "forcing"])? {
            "jump" => Input::Jump,
            _ => Input::Forcing,
        };
        let syn_drive = per_neuron::read(params, "syn_drive", Dimension::Voltage, size)?
            .unwrap_or(PerNeuron::Same(0.0));
        let n = Some(size);
        let varies = tau_syn_e.varies() || tau_syn_i.varies();
        Ok(CubaParams {
            init_syn_e: init.drive("i_syn_e", membrane.r_m, n)?,
            init_syn_i: init.drive("i_syn_i", membrane.r_m, n)?,
            membrane,
            tau_syn_e: tau_syn_e.mean(),
            tau_syn_i: tau_syn_i.mean(),
            syn_each: varies.then(|| Box::new((tau_syn_e, tau_syn_i))),
            input,
            syn_drive,
        })
    }

    fn recordable(&self) -> &'static [&'static str] {
        &["v", "i_syn_e", "i_syn_i"]
    }

    /// Current synapses by default; voltage jumps too.
    fn synapses(&self) -> model::Synapses {
        model::Synapses {
            default: "current",
            delta: true,
            current: true,
            conductance: false,
        }
    }

    fn build(
        &self,
        n: usize,
        sim: &SimulationSpec,
        _name: &str,
        init: &mut Pcg64,
    ) -> Box<dyn Neuron> {
        Box::new(CubaLif::new(self, n, sim.dt, init))
    }

    /// The membrane's 64 bytes and the two synaptic drives, rounded up;
    /// per-neuron constants (the membrane's, and the twelve of
    /// `EachCoefficients`) when it has them.
    fn state_bytes(&self) -> f64 {
        let general = self.membrane.each_bytes() > 0.0
            || self.syn_each.is_some()
            || self.syn_drive != PerNeuron::Same(0.0);
        96.0 + self.membrane.each_bytes() + if general { 96.0 } else { 0.0 }
    }

    fn membrane(&self) -> Option<&MembraneParams> {
        Some(&self.membrane)
    }

    fn membrane_mut(&mut self) -> Option<&mut MembraneParams> {
        Some(&mut self.membrane)
    }

    fn port_tau(&self, port: Port) -> Option<f64> {
        match port {
            Port::CurrentExc => Some(self.tau_syn_e),
            Port::CurrentInh => Some(self.tau_syn_i),
            Port::Voltage => Some(self.membrane.tau_m),
            _ => None,
        }
    }

    fn current_jump_tau(&self, port: Port) -> Option<f64> {
        // Forcing mode spreads a weight over the step it ends: not a jump.
        if self.input != Input::Jump {
            return None;
        }
        match port {
            Port::CurrentExc => Some(self.tau_syn_e),
            Port::CurrentInh => Some(self.tau_syn_i),
            _ => None,
        }
    }

    fn takes_sic(&self) -> bool {
        true
    }

    fn event_time_constants(&self) -> Vec<(&'static str, f64)> {
        if !self.is_plain() {
            return Vec::new();
        }
        vec![
            ("tau_m", self.membrane.tau_m),
            ("tau_syn_e", self.tau_syn_e),
            ("tau_syn_i", self.tau_syn_i),
        ]
    }

    fn exact_membrane(&self) -> Option<&MembraneParams> {
        self.is_plain().then_some(&self.membrane)
    }

    fn quantizable(&self) -> Option<Quantizable<'_>> {
        Some(Quantizable {
            membrane: &self.membrane,
            tau_syn: Some((self.tau_syn_e, self.tau_syn_i)),
            init_syn: Some((&self.init_syn_e, &self.init_syn_i)),
            forcing: self.input == Input::Forcing,
            syn_drive: (self.syn_drive != PerNeuron::Same(0.0)).then_some(&self.syn_drive),
            unmapped: if self.syn_each.is_some() {
                vec!["tau_syn"]
            } else {
                Vec::new()
            },
        })
    }
}

/// A population of current-based LIF neurons: exponential excitatory and inhibitory synaptic
/// currents onto a LIF membrane.
pub struct CubaLif {
    tau_syn_e: f64,
    tau_syn_i: f64,
    /// Whether the event engine may run it in closed form (`is_plain`).
    exact: bool,
    input: Input,
    membrane: Membrane,
    state: MembraneState,
    synapses: Synapses,
    coefficients: Coefficients,
    /// Per-neuron coefficients, when some constant differs between neurons,
    /// the membrane has no leak or a `syn_drive` forces the current.
    each: Option<EachCoefficients>,
    watch: Watch,
}

/// `Coefficients` per neuron, with the membrane's own step and the
/// constant forcing of the excitatory current.
#[derive(Clone)]
struct EachCoefficients {
    decay_m: Vec<f64>,
    gain: Vec<f64>,
    v_reset: Vec<f64>,
    decay_e: Vec<f64>,
    decay_i: Vec<f64>,
    to_v_e: Vec<f64>,
    to_v_i: Vec<f64>,
    force_e: Vec<f64>,
    force_i: Vec<f64>,
    forced_v_e: Vec<f64>,
    forced_v_i: Vec<f64>,
    syn_drive: Vec<f64>,
}

impl EachCoefficients {
    fn new(p: &CubaParams, m: &Membrane, dt: f64, n: usize) -> Self {
        let leak = p.membrane.leak;
        let tau_m = match &m.each {
            Some(e) => e.tau_m.clone(),
            None => vec![p.membrane.tau_m; n],
        };
        let (tau_e, tau_i) = match &p.syn_each {
            Some(t) => (t.0.values(n), t.1.values(n)),
            None => (vec![p.tau_syn_e; n], vec![p.tau_syn_i; n]),
        };
        let per = |f: &dyn Fn(f64, f64) -> f64, taus: &[f64]| -> Vec<f64> {
            tau_m.iter().zip(taus).map(|(&tm, &ts)| f(tm, ts)).collect()
        };
        Self {
            decay_m: tau_m
                .iter()
                .map(|&t| if leak { (-dt / t).exp() } else { 1.0 })
                .collect(),
            gain: tau_m.iter().map(|&t| dt / t).collect(),
            v_reset: (0..n).map(|i| m.reset_of(i)).collect(),
            decay_e: tau_e.iter().map(|&t| (-dt / t).exp()).collect(),
            decay_i: tau_i.iter().map(|&t| (-dt / t).exp()).collect(),
            to_v_e: per(&|tm, ts| to_v(dt, tm, ts, leak), &tau_e),
            to_v_i: per(&|tm, ts| to_v(dt, tm, ts, leak), &tau_i),
            force_e: tau_e.iter().map(|&t| -(-dt / t).exp_m1()).collect(),
            force_i: tau_i.iter().map(|&t| -(-dt / t).exp_m1()).collect(),
            forced_v_e: per(&|tm, ts| forced_response(dt, tm, ts, leak), &tau_e),
            forced_v_i: per(&|tm, ts| forced_response(dt, tm, ts, leak), &tau_i),
            syn_drive: p.syn_drive.values(n),
        }
    }

    fn part(&self, offset: usize, len: usize) -> Self {
        use super::part;
        let p = |v: &Vec<f64>| part(v, offset, len);
        Self {
            decay_m: p(&self.decay_m),
            gain: p(&self.gain),
            v_reset: p(&self.v_reset),
            decay_e: p(&self.decay_e),
            decay_i: p(&self.decay_i),
            to_v_e: p(&self.to_v_e),
            to_v_i: p(&self.to_v_i),
            force_e: p(&self.force_e),
            force_i: p(&self.force_i),
            forced_v_e: p(&self.forced_v_e),
            forced_v_i: p(&self.forced_v_i),
            syn_drive: p(&self.syn_drive),
        }
    }
}

/// Weight of a synaptic drive decaying with `tau_s` in the potential after
/// one step: `synaptic_propagator`, or without leak
/// `(tau_s / tau_m)(1 - e^{-dt/tau_s})`.
pub fn to_v(dt: f64, tau_m: f64, tau_s: f64, leak: bool) -> f64 {
    if leak {
        synaptic_propagator(dt, tau_m, tau_s)
    } else {
        -(tau_s / tau_m) * (-dt / tau_s).exp_m1()
    }
}

/// The potential after one step of a neuron at rest (`v = v_inf`, no
/// current) whose current equation `tau_s di/dt = -i + 1` is forced by a
/// unit level over the step: `i(t) = 1 - e^{-t/tau_s}` drives
/// `tau_m dv/dt = -v + i`, so `v(dt) = (1 - e^{-dt/tau_m}) - P` with `P`
/// the response to a unit current decaying from 1 (`synaptic_propagator`,
/// exact at `tau_s = tau_m` too); without leak `dt/tau_m - P`.
pub fn forced_response(dt: f64, tau_m: f64, tau_s: f64, leak: bool) -> f64 {
    let step = if leak {
        -(-dt / tau_m).exp_m1()
    } else {
        dt / tau_m
    };
    step - to_v(dt, tau_m, tau_s, leak)
}

/// Synaptic drives per neuron.
struct Synapses {
    exc: Vec<f64>,
    inh: Vec<f64>,
}

/// One step of the synaptic dynamics, precomputed.
#[derive(Clone)]
struct Coefficients {
    decay_e: f64,
    decay_i: f64,
    /// Contribution of each synaptic drive to `v` over one step.
    to_v_e: f64,
    to_v_i: f64,
    /// Forcing mode: what a weight of 1 adds to each drive and to `v`.
    force_e: f64,
    force_i: f64,
    forced_v_e: f64,
    forced_v_i: f64,
}

/// Propagate every neuron and its synaptic drives over one step; chunks
/// where some neuron is above threshold are flagged for `Membrane::fire`.
/// From a finite state this stays finite (see `MembraneState::pending_bad`):
/// the drives only decay here, and are checked where inputs add to them.
#[multiversion(targets("x86_64+avx2"))]
fn propagate(c: &Coefficients, m: &Membrane, s: &mut MembraneState, syn: &mut Synapses, k: u64) {
    let n = s.v.len();
    for (chunk, flag) in s.crossed.iter_mut().enumerate() {
        let range = chunk * CHUNK..((chunk + 1) * CHUNK).min(n);
        let len = range.len();
        let v = &mut s.v[range.clone()][..len];
        let v_inf = &s.v_inf[range.clone()][..len];
        let until = &s.refractory_until[range.clone()][..len];
        let ie = &mut syn.exc[range.clone()][..len];
        let ii = &mut syn.inh[range][..len];
        let mut crossed = false;
        for i in 0..len {
            let v_prop =
                v_inf[i] + (v[i] - v_inf[i]) * m.decay + c.to_v_e * ie[i] + c.to_v_i * ii[i];
            ie[i] *= c.decay_e;
            ii[i] *= c.decay_i;
            v[i] = m.clamp(k, until[i], v_prop);
            crossed |= v[i] > m.v_th;
        }
        *flag = crossed;
    }
}

/// `propagate` with per-neuron coefficients (see `EachCoefficients`): a
/// membrane without leak integrates its drive `v_inf`, and `syn_drive`
/// adds its forced response to `v` and the excitatory drive.
fn propagate_each(
    c: &EachCoefficients,
    m: &Membrane,
    s: &mut MembraneState,
    syn: &mut Synapses,
    k: u64,
) {
    let n = s.v.len();
    for (chunk, flag) in s.crossed.iter_mut().enumerate() {
        let range = chunk * CHUNK..((chunk + 1) * CHUNK).min(n);
        let mut crossed = false;
        for i in range {
            let free = if m.leak {
                s.v_inf[i] + (s.v[i] - s.v_inf[i]) * c.decay_m[i]
            } else {
                s.v[i] + s.v_inf[i] * c.gain[i]
            };
            let (ie, ii) = (syn.exc[i], syn.inh[i]);
            let forced = c.syn_drive[i];
            let v_prop = free + c.to_v_e[i] * ie + c.to_v_i[i] * ii + forced * c.forced_v_e[i];
            syn.exc[i] = ie * c.decay_e[i] + forced * c.force_e[i];
            syn.inh[i] = ii * c.decay_i[i];
            s.v[i] = if k < s.refractory_until[i] {
                c.v_reset[i]
            } else {
                v_prop
            };
            crossed |= s.v[i] > m.v_th;
        }
        *flag = crossed;
    }
}

/// Forcing-mode events: a weight `w` arriving at grid point `k + 1` forces
/// the drive over the step that ends there, adding `w force` to the drive
/// (refractory or not) and `w forced_v` to `v` (dropped while refractory,
/// as jumps are). Additions that would make a value non-finite are noted
/// and not made.
fn add_forcing(
    (drive, m, state): (&mut [f64], &Membrane, &mut MembraneState),
    events: &[Arrival],
    coefficient: impl Fn(usize) -> (f64, f64),
    (watch, variable, k): (&mut Watch, &'static str, u64),
) {
    let checked = watch.on && any_bad_weight(events);
    for e in events {
        let i = e.target as usize;
        let (force, forced_v) = coefficient(i);
        let w = e.weight as f64;
        if checked {
            add_checked(watch, &mut drive[i], w * force, (i, variable), k + 1);
        } else {
            drive[i] += w * force;
        }
        if k >= state.refractory_until[i] {
            if checked {
                add_checked(watch, &mut state.v[i], w * forced_v, (i, "v"), k + 1);
            } else {
                state.v[i] += w * forced_v;
            }
            state.crossed[i / CHUNK] |= state.v[i] > m.v_th;
        }
    }
}

/// Synaptic-current events: jumps of the drive, refractory or not; a jump
/// that would make the drive non-finite is noted and not made.
fn add_currents(
    drive: &mut [f64],
    events: &[Arrival],
    (watch, variable, k): (&mut Watch, &'static str, u64),
) {
    if !(watch.on && any_bad_weight(events)) {
        for e in events {
            drive[e.target as usize] += e.weight as f64;
        }
        return;
    }
    for e in events {
        let i = e.target as usize;
        add_checked(watch, &mut drive[i], e.weight as f64, (i, variable), k + 1);
    }
}

impl CubaLif {
    /// `n` neurons with parameters `p`, stepped every `dt` seconds, random initial values from
    /// `rng`.
    pub fn new(p: &CubaParams, n: usize, dt: f64, rng: &mut Pcg64) -> Self {
        let membrane = Membrane::new(&p.membrane, dt, n);
        let state = membrane.initial_state(&p.membrane, n, rng);
        let synapses = Synapses {
            exc: rng::draw(&p.init_syn_e, n, rng),
            inh: rng::draw(&p.init_syn_i, n, rng),
        };
        let (tau_m, leak) = (p.membrane.tau_m, p.membrane.leak);
        let coefficients = Coefficients {
            to_v_e: synaptic_propagator(dt, p.membrane.tau_m, p.tau_syn_e),
            to_v_i: synaptic_propagator(dt, p.membrane.tau_m, p.tau_syn_i),
            decay_e: (-dt / p.tau_syn_e).exp(),
            decay_i: (-dt / p.tau_syn_i).exp(),
            force_e: -(-dt / p.tau_syn_e).exp_m1(),
            force_i: -(-dt / p.tau_syn_i).exp_m1(),
            forced_v_e: forced_response(dt, tau_m, p.tau_syn_e, leak),
            forced_v_i: forced_response(dt, tau_m, p.tau_syn_i, leak),
        };
        let general =
            membrane.each.is_some() || p.syn_each.is_some() || p.syn_drive != PerNeuron::Same(0.0);
        let each = general.then(|| EachCoefficients::new(p, &membrane, dt, n));
        Self {
            tau_syn_e: p.tau_syn_e,
            tau_syn_i: p.tau_syn_i,
            exact: p.is_plain(),
            input: p.input,
            membrane,
            state,
            synapses,
            coefficients,
            each,
            watch: Watch::new(dt),
        }
    }
}

impl Neuron for CubaLif {
    fn size(&self) -> usize {
        self.state.v.len()
    }

    fn ports(&self) -> &'static [Port] {
        &[Port::Voltage, Port::CurrentExc, Port::CurrentInh, Port::Sic]
    }

    fn variables(&self) -> Vec<Variable> {
        let (unit, _) = self.membrane.current_unit();
        vec![
            Variable {
                name: "v",
                unit: "V",
            },
            Variable {
                name: "i_syn_e",
                unit,
            },
            Variable {
                name: "i_syn_i",
                unit,
            },
        ]
    }

    fn propagate(&mut self, k: u64) {
        let (c, m) = (&self.coefficients, &self.membrane);
        let (state, synapses) = (&mut self.state, &mut self.synapses);
        let each = self.each.as_ref();
        if !state.pending_bad.is_empty() {
            let synaptic = |i: usize| match each {
                None => c.to_v_e * synapses.exc[i] + c.to_v_i * synapses.inh[i],
                Some(e) => {
                    e.to_v_e[i] * synapses.exc[i]
                        + e.to_v_i[i] * synapses.inh[i]
                        + e.syn_drive[i] * e.forced_v_e[i]
                }
            };
            membrane::note_pending(m, state, (k, &mut self.watch), synaptic);
        }
        match each {
            None => propagate(c, m, state, synapses, k),
            Some(e) => propagate_each(e, m, state, synapses, k),
        }
    }

    fn settle(&mut self, k: u64, inputs: &[EventRing], spikes: &mut Vec<u32>) {
        let [jumps, exc, inh, sic] = inputs else {
            unreachable!("the engine passes one ring per port");
        };
        self.membrane
            .apply_sic(sic.slot(k + 1), &mut self.state, &self.watch);
        let watch = &mut self.watch;
        if self.input == Input::Forcing {
            let (c, each) = (&self.coefficients, self.each.as_ref());
            let m = &self.membrane;
            let state = &mut self.state;
            add_forcing(
                (&mut self.synapses.exc, m, state),
                exc.slot(k + 1),
                |i| {
                    each.map_or((c.force_e, c.forced_v_e), |e| {
                        (e.force_e[i], e.forced_v_e[i])
                    })
                },
                (watch, "i_syn_e", k),
            );
            add_forcing(
                (&mut self.synapses.inh, m, state),
                inh.slot(k + 1),
                |i| {
                    each.map_or((c.force_i, c.forced_v_i), |e| {
                        (e.force_i[i], e.forced_v_i[i])
                    })
                },
                (watch, "i_syn_i", k),
            );
        } else {
            add_currents(
                &mut self.synapses.exc,
                exc.slot(k + 1),
                (watch, "i_syn_e", k),
            );
            add_currents(
                &mut self.synapses.inh,
                inh.slot(k + 1),
                (watch, "i_syn_i", k),
            );
        }
        self.membrane
            .apply_jumps(k, jumps.slot(k + 1), &mut self.state, watch);
        self.membrane.fire(k, &mut self.state, spikes);
    }

    fn set_external_drive(&mut self, drive: &[f64]) {
        self.membrane
            .set_external(&mut self.state, drive, &self.watch);
    }

    fn sample(&self, variable: &str, neurons: &[u32], out: &mut Vec<f64>) {
        let (_, to_current) = self.membrane.current_unit();
        let (source, scale) = match variable {
            "i_syn_e" => (&self.synapses.exc, to_current),
            "i_syn_i" => (&self.synapses.inh, to_current),
            _ => (&self.state.v, 1.0),
        };
        out.extend(neurons.iter().map(|&i| source[i as usize] * scale));
    }

    fn split(&self, offset: usize, len: usize) -> Box<dyn Neuron> {
        Box::new(Self {
            tau_syn_e: self.tau_syn_e,
            tau_syn_i: self.tau_syn_i,
            exact: self.exact,
            input: self.input,
            each: self.each.as_ref().map(|e| e.part(offset, len)),
            membrane: self.membrane.part(offset, len),
            state: self.state.part(offset, len),
            synapses: Synapses {
                exc: super::part(&self.synapses.exc, offset, len),
                inh: super::part(&self.synapses.inh, offset, len),
            },
            coefficients: self.coefficients.clone(),
            watch: self.watch.part(),
        })
    }

    fn threshold(&self) -> Option<f64> {
        self.membrane.threshold()
    }

    fn event_model(&self) -> Option<Box<dyn EventModel>> {
        if !self.exact {
            return None;
        }
        let synapses = (
            [self.tau_syn_e, self.tau_syn_i],
            [&self.synapses.exc[..], &self.synapses.inh[..]],
        );
        Some(Box::new(ExactCells::new(
            &self.membrane,
            &self.state,
            Some(synapses),
        )))
    }

    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("cuba_lif");
        self.state.persist(s);
        s.slice(&mut self.synapses.exc);
        s.slice(&mut self.synapses.inh);
    }

    fn finite_watch(&mut self) -> Option<&mut Watch> {
        Some(&mut self.watch)
    }
}
