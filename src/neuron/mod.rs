//! Neuron models, one file each, with state as structure-of-arrays.
//!
//! # The clock step
//! A step advances a population from grid point `k` (time `k·dt`) to `k+1`:
//! 1. the state is propagated exactly over `dt` (linear dynamics, inputs
//!    held constant over the step); neurons that are refractory keep
//!    `v = v_reset` and count down;
//! 2. synaptic input that arrives at grid point `k+1` is added: a voltage
//!    jump for delta synapses (dropped while refractory, as in NEST), a
//!    jump of the synaptic current for current synapses;
//! 3. a neuron whose `v` now exceeds `v_th` spikes at grid point `k+1`
//!    (step index `k+1`, time `(k+1)·dt`), is reset to `v_reset` and stays
//!    there for `round(t_ref/dt)` steps.
//!
//! A spike at grid point `k` with a delay of `d` steps reaches its targets
//! at grid point `k+d`. This is NEST's order; Brian2 applies `on_pre`
//! effects of a spike in the step it is detected, which is this order with
//! one step less of delay.

pub mod adex;
pub mod amsu;
pub mod astrocyte;
pub mod cond_lif;
pub mod cuba_lif;
pub mod discrete_lif;
pub mod lif;
pub mod loihi_lif;
pub mod membrane;
pub mod meta;
pub mod model;
pub mod ode;
pub mod per_neuron;
pub mod poisson;
pub mod registry;
pub mod spike_pattern;
pub mod spike_source;
pub mod trajectory;

#[cfg(test)]
mod options_tests;

use rand_pcg::Pcg64;

use crate::engine::finite::Watch;
use crate::engine::persist::Snapshot;
use crate::engine::rng;
use crate::model::spec::{NeuronKind, PopulationSpec, Port, SimulationSpec};
use crate::synapse::EventRing;

/// A recordable state variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    /// The variable's name in `[[record]]` and results files.
    pub name: &'static str,
    /// SI unit of the recorded values.
    pub unit: &'static str,
}

/// What every neuron model provides to the engines.
pub trait Neuron: Send {
    /// Number of neurons.
    fn size(&self) -> usize;

    /// Input ports, in the order `step` receives their buffers.
    fn ports(&self) -> &'static [Port];

    /// The variables `[[record]]` may sample, with their units.
    fn variables(&self) -> Vec<Variable>;

    /// Advance from grid point `k` to `k + 1`. `inputs[j]` holds the events
    /// for port `ports()[j]`; the model applies those of grid point `k + 1`
    /// (the engine empties the slot afterwards). Indices of neurons that
    /// spike at `k + 1` are appended to `spikes` in increasing order.
    fn step(&mut self, k: u64, inputs: &[EventRing], spikes: &mut Vec<u32>) {
        self.propagate(k);
        self.settle(k, inputs, spikes);
    }

    /// The first half of `step`: the free evolution over the step, which
    /// needs no input. The engine runs it while spikes are still being
    /// exchanged, so that workers overlap their waiting with work.
    fn propagate(&mut self, _k: u64) {}

    /// The second half of `step`: apply the inputs of grid point `k + 1`,
    /// then threshold and reset.
    fn settle(&mut self, k: u64, inputs: &[EventRing], spikes: &mut Vec<u32>);

    /// For models whose output is a continuous signal rather than spikes
    /// (the astrocytes' slow inward current): each neuron's value after the
    /// last `settle`. The clock engine sends the non-zero ones every step
    /// like spikes, each value multiplying the synaptic weight.
    fn graded(&self) -> Option<&[f64]> {
        None
    }

    /// Spikes that happen at grid point 0, before the first step.
    fn initial_spikes(&mut self, _spikes: &mut Vec<u32>) {}

    /// Set the external drive (a voltage, `r_m * i_ext`) per neuron; it holds
    /// until changed. Models without a membrane ignore it.
    fn set_external_drive(&mut self, _drive: &[f64]) {}

    /// Append the current values of `variable` for `neurons`.
    fn sample(&self, variable: &str, neurons: &[u32], out: &mut Vec<f64>);

    /// A model of the neurons `offset..offset + len` with their current
    /// state, for a worker that owns only those.
    fn split(&self, offset: usize, len: usize) -> Box<dyn Neuron>;

    /// Firing threshold, for plots.
    fn threshold(&self) -> Option<f64> {
        None
    }

    /// The same neurons, in their current state, for the event-driven
    /// engine; `None` for models it cannot run.
    fn event_model(&self) -> Option<Box<dyn EventModel>> {
        None
    }

    /// Save or restore (see [`crate::engine::persist`]) everything that
    /// changes during a run; loading into a model built from another
    /// model or size is an error.
    fn persist(&mut self, s: &mut Snapshot);

    /// The model's record of state variables that became NaN or infinite
    /// (see `engine::finite`); `None` only for models without float state
    /// that evolves (spike sources). No default: a float model must check.
    fn finite_watch(&mut self) -> Option<&mut Watch>;
}

/// What the event-driven engine should schedule for a neuron next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Next {
    /// Nothing new: no crossing can come before what is already scheduled
    /// for the neuron, if anything (a pending spike is dropped).
    Nothing,
    /// No crossing can happen before this time: look again then.
    Check(f64),
    /// The neuron reaches threshold at this time unless an input comes first.
    Spike(f64),
}

/// The event-driven view of a population: each neuron is advanced in closed
/// form to the time of whatever reaches it.
pub trait EventModel: Send {
    /// Number of neurons.
    fn size(&self) -> usize;

    /// Sources: append their spikes with times in `[from, to)`, ordered by
    /// time then neuron.
    fn emit(&mut self, _from: f64, _to: f64, _out: &mut Vec<(f64, u32)>) {}

    /// A synaptic input of `weight` at `port` reaches neuron `i` at `t`.
    fn receive(&mut self, _i: usize, _t: f64, _port: Port, _weight: f64) -> Next {
        Next::Nothing
    }

    /// One spike reaches several neurons at `t`: `targets[k]` receives
    /// `weights[k]` at `port`. `then` is told, target by target in order,
    /// what to schedule. One call per spike rather than per target lets a
    /// model share the work that depends on `t` alone.
    fn receive_all(
        &mut self,
        t: f64,
        port: Port,
        targets: &[u32],
        weights: &[f32],
        then: &mut dyn FnMut(usize, Next),
    ) {
        for (&i, &w) in targets.iter().zip(weights) {
            then(i as usize, self.receive(i as usize, t, port, w as f64));
        }
    }

    /// Neuron `i` will be looked at shortly: a hint to fetch its state.
    fn prefetch(&self, _i: usize) {}

    /// A scheduled check is due: find the exact next crossing, if any.
    fn check(&mut self, _i: usize, _t: f64) -> Next {
        Next::Nothing
    }

    /// Neuron `i` reached threshold at `t`: reset it.
    fn fire(&mut self, _i: usize, _t: f64) -> Next {
        Next::Nothing
    }

    /// The external drive (`r_m * i_ext`, volts) of neuron `i` becomes `drive` at `t`.
    fn set_drive(&mut self, _i: usize, _t: f64, _drive: f64) -> Next {
        Next::Nothing
    }

    /// The value of `variable` of neuron `i` at time `t` (not before its last update).
    fn value(&mut self, _variable: &str, _i: usize, _t: f64) -> f64 {
        f64::NAN
    }

    /// Save or restore everything that changes during a run (as
    /// [`Neuron::persist`]).
    fn persist(&mut self, s: &mut Snapshot);

    /// As [`Neuron::finite_watch`]: every update that can make the state
    /// non-finite (`receive`, `receive_all`, `set_drive`) is checked.
    fn finite_watch(&mut self) -> Option<&mut Watch>;
}

/// Build a population's model with its initial state.
pub fn build(spec: &PopulationSpec, sim: &SimulationSpec) -> Box<dyn Neuron> {
    let n = spec.size as usize;
    let mut init_rng: Pcg64 = rng::stream(sim.seed, "init", &spec.name);
    spec.kind.model().build(n, sim, &spec.name, &mut init_rng)
}

/// Slices of a population must hold whole multiples of this many neurons
/// (an AM-SU group is advanced by one worker).
pub fn split_granule(kind: &NeuronKind) -> u32 {
    kind.model().split_granule()
}

/// The elements `offset..offset + len` of a per-neuron vector.
pub(crate) fn part<T: Clone>(v: &[T], offset: usize, len: usize) -> Vec<T> {
    v[offset..offset + len].to_vec()
}

#[cfg(test)]
mod finite_tests {
    //! Every float model stops a non-finite value where it appears (see
    //! `engine::finite`): its state is poisoned through an infinite drive
    //! (the way a model file cannot: validation bounds every drive), or
    //! directly where there is no drive.

    use super::*;
    use crate::model::validate::parse_model;
    use std::path::Path;

    const DT: f64 = 1e-4;

    fn model(kind: &str, params: &str, n: u32) -> Box<dyn Neuron> {
        let text = format!(
            "[simulation]\ndt = \"0.1 ms\"\nduration = \"10 ms\"\n\n[[population]]\nname = \"p\"\n\
             size = {n}\nmodel = \"{kind}\"\nparams = {{ {params} }}\ninit = {{ v = \"-60 mV\" }}\n"
        );
        let spec = parse_model(Path::new("m.toml"), &text).unwrap();
        build(&spec.populations[0], &spec.simulation)
    }

    /// Steps `0..k` quietly, then an infinite drive for `bad` from grid point
    /// `k`: `v` would be NaN after step `k → k + 1`; returns the note, `v`
    /// at `k` and after the step.
    fn poisoned_drive(
        mut m: Box<dyn Neuron>,
        bad: u32,
        k: u64,
        on: bool,
    ) -> (Option<Bad>, f64, f64) {
        m.finite_watch().unwrap().on = on;
        let rings: Vec<EventRing> = m.ports().iter().map(|_| EventRing::new(4)).collect();
        let mut spikes = Vec::new();
        for step in 0..k {
            m.step(step, &rings, &mut spikes);
        }
        let mut before = Vec::new();
        m.sample("v", &[bad], &mut before);
        let mut drive = vec![0.0; m.size()];
        drive[bad as usize] = f64::INFINITY;
        m.set_external_drive(&drive);
        m.step(k, &rings, &mut spikes);
        let mut after = Vec::new();
        m.sample("v", &[bad], &mut after);
        (m.finite_watch().unwrap().first(), before[0], after[0])
    }

    use crate::engine::finite::Bad;

    #[test]
    fn membrane_models_note_the_step_that_makes_v_nan_and_keep_the_last_value() {
        let membrane = r#"tau_m = "20 ms", v_rest = "-70 mV", v_th = "-50 mV""#;
        let cases = [
            ("lif", membrane.to_string(), 130, 70),
            (
                "cuba_lif",
                format!(r#"{membrane}, tau_syn = "5 ms""#),
                130,
                65,
            ),
            ("lif", membrane.to_string(), 130, 129),
            (
                "amsu_lif",
                format!(r#"{membrane}, group_size = 10, tau_a = "100 ms", kappa = 2.0"#),
                40,
                23,
            ),
            (
                "meta",
                format!(r#"{membrane}, rho_0 = "100 Hz", delta_u = "2 mV""#),
                30,
                7,
            ),
        ];
        for (kind, params, n, bad) in cases {
            let k = 12;
            let (note, before, after) = poisoned_drive(model(kind, &params, n), bad, k, true);
            let note = note.unwrap_or_else(|| panic!("{kind}: no note"));
            assert_eq!((note.neuron, note.variable), (bad, "v"), "{kind}");
            assert!(note.value.is_nan(), "{kind}");
            assert_eq!(
                (note.time, note.last_time),
                ((k + 1) as f64 * DT, k as f64 * DT)
            );
            // No input: v relaxes from -60 mV towards -70 mV.
            let closed = -70e-3 + 10e-3 * (-(k as f64) * DT / 20e-3).exp();
            assert!(
                (before - closed).abs() < 1e-12,
                "{kind}: {before} vs {closed}"
            );
            assert_eq!(note.last_finite, before, "{kind}");
            assert!(after.is_finite(), "{kind}: the neuron keeps a finite drive");
            // Unchecked, the NaN is stored as before.
            let (note, _, after) = poisoned_drive(model(kind, &params, n), bad, k, false);
            assert!(note.is_none() && after.is_nan(), "{kind}");
        }
    }

    /// A jump of +inf (no synapse table holds one: weights are validated)
    /// to a LIF neuron at grid point `k + 1`: noted, with `v` just before it
    /// (propagated to `k + 1`) as the last finite value, and not made.
    #[test]
    fn a_non_finite_jump_is_noted_and_not_made() {
        let mut m = model(
            "lif",
            r#"tau_m = "20 ms", v_rest = "-70 mV", v_th = "-50 mV""#,
            8,
        );
        let mut rings: Vec<EventRing> = m.ports().iter().map(|_| EventRing::new(4)).collect();
        let k = 5;
        let mut spikes = Vec::new();
        for step in 0..k {
            m.step(step, &rings, &mut spikes);
        }
        rings[0].slot_mut(k + 1).push(crate::synapse::Arrival {
            target: 3,
            weight: f32::INFINITY,
        });
        m.step(k, &rings, &mut spikes);
        let mut v = Vec::new();
        m.sample("v", &[3], &mut v);
        let closed = -70e-3 + 10e-3 * (-((k + 1) as f64) * DT / 20e-3).exp();
        let note = m.finite_watch().unwrap().first().unwrap();
        assert_eq!(
            (note.neuron, note.variable, note.value),
            (3, "v", f64::INFINITY)
        );
        assert_eq!(
            (note.time, note.last_time),
            ((k + 1) as f64 * DT, (k + 1) as f64 * DT)
        );
        assert!((note.last_finite - closed).abs() < 1e-12);
        assert_eq!(v[0], note.last_finite);
        assert!(spikes.is_empty());
    }

    #[test]
    fn the_event_form_refuses_a_non_finite_drive_or_input() {
        let params = r#"tau_m = "20 ms", v_rest = "-70 mV", v_th = "-50 mV", tau_syn = "5 ms""#;
        let m = model("cuba_lif", params, 4);
        let mut cells = m.event_model().unwrap();
        let t = 3.3e-3;
        let before = cells.value("v", 2, t);
        assert_eq!(cells.set_drive(2, t, f64::INFINITY), Next::Nothing);
        let note = cells.finite_watch().unwrap().first().unwrap();
        assert_eq!((note.neuron, note.variable, note.time), (2, "v", t));
        assert!(note.value.is_nan());
        assert_eq!((note.last_finite, note.last_time), (before, t));
        assert_eq!(cells.value("v", 2, t), before, "the cell keeps its state");

        let mut cells = m.event_model().unwrap();
        let before = cells.value("i_syn_e", 1, t);
        assert_eq!(
            cells.receive(1, t, Port::CurrentExc, f64::INFINITY),
            Next::Nothing
        );
        let note = cells.finite_watch().unwrap().first().unwrap();
        assert_eq!((note.neuron, note.variable, note.time), (1, "i_syn_e", t));
        assert_eq!((note.value, note.last_finite), (f64::INFINITY, before));
        assert_eq!(cells.value("i_syn_e", 1, t), before);
    }
}
