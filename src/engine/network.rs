//! A built network: populations with their state and input buffers,
//! projections with their synapses, and the schedule of external drives.

use crate::model::spec::{ModelSpec, Piecewise, Port};
use crate::neuron::{self, Neuron};
use crate::synapse::{Csr, EventRing, connect};

pub struct Population {
    pub name: String,
    pub size: usize,
    pub neuron: Box<dyn Neuron>,
    /// Events in flight, one ring per input port of the model, in
    /// `neuron.ports()` order.
    pub inputs: Vec<EventRing>,
    pub record_spikes: bool,
}

pub struct Projection {
    pub name: String,
    pub from: usize,
    pub to: usize,
    /// Index into the target's `inputs`.
    pub port: usize,
    pub synapses: Csr,
}

/// External drive of one population: at each listed grid point the drive
/// of every neuron becomes the given vector.
#[derive(Debug, Clone, Default)]
pub struct DriveSchedule {
    pub changes: Vec<(u64, Vec<f64>)>,
}

pub struct Network {
    pub dt: f64,
    pub steps: u64,
    pub populations: Vec<Population>,
    pub projections: Vec<Projection>,
    /// Projections leaving each population.
    pub outgoing: Vec<Vec<usize>>,
    pub drives: Vec<DriveSchedule>,
}

impl Network {
    pub fn build(spec: &ModelSpec) -> Self {
        let sim = &spec.simulation;
        let neurons: Vec<Box<dyn Neuron>> = spec
            .populations
            .iter()
            .map(|p| neuron::build(p, sim))
            .collect();
        let projections: Vec<Projection> = spec
            .projections
            .iter()
            .map(|p| {
                let (pre, post) = (&spec.populations[p.from], &spec.populations[p.to]);
                Projection {
                    name: p.name.clone(),
                    from: p.from,
                    to: p.to,
                    port: port_index(neurons[p.to].ports(), p.port),
                    synapses: connect::build(p, pre.size, post.size, sim.seed, sim.dt),
                }
            })
            .collect();
        let populations: Vec<Population> = spec
            .populations
            .iter()
            .zip(neurons)
            .enumerate()
            .map(|(i, (p, neuron))| {
                let max_delay = projections
                    .iter()
                    .filter(|proj| proj.to == i)
                    .map(|proj| proj.synapses.max_delay() as usize)
                    .max()
                    .unwrap_or(1);
                let inputs = neuron
                    .ports()
                    .iter()
                    .map(|_| EventRing::new(max_delay))
                    .collect();
                Population {
                    name: p.name.clone(),
                    size: p.size as usize,
                    neuron,
                    inputs,
                    record_spikes: p.record_spikes,
                }
            })
            .collect();
        let mut outgoing = vec![Vec::new(); populations.len()];
        for (i, p) in projections.iter().enumerate() {
            outgoing[p.from].push(i);
        }
        let drives = (0..populations.len())
            .map(|i| drive_schedule(spec, i))
            .collect();
        Self {
            dt: sim.dt,
            steps: sim.steps,
            populations,
            projections,
            outgoing,
            drives,
        }
    }

    pub fn synapse_count(&self) -> usize {
        self.projections.iter().map(|p| p.synapses.len()).sum()
    }
}

fn port_index(ports: &[Port], port: Port) -> usize {
    ports
        .iter()
        .position(|&p| p == port)
        .expect("validation only admits ports the target has")
}

/// Merge a population's current stimuli into one schedule of drive vectors.
fn drive_schedule(spec: &ModelSpec, population: usize) -> DriveSchedule {
    let dt = spec.simulation.dt;
    let size = spec.populations[population].size as usize;
    let stimuli: Vec<_> = spec
        .currents
        .iter()
        .filter(|c| c.population == population)
        .collect();
    if stimuli.is_empty() {
        return DriveSchedule::default();
    }
    let grid = |t: f64| (t / dt).round() as u64;
    let mut points: Vec<u64> = stimuli
        .iter()
        .flat_map(|s| s.drive.times.iter().map(|&t| grid(t)))
        .collect();
    points.push(0);
    points.sort_unstable();
    points.dedup();
    let changes = points
        .into_iter()
        .map(|k| {
            let mut drive = vec![0.0; size];
            for s in &stimuli {
                let value = value_at(&s.drive, k, dt);
                match &s.neurons {
                    None => drive.iter_mut().for_each(|d| *d += value),
                    Some(list) => list.iter().for_each(|&n| drive[n as usize] += value),
                }
            }
            (k, drive)
        })
        .collect();
    DriveSchedule { changes }
}

/// Value of a piecewise-constant course on grid point `k` (zero before its start).
fn value_at(course: &Piecewise, k: u64, dt: f64) -> f64 {
    course
        .times
        .iter()
        .zip(&course.values)
        .take_while(|(t, _)| ((**t / dt).round() as u64) <= k)
        .last()
        .map_or(0.0, |(_, v)| *v)
}
