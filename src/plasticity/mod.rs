//! Plasticity of projections: STDP (pair and triplet), Hebbian rate rules,
//! and the pure Hebbian linear algebra the learning code builds on.
//!
//! Where the state lives: a plastic projection's weights and traces are
//! kept with the synapses' *target* — in the [`PlasticPart`] beside each
//! `ProjectionPart`, owned by the worker that owns the target neurons. Both
//! things a weight change depends on reach that worker anyway: presynaptic
//! spikes are delivered to it (and the change happens when a spike *arrives*
//! at the synapse), and postsynaptic spikes are its own. So no weight ever
//! crosses threads, each synapse sees its events in time order, and the
//! result is the same for any number of workers.
//!
//! Static projections take no detour: only parts with a `PlasticPart` have
//! their arrivals routed through it.

pub mod hebbian;
pub mod rate;
pub mod spec;
pub mod stdp;

pub use spec::PlasticitySpec;

use crate::engine::persist::{Persist, Snapshot};
use crate::synapse::{Arrival, Csr};
use rate::TraceHebbian;
use stdp::Stdp;

#[derive(Debug, Clone)]
enum Rule {
    Stdp(Stdp),
    Hebbian(TraceHebbian),
}

/// The plastic state of one projection part (the synapses of one
/// projection that end in one slice).
#[derive(Debug, Clone)]
pub struct PlasticPart {
    /// Current weights, in the part's CSR order (f64: the CSR's f32 copy
    /// would round every small change away).
    pub weights: Vec<f64>,
    rule: Rule,
    /// Synapses by target: `incoming[incoming_offsets[i]..incoming_offsets[i + 1]]`.
    incoming_offsets: Vec<usize>,
    incoming: Vec<u32>,
    /// Clock engine: synapses whose presynaptic spike arrives at a grid
    /// point, by arrival step modulo the ring length.
    pending: Vec<Vec<u32>>,
    /// Weight snapshots: `(grid step, weights)`.
    pub snapshots: Vec<(u64, Vec<f64>)>,
}

impl PlasticPart {
    /// State for the synapses `csr` onto `targets` neurons, initial weights
    /// clipped to the rule's bounds.
    pub fn new(spec: &PlasticitySpec, csr: &Csr, targets: usize) -> Self {
        let (w_min, w_max) = spec.bounds();
        let weights = csr
            .weights
            .iter()
            .map(|&w| (w as f64).clamp(w_min, w_max))
            .collect();
        let mut incoming_offsets = vec![0usize; targets + 1];
        for &t in &csr.targets {
            incoming_offsets[t as usize + 1] += 1;
        }
        for i in 0..targets {
            incoming_offsets[i + 1] += incoming_offsets[i];
        }
        let mut fill = incoming_offsets.clone();
        let mut incoming = vec![0u32; csr.len()];
        for (s, &t) in csr.targets.iter().enumerate() {
            incoming[fill[t as usize]] = s as u32;
            fill[t as usize] += 1;
        }
        let rule = match spec {
            PlasticitySpec::Stdp(s) => Rule::Stdp(Stdp::new(s.clone(), csr.len(), targets)),
            PlasticitySpec::Hebbian(h) => {
                Rule::Hebbian(TraceHebbian::new(h.clone(), csr.len(), targets))
            }
        };
        Self {
            weights,
            rule,
            incoming_offsets,
            incoming,
            pending: vec![Vec::new(); csr.max_delay() as usize + 1],
            snapshots: Vec::new(),
        }
    }

    /// A presynaptic spike reaches synapse `s` (onto `post`) at `t`:
    /// returns the weight it carries, after the rule has seen it.
    pub fn on_pre(&mut self, s: usize, post: usize, t: f64) -> f64 {
        match &mut self.rule {
            Rule::Stdp(r) => r.on_pre(s, post, t, &mut self.weights[s]),
            Rule::Hebbian(r) => r.on_pre(s, t),
        }
        self.weights[s]
    }

    /// Target `post` fires at `t`.
    pub fn on_post(&mut self, post: usize, t: f64) {
        match &mut self.rule {
            Rule::Stdp(r) => {
                let incoming =
                    &self.incoming[self.incoming_offsets[post]..self.incoming_offsets[post + 1]];
                r.on_post(post, t, incoming, &mut self.weights);
            }
            Rule::Hebbian(r) => r.on_post(post, t),
        }
    }

    /// Steps between periodic updates, for rules that have them.
    pub fn update_every(&self) -> Option<u64> {
        match &self.rule {
            Rule::Hebbian(r) => Some(r.every()),
            Rule::Stdp(_) => None,
        }
    }

    /// The periodic update due at grid step `k` (time `k dt`), if any.
    pub fn update_at(&mut self, k: u64, dt: f64, csr: &Csr) {
        if let Rule::Hebbian(r) = &mut self.rule
            && k > 0
            && k.is_multiple_of(r.every())
        {
            let h = r.every() as f64 * dt;
            r.update(k as f64 * dt, h, csr, &mut self.weights);
        }
    }

    /// Room for arrivals `extra` grid points further out (the event engine
    /// rounds real arrival times up onto the grid).
    pub fn widen_queue(&mut self, extra: usize) {
        self.pending.resize(self.pending.len() + extra, Vec::new());
    }

    /// Clock engine: synapse `s`'s spike arrives at grid point `step`.
    pub fn queue(&mut self, step: u64, s: u32) {
        let n = self.pending.len() as u64;
        self.pending[(step % n) as usize].push(s);
    }

    /// Clock engine: apply the arrivals of grid point `step` (time `t`) and
    /// append the events they carry to `slot`.
    pub fn arrive(&mut self, step: u64, t: f64, csr: &Csr, slot: &mut Vec<Arrival>) {
        let n = self.pending.len() as u64;
        let i = (step % n) as usize;
        if self.pending[i].is_empty() {
            return;
        }
        let arrivals = std::mem::take(&mut self.pending[i]);
        for &s in &arrivals {
            let target = csr.targets[s as usize];
            let weight = self.on_pre(s as usize, target as usize, t) as f32;
            slot.push(Arrival { target, weight });
        }
        let mut arrivals = arrivals;
        arrivals.clear();
        self.pending[i] = arrivals;
    }

    /// Saves a copy of the weights at step `step`, for the weight recording.
    pub fn snapshot(&mut self, step: u64) {
        self.snapshots.push((step, self.weights.clone()));
    }
}

/// Weights, traces, queued arrivals and the snapshots taken so far; the
/// rule's parameters and the synapses by target come from the model.
impl Persist for PlasticPart {
    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("plastic");
        s.slice(&mut self.weights);
        match &mut self.rule {
            Rule::Stdp(r) => r.persist(s),
            Rule::Hebbian(r) => r.persist(s),
        }
        // The queue's length (widened by the event engine's grid) fixes
        // which slot an arrival step maps to.
        s.count("arrival queue slots", self.pending.len());
        for slot in &mut self.pending {
            s.vec(slot);
            s.below("queued synapse", slot, self.weights.len());
        }
        s.seq(
            &mut self.snapshots,
            (0, Vec::new()),
            |s, (step, weights)| {
                s.scalar(step);
                s.vec(weights);
            },
        );
        let n = self.weights.len();
        if let Some((step, _)) = self.snapshots.iter().find(|(_, w)| w.len() != n) {
            s.invalid(format!(
                "the weight snapshot of step {step} is not of {n} synapses"
            ));
        }
    }
}
