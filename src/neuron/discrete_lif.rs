//! The discrete-time LIF of snnTorch (`Leaky`, and `Synaptic` with a
//! synaptic current), as the L2MU cells of `learn::layers::l2mu` are trained:
//!
//! ```text
//! J_k = alpha J_{k-1} + I_k                       (alpha = 0: no current)
//! V_k = beta V_{k-1} + J_k - v_th S_{k-1}         (reset by subtraction,
//! S_k = [V_k > v_th]                               one step late)
//! ```
//!
//! `I_k` is the sum of the synaptic weights arriving at grid point `k`; the
//! spike test is strict (`V = v_th` does not fire).
//!
//! Options, for graphs imported from NIR (defaults: the model above, bit
//! for bit): `beta`, `alpha`, `v_th`, `v_reset` per-neuron arrays;
//! `v_reset` (volts, 0), `v_bias` (volts added to `V` each update, 0),
//! `i_bias` (added to the input `I` each update, 0); `reset =
//! "subtract_late"` (the above, subtracting `v_th - v_reset`) |
//! `"subtract"` (`V <- V - (v_th - v_reset)` in the update that fires) |
//! `"value"` (`V <- v_reset` in that update); `spiking = false`; `cuba =
//! "semi_implicit"` (`V` takes the new `J`, as above) | `"explicit"` (`V`
//! takes `J` before this update: forward Euler of a CuBa LIF). One update:
//!
//! ```text
//! J' = alpha J + I + i_bias
//! V  = beta V + v_bias + (J' semi-implicit | J explicit) [- (v_th - v_reset) S, subtract_late]
//! S  = [V > v_th];  reset per mode;  J = J'
//! ```
//! Unlike the other models this is not a continuous-time neuron sampled
//! exactly: `beta` and `alpha` are per-step factors, so the model means what
//! it was trained to mean only at the `dt` it was trained with. It exists so
//! that a trained L2MU network runs in the simulator step for step; the
//! clock engine runs it; validation refuses it with the event-driven engine.
//!
//! The neuron may keep a slower clock than the simulation: with a `period`
//! of P steps and an `offset` of φ steps it updates only at the grid points
//! φ + nP, summing what arrived since its last update. Populations of one
//! network with offsets 1, 2, 3 of a period 3 then update in that order
//! within each period, which is how a cell whose blocks pass spikes on
//! within one training step (the L2MU's encoder → memory → hidden) runs on
//! synapses that take at least one simulation step.

use super::model::{ModelParams, NeuronModel};
use super::per_neuron::{self, PerNeuron};
use super::{Neuron, Variable};
use crate::engine::finite::Watch;
use crate::engine::persist::Snapshot;
use crate::model::ModelError;
use crate::model::spec::{EngineKind, Port, SimulationSpec};
use crate::model::units::Dimension;
use crate::synapse::EventRing;
use rand_pcg::Pcg64;

/// Per-update factors, the threshold and the update clock of a whole
/// population.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscreteLifParams {
    /// Membrane decay per update, in [0, 1].
    pub beta: f64,
    /// Synaptic-current decay per update, in [0, 1); 0: no current.
    pub alpha: f64,
    /// Threshold, volts (> 0); also what a spike subtracts at the next update.
    pub v_th: f64,
    /// Time between updates, seconds (a whole number of `dt`); `None`: every
    /// step.
    pub period: Option<f64>,
    /// The updates happen at the grid points `offset + n·period`, seconds.
    pub offset: f64,
    /// The options, when one is not its default (`beta`, `alpha`, `v_th`
    /// above then hold the population's means).
    pub options: Option<Box<DiscreteOptions>>,
}

/// The per-neuron values and modes of a `discrete_lif` that is not the
/// default model.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscreteOptions {
    /// Membrane decay per update, per neuron.
    pub beta: PerNeuron,
    /// Synaptic current decay per update, per neuron.
    pub alpha: PerNeuron,
    /// Threshold per neuron, volts.
    pub v_th: PerNeuron,
    /// Reset potential per neuron, volts.
    pub v_reset: PerNeuron,
    /// Constant drive added to the potential per update, per neuron, volts.
    pub v_bias: PerNeuron,
    /// Constant drive added to the current per update, per neuron.
    pub i_bias: PerNeuron,
    /// What a spike does to the potential.
    pub reset: DiscreteReset,
    /// Whether the population fires at all.
    pub spiking: bool,
    /// `cuba = "explicit"`: `V` takes `J` from before the update.
    pub explicit: bool,
}

/// When and how a spike lowers `V`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscreteReset {
    /// By `v_th - v_reset`, at the next update.
    SubtractLate,
    /// By `v_th - v_reset`, in the update that fires.
    Subtract,
    /// To `v_reset`, in the update that fires.
    Value,
}

/// The `params` keys.
const KEYS: [&str; 11] = [
    "beta", "alpha", "v_th", "period", "offset", "v_reset", "v_bias", "i_bias", "reset", "spiking",
    "cuba",
];

/// `model = "discrete_lif"`: `params = { beta = 0.65, alpha = 0.5, v_th =
/// "0.1 mV", period = "1 ms", offset = "0.25 ms" }`; `alpha` defaults to 0
/// (no synaptic current), `period` to every step, `offset` to 0. The state
/// starts at 0.
impl NeuronModel for DiscreteLifParams {
    fn example() -> (&'static str, &'static str) {
        (r#"beta = 0.9, v_th = "1 mV""#, "")
    }

    fn parse(r: &ModelParams) -> Result<Self, ModelError> {
        let params = &r.params;
        params.allow(&KEYS)?;
        r.init.allow(&[])?;
        let n = r.size as usize;
        let in_range = |key: &str, value: &PerNeuron, ok: fn(f64) -> bool, range: &str| match value
            .first_bad(n, |_, x| ok(x))
        {
            None => Ok(()),
            Some((i, bad)) => {
                let at = if value.varies() {
                    format!(" (neuron {i})")
                } else {
                    String::new()
                };
                Err(params.error(key, format!("must be in {range}, got {bad}{at}")))
            }
        };
        let number = |key: &str| per_neuron::read(params, key, Dimension::Dimensionless, n);
        let beta = number("beta")?.ok_or_else(|| {
            let dim = Dimension::Dimensionless;
            params.error(
                "beta",
                format!("missing, expected {dim} such as {}", dim.example()),
            )
        })?;
        in_range("beta", &beta, |b| (0.0..=1.0).contains(&b), "[0, 1]")?;
        let alpha = number("alpha")?.unwrap_or(PerNeuron::Same(0.0));
        in_range("alpha", &alpha, |a| (0.0..1.0).contains(&a), "[0, 1)")?;
        let volts = |key: &str| per_neuron::read(params, key, Dimension::Voltage, n);
        let spiking = per_neuron::flag(params, "spiking", true)?;
        let v_reset = volts("v_reset")?;
        let v_th = match (spiking, &v_reset) {
            (false, _) => PerNeuron::Same(f64::INFINITY),
            (true, None) => per_neuron::positive(params, "v_th", Dimension::Voltage, n)?
                .ok_or_else(|| {
                    let dim = Dimension::Voltage;
                    params.error(
                        "v_th",
                        format!("missing, expected {dim} such as {}", dim.example()),
                    )
                })?,
            (true, Some(reset)) => {
                let th = volts("v_th")?.ok_or_else(|| {
                    params.error("v_th", "missing, expected a voltage such as \"1 mV\"")
                })?;
                if let Some((i, _)) = reset.first_bad(n, |i, x| x < th.at(i)) {
                    let at = if reset.varies() || th.varies() {
                        format!("neuron {i}: ")
                    } else {
                        String::new()
                    };
                    return Err(params.error("v_reset", format!("{at}must lie below v_th")));
                }
                th
            }
        };
        let v_reset = v_reset.unwrap_or(PerNeuron::Same(0.0));
        let v_bias = volts("v_bias")?.unwrap_or(PerNeuron::Same(0.0));
        let i_bias = volts("i_bias")?.unwrap_or(PerNeuron::Same(0.0));
        let reset =
            match per_neuron::choice(params, "reset", &["subtract_late", "subtract", "value"])? {
                "subtract_late" => DiscreteReset::SubtractLate,
                "subtract" => DiscreteReset::Subtract,
                _ => DiscreteReset::Value,
            };
        let explicit =
            per_neuron::choice(params, "cuba", &["semi_implicit", "explicit"])? == "explicit";
        let period = match params.get("period") {
            Some(_) => Some(params.positive("period", Dimension::Time)?),
            None => None,
        };
        let offset = params.scalar_or("offset", Dimension::Time, 0.0)?;
        if offset < 0.0 || period.is_some_and(|p| offset >= p) {
            return Err(params.error("offset", "must lie in [0, period)"));
        }
        let zero = PerNeuron::Same(0.0);
        let plain = !beta.varies()
            && !alpha.varies()
            && !v_th.varies()
            && spiking
            && [&v_reset, &v_bias, &i_bias].iter().all(|p| **p == zero)
            && reset == DiscreteReset::SubtractLate
            && !explicit;
        Ok(DiscreteLifParams {
            beta: beta.mean(),
            alpha: alpha.mean(),
            v_th: v_th.mean(),
            period,
            offset,
            options: (!plain).then(|| {
                Box::new(DiscreteOptions {
                    beta,
                    alpha,
                    v_th,
                    v_reset,
                    v_bias,
                    i_bias,
                    reset,
                    spiking,
                    explicit,
                })
            }),
        })
    }

    fn recordable(&self) -> &'static [&'static str] {
        &["v"]
    }

    fn build(
        &self,
        n: usize,
        sim: &SimulationSpec,
        _name: &str,
        _init: &mut Pcg64,
    ) -> Box<dyn Neuron> {
        Box::new(DiscreteLif::new(self, n, sim.dt))
    }

    /// `v`, `j`, the spike flags and the input, rounded up; the six
    /// per-neuron constants of a model with options.
    fn state_bytes(&self) -> f64 {
        64.0 + if self.options.is_some() { 48.0 } else { 0.0 }
    }

    /// A discrete-time population runs on the clock engine, and its
    /// `period` and `offset` must be whole numbers of the simulation step.
    fn check_simulation(&self, sim: &SimulationSpec) -> Result<(), (Option<&'static str>, String)> {
        if sim.engine == EngineKind::Event {
            return Err((
                None,
                "a discrete_lif is a discrete-time model; it runs on the clock engine only".into(),
            ));
        }
        for (key, value) in [("period", self.period), ("offset", Some(self.offset))] {
            let Some(t) = value else { continue };
            let steps = t / sim.dt;
            if (steps - steps.round()).abs() > 1e-6 {
                return Err((
                    Some(key),
                    format!(
                        "must be a whole number of steps of dt ({} ms), found {steps} steps",
                        sim.dt * 1e3
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A population of discrete-time LIF neurons (the `v[t+1] = beta v[t] + ...` form of snnTorch
/// and NIR's discretised neurons).
pub struct DiscreteLif {
    /// Per-neuron constants of a model with options; `None`: the scalars.
    each: Option<EachDiscrete>,
    beta: f64,
    alpha: f64,
    v_th: f64,
    v: Vec<f64>,
    j: Vec<f64>,
    /// Spikes of the last step: each subtracts `v_th` in the next.
    spiked: Vec<bool>,
    /// Input summed since the last update, per neuron.
    input: Vec<f64>,
    /// Updates happen at the grid points k with k mod period = phase.
    period: u64,
    phase: u64,
    watch: Watch,
    /// The grid point of the last update, when `v` and `j` last changed.
    last_update: u64,
}

/// The options of a `discrete_lif` for the neurons of a slice.
#[derive(Debug, Clone)]
struct EachDiscrete {
    beta: Vec<f64>,
    alpha: Vec<f64>,
    v_th: Vec<f64>,
    v_reset: Vec<f64>,
    v_bias: Vec<f64>,
    i_bias: Vec<f64>,
    reset: DiscreteReset,
    explicit: bool,
}

impl EachDiscrete {
    fn part(&self, r: std::ops::Range<usize>) -> Self {
        Self {
            beta: self.beta[r.clone()].to_vec(),
            alpha: self.alpha[r.clone()].to_vec(),
            v_th: self.v_th[r.clone()].to_vec(),
            v_reset: self.v_reset[r.clone()].to_vec(),
            v_bias: self.v_bias[r.clone()].to_vec(),
            i_bias: self.i_bias[r].to_vec(),
            reset: self.reset,
            explicit: self.explicit,
        }
    }
}

impl DiscreteLif {
    /// `n` neurons with parameters `p` on a grid of `dt` seconds.
    pub fn new(p: &DiscreteLifParams, n: usize, dt: f64) -> Self {
        let period = p.period.map_or(1, |t| ((t / dt).round() as u64).max(1));
        let each = p.options.as_deref().map(|o| EachDiscrete {
            beta: o.beta.values(n),
            alpha: o.alpha.values(n),
            v_th: o.v_th.values(n),
            v_reset: o.v_reset.values(n),
            v_bias: o.v_bias.values(n),
            i_bias: o.i_bias.values(n),
            reset: o.reset,
            explicit: o.explicit,
        });
        Self {
            each,
            period,
            phase: (p.offset / dt).round() as u64 % period,
            beta: p.beta,
            alpha: p.alpha,
            v_th: p.v_th,
            v: vec![0.0; n],
            j: vec![0.0; n],
            spiked: vec![false; n],
            input: vec![0.0; n],
            watch: Watch::new(dt),
            last_update: 0,
        }
    }
}

impl DiscreteLif {
    /// One update of a model with options (see the module notes), after
    /// the input since the last update has been summed.
    fn update_each(&mut self, k: u64, spikes: &mut Vec<u32>) {
        let e = self.each.as_ref().expect("a model with options");
        for i in 0..self.v.len() {
            let j = e.alpha[i] * self.j[i] + std::mem::take(&mut self.input[i]) + e.i_bias[i];
            let feed = if e.explicit { self.j[i] } else { j };
            let gap = e.v_th[i] - e.v_reset[i];
            let late = if e.reset == DiscreteReset::SubtractLate && self.spiked[i] {
                gap
            } else {
                0.0
            };
            let mut v = e.beta[i] * self.v[i] + e.v_bias[i] + feed - late;
            if self.watch.on && !v.is_finite() {
                let last = (self.v[i], self.last_update);
                self.watch.note_at(i, "v", (v, k + 1), last);
                continue;
            }
            self.spiked[i] = v > e.v_th[i];
            if self.spiked[i] {
                spikes.push(i as u32);
                match e.reset {
                    DiscreteReset::SubtractLate => {}
                    DiscreteReset::Subtract => v -= gap,
                    DiscreteReset::Value => v = e.v_reset[i],
                }
            }
            self.j[i] = j;
            self.v[i] = v;
        }
        self.last_update = k + 1;
    }
}

impl Neuron for DiscreteLif {
    fn size(&self) -> usize {
        self.v.len()
    }

    fn ports(&self) -> &'static [Port] {
        &[Port::Voltage]
    }

    fn variables(&self) -> Vec<Variable> {
        vec![Variable {
            name: "v",
            unit: "V",
        }]
    }

    fn settle(&mut self, k: u64, inputs: &[EventRing], spikes: &mut Vec<u32>) {
        // The summed input enters `j` below, which is checked; a sum of
        // single-precision weights cannot overflow a double.
        for e in inputs[0].slot(k + 1) {
            self.input[e.target as usize] += f64::from(e.weight);
        }
        if (k + 1) % self.period != self.phase {
            return;
        }
        if self.each.is_some() {
            return self.update_each(k, spikes);
        }
        // The order of the training cell's arithmetic, so that both round
        // alike: J = αJ + I, then V = βV + J − Θ S.
        for i in 0..self.v.len() {
            let j = self.alpha * self.j[i] + std::mem::take(&mut self.input[i]);
            let reset = if self.spiked[i] { self.v_th } else { 0.0 };
            let v = self.beta * self.v[i] + j - reset;
            // A non-finite `j` makes `v` non-finite too: `v` alone is checked,
            // and the neuron keeps its last finite state.
            if self.watch.on && !v.is_finite() {
                let last = (self.v[i], self.last_update);
                self.watch.note_at(i, "v", (v, k + 1), last);
                continue;
            }
            self.j[i] = j;
            self.v[i] = v;
            self.spiked[i] = self.v[i] > self.v_th;
            if self.spiked[i] {
                spikes.push(i as u32);
            }
        }
        self.last_update = k + 1;
    }

    fn sample(&self, variable: &str, neurons: &[u32], out: &mut Vec<f64>) {
        #[cfg(test)]
        if variable == "j" {
            return out.extend(neurons.iter().map(|&i| self.j[i as usize]));
        }
        debug_assert_eq!(variable, "v", "validation admits only recordable variables");
        out.extend(neurons.iter().map(|&i| self.v[i as usize]));
    }

    fn split(&self, offset: usize, len: usize) -> Box<dyn Neuron> {
        let r = offset..offset + len;
        Box::new(Self {
            each: self.each.as_ref().map(|e| e.part(r.clone())),
            beta: self.beta,
            alpha: self.alpha,
            v_th: self.v_th,
            v: self.v[r.clone()].to_vec(),
            j: self.j[r.clone()].to_vec(),
            spiked: self.spiked[r.clone()].to_vec(),
            input: self.input[r].to_vec(),
            period: self.period,
            phase: self.phase,
            watch: self.watch.part(),
            last_update: self.last_update,
        })
    }

    fn threshold(&self) -> Option<f64> {
        match &self.each {
            None => Some(self.v_th),
            Some(e) => {
                let first = e.v_th.first().copied().unwrap_or(f64::INFINITY);
                (first.is_finite() && e.v_th.iter().all(|&t| t == first)).then_some(first)
            }
        }
    }

    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("discrete_lif");
        s.same("period", &mut self.period);
        s.same("phase", &mut self.phase);
        s.slice(&mut self.v);
        s.slice(&mut self.j);
        s.slice(&mut self.spiked);
        s.slice(&mut self.input);
    }

    fn finite_watch(&mut self) -> Option<&mut Watch> {
        Some(&mut self.watch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synapse::ring::Arrival;

    /// A constant input of 0.3 with β = 0.5, Θ = 0.4, by hand:
    /// V = 0.3 (no spike), 0.45 (spike), 0.5·0.45 + 0.3 − 0.4 = 0.125,
    /// 0.3625, 0.48125 (spike), 0.5·0.48125 + 0.3 − 0.4 = 0.140625.
    #[test]
    fn leaky_follows_the_recurrence_with_a_late_subtractive_reset() {
        let p = DiscreteLifParams {
            beta: 0.5,
            alpha: 0.0,
            v_th: 0.4,
            period: None,
            offset: 0.0,
            options: None,
        };
        let mut n = DiscreteLif::new(&p, 1, 1e-3);
        let mut ring = EventRing::new(1);
        let mut v = Vec::new();
        let mut fired = Vec::new();
        for k in 0..6u64 {
            ring.slot_mut(k + 1).push(Arrival {
                target: 0,
                weight: 0.3,
            });
            let mut spikes = Vec::new();
            n.step(k, std::slice::from_ref(&ring), &mut spikes);
            ring.clear(k + 1);
            v.push(n.v[0]);
            fired.push(!spikes.is_empty());
        }
        let w = f64::from(0.3f32);
        let mut expected = Vec::new();
        let (mut u, mut s) = (0.0f64, false);
        for _ in 0..6 {
            u = 0.5 * u + w - if s { 0.4 } else { 0.0 };
            s = u > 0.4;
            expected.push(u);
        }
        assert_eq!(v, expected);
        assert_eq!(fired, [false, true, false, false, true, false]);
        assert!((v[2] - 0.125).abs() < 1e-7 && (v[5] - 0.140625).abs() < 1e-7);
    }

    /// With α, one input of 1 at the first step gives J = α^k and
    /// V_k = Σ_{i≤k} β^{k−i} α^i (below threshold).
    #[test]
    fn synaptic_current_decays_by_alpha_and_feeds_the_membrane() {
        let p = DiscreteLifParams {
            beta: 0.8,
            alpha: 0.5,
            v_th: 10.0,
            period: None,
            offset: 0.0,
            options: None,
        };
        let mut n = DiscreteLif::new(&p, 2, 1e-3);
        let mut ring = EventRing::new(1);
        ring.slot_mut(1).push(Arrival {
            target: 1,
            weight: 1.0,
        });
        for k in 0..5u64 {
            let mut spikes = Vec::new();
            n.step(k, std::slice::from_ref(&ring), &mut spikes);
            ring.clear(k + 1);
            assert!(spikes.is_empty());
            let closed: f64 = (0..=k as i32)
                .map(|i| 0.8f64.powi(k as i32 - i) * 0.5f64.powi(i))
                .sum();
            assert!((n.v[1] - closed).abs() < 1e-12, "step {k}");
            assert!((n.j[1] - 0.5f64.powi(k as i32)).abs() < 1e-15);
            assert_eq!(n.v[0], 0.0);
        }
    }

    /// Period 3, offset 1: inputs of any step wait for the next update at a
    /// grid point 1 mod 3, where they count as one step of the recurrence.
    #[test]
    fn a_slower_clock_updates_at_its_phase_with_everything_received_since() {
        let p = DiscreteLifParams {
            beta: 0.5,
            alpha: 0.0,
            v_th: 10.0,
            period: Some(3e-3),
            offset: 1e-3,
            options: None,
        };
        let mut n = DiscreteLif::new(&p, 1, 1e-3);
        let mut ring = EventRing::new(1);
        let mut v = Vec::new();
        for k in 0..7u64 {
            ring.slot_mut(k + 1).push(Arrival {
                target: 0,
                weight: 1.0,
            });
            let mut spikes = Vec::new();
            n.step(k, std::slice::from_ref(&ring), &mut spikes);
            ring.clear(k + 1);
            v.push(n.v[0]);
        }
        // Grid 1: 1; grid 4: 0.5 + 3 (arrivals at 2, 3, 4); grid 7: 1.75 + 3.
        assert_eq!(v, [1.0, 1.0, 1.0, 3.5, 3.5, 3.5, 4.75]);
    }

    /// β = 1 and α = 0.99 from v = j = f64::MAX (states no input can reach:
    /// weights are single precision) overflow at the first update:
    /// `v = MAX + 0.99 MAX = +inf`. The neuron keeps its last finite state.
    #[test]
    fn an_overflowing_update_is_noted_and_not_made() {
        let p = DiscreteLifParams {
            beta: 1.0,
            alpha: 0.99,
            v_th: f64::MAX,
            period: Some(2e-3),
            offset: 0.0,
            options: None,
        };
        let mut n = DiscreteLif::new(&p, 3, 1e-3);
        let ring = EventRing::new(1);
        let mut spikes = Vec::new();
        n.step(0, std::slice::from_ref(&ring), &mut spikes);
        n.step(1, std::slice::from_ref(&ring), &mut spikes);
        (n.v[1], n.j[1]) = (f64::MAX, f64::MAX);
        for k in 2..4 {
            n.step(k, std::slice::from_ref(&ring), &mut spikes);
        }
        let note = n.finite_watch().unwrap().first().unwrap();
        assert_eq!(
            (note.neuron, note.variable, note.value),
            (1, "v", f64::INFINITY)
        );
        // Updated at grid points 2 (last finite) and 4.
        assert_eq!(
            (note.time, note.last_time, note.last_finite),
            (4e-3, 2e-3, f64::MAX)
        );
        assert_eq!((n.v[1], n.j[1]), (f64::MAX, f64::MAX));
    }
}
