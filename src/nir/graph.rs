//! The NIR graph in memory: nodes by name, edges between names, metadata.
//! It mirrors the classes of the `nir` 1.0.8 Python package (`nir/ir/*.py`):
//! one [`Node`] variant per class, the parameters as stored in the file
//! (seconds and dimensionless voltages, as every exporter writes them).
//! `input_type`/`output_type` are not stored; [`Graph::check`] infers them.
use std::collections::BTreeMap;

/// An array of numbers in C order; a 0-d (scalar) tensor has shape `[]` and
/// one value. Files may hold float32, float64 or int64: all are read as f64.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// The dimensions, outermost first.
    pub shape: Vec<usize>,
    /// The values, row-major.
    pub data: Vec<f64>,
}

impl Tensor {
    /// A tensor of `shape` holding `data` (C order). The caller keeps
    /// `data.len()` equal to the product of `shape` (1 for `[]`).
    pub fn new(shape: Vec<usize>, data: Vec<f64>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        Self { shape, data }
    }

    /// A 0-d tensor.
    pub fn scalar(x: f64) -> Self {
        Self::new(Vec::new(), vec![x])
    }

    /// A 1-d tensor.
    pub fn vector(data: Vec<f64>) -> Self {
        Self::new(vec![data.len()], data)
    }

    /// `n` zeros in a 1-d tensor (NIR's default for a missing `v_reset`).
    pub fn zeros(shape: Vec<usize>) -> Self {
        let n = shape.iter().product();
        Self::new(shape, vec![0.0; n])
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the tensor holds no value.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Whether every element equals the first (a "uniform" parameter).
    pub fn is_uniform(&self) -> bool {
        self.data.windows(2).all(|w| w[0] == w[1])
    }
}

/// Padding of a convolution: explicit per spatial dimension, or the
/// strings `"same"` / `"valid"` as PyTorch takes them.
#[derive(Debug, Clone, PartialEq)]
pub enum Padding {
    /// Padding per spatial dimension, in elements.
    Explicit(Vec<usize>),
    /// Output the size of the input (`"same"`).
    Same,
    /// No padding (`"valid"`).
    Valid,
}

/// One NIR node (a `nir.ir` class). Field names are the dataset names in
/// the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// The graph's input.
    Input {
        /// Its shape.
        shape: Vec<usize>,
    },
    /// The graph's output.
    Output {
        /// Its shape.
        shape: Vec<usize>,
    },
    /// `y = W x + b`, weight `[out, in]`, bias `[out]`.
    Affine {
        /// `W`, `[out, in]`.
        weight: Tensor,
        /// `b`, `[out]`.
        bias: Tensor,
    },
    /// `y = W x`, weight `[out, in]`.
    Linear {
        /// `W`, `[out, in]`.
        weight: Tensor,
    },
    /// `y = s ⊙ x`.
    Scale {
        /// `s`, per channel.
        scale: Tensor,
    },
    /// `y(t) = x(t - delay)`, seconds per channel.
    Delay {
        /// Delay per channel, seconds.
        delay: Tensor,
    },
    /// `z = 1 if x > threshold else 0`.
    Threshold {
        /// Threshold per channel.
        threshold: Tensor,
    },
    /// `torch.flatten` without the batch dimension; `input_type` is the
    /// input shape when the file stores it.
    Flatten {
        /// First dimension flattened (negative counts from the end).
        start_dim: i64,
        /// Last dimension flattened (negative counts from the end).
        end_dim: i64,
        /// The input shape, when the file stores it.
        input_type: Option<Vec<usize>>,
    },
    /// weight `[Cout, Cin/groups, K]`, input `(Cin, N)`.
    Conv1d {
        /// The kernels, `[Cout, Cin/groups, K]`.
        weight: Tensor,
        /// Bias per output channel.
        bias: Tensor,
        /// Stride.
        stride: Vec<usize>,
        /// Padding.
        padding: Padding,
        /// Dilation.
        dilation: Vec<usize>,
        /// Channel groups.
        groups: usize,
        /// The input shape `(Cin, N)`, when the file stores it.
        input_shape: Option<Vec<usize>>,
    },
    /// weight `[Cout, Cin/groups, kH, kW]`, input `(Cin, H, W)`; the
    /// vectors have two entries.
    Conv2d {
        /// The kernels, `[Cout, Cin/groups, Kh, Kw]`.
        weight: Tensor,
        /// Bias per output channel.
        bias: Tensor,
        /// Stride (two entries).
        stride: Vec<usize>,
        /// Padding.
        padding: Padding,
        /// Dilation (two entries).
        dilation: Vec<usize>,
        /// Channel groups.
        groups: usize,
        /// The input shape `(Cin, H, W)`, when the file stores it.
        input_shape: Option<Vec<usize>>,
    },
    /// 2-D sum pooling.
    SumPool2d {
        /// Kernel size (two entries).
        kernel_size: Vec<usize>,
        /// Stride (two entries).
        stride: Vec<usize>,
        /// Padding (two entries).
        padding: Vec<usize>,
    },
    /// 2-D average pooling.
    AvgPool2d {
        /// Kernel size (two entries).
        kernel_size: Vec<usize>,
        /// Stride (two entries).
        stride: Vec<usize>,
        /// Padding (two entries).
        padding: Vec<usize>,
    },
    /// `dv/dt = r I`; outputs v.
    I {
        /// Resistance `r` per neuron.
        r: Tensor,
    },
    /// `dv/dt = r I`, spike when `v > v_threshold`, then `v <- v_reset`.
    IF {
        /// Resistance `r` per neuron.
        r: Tensor,
        /// Threshold per neuron.
        v_threshold: Tensor,
        /// Reset potential per neuron.
        v_reset: Tensor,
    },
    /// `tau dv/dt = (v_leak - v) + r I`; outputs v.
    LI {
        /// Membrane time constant per neuron, seconds.
        tau: Tensor,
        /// Resistance `r` per neuron.
        r: Tensor,
        /// Leak potential per neuron.
        v_leak: Tensor,
    },
    /// LI with spike when `v > v_threshold`, then `v <- v_reset`.
    LIF {
        /// Membrane time constant per neuron, seconds.
        tau: Tensor,
        /// Resistance `r` per neuron.
        r: Tensor,
        /// Leak potential per neuron.
        v_leak: Tensor,
        /// Threshold per neuron.
        v_threshold: Tensor,
        /// Reset potential per neuron.
        v_reset: Tensor,
    },
    /// `tau_syn dI/dt = -I + w_in S`, `tau_mem dv/dt = (v_leak - v) + r I`;
    /// outputs v.
    CubaLI {
        /// Synaptic time constant per neuron, seconds.
        tau_syn: Tensor,
        /// Membrane time constant per neuron, seconds.
        tau_mem: Tensor,
        /// Resistance `r` per neuron.
        r: Tensor,
        /// Leak potential per neuron.
        v_leak: Tensor,
        /// Input weight per neuron.
        w_in: Tensor,
    },
    /// CubaLI with spike and reset on v (I is not reset).
    CubaLIF {
        /// Synaptic time constant per neuron, seconds.
        tau_syn: Tensor,
        /// Membrane time constant per neuron, seconds.
        tau_mem: Tensor,
        /// Resistance `r` per neuron.
        r: Tensor,
        /// Leak potential per neuron.
        v_leak: Tensor,
        /// Input weight per neuron.
        w_in: Tensor,
        /// Threshold per neuron.
        v_threshold: Tensor,
        /// Reset potential per neuron.
        v_reset: Tensor,
    },
    /// A nested `NIRGraph`.
    Graph(Graph),
}

impl Node {
    /// The `nir` class name, as the file's `type` dataset spells it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::Input { .. } => "Input",
            Node::Output { .. } => "Output",
            Node::Affine { .. } => "Affine",
            Node::Linear { .. } => "Linear",
            Node::Scale { .. } => "Scale",
            Node::Delay { .. } => "Delay",
            Node::Threshold { .. } => "Threshold",
            Node::Flatten { .. } => "Flatten",
            Node::Conv1d { .. } => "Conv1d",
            Node::Conv2d { .. } => "Conv2d",
            Node::SumPool2d { .. } => "SumPool2d",
            Node::AvgPool2d { .. } => "AvgPool2d",
            Node::I { .. } => "I",
            Node::IF { .. } => "IF",
            Node::LI { .. } => "LI",
            Node::LIF { .. } => "LIF",
            Node::CubaLI { .. } => "CubaLI",
            Node::CubaLIF { .. } => "CubaLIF",
            Node::Graph(_) => "NIRGraph",
        }
    }

    /// Whether the node holds a membrane (I, IF, LI, LIF, CubaLI, CubaLIF).
    pub fn is_neuron(&self) -> bool {
        matches!(
            self,
            Node::I { .. }
                | Node::IF { .. }
                | Node::LI { .. }
                | Node::LIF { .. }
                | Node::CubaLI { .. }
                | Node::CubaLIF { .. }
        )
    }

    /// Whether the node outputs spikes (IF, LIF, CubaLIF, Threshold).
    pub fn is_spiking(&self) -> bool {
        matches!(
            self,
            Node::IF { .. } | Node::LIF { .. } | Node::CubaLIF { .. } | Node::Threshold { .. }
        )
    }

    /// The node's tensor parameters by field name, in the order the `nir`
    /// class declares them (for checks and for writing).
    pub fn tensors(&self) -> Vec<(&'static str, &Tensor)> {
        match self {
            Node::Affine { weight, bias } => vec![("weight", weight), ("bias", bias)],
            Node::Linear { weight } => vec![("weight", weight)],
            Node::Scale { scale } => vec![("scale", scale)],
            Node::Delay { delay } => vec![("delay", delay)],
            Node::Threshold { threshold } => vec![("threshold", threshold)],
            Node::Conv1d { weight, bias, .. } | Node::Conv2d { weight, bias, .. } => {
                vec![("weight", weight), ("bias", bias)]
            }
            Node::I { r } => vec![("r", r)],
            Node::IF {
                r,
                v_threshold,
                v_reset,
            } => vec![("r", r), ("v_threshold", v_threshold), ("v_reset", v_reset)],
            Node::LI { tau, r, v_leak } => vec![("tau", tau), ("r", r), ("v_leak", v_leak)],
            Node::LIF {
                tau,
                r,
                v_leak,
                v_threshold,
                v_reset,
            } => vec![
                ("tau", tau),
                ("r", r),
                ("v_leak", v_leak),
                ("v_threshold", v_threshold),
                ("v_reset", v_reset),
            ],
            Node::CubaLI {
                tau_syn,
                tau_mem,
                r,
                v_leak,
                w_in,
            } => vec![
                ("tau_syn", tau_syn),
                ("tau_mem", tau_mem),
                ("r", r),
                ("v_leak", v_leak),
                ("w_in", w_in),
            ],
            Node::CubaLIF {
                tau_syn,
                tau_mem,
                r,
                v_leak,
                w_in,
                v_threshold,
                v_reset,
            } => vec![
                ("tau_syn", tau_syn),
                ("tau_mem", tau_mem),
                ("r", r),
                ("v_leak", v_leak),
                ("w_in", w_in),
                ("v_threshold", v_threshold),
                ("v_reset", v_reset),
            ],
            Node::Input { .. }
            | Node::Output { .. }
            | Node::Flatten { .. }
            | Node::SumPool2d { .. }
            | Node::AvgPool2d { .. }
            | Node::Graph(_) => Vec::new(),
        }
    }
}

/// A `NIRGraph`: nodes by name (free strings; dots are ordinary
/// characters), edges `(source, target)` between names of this graph, in
/// file order, and the optional metadata (informative only).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Graph {
    /// The nodes by name.
    pub nodes: BTreeMap<String, Node>,
    /// The edges `(source, target)`, by node name.
    pub edges: Vec<(String, String)>,
    /// The graph's metadata.
    pub metadata: BTreeMap<String, Meta>,
}

/// A metadata entry: a string, a number or an array.
#[derive(Debug, Clone, PartialEq)]
pub enum Meta {
    /// A string.
    Text(String),
    /// A number.
    Number(f64),
    /// An array.
    Array(Tensor),
}

impl Graph {
    /// The node at `path` (`outer/inner/name`), looking into nested graphs.
    pub fn node(&self, path: &str) -> Option<&Node> {
        if let Some(node) = self.nodes.get(path) {
            return Some(node);
        }
        // Names in a file cannot hold '/' (HDF5 would nest groups), so the
        // first '/' ends the outer name.
        let (head, rest) = path.split_once('/')?;
        match self.nodes.get(head)? {
            Node::Graph(inner) => inner.node(rest),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_nodes_are_found_by_path() {
        let mut inner = Graph::default();
        inner.nodes.insert(
            "lif1.lif".into(),
            Node::I {
                r: Tensor::scalar(2.0),
            },
        );
        let mut outer = Graph::default();
        outer.nodes.insert("sub".into(), Node::Graph(inner));
        assert_eq!(
            outer.node("sub/lif1.lif"),
            Some(&Node::I {
                r: Tensor::scalar(2.0)
            })
        );
        assert_eq!(outer.node("sub/none"), None);
        assert_eq!(outer.node("sub").map(Node::type_name), Some("NIRGraph"));
    }
}
