//! Current-based LIF: exponentially decaying excitatory and inhibitory
//! synaptic currents feed the membrane,
//! `tau_m dv/dt = (v_rest - v) + r_m (i_e + i_ext + i_syn_e + i_syn_i)`,
//! `tau_syn_e di_syn_e/dt = -i_syn_e` (likewise for `i_syn_i`).
//! Currents are carried internally as the voltages `r_m · i` (Brian2's CUBA
//! convention), so the model also works without a membrane resistance.

use rand_pcg::Pcg64;

use multiversion::multiversion;

use super::exact::ExactCells;
use super::membrane::{CHUNK, Membrane, MembraneState, synaptic_propagator};
use super::{EventModel, Neuron, Variable};
use crate::engine::finite::{Watch, add_checked};
use crate::engine::rng;
use crate::model::spec::{CubaParams, Port};
use crate::synapse::{Arrival, EventRing};

pub struct CubaLif {
    tau_syn_e: f64,
    tau_syn_i: f64,
    membrane: Membrane,
    state: MembraneState,
    synapses: Synapses,
    coefficients: Coefficients,
    watch: Watch,
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
}

/// Propagate every neuron and its synaptic drives over one step; chunks
/// where some neuron is above threshold are flagged for `Membrane::fire`.
/// With `CHECK`, a neuron whose new `v` is not finite keeps its whole old
/// state (so that its step can be redone) and the first such chunk is
/// returned. The drives only decay here, which keeps them finite.
#[multiversion(targets("x86_64+avx2"))]
fn propagate<const CHECK: bool>(
    c: &Coefficients,
    m: &Membrane,
    s: &mut MembraneState,
    syn: &mut Synapses,
    k: u64,
) -> Option<usize> {
    let n = s.v.len();
    let mut first_bad = None;
    for (chunk, flag) in s.crossed.iter_mut().enumerate() {
        let range = chunk * CHUNK..((chunk + 1) * CHUNK).min(n);
        let len = range.len();
        let v = &mut s.v[range.clone()][..len];
        let v_inf = &s.v_inf[range.clone()][..len];
        let until = &s.refractory_until[range.clone()][..len];
        let ie = &mut syn.exc[range.clone()][..len];
        let ii = &mut syn.inh[range][..len];
        let (mut crossed, mut bad) = (false, false);
        for i in 0..len {
            let new = next_v(c, m, k, until[i], v[i], v_inf[i], (ie[i], ii[i]));
            if CHECK {
                let ok = new.is_finite();
                bad |= !ok;
                v[i] = if ok { new } else { v[i] };
                ie[i] = if ok { ie[i] * c.decay_e } else { ie[i] };
                ii[i] = if ok { ii[i] * c.decay_i } else { ii[i] };
            } else {
                v[i] = new;
                ie[i] *= c.decay_e;
                ii[i] *= c.decay_i;
            }
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
fn next_v(
    c: &Coefficients,
    m: &Membrane,
    k: u64,
    until: u64,
    v: f64,
    v_inf: f64,
    (ie, ii): (f64, f64),
) -> f64 {
    let v_prop = v_inf + (v - v_inf) * m.decay + c.to_v_e * ie + c.to_v_i * ii;
    m.clamp(k, until, v_prop)
}

/// Synaptic-current events: jumps of the drive, refractory or not; a jump
/// that would make the drive non-finite is noted and not made.
fn add_currents(
    drive: &mut [f64],
    events: &[Arrival],
    (watch, variable, k): (&mut Watch, &'static str, u64),
) {
    if !watch.on {
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
    pub fn new(p: &CubaParams, n: usize, dt: f64, rng: &mut Pcg64) -> Self {
        let membrane = Membrane::new(&p.membrane, dt);
        let state = membrane.initial_state(&p.membrane, n, rng);
        let synapses = Synapses {
            exc: rng::draw(&p.init_syn_e, n, rng),
            inh: rng::draw(&p.init_syn_i, n, rng),
        };
        let coefficients = Coefficients {
            to_v_e: synaptic_propagator(dt, p.membrane.tau_m, p.tau_syn_e),
            to_v_i: synaptic_propagator(dt, p.membrane.tau_m, p.tau_syn_i),
            decay_e: (-dt / p.tau_syn_e).exp(),
            decay_i: (-dt / p.tau_syn_i).exp(),
        };
        Self {
            tau_syn_e: p.tau_syn_e,
            tau_syn_i: p.tau_syn_i,
            membrane,
            state,
            synapses,
            coefficients,
            watch: Watch::new(dt),
        }
    }

    /// Note the first neuron of chunk `chunk` whose step gave a non-finite
    /// `v` (its state is still the old one, so its step is redone; a neuron
    /// of the chunk that did step is taken for it only if its next step
    /// overflows too).
    fn locate(&mut self, k: u64, chunk: usize) {
        let (s, syn) = (&self.state, &self.synapses);
        for i in chunk * CHUNK..((chunk + 1) * CHUNK).min(s.v.len()) {
            let drives = (syn.exc[i], syn.inh[i]);
            let until = s.refractory_until[i];
            let new = next_v(
                &self.coefficients,
                &self.membrane,
                k,
                until,
                s.v[i],
                s.v_inf[i],
                drives,
            );
            if !new.is_finite() {
                self.watch.note_at(i, "v", (new, k + 1), (s.v[i], k));
                return;
            }
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
        if !self.watch.on {
            propagate::<false>(c, m, state, synapses, k);
        } else if let Some(chunk) = propagate::<true>(c, m, state, synapses, k) {
            self.locate(k, chunk);
        }
    }

    fn settle(&mut self, k: u64, inputs: &[EventRing], spikes: &mut Vec<u32>) {
        let [jumps, exc, inh, sic] = inputs else {
            unreachable!("the engine passes one ring per port");
        };
        self.membrane.apply_sic(sic.slot(k + 1), &mut self.state);
        let watch = &mut self.watch;
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
        self.membrane
            .apply_jumps(k, jumps.slot(k + 1), &mut self.state, watch);
        self.membrane.fire(k, &mut self.state, spikes);
    }

    fn set_external_drive(&mut self, drive: &[f64]) {
        self.membrane.set_external(&mut self.state, drive);
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
            membrane: self.membrane.clone(),
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
        Some(self.membrane.v_th)
    }

    fn event_model(&self) -> Option<Box<dyn EventModel>> {
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

    fn finite_watch(&mut self) -> Option<&mut Watch> {
        Some(&mut self.watch)
    }
}
