//! Leaky integrate-and-fire neuron with delta synapses:
//! `tau_m dv/dt = (v_rest - v) + r_m (i_e + i_ext)`, synaptic input jumps `v`.
//! Options (see `MembraneParams::read_options`): per-neuron arrays of
//! `tau_m`, `v_rest`, `v_reset`, `v_th`; `reset = "subtract"`;
//! `spiking = false`; `leak = false` (`tau_m dv/dt = drive + r_m i_ext`,
//! an integrator); `drive` (volts). A population with any of them has no
//! closed form in the event engine, which then steps it on the `dt` grid
//! exactly as the clock engine does.

use rand_pcg::Pcg64;

use super::cuba_lif::ExactCells;
use super::membrane::{self, Membrane, MembraneState};
use super::membrane::{MEMBRANE_OPTIONS, MEMBRANE_PARAMS, MembraneParams};
use super::model::{ModelParams, NeuronModel, Quantizable};
use super::{EventModel, Neuron, Variable};
use crate::engine::finite::Watch;
use crate::engine::persist::{Persist, Snapshot};
use crate::model::ModelError;
use crate::model::spec::{Port, SimulationSpec};
use crate::synapse::EventRing;

/// `model = "lif"`: its parameters are the membrane's.
impl NeuronModel for MembraneParams {
    fn example() -> (&'static str, &'static str) {
        (
            "tau_m = \"20 ms\", v_rest = \"-70 mV\", v_th = \"-50 mV\"",
            "",
        )
    }

    fn parse(r: &ModelParams) -> Result<Self, ModelError> {
        let mut allowed = MEMBRANE_PARAMS.to_vec();
        allowed.extend(MEMBRANE_OPTIONS);
        r.params.allow(&allowed)?;
        r.init.allow(&["v"])?;
        MembraneParams::read_options(r)
    }

    fn recordable(&self) -> &'static [&'static str] {
        &["v"]
    }

    fn build(
        &self,
        n: usize,
        sim: &SimulationSpec,
        _name: &str,
        init: &mut Pcg64,
    ) -> Box<dyn Neuron> {
        Box::new(Lif::new(self, n, sim.dt, init))
    }

    /// `v`, `refractory_until`, `bias`, `external`, `v_inf`, the slow
    /// inward current and its flags, rounded up; per-neuron constants
    /// (`membrane::EachNeuron`, six numbers) when the membrane has them.
    fn state_bytes(&self) -> f64 {
        64.0 + self.each_bytes()
    }

    fn membrane(&self) -> Option<&MembraneParams> {
        Some(self)
    }

    fn membrane_mut(&mut self) -> Option<&mut MembraneParams> {
        Some(self)
    }

    fn takes_sic(&self) -> bool {
        true
    }

    fn exact_membrane(&self) -> Option<&MembraneParams> {
        self.is_plain().then_some(self)
    }

    fn quantizable(&self) -> Option<Quantizable<'_>> {
        Some(Quantizable {
            membrane: self,
            tau_syn: None,
            init_syn: None,
            forcing: false,
            syn_drive: None,
            unmapped: Vec::new(),
        })
    }
}

/// A population of leaky integrate-and-fire neurons with voltage-jump synapses.
pub struct Lif {
    /// Whether the event engine may run it in closed form (`is_plain`).
    exact: bool,
    membrane: Membrane,
    state: MembraneState,
    watch: Watch,
}

impl Lif {
    /// `n` neurons with membrane `p`, stepped every `dt` seconds, random initial values from
    /// `rng`.
    pub fn new(p: &MembraneParams, n: usize, dt: f64, rng: &mut Pcg64) -> Self {
        let membrane = Membrane::new(p, dt, n);
        let state = membrane.initial_state(p, n, rng);
        Self {
            exact: p.is_plain(),
            membrane,
            state,
            watch: Watch::new(dt),
        }
    }
}

impl Neuron for Lif {
    fn size(&self) -> usize {
        self.state.v.len()
    }

    fn ports(&self) -> &'static [Port] {
        &[Port::Voltage, Port::Sic]
    }

    fn variables(&self) -> Vec<Variable> {
        vec![Variable {
            name: "v",
            unit: "V",
        }]
    }

    fn propagate(&mut self, k: u64) {
        membrane::propagate(&self.membrane, &mut self.state, k, &mut self.watch);
    }

    fn settle(&mut self, k: u64, inputs: &[EventRing], spikes: &mut Vec<u32>) {
        self.membrane
            .apply_sic(inputs[1].slot(k + 1), &mut self.state, &self.watch);
        self.membrane
            .apply_jumps(k, inputs[0].slot(k + 1), &mut self.state, &mut self.watch);
        self.membrane.fire(k, &mut self.state, spikes);
    }

    fn set_external_drive(&mut self, drive: &[f64]) {
        self.membrane
            .set_external(&mut self.state, drive, &self.watch);
    }

    fn sample(&self, variable: &str, neurons: &[u32], out: &mut Vec<f64>) {
        debug_assert_eq!(variable, "v", "validation admits only recordable variables");
        out.extend(neurons.iter().map(|&i| self.state.v[i as usize]));
    }

    fn split(&self, offset: usize, len: usize) -> Box<dyn Neuron> {
        Box::new(Self {
            exact: self.exact,
            membrane: self.membrane.part(offset, len),
            state: self.state.part(offset, len),
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
        Some(Box::new(ExactCells::new(&self.membrane, &self.state, None)))
    }

    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("lif");
        self.state.persist(s);
    }

    fn finite_watch(&mut self) -> Option<&mut Watch> {
        Some(&mut self.watch)
    }
}
