//! Leaky integrate-and-fire neuron with delta synapses:
//! `tau_m dv/dt = (v_rest - v) + r_m (i_e + i_ext)`, synaptic input jumps `v`.

use rand_pcg::Pcg64;

use multiversion::multiversion;

use super::exact::ExactCells;
use super::membrane::{CHUNK, Membrane, MembraneState};
use super::{EventModel, Neuron, Variable};
use crate::engine::persist::{Persist, Snapshot};
use crate::model::spec::{MembraneParams, Port};
use crate::synapse::EventRing;

pub struct Lif {
    membrane: Membrane,
    state: MembraneState,
}

impl Lif {
    pub fn new(p: &MembraneParams, n: usize, dt: f64, rng: &mut Pcg64) -> Self {
        let membrane = Membrane::new(p, dt);
        let state = membrane.initial_state(p, n, rng);
        Self { membrane, state }
    }
}

/// Propagate every neuron over one step; chunks where some neuron is above
/// threshold are flagged for `Membrane::fire`.
#[multiversion(targets("x86_64+avx2"))]
fn propagate(m: &Membrane, s: &mut MembraneState, k: u64) {
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
        propagate(&self.membrane, &mut self.state, k);
    }

    fn settle(&mut self, k: u64, inputs: &[EventRing], spikes: &mut Vec<u32>) {
        self.membrane
            .apply_sic(inputs[1].slot(k + 1), &mut self.state);
        self.membrane
            .apply_jumps(k, inputs[0].slot(k + 1), &mut self.state);
        self.membrane.fire(k, &mut self.state, spikes);
    }

    fn set_external_drive(&mut self, drive: &[f64]) {
        self.membrane.set_external(&mut self.state, drive);
    }

    fn sample(&self, variable: &str, neurons: &[u32], out: &mut Vec<f64>) {
        debug_assert_eq!(variable, "v", "validation admits only recordable variables");
        out.extend(neurons.iter().map(|&i| self.state.v[i as usize]));
    }

    fn split(&self, offset: usize, len: usize) -> Box<dyn Neuron> {
        Box::new(Self {
            membrane: self.membrane.clone(),
            state: self.state.part(offset, len),
        })
    }

    fn threshold(&self) -> Option<f64> {
        Some(self.membrane.v_th)
    }

    fn event_model(&self) -> Option<Box<dyn EventModel>> {
        Some(Box::new(ExactCells::new(&self.membrane, &self.state, None)))
    }

    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("lif");
        self.state.persist(s);
    }
}
