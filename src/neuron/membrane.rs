//! The leaky membrane shared by the LIF models: exact propagators, the
//! refractory clamp, threshold and reset.

use multiversion::multiversion;
use rand_pcg::Pcg64;

use crate::engine::finite::{Watch, add_checked, any_bad_weight};
use crate::engine::persist::{Persist, Snapshot};
use crate::engine::rng;
use crate::model::ModelError;
use crate::model::spec::ValueSpec;
use crate::model::units::Dimension;
use crate::model::validate::ModelParams;
use crate::synapse::Arrival;

use super::per_neuron::{self, PerNeuron};

/// Membrane parameters shared by the LIF models, in SI.
///
/// With per-neuron arrays (`each`), the scalars `tau_m`, `v_rest`,
/// `v_reset` and `v_th` hold the population's mean (what the memory
/// estimate and `[scale]` read); the models read `each`.
#[derive(Debug, Clone, PartialEq)]
pub struct MembraneParams {
    /// Membrane time constant, seconds.
    pub tau_m: f64,
    /// Resting potential, volts.
    pub v_rest: f64,
    /// Reset potential, volts.
    pub v_reset: f64,
    /// Infinite for a population that never fires (`spiking = false`).
    pub v_th: f64,
    /// Refractory period, seconds.
    pub t_ref: f64,
    /// Membrane resistance; `None` when every drive is given as a voltage.
    pub r_m: Option<f64>,
    /// Initial membrane potential, volts.
    pub init_v: ValueSpec,
    /// Constant bias drive as the voltage it adds to the resting potential (`r_m * i_e`).
    pub init_drive: ValueSpec,
    /// Per-neuron values, when at least one of them differs between neurons.
    pub each: Option<Box<MembraneArrays>>,
    /// What a spike does to the potential.
    pub reset: Reset,
    /// Whether the population fires at all (`spiking`).
    pub spiking: bool,
    /// `false`: `tau_m dv/dt = drive + inputs` (no `v_rest - v` term).
    pub leak: bool,
}

/// The membrane parameters that may differ between neurons.
#[derive(Debug, Clone, PartialEq)]
pub struct MembraneArrays {
    /// Membrane time constant per neuron, seconds.
    pub tau_m: PerNeuron,
    /// Resting potential per neuron, volts.
    pub v_rest: PerNeuron,
    /// Reset potential per neuron, volts.
    pub v_reset: PerNeuron,
    /// Threshold per neuron, volts.
    pub v_th: PerNeuron,
}

/// What a spike does to the potential (in the step it is emitted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reset {
    /// `v <- v_reset`.
    Value,
    /// `v <- v - (v_th - v_reset)`.
    Subtract,
}

/// The membrane's keys in `params`.
pub const MEMBRANE_PARAMS: [&str; 7] =
    ["tau_m", "v_rest", "v_reset", "v_th", "t_ref", "r_m", "i_e"];

/// The keys `lif` and `cuba_lif` take besides the membrane's.
pub const MEMBRANE_OPTIONS: [&str; 4] = ["reset", "spiking", "leak", "drive"];

/// How many times the reset-to-threshold gap a membrane potential may
/// reach in magnitude (see `read`).
const RESOLVED_SPAN: f64 = 1e9;

impl MembraneParams {
    /// `tau_m`, `v_rest`, `v_th` (required), `v_reset` (`v_rest`), `t_ref`
    /// (0), `r_m`, `i_e` (needs `r_m`); `init.v` (`v_rest`). One value per
    /// population each: the models that share the membrane but not its
    /// options (AM-SU, escape noise) read it so.
    pub fn read(r: &ModelParams) -> Result<MembraneParams, ModelError> {
        Self::read_with(r, false)
    }

    /// As `read`, with the options of `lif` and `cuba_lif`
    /// ([`MEMBRANE_OPTIONS`]): per-neuron arrays of `tau_m`, `v_rest`,
    /// `v_reset`, `v_th`; `reset`; `spiking = false` (`v_th` optional);
    /// `leak = false` (`v_rest` refused, `v_reset` and `init.v` default to
    /// 0); `drive` (volts, instead of `i_e`).
    pub fn read_options(r: &ModelParams) -> Result<MembraneParams, ModelError> {
        Self::read_with(r, true)
    }

    fn read_with(r: &ModelParams, options: bool) -> Result<MembraneParams, ModelError> {
        let (params, init) = (&r.params, &r.init);
        let size = r.size as usize;
        let n = Some(size);
        let (reset, spiking, leak) = if options {
            let reset = match per_neuron::choice(params, "reset", &["value", "subtract"])? {
                "value" => Reset::Value,
                _ => Reset::Subtract,
            };
            let spiking = per_neuron::flag(params, "spiking", true)?;
            let leak = per_neuron::flag(params, "leak", true)?;
            (reset, spiking, leak)
        } else {
            (Reset::Value, true, true)
        };
        let each =
            |key: &str, dim: Dimension, positive: bool| -> Result<Option<PerNeuron>, ModelError> {
                match (options, positive) {
                    (true, true) => per_neuron::positive(params, key, dim, size),
                    (true, false) => per_neuron::read(params, key, dim, size),
                    (false, true) => params
                        .get(key)
                        .map(|_| params.positive(key, dim))
                        .transpose()
                        .map(|v| v.map(PerNeuron::Same)),
                    (false, false) => params
                        .get(key)
                        .map(|_| params.scalar(key, dim))
                        .transpose()
                        .map(|v| v.map(PerNeuron::Same)),
                }
            };
        let required = |value: Option<PerNeuron>, key: &str, dim: Dimension| {
            value.ok_or_else(|| {
                params.error(
                    key,
                    format!("missing, expected {dim} such as {}", dim.example()),
                )
            })
        };
        let tau_m = required(
            each("tau_m", Dimension::Time, true)?,
            "tau_m",
            Dimension::Time,
        )?;
        let v_rest = if leak {
            required(
                each("v_rest", Dimension::Voltage, false)?,
                "v_rest",
                Dimension::Voltage,
            )?
        } else {
            if params.get("v_rest").is_some() {
                return Err(params.error(
                    "v_rest",
                    "a membrane without leak (leak = false) has no resting potential; give v_reset \
                     and init.v instead",
                ));
            }
            PerNeuron::Same(0.0)
        };
        let v_reset = each("v_reset", Dimension::Voltage, false)?.unwrap_or_else(|| v_rest.clone());
        let v_th = match (spiking, each("v_th", Dimension::Voltage, false)?) {
            (false, _) => PerNeuron::Same(f64::INFINITY),
            (true, v) => required(v, "v_th", Dimension::Voltage)?,
        };
        let t_ref = params.scalar_or("t_ref", Dimension::Time, 0.0)?;
        if t_ref < 0.0 {
            return Err(params.error("t_ref", "must not be negative"));
        }
        let located = |i: usize, arrays: bool| {
            if arrays {
                format!("neuron {i}: ")
            } else {
                String::new()
            }
        };
        if spiking {
            let arrays = v_reset.varies() || v_th.varies();
            if let Some((i, _)) = v_reset.first_bad(size, |i, r| {
                // Refused when `v_reset >= v_th`, as always (NaN cannot reach here).
                !matches!(
                    r.partial_cmp(&v_th.at(i)),
                    Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
                )
            }) {
                return Err(params.error(
                    "v_reset",
                    format!(
                        "{}must lie below v_th, or the neuron would fire again at once",
                        located(i, arrays)
                    ),
                ));
            }
            // The potentials are computed in double precision as offsets from
            // `v_rest`: once the largest of them is 1e9 times the reset-to-
            // threshold gap, rounding alone moves the membrane across threshold
            // (the fuzzer's v_rest of -9.2e15 V fired endlessly at one instant).
            let arrays = arrays || v_rest.varies();
            for i in 0..if arrays { size } else { 1 } {
                let gap = v_th.at(i) - v_reset.at(i);
                for (key, v) in [
                    ("v_rest", v_rest.at(i)),
                    ("v_reset", v_reset.at(i)),
                    ("v_th", v_th.at(i)),
                ] {
                    if v.abs() > RESOLVED_SPAN * gap {
                        return Err(params.error(
                            key,
                            format!(
                                "{}{v:e} V is more than {RESOLVED_SPAN:e} times the gap between v_reset and \
                                 v_th ({gap:e} V): double precision cannot resolve the threshold there",
                                located(i, arrays)
                            ),
                        ));
                    }
                }
            }
        }
        let r_m = match params.get("r_m") {
            Some(_) => Some(params.positive("r_m", Dimension::Resistance)?),
            None => None,
        };
        let drive = if options {
            params.value("drive", &[Dimension::Voltage], n)?
        } else {
            None
        };
        let init_drive = match (params.value("i_e", &[Dimension::Current], n)?, drive) {
            (Some(_), Some(_)) => {
                return Err(params.error(
                    "drive",
                    "give either `i_e` or `drive` (its voltage r_m i_e), not both",
                ));
            }
            (None, Some((spec, _))) => params.drive_in_range("drive", spec)?,
            (None, None) => ValueSpec::Constant(0.0),
            (Some((spec, _)), None) => {
                let r = r_m.ok_or_else(|| {
                    params.error("i_e", "a current needs the membrane resistance `r_m`")
                })?;
                params.drive_in_range("i_e", spec.scaled(r))?
            }
        };
        let init_v = match init.value("v", &[Dimension::Voltage], n)? {
            None if leak => v_rest.spec(),
            None => v_reset.spec(),
            Some((spec, _)) => spec,
        };
        let arrays = [&tau_m, &v_rest, &v_reset, &v_th]
            .iter()
            .any(|p| p.varies());
        Ok(MembraneParams {
            tau_m: tau_m.mean(),
            v_rest: v_rest.mean(),
            v_reset: v_reset.mean(),
            v_th: v_th.mean(),
            t_ref,
            r_m,
            init_v,
            init_drive,
            each: arrays.then(|| {
                Box::new(MembraneArrays {
                    tau_m,
                    v_rest,
                    v_reset,
                    v_th,
                })
            }),
            reset,
            spiking,
            leak,
        })
    }

    /// Bytes per neuron of the per-neuron constants a built membrane keeps
    /// (`EachNeuron`), 0 when it runs the scalar loops.
    pub fn each_bytes(&self) -> f64 {
        if self.each.is_some() || !self.leak {
            48.0
        } else {
            0.0
        }
    }

    /// Whether the membrane has only today's options (one value per
    /// population, reset to a value, spiking, leaky): the closed forms of
    /// the event engine and the fixed-point mapping hold for it.
    pub fn is_plain(&self) -> bool {
        self.each.is_none() && self.reset == Reset::Value && self.spiking && self.leak
    }

    /// The options that make it not plain, as the model-file keys.
    pub fn options_used(&self) -> Vec<&'static str> {
        let mut used = Vec::new();
        if let Some(e) = &self.each {
            for (key, p) in [
                ("tau_m", &e.tau_m),
                ("v_rest", &e.v_rest),
                ("v_reset", &e.v_reset),
                ("v_th", &e.v_th),
            ] {
                if p.varies() {
                    used.push(key);
                }
            }
        }
        if self.reset != Reset::Value {
            used.push("reset");
        }
        if !self.spiking {
            used.push("spiking");
        }
        if !self.leak {
            used.push("leak");
        }
        used
    }
}

/// Per-population constants of the membrane, precomputed for one `dt`.
#[derive(Debug, Clone)]
pub struct Membrane {
    /// Resting potential, volts.
    pub v_rest: f64,
    /// Reset potential, volts.
    pub v_reset: f64,
    /// The threshold; with per-neuron thresholds the lowest (a chunk with a
    /// potential above it is scanned against each neuron's own), infinite
    /// for a population that never fires.
    pub v_th: f64,
    /// Membrane resistance, ohms; `None` when every drive is a voltage.
    pub r_m: Option<f64>,
    /// `exp(-dt / tau_m)`.
    pub decay: f64,
    /// Membrane time constant, seconds.
    pub tau_m: f64,
    /// Refractory period in whole steps (the clock engine's).
    pub refractory_steps: u32,
    /// Refractory period in seconds (the event engine does not round it).
    pub t_ref: f64,
    /// What a spike does to the potential.
    pub reset: Reset,
    /// Whether the membrane leaks towards `v_rest` (`leak`).
    pub leak: bool,
    /// Per-neuron constants, when some differ between neurons or the
    /// membrane has no leak; `None` runs the scalar loops.
    pub each: Option<EachNeuron>,
}

/// Per-neuron constants of a membrane, for a slice of its population.
#[derive(Debug, Clone)]
pub struct EachNeuron {
    /// Membrane time constant per neuron, seconds.
    pub tau_m: Vec<f64>,
    /// Resting potential per neuron, volts.
    pub v_rest: Vec<f64>,
    /// Reset potential per neuron, volts.
    pub v_reset: Vec<f64>,
    /// Threshold per neuron, volts.
    pub v_th: Vec<f64>,
    /// `exp(-dt / tau_m)`, 1 without leak.
    pub decay: Vec<f64>,
    /// `dt / tau_m`: what a drive of 1 V adds to `v` over a step without leak.
    pub gain: Vec<f64>,
}

impl EachNeuron {
    /// The values of neurons `offset..offset + len`.
    pub fn part(&self, offset: usize, len: usize) -> Self {
        use super::part;
        Self {
            tau_m: part(&self.tau_m, offset, len),
            v_rest: part(&self.v_rest, offset, len),
            v_reset: part(&self.v_reset, offset, len),
            v_th: part(&self.v_th, offset, len),
            decay: part(&self.decay, offset, len),
            gain: part(&self.gain, offset, len),
        }
    }
}

/// Per-neuron membrane state.
#[derive(Debug, Clone)]
pub struct MembraneState {
    /// Membrane potential per neuron, volts.
    pub v: Vec<f64>,
    /// `v` is held at `v_reset` during the steps `k → k + 1` with `k < refractory_until`.
    pub refractory_until: Vec<u64>,
    /// Bias drive `r_m * i_e` (per neuron) and external drive from stimuli.
    pub bias: Vec<f64>,
    /// External drive from current stimuli, as a voltage (`r_m * i`), per neuron.
    pub external: Vec<f64>,
    /// Steady state without synaptic input: `v_rest + bias + external`.
    pub v_inf: Vec<f64>,
    /// Slow inward current from astrocytes (a drive, `r_m · i`), and the
    /// neurons where it is not zero.
    pub sic: Vec<f64>,
    /// The neurons whose slow inward current is not zero.
    pub sic_active: Vec<u32>,
    /// Per chunk of `CHUNK` neurons: may hold a threshold crossing this step.
    pub crossed: Vec<bool>,
    /// Neurons whose drives would have made `v_inf` non-finite, with that
    /// value, when the finite check is on: `v_inf` kept its finite value
    /// and the step that would make `v` non-finite notes it
    /// (`note_pending`). Everything else entering the membrane is checked
    /// where it enters (`apply_jumps`, the CuBa drives), and validation
    /// bounds the parameters (1e100 in SI units) and weights (single
    /// precision): a potential that grew by the largest weight at every
    /// synapse and step of the longest run stays below 1e70, so the
    /// propagation of a finite state cannot overflow.
    pub pending_bad: Vec<(u32, f64)>,
}

impl MembraneState {
    /// The state of neurons `offset..offset + len`.
    pub fn part(&self, offset: usize, len: usize) -> Self {
        use super::part;
        Self {
            v: part(&self.v, offset, len),
            refractory_until: part(&self.refractory_until, offset, len),
            bias: part(&self.bias, offset, len),
            external: part(&self.external, offset, len),
            v_inf: part(&self.v_inf, offset, len),
            sic: part(&self.sic, offset, len),
            sic_active: (0..len as u32)
                .filter(|&i| self.sic[offset + i as usize] != 0.0)
                .collect(),
            crossed: vec![false; len.div_ceil(CHUNK)],
            pending_bad: self
                .pending_bad
                .iter()
                .filter(|(i, _)| (offset..offset + len).contains(&(*i as usize)))
                .map(|&(i, v)| (i - offset as u32, v))
                .collect(),
        }
    }
}

/// Neurons are advanced in chunks: the arithmetic over a chunk is branch-free
/// and vectorises, and the rare chunk with a threshold crossing is then
/// scanned for its spikes.
pub const CHUNK: usize = 64;

impl Membrane {
    /// The constants of a population of `n` neurons.
    pub fn new(p: &MembraneParams, dt: f64, n: usize) -> Self {
        let each = (p.each.is_some() || !p.leak).then(|| {
            let arrays = p.each.as_deref();
            let values = |f: fn(&MembraneArrays) -> &PerNeuron, scalar: f64| match arrays {
                Some(a) => f(a).values(n),
                None => vec![scalar; n],
            };
            let tau_m = values(|a| &a.tau_m, p.tau_m);
            EachNeuron {
                v_rest: values(|a| &a.v_rest, p.v_rest),
                v_reset: values(|a| &a.v_reset, p.v_reset),
                v_th: values(|a| &a.v_th, p.v_th),
                decay: tau_m
                    .iter()
                    .map(|&t| if p.leak { (-dt / t).exp() } else { 1.0 })
                    .collect(),
                gain: tau_m.iter().map(|&t| dt / t).collect(),
                tau_m,
            }
        });
        Self {
            v_rest: p.v_rest,
            v_reset: p.v_reset,
            v_th: each.as_ref().map_or(p.v_th, |e| {
                e.v_th.iter().copied().fold(f64::INFINITY, f64::min)
            }),
            r_m: p.r_m,
            decay: (-dt / p.tau_m).exp(),
            tau_m: p.tau_m,
            refractory_steps: (p.t_ref / dt).round() as u32,
            t_ref: p.t_ref,
            reset: p.reset,
            leak: p.leak,
            each,
        }
    }

    /// The constants of the neurons `offset..offset + len`.
    pub fn part(&self, offset: usize, len: usize) -> Self {
        let mut m = self.clone();
        m.each = self.each.as_ref().map(|e| e.part(offset, len));
        m
    }

    /// The resting potential of neuron `i` (0 without leak: `v_inf` is
    /// then the drive).
    #[inline(always)]
    fn rest(&self, i: usize) -> f64 {
        match &self.each {
            None => self.v_rest,
            Some(e) => e.v_rest[i],
        }
    }

    /// The initial state of `n` neurons with parameters `p`, drawing random initial values from
    /// `rng`.
    pub fn initial_state(&self, p: &MembraneParams, n: usize, rng: &mut Pcg64) -> MembraneState {
        let v = rng::draw(&p.init_v, n, rng);
        let bias = rng::draw(&p.init_drive, n, rng);
        let external = vec![0.0; n];
        let v_inf = bias
            .iter()
            .enumerate()
            .map(|(i, b)| self.rest(i) + b)
            .collect();
        MembraneState {
            v,
            refractory_until: vec![0; n],
            bias,
            external,
            v_inf,
            sic: vec![0.0; n],
            sic_active: Vec::new(),
            crossed: vec![false; n.div_ceil(CHUNK)],
            pending_bad: Vec::new(),
        }
    }

    /// Convert an internal drive (volts) to the recorded current (amperes),
    /// or keep volts when the model has no membrane resistance.
    pub fn current_unit(&self) -> (&'static str, f64) {
        match self.r_m {
            Some(r) => ("A", 1.0 / r),
            None => ("V", 1.0),
        }
    }

    /// The potential after step `k → k + 1` of a neuron whose propagated
    /// potential is `v_prop`: held at `v_reset` while refractory.
    #[inline(always)]
    pub fn clamp(&self, k: u64, refractory_until: u64, v_prop: f64) -> f64 {
        if k < refractory_until {
            self.v_reset
        } else {
            v_prop
        }
    }

    /// Delta-synapse events of grid point `k + 1`: jumps of `v`, dropped
    /// while refractory (as in NEST). A jump that would make `v` non-finite
    /// is noted and not made (only slots with a non-finite weight are
    /// checked event by event).
    pub fn apply_jumps(
        &self,
        k: u64,
        events: &[Arrival],
        state: &mut MembraneState,
        watch: &mut Watch,
    ) {
        let checked = watch.on && any_bad_weight(events);
        for e in events {
            let i = e.target as usize;
            if k >= state.refractory_until[i] {
                if checked {
                    add_checked(watch, &mut state.v[i], e.weight as f64, (i, "v"), k + 1);
                } else {
                    state.v[i] += e.weight as f64;
                }
                state.crossed[i / CHUNK] |= state.v[i] > self.v_th;
            }
        }
    }

    /// Threshold and reset after step `k → k + 1`, in the chunks that may
    /// hold a crossing; spikes come out in increasing neuron order.
    pub fn fire(&self, k: u64, state: &mut MembraneState, spikes: &mut Vec<u32>) {
        if let Some(e) = &self.each {
            return self.fire_each(e, k, state, spikes);
        }
        let n = state.v.len();
        for chunk in 0..state.crossed.len() {
            if !std::mem::take(&mut state.crossed[chunk]) {
                continue;
            }
            for i in chunk * CHUNK..((chunk + 1) * CHUNK).min(n) {
                if state.v[i] > self.v_th {
                    spikes.push(i as u32);
                    state.v[i] = match self.reset {
                        Reset::Value => self.v_reset,
                        Reset::Subtract => state.v[i] - (self.v_th - self.v_reset),
                    };
                    state.refractory_until[i] = k + 1 + self.refractory_steps as u64;
                }
            }
        }
    }

    /// `fire` with each neuron's own threshold and reset.
    fn fire_each(&self, e: &EachNeuron, k: u64, state: &mut MembraneState, spikes: &mut Vec<u32>) {
        let n = state.v.len();
        for chunk in 0..state.crossed.len() {
            if !std::mem::take(&mut state.crossed[chunk]) {
                continue;
            }
            for i in chunk * CHUNK..((chunk + 1) * CHUNK).min(n) {
                if state.v[i] > e.v_th[i] {
                    spikes.push(i as u32);
                    state.v[i] = match self.reset {
                        Reset::Value => e.v_reset[i],
                        Reset::Subtract => state.v[i] - (e.v_th[i] - e.v_reset[i]),
                    };
                    state.refractory_until[i] = k + 1 + self.refractory_steps as u64;
                }
            }
        }
    }

    /// The threshold for plots: `None` when it differs between neurons or
    /// the population never fires.
    pub fn threshold(&self) -> Option<f64> {
        let uniform = self
            .each
            .as_ref()
            .is_none_or(|e| e.v_th.iter().all(|&t| t == self.v_th));
        (uniform && self.v_th.is_finite()).then_some(self.v_th)
    }

    /// The potential of neuron `i` held while refractory.
    #[inline(always)]
    pub fn reset_of(&self, i: usize) -> f64 {
        match &self.each {
            None => self.v_reset,
            Some(e) => e.v_reset[i],
        }
    }

    /// The free evolution of neuron `i` over one step from `v` towards
    /// `v_inf` (the drive, without leak). Outside the hot loops.
    pub fn free(&self, i: usize, v: f64, v_inf: f64) -> f64 {
        match &self.each {
            None => v_inf + (v - v_inf) * self.decay,
            Some(e) if self.leak => v_inf + (v - v_inf) * e.decay[i],
            Some(e) => v + v_inf * e.gain[i],
        }
    }

    /// Sets the external drive (volts, `r_m * i`, one per neuron) from the stimuli; `watch`
    /// notes a non-finite one.
    pub fn set_external(&self, state: &mut MembraneState, drive: &[f64], watch: &Watch) {
        debug_assert_eq!(drive.len(), state.v.len());
        state.external.copy_from_slice(drive);
        for i in 0..state.v.len() {
            self.update_v_inf(state, i, watch.on);
        }
    }

    /// `v_inf` of neuron `i` from its drives; a non-finite one is kept
    /// pending (see `MembraneState::pending_bad`) when `checked`.
    #[inline(always)]
    fn update_v_inf(&self, state: &mut MembraneState, i: usize, checked: bool) {
        let v_inf = self.rest(i) + state.bias[i] + state.external[i] + state.sic[i];
        if !checked || v_inf.is_finite() {
            state.v_inf[i] = v_inf;
            if checked && !state.pending_bad.is_empty() {
                state.pending_bad.retain(|&(j, _)| j as usize != i);
            }
        } else {
            state.pending_bad.retain(|&(j, _)| j as usize != i);
            state.pending_bad.push((i as u32, v_inf));
        }
    }

    /// The slow inward currents that arrive at grid point `k + 1` replace
    /// the previous ones: astrocytes send theirs every step while it flows.
    pub fn apply_sic(&self, events: &[Arrival], state: &mut MembraneState, watch: &Watch) {
        if events.is_empty() && state.sic_active.is_empty() {
            return;
        }
        let previous = std::mem::take(&mut state.sic_active);
        for &i in &previous {
            state.sic[i as usize] = 0.0;
        }
        for e in events {
            let i = e.target as usize;
            if state.sic[i] == 0.0 {
                state.sic_active.push(e.target);
            }
            state.sic[i] += e.weight as f64;
        }
        for k in 0..previous.len() + state.sic_active.len() {
            let i = match previous.get(k) {
                Some(&i) => i,
                None => state.sic_active[k - previous.len()],
            };
            self.update_v_inf(state, i as usize, watch.on);
        }
    }
}

/// The free evolution of a LIF membrane over step `k → k + 1` (the LIF,
/// AM-SU and escape-noise models): `v = v_inf + (v - v_inf) e^{-dt/tau_m}`.
/// From finite numbers this stays finite (see `MembraneState::pending_bad`),
/// so the loop has no check; drives that would make it non-finite were
/// kept out of `v_inf` and are noted here when they would act.
pub fn propagate(m: &Membrane, s: &mut MembraneState, k: u64, watch: &mut Watch) {
    if !s.pending_bad.is_empty() {
        note_pending(m, s, (k, watch), |_| 0.0);
    }
    match &m.each {
        None => propagate_lif(m, s, k),
        Some(e) => propagate_each(m, e, s, k),
    }
}

/// `propagate_lif` with per-neuron constants: the leaky membrane relaxes
/// towards `v_inf` at its own rate, a membrane without leak integrates its
/// drive (`v_inf`) at `dt / tau_m` per volt.
fn propagate_each(m: &Membrane, e: &EachNeuron, s: &mut MembraneState, k: u64) {
    let n = s.v.len();
    for (chunk, flag) in s.crossed.iter_mut().enumerate() {
        let range = chunk * CHUNK..((chunk + 1) * CHUNK).min(n);
        let mut crossed = false;
        for i in range {
            let v_prop = if m.leak {
                s.v_inf[i] + (s.v[i] - s.v_inf[i]) * e.decay[i]
            } else {
                s.v[i] + s.v_inf[i] * e.gain[i]
            };
            s.v[i] = if k < s.refractory_until[i] {
                e.v_reset[i]
            } else {
                v_prop
            };
            crossed |= s.v[i] > m.v_th;
        }
        *flag = crossed;
    }
}

/// Propagate every neuron of a LIF membrane over one step; chunks where
/// some neuron is above threshold are flagged for `Membrane::fire`.
#[multiversion(targets("x86_64+avx2"))]
fn propagate_lif(m: &Membrane, s: &mut MembraneState, k: u64) {
    let n = s.v.len();
    for (chunk, flag) in s.crossed.iter_mut().enumerate() {
        let range = chunk * CHUNK..((chunk + 1) * CHUNK).min(n);
        let len = range.len();
        let v = &mut s.v[range.clone()][..len];
        let v_inf = &s.v_inf[range.clone()][..len];
        let until = &s.refractory_until[range][..len];
        let mut crossed = false;
        for i in 0..len {
            let v_prop = v_inf[i] + (v[i] - v_inf[i]) * m.decay;
            v[i] = m.clamp(k, until[i], v_prop);
            crossed |= v[i] > m.v_th;
        }
        *flag = crossed;
    }
}

/// Before step `k → k + 1`: the neurons with a pending non-finite `v_inf`
/// that are not refractory would get a non-finite `v` in this step (plus
/// `synaptic(i)`, what their synaptic drives add): noted, with `v` of grid
/// point `k` as the last finite value. They keep their finite state.
#[cold]
pub fn note_pending(
    m: &Membrane,
    s: &mut MembraneState,
    (k, watch): (u64, &mut Watch),
    synaptic: impl Fn(usize) -> f64,
) {
    let mut pending = std::mem::take(&mut s.pending_bad);
    pending.retain(|&(i, v_inf)| {
        let i = i as usize;
        if k < s.refractory_until[i] {
            return true;
        }
        let new = m.free(i, s.v[i], v_inf) + synaptic(i);
        watch.note_at(i, "v", (new, k + 1), (s.v[i], k));
        false
    });
    s.pending_bad = pending;
}

/// `(exp(x) - 1) / x`, accurate near 0.
pub fn expm1_over_x(x: f64) -> f64 {
    if x == 0.0 { 1.0 } else { x.exp_m1() / x }
}

/// Weight of a synaptic drive `u` (decaying with `tau_s`) in the membrane
/// potential after one step: the exact solution of
/// `tau_m dv/dt = -(v - v_inf) + u(t)` with `u(t) = u0 exp(-t/tau_s)` gives
/// `v(dt) = ... + u0 · exp(-dt/tau_m) · dt/tau_m · (e^{a dt} - 1)/(a dt)`,
/// `a = 1/tau_m - 1/tau_s`, written so that `tau_s → tau_m` stays exact.
pub fn synaptic_propagator(dt: f64, tau_m: f64, tau_s: f64) -> f64 {
    let a = 1.0 / tau_m - 1.0 / tau_s;
    if (a * dt).abs() < 1.0 {
        return (-dt / tau_m).exp() * dt / tau_m * expm1_over_x(a * dt);
    }
    // Far apart time constants: the form above is 0 · inf once
    // exp(-dt/tau_m) underflows (tau_m of nanoseconds), the textbook form
    // has no cancellation here.
    ((-dt / tau_s).exp() - (-dt / tau_m).exp()) / (a * tau_m)
}

impl Persist for MembraneState {
    fn persist(&mut self, s: &mut Snapshot) {
        s.slice(&mut self.v);
        s.slice(&mut self.refractory_until);
        s.slice(&mut self.bias);
        s.slice(&mut self.external);
        s.slice(&mut self.v_inf);
        s.slice(&mut self.sic);
        s.vec(&mut self.sic_active);
        s.below("active slow inward current", &self.sic_active, self.v.len());
        s.slice(&mut self.crossed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synaptic_propagator_matches_the_textbook_form_and_its_limit() {
        let (dt, tm, ts): (f64, f64, f64) = (1e-4, 20e-3, 5e-3);
        let textbook = ts / (ts - tm) * ((-dt / ts).exp() - (-dt / tm).exp());
        assert!((synaptic_propagator(dt, tm, ts) - textbook).abs() < 1e-15);
        // tau_s == tau_m: the limit is dt/tau_m · exp(-dt/tau_m).
        let limit = dt / tm * (-dt / tm).exp();
        assert!((synaptic_propagator(dt, tm, tm) - limit).abs() < 1e-18);
        // tau_m of 20 ns against dt = 0.1 ms: exp(-dt/tau_m) underflows and
        // the membrane follows the synaptic current at once, ts/(ts - tm) ·
        // exp(-dt/ts) (it was NaN, found by tests/fuzz_models.rs).
        let (tm, ts): (f64, f64) = (20e-9, 5e-3);
        let expected = ts / (ts - tm) * (-dt / ts).exp();
        let got = synaptic_propagator(dt, tm, ts);
        assert!((got - expected).abs() < 1e-15, "{got} vs {expected}");
        // Both sides of the switch between the two forms agree.
        let a_dt_1 = 1.0 / (1.0 / dt + 1.0 / ts);
        let below = synaptic_propagator(dt, a_dt_1 * (1.0 + 1e-9), ts);
        let above = synaptic_propagator(dt, a_dt_1 * (1.0 - 1e-9), ts);
        assert!((below - above).abs() < 1e-8, "{below} vs {above}");
    }
}
