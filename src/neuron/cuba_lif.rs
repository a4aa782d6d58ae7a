//! Current-based LIF: exponentially decaying excitatory and inhibitory
//! synaptic currents feed the membrane,
//! `tau_m dv/dt = (v_rest - v) + r_m (i_e + i_ext + i_syn_e + i_syn_i)`,
//! `tau_syn_e di_syn_e/dt = -i_syn_e` (likewise for `i_syn_i`).
//! Currents are carried internally as the voltages `r_m · i` (Brian2's CUBA
//! convention), so the model also works without a membrane resistance.

use rand_pcg::Pcg64;

use multiversion::multiversion;

mod event;

use super::membrane::{self, CHUNK, Membrane, MembraneState, synaptic_propagator};
use super::membrane::{MEMBRANE_PARAMS, MembraneParams};
use super::model::{self, ModelParams, NeuronModel, Quantizable};
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
pub struct CubaParams {
    pub membrane: MembraneParams,
    pub tau_syn_e: f64,
    pub tau_syn_i: f64,
    /// Initial synaptic currents as voltages (`r_m * i`).
    pub init_syn_e: ValueSpec,
    pub init_syn_i: ValueSpec,
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
        params.allow(&allowed)?;
        init.allow(&["v", "i_syn_e", "i_syn_i"])?;
        let membrane = MembraneParams::read(r)?;
        let (tau_syn_e, tau_syn_i) = match params.get("tau_syn") {
            Some(_) => {
                if params.get("tau_syn_e").is_some() || params.get("tau_syn_i").is_some() {
                    return Err(params.error(
                        "tau_syn",
                        "give either `tau_syn` or `tau_syn_e` and `tau_syn_i`, not both",
                    ));
                }
                let t = params.positive("tau_syn", Dimension::Time)?;
                (t, t)
            }
            None => (
                params.positive("tau_syn_e", Dimension::Time)?,
                params.positive("tau_syn_i", Dimension::Time)?,
            ),
        };
        let n = Some(r.size as usize);
        Ok(CubaParams {
            init_syn_e: init.drive("i_syn_e", membrane.r_m, n)?,
            init_syn_i: init.drive("i_syn_i", membrane.r_m, n)?,
            membrane,
            tau_syn_e,
            tau_syn_i,
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

    /// The membrane's 64 bytes and the two synaptic drives, rounded up.
    fn state_bytes(&self) -> f64 {
        96.0
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

    fn takes_sic(&self) -> bool {
        true
    }

    fn event_time_constants(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("tau_m", self.membrane.tau_m),
            ("tau_syn_e", self.tau_syn_e),
            ("tau_syn_i", self.tau_syn_i),
        ]
    }

    fn exact_membrane(&self) -> Option<&MembraneParams> {
        Some(&self.membrane)
    }

    fn quantizable(&self) -> Option<Quantizable<'_>> {
        Some(Quantizable {
            membrane: &self.membrane,
            tau_syn: Some((self.tau_syn_e, self.tau_syn_i)),
            init_syn: Some((&self.init_syn_e, &self.init_syn_i)),
        })
    }
}

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
        if !state.pending_bad.is_empty() {
            let synaptic = |i: usize| c.to_v_e * synapses.exc[i] + c.to_v_i * synapses.inh[i];
            membrane::note_pending(m, state, (k, &mut self.watch), synaptic);
        }
        propagate(c, m, state, synapses, k);
    }

    fn settle(&mut self, k: u64, inputs: &[EventRing], spikes: &mut Vec<u32>) {
        let [jumps, exc, inh, sic] = inputs else {
            unreachable!("the engine passes one ring per port");
        };
        self.membrane
            .apply_sic(sic.slot(k + 1), &mut self.state, &self.watch);
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
