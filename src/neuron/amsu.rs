//! The AM-SU-style astrocyte-modulated LIF unit (`model = "amsu_lif"`).
//!
//! **Our proposal, not the AM-SU paper's model** (whose equations could
//! not be retrieved; `docs/algorithms.md` (c)). The neurons form groups of
//! `group_size` contiguous neurons, each ensheathed by one slow astrocyte
//! trace of the group's spiking,
//!
//! `a ← λ a + (1 - λ) · (spikes of the group in the step) / group_size`,
//! `λ = exp(-dt / tau_a)`,
//!
//! which scales the group's threshold,
//! `v_th_eff = v_rest + (v_th - v_rest)(1 + kappa · tanh a)`, or its input
//! gain, synaptic jumps × `max(0, 1 + kappa · tanh a)`. The membrane is the
//! `lif` one. A group is always advanced by one worker (slices hold whole
//! groups), so results do not depend on the thread count.

use rand_pcg::Pcg64;

use super::membrane::{self, Membrane, MembraneState};
use super::membrane::{MEMBRANE_PARAMS, MembraneParams};
use super::model::{ModelParams, NeuronModel};
use super::{Neuron, Variable, part};
use crate::engine::finite::{Watch, add_checked};
use crate::engine::persist::{Persist, Snapshot};
use crate::model::ModelError;
use crate::model::spec::{Port, SimulationSpec};
use crate::model::units::Dimension;
use crate::synapse::EventRing;

/// What the AM-SU astrocyte trace acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modulation {
    /// `v_th_eff = v_rest + (v_th - v_rest)(1 + kappa tanh a)`.
    Threshold,
    /// Synaptic jumps scaled by `max(0, 1 + kappa tanh a)`.
    Gain,
}

/// The lighter AM-SU-style unit (our proposal, not the paper's): LIF neurons
/// in groups, each group with a slow trace of its mean spiking that
/// modulates the group's threshold or input gain.
#[derive(Debug, Clone, PartialEq)]
pub struct AmsuParams {
    /// The LIF membrane.
    pub membrane: MembraneParams,
    /// Neurons per group (contiguous; the population size is a multiple).
    pub group_size: u32,
    /// Time constant of the group's astrocyte trace `a`, seconds.
    pub tau_a: f64,
    /// Strength of the modulation (`kappa` in `1 + kappa tanh a`).
    pub kappa: f64,
    /// What the trace modulates: the threshold or the input gain.
    pub modulation: Modulation,
}

/// `model = "amsu_lif"`: the membrane's parameters, `group_size` (the
/// whole population), `tau_a` ("1 s"), `kappa` (0.5) and `modulation`
/// ("threshold" or "gain").
impl NeuronModel for AmsuParams {
    fn example() -> (&'static str, &'static str) {
        (
            "tau_m = \"20 ms\", v_rest = \"-70 mV\", v_th = \"-50 mV\", group_size = 2, tau_a = \"100 ms\", kappa = 2.0",
            "",
        )
    }

    fn parse(r: &ModelParams) -> Result<Self, ModelError> {
        let (params, init, size) = (&r.params, &r.init, r.size);
        let mut allowed = MEMBRANE_PARAMS.to_vec();
        allowed.extend(["group_size", "tau_a", "kappa", "modulation"]);
        params.allow(&allowed)?;
        init.allow(&["v"])?;
        let membrane = MembraneParams::read(r)?;
        let group_size = match params.get("group_size") {
            None => size,
            Some(v) => match v.get_ref().as_integer() {
                Some(g) if g >= 1 && size as i64 % g == 0 => g as u32,
                _ => {
                    return Err(params.error(
                        "group_size",
                        format!(
                            "must be a positive whole number that divides the population size ({size}), got {}",
                            v.get_ref()
                        ),
                    ));
                }
            },
        };
        let modulation = match params.string("modulation")? {
            None => Modulation::Threshold,
            Some(m) => match m.get_ref().as_str() {
                "threshold" => Modulation::Threshold,
                "gain" => Modulation::Gain,
                other => {
                    return Err(params.error(
                        "modulation",
                        format!("unknown modulation {other:?}, expected \"threshold\" or \"gain\""),
                    ));
                }
            },
        };
        Ok(AmsuParams {
            membrane,
            group_size,
            tau_a: params.positive_or("tau_a", Dimension::Time, 1.0)?,
            kappa: params.scalar_or("kappa", Dimension::Dimensionless, 0.5)?,
            modulation,
        })
    }

    fn recordable(&self) -> &'static [&'static str] {
        &["v", "a"]
    }

    fn build(
        &self,
        n: usize,
        sim: &SimulationSpec,
        _name: &str,
        init: &mut Pcg64,
    ) -> Box<dyn Neuron> {
        Box::new(AmsuLif::new(self, n, sim.dt, init))
    }

    fn state_bytes(&self) -> f64 {
        96.0
    }

    /// A group is advanced by one worker.
    fn split_granule(&self) -> u32 {
        self.group_size
    }

    fn membrane(&self) -> Option<&MembraneParams> {
        Some(&self.membrane)
    }

    fn membrane_mut(&mut self) -> Option<&mut MembraneParams> {
        Some(&mut self.membrane)
    }
}

/// A population of AM-SU LIF neurons: LIF membranes modulated by the activity of their group.
pub struct AmsuLif {
    membrane: Membrane,
    state: MembraneState,
    group_size: usize,
    /// `exp(-dt / tau_a)`.
    lambda: f64,
    kappa: f64,
    modulation: Modulation,
    /// One trace per group: a convex combination of itself and a spike
    /// fraction, so it stays in [0, 1] and needs no check.
    a: Vec<f64>,
    watch: Watch,
}

impl AmsuLif {
    /// `n` neurons with parameters `p`, stepped every `dt` seconds, random initial values from
    /// `rng`.
    pub fn new(p: &AmsuParams, n: usize, dt: f64, rng: &mut Pcg64) -> Self {
        let membrane = Membrane::new(&p.membrane, dt, n);
        let state = membrane.initial_state(&p.membrane, n, rng);
        let group_size = p.group_size as usize;
        Self {
            membrane,
            state,
            group_size,
            lambda: (-dt / p.tau_a).exp(),
            kappa: p.kappa,
            modulation: p.modulation,
            a: vec![0.0; n / group_size],
            watch: Watch::new(dt),
        }
    }

    /// `1 + kappa tanh a` of group `g`.
    fn factor(&self, g: usize) -> f64 {
        1.0 + self.kappa * self.a[g].tanh()
    }

    fn threshold_of(&self, g: usize) -> f64 {
        let m = &self.membrane;
        match self.modulation {
            Modulation::Threshold => m.v_rest + (m.v_th - m.v_rest) * self.factor(g),
            Modulation::Gain => m.v_th,
        }
    }
}

impl Neuron for AmsuLif {
    fn size(&self) -> usize {
        self.state.v.len()
    }

    fn ports(&self) -> &'static [Port] {
        &[Port::Voltage]
    }

    fn variables(&self) -> Vec<Variable> {
        vec![
            Variable {
                name: "v",
                unit: "V",
            },
            Variable {
                name: "a",
                unit: "",
            },
        ]
    }

    fn propagate(&mut self, k: u64) {
        membrane::propagate(&self.membrane, &mut self.state, k, &mut self.watch);
    }

    fn settle(&mut self, k: u64, inputs: &[EventRing], spikes: &mut Vec<u32>) {
        for e in inputs[0].slot(k + 1) {
            let i = e.target as usize;
            if k >= self.state.refractory_until[i] {
                let gain = match self.modulation {
                    Modulation::Gain => self.factor(i / self.group_size).max(0.0),
                    Modulation::Threshold => 1.0,
                };
                let jump = gain * e.weight as f64;
                if self.watch.on {
                    add_checked(&mut self.watch, &mut self.state.v[i], jump, (i, "v"), k + 1);
                } else {
                    self.state.v[i] += jump;
                }
            }
        }
        let m = &self.membrane;
        for g in 0..self.a.len() {
            let theta = self.threshold_of(g);
            let mut fired = 0usize;
            for i in g * self.group_size..(g + 1) * self.group_size {
                if self.state.v[i] > theta {
                    spikes.push(i as u32);
                    self.state.v[i] = m.v_reset;
                    self.state.refractory_until[i] = k + 1 + m.refractory_steps as u64;
                    fired += 1;
                }
            }
            let mean = fired as f64 / self.group_size as f64;
            self.a[g] = self.lambda * self.a[g] + (1.0 - self.lambda) * mean;
        }
    }

    fn set_external_drive(&mut self, drive: &[f64]) {
        self.membrane
            .set_external(&mut self.state, drive, &self.watch);
    }

    fn sample(&self, variable: &str, neurons: &[u32], out: &mut Vec<f64>) {
        match variable {
            "v" => out.extend(neurons.iter().map(|&i| self.state.v[i as usize])),
            _ => out.extend(
                neurons
                    .iter()
                    .map(|&i| self.a[i as usize / self.group_size]),
            ),
        }
    }

    fn split(&self, offset: usize, len: usize) -> Box<dyn Neuron> {
        debug_assert!(
            offset.is_multiple_of(self.group_size) && len.is_multiple_of(self.group_size)
        );
        let g = self.group_size;
        Box::new(Self {
            membrane: self.membrane.clone(),
            state: self.state.part(offset, len),
            group_size: g,
            lambda: self.lambda,
            kappa: self.kappa,
            modulation: self.modulation,
            a: part(&self.a, offset / g, len / g),
            watch: self.watch.part(),
        })
    }

    fn threshold(&self) -> Option<f64> {
        Some(self.membrane.v_th)
    }

    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("amsu_lif");
        s.same("group size", &mut self.group_size);
        self.state.persist(s);
        s.slice(&mut self.a);
    }

    fn finite_watch(&mut self) -> Option<&mut Watch> {
        Some(&mut self.watch)
    }
}
