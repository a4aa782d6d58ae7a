//! Layers trained through time. A layer maps an input sequence
//! `[step][n_in]` to an output sequence `[step][n_out]` and back-propagates
//! through time; the [`Layer`] trait lets the kinds below join the same
//! networks ([`crate::learn::net`]):
//!
//! - [`lif`]: dense projections onto LIF or CuBa LIF neurons, the
//!   simulator's exact-integration equations with `dt` = one step;
//! - [`meta`]: probabilistic meta neurons (escape noise) whose intrinsic
//!   parameters are trained with the weights;
//! - [`l2mu`]: the L2MU cell (LMU blocks as LIF / CuBa LIF populations).
//!
//! (Layers with learnable synaptic delays are [`crate::learn::delays`].)
//! Among the three only `meta` imports another (`lif`: its membrane); all
//! implement this trait, which names them only for the downcasts export
//! needs.

pub mod l2mu;
pub mod lif;
pub mod meta;

use crate::learn::real::Real;
use lif::Lif;
use meta::MetaLayer;

/// What a layer remembers of its forward pass for the backward pass.
#[derive(Debug, Clone)]
pub struct Trace<T> {
    /// `U_t`, `[step][n_out]`.
    pub u: Vec<T>,
    /// Output `y_t`: spikes (0/1) or, for non-spiking layers, `U_t`.
    pub y: Vec<T>,
}

/// A trainable layer acting over time.
pub trait Layer<T: Real>: Send + Sync {
    /// Input width.
    fn n_in(&self) -> usize;
    /// Output width.
    fn n_out(&self) -> usize;
    /// Whether the layer's output is spikes.
    fn spiking(&self) -> bool;
    /// The trainable tensors, in a fixed order (the optimiser, checkpoints
    /// and gradients rely on it).
    fn params(&self) -> Vec<&[T]>;
    /// The trainable tensors, mutable, in the order of [`Layer::params`].
    fn params_mut(&mut self) -> Vec<&mut Vec<T>>;
    /// Names of the tensors of [`Layer::params`].
    fn param_names(&self) -> Vec<&'static str>;
    /// The forward pass over `steps` steps of `input` (steps × `n_in`), keeping what the
    /// backward pass needs.
    fn forward(&self, input: &[T], steps: usize) -> Trace<T>;
    /// The forward pass drawing its random numbers (meta neurons) from the
    /// streams of `noise_seed`; layers without noise ignore it.
    fn forward_noisy(&self, input: &[T], steps: usize, _noise_seed: u64) -> Trace<T> {
        self.forward(input, steps)
    }
    /// Given `dL/dy`, adds the parameter gradients to `grads` (same layout as
    /// `params`) and, if `want_input`, returns `dL/d input`.
    fn backward(
        &self,
        input: &[T],
        trace: &Trace<T>,
        grad_y: &[T],
        grads: &mut [Vec<T>],
        want_input: bool,
    ) -> Option<Vec<T>>;
    /// The layer as a dense LIF projection, for the online rule and export.
    fn as_lif(&self) -> Option<&Lif<T>> {
        None
    }
    /// The layer as a meta-neuron layer, for export.
    fn as_meta(&self) -> Option<&MetaLayer<T>> {
        None
    }
    /// The layer as an L2MU cell with its current parameters, for export.
    fn as_l2mu(&self) -> Option<l2mu::cell::L2mu> {
        None
    }
    /// Indices in [`Layer::params`] of the time-constant-like and threshold
    /// tensors (what `learn_tau` and `learn_threshold` switch).
    fn neuron_tensors(&self) -> [usize; 2] {
        [2, 3]
    }
    /// Brings the parameters back where the neuron model makes sense after
    /// an optimiser step: time constants ≥ half a step, thresholds > 0.
    fn constrain(&mut self) {
        let mut p = self.params_mut();
        p[2].iter_mut().for_each(|t| {
            if *t < T::from_f64(0.5) {
                *t = T::from_f64(0.5)
            }
        });
        p[3].iter_mut().for_each(|t| {
            if *t < T::from_f64(1e-3) {
                *t = T::from_f64(1e-3)
            }
        });
    }
    /// Steps the layer's synaptic delays add beyond one per layer.
    fn extra_steps(&self) -> usize {
        0
    }
    /// Learning rate of tensor `param` relative to the experiment's.
    fn lr_scale(&self, _param: usize) -> f64 {
        1.0
    }
    /// Brings parameters back into their domain after an optimiser step.
    fn project(&mut self) {}
    /// Sets schedules (e.g. a DCLS kernel width) for epoch `epoch` (0-based).
    fn anneal(&mut self, _epoch: usize) {}
    /// The layer as a dense LIF projection with integer per-synapse delays
    /// in steps (input-major), for export.
    fn delayed(&self) -> Option<(Lif<T>, Vec<usize>)> {
        None
    }
}
