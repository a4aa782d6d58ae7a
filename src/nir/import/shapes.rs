//! Output shapes of the flattened graph's nodes (no batch dimension), as
//! far as the import needs them: sizes of populations and the `(C, H, W)`
//! geometry that convolutions and poolings expand over.

use std::path::Path;

use super::conv::{Window, same_padding};
use super::flat::{Flat, Role};
use crate::nir::{NirError, Node, Padding, Tensor};

/// Every node's output shape, propagated along the edges until nothing
/// changes.
pub fn infer(flat: &Flat, file: &Path) -> Result<Vec<Vec<usize>>, NirError> {
    let n = flat.nodes.len();
    let mut out: Vec<Option<Vec<usize>>> = vec![None; n];
    loop {
        let mut changed = false;
        for i in 0..n {
            if out[i].is_some() {
                continue;
            }
            let input = flat
                .edges
                .iter()
                .filter(|e| e.1 == i)
                .find_map(|e| out[e.0].clone());
            if let Some(shape) = output_shape(flat, i, input.as_deref(), file)? {
                out[i] = Some(shape);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    out.into_iter()
        .enumerate()
        .map(|(i, s)| {
            s.ok_or_else(|| {
                NirError::at(
                    file,
                    &flat.nodes[i].path,
                    None,
                    "cannot infer the node's shape: it has no shape of its own and no input of known shape",
                )
            })
        })
        .collect()
}

/// The input shape of node `i`: its own (a convolution's `input_shape`, a
/// Flatten's `input_type`) or its first source's output.
pub fn input_shape(flat: &Flat, i: usize) -> Option<Vec<usize>> {
    flat.incoming(i)
        .next()
        .map(|e| flat.shapes[flat.edges[e].0].clone())
}

/// The shape all of a neuron's parameters share, when one of them is not a
/// scalar.
fn param_shape(tensors: &[(&str, &Tensor)]) -> Option<Vec<usize>> {
    tensors
        .iter()
        .find(|(_, t)| t.len() > 1)
        .map(|(_, t)| t.shape.clone())
}

fn output_shape(
    flat: &Flat,
    i: usize,
    input: Option<&[usize]>,
    file: &Path,
) -> Result<Option<Vec<usize>>, NirError> {
    let node = flat.nodes[i].node;
    let path = &flat.nodes[i].path;
    let err = |field: &str, m: String| NirError::at(file, path, Some(field), m);
    let shape = match node {
        Node::Input { shape } | Node::Output { shape } => {
            if flat.nodes[i].role == Role::Pass && shape.is_empty() {
                input.map(<[usize]>::to_vec)
            } else {
                Some(shape.clone())
            }
        }
        Node::Affine { weight, .. } | Node::Linear { weight } => {
            if weight.shape.len() != 2 {
                return Err(err(
                    "weight",
                    format!("must be a matrix [out, in], has shape {:?}", weight.shape),
                ));
            }
            Some(vec![weight.shape[0]])
        }
        Node::Flatten {
            start_dim,
            end_dim,
            input_type,
        } => match input_type.as_deref().or(input) {
            Some(s) => Some(flatten(s, *start_dim, *end_dim).map_err(|m| err("start_dim", m))?),
            None => None,
        },
        Node::Conv1d { .. }
        | Node::Conv2d { .. }
        | Node::SumPool2d { .. }
        | Node::AvgPool2d { .. } => match window(node, input).map_err(|(f, m)| err(f, m))? {
            Some(w) => {
                let [oh, ow] = w.window.out_hw().map_err(|m| err("kernel", m))?;
                let mut s = vec![w.cout];
                if !matches!(node, Node::Conv1d { .. }) {
                    s.push(oh);
                }
                s.push(ow);
                Some(s)
            }
            None => None,
        },
        _ => {
            let tensors = node.tensors();
            match param_shape(&tensors) {
                Some(s) => Some(s),
                None => input.map(<[usize]>::to_vec),
            }
        }
    };
    Ok(shape)
}

/// `torch.flatten(x, start_dim, end_dim)` on a shape without batch
/// dimension.
pub fn flatten(shape: &[usize], start: i64, end: i64) -> Result<Vec<usize>, String> {
    if shape.is_empty() {
        return Ok(vec![1]);
    }
    let nd = shape.len() as i64;
    let norm = |d: i64| if d < 0 { d + nd } else { d };
    let (s, e) = (norm(start), norm(end));
    if s < 0 || e >= nd || s > e {
        return Err(format!(
            "start_dim {start} / end_dim {end} do not fit an input of shape {shape:?}"
        ));
    }
    let (s, e) = (s as usize, e as usize);
    let mut out = shape[..s].to_vec();
    out.push(shape[s..=e].iter().product());
    out.extend_from_slice(&shape[e + 1..]);
    Ok(out)
}

/// The geometry of a convolution or pooling node on its input.
pub struct Geometry {
    /// Input channels.
    pub cin: usize,
    /// Output channels.
    pub cout: usize,
    /// Channel groups.
    pub groups: usize,
    /// The spatial window.
    pub window: Window,
}

/// Two entries from a NIR vector field that may hold one (both
/// dimensions) or two.
fn pair(
    v: &[usize],
    field: &'static str,
    default: usize,
) -> Result<[usize; 2], (&'static str, String)> {
    match v {
        [] => Ok([default, default]),
        [a] => Ok([*a, *a]),
        [a, b] => Ok([*a, *b]),
        _ => Err((field, format!("has {} entries, expected 1 or 2", v.len()))),
    }
}

/// A convolution's or pooling's geometry on input `input` (its own
/// `input_shape` first), `None` while the input shape is unknown.
pub fn window(
    node: &Node,
    input: Option<&[usize]>,
) -> Result<Option<Geometry>, (&'static str, String)> {
    match node {
        Node::Conv1d {
            weight,
            stride,
            padding,
            dilation,
            groups,
            input_shape,
            ..
        }
        | Node::Conv2d {
            weight,
            stride,
            padding,
            dilation,
            groups,
            input_shape,
            ..
        } => {
            let one_d = matches!(node, Node::Conv1d { .. });
            let nd = if one_d { 3 } else { 4 };
            if weight.shape.len() != nd {
                return Err((
                    "weight",
                    format!(
                        "must have {nd} dimensions [Cout, Cin/groups, kernel...], has shape {:?}",
                        weight.shape
                    ),
                ));
            }
            let groups = (*groups).max(1);
            let cout = weight.shape[0];
            let cin = weight.shape[1] * groups;
            let spatial: Option<Vec<usize>> = match (input_shape, input) {
                (Some(s), _) => Some(s.clone()),
                (None, Some(s)) if !s.is_empty() => Some(s[1..].to_vec()),
                _ => None,
            };
            let Some(spatial) = spatial else {
                return Ok(None);
            };
            let want = if one_d { 1 } else { 2 };
            if spatial.len() != want {
                return Err((
                    "input_shape",
                    format!(
                        "the input's spatial shape {spatial:?} should have {want} dimension(s)"
                    ),
                ));
            }
            if let Some(s) = input
                && !s.is_empty()
                && s[0] != cin
            {
                return Err((
                    "weight",
                    format!("expects {cin} input channels, the input has shape {s:?}"),
                ));
            }
            let lift = |v: [usize; 2], fill: usize| if one_d { [fill, v[1]] } else { v };
            let in_hw = if one_d {
                [1, spatial[0]]
            } else {
                [spatial[0], spatial[1]]
            };
            let kernel = if one_d {
                [1, weight.shape[2]]
            } else {
                [weight.shape[2], weight.shape[3]]
            };
            let stride = lift(pair(stride, "stride", 1)?, 1);
            let dilation = lift(pair(dilation, "dilation", 1)?, 1);
            let (pad_lo, pad_hi) = match padding {
                Padding::Explicit(p) => {
                    let p = lift(pair(p, "padding", 0)?, 0);
                    (p, p)
                }
                Padding::Valid => ([0, 0], [0, 0]),
                Padding::Same => {
                    if stride != [1, 1] {
                        return Err(("padding", "\"same\" needs stride 1 (as in PyTorch)".into()));
                    }
                    let (a, b) = same_padding(kernel[0], dilation[0]);
                    let (c, d) = same_padding(kernel[1], dilation[1]);
                    ([a, c], [b, d])
                }
            };
            Ok(Some(Geometry {
                cin,
                cout,
                groups,
                window: Window {
                    in_hw,
                    kernel,
                    stride,
                    dilation,
                    pad_lo,
                    pad_hi,
                },
            }))
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
            let Some(s) = input else { return Ok(None) };
            if s.len() != 3 {
                return Err((
                    "kernel_size",
                    format!("a 2-d pooling needs a (C, H, W) input, the input has shape {s:?}"),
                ));
            }
            let kernel = pair(kernel_size, "kernel_size", 1)?;
            let stride = match stride.as_slice() {
                [] => kernel,
                _ => pair(stride, "stride", 1)?,
            };
            let pad = pair(padding, "padding", 0)?;
            Ok(Some(Geometry {
                cin: s[0],
                cout: s[0],
                groups: s[0],
                window: Window {
                    in_hw: [s[1], s[2]],
                    kernel,
                    stride,
                    dilation: [1, 1],
                    pad_lo: pad,
                    pad_hi: pad,
                },
            }))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_follows_torch() {
        assert_eq!(flatten(&[2, 3, 4], 0, -1).unwrap(), vec![24]);
        assert_eq!(flatten(&[2, 3, 4], 1, -1).unwrap(), vec![2, 12]);
        assert_eq!(flatten(&[2, 3, 4], 0, 1).unwrap(), vec![6, 4]);
        assert!(flatten(&[2, 3], 2, -1).is_err());
    }
}
