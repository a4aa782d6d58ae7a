//! Leaky integrate-and-fire neuron with delta synapses:
//! `tau_m dv/dt = (v_rest - v) + r_m (i_e + i_ext)`, synaptic input jumps `v`.

use rand_pcg::Pcg64;

use multiversion::multiversion;

use super::exact::ExactCells;
use super::membrane::{CHUNK, Membrane, MembraneState, commit};
use super::{EventModel, Neuron, Variable};
use crate::engine::finite::Watch;
use crate::model::spec::{MembraneParams, Port};
use crate::synapse::EventRing;

pub struct Lif {
    membrane: Membrane,
    state: MembraneState,
    watch: Watch,
}

impl Lif {
    pub fn new(p: &MembraneParams, n: usize, dt: f64, rng: &mut Pcg64) -> Self {
        let membrane = Membrane::new(p, dt);
        let state = membrane.initial_state(p, n, rng);
        Self {
            membrane,
            state,
            watch: Watch::new(dt),
        }
    }
}

/// Propagate every neuron over one step; chunks where some neuron is above
/// threshold are flagged for `Membrane::fire`. With `CHECK`, a neuron whose
/// new `v` is not finite keeps its old one and the chunk is returned as bad.
#[multiversion(targets("x86_64+avx2"))]
fn propagate<const CHECK: bool>(m: &Membrane, s: &mut MembraneState, k: u64) -> Option<usize> {
    let n = s.v.len();
    let mut first_bad = None;
    for (chunk, flag) in s.crossed.iter_mut().enumerate() {
        let range = chunk * CHUNK..((chunk + 1) * CHUNK).min(n);
        let len = range.len();
        let v = &mut s.v[range.clone()][..len];
        let v_inf = &s.v_inf[range.clone()][..len];
        let until = &s.refractory_until[range][..len];
        let (mut crossed, mut bad) = (false, false);
        for i in 0..len {
            let new = next_v(m, k, until[i], v[i], v_inf[i]);
            v[i] = commit::<CHECK>(v[i], new, &mut bad);
            crossed |= v[i] > m.v_th;
        }
        *flag = crossed;
        if bad && first_bad.is_none() {
            first_bad = Some(chunk);
        }
    }
    first_bad
}

#[inline(always)]
fn next_v(m: &Membrane, k: u64, until: u64, v: f64, v_inf: f64) -> f64 {
    m.clamp(k, until, v_inf + (v - v_inf) * m.decay)
}

/// Note the first neuron of chunk `chunk` whose step gave a non-finite `v`
/// (its `v` is still the old one, so its step is redone; a neuron of the
/// chunk that did step is taken for it only if its next step overflows too).
fn locate(m: &Membrane, s: &MembraneState, k: u64, chunk: usize, watch: &mut Watch) {
    for i in chunk * CHUNK..((chunk + 1) * CHUNK).min(s.v.len()) {
        let new = next_v(m, k, s.refractory_until[i], s.v[i], s.v_inf[i]);
        if !new.is_finite() {
            watch.note_at(i, "v", (new, k + 1), (s.v[i], k));
            return;
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
        if !self.watch.on {
            propagate::<false>(&self.membrane, &mut self.state, k);
        } else if let Some(chunk) = propagate::<true>(&self.membrane, &mut self.state, k) {
            locate(&self.membrane, &self.state, k, chunk, &mut self.watch);
        }
    }

    fn settle(&mut self, k: u64, inputs: &[EventRing], spikes: &mut Vec<u32>) {
        self.membrane
            .apply_sic(inputs[1].slot(k + 1), &mut self.state);
        self.membrane
            .apply_jumps(k, inputs[0].slot(k + 1), &mut self.state, &mut self.watch);
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
            watch: self.watch.part(),
        })
    }

    fn threshold(&self) -> Option<f64> {
        Some(self.membrane.v_th)
    }

    fn event_model(&self) -> Option<Box<dyn EventModel>> {
        Some(Box::new(ExactCells::new(&self.membrane, &self.state, None)))
    }

    fn finite_watch(&mut self) -> Option<&mut Watch> {
        Some(&mut self.watch)
    }
}
