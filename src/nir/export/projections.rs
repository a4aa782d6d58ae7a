//! Projections as NIR paths: the synapses spikesim draws (so random
//! connectivity and weights are exported as the engine builds them) become
//! one dense `Linear` node per distinct delay, followed by a `Delay` node.
//!
//! The delays are chosen against the time grid of spikesim's import: edges
//! have zero delay, a `Delay` node of `tau` adds `round(tau/dt)` steps, and
//! an edge that closes a cycle in the import's depth-first walk adds one
//! step, so the `Delay` on such a path is one step shorter. Spike sources
//! emit their spike of grid point `k` as data step `k` (a NIR spike at grid
//! point `k + 1`, see [`super::inputs`]), so the paths out of an `Input`
//! are one step shorter too.

use std::collections::{BTreeMap, BTreeSet};

use super::ExportError;
use crate::model::ModelError;
use crate::model::spec::{ModelSpec, Port, ProjectionSpec};
use crate::nir::{Node, Tensor};
use crate::synapse::connect;

/// Largest dense weight matrix (entries) one projection may export to.
pub const MAX_DENSE_ENTRIES: usize = 1 << 26;

/// One path of a projection: its synapses of one delay, as a `Linear` node
/// and the delay still to be expressed by a `Delay` node.
pub struct Path {
    /// Index of the projection.
    pub projection: usize,
    /// Name of its `Linear` node.
    pub linear: String,
    /// Name of its `Delay` node.
    pub delay_node: String,
    /// Seconds; what the `Delay` node will hold before the grid
    /// corrections.
    pub delay: f64,
    /// The weight matrix, `[out, in]`.
    pub weight: Tensor,
}

/// The error for projection `p`, located at its `[[projection]]`.
pub fn refuse(spec: &ModelSpec, p: &ProjectionSpec, field: &str, message: String) -> ExportError {
    let field = if field.is_empty() {
        format!("projection[{}]", p.name)
    } else {
        format!("projection[{}].{field}", p.name)
    };
    ExportError::Model(ModelError {
        file: spec.path.clone(),
        line: None,
        field,
        message: format!("cannot be exported to NIR: {message}"),
    })
}

/// NIR node names may not hold `/` (the path separator of nested graphs).
pub fn node_name(name: &str) -> String {
    name.replace('/', "_")
}

/// Projection `j`'s synapses, as the engine draws them, grouped by delay.
pub fn projection_paths(spec: &ModelSpec, j: usize) -> Result<Vec<Path>, ExportError> {
    let p = &spec.projections[j];
    if p.plasticity.is_some() {
        return Err(refuse(
            spec,
            p,
            "plasticity",
            "NIR graphs have fixed weights; plasticity (STDP, Hebbian rules) cannot be expressed"
                .into(),
        ));
    }
    if !matches!(p.port, Port::Voltage | Port::CurrentExc | Port::CurrentInh) {
        return Err(refuse(
            spec,
            p,
            "synapse",
            format!(
                "NIR edges carry spikes into a membrane or a current; the `{}` port (glial, \
                 conductance) has no NIR form",
                p.port.name()
            ),
        ));
    }
    let (n_pre, n_post) = (spec.populations[p.from].size, spec.populations[p.to].size);
    if n_pre as usize * n_post as usize > MAX_DENSE_ENTRIES {
        return Err(refuse(
            spec,
            p,
            "",
            format!(
                "{n_post} x {n_pre} dense weights exceed the {MAX_DENSE_ENTRIES} entries a \
                 NIR Linear node is exported with"
            ),
        ));
    }
    let sim = &spec.simulation;
    let csr = connect::build(p, n_pre, n_post, sim.seed, sim.dt, true);
    // Delays by their exact bits; multapses of one delay add up.
    let mut by_delay: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for pre in 0..n_pre {
        for k in csr.row(pre) {
            let seconds = csr.seconds(k);
            let w = by_delay
                .entry(seconds.to_bits())
                .or_insert_with(|| vec![0.0; n_pre as usize * n_post as usize]);
            w[csr.targets[k] as usize * n_pre as usize + pre as usize] += f64::from(csr.weights[k]);
        }
    }
    let base = node_name(&p.name);
    let several = by_delay.len() > 1;
    Ok(by_delay
        .into_iter()
        .map(|(bits, data)| {
            let delay = f64::from_bits(bits);
            let suffix = if several {
                format!("@{}s", delay)
            } else {
                String::new()
            };
            Path {
                projection: j,
                linear: format!("{base}{suffix}.weight"),
                delay_node: format!("{base}{suffix}.delay"),
                delay,
                weight: Tensor {
                    shape: vec![n_post as usize, n_pre as usize],
                    data,
                },
            }
        })
        .collect())
}

/// The edges that close a cycle in spikesim's import: a depth-first walk
/// from the `Input` nodes (by name), then from the nodes it did not reach
/// (by name), following each node's out-edges in file order; an edge to a
/// node on the walk's stack closes a cycle. Returns their indices.
pub fn closing_edges(
    nodes: &BTreeMap<String, Node>,
    edges: &[(String, String)],
) -> BTreeSet<usize> {
    let mut out: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, (s, _)) in edges.iter().enumerate() {
        out.entry(s.as_str()).or_default().push(i);
    }
    let roots = nodes
        .iter()
        .filter(|(_, n)| matches!(n, Node::Input { .. }))
        .chain(
            nodes
                .iter()
                .filter(|(_, n)| !matches!(n, Node::Input { .. })),
        )
        .map(|(name, _)| name.as_str());
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut on_stack: BTreeSet<&str> = BTreeSet::new();
    let mut closing = BTreeSet::new();
    for root in roots {
        if done.contains(root) {
            continue;
        }
        // (node, position in its out-edges)
        let mut stack: Vec<(&str, usize)> = vec![(root, 0)];
        on_stack.insert(root);
        while let Some(top) = stack.last_mut() {
            let (node, at) = *top;
            top.1 += 1;
            let next = out.get(node).and_then(|o| o.get(at)).copied();
            match next {
                None => {
                    stack.pop();
                    on_stack.remove(node);
                    done.insert(node);
                }
                Some(e) => {
                    let target = edges[e].1.as_str();
                    if on_stack.contains(target) {
                        closing.insert(e);
                    } else if !done.contains(target) {
                        on_stack.insert(target);
                        stack.push((target, 0));
                    }
                }
            }
        }
    }
    closing
}
