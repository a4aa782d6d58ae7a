//! What reaches each neuron node, as a sum over the populations (spike
//! sources and neuron nodes) of a sparse map with delays, plus a constant
//! bias: the Affine, Linear, Scale, Delay, Flatten, convolution and pooling
//! nodes between populations composed along every path, the paths into one
//! node summed (several edges into a node add up).

use std::collections::BTreeMap;
use std::path::Path;

use super::conv::{conv_map, pool_map};
use super::flat::{Flat, Role};
use super::shapes::{input_shape, window};
use super::sparse::{SparseMap, TooLarge};
use crate::nir::{NirError, Node, Tensor};

/// Most synapses one projection (or one expanded node) may have.
pub const MAX_SYNAPSES: usize = 10_000_000;

/// A node's input or output as a function of the populations' outputs.
#[derive(Debug, Clone)]
pub struct Expr {
    /// Population node index -> map from its elements to this node's.
    pub terms: BTreeMap<usize, SparseMap>,
    /// The constant part (Affine and convolution biases carried here).
    pub bias: Vec<f64>,
    /// Number of elements.
    pub size: usize,
}

impl Expr {
    fn zero(size: usize) -> Self {
        Self {
            terms: BTreeMap::new(),
            bias: vec![0.0; size],
            size,
        }
    }

    fn population(i: usize, size: usize) -> Self {
        let mut e = Self::zero(size);
        e.terms.insert(i, SparseMap::identity(size));
        e
    }

    fn delayed(mut self, steps: u32) -> Self {
        for m in self.terms.values_mut() {
            *m = std::mem::replace(m, SparseMap::empty(0, 0)).delayed(steps);
        }
        self
    }

    fn add(&mut self, other: Expr) -> Result<(), TooLarge> {
        for (p, m) in other.terms {
            match self.terms.get_mut(&p) {
                Some(mine) => mine.add(&m, MAX_SYNAPSES)?,
                None => {
                    self.terms.insert(p, m);
                }
            }
        }
        for (a, b) in self.bias.iter_mut().zip(other.bias) {
            *a += b;
        }
        Ok(())
    }

    /// This expression through a map node's matrix and its own bias.
    fn through(&self, map: &SparseMap, own_bias: Option<&[f64]>) -> Result<Expr, TooLarge> {
        let mut out = Expr::zero(map.n_out);
        for (&p, m) in &self.terms {
            let composed = m.then(map, MAX_SYNAPSES)?;
            if !composed.is_empty() {
                out.terms.insert(p, composed);
            }
        }
        out.bias = map.carry(&self.bias);
        if let Some(b) = own_bias {
            for (a, b) in out.bias.iter_mut().zip(b) {
                *a += b;
            }
        }
        Ok(out)
    }
}

/// The inputs of every neuron and Output node.
pub struct Composed {
    /// Indexed by flat node; `Some` for neuron and sink nodes.
    pub inputs: Vec<Option<Expr>>,
}

/// A per-element parameter of `n` elements from a tensor of 1 or `n`.
pub fn per_element(
    t: &Tensor,
    n: usize,
    file: &Path,
    node: &str,
    field: &str,
) -> Result<Vec<f64>, NirError> {
    match t.len() {
        1 => Ok(vec![t.data[0]; n]),
        m if m == n => Ok(t.data.clone()),
        m => Err(NirError::at(
            file,
            node,
            Some(field),
            format!("has {m} elements (shape {:?}), the node has {n}", t.shape),
        )),
    }
}

/// Composes the graph (time step `dt`, for Delay nodes).
pub fn compose(flat: &Flat, dt: f64, file: &Path) -> Result<Composed, NirError> {
    let n = flat.nodes.len();
    let is_pop = |i: usize| matches!(flat.nodes[i].role, Role::Source | Role::Neuron);
    let order = map_order(flat, file)?;
    let mut outputs: Vec<Option<Expr>> = vec![None; n];
    let mut inputs: Vec<Option<Expr>> = vec![None; n];
    let pops: Vec<usize> = (0..n).filter(|&i| is_pop(i)).collect();
    for &i in &pops {
        outputs[i] = Some(Expr::population(i, flat.size(i)));
    }
    check_non_spiking(flat, file)?;
    // Map, pass and sink nodes in dependency order, then neuron nodes.
    for &i in order.iter().chain(pops.iter()) {
        if flat.nodes[i].role == Role::Source {
            continue;
        }
        let input = gather(flat, i, &outputs, file)?;
        match flat.nodes[i].role {
            Role::Map => {
                let out = apply(flat, i, &input, dt, file)?;
                outputs[i] = Some(out);
            }
            Role::Pass => outputs[i] = Some(input),
            Role::Sink | Role::Neuron => inputs[i] = Some(input),
            Role::Source => unreachable!("skipped above"),
        }
    }
    Ok(Composed { inputs })
}

/// The sum of what the edges into node `i` carry (a cycle-closing edge one
/// step later).
fn gather(flat: &Flat, i: usize, outputs: &[Option<Expr>], file: &Path) -> Result<Expr, NirError> {
    let path = &flat.nodes[i].path;
    let size = expected_input(flat, i);
    let mut sum: Option<Expr> = None;
    for e in flat.incoming(i) {
        let s = flat.edges[e].0;
        let out = outputs[s].clone().expect("sources are computed first");
        if let Some(want) = size
            && out.size != want
        {
            return Err(NirError::at(
                file,
                path,
                Some("edges"),
                format!(
                    "the edge from `{}` brings {} elements, the node takes {want}",
                    flat.nodes[s].path, out.size
                ),
            ));
        }
        let out = if flat.back[e] { out.delayed(1) } else { out };
        match &mut sum {
            None => sum = Some(out),
            Some(acc) => {
                if acc.size != out.size {
                    return Err(NirError::at(
                        file,
                        path,
                        Some("edges"),
                        format!(
                            "its inputs differ in size ({} and {} elements from `{}`)",
                            acc.size, out.size, flat.nodes[s].path
                        ),
                    ));
                }
                acc.add(out).map_err(|t| too_large(file, path, t))?;
            }
        }
    }
    Ok(sum.unwrap_or_else(|| Expr::zero(size.unwrap_or_else(|| flat.size(i)))))
}

/// The number of input elements a node takes, where its parameters fix it.
fn expected_input(flat: &Flat, i: usize) -> Option<usize> {
    match flat.nodes[i].node {
        Node::Affine { weight, .. } | Node::Linear { weight } => weight.shape.get(1).copied(),
        Node::Flatten { .. } => None,
        Node::Conv1d { .. }
        | Node::Conv2d { .. }
        | Node::SumPool2d { .. }
        | Node::AvgPool2d { .. } => None,
        _ => Some(flat.size(i)),
    }
}

fn too_large(file: &Path, path: &str, t: TooLarge) -> NirError {
    NirError::at(
        file,
        path,
        None,
        format!(
            "composing the paths through this node makes at least {} synapses, more than the limit of {MAX_SYNAPSES} per projection",
            t.0
        ),
    )
}

/// The map, pass and sink nodes in an order where each comes after the
/// non-population nodes feeding it; a cycle among them (one that passes
/// through no neuron node) is an error naming it.
fn map_order(flat: &Flat, file: &Path) -> Result<Vec<usize>, NirError> {
    let n = flat.nodes.len();
    let inner = |i: usize| matches!(flat.nodes[i].role, Role::Map | Role::Pass | Role::Sink);
    let mut indegree = vec![0usize; n];
    for &(s, t) in &flat.edges {
        if inner(s) && inner(t) {
            indegree[t] += 1;
        }
    }
    let mut ready: Vec<usize> = (0..n)
        .filter(|&i| inner(i) && indegree[i] == 0)
        .rev()
        .collect();
    let mut order = Vec::new();
    while let Some(i) = ready.pop() {
        order.push(i);
        for e in flat.outgoing(i) {
            let t = flat.edges[e].1;
            if inner(t) {
                indegree[t] -= 1;
                if indegree[t] == 0 {
                    ready.push(t);
                }
            }
        }
    }
    let left: Vec<&str> = (0..n)
        .filter(|&i| inner(i) && indegree[i] > 0)
        .map(|i| flat.nodes[i].path.as_str())
        .collect();
    if let Some(first) = left.first() {
        return Err(NirError::at(
            file,
            *first,
            Some("edges"),
            format!(
                "a cycle through no neuron node (among {}): spikesim cannot simulate an instantaneous loop",
                left.iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(order)
}

/// A non-spiking node (LI, CubaLI, I) outputs its membrane, which spikesim
/// records but cannot send through synapses: it may only feed an Output
/// (directly or through nested graphs' Input/Output nodes).
fn check_non_spiking(flat: &Flat, file: &Path) -> Result<(), NirError> {
    for (i, node) in flat.nodes.iter().enumerate() {
        if node.role != Role::Neuron || node.node.is_spiking() {
            continue;
        }
        let mut stack = vec![i];
        while let Some(v) = stack.pop() {
            for e in flat.outgoing(v) {
                let t = flat.edges[e].1;
                match flat.nodes[t].role {
                    Role::Sink => {}
                    Role::Pass => stack.push(t),
                    _ => {
                        return Err(NirError::at(
                            file,
                            &node.path,
                            Some("edges"),
                            format!(
                                "{} is a non-spiking node (its output is its membrane) and feeds `{}`: \
                                 spikesim can only record it (an edge to an Output)",
                                node.node.type_name(),
                                flat.nodes[t].path
                            ),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// A map node applied to its input.
fn apply(flat: &Flat, i: usize, input: &Expr, dt: f64, file: &Path) -> Result<Expr, NirError> {
    let path = &flat.nodes[i].path;
    let node = flat.nodes[i].node;
    let n = input.size;
    let err = |field: &str, m: String| NirError::at(file, path, Some(field), m);
    let (map, bias): (SparseMap, Option<Vec<f64>>) = match node {
        Node::Affine { weight, bias } => {
            let (o, k) = (weight.shape[0], weight.shape[1]);
            let b = per_element(bias, o, file, path, "bias")?;
            (SparseMap::dense(&weight.data, o, k), Some(b))
        }
        Node::Linear { weight } => {
            let (o, k) = (weight.shape[0], weight.shape[1]);
            (SparseMap::dense(&weight.data, o, k), None)
        }
        Node::Scale { scale } => {
            let s = per_element(scale, n, file, path, "scale")?;
            (SparseMap::diagonal(&s, &vec![0; n]), None)
        }
        Node::Delay { delay } => {
            let d = per_element(delay, n, file, path, "delay")?;
            let steps = d
                .iter()
                .map(|&tau| {
                    let k = (tau / dt).round();
                    if !(0.0..=1e9).contains(&k) {
                        Err(err(
                            "delay",
                            format!(
                                "{tau} s is not a delay spikesim can hold (0 to 1e9 steps of dt)"
                            ),
                        ))
                    } else {
                        Ok(k as u32)
                    }
                })
                .collect::<Result<Vec<u32>, NirError>>()?;
            (SparseMap::diagonal(&vec![1.0; n], &steps), None)
        }
        Node::Flatten { .. } => return Ok(input.clone()),
        Node::Conv1d { weight, bias, .. } | Node::Conv2d { weight, bias, .. } => {
            let shape = input_shape(flat, i);
            let g = window(node, shape.as_deref())
                .map_err(|(f, m)| err(f, m))?
                .ok_or_else(|| err("input_shape", "the input shape is unknown".into()))?;
            let map = conv_map(
                &weight.data,
                g.cout,
                g.cin,
                g.groups,
                &g.window,
                MAX_SYNAPSES,
            )
            .map_err(|m| err("weight", m))?;
            let positions = map.n_out / g.cout.max(1);
            let b = per_element(bias, g.cout, file, path, "bias")?;
            let b: Vec<f64> = b
                .iter()
                .flat_map(|&x| std::iter::repeat_n(x, positions))
                .collect();
            (map, Some(b))
        }
        Node::SumPool2d { .. } | Node::AvgPool2d { .. } => {
            let shape = input_shape(flat, i);
            let g = window(node, shape.as_deref())
                .map_err(|(f, m)| err(f, m))?
                .ok_or_else(|| err("kernel_size", "the input shape is unknown".into()))?;
            let [kh, kw] = g.window.kernel;
            let w = if matches!(node, Node::AvgPool2d { .. }) {
                1.0 / (kh * kw) as f64
            } else {
                1.0
            };
            (
                pool_map(g.cin, &g.window, w, MAX_SYNAPSES).map_err(|m| err("kernel_size", m))?,
                None,
            )
        }
        other => unreachable!("{} is not a map node", other.type_name()),
    };
    if map.n_in != n {
        return Err(err(
            "edges",
            format!("takes {} elements, its input has {n}", map.n_in),
        ));
    }
    input
        .through(&map, bias.as_deref())
        .map_err(|t| too_large(file, path, t))
}
