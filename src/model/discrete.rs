//! Validated parameters of the discrete-time LIF (`model = "discrete_lif"`,
//! see `neuron::discrete_lif`).

/// Per-update factors, the threshold and the update clock of a whole
/// population.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscreteLifParams {
    /// Membrane decay per update, in [0, 1].
    pub beta: f64,
    /// Synaptic-current decay per update, in [0, 1); 0: no current.
    pub alpha: f64,
    /// Threshold, volts (> 0); also what a spike subtracts at the next update.
    pub v_th: f64,
    /// Time between updates, seconds (a whole number of `dt`); `None`: every
    /// step.
    pub period: Option<f64>,
    /// The updates happen at the grid points `offset + n·period`, seconds.
    pub offset: f64,
}
