//! Current-based LIF: exponentially decaying excitatory and inhibitory
//! synaptic currents feed the membrane,
//! `tau_m dv/dt = (v_rest - v) + r_m (i_e + i_ext + i_syn_e + i_syn_i)`,
//! `tau_syn_e di_syn_e/dt = -i_syn_e` (likewise for `i_syn_i`).
//! Currents are carried internally as the voltages `r_m · i` (Brian2's CUBA
//! convention), so the model also works without a membrane resistance.

use rand_pcg::Pcg64;

use super::membrane::{Membrane, MembraneState, synaptic_propagator};
use super::{Neuron, Variable};
use crate::engine::rng;
use crate::model::spec::{CubaParams, Port};
use crate::synapse::RingBuffer;

pub struct CubaLif {
    membrane: Membrane,
    state: MembraneState,
    syn_e: Vec<f64>,
    syn_i: Vec<f64>,
    decay_e: f64,
    decay_i: f64,
    /// Contribution of each synaptic drive to `v` over one step.
    to_v_e: f64,
    to_v_i: f64,
}

impl CubaLif {
    pub fn new(p: &CubaParams, n: usize, dt: f64, rng: &mut Pcg64) -> Self {
        let membrane = Membrane::new(&p.membrane, dt);
        let state = membrane.initial_state(&p.membrane, n, rng);
        let syn_e = rng::draw(&p.init_syn_e, n, rng);
        let syn_i = rng::draw(&p.init_syn_i, n, rng);
        Self {
            to_v_e: synaptic_propagator(dt, p.membrane.tau_m, p.tau_syn_e),
            to_v_i: synaptic_propagator(dt, p.membrane.tau_m, p.tau_syn_i),
            decay_e: (-dt / p.tau_syn_e).exp(),
            decay_i: (-dt / p.tau_syn_i).exp(),
            membrane,
            state,
            syn_e,
            syn_i,
        }
    }
}

impl Neuron for CubaLif {
    fn size(&self) -> usize {
        self.state.v.len()
    }

    fn ports(&self) -> &'static [Port] {
        &[Port::Voltage, Port::CurrentExc, Port::CurrentInh]
    }

    fn variables(&self) -> Vec<Variable> {
        let (unit, _) = self.membrane.current_unit();
        vec![
            Variable { name: "v", unit: "V" },
            Variable { name: "i_syn_e", unit },
            Variable { name: "i_syn_i", unit },
        ]
    }

    fn step(&mut self, k: u64, inputs: &mut [RingBuffer], spikes: &mut Vec<u32>) {
        let n = self.state.v.len();
        let [delta_in, exc_in, inh_in] = inputs else {
            unreachable!("the engine passes one buffer per port");
        };
        let (delta_in, exc_in, inh_in) = (delta_in.slot_mut(k + 1), exc_in.slot_mut(k + 1), inh_in.slot_mut(k + 1));
        let (decay, de, di, ve, vi) = (self.membrane.decay, self.decay_e, self.decay_i, self.to_v_e, self.to_v_i);
        let s = &mut self.state;
        let (v, v_inf) = (&mut s.v[..n], &s.v_inf[..n]);
        let (ie, ii) = (&mut self.syn_e[..n], &mut self.syn_i[..n]);
        let (exc_in, inh_in) = (&mut exc_in[..n], &mut inh_in[..n]);
        for i in 0..n {
            v[i] = v_inf[i] + (v[i] - v_inf[i]) * decay + ve * ie[i] + vi * ii[i];
            ie[i] = ie[i] * de + exc_in[i];
            ii[i] = ii[i] * di + inh_in[i];
            exc_in[i] = 0.0;
            inh_in[i] = 0.0;
        }
        self.membrane.settle(s, delta_in, spikes);
    }

    fn set_external_drive(&mut self, drive: &[f64]) {
        self.membrane.set_external(&mut self.state, drive);
    }

    fn sample(&self, variable: &str, neurons: &[u32], out: &mut Vec<f64>) {
        let (_, to_current) = self.membrane.current_unit();
        let (source, scale) = match variable {
            "i_syn_e" => (&self.syn_e, to_current),
            "i_syn_i" => (&self.syn_i, to_current),
            _ => (&self.state.v, 1.0),
        };
        out.extend(neurons.iter().map(|&i| source[i as usize] * scale));
    }

    fn threshold(&self) -> Option<f64> {
        Some(self.membrane.v_th)
    }
}
