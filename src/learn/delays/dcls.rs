//! Learnable synaptic delays by dilated convolution with learnable spacings
//! (DCLS; Hammouamri, Khalfaoui-Hassani, Masquelier, ICLR 2024).
//!
//! A synapse i→o has a weight w and a real-valued position
//! p ∈ [−⌊K/2⌋, ⌊K/2⌋]. Its temporal kernel of K taps is
//! `k[n] = w·g(n)/Σ_m g(m)`, a bump centred on c = p + ⌊K/2⌋. A Gaussian bump
//! of width |σ| + 0.27 spreads the gradient over neighbouring taps, so the
//! position can slide; σ is annealed towards 0.23 during training. At the
//! end the kernel becomes a single tap at the rounded position: a plain
//! integer delay of ⌊K/2⌋ − round(p) steps, which an event-driven simulator
//! implements as a per-synapse delay queue.
//!
//! The layer is a cross-correlation over (batch, neurons, time): the input is
//! padded with K−1 zeros on the left and (K−1)/2 on the right, so tap n
//! carries a delay of K−1−n steps and the output is (K−1)/2 steps longer
//! than the input (room for the delayed spikes to arrive).

/// Shape of the per-synapse bump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelShape {
    /// exp(−½((n − c)/(|σ| + 0.27))²), normalised: used while training.
    Gauss,
    /// (1 + |σ| − |n − c|)₊, normalised: with σ = 0 and integer c a single
    /// tap, i.e. an exact delay line. Used at evaluation.
    Max,
}

/// The width added to |σ| so that a Gaussian never degenerates.
pub const SIGMA_FLOOR: f64 = 0.27;

/// A DCLS layer of `outputs × inputs` synapses with one tap each.
#[derive(Debug, Clone)]
pub struct Dcls1d {
    /// Input channels.
    pub inputs: usize,
    /// Output channels.
    pub outputs: usize,
    /// Number of taps K (odd); delays span 0..K−1 steps.
    pub kernel_size: usize,
    /// outputs × inputs, row-major.
    pub weight: Vec<f64>,
    /// outputs × inputs, row-major, in [−⌊K/2⌋, ⌊K/2⌋].
    pub position: Vec<f64>,
    /// Width of the Gaussian interpolation, taps.
    pub sigma: f64,
    /// Added to |σ| for the Gaussian's width: [`SIGMA_FLOOR`] in the
    /// reference. Lowering it towards 0 at the end of training makes the
    /// Gaussian converge on the single tap that evaluation uses.
    pub floor: f64,
    /// How the kernel is built (Gaussian in training, one tap in evaluation).
    pub shape: KernelShape,
}

/// Gradients of a [`Dcls1d`] forward pass.
#[derive(Debug, Clone)]
pub struct DclsGrad {
    /// Gradient of the weights, outputs × inputs.
    pub weight: Vec<f64>,
    /// Gradient of the positions, outputs × inputs.
    pub position: Vec<f64>,
    /// ∂loss/∂input, same layout as the input (for stacking layers).
    pub input: Vec<f64>,
}

impl Dcls1d {
    /// A layer with the given weights and positions and σ = ⌊K/2⌋, the
    /// reference starting width.
    pub fn new(
        inputs: usize,
        outputs: usize,
        kernel_size: usize,
        weight: Vec<f64>,
        position: Vec<f64>,
    ) -> Self {
        assert!(kernel_size % 2 == 1, "DCLS kernel size must be odd");
        assert_eq!(weight.len(), inputs * outputs);
        assert_eq!(position.len(), inputs * outputs);
        Dcls1d {
            inputs,
            outputs,
            kernel_size,
            weight,
            position,
            sigma: (kernel_size / 2) as f64,
            floor: SIGMA_FLOOR,
            shape: KernelShape::Gauss,
        }
    }

    /// ⌊K/2⌋: the largest |position|.
    pub fn half(&self) -> usize {
        self.kernel_size / 2
    }

    /// Output length for an input of `steps` steps.
    pub fn out_len(&self, steps: usize) -> usize {
        steps + self.half()
    }

    /// The normalised bump of synapse `syn` and its derivative with respect
    /// to the position, tap by tap.
    pub fn bump(&self, syn: usize) -> (Vec<f64>, Vec<f64>) {
        let k = self.kernel_size;
        let c = self.position[syn] + self.half() as f64;
        let mut g = vec![0.0; k];
        let mut dg = vec![0.0; k];
        for n in 0..k {
            let r = n as f64 - c;
            match self.shape {
                KernelShape::Gauss => {
                    let s = self.sigma.abs() + self.floor;
                    let z = r / s;
                    g[n] = (-0.5 * z * z).exp();
                    dg[n] = g[n] * z / s;
                }
                KernelShape::Max => {
                    let v = 1.0 + self.sigma.abs() - r.abs();
                    if v > 0.0 {
                        g[n] = v;
                        dg[n] = r.signum();
                    }
                }
            }
        }
        let sum: f64 = g.iter().sum();
        let dsum: f64 = dg.iter().sum();
        // Quotient rule for g/Σg.
        let norm: Vec<f64> = g.iter().map(|v| v / sum).collect();
        let dnorm: Vec<f64> = dg
            .iter()
            .zip(&norm)
            .map(|(d, gn)| d / sum - gn * dsum / sum)
            .collect();
        (norm, dnorm)
    }

    /// Forward pass: `input` is batch × inputs × steps, the result
    /// batch × outputs × (steps + ⌊K/2⌋), both row-major.
    pub fn forward(&self, input: &[f64], batch: usize, steps: usize) -> Vec<f64> {
        let (ni, no, k) = (self.inputs, self.outputs, self.kernel_size);
        let t_out = self.out_len(steps);
        let mut out = vec![0.0; batch * no * t_out];
        for o in 0..no {
            for i in 0..ni {
                let syn = o * ni + i;
                let (bump, _) = self.bump(syn);
                let w = self.weight[syn];
                for (n, b) in bump.iter().enumerate() {
                    let tap = w * b;
                    if tap == 0.0 {
                        continue;
                    }
                    let delay = k - 1 - n;
                    for bi in 0..batch {
                        let x = &input[(bi * ni + i) * steps..(bi * ni + i + 1) * steps];
                        let y = &mut out[(bi * no + o) * t_out..(bi * no + o + 1) * t_out];
                        // y[t] += tap · x[t − delay]
                        for (yt, xt) in y[delay.min(t_out)..].iter_mut().zip(x) {
                            *yt += tap * xt;
                        }
                    }
                }
            }
        }
        out
    }

    /// Backward pass given ∂loss/∂output (layout of [`Dcls1d::forward`]'s
    /// result).
    pub fn backward(&self, input: &[f64], batch: usize, steps: usize, g_out: &[f64]) -> DclsGrad {
        let (ni, no, k) = (self.inputs, self.outputs, self.kernel_size);
        let t_out = self.out_len(steps);
        let mut grad = DclsGrad {
            weight: vec![0.0; ni * no],
            position: vec![0.0; ni * no],
            input: vec![0.0; input.len()],
        };
        for o in 0..no {
            for i in 0..ni {
                let syn = o * ni + i;
                let (bump, dbump) = self.bump(syn);
                let w = self.weight[syn];
                for n in 0..k {
                    // A narrow Gaussian is exactly zero far from its centre;
                    // such taps add nothing to any gradient.
                    if bump[n] == 0.0 && dbump[n] == 0.0 {
                        continue;
                    }
                    let delay = k - 1 - n;
                    // ∂loss/∂k[n] = Σ_b Σ_t g_out[t] · x[t − delay]
                    let mut g_tap = 0.0;
                    for bi in 0..batch {
                        let x = &input[(bi * ni + i) * steps..(bi * ni + i + 1) * steps];
                        let gy = &g_out[(bi * no + o) * t_out..(bi * no + o + 1) * t_out];
                        let gx = &mut grad.input[(bi * ni + i) * steps..(bi * ni + i + 1) * steps];
                        let tap = w * bump[n];
                        for ((gyt, xt), gxt) in
                            gy[delay.min(t_out)..].iter().zip(x).zip(gx.iter_mut())
                        {
                            g_tap += gyt * xt;
                            *gxt += tap * gyt;
                        }
                    }
                    grad.weight[syn] += g_tap * bump[n];
                    grad.position[syn] += g_tap * w * dbump[n];
                }
            }
        }
        grad
    }

    /// Keep positions inside the kernel (after each optimiser step).
    pub fn clamp_positions(&mut self) {
        let h = self.half() as f64;
        for p in &mut self.position {
            *p = p.clamp(-h, h);
        }
    }

    /// Integer delays in steps, ⌊K/2⌋ − round(p), row-major like the
    /// weights: what is exported to the simulator.
    pub fn integer_delays(&self) -> Vec<usize> {
        let h = self.half() as f64;
        self.position
            .iter()
            .map(|p| (h - p.clamp(-h, h).round()) as usize)
            .collect()
    }

    /// Switch to inference form: σ = 0, single-tap "max" kernel, positions
    /// rounded to integers. The layer is then an exact delay line.
    pub fn round_to_delays(&mut self) {
        self.clamp_positions();
        for p in &mut self.position {
            *p = p.round();
        }
        self.sigma = 0.0;
        self.shape = KernelShape::Max;
    }
}

/// The σ annealing of the reference: σ ← σ·(σ_end/σ₀)^{1/E_f} once per
/// epoch, so σ reaches σ_end = 0.23 after E_f epochs (E_f = epochs/4 in the
/// reference) and stays there.
#[derive(Debug, Clone, Copy)]
pub struct SigmaSchedule {
    /// σ at the start, taps.
    pub sigma0: f64,
    /// σ at the end, taps.
    pub sigma_end: f64,
    /// Epochs over which σ decays to `sigma_end`.
    pub epochs_f: usize,
}

impl SigmaSchedule {
    /// The reference schedule for kernel size K over `epochs` epochs.
    pub fn reference(kernel_size: usize, epochs: usize) -> Self {
        SigmaSchedule {
            sigma0: (kernel_size / 2) as f64,
            sigma_end: 0.23,
            epochs_f: (epochs / 4).max(1),
        }
    }

    /// The per-epoch factor (σ_end/σ₀)^{1/E_f}.
    pub fn factor(&self) -> f64 {
        (self.sigma_end / self.sigma0).powf(1.0 / self.epochs_f as f64)
    }

    /// One epoch's update: shrink by the factor, never below σ_end.
    pub fn step(&self, sigma: f64) -> f64 {
        (sigma * self.factor()).max(self.sigma_end)
    }

    /// σ after `epoch` epochs of [`SigmaSchedule::step`].
    pub fn sigma_after(&self, epoch: usize) -> f64 {
        (0..epoch).fold(self.sigma0, |s, _| self.step(s))
    }
}
