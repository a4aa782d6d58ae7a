//! What both schedulers do for plastic projections: find the plastic parts
//! of each slice, tell them about spikes, run their periodic updates and
//! snapshots, and gather the snapshots into whole-projection weight traces.

use crate::engine::network::{Network, ProjectionPart};
use crate::io::results::WeightTrace;
use crate::model::spec::WeightRecordSpec;

/// Per slice of a worker: the `(projection, part)` pairs of plastic parts
/// that end in it.
pub fn plastic_by_slice(parts: &[Vec<ProjectionPart>], slices: usize) -> Vec<Vec<(usize, usize)>> {
    let mut by_slice = vec![Vec::new(); slices];
    for (j, list) in parts.iter().enumerate() {
        for (pi, part) in list.iter().enumerate() {
            if part.plastic.is_some() {
                by_slice[part.slice].push((j, pi));
            }
        }
    }
    by_slice
}

/// Neurons `fired` (within the slice) spiked at `t`.
pub fn post_spikes(
    parts: &mut [Vec<ProjectionPart>],
    plastic: &[(usize, usize)],
    fired: &[u32],
    t: f64,
) {
    for &(j, pi) in plastic {
        if let Some(p) = parts[j][pi].plastic.as_mut() {
            for &i in fired {
                p.on_post(i as usize, t);
            }
        }
    }
}

/// Periodic updates due at grid step `k`, then the snapshots due then
/// (`snapshot_steps[j]`: the ascending steps at which projection `j` is
/// recorded).
pub fn at_grid_point(
    parts: &mut [Vec<ProjectionPart>],
    k: u64,
    dt: f64,
    steps: u64,
    snapshot_steps: &[Vec<u64>],
) {
    for (j, list) in parts.iter_mut().enumerate() {
        for part in list.iter_mut() {
            let Some(p) = part.plastic.as_mut() else {
                continue;
            };
            if k < steps {
                p.update_at(k, dt, &part.synapses);
            }
            if snapshot_steps[j].binary_search(&k).is_ok() {
                p.snapshot(k);
            }
        }
    }
}

/// Bytes of weight snapshots the parts hold.
pub fn snapshot_bytes(parts: &[Vec<ProjectionPart>]) -> usize {
    parts
        .iter()
        .flatten()
        .filter_map(|p| p.plastic.as_ref())
        .map(|p| p.snapshots.len() * p.weights.len() * 8)
        .sum()
}

/// The recorded weights of each recorded projection, synapses in
/// (pre, post) order whatever the partition; and the final weights copied
/// back into the synapse tables.
pub fn weight_traces(net: &mut Network, records: &[WeightRecordSpec]) -> Vec<WeightTrace> {
    let traces = take_weight_traces(net, records);
    for w in &mut net.workers {
        for part in w.parts.iter_mut().flatten() {
            if let Some(p) = &part.plastic {
                for (dst, &src) in part.synapses.weights.iter_mut().zip(&p.weights) {
                    *dst = src as f32;
                }
            }
        }
    }
    traces
}

/// The weight snapshots taken since the last call, as traces (see
/// [`weight_traces`]), leaving none held.
pub fn take_weight_traces(net: &mut Network, records: &[WeightRecordSpec]) -> Vec<WeightTrace> {
    let mut traces = Vec::new();
    let mut done = Vec::new();
    for r in records {
        if done.contains(&r.projection) {
            continue;
        }
        done.push(r.projection);
        traces.push(trace_of(net, r.projection));
    }
    for part in net
        .workers
        .iter_mut()
        .flat_map(|w| w.parts.iter_mut().flatten())
    {
        if let Some(p) = part.plastic.as_mut() {
            p.snapshots.clear();
        }
    }
    traces
}

fn trace_of(net: &Network, j: usize) -> WeightTrace {
    // (pre, post, part, synapse) for every synapse, then canonical order.
    let mut keys = Vec::new();
    let mut snapshots: Vec<&[(u64, Vec<f64>)]> = Vec::new();
    for w in &net.workers {
        for part in &w.parts[j] {
            let offset = w.slices[part.slice].offset;
            let index = snapshots.len();
            snapshots.push(part.plastic.as_ref().map_or(&[], |p| &p.snapshots));
            for (s, syn) in part.synapses.iter().enumerate() {
                keys.push((syn.pre, syn.post + offset, index, s));
            }
        }
    }
    keys.sort_unstable();
    let steps: Vec<u64> = snapshots
        .iter()
        .find(|s| !s.is_empty())
        .map(|s| s.iter().map(|(k, _)| *k).collect())
        .unwrap_or_default();
    let values = (0..steps.len())
        .flat_map(|row| {
            let snapshots = &snapshots;
            keys.iter().map(move |&(_, _, p, s)| snapshots[p][row].1[s])
        })
        .collect();
    let p = &net.projections[j];
    WeightTrace {
        projection: p.name.clone(),
        unit: "V".into(),
        pre: keys.iter().map(|k| k.0).collect(),
        post: keys.iter().map(|k| k.1).collect(),
        times: steps.iter().map(|&k| k as f64 * net.dt).collect(),
        steps,
        values,
    }
}
