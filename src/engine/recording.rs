//! State recording shared by both schedulers: each slice samples its own
//! recorded neurons, and the samples are put together into whole-population
//! traces at the end of each segment of the run (see `engine::segment`).

use crate::engine::network::Network;
use crate::io::results::StateTrace;
use crate::model::memory::{MemoryError, try_vec, try_with_capacity};
use crate::model::spec::RecordSpec;
use crate::neuron::Neuron;

/// The samples one slice takes for one `[[record]]`.
pub struct SliceRecorder {
    /// Index of the `[[record]]` in the model.
    pub record: usize,
    /// Sampling interval, in steps.
    pub every: u64,
    /// The variables sampled.
    pub variables: Vec<String>,
    /// Recorded neurons of this slice (local indices) and their columns in
    /// the record's traces.
    pub local: Vec<u32>,
    /// The column of each recorded neuron in the record's traces.
    pub columns: Vec<usize>,
    /// One row-major buffer per variable.
    pub values: Vec<Vec<f64>>,
}

/// The recorders of a slice of `population` holding neurons
/// `offset..offset + len`; their buffers grow until a segment ends.
pub fn slice_recorders(
    population: usize,
    offset: u32,
    len: usize,
    records: &[RecordSpec],
) -> Result<Vec<SliceRecorder>, MemoryError> {
    let range = offset..offset + len as u32;
    records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.population == population)
        .map(|(i, r)| {
            // A column is the neuron's place in the whole record: its index
            // in the list, or in the population when the record names none
            // (not in this slice, which starts at `offset`).
            let (columns, local): (Vec<usize>, Vec<u32>) = match &r.neurons {
                Some(list) => list
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| range.contains(n))
                    .map(|(c, &n)| (c, n - offset))
                    .unzip(),
                None => range.clone().map(|n| (n as usize, n - offset)).unzip(),
            };
            let values = (0..r.variables.len())
                .map(|_| try_with_capacity(0, RECORDINGS))
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

/// The grid points in `from..through` a record of period `every` samples.
fn sampled_steps(from: u64, through: u64, every: u64) -> Vec<u64> {
    let every = every.max(1);
    (from.div_ceil(every) * every..through)
        .step_by(every as usize)
        .collect()
}

/// Whole-population traces being put together.
pub struct Traces {
    /// One trace per recorded population and variable.
    pub states: Vec<StateTrace>,
    /// Index in `states` of each record's first variable.
    first: Vec<usize>,
}

impl Traces {
    /// Empty traces for every record, sized for the samples of grid points
    /// `from..through`.
    pub fn new(
        net: &Network,
        records: &[RecordSpec],
        from: u64,
        through: u64,
    ) -> Result<Self, MemoryError> {
        let mut states = Vec::new();
        let mut first = Vec::new();
        for r in records {
            first.push(states.len());
            let pop = &net.populations[r.population];
            let neurons = r
                .neurons
                .clone()
                .unwrap_or_else(|| (0..pop.size as u32).collect());
            let steps = sampled_steps(from, through, r.every);
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

    /// Put one slice's samples into their columns, emptying its buffers;
    /// `neuron` gives units and threshold.
    pub fn add(&mut self, recorders: &mut [SliceRecorder], neuron: &dyn Neuron) {
        let units = neuron.variables();
        for r in recorders {
            for (v, values) in r.values.iter_mut().enumerate() {
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
                values.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sampled_steps;

    #[test]
    fn a_segment_samples_the_multiples_of_the_period_within_it() {
        assert_eq!(sampled_steps(0, 7, 3), vec![0, 3, 6]);
        assert_eq!(sampled_steps(1, 7, 3), vec![3, 6]);
        assert_eq!(sampled_steps(7, 13, 3), vec![9, 12]);
        assert_eq!(sampled_steps(5, 5, 1), Vec::<u64>::new());
        // Consecutive segments together sample what one would.
        let whole = sampled_steps(0, 100, 7);
        let mut parts = sampled_steps(0, 31, 7);
        parts.extend(sampled_steps(31, 64, 7));
        parts.extend(sampled_steps(64, 100, 7));
        assert_eq!(parts, whole);
    }
}
