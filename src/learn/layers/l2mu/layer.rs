//! The L2MU cell ([`super::cell`]) as a [`Layer`] of the trainer's
//! networks: input → encoder u → Legendre memory m → hidden h, the layer's
//! output being the hidden spikes s^h (the cell's own output population is
//! left empty; the network's next layer or read-out reads h instead).
//!
//! The cell's math is not repeated here: the layer keeps the trainable
//! tensors in the trainer's scalar type and hands them to the cell (f64) for
//! each pass. The backward pass re-runs the cell's forward pass, since the
//! trainer's [`Trace`] keeps only the layer's output.

use super::cell::{
    L2mu, L2muConfig, L2muParams, NeuronVariant, POP_H, PopInit, Readout as CellReadout, SpikeFn,
};
use super::lmu::Discretizer;
use crate::learn::layers::{Layer, Trace};
use crate::learn::real::Real;

/// The shape of an L2MU layer in an experiment; times in steps.
#[derive(Debug, Clone, PartialEq)]
pub struct L2muShape {
    /// Legendre order d of each memory channel.
    pub order: usize,
    /// Memory window θ in steps.
    pub theta: f64,
    /// Memory channels (= encoder neurons).
    pub memory_size: usize,
    /// Hidden neurons.
    pub hidden_size: usize,
    /// The spiking neuron of the populations.
    pub neuron: NeuronVariant,
    /// Whether the hidden population has recurrent weights.
    pub hidden_recurrent: bool,
    /// Initial β and Θ of u, m, h (the output population is unused).
    pub init: PopInit,
}

/// Names of the cell's tensors, in [`L2muParams::slices`] order.
const NAMES: [&str; 10] = [
    "encoder_input",
    "encoder_hidden",
    "encoder_memory",
    "hidden_input",
    "hidden_recurrent",
    "hidden_memory",
    "output",
    "output_bias",
    "beta",
    "threshold",
];
const BETA: usize = 8;
const THRESHOLD: usize = 9;

/// An L2MU cell trained as one layer.
#[derive(Debug, Clone)]
pub struct L2muLayer<T> {
    /// Configuration and fixed Ā, B̄; its `params` are only the initial ones.
    cell: L2mu,
    tensors: Vec<Vec<T>>,
}

impl<T: Real> L2muLayer<T> {
    /// A layer reading `n_in` inputs, initialised as the reference code does
    /// (see [`L2mu::new`]) from `seed`; `slope` is the fast-sigmoid surrogate
    /// slope.
    pub fn new(n_in: usize, shape: &L2muShape, slope: f64, seed: u64) -> Self {
        let config = L2muConfig {
            inputs: n_in,
            memory_size: shape.memory_size,
            order: shape.order,
            theta: shape.theta,
            hidden: shape.hidden_size,
            classes: 0,
            discretizer: Discretizer::Zoh,
            neuron: shape.neuron,
            spike: SpikeFn::FastSigmoid { slope },
            readout: CellReadout::SpikeCount,
            readout_from: 0,
            detach_reset: true,
            hidden_recurrent: shape.hidden_recurrent,
        };
        let cell = L2mu::new(config, shape.init, seed);
        let tensors = cell
            .params
            .slices()
            .iter()
            .map(|s| s.iter().map(|&v| T::from_f64(v)).collect())
            .collect();
        Self { cell, tensors }
    }

    /// The cell with the current parameters, in f64.
    fn current_cell(&self) -> L2mu {
        let mut cell = self.cell.clone();
        for (dst, src) in cell.params.slices_mut().into_iter().zip(&self.tensors) {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = s.to_f64();
            }
        }
        cell
    }

    /// The input, cut to the cell's inputs, in f64.
    fn input_f64(&self, input: &[T], steps: usize) -> Vec<f64> {
        input[..steps * self.cell.config.inputs]
            .iter()
            .map(|v| v.to_f64())
            .collect()
    }
}

fn to_real<T: Real>(v: &[f64]) -> Vec<T> {
    v.iter().map(|&x| T::from_f64(x)).collect()
}

impl<T: Real> Layer<T> for L2muLayer<T> {
    fn n_in(&self) -> usize {
        self.cell.config.inputs
    }

    fn as_l2mu(&self) -> Option<L2mu> {
        Some(self.current_cell())
    }

    fn n_out(&self) -> usize {
        self.cell.config.hidden
    }

    fn spiking(&self) -> bool {
        true
    }

    fn params(&self) -> Vec<&[T]> {
        self.tensors.iter().map(Vec::as_slice).collect()
    }

    fn params_mut(&mut self) -> Vec<&mut Vec<T>> {
        self.tensors.iter_mut().collect()
    }

    fn param_names(&self) -> Vec<&'static str> {
        NAMES.to_vec()
    }

    fn forward(&self, input: &[T], steps: usize) -> Trace<T> {
        let cell = self.current_cell();
        let tr = cell.forward(&self.input_f64(input, steps));
        let h = &tr.pops[POP_H];
        Trace {
            u: to_real(&h.u),
            y: to_real(&h.s),
        }
    }

    fn backward(
        &self,
        input: &[T],
        trace: &Trace<T>,
        grad_y: &[T],
        grads: &mut [Vec<T>],
        want_input: bool,
    ) -> Option<Vec<T>> {
        let steps = trace.y.len() / self.n_out().max(1);
        let cell = self.current_cell();
        let x = self.input_f64(input, steps);
        let tr = cell.forward(&x);
        let g_hidden: Vec<f64> = grad_y.iter().map(|v| v.to_f64()).collect();
        let (g, g_input): (L2muParams, _) =
            cell.backward_through(&x, &tr, &[], Some(&g_hidden), want_input);
        for (acc, src) in grads.iter_mut().zip(g.slices()) {
            for (a, &s) in acc.iter_mut().zip(src) {
                *a += T::from_f64(s);
            }
        }
        g_input.map(|gi| to_real(&gi))
    }

    fn neuron_tensors(&self) -> [usize; 2] {
        [BETA, THRESHOLD]
    }

    /// β in [0, 1], Θ ≥ 10⁻³, as [`L2mu::project`].
    fn constrain(&mut self) {
        let mut cell = self.current_cell();
        cell.project();
        for (dst, src) in self.tensors.iter_mut().zip(cell.params.slices()) {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = T::from_f64(s);
            }
        }
    }
}
