//! The results of an MPI run put together on rank 0: every rank sends what
//! its own neurons and synapses recorded (spikes, its columns of the state
//! traces, the weights of the synapses it holds), and rank 0 merges them into
//! exactly what one process would have recorded. The bytes go to rank 0 in
//! bounded pieces (see `Comm::gather_bytes`).

use std::ops::Range;

use crate::engine::comm::Comm;
use crate::io::results::{Results, SpikeTrains, StateTrace, WeightTrace};

/// What rank 0 needs to know of a rank's part: the neuron ranges
/// `(population, range)` it owns, by population name.
pub struct Owned<'a> {
    /// Every population's name, by index.
    pub names: &'a [String],
    /// The `(population index, neuron range)` pairs this rank owns.
    pub ranges: Vec<(usize, Range<u32>)>,
}

impl Owned<'_> {
    fn owns(&self, population: &str, neuron: u32) -> bool {
        self.ranges
            .iter()
            .any(|(p, r)| self.names[*p] == population && r.contains(&neuron))
    }

    fn has_population(&self, population: &str) -> bool {
        self.ranges
            .iter()
            .any(|(p, _)| self.names[*p] == population)
    }
}

/// Rank 0: the merged results (`local` is its own part); other ranks: `None`
/// after sending theirs.
pub fn to_rank_zero(local: Results, owned: &Owned, comm: &dyn Comm) -> Option<Results> {
    let bytes = encode(&local, owned);
    let parts = comm.gather_bytes(&bytes)?;
    drop(bytes);
    let mut merged = local;
    let decoded: Vec<Part> = parts.iter().map(|b| decode(b, &merged)).collect();
    merge(&mut merged, decoded);
    Some(merged)
}

/// One rank's recordings, as decoded on rank 0.
struct Part {
    spikes: Vec<SpikePart>,
    states: Vec<StatePart>,
    weights: Vec<WeightPart>,
}

/// One rank's spikes of one population.
struct SpikePart {
    steps: Vec<u64>,
    senders: Vec<u32>,
    times: Option<Vec<f64>>,
}

/// One rank's share of a state trace.
struct StatePart {
    /// Whether the rank holds any of the trace's population (then unit and
    /// threshold are its slices').
    holds: bool,
    unit: String,
    threshold: Option<f64>,
    /// The trace's columns whose neurons the rank owns, and their values (row-major).
    columns: Vec<u32>,
    values: Vec<f64>,
}

/// One rank's synapses of a weight trace, with their snapshots (row-major).
struct WeightPart {
    pre: Vec<u32>,
    post: Vec<u32>,
    steps: Vec<u64>,
    times: Vec<f64>,
    values: Vec<f64>,
}

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64s(&mut self, v: &[u64]) {
        self.u64(v.len() as u64);
        v.iter().for_each(|&x| self.u64(x));
    }
    fn u32s(&mut self, v: &[u32]) {
        self.u64(v.len() as u64);
        v.iter()
            .for_each(|&x| self.0.extend_from_slice(&x.to_le_bytes()));
    }
    fn f64s(&mut self, v: &[f64]) {
        self.u64(v.len() as u64);
        v.iter().for_each(|&x| self.u64(x.to_bits()));
    }
    fn text(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        s
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().unwrap_or_default())
    }
    fn len(&mut self) -> usize {
        self.u64() as usize
    }
    fn u64s(&mut self) -> Vec<u64> {
        (0..self.len()).map(|_| self.u64()).collect()
    }
    fn u32s(&mut self) -> Vec<u32> {
        (0..self.len())
            .map(|_| u32::from_le_bytes(self.take(4).try_into().unwrap_or_default()))
            .collect()
    }
    fn f64s(&mut self) -> Vec<f64> {
        (0..self.len())
            .map(|_| f64::from_bits(self.u64()))
            .collect()
    }
    fn text(&mut self) -> String {
        let n = self.len();
        String::from_utf8_lossy(self.take(n)).into_owned()
    }
}

fn encode(local: &Results, owned: &Owned) -> Vec<u8> {
    let mut w = Writer::default();
    for s in &local.spikes {
        w.u64s(&s.steps);
        w.u32s(&s.senders);
        w.u64(u64::from(s.times.is_some()));
        w.f64s(s.times.as_deref().unwrap_or_default());
    }
    for t in &local.states {
        let columns: Vec<u32> = (0..t.neurons.len() as u32)
            .filter(|&c| owned.owns(&t.population, t.neurons[c as usize]))
            .collect();
        let width = t.neurons.len();
        let values: Vec<f64> = (0..t.rows())
            .flat_map(|row| {
                columns
                    .iter()
                    .map(move |&c| t.values[row * width + c as usize])
            })
            .collect();
        w.u64(u64::from(owned.has_population(&t.population)));
        w.text(&t.unit);
        w.u64(u64::from(t.threshold.is_some()));
        w.u64(t.threshold.unwrap_or(0.0).to_bits());
        w.u32s(&columns);
        w.f64s(&values);
    }
    for t in &local.weights {
        w.u32s(&t.pre);
        w.u32s(&t.post);
        w.u64s(&t.steps);
        w.f64s(&t.times);
        w.f64s(&t.values);
    }
    w.0
}

fn decode(bytes: &[u8], shape: &Results) -> Part {
    let mut r = Reader { bytes, at: 0 };
    let spikes = shape
        .spikes
        .iter()
        .map(|_| {
            let (steps, senders) = (r.u64s(), r.u32s());
            let timed = r.u64() == 1;
            let times = r.f64s();
            SpikePart {
                steps,
                senders,
                times: timed.then_some(times),
            }
        })
        .collect();
    let states = shape
        .states
        .iter()
        .map(|_| {
            let holds = r.u64() == 1;
            let unit = r.text();
            let has_threshold = r.u64() == 1;
            let threshold = f64::from_bits(r.u64());
            StatePart {
                holds,
                unit,
                threshold: has_threshold.then_some(threshold),
                columns: r.u32s(),
                values: r.f64s(),
            }
        })
        .collect();
    let weights = shape
        .weights
        .iter()
        .map(|_| WeightPart {
            pre: r.u32s(),
            post: r.u32s(),
            steps: r.u64s(),
            times: r.f64s(),
            values: r.f64s(),
        })
        .collect();
    Part {
        spikes,
        states,
        weights,
    }
}

fn merge(into: &mut Results, parts: Vec<Part>) {
    let Results {
        spikes,
        states,
        weights,
        ..
    } = into;
    let mut spike_parts: Vec<Vec<_>> = spikes.iter().map(|_| Vec::new()).collect();
    let mut state_parts: Vec<Vec<_>> = states.iter().map(|_| Vec::new()).collect();
    let mut weight_parts: Vec<Vec<_>> = weights.iter().map(|_| Vec::new()).collect();
    for part in parts {
        for (i, s) in part.spikes.into_iter().enumerate() {
            spike_parts[i].push(s);
        }
        for (i, s) in part.states.into_iter().enumerate() {
            state_parts[i].push(s);
        }
        for (i, w) in part.weights.into_iter().enumerate() {
            weight_parts[i].push(w);
        }
    }
    for (trains, parts) in spikes.iter_mut().zip(spike_parts) {
        merge_spikes(trains, parts);
    }
    for (trace, parts) in states.iter_mut().zip(state_parts) {
        merge_states(trace, parts);
    }
    for (trace, parts) in weights.iter_mut().zip(weight_parts) {
        merge_weights(trace, parts);
    }
}

/// Every rank's spikes in the engines' order: by time, then neuron.
fn merge_spikes(trains: &mut SpikeTrains, parts: Vec<SpikePart>) {
    let mut steps = Vec::new();
    let mut senders = Vec::new();
    let mut times: Option<Vec<f64>> = trains.times.as_ref().map(|_| Vec::new());
    for part in parts {
        steps.extend(part.steps);
        senders.extend(part.senders);
        if let (Some(all), Some(t)) = (times.as_mut(), part.times) {
            all.extend(t);
        }
    }
    let mut order: Vec<usize> = (0..steps.len()).collect();
    match &times {
        Some(t) => {
            order.sort_unstable_by(|&a, &b| t[a].total_cmp(&t[b]).then(senders[a].cmp(&senders[b])))
        }
        None => order.sort_unstable_by_key(|&i| (steps[i], senders[i])),
    }
    trains.steps = order.iter().map(|&i| steps[i]).collect();
    trains.senders = order.iter().map(|&i| senders[i]).collect();
    trains.times = times.map(|t| order.iter().map(|&i| t[i]).collect());
}

/// Each column from the rank that owns its neuron; unit and threshold from
/// the first rank that holds any of the population.
fn merge_states(trace: &mut StateTrace, parts: Vec<StatePart>) {
    let width = trace.neurons.len();
    if let Some(first) = parts.iter().find(|p| p.holds) {
        trace.unit = first.unit.clone();
        trace.threshold = first.threshold;
    }
    for part in parts {
        let n = part.columns.len();
        for row in 0..trace.rows() {
            for (c, &column) in part.columns.iter().enumerate() {
                trace.values[row * width + column as usize] = part.values[row * n + c];
            }
        }
    }
}

/// Every rank's synapses in (pre, post) order. Synapses with the same pre
/// and post end in one neuron, so on one rank, which lists them in the
/// one-process order already: a stable sort keeps it.
fn merge_weights(trace: &mut WeightTrace, parts: Vec<WeightPart>) {
    if let Some(first) = parts.iter().find(|p| !p.steps.is_empty()) {
        trace.steps = first.steps.clone();
        trace.times = first.times.clone();
    }
    let rows = trace.steps.len();
    // (pre, post, part, synapse within the part)
    let mut keys = Vec::new();
    for (p, part) in parts.iter().enumerate() {
        keys.extend((0..part.pre.len()).map(|s| (part.pre[s], part.post[s], p, s)));
    }
    keys.sort_by_key(|k| (k.0, k.1));
    trace.pre = keys.iter().map(|k| k.0).collect();
    trace.post = keys.iter().map(|k| k.1).collect();
    trace.values = (0..rows)
        .flat_map(|row| {
            let parts = &parts;
            keys.iter().map(move |&(_, _, p, s)| {
                let part = &parts[p];
                part.values[row * part.pre.len() + s]
            })
        })
        .collect();
}
