//! Reading and writing NIR files in the layout of the `nir` 1.0.8 Python
//! package (`nir.read` / `nir.write`).
//!
//! Layout: `/version` (a string), `/node` the top node; every node a group
//! with a `type` string (the class name) and one dataset per parameter;
//! a `NIRGraph` holds `nodes/<name>/`, `edges` (strings `[E, 2]`) and an
//! optional `metadata/` group. Parameters keep their stored dtype in the
//! file (float32 weights from torch, float64, int64) and are read as f64;
//! arrays are gzip-compressed by nir, which libhdf5 undoes.
//!
//! Reading is for untrusted files: libhdf5 runs in the guard's child
//! process ([`crate::io::tree`]) and this module interprets the tree it
//! sends back. What nir 1.0.8 itself accepts is accepted here, plus two
//! older forms: a missing `v_reset` reads as zeros (files before nir 1.0),
//! and a 0-d neuron parameter beside array ones (old snnTorch exports'
//! scalar `v_threshold`) is broadcast to the node's shape. Writing produces
//! what `nir.read` accepts with its type check on: float64 parameters,
//! gzip as nir writes them, 0-d neuron parameters broadcast.
use std::path::Path;

use ::hdf5::types::VarLenUnicode;
use ::hdf5::{File, Group};
use ndarray::{ArrayD, IxDyn};

use super::error::NirError;
use super::graph::{Graph, Meta, Node, Padding, Tensor};
use crate::io::IoError;
use crate::io::hdf5::PartialFile;
use crate::io::tree::{TreeDataset, TreeGroup, TreeValues, read_tree};

/// The package version written in `/version`: the layout is nir 1.0.8's.
pub const NIR_VERSION: &str = "1.0.8";

/// gzip level h5py uses for `compression="gzip"` without options.
const GZIP_LEVEL: u8 = 4;

/// Reads the NIR file at `path` (untrusted: libhdf5 runs in the guard's
/// child process when the guard is on). Only the layout is checked here;
/// [`Graph::check`] checks shapes, values and edges.
pub fn read(path: &Path) -> Result<Graph, NirError> {
    let tree = read_tree(path).map_err(|e| from_io(path, e))?;
    let node = tree.group("node").ok_or_else(|| {
        NirError::file(
            path,
            "no `node` group: not a NIR file (nir.write puts the graph there)",
        )
    })?;
    let reader = TreeReader { file: path };
    match reader.node(node, "")? {
        Node::Graph(graph) => Ok(graph),
        other => Err(NirError::at(
            path,
            "",
            Some("type"),
            format!(
                "the top node is a `{}`, not a `NIRGraph`",
                other.type_name()
            ),
        )),
    }
}

/// An io error as a NirError about the file, without repeating its path.
fn from_io(path: &Path, e: IoError) -> NirError {
    let text = e.to_string();
    let prefix = format!("{}: ", path.display());
    let message = text.strip_prefix(&prefix).unwrap_or(&text).to_string();
    NirError::file(path, message)
}

struct TreeReader<'a> {
    file: &'a Path,
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

/// The node types nir 1.0.8 reads, for the unknown-type message.
const KNOWN_TYPES: &str = "NIRGraph, Input, Output, Affine, Linear, Scale, Delay, Threshold, \
     Flatten, Conv1d, Conv2d, SumPool2d, AvgPool2d, I, IF, LI, LIF, CubaLI, CubaLIF";

impl TreeReader<'_> {
    fn err(&self, node: &str, field: Option<&str>, message: impl Into<String>) -> NirError {
        NirError::at(self.file, node, field, message)
    }

    fn dataset<'t>(
        &self,
        group: &'t TreeGroup,
        node: &str,
        field: &str,
    ) -> Result<&'t TreeDataset, NirError> {
        group.dataset(field).ok_or_else(|| {
            let message = if group.group(field).is_some() {
                "is a group, expected a dataset"
            } else {
                "missing"
            };
            self.err(node, Some(field), message)
        })
    }

    fn text(&self, group: &TreeGroup, node: &str, field: &str) -> Result<String, NirError> {
        let ds = self.dataset(group, node, field)?;
        match &ds.values {
            TreeValues::Text(v) if v.len() == 1 => Ok(v[0].clone()),
            _ => Err(self.err(node, Some(field), "expected one string")),
        }
    }

    fn tensor(&self, group: &TreeGroup, node: &str, field: &str) -> Result<Tensor, NirError> {
        let ds = self.dataset(group, node, field)?;
        let data = match &ds.values {
            TreeValues::Float(v) => v.clone(),
            TreeValues::Int(v) => v.iter().map(|&x| x as f64).collect(),
            TreeValues::Text(_) => {
                return Err(self.err(node, Some(field), "holds strings, expected numbers"));
            }
            TreeValues::Other(t) => {
                return Err(self.err(node, Some(field), format!("holds {t}, expected numbers")));
            }
        };
        if ds.shape.iter().product::<usize>() != data.len() {
            return Err(self.err(
                node,
                Some(field),
                format!("{} values for shape {:?}", data.len(), ds.shape),
            ));
        }
        Ok(Tensor::new(ds.shape.clone(), data))
    }

    /// Integers as stored (a scalar is a one-element list).
    fn ints(&self, group: &TreeGroup, node: &str, field: &str) -> Result<Vec<i64>, NirError> {
        let ds = self.dataset(group, node, field)?;
        match &ds.values {
            TreeValues::Int(v) if ds.shape.len() <= 1 => Ok(v.clone()),
            // numpy float arrays of whole numbers (a shape built by hand).
            TreeValues::Float(v)
                if ds.shape.len() <= 1 && v.iter().all(|x| x.fract() == 0.0 && x.abs() < 9e15) =>
            {
                Ok(v.iter().map(|&x| x as i64).collect())
            }
            _ => Err(self.err(
                node,
                Some(field),
                format!(
                    "expected integers (a number or a list), found shape {:?}",
                    ds.shape
                ),
            )),
        }
    }

    fn sizes(&self, group: &TreeGroup, node: &str, field: &str) -> Result<Vec<usize>, NirError> {
        self.ints(group, node, field)?
            .into_iter()
            .map(|x| {
                usize::try_from(x)
                    .map_err(|_| self.err(node, Some(field), format!("negative size {x}")))
            })
            .collect()
    }

    fn int(&self, group: &TreeGroup, node: &str, field: &str) -> Result<i64, NirError> {
        match self.ints(group, node, field)?[..] {
            [x] => Ok(x),
            _ => Err(self.err(node, Some(field), "expected one integer")),
        }
    }

    /// A size per spatial dimension: an int for all of them, or `dims` ints.
    fn per_dim(
        &self,
        group: &TreeGroup,
        node: &str,
        field: &str,
        dims: usize,
    ) -> Result<Vec<usize>, NirError> {
        let v = self.sizes(group, node, field)?;
        match v.len() {
            1 => Ok(vec![v[0]; dims]),
            n if n == dims => Ok(v),
            n => Err(self.err(
                node,
                Some(field),
                format!("expected 1 or {dims} values, found {n}"),
            )),
        }
    }

    fn optional_sizes(
        &self,
        group: &TreeGroup,
        node: &str,
        field: &str,
    ) -> Result<Option<Vec<usize>>, NirError> {
        match group.dataset(field) {
            None => Ok(None),
            Some(_) => self.sizes(group, node, field).map(Some),
        }
    }

    fn padding(&self, group: &TreeGroup, node: &str, dims: usize) -> Result<Padding, NirError> {
        let ds = self.dataset(group, node, "padding")?;
        if let TreeValues::Text(_) = ds.values {
            return match self.text(group, node, "padding")?.as_str() {
                "same" => Ok(Padding::Same),
                "valid" => Ok(Padding::Valid),
                other => Err(self.err(
                    node,
                    Some("padding"),
                    format!("`{other}`: expected a number, \"same\" or \"valid\""),
                )),
            };
        }
        Ok(Padding::Explicit(
            self.per_dim(group, node, "padding", dims)?,
        ))
    }

    fn node(&self, group: &TreeGroup, path: &str) -> Result<Node, NirError> {
        let kind = self.text(group, path, "type")?;
        let g = group;
        let t = |field: &str| self.tensor(g, path, field);
        let node = match kind.as_str() {
            "NIRGraph" => Node::Graph(self.graph(g, path)?),
            "Input" => Node::Input {
                shape: self.sizes(g, path, "shape")?,
            },
            "Output" => Node::Output {
                shape: self.sizes(g, path, "shape")?,
            },
            "Affine" => Node::Affine {
                weight: t("weight")?,
                bias: t("bias")?,
            },
            "Linear" => Node::Linear {
                weight: t("weight")?,
            },
            "Scale" => Node::Scale { scale: t("scale")? },
            "Delay" => Node::Delay { delay: t("delay")? },
            "Threshold" => Node::Threshold {
                threshold: t("threshold")?,
            },
            "Flatten" => Node::Flatten {
                start_dim: self.int(g, path, "start_dim")?,
                end_dim: self.int(g, path, "end_dim")?,
                input_type: self.optional_sizes(g, path, "input_type")?,
            },
            "Conv1d" | "Conv2d" => {
                let dims = if kind == "Conv1d" { 1 } else { 2 };
                let (weight, bias) = (t("weight")?, t("bias")?);
                let stride = self.per_dim(g, path, "stride", dims)?;
                let padding = self.padding(g, path, dims)?;
                let dilation = self.per_dim(g, path, "dilation", dims)?;
                let groups = self.int(g, path, "groups").and_then(|n| {
                    usize::try_from(n)
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| self.err(path, Some("groups"), "must be positive"))
                })?;
                let input_shape = self.optional_sizes(g, path, "input_shape")?;
                if dims == 1 {
                    Node::Conv1d {
                        weight,
                        bias,
                        stride,
                        padding,
                        dilation,
                        groups,
                        input_shape,
                    }
                } else {
                    Node::Conv2d {
                        weight,
                        bias,
                        stride,
                        padding,
                        dilation,
                        groups,
                        input_shape,
                    }
                }
            }
            "SumPool2d" | "AvgPool2d" => {
                let kernel_size = self.per_dim(g, path, "kernel_size", 2)?;
                let stride = self.per_dim(g, path, "stride", 2)?;
                let padding = self.per_dim(g, path, "padding", 2)?;
                if kind == "SumPool2d" {
                    Node::SumPool2d {
                        kernel_size,
                        stride,
                        padding,
                    }
                } else {
                    Node::AvgPool2d {
                        kernel_size,
                        stride,
                        padding,
                    }
                }
            }
            "I" => Node::I { r: t("r")? },
            "IF" => {
                let v_threshold = t("v_threshold")?;
                Node::IF {
                    r: t("r")?,
                    v_reset: self.v_reset(g, path, &v_threshold)?,
                    v_threshold,
                }
            }
            "LI" => Node::LI {
                tau: t("tau")?,
                r: t("r")?,
                v_leak: t("v_leak")?,
            },
            "LIF" => {
                let v_threshold = t("v_threshold")?;
                Node::LIF {
                    tau: t("tau")?,
                    r: t("r")?,
                    v_leak: t("v_leak")?,
                    v_reset: self.v_reset(g, path, &v_threshold)?,
                    v_threshold,
                }
            }
            "CubaLI" => Node::CubaLI {
                tau_syn: t("tau_syn")?,
                tau_mem: t("tau_mem")?,
                r: t("r")?,
                v_leak: t("v_leak")?,
                w_in: t("w_in")?,
            },
            "CubaLIF" => {
                let v_threshold = t("v_threshold")?;
                Node::CubaLIF {
                    tau_syn: t("tau_syn")?,
                    tau_mem: t("tau_mem")?,
                    r: t("r")?,
                    v_leak: t("v_leak")?,
                    w_in: t("w_in")?,
                    v_reset: self.v_reset(g, path, &v_threshold)?,
                    v_threshold,
                }
            }
            other => {
                return Err(self.err(
                    path,
                    Some("type"),
                    format!("unknown node type `{other}` (nir 1.0.8 has {KNOWN_TYPES})"),
                ));
            }
        };
        Ok(broadcast_scalars(node))
    }

    /// `v_reset`, or zeros shaped like `v_threshold` when absent (files
    /// written before nir 1.0, as nir reads them).
    fn v_reset(&self, g: &TreeGroup, path: &str, v_th: &Tensor) -> Result<Tensor, NirError> {
        match g.dataset("v_reset") {
            Some(_) => self.tensor(g, path, "v_reset"),
            None => Ok(Tensor::zeros(v_th.shape.clone())),
        }
    }

    fn graph(&self, group: &TreeGroup, path: &str) -> Result<Graph, NirError> {
        let nodes = group.group("nodes").ok_or_else(|| {
            self.err(
                path,
                Some("nodes"),
                "missing: a NIRGraph needs a `nodes` group",
            )
        })?;
        let mut graph = Graph::default();
        for child in &nodes.groups {
            let node = self.node(child, &join(path, &child.name))?;
            graph.nodes.insert(child.name.clone(), node);
        }
        if let Some(ds) = nodes.datasets.first() {
            return Err(self.err(
                &join(path, &ds.name),
                None,
                "is a dataset in `nodes`, expected a node group",
            ));
        }
        graph.edges = self.edges(group, path)?;
        if let Some(meta) = group.group("metadata") {
            graph.metadata = self.metadata(meta);
        }
        Ok(graph)
    }

    fn edges(&self, group: &TreeGroup, path: &str) -> Result<Vec<(String, String)>, NirError> {
        let ds = self.dataset(group, path, "edges")?;
        let empty = ds.shape.iter().product::<usize>() == 0;
        match &ds.values {
            // nir writes an empty edge list as an empty float array.
            _ if empty => Ok(Vec::new()),
            TreeValues::Text(v) if ds.shape.len() == 2 && ds.shape[1] == 2 => Ok(v
                .chunks(2)
                .map(|pair| (pair[0].clone(), pair[1].clone()))
                .collect()),
            _ => Err(self.err(
                path,
                Some("edges"),
                format!(
                    "expected strings of shape [E, 2] (source, target), found shape {:?}",
                    ds.shape
                ),
            )),
        }
    }

    /// Strings, numbers and numeric arrays; anything else is skipped
    /// (metadata is informative only).
    fn metadata(&self, group: &TreeGroup) -> std::collections::BTreeMap<String, Meta> {
        let mut out = std::collections::BTreeMap::new();
        for ds in &group.datasets {
            let value = match &ds.values {
                TreeValues::Text(v) if v.len() == 1 && ds.shape.is_empty() => {
                    Meta::Text(v[0].clone())
                }
                TreeValues::Float(v) if ds.shape.is_empty() => Meta::Number(v[0]),
                TreeValues::Int(v) if ds.shape.is_empty() => Meta::Number(v[0] as f64),
                TreeValues::Float(v) => Meta::Array(Tensor::new(ds.shape.clone(), v.clone())),
                TreeValues::Int(v) => Meta::Array(Tensor::new(
                    ds.shape.clone(),
                    v.iter().map(|&x| x as f64).collect(),
                )),
                _ => continue,
            };
            out.insert(ds.name.clone(), value);
        }
        out
    }
}

/// The neuron parameters of `node`, mutable, for broadcasting.
fn neuron_params_mut(node: &mut Node) -> Vec<&mut Tensor> {
    match node {
        Node::I { r } => vec![r],
        Node::IF {
            r,
            v_threshold,
            v_reset,
        } => vec![r, v_threshold, v_reset],
        Node::LI { tau, r, v_leak } => vec![tau, r, v_leak],
        Node::LIF {
            tau,
            r,
            v_leak,
            v_threshold,
            v_reset,
        } => vec![tau, r, v_leak, v_threshold, v_reset],
        Node::CubaLI {
            tau_syn,
            tau_mem,
            r,
            v_leak,
            w_in,
        } => vec![tau_syn, tau_mem, r, v_leak, w_in],
        Node::CubaLIF {
            tau_syn,
            tau_mem,
            r,
            v_leak,
            w_in,
            v_threshold,
            v_reset,
        } => vec![tau_syn, tau_mem, r, v_leak, w_in, v_threshold, v_reset],
        _ => Vec::new(),
    }
}

/// A neuron node's 0-d parameters take the shape of its array ones (old
/// snnTorch exports wrote one scalar `v_threshold` per layer). Arrays of
/// different shapes are left for the check to report.
pub(crate) fn broadcast_scalars(mut node: Node) -> Node {
    let mut params = neuron_params_mut(&mut node);
    let Some(shape) = params
        .iter()
        .find(|t| !t.shape.is_empty())
        .map(|t| t.shape.clone())
    else {
        return node;
    };
    let n = shape.iter().product();
    for t in params.iter_mut() {
        if t.shape.is_empty() && t.data.len() == 1 {
            **t = Tensor::new(shape.clone(), vec![t.data[0]; n]);
        }
    }
    node
}

// ------------------------------------------------------------------ writing

/// Writes `graph` to `path` in nir 1.0.8's layout, through `path.partial`
/// and a rename, so that a failed write leaves no file taken for whole.
pub fn write(path: &Path, graph: &Graph) -> Result<(), NirError> {
    ::hdf5::silence_errors(true);
    let io = |e: IoError| from_io(path, e);
    let partial = PartialFile::new(path).map_err(io)?;
    let writer = TreeWriter { file: path };
    {
        let file = File::create(partial.path())
            .map_err(|e| NirError::file(path, format!("cannot create it: {e}")))?;
        writer.text(&file, "", "version", NIR_VERSION)?;
        let root = writer.group(&file, "", "node")?;
        writer.graph(&root, "", graph)?;
    }
    partial.commit().map_err(io)
}

struct TreeWriter<'a> {
    file: &'a Path,
}

impl TreeWriter<'_> {
    fn fail(&self, node: &str, field: &str, e: impl std::fmt::Display) -> NirError {
        NirError::at(
            self.file,
            node,
            Some(field),
            format!("cannot write it: {e}"),
        )
    }

    fn group(&self, parent: &Group, node: &str, name: &str) -> Result<Group, NirError> {
        parent
            .create_group(name)
            .map_err(|e| self.fail(node, name, e))
    }

    fn text(&self, g: &Group, node: &str, name: &str, value: &str) -> Result<(), NirError> {
        let v: VarLenUnicode = value.parse().map_err(|e| self.fail(node, name, e))?;
        g.new_dataset::<VarLenUnicode>()
            .create(name)
            .and_then(|ds| ds.write_scalar(&v))
            .map_err(|e| self.fail(node, name, e))
    }

    /// float64, gzip-compressed unless 0-d or empty (HDF5 cannot chunk
    /// those; nir stores scalars uncompressed too).
    fn tensor(&self, g: &Group, node: &str, name: &str, t: &Tensor) -> Result<(), NirError> {
        let array = ArrayD::from_shape_vec(IxDyn(&t.shape), t.data.clone())
            .map_err(|e| self.fail(node, name, e))?;
        self.array(g, node, name, array, true)
    }

    fn array<T: ::hdf5::H5Type>(
        &self,
        g: &Group,
        node: &str,
        name: &str,
        array: ArrayD<T>,
        gzip: bool,
    ) -> Result<(), NirError> {
        let compress = gzip && array.ndim() > 0 && !array.is_empty();
        let mut builder = g.new_dataset_builder().with_data(&array);
        if compress {
            builder = builder.deflate(GZIP_LEVEL);
        }
        builder
            .create(name)
            .map(|_| ())
            .map_err(|e| self.fail(node, name, e))
    }

    /// int64: a 1-d array (gzip, as nir writes numpy arrays) or, for
    /// `scalar`, a 0-d value (as nir writes Python ints).
    fn ints(
        &self,
        g: &Group,
        node: &str,
        name: &str,
        v: &[usize],
        gzip: bool,
    ) -> Result<(), NirError> {
        let data: Vec<i64> = v.iter().map(|&x| x as i64).collect();
        let array = ArrayD::from_shape_vec(IxDyn(&[data.len()]), data)
            .map_err(|e| self.fail(node, name, e))?;
        self.array(g, node, name, array, gzip)
    }

    fn int(&self, g: &Group, node: &str, name: &str, x: i64) -> Result<(), NirError> {
        let array = ArrayD::from_elem(IxDyn(&[]), x);
        self.array(g, node, name, array, false)
    }

    fn graph(&self, g: &Group, path: &str, graph: &Graph) -> Result<(), NirError> {
        self.text(g, path, "type", "NIRGraph")?;
        let nodes = self.group(g, path, "nodes")?;
        for (name, node) in &graph.nodes {
            let child = self.group(&nodes, path, name)?;
            self.node(&child, &join(path, name), node)?;
        }
        let mut names = Vec::with_capacity(graph.edges.len() * 2);
        for (a, b) in &graph.edges {
            for end in [a, b] {
                names.push(
                    end.parse::<VarLenUnicode>()
                        .map_err(|e| self.fail(path, "edges", e))?,
                );
            }
        }
        let edges = ArrayD::from_shape_vec(IxDyn(&[graph.edges.len(), 2]), names)
            .map_err(|e| self.fail(path, "edges", e))?;
        self.array(g, path, "edges", edges, false)?;
        if !graph.metadata.is_empty() {
            let meta = self.group(g, path, "metadata")?;
            for (key, value) in &graph.metadata {
                match value {
                    Meta::Text(s) => self.text(&meta, path, key, s)?,
                    Meta::Number(x) => self.tensor(&meta, path, key, &Tensor::scalar(*x))?,
                    Meta::Array(t) => self.tensor(&meta, path, key, t)?,
                }
            }
        }
        Ok(())
    }

    fn node(&self, g: &Group, path: &str, node: &Node) -> Result<(), NirError> {
        if let Node::Graph(inner) = node {
            return self.graph(g, path, inner);
        }
        self.text(g, path, "type", node.type_name())?;
        let node = broadcast_scalars(node.clone());
        for (field, tensor) in node.tensors() {
            self.tensor(g, path, field, tensor)?;
        }
        match &node {
            Node::Input { shape } | Node::Output { shape } => {
                self.ints(g, path, "shape", shape, true)?;
            }
            Node::Flatten {
                start_dim,
                end_dim,
                input_type,
            } => {
                self.int(g, path, "start_dim", *start_dim)?;
                self.int(g, path, "end_dim", *end_dim)?;
                if let Some(shape) = input_type {
                    self.ints(g, path, "input_type", shape, true)?;
                }
            }
            Node::Conv1d {
                stride,
                padding,
                dilation,
                groups,
                input_shape,
                ..
            }
            | Node::Conv2d {
                stride,
                padding,
                dilation,
                groups,
                input_shape,
                ..
            } => {
                // Conv1d's are Python ints in nir (0-d), Conv2d's pairs.
                let one_d = matches!(node, Node::Conv1d { .. });
                let sizes = |name: &str, v: &[usize]| -> Result<(), NirError> {
                    match (one_d, v) {
                        (true, [x]) => self.int(g, path, name, *x as i64),
                        _ => self.ints(g, path, name, v, false),
                    }
                };
                sizes("stride", stride)?;
                sizes("dilation", dilation)?;
                match padding {
                    Padding::Explicit(p) => sizes("padding", p)?,
                    Padding::Same => self.text(g, path, "padding", "same")?,
                    Padding::Valid => self.text(g, path, "padding", "valid")?,
                }
                self.int(g, path, "groups", *groups as i64)?;
                if let Some(shape) = input_shape {
                    sizes("input_shape", shape)?;
                }
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
                self.ints(g, path, "kernel_size", kernel_size, true)?;
                self.ints(g, path, "stride", stride, true)?;
                self.ints(g, path, "padding", padding, true)?;
            }
            _ => {}
        }
        Ok(())
    }
}
