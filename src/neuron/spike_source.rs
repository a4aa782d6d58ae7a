//! A population that replays given spike times, snapped to the nearest grid point.

use super::model::{ModelParams, NeuronModel};
use super::{EventModel, Neuron, Variable};
use crate::engine::finite::Watch;
use crate::engine::persist::Snapshot;
use crate::model::ModelError;
use crate::model::spec::{Port, SimulationSpec};
use crate::synapse::EventRing;
use rand_pcg::Pcg64;

/// Explicit spike times: `(time in seconds, neuron)` pairs, any order.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeList {
    /// The spikes `(time in seconds, neuron)`, in time order.
    pub spikes: Vec<(f64, u32)>,
}

/// `model = "spike_source"`: `spikes` (one array of times per neuron) or
/// `file` (HDF5 or CSV, with `group` in HDF5).
impl NeuronModel for SpikeList {
    fn example() -> (&'static str, &'static str) {
        (r#"spikes = [["1 ms"], [], ["2 ms", "3 ms"], []]"#, "")
    }

    fn parse(r: &ModelParams) -> Result<Self, ModelError> {
        let (params, size) = (&r.params, r.size);
        params.allow(&["spikes", "file", "group"])?;
        r.init.allow(&[])?;
        let spikes = match (params.get("spikes"), params.get("file")) {
            (Some(_), None) => params.spike_lists("spikes", size)?,
            (None, Some(_)) => {
                let path = params.file("file")?.expect("present");
                let group = params
                    .string("group")?
                    .map_or_else(|| "/".to_string(), |g| g.into_inner());
                let spikes = params.spike_file("file", &path, &group)?;
                if let Some((_, n)) = spikes.iter().find(|(_, n)| *n >= size) {
                    return Err(params.error(
                        "file",
                        format!("neuron {n} is out of range for a population of {size}"),
                    ));
                }
                spikes
            }
            _ => {
                return Err(params.error(
                    "spikes",
                    "a spike_source needs exactly one of `spikes` (inline times) or `file`",
                ));
            }
        };
        if let Some((t, _)) = spikes.iter().find(|(t, _)| *t < 0.0) {
            return Err(params.error("spikes", format!("spike time {t} s is negative")));
        }
        Ok(SpikeList { spikes })
    }

    fn spike_times(&self) -> Option<&[(f64, u32)]> {
        Some(&self.spikes)
    }

    fn recordable(&self) -> &'static [&'static str] {
        &[]
    }

    fn build(
        &self,
        n: usize,
        sim: &SimulationSpec,
        _name: &str,
        _init: &mut Pcg64,
    ) -> Box<dyn Neuron> {
        Box::new(SpikeSource::new(self, n, sim))
    }

    /// A source: nothing ends in it.
    fn synapses(&self) -> super::model::Synapses {
        super::model::Synapses::NONE
    }

    fn state_bytes(&self) -> f64 {
        16.0
    }

    fn expected_rate(&self, size: f64, duration: f64) -> Option<f64> {
        Some(self.spikes.len() as f64 / (size * duration.max(1e-9)))
    }
}

/// A population that emits a fixed list of spikes.
pub struct SpikeSource {
    size: usize,
    /// `(grid point, neuron)`, sorted; one entry per neuron and grid point.
    events: Vec<(u64, u32)>,
    cursor: usize,
    /// `(time, neuron)` as given, sorted, for the event-driven engine.
    exact: Vec<(f64, u32)>,
}

/// Exact spike times replayed by the event-driven engine.
struct ExactTimes {
    size: usize,
    spikes: Vec<(f64, u32)>,
    cursor: usize,
}

impl EventModel for ExactTimes {
    fn size(&self) -> usize {
        self.size
    }

    fn emit(&mut self, from: f64, to: f64, out: &mut Vec<(f64, u32)>) {
        while let Some(&(t, n)) = self.spikes.get(self.cursor) {
            if t >= to {
                break;
            }
            if t >= from {
                out.push((t, n));
            }
            self.cursor += 1;
        }
    }

    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("spike_source (event)");
        s.count("neurons", self.size);
        s.count("spikes", self.spikes.len());
        s.cursor("spike cursor", &mut self.cursor, self.spikes.len());
    }

    /// Spike times and rates come validated from the model and only
    /// schedule spikes: no state variable that could become non-finite.
    fn finite_watch(&mut self) -> Option<&mut Watch> {
        None
    }
}

impl SpikeSource {
    /// The source of `size` neurons emitting `list` in the run `sim`.
    pub fn new(list: &SpikeList, size: usize, sim: &SimulationSpec) -> Self {
        let mut events: Vec<(u64, u32)> = list
            .spikes
            .iter()
            .map(|&(t, n)| ((t / sim.dt).round() as u64, n))
            .filter(|&(k, _)| k <= sim.steps)
            .collect();
        events.sort_unstable();
        // Two spikes of one neuron on one grid point are one spike on the grid.
        events.dedup();
        let mut exact: Vec<(f64, u32)> = list
            .spikes
            .iter()
            .copied()
            .filter(|&(t, _)| t <= sim.duration)
            .collect();
        exact.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        exact.dedup();
        Self {
            size,
            events,
            cursor: 0,
            exact,
        }
    }

    fn emit_until(&mut self, grid: u64, spikes: &mut Vec<u32>) {
        while let Some(&(k, n)) = self.events.get(self.cursor) {
            if k > grid {
                break;
            }
            spikes.push(n);
            self.cursor += 1;
        }
    }
}

impl Neuron for SpikeSource {
    fn size(&self) -> usize {
        self.size
    }

    fn ports(&self) -> &'static [Port] {
        &[]
    }

    fn variables(&self) -> Vec<Variable> {
        Vec::new()
    }

    fn settle(&mut self, k: u64, _inputs: &[EventRing], spikes: &mut Vec<u32>) {
        self.emit_until(k + 1, spikes);
    }

    fn initial_spikes(&mut self, spikes: &mut Vec<u32>) {
        self.emit_until(0, spikes);
    }

    fn sample(&self, _variable: &str, _neurons: &[u32], _out: &mut Vec<f64>) {}

    fn split(&self, offset: usize, len: usize) -> Box<dyn Neuron> {
        let range = offset as u32..(offset + len) as u32;
        let events = self.events[self.cursor..]
            .iter()
            .filter(|(_, n)| range.contains(n))
            .map(|&(k, n)| (k, n - range.start))
            .collect();
        let exact = self
            .exact
            .iter()
            .filter(|(_, n)| range.contains(n))
            .map(|&(t, n)| (t, n - range.start))
            .collect();
        Box::new(Self {
            size: len,
            events,
            cursor: 0,
            exact,
        })
    }

    fn event_model(&self) -> Option<Box<dyn EventModel>> {
        Some(Box::new(ExactTimes {
            size: self.size,
            spikes: self.exact.clone(),
            cursor: 0,
        }))
    }

    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("spike_source");
        s.count("neurons", self.size);
        s.count("spikes", self.events.len());
        s.cursor("spike cursor", &mut self.cursor, self.events.len());
    }

    /// Spike times and rates come validated from the model and only
    /// schedule spikes: no state variable that could become non-finite.
    fn finite_watch(&mut self) -> Option<&mut Watch> {
        None
    }
}
