//! Shape inference and the type check of a NIR graph, as `nir.read` does
//! with `type_check=True`: every node's input and output shape, every
//! edge's source output equal to its target input, edges between existing
//! nodes (no duplicates), parameters that are not NaN and share the node's
//! shape, positive time constants.
//!
//! Shapes follow PyTorch, which nir 1.0.8 approximates: a convolution with
//! `groups > 1` takes `groups * weight.shape[1]` channels (nir says
//! `weight.shape[1]`), and a Conv2d kernel's width is `weight.shape[3]`
//! (nir uses the height for both). Both agree with nir on the usual
//! square-kernel, `groups = 1` graphs.
use std::collections::BTreeMap;
use std::path::Path;

use super::error::NirError;
use super::graph::{Graph, Node, Padding, Tensor};

/// Input and output shape of one node (no batch dimension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeShapes {
    /// Shape of the node's input.
    pub input: Vec<usize>,
    /// Shape of the node's output.
    pub output: Vec<usize>,
}

/// The inferred shapes of every node, keyed by node path
/// (`outer/inner/name`); a nested graph's entry holds its Input's and
/// Output's shapes, and its nodes have entries of their own.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Shapes {
    /// The shapes of each node, by name.
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
        let mut shapes = Shapes::default();
        Checker { file }.graph(self, "", &mut shapes)?;
        Ok(shapes)
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

/// What is known of a node's shapes while inferring.
#[derive(Clone, Default)]
struct Known {
    input: Option<Vec<usize>>,
    output: Option<Vec<usize>>,
}

struct Checker<'a> {
    file: &'a Path,
}

impl Checker<'_> {
    fn err(&self, node: &str, field: Option<&str>, message: impl Into<String>) -> NirError {
        NirError::at(self.file, node, field, message)
    }

    fn graph(&self, graph: &Graph, prefix: &str, shapes: &mut Shapes) -> Result<(), NirError> {
        self.edges(graph, prefix)?;
        let mut known = BTreeMap::new();
        for (name, node) in &graph.nodes {
            let path = join(prefix, name);
            if let Node::Graph(inner) = node {
                self.graph(inner, &path, shapes)?;
            }
            self.params(node, &path)?;
            known.insert(name.as_str(), self.own_shapes(node, &path, shapes)?);
        }
        self.propagate(graph, prefix, &mut known)?;
        for (name, k) in known {
            let path = join(prefix, name);
            match (k.input, k.output) {
                (Some(input), Some(output)) => {
                    shapes.nodes.insert(path, NodeShapes { input, output });
                }
                // A subgraph without one Input and one Output that no edge
                // enters or leaves (propagate refused those that one does).
                _ if matches!(graph.nodes[name], Node::Graph(_)) => {}
                _ => {
                    return Err(self.err(
                        &path,
                        None,
                        "cannot infer its shape: no edge reaches it from a node of known shape \
                         (give the Input shape, or Flatten's `input_type` / a convolution's `input_shape`)",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Both ends of every edge are nodes of this graph; no edge twice.
    fn edges(&self, graph: &Graph, prefix: &str) -> Result<(), NirError> {
        let mut seen = std::collections::BTreeSet::new();
        for (source, target) in &graph.edges {
            for end in [source, target] {
                if !graph.nodes.contains_key(end) {
                    return Err(self.err(
                        &join(prefix, end),
                        Some("edges"),
                        format!(
                            "the edge `{source}` -> `{target}` names a node the graph does not have"
                        ),
                    ));
                }
            }
            if !seen.insert((source, target)) {
                return Err(self.err(
                    prefix,
                    Some("edges"),
                    format!("the edge `{source}` -> `{target}` appears twice"),
                ));
            }
        }
        Ok(())
    }

    /// No NaN; a neuron's parameters share one shape; time constants
    /// positive, delays not negative; weights and biases consistent.
    fn params(&self, node: &Node, path: &str) -> Result<(), NirError> {
        for (field, t) in node.tensors() {
            if let Some(i) = t.data.iter().position(|x| x.is_nan()) {
                return Err(self.err(path, Some(field), format!("element {i} is NaN")));
            }
        }
        if node.is_neuron() {
            let tensors = node.tensors();
            let (first, shape) = (tensors[0].0, &tensors[0].1.shape);
            for (field, t) in &tensors[1..] {
                if &t.shape != shape {
                    return Err(self.err(
                        path,
                        Some(field),
                        format!(
                            "shape {:?} differs from `{first}`'s {shape:?}: a neuron node's parameters share one shape",
                            t.shape
                        ),
                    ));
                }
            }
            for (field, t) in &tensors {
                if field.starts_with("tau")
                    && let Some(x) = t.data.iter().find(|&&x| x <= 0.0)
                {
                    return Err(self.err(
                        path,
                        Some(field),
                        format!("{x}: a time constant must be positive (seconds)"),
                    ));
                }
            }
        }
        match node {
            Node::Delay { delay } => {
                if let Some(x) = delay.data.iter().find(|&&x| x < 0.0) {
                    return Err(self.err(path, Some("delay"), format!("{x}: negative delay")));
                }
            }
            Node::Affine { weight, bias } => {
                self.matrix(weight, path)?;
                let out = &weight.shape[..weight.shape.len() - 1];
                if bias.shape != out {
                    return Err(self.err(
                        path,
                        Some("bias"),
                        format!(
                            "shape {:?}, expected {out:?} (one per output of `weight` {:?})",
                            bias.shape, weight.shape
                        ),
                    ));
                }
            }
            Node::Linear { weight } => self.matrix(weight, path)?,
            Node::Conv1d { .. } | Node::Conv2d { .. } => self.conv_params(node, path)?,
            Node::SumPool2d {
                kernel_size,
                stride,
                padding,
            }
            | Node::AvgPool2d {
                kernel_size,
                stride,
                padding,
            } => {
                if padding.len() != 2 {
                    return Err(self.err(
                        path,
                        Some("padding"),
                        format!("{padding:?}: expected two sizes"),
                    ));
                }
                for (field, v) in [("kernel_size", kernel_size), ("stride", stride)] {
                    if v.len() != 2 || v.contains(&0) {
                        return Err(self.err(
                            path,
                            Some(field),
                            format!("{v:?}: expected two positive sizes"),
                        ));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn matrix(&self, weight: &Tensor, path: &str) -> Result<(), NirError> {
        if weight.shape.len() < 2 {
            return Err(self.err(
                path,
                Some("weight"),
                format!(
                    "shape {:?}: expected at least 2 dimensions [out, in]",
                    weight.shape
                ),
            ));
        }
        Ok(())
    }

    fn conv_params(&self, node: &Node, path: &str) -> Result<(), NirError> {
        let (Node::Conv1d {
            weight,
            bias,
            stride,
            padding,
            dilation,
            groups,
            ..
        }
        | Node::Conv2d {
            weight,
            bias,
            stride,
            padding,
            dilation,
            groups,
            ..
        }) = node
        else {
            return Ok(());
        };
        let dims = if matches!(node, Node::Conv1d { .. }) {
            1
        } else {
            2
        };
        if weight.shape.len() != dims + 2 {
            return Err(self.err(
                path,
                Some("weight"),
                format!(
                    "shape {:?}: expected {} dimensions [C_out, C_in/groups, kernel...]",
                    weight.shape,
                    dims + 2
                ),
            ));
        }
        if weight.shape[0] % groups != 0 {
            return Err(self.err(
                path,
                Some("groups"),
                format!(
                    "{groups} does not divide the {} output channels",
                    weight.shape[0]
                ),
            ));
        }
        if bias.shape != [weight.shape[0]] {
            return Err(self.err(
                path,
                Some("bias"),
                format!(
                    "shape {:?}, expected [{}] (one per output channel)",
                    bias.shape, weight.shape[0]
                ),
            ));
        }
        if let Padding::Explicit(p) = padding
            && p.len() != dims
        {
            return Err(self.err(
                path,
                Some("padding"),
                format!("{p:?}: expected {dims} value(s)"),
            ));
        }
        for (field, v) in [("stride", stride), ("dilation", dilation)] {
            if v.len() != dims || v.contains(&0) {
                return Err(self.err(
                    path,
                    Some(field),
                    format!("{v:?}: expected {dims} positive value(s)"),
                ));
            }
        }
        Ok(())
    }

    /// The shapes a node states itself (from its parameters), before
    /// anything is inferred from its neighbours.
    fn own_shapes(&self, node: &Node, path: &str, shapes: &Shapes) -> Result<Known, NirError> {
        let same = |shape: &[usize]| Known {
            input: Some(shape.to_vec()),
            output: Some(shape.to_vec()),
        };
        Ok(match node {
            Node::Input { shape } | Node::Output { shape } => same(shape),
            Node::Affine { weight, .. } | Node::Linear { weight } => {
                let n = weight.shape.len();
                let batch = &weight.shape[..n - 2];
                Known {
                    input: Some([batch, &[weight.shape[n - 1]]].concat()),
                    output: Some([batch, &[weight.shape[n - 2]]].concat()),
                }
            }
            Node::Scale { scale: t }
            | Node::Delay { delay: t }
            | Node::Threshold { threshold: t } => same(&t.shape),
            n if n.is_neuron() => same(&n.tensors()[0].1.shape),
            Node::Flatten {
                input_type: Some(input),
                ..
            } => Known {
                output: Some(self.flatten(node, path, input)?),
                input: Some(input.clone()),
            },
            Node::Conv1d {
                weight,
                groups,
                input_shape: Some(spatial),
                ..
            }
            | Node::Conv2d {
                weight,
                groups,
                input_shape: Some(spatial),
                ..
            } => {
                let input = [&[weight.shape[1] * groups][..], spatial].concat();
                Known {
                    output: Some(self.derived_output(node, path, &input)?),
                    input: Some(input),
                }
            }
            Node::Graph(inner) => Known {
                input: self.port(inner, path, true, shapes)?,
                output: self.port(inner, path, false, shapes)?,
            },
            _ => Known::default(),
        })
    }

    /// A subgraph's input (or output) shape: that of its only Input (or
    /// Output) node; `None` when it has none or several (an error only if an
    /// edge needs it, see [`Self::propagate`]).
    fn port(
        &self,
        inner: &Graph,
        path: &str,
        input: bool,
        shapes: &Shapes,
    ) -> Result<Option<Vec<usize>>, NirError> {
        let ports: Vec<&String> = inner
            .nodes
            .iter()
            .filter(|(_, n)| {
                if input {
                    matches!(n, Node::Input { .. })
                } else {
                    matches!(n, Node::Output { .. })
                }
            })
            .map(|(name, _)| name)
            .collect();
        Ok(match ports[..] {
            [name] => shapes.get(&join(path, name)).map(|s| s.output.clone()),
            _ => None,
        })
    }

    /// The output shape of a node whose output follows from its input.
    fn derived_output(
        &self,
        node: &Node,
        path: &str,
        input: &[usize],
    ) -> Result<Vec<usize>, NirError> {
        match node {
            Node::Flatten { .. } => self.flatten(node, path, input),
            Node::Conv1d {
                weight,
                stride,
                padding,
                dilation,
                groups,
                ..
            }
            | Node::Conv2d {
                weight,
                stride,
                padding,
                dilation,
                groups,
                ..
            } => {
                let dims = weight.shape.len() - 2;
                let channels = weight.shape[1] * groups;
                if input.len() != dims + 1 || input[0] != channels {
                    return Err(self.err(
                        path,
                        Some("weight"),
                        format!(
                            "input shape {input:?}: expected [{channels}, {}] ({channels} channels from `weight` {:?} and `groups` {groups})",
                            vec!["_"; dims].join(", "),
                            weight.shape
                        ),
                    ));
                }
                let spatial = self.window(
                    path,
                    &input[1..],
                    &weight.shape[2..],
                    stride,
                    padding,
                    dilation,
                )?;
                Ok([&[weight.shape[0]][..], &spatial].concat())
            }
            Node::SumPool2d {
                kernel_size,
                stride,
                padding,
            }
            | Node::AvgPool2d {
                kernel_size,
                stride,
                padding,
            } => {
                if input.len() != 3 {
                    return Err(self.err(
                        path,
                        Some("kernel_size"),
                        format!("input shape {input:?}: expected [C, H, W]"),
                    ));
                }
                let padding = Padding::Explicit(padding.clone());
                let spatial =
                    self.window(path, &input[1..], kernel_size, stride, &padding, &[1, 1])?;
                Ok([&[input[0]][..], &spatial].concat())
            }
            // Shape-preserving nodes state their shapes themselves.
            _ => Ok(input.to_vec()),
        }
    }

    /// PyTorch's `floor((N + 2p - d (K - 1) - 1) / s + 1)` per dimension.
    fn window(
        &self,
        path: &str,
        input: &[usize],
        kernel: &[usize],
        stride: &[usize],
        padding: &Padding,
        dilation: &[usize],
    ) -> Result<Vec<usize>, NirError> {
        let mut out = Vec::with_capacity(input.len());
        for i in 0..input.len() {
            let n = input[i] as i64;
            let p = match padding {
                Padding::Same => {
                    out.push(input[i]);
                    continue;
                }
                Padding::Valid => 0,
                Padding::Explicit(p) => p[i] as i64,
            };
            let span = dilation[i] as i64 * (kernel[i] as i64 - 1) + 1;
            let size = (n + 2 * p - span).div_euclid(stride[i] as i64) + 1;
            if size <= 0 {
                return Err(self.err(
                    path,
                    Some("padding"),
                    format!(
                        "input shape {input:?}: the window {span} (kernel {kernel:?}) is larger than dimension {i} with its padding {p}"
                    ),
                ));
            }
            out.push(size as usize);
        }
        Ok(out)
    }

    /// `torch.flatten(start_dim, end_dim)` of a shape (no batch dimension).
    fn flatten(&self, node: &Node, path: &str, input: &[usize]) -> Result<Vec<usize>, NirError> {
        let Node::Flatten {
            start_dim, end_dim, ..
        } = node
        else {
            return Ok(input.to_vec());
        };
        let n = input.len() as i64;
        let norm = |d: i64| if d < 0 { d + n } else { d };
        let (start, end) = (norm(*start_dim), norm(*end_dim));
        if !(0 <= start && start <= end && end < n) {
            return Err(self.err(
                path,
                Some("start_dim"),
                format!(
                    "start_dim {start_dim}, end_dim {end_dim} do not fit an input of shape {input:?}"
                ),
            ));
        }
        let (start, end) = (start as usize, end as usize);
        let middle: usize = input[start..=end].iter().product();
        Ok([&input[..start], &[middle], &input[end + 1..]].concat())
    }

    /// Pushes shapes along the edges until nothing changes, then checks that
    /// every edge's source output equals its target input.
    fn propagate<'g>(
        &self,
        graph: &'g Graph,
        prefix: &str,
        known: &mut BTreeMap<&'g str, Known>,
    ) -> Result<(), NirError> {
        loop {
            let mut changed = false;
            for (source, target) in &graph.edges {
                let Some(out) = known[source.as_str()].output.clone() else {
                    continue;
                };
                let k = &known[target.as_str()];
                if k.input.is_none() {
                    let path = join(prefix, target);
                    let node = &graph.nodes[target];
                    self.needs_port(node, &path, true)?;
                    let output = match &k.output {
                        Some(o) => o.clone(),
                        None => self.derived_output(node, &path, &out)?,
                    };
                    known.insert(
                        target.as_str(),
                        Known {
                            input: Some(out),
                            output: Some(output),
                        },
                    );
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (source, target) in &graph.edges {
            let (s, t) = (&known[source.as_str()], &known[target.as_str()]);
            if s.output.is_none() {
                self.needs_port(&graph.nodes[source], &join(prefix, source), false)?;
            }
            if let (Some(out), Some(input)) = (&s.output, &t.input)
                && out != input
            {
                let node = &graph.nodes[target];
                return Err(self.err(
                    &join(prefix, target),
                    Some(shape_field(node)),
                    format!(
                        "the edge `{source}` -> `{target}` brings shape {out:?}, but `{target}` ({}) takes {input:?}",
                        node.type_name()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// An edge into (`input`) or out of a subgraph needs exactly one Input
    /// (Output) node in it.
    fn needs_port(&self, node: &Node, path: &str, input: bool) -> Result<(), NirError> {
        let Node::Graph(inner) = node else {
            return Ok(());
        };
        let kind = if input { "Input" } else { "Output" };
        let count = inner
            .nodes
            .values()
            .filter(|n| n.type_name() == kind)
            .count();
        Err(self.err(
            path,
            Some("nodes"),
            format!(
                "an edge {} this subgraph needs exactly one {kind} node in it; it has {count}",
                if input { "into" } else { "out of" }
            ),
        ))
    }
}

/// The field that fixes a node's input shape, for mismatch messages.
fn shape_field(node: &Node) -> &'static str {
    match node {
        Node::Input { .. } | Node::Output { .. } => "shape",
        Node::Flatten { .. } => "input_type",
        Node::SumPool2d { .. } | Node::AvgPool2d { .. } => "kernel_size",
        Node::Graph(_) => "nodes",
        n => n.tensors().first().map_or("type", |(f, _)| f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(nodes: Vec<(&str, Node)>, edges: &[(&str, &str)]) -> Graph {
        Graph {
            nodes: nodes.into_iter().map(|(k, n)| (k.to_string(), n)).collect(),
            edges: edges
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            metadata: BTreeMap::new(),
        }
    }

    /// PyTorch's Conv2d with groups, a non-square kernel, stride, padding
    /// and dilation per dimension, worked by hand from its documented
    /// formula: H' = floor((7 + 2 - 1*(3-1) - 1)/2 + 1) = 4,
    /// W' = floor((9 + 4 - 2*(5-1) - 1)/1 + 1) = 5; then flatten(1, 2).
    #[test]
    fn grouped_rectangular_convolution_has_pytorch_shapes() {
        let g = graph(
            vec![
                (
                    "in",
                    Node::Input {
                        shape: vec![2, 7, 9],
                    },
                ),
                (
                    "conv",
                    Node::Conv2d {
                        weight: Tensor::zeros(vec![4, 1, 3, 5]),
                        bias: Tensor::zeros(vec![4]),
                        stride: vec![2, 1],
                        padding: Padding::Explicit(vec![1, 2]),
                        dilation: vec![1, 2],
                        groups: 2,
                        input_shape: None,
                    },
                ),
                (
                    "flat",
                    Node::Flatten {
                        start_dim: 1,
                        end_dim: -1,
                        input_type: None,
                    },
                ),
            ],
            &[("in", "conv"), ("conv", "flat")],
        );
        let s = g.check(Path::new("g.nir")).unwrap();
        assert_eq!(s.get("conv").unwrap().output, vec![4, 4, 5]);
        assert_eq!(s.get("flat").unwrap().output, vec![4, 20]);
    }

    #[test]
    fn edges_into_a_subgraph_need_one_input() {
        let inner = graph(
            vec![
                ("a", Node::Input { shape: vec![2] }),
                ("b", Node::Input { shape: vec![2] }),
            ],
            &[],
        );
        let g = graph(
            vec![
                ("in", Node::Input { shape: vec![2] }),
                ("sub", Node::Graph(inner)),
            ],
            &[("in", "sub")],
        );
        let e = g.check(Path::new("g.nir")).unwrap_err();
        assert_eq!(
            (e.node.as_str(), e.field.as_deref()),
            ("sub", Some("nodes"))
        );
        assert!(e.message.contains("it has 2"), "{e}");
    }

    #[test]
    fn duplicate_edges_and_bad_time_constants_are_refused() {
        let lif = |tau: f64| Node::LI {
            tau: Tensor::vector(vec![tau]),
            r: Tensor::vector(vec![1.0]),
            v_leak: Tensor::vector(vec![0.0]),
        };
        let g = graph(
            vec![("in", Node::Input { shape: vec![1] }), ("li", lif(1e-3))],
            &[("in", "li"), ("in", "li")],
        );
        let e = g.check(Path::new("g.nir")).unwrap_err();
        assert!(e.message.contains("appears twice"), "{e}");
        let g = graph(
            vec![("in", Node::Input { shape: vec![1] }), ("li", lif(0.0))],
            &[("in", "li")],
        );
        let e = g.check(Path::new("g.nir")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "g.nir: node `li`: field `tau`: 0: a time constant must be positive (seconds)"
        );
    }
}
