//! The online, trace-based rule (OTTT / e-prop style): at every step the
//! instantaneous error of the read-out is sent back through the layers
//! within that step only, and each weight changes by its postsynaptic error
//! signal times a presynaptic trace,
//!
//! ```text
//! xhat_t = beta xhat_{t-1} + y^{pre}_{t-1},   dW_ij += xhat_i delta_j
//! ```
//!
//! so nothing is stored over time. The per-step loss is
//! `CE(y^{out}_t, label) / steps`. Membrane time constants get no gradient
//! under this rule; thresholds do.

use crate::learn::layers::lif::Lif;
use std::ops::Range;

use crate::learn::net::{Network, Outcome, argmax, cross_entropy, mask_scores};
use crate::learn::optim::Grads;
use crate::learn::real::Real;

struct LayerState<T> {
    v: Vec<T>,
    u: Vec<T>,
    y: Vec<T>,
    /// Presynaptic trace of the layer's input, and of its own spikes.
    input_trace: Vec<T>,
    rec_trace: Vec<T>,
}

/// Loss and prediction of one sample, adding the rule's weight changes
/// (as gradients, to be descended) to `grads`. All layers must be [`Lif`].
pub fn online_grads<T: Real>(
    net: &Network<T>,
    input: &[T],
    input_steps: usize,
    label: usize,
    grads: &mut Grads<T>,
) -> Outcome<T> {
    online_grads_masked(net, input, input_steps, label, grads, None)
}

/// [`online_grads`] with the softmax over the classes in `keep` only
/// (a per-task head).
pub fn online_grads_masked<T: Real>(
    net: &Network<T>,
    input: &[T],
    input_steps: usize,
    label: usize,
    grads: &mut Grads<T>,
    keep: Option<Range<usize>>,
) -> Outcome<T> {
    let layers: Vec<&Lif<T>> = net
        .layers
        .iter()
        .map(|l| l.as_lif().expect("the online rule trains LIF layers"))
        .collect();
    let steps = net.steps(input_steps);
    let n_in = net.n_in();
    let mut states: Vec<LayerState<T>> = layers
        .iter()
        .map(|l| LayerState {
            v: vec![T::zero(); l.n_out],
            u: vec![T::zero(); l.n_out],
            y: vec![T::zero(); l.n_out],
            input_trace: vec![T::zero(); l.n_in],
            rec_trace: vec![T::zero(); if l.rec.is_empty() { 0 } else { l.n_out }],
        })
        .collect();
    let classes = net.classes();
    let mut scores = vec![T::zero(); classes];
    let inv_steps = T::one() / T::from_f64(steps as f64);
    let widest = layers.iter().map(|l| l.n_in).max().unwrap_or(0);
    let zeros = vec![T::zero(); widest];
    for t in 0..steps {
        // Inputs of this step are last step's outputs.
        let previous: Vec<Vec<T>> = states.iter().map(|s| s.y.clone()).collect();
        for (l, layer) in layers.iter().enumerate() {
            let pre: &[T] = match (l, t) {
                (_, 0) => &zeros[..layer.n_in],
                (0, _) if t - 1 < input_steps => &input[(t - 1) * n_in..t * n_in],
                (0, _) => &zeros[..n_in],
                _ => &previous[l - 1],
            };
            step_layer(layer, &mut states[l], pre, &previous[l]);
        }
        let out = &states[layers.len() - 1].y;
        for (s, &y) in scores.iter_mut().zip(out) {
            *s += y;
        }
        let mut z = out.clone();
        mask_scores(&mut z, keep.clone());
        let (_, e) = cross_entropy(&z, label);
        let mut g: Vec<T> = e.into_iter().map(|x| x * inv_steps).collect();
        for l in (0..layers.len()).rev() {
            let delta = layer_credit(layers[l], &states[l], &g, &mut grads[l]);
            if l > 0 {
                let (layer, n) = (layers[l], layers[l].n_out);
                g = (0..layer.n_in)
                    .map(|i| {
                        layer.w[i * n..(i + 1) * n]
                            .iter()
                            .zip(&delta)
                            .map(|(&w, &d)| w * d)
                            .sum()
                    })
                    .collect();
            }
        }
    }
    if net.readout == crate::learn::net::Readout::Membrane {
        scores.iter_mut().for_each(|s| *s *= inv_steps);
    }
    mask_scores(&mut scores, keep);
    Outcome {
        loss: cross_entropy(&scores, label).0,
        predicted: argmax(&scores),
    }
}

/// One layer's share of a step's credit, `g` being ∂loss/∂its output: its
/// threshold's gradient and, through the eligibility traces, its weights'
/// and recurrent weights' into `grads` (that layer's); returns ∂loss/∂its
/// input currents.
fn layer_credit<T: Real>(
    layer: &Lif<T>,
    st: &LayerState<T>,
    g: &[T],
    grads: &mut [Vec<T>],
) -> Vec<T> {
    let theta = layer.theta[0];
    let delta: Vec<T> = if layer.spiking {
        let mut d_theta = T::zero();
        let d: Vec<T> = g
            .iter()
            .zip(&st.u)
            .map(|(&gj, &u)| {
                let ds = layer.surrogate.grad(u - theta);
                d_theta -= gj * ds;
                gj * ds
            })
            .collect();
        grads[3][0] += d_theta;
        d
    } else {
        g.to_vec()
    };
    let n = layer.n_out;
    for (i, &x) in st.input_trace.iter().enumerate() {
        if x != T::zero() {
            for (gw, &d) in grads[0][i * n..(i + 1) * n].iter_mut().zip(&delta) {
                *gw += x * d;
            }
        }
    }
    for (k, &x) in st.rec_trace.iter().enumerate() {
        if x != T::zero() {
            for (gr, &d) in grads[1][k * n..(k + 1) * n].iter_mut().zip(&delta) {
                *gr += x * d;
            }
        }
    }
    delta
}

/// One step of a LIF layer (the equations of [`Lif`]), updating its traces.
#[allow(clippy::needless_range_loop)] // four arrays indexed by neuron
fn step_layer<T: Real>(layer: &Lif<T>, st: &mut LayerState<T>, pre: &[T], own_prev: &[T]) {
    let n = layer.n_out;
    let beta = layer.beta();
    let mut a = vec![T::zero(); n];
    for (i, &x) in pre.iter().enumerate() {
        if x != T::zero() {
            for (aj, &w) in a.iter_mut().zip(&layer.w[i * n..(i + 1) * n]) {
                *aj += x * w;
            }
        }
    }
    if !layer.rec.is_empty() {
        for (k, &s) in own_prev.iter().enumerate() {
            if s != T::zero() {
                for (aj, &w) in a.iter_mut().zip(&layer.rec[k * n..(k + 1) * n]) {
                    *aj += s * w;
                }
            }
        }
        for (tr, &s) in st.rec_trace.iter_mut().zip(own_prev) {
            *tr = beta * *tr + s;
        }
    }
    for (tr, &x) in st.input_trace.iter_mut().zip(pre) {
        *tr = beta * *tr + x;
    }
    let theta = layer.theta[0];
    for j in 0..n {
        let u = beta * st.v[j] + a[j];
        st.u[j] = u;
        if layer.spiking {
            let fired = u > theta;
            st.y[j] = if fired { T::one() } else { T::zero() };
            st.v[j] = if fired { T::zero() } else { u };
        } else {
            st.y[j] = u;
            st.v[j] = u;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::net::{LifShape, Readout};
    use crate::learn::surrogate::Surrogate;

    /// One non-spiking read-out of two neurons, one input, tau 2 steps
    /// (beta = e^-1/2), weights (0.5, -0.5), one input spike, label 0.
    /// Worked by hand from the rule in the module comment: the read-out
    /// sees the spike at step 1 and its echo beta at step 2 of 3, so
    /// dW_0j = [(softmax(w) - e_0)_j + beta (softmax(beta w) - e_0)_j] / 3
    /// = -(1 - σ(1))/3 - beta (1 - σ(2 beta 0.5))/3 = -0.160985 for j = 0,
    /// its negative for j = 1; tau gets nothing. The loss is the
    /// cross-entropy of the mean membrane, (1 + beta) w / 3: 0.460818.
    #[test]
    fn a_single_readout_gets_the_hand_computed_change() {
        let shape = LifShape {
            size: 2,
            tau: 2.0,
            threshold: 1.0,
            recurrent: false,
            spiking: false,
            tau_syn: None,
        };
        let mut net = Network::<f64>::lif(
            1,
            &[shape],
            Readout::Membrane,
            Surrogate::Arctan { alpha: 2.0 },
            1.0,
            1,
        );
        net.layers[0].params_mut()[0].copy_from_slice(&[0.5, -0.5]);
        let mut grads = net.zero_grads();
        let out = online_grads(&net, &[1.0, 0.0], 2, 0, &mut grads);
        let [g0, g1] = [grads[0][0][0], grads[0][0][1]];
        assert!((g0 + 0.160_985_458).abs() < 1e-8, "{g0}");
        assert!((g1 - 0.160_985_458).abs() < 1e-8, "{g1}");
        assert!(grads[0][2].iter().chain(&grads[0][3]).all(|&g| g == 0.0));
        assert!((out.loss - 0.460_818_163).abs() < 1e-8, "{}", out.loss);
        assert_eq!(out.predicted, 0);
    }
}
