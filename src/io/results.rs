//! In-memory results of a run: what the engines record and what the HDF5 writer,
//! the HDF5 reader and the plotters share.
//!
//! Times are never stored here: a spike or a sample is identified by its step
//! index, and its time is `step as f64 * dt`, so the grid is exact.

/// Spikes of one population, in emission order (non-decreasing `steps`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpikeTrains {
    /// The population's name in the model file.
    pub population: String,
    /// Number of neurons in the population (for raster layout and rates).
    pub size: u32,
    /// Step index of each spike, counting from 0 (`time = step * dt`).
    pub steps: Vec<u64>,
    /// Neuron index within the population of each spike.
    pub senders: Vec<u32>,
    /// Exact spike times in seconds where the engine does not snap to the grid
    /// (the event engine); `None` means `step * dt`.
    pub times: Option<Vec<f64>>,
}

impl SpikeTrains {
    /// No spikes yet from the population `population` of `size` neurons.
    pub fn new(population: &str, size: u32) -> Self {
        Self {
            population: population.to_string(),
            size,
            ..Default::default()
        }
    }

    /// Number of spikes.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether the population fired no spike.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Spike times in seconds.
    pub fn times(&self, dt: f64) -> Vec<f64> {
        match &self.times {
            Some(t) => t.clone(),
            None => self.steps.iter().map(|&s| s as f64 * dt).collect(),
        }
    }
}

/// Samples of one state variable of one population.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateTrace {
    /// The population's name in the model file.
    pub population: String,
    /// The recorded variable's name (`v`, `i_syn_e`, ...), as the neuron model names it.
    pub variable: String,
    /// SI unit of the values ("V", "A", ...), for labels.
    pub unit: String,
    /// Recorded neurons (indices within the population): the columns.
    pub neurons: Vec<u32>,
    /// Step index of each row.
    pub steps: Vec<u64>,
    /// Row-major samples: `values[row * neurons.len() + column]`.
    pub values: Vec<f64>,
    /// Firing threshold to mark on membrane-potential plots, if the variable has one.
    pub threshold: Option<f64>,
    /// Integer state (fixed-point mode): the values are whole numbers,
    /// written as `i32`.
    pub integer: bool,
}

impl StateTrace {
    /// Number of samples (rows).
    pub fn rows(&self) -> usize {
        self.steps.len()
    }

    /// The trace of one recorded column.
    pub fn column(&self, column: usize) -> Vec<f64> {
        let width = self.neurons.len();
        (0..self.rows())
            .map(|r| self.values[r * width + column])
            .collect()
    }
}

/// Snapshots of the weights of one plastic projection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WeightTrace {
    /// The projection's name in the model file.
    pub projection: String,
    /// SI unit of the weights (currents are carried as the voltage `r_m i`).
    pub unit: String,
    /// Each synapse's presynaptic and postsynaptic neuron, in (pre, post)
    /// order: the columns.
    pub pre: Vec<u32>,
    /// Postsynaptic neuron of each synapse (index within the target population).
    pub post: Vec<u32>,
    /// Grid step and time (seconds) of each snapshot: the rows.
    pub steps: Vec<u64>,
    /// Time of each snapshot, seconds.
    pub times: Vec<f64>,
    /// Row-major: `values[row * pre.len() + synapse]`.
    pub values: Vec<f64>,
}

impl WeightTrace {
    /// Number of synapses (columns).
    pub fn synapses(&self) -> usize {
        self.pre.len()
    }

    /// The weights of snapshot `row`.
    pub fn row(&self, row: usize) -> &[f64] {
        let n = self.synapses();
        &self.values[row * n..(row + 1) * n]
    }
}

/// What describes a run beside its recordings; written as root attributes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunInfo {
    /// The model file's text as simulated (after any `--set` overrides).
    pub model_text: String,
    /// The model file's path as given to the command.
    pub model_path: String,
    /// The seed of every random stream of the run.
    pub seed: u64,
    /// Time step, seconds.
    pub dt: f64,
    /// Simulated duration asked for, seconds (see [`RunInfo::covered`] for what was reached).
    pub duration: f64,
    /// The engine that ran the model: `clock`, `event` or `fixed`.
    pub engine: String,
    /// Worker threads per process.
    pub threads: u32,
    /// Processes of an MPI run (1 without MPI); `threads` is per process.
    pub ranks: u32,
    /// The spikesim version that wrote the results.
    pub version: String,
    /// Wall-clock time to build the network, seconds.
    pub build_seconds: f64,
    /// Wall-clock time to simulate it, seconds.
    pub simulate_seconds: f64,
    /// Synapses in the network.
    pub synapses: u64,
    /// Spikes delivered to a synapse during the run.
    pub synaptic_events: u64,
    /// Simulated time (s) an interrupted run reached: its file holds the
    /// run up to here. `None` for a run that completed.
    pub reached: Option<f64>,
}

impl RunInfo {
    /// The simulated time the recordings cover: `reached` for an
    /// interrupted run, else `duration`.
    pub fn covered(&self) -> f64 {
        self.reached.unwrap_or(self.duration)
    }
}

/// Everything a run produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Results {
    /// The run's description: model, dt, duration, engine, timings, counts.
    pub info: RunInfo,
    /// Spikes of each population that records them, in the model's order.
    pub spikes: Vec<SpikeTrains>,
    /// Recorded state variables, one trace per population and variable.
    pub states: Vec<StateTrace>,
    /// Recorded weight snapshots, one trace per projection.
    pub weights: Vec<WeightTrace>,
}

impl Results {
    /// The spikes of the population named `population`, if it records them.
    pub fn spikes_of(&self, population: &str) -> Option<&SpikeTrains> {
        self.spikes.iter().find(|s| s.population == population)
    }

    /// The samples of `variable` of the population `population`, if recorded.
    pub fn state_of(&self, population: &str, variable: &str) -> Option<&StateTrace> {
        self.states
            .iter()
            .find(|s| s.population == population && s.variable == variable)
    }

    /// The weight snapshots of the projection named `projection`, if recorded.
    pub fn weights_of(&self, projection: &str) -> Option<&WeightTrace> {
        self.weights.iter().find(|w| w.projection == projection)
    }

    /// Mean firing rate of a population in Hz over the recorded time (the
    /// whole run, or what an interrupted run reached).
    pub fn mean_rate(&self, population: &str) -> Option<f64> {
        let s = self.spikes_of(population)?;
        let covered = self.info.covered();
        if s.size == 0 || covered <= 0.0 {
            return Some(0.0);
        }
        Some(s.len() as f64 / (s.size as f64 * covered))
    }
}
