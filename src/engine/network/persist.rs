//! What a checkpoint saves of a built network: each worker's slices
//! (neuron state, spikes in flight, background generators) and the plastic
//! state of its projection parts; the rest is rebuilt from the model.

use crate::engine::network::{Network, ProjectionPart, Slice, Worker};
use crate::engine::persist::{Persist, PersistError, Snapshot, load_all, save_all};

/// Every worker's state, one blob each (see [`load_workers`]).
pub fn save_workers(net: &mut Network) -> Vec<Vec<u8>> {
    save_all(&mut net.workers)
}

/// Restore every worker of a freshly built `net` (same model, same ranks
/// and threads) from the blobs of [`save_workers`].
pub fn load_workers(net: &mut Network, blobs: &[Vec<u8>]) -> Result<(), PersistError> {
    load_all(&mut net.workers, blobs)
}

impl Persist for Slice {
    fn persist(&mut self, s: &mut Snapshot) {
        s.same("population", &mut self.population);
        s.same("offset", &mut self.offset);
        s.count("neurons", self.neuron.size());
        s.section("neuron", |s| self.neuron.persist(s));
        s.section("inputs", |s| s.items(&mut self.inputs));
        let n = self.neuron.size();
        for ring in &self.inputs {
            for slot in ring.slots_ref() {
                let targets: Vec<u32> = slot.iter().map(|a| a.target).collect();
                s.below("arrival target", &targets, n);
            }
        }
        s.present("background", &mut self.background);
    }
}

impl Persist for ProjectionPart {
    fn persist(&mut self, s: &mut Snapshot) {
        s.same("target slice", &mut self.slice);
        s.count("synapses", self.synapses.len());
        s.present("plasticity", &mut self.plastic);
    }
}

impl Persist for Worker {
    fn persist(&mut self, s: &mut Snapshot) {
        s.section("slices", |s| {
            s.count("slices", self.slices.len());
            for (i, slice) in self.slices.iter_mut().enumerate() {
                s.section(&format!("slice {i}"), |s| slice.persist(s));
            }
        });
        s.section("projections", |s| {
            s.count("projections", self.parts.len());
            for (j, parts) in self.parts.iter_mut().enumerate() {
                s.section(&format!("projection {j}"), |s| s.items(parts));
            }
        });
    }
}
