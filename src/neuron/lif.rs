//! Leaky integrate-and-fire neuron with delta synapses:
//! `tau_m dv/dt = (v_rest - v) + r_m (i_e + i_ext)`, synaptic input jumps `v`.

use rand_pcg::Pcg64;

use super::membrane::{Membrane, MembraneState};
use super::{Neuron, Variable};
use crate::model::spec::{MembraneParams, Port};
use crate::synapse::RingBuffer;

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

impl Neuron for Lif {
    fn size(&self) -> usize {
        self.state.v.len()
    }

    fn ports(&self) -> &'static [Port] {
        &[Port::Voltage]
    }

    fn variables(&self) -> Vec<Variable> {
        vec![Variable { name: "v", unit: "V" }]
    }

    fn step(&mut self, k: u64, inputs: &mut [RingBuffer], spikes: &mut Vec<u32>) {
        let decay = self.membrane.decay;
        let s = &mut self.state;
        for (v, &v_inf) in s.v.iter_mut().zip(&s.v_inf) {
            *v = v_inf + (*v - v_inf) * decay;
        }
        self.membrane.settle(s, inputs[0].slot_mut(k + 1), spikes);
    }

    fn set_external_drive(&mut self, drive: &[f64]) {
        self.membrane.set_external(&mut self.state, drive);
    }

    fn sample(&self, variable: &str, neurons: &[u32], out: &mut Vec<f64>) {
        debug_assert_eq!(variable, "v", "validation admits only recordable variables");
        out.extend(neurons.iter().map(|&i| self.state.v[i as usize]));
    }

    fn threshold(&self) -> Option<f64> {
        Some(self.membrane.v_th)
    }
}
