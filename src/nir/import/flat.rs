//! A nested NIR graph flattened into one list of nodes named by their paths
//! (`outer/inner/name`), edges into a subgraph redirected to its Input node
//! and edges out of it taken from its Output node, each node's output shape
//! inferred, and the edges that close a cycle found by the depth-first rule
//! of the time grid (they carry the previous step's output).

use std::collections::BTreeMap;
use std::path::Path;

use crate::nir::{Graph, NirError, Node};

/// What a flattened node is to the import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A top-level Input: a spike source.
    Source,
    /// A top-level Output: what is recorded.
    Sink,
    /// A nested graph's Input or Output: the identity.
    Pass,
    /// Affine, Linear, Scale, Delay, Flatten, convolutions and poolings.
    Map,
    /// A membrane (LIF, LI, IF, I, CubaLIF, CubaLI) or a Threshold.
    Neuron,
}

/// One node of the flattened graph.
#[derive(Debug, Clone)]
pub struct FlatNode<'g> {
    /// The node's path in the nested graph (`outer.inner`).
    pub path: String,
    /// The node.
    pub node: &'g Node,
    /// What the import makes of it.
    pub role: Role,
}

/// The flattened graph: nodes sorted by path, edges `(source, target)` as
/// node indices in file order, and which edges close a cycle.
#[derive(Debug, Clone)]
pub struct Flat<'g> {
    /// The nodes, in a depth-first order.
    pub nodes: Vec<FlatNode<'g>>,
    /// The edges, by node index.
    pub edges: Vec<(usize, usize)>,
    /// Per edge, whether it closes a cycle (a back edge of the depth-first walk).
    pub back: Vec<bool>,
    /// Output shape of every node (filled by `shapes::infer`, which reads
    /// the rest).
    pub shapes: Vec<Vec<usize>>,
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

impl<'g> Flat<'g> {
    /// Flattens `graph` (read from `file`, named in errors).
    pub fn new(graph: &'g Graph, file: &Path) -> Result<Self, NirError> {
        let mut nodes = Vec::new();
        collect(graph, "", &mut nodes);
        nodes.sort_by(|a: &FlatNode, b: &FlatNode| a.path.cmp(&b.path));
        let index: BTreeMap<&str, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.path.as_str(), i))
            .collect();
        let mut edges = Vec::new();
        collect_edges(graph, "", file, &index, &mut edges)?;
        let back = back_edges(&nodes, &edges);
        let flat = Flat {
            nodes,
            edges,
            back,
            shapes: Vec::new(),
        };
        Ok(flat)
    }

    /// Indices of the edges into node `i`, in file order.
    pub fn incoming(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.edges.len()).filter(move |&e| self.edges[e].1 == i)
    }

    /// Indices of the edges out of node `i`, in file order.
    pub fn outgoing(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.edges.len()).filter(move |&e| self.edges[e].0 == i)
    }

    /// Number of elements node `i` outputs.
    pub fn size(&self, i: usize) -> usize {
        self.shapes[i].iter().product()
    }
}

fn collect<'g>(graph: &'g Graph, prefix: &str, out: &mut Vec<FlatNode<'g>>) {
    for (name, node) in &graph.nodes {
        let path = join(prefix, name);
        let top = prefix.is_empty();
        let role = match node {
            Node::Graph(inner) => {
                collect(inner, &path, out);
                continue;
            }
            Node::Input { .. } if top => Role::Source,
            Node::Output { .. } if top => Role::Sink,
            Node::Input { .. } | Node::Output { .. } => Role::Pass,
            Node::Threshold { .. } => Role::Neuron,
            n if n.is_neuron() => Role::Neuron,
            _ => Role::Map,
        };
        out.push(FlatNode { path, node, role });
    }
}

/// The single Input (`want_input`) or Output node of a nested graph.
fn port_of(graph: &Graph, path: &str, want_input: bool, file: &Path) -> Result<String, NirError> {
    let ports: Vec<&String> = graph
        .nodes
        .iter()
        .filter(|(_, n)| {
            if want_input {
                matches!(n, Node::Input { .. })
            } else {
                matches!(n, Node::Output { .. })
            }
        })
        .map(|(k, _)| k)
        .collect();
    let kind = if want_input { "Input" } else { "Output" };
    match ports.as_slice() {
        [one] => Ok(join(path, one)),
        _ => Err(NirError::at(
            file,
            path,
            Some("nodes"),
            format!(
                "an edge {} this subgraph needs exactly one {kind} node in it, it has {}",
                if want_input { "into" } else { "out of" },
                ports.len()
            ),
        )),
    }
}

/// The flattened end of an edge: a node, or a subgraph's Input / Output.
fn end_path(
    graph: &Graph,
    prefix: &str,
    name: &str,
    want_input: bool,
    file: &Path,
) -> Result<String, NirError> {
    let path = join(prefix, name);
    match graph.nodes.get(name) {
        Some(Node::Graph(inner)) => port_of(inner, &path, want_input, file),
        Some(_) => Ok(path),
        None => Err(NirError::at(
            file,
            path,
            Some("edges"),
            "an edge names a node the graph does not have",
        )),
    }
}

fn collect_edges(
    graph: &Graph,
    prefix: &str,
    file: &Path,
    index: &BTreeMap<&str, usize>,
    out: &mut Vec<(usize, usize)>,
) -> Result<(), NirError> {
    for (source, target) in &graph.edges {
        let s = end_path(graph, prefix, source, false, file)?;
        let t = end_path(graph, prefix, target, true, file)?;
        out.push((index[s.as_str()], index[t.as_str()]));
    }
    for (name, node) in &graph.nodes {
        if let Node::Graph(inner) = node {
            collect_edges(inner, &join(prefix, name), file, index, out)?;
        }
    }
    Ok(())
}

/// The edges that close a cycle: a depth-first walk from the top-level
/// Input nodes (by name), then from any node not reached yet (by path),
/// following each node's edges in file order; an edge to a node on the
/// walk's stack closes a cycle.
pub fn back_edges(nodes: &[FlatNode], edges: &[(usize, usize)]) -> Vec<bool> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnStack,
        Done,
    }
    let mut out_edges = vec![Vec::new(); nodes.len()];
    for (e, &(s, _)) in edges.iter().enumerate() {
        out_edges[s].push(e);
    }
    let mut mark = vec![Mark::New; nodes.len()];
    let mut back = vec![false; edges.len()];
    let roots = (0..nodes.len())
        .filter(|&i| nodes[i].role == Role::Source)
        .chain(0..nodes.len());
    for root in roots {
        if mark[root] != Mark::New {
            continue;
        }
        // (node, position in its edge list)
        let mut stack = vec![(root, 0usize)];
        mark[root] = Mark::OnStack;
        while let Some(&mut (v, ref mut pos)) = stack.last_mut() {
            if let Some(&e) = out_edges[v].get(*pos) {
                *pos += 1;
                let t = edges[e].1;
                match mark[t] {
                    Mark::OnStack => back[e] = true,
                    Mark::New => {
                        mark[t] = Mark::OnStack;
                        stack.push((t, 0));
                    }
                    Mark::Done => {}
                }
            } else {
                mark[v] = Mark::Done;
                stack.pop();
            }
        }
    }
    back
}
