//! The clock-driven scheduler: every population advances by `dt` each step,
//! then the step's spikes are delivered into the targets' delay buffers.
//!
//! Per step `k → k + 1`: external drives that change at grid point `k` are
//! applied; state is sampled at grid point `k` for recorders due; each
//! population steps (see `neuron` for the update order); the spikes of grid
//! point `k + 1` are recorded and delivered. Spikes at grid point 0 (from
//! sources) are delivered before the first step.

use crate::engine::network::Network;
use crate::io::results::{SpikeTrains, StateTrace};
use crate::model::spec::RecordSpec;
use crate::synapse::{Arrival, Delays};

/// Collects samples of some variables of one population.
pub struct Recorder {
    population: usize,
    neurons: Vec<u32>,
    every: u64,
    traces: Vec<StateTrace>,
}

impl Recorder {
    pub fn new(spec: &RecordSpec, net: &Network) -> Self {
        let pop = &net.populations[spec.population];
        let neurons = spec
            .neurons
            .clone()
            .unwrap_or_else(|| (0..pop.size as u32).collect());
        let variables = pop.neuron.variables();
        let traces = spec
            .variables
            .iter()
            .map(|name| StateTrace {
                population: pop.name.clone(),
                variable: name.clone(),
                unit: variables
                    .iter()
                    .find(|v| v.name == name)
                    .map_or("", |v| v.unit)
                    .to_string(),
                neurons: neurons.clone(),
                threshold: if name == "v" {
                    pop.neuron.threshold()
                } else {
                    None
                },
                ..Default::default()
            })
            .collect();
        Self {
            population: spec.population,
            neurons,
            every: spec.every,
            traces,
        }
    }

    fn sample(&mut self, k: u64, net: &Network) {
        if !k.is_multiple_of(self.every) {
            return;
        }
        let neuron = &net.populations[self.population].neuron;
        for trace in &mut self.traces {
            trace.steps.push(k);
            neuron.sample(&trace.variable, &self.neurons, &mut trace.values);
        }
    }

    pub fn into_traces(self) -> Vec<StateTrace> {
        self.traces
    }
}

/// What a run produced besides the state samples.
pub struct Outcome {
    pub spikes: Vec<SpikeTrains>,
    /// Spikes delivered to a synapse.
    pub synaptic_events: u64,
}

/// Run `net` for its number of steps. `progress(k)` is called now and then
/// with the number of steps done.
pub fn run(
    net: &mut Network,
    recorders: &mut [Recorder],
    progress: &mut dyn FnMut(u64),
) -> Outcome {
    let n_pops = net.populations.len();
    let mut trains: Vec<SpikeTrains> = net
        .populations
        .iter()
        .map(|p| SpikeTrains::new(&p.name, p.size as u32))
        .collect();
    let mut fired: Vec<Vec<u32>> = vec![Vec::new(); n_pops];
    let mut drive_cursor = vec![0usize; n_pops];

    for (p, pop) in net.populations.iter_mut().enumerate() {
        pop.neuron.initial_spikes(&mut fired[p]);
    }
    let mut synaptic_events = deliver(net, &fired, 0, &mut trains);

    let report_every = (net.steps / 200).max(1);
    for k in 0..net.steps {
        apply_drives(net, k, &mut drive_cursor);
        for r in recorders.iter_mut() {
            r.sample(k, net);
        }
        for (p, pop) in net.populations.iter_mut().enumerate() {
            fired[p].clear();
            pop.neuron.step(k, &pop.inputs, &mut fired[p]);
            pop.inputs.iter_mut().for_each(|ring| ring.clear(k + 1));
        }
        synaptic_events += deliver(net, &fired, k + 1, &mut trains);
        if (k + 1).is_multiple_of(report_every) {
            progress(k + 1);
        }
    }
    progress(net.steps);
    Outcome {
        spikes: trains,
        synaptic_events,
    }
}

fn apply_drives(net: &mut Network, k: u64, cursor: &mut [usize]) {
    for (p, schedule) in net.drives.iter().enumerate() {
        while let Some((at, drive)) = schedule.changes.get(cursor[p]) {
            if *at > k {
                break;
            }
            net.populations[p].neuron.set_external_drive(drive);
            cursor[p] += 1;
        }
    }
}

/// Record the spikes of grid point `grid` and add them to the targets'
/// buffers at `grid + delay`; returns the number of synaptic events.
fn deliver(net: &mut Network, fired: &[Vec<u32>], grid: u64, trains: &mut [SpikeTrains]) -> u64 {
    let mut events = 0;
    for (p, spikes) in fired.iter().enumerate() {
        if spikes.is_empty() {
            continue;
        }
        if net.populations[p].record_spikes {
            trains[p]
                .steps
                .extend(std::iter::repeat_n(grid, spikes.len()));
            trains[p].senders.extend_from_slice(spikes);
        }
        for &j in &net.outgoing[p] {
            let proj = &net.projections[j];
            let ring = &mut net.populations[proj.to].inputs[proj.port];
            let csr = &proj.synapses;
            events += spikes.iter().map(|&i| csr.row(i).len() as u64).sum::<u64>();
            match &csr.delays {
                Delays::Uniform(d) => {
                    let slot = ring.slot_mut(grid + *d as u64);
                    for &i in spikes {
                        let row = csr.row(i);
                        let (targets, weights) = (&csr.targets[row.clone()], &csr.weights[row]);
                        slot.extend(
                            targets
                                .iter()
                                .zip(weights)
                                .map(|(&target, &weight)| Arrival { target, weight }),
                        );
                    }
                }
                Delays::PerSynapse(delays) => {
                    for &i in spikes {
                        for s in csr.row(i) {
                            let event = Arrival {
                                target: csr.targets[s],
                                weight: csr.weights[s],
                            };
                            ring.slot_mut(grid + delays[s] as u64).push(event);
                        }
                    }
                }
            }
        }
    }
    events
}
