//! State recording shared by both schedulers: each slice samples its own
//! recorded neurons, and the samples are put together into whole-population
//! traces at the end of the run.

use crate::engine::network::Network;
use crate::io::results::StateTrace;
use crate::model::memory::{MemoryError, try_vec, try_with_capacity};
use crate::model::spec::RecordSpec;
use crate::neuron::Neuron;

/// The samples one slice takes for one `[[record]]`.
pub struct SliceRecorder {
    pub record: usize,
    pub every: u64,
    pub variables: Vec<String>,
    /// Recorded neurons of this slice (local indices) and their columns in
    /// the record's traces.
    pub local: Vec<u32>,
    pub columns: Vec<usize>,
    /// One row-major buffer per variable.
    pub values: Vec<Vec<f64>>,
}

/// The recorders of a slice of `population` holding neurons
/// `offset..offset + len`, their buffers reserved for a run of `steps`.
pub fn slice_recorders(
    population: usize,
    offset: u32,
    len: usize,
    records: &[RecordSpec],
    steps: u64,
) -> Result<Vec<SliceRecorder>, MemoryError> {
    let range = offset..offset + len as u32;
    records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.population == population)
        .map(|(i, r)| {
            let neurons: Vec<u32> = r.neurons.clone().unwrap_or_else(|| range.clone().collect());
            let (columns, local): (Vec<usize>, Vec<u32>) = neurons
                .iter()
                .enumerate()
                .filter(|(_, n)| range.contains(n))
                .map(|(c, &n)| (c, n - offset))
                .unzip();
            let samples = rows(steps, r.every).saturating_mul(local.len());
            let values = (0..r.variables.len())
                .map(|_| try_with_capacity(samples, RECORDINGS))
                .collect::<Result<_, _>>()?;
            Ok(SliceRecorder {
                record: i,
                every: r.every,
                variables: r.variables.clone(),
                local,
                columns,
                values,
            })
        })
        .collect()
}

const RECORDINGS: &str = "state recordings";

/// Samples a record takes over `steps`: grid points `0, every, 2 every, ...`
/// before `steps`.
fn rows(steps: u64, every: u64) -> usize {
    steps.div_ceil(every.max(1)) as usize
}

/// Whole-population traces being put together.
pub struct Traces {
    pub states: Vec<StateTrace>,
    /// Index in `states` of each record's first variable.
    first: Vec<usize>,
}

impl Traces {
    /// Empty traces for every record, sized for the run.
    pub fn new(net: &Network, records: &[RecordSpec]) -> Result<Self, MemoryError> {
        let mut states = Vec::new();
        let mut first = Vec::new();
        for r in records {
            first.push(states.len());
            let pop = &net.populations[r.population];
            let neurons = r
                .neurons
                .clone()
                .unwrap_or_else(|| (0..pop.size as u32).collect());
            let steps: Vec<u64> = (0..net.steps).step_by(r.every as usize).collect();
            for v in &r.variables {
                states.push(StateTrace {
                    population: pop.name.clone(),
                    variable: v.clone(),
                    values: try_vec(steps.len() * neurons.len(), 0.0, RECORDINGS)?,
                    neurons: neurons.clone(),
                    steps: steps.clone(),
                    ..Default::default()
                });
            }
        }
        Ok(Self { states, first })
    }

    /// Put one slice's samples into their columns; `neuron` gives units and threshold.
    pub fn add(&mut self, recorders: Vec<SliceRecorder>, neuron: &dyn Neuron) {
        let units = neuron.variables();
        for r in recorders {
            for (v, values) in r.values.iter().enumerate() {
                let trace = &mut self.states[self.first[r.record] + v];
                let (width, local_width) = (trace.neurons.len(), r.local.len());
                for row in 0..trace.steps.len() {
                    for (c, &column) in r.columns.iter().enumerate() {
                        trace.values[row * width + column] = values[row * local_width + c];
                    }
                }
                let variable = &r.variables[v];
                trace.unit = units
                    .iter()
                    .find(|u| u.name == variable)
                    .map_or("", |u| u.unit)
                    .to_string();
                if variable == "v" {
                    trace.threshold = neuron.threshold();
                }
            }
        }
    }
}
