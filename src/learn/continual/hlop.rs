//! HLOP (Hebbian learning based orthogonal projection, Xiao et al. 2024;
//! `algorithms.md` (a)): per projected layer, lateral subspace neurons with
//! weights `H` (M×n) learn the principal subspace of the layer's
//! presynaptic traces by Oja's subspace rule; later tasks' weight updates
//! use the traces with the old tasks' subspace projected out.
//!
//! Rows `0..fixed` of `H` are the old tasks' subspace: they never change
//! after [`HlopLayer::merge_subspace`]. Rows `fixed..M` are the current
//! task's, learned on the current traces; because the reconstruction uses
//! all rows, they learn the residual principal subspace.
//!
//! Per task: task 0 trains with [`HlopConfig::build`]'s `initial` rows and
//! no projection; at each boundary call `merge_subspace`, then for task
//! t > 0 `add_subspace(increment(t))`, project every weight-update trace
//! with `project` and keep feeding the raw traces to `hebbian_update`.
//! The traces are [`weighted_rate`]s (DSR/BPTT, the reference default) or
//! OTTT online traces ([`online_trace_step`]).
//!
//! Everything is a pure function of the configuration, the seed and the
//! traces fed in: no global state, no thread-dependent order.

use nalgebra::{DMatrix, DVector};
use rand_distr::{Distribution, StandardNormal};
use serde::Deserialize;
use thiserror::Error;

use crate::engine::rng;

/// Momentum of the Hebbian update (`m <- 0.9 m + 0.1 dH`, fixed in the
/// reference code).
const MOMENTUM: f64 = 0.9;

#[derive(Debug, Error, PartialEq)]
/// An invalid HLOP setting or state.
pub enum HlopError {
    #[error("hlop: `layers` is empty: give one [[hlop.layers]] table per projected layer")]
    /// `layers` is empty.
    NoLayers,
    #[error("hlop.layers[{layer}].{field}: {message}")]
    /// A layer's setting is invalid.
    Layer {
        /// The layer.
        layer: usize,
        /// The setting.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    #[error("hlop.{field}: {message}")]
    /// A setting of `[hlop]` is invalid.
    Field {
        /// The setting.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    #[error(
        "hlop layer {layer}: traces have {got} columns but the layer's input dimension is {expected}"
    )]
    /// Traces of the wrong width for a layer.
    Dimension {
        /// The layer.
        layer: usize,
        /// The layer's input dimension.
        expected: usize,
        /// Columns of the traces.
        got: usize,
    },
    #[error(
        "hlop layer {layer}: adding {adding} subspace neurons to {existing} would exceed the input dimension {dim}"
    )]
    /// More subspace neurons than the input has dimensions.
    TooManyNeurons {
        /// The layer.
        layer: usize,
        /// Subspace neurons it has.
        existing: usize,
        /// Subspace neurons to add.
        adding: usize,
        /// The input dimension.
        dim: usize,
    },
    #[error("hlop layer {layer}: traces contain a non-finite value")]
    /// Traces with a non-finite value.
    NonFinite {
        /// The layer.
        layer: usize,
    },
}

/// Optional spiking lateral neurons: `y` becomes a spike count over
/// `steps` time steps with full scale `scale` (defaults s = 20, T_h = 1000).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeQuantiser {
    #[serde(default = "default_scale")]
    /// Full scale of the spike count.
    pub scale: f64,
    #[serde(default = "default_steps")]
    /// Time steps the count is taken over.
    pub steps: u32,
}

fn default_scale() -> f64 {
    20.0
}
fn default_steps() -> u32 {
    1000
}

impl Default for SpikeQuantiser {
    fn default() -> Self {
        Self {
            scale: default_scale(),
            steps: default_steps(),
        }
    }
}

impl SpikeQuantiser {
    /// Clip to `[-s, s]`, express as a count of `T_h` spikes, round, and
    /// scale back.
    pub fn quantise(&self, y: f64) -> f64 {
        let s = self.scale;
        let t = f64::from(self.steps);
        (y.clamp(-s, s) / s * t).round() / t * s
    }
}

/// One projected layer's sizes and learning rate.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HlopLayerConfig {
    /// Input dimension n (presynaptic channels; C_in·k_h·k_w for conv).
    pub dim: usize,
    /// Subspace neurons added for task 0.
    pub initial: usize,
    /// Neurons added for task 1, 2, ...; the last entry repeats for later
    /// tasks, an empty list adds none.
    #[serde(default)]
    pub increments: Vec<usize>,
    /// Hebbian learning rate η (reference: 0.001 for an MLP's input layer,
    /// 0.01 elsewhere).
    #[serde(default = "default_learning_rate")]
    pub learning_rate: f64,
}

fn default_learning_rate() -> f64 {
    0.01
}

/// The HLOP settings of a network (`[hlop]` of an experiment file).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HlopConfig {
    /// One table per projected layer.
    pub layers: Vec<HlopLayerConfig>,
    /// Repetitions of the Hebbian update per batch (reference: 5).
    #[serde(default = "default_iterations")]
    pub iterations: usize,
    /// Element-wise clamp of ΔH (reference: 10).
    #[serde(default = "default_clamp")]
    pub clamp: f64,
    /// Spiking lateral neurons; absent = real-valued `y`.
    #[serde(default)]
    pub spiking: Option<SpikeQuantiser>,
    /// Seed of the orthogonal initialisation.
    #[serde(default)]
    pub seed: u64,
}

fn default_iterations() -> usize {
    5
}
fn default_clamp() -> f64 {
    10.0
}

impl HlopConfig {
    /// Checks every field; the first problem is reported by name.
    pub fn validate(&self) -> Result<(), HlopError> {
        if self.layers.is_empty() {
            return Err(HlopError::NoLayers);
        }
        if self.iterations == 0 {
            return Err(field("iterations", "must be at least 1"));
        }
        if !(self.clamp.is_finite() && self.clamp > 0.0) {
            return Err(field(
                "clamp",
                format!("must be a positive number, got {}", self.clamp),
            ));
        }
        if let Some(q) = self.spiking {
            if !(q.scale.is_finite() && q.scale > 0.0) {
                return Err(field(
                    "spiking.scale",
                    format!("must be a positive number, got {}", q.scale),
                ));
            }
            if q.steps == 0 {
                return Err(field("spiking.steps", "must be at least 1"));
            }
        }
        for (l, layer) in self.layers.iter().enumerate() {
            layer.validate(l)?;
        }
        Ok(())
    }

    /// The layers' states for task 0 (`initial` neurons each).
    pub fn build(&self) -> Result<Vec<HlopLayer>, HlopError> {
        self.validate()?;
        self.layers
            .iter()
            .enumerate()
            .map(|(l, c)| {
                let mut layer = HlopLayer::new(l, c.dim, c.learning_rate, self);
                layer.add_subspace(c.initial)?;
                Ok(layer)
            })
            .collect()
    }
}

fn field(field: &'static str, message: impl Into<String>) -> HlopError {
    HlopError::Field {
        field,
        message: message.into(),
    }
}

impl HlopLayerConfig {
    fn validate(&self, layer: usize) -> Result<(), HlopError> {
        let err = |field, message: String| HlopError::Layer {
            layer,
            field,
            message,
        };
        if self.dim == 0 {
            return Err(err("dim", "must be at least 1".into()));
        }
        if self.initial == 0 {
            return Err(err("initial", "must be at least 1".into()));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(err(
                "learning_rate",
                format!("must be a positive number, got {}", self.learning_rate),
            ));
        }
        let total: usize = self.initial + self.increments.iter().sum::<usize>();
        if total > self.dim {
            return Err(err(
                "increments",
                format!(
                    "initial + increments = {total} subspace neurons exceed the input dimension {}",
                    self.dim
                ),
            ));
        }
        Ok(())
    }

    /// Neurons to add at the start of task `task` (≥ 1).
    pub fn increment(&self, task: usize) -> usize {
        match self.increments.len() {
            0 => 0,
            len => self.increments[(task.max(1) - 1).min(len - 1)],
        }
    }
}

/// One layer's HLOP state.
#[derive(Debug, Clone, PartialEq)]
pub struct HlopLayer {
    index: usize,
    h: DMatrix<f64>,
    momentum: DMatrix<f64>,
    /// Rows `0..fixed` are the merged (old) subspace.
    fixed: usize,
    learning_rate: f64,
    iterations: usize,
    clamp: f64,
    spiking: Option<SpikeQuantiser>,
    seed: u64,
    /// Subspaces added so far, naming the initialisation stream.
    additions: usize,
}

impl HlopLayer {
    /// An empty layer (no subspace neurons) of input dimension `dim`.
    pub fn new(index: usize, dim: usize, learning_rate: f64, config: &HlopConfig) -> Self {
        Self {
            index,
            h: DMatrix::zeros(0, dim),
            momentum: DMatrix::zeros(0, dim),
            fixed: 0,
            learning_rate,
            iterations: config.iterations,
            clamp: config.clamp,
            spiking: config.spiking,
            seed: config.seed,
            additions: 0,
        }
    }

    /// Restores a state saved at a task boundary (after
    /// [`HlopLayer::merge_subspace`], where the momentum is zero): `h` with
    /// rows `0..fixed` merged, after `additions` calls of
    /// [`HlopLayer::add_subspace`] (so later additions draw the same rows
    /// as in an uninterrupted run).
    pub fn with_weights(
        mut self,
        h: DMatrix<f64>,
        fixed: usize,
        additions: usize,
    ) -> Result<Self, HlopError> {
        if h.ncols() != self.dim() {
            return Err(self.dimension_error(h.ncols()));
        }
        if fixed > h.nrows() {
            return Err(field(
                "fixed",
                format!("{fixed} fixed rows but H has {}", h.nrows()),
            ));
        }
        self.momentum = DMatrix::zeros(h.nrows(), h.ncols());
        self.h = h;
        self.fixed = fixed;
        self.additions = additions;
        Ok(self)
    }

    /// The input dimension n.
    pub fn dim(&self) -> usize {
        self.h.ncols()
    }
    /// Total subspace neurons M.
    pub fn neurons(&self) -> usize {
        self.h.nrows()
    }
    /// Neurons of the merged (old) subspace.
    pub fn fixed(&self) -> usize {
        self.fixed
    }
    /// The subspace matrix H, M × n.
    pub fn weights(&self) -> &DMatrix<f64> {
        &self.h
    }
    /// The old subspace's rows.
    pub fn old_rows(&self) -> DMatrix<f64> {
        self.h.rows(0, self.fixed).into_owned()
    }
    /// The current task's rows.
    pub fn new_rows(&self) -> DMatrix<f64> {
        self.h
            .rows(self.fixed, self.neurons() - self.fixed)
            .into_owned()
    }
    /// The Hebbian learning rate.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }
    /// Subspaces added so far (saved with `H` for resuming).
    pub fn additions(&self) -> usize {
        self.additions
    }
    /// For schedules: the reference keeps η constant, tests decay it.
    pub fn set_learning_rate(&mut self, eta: f64) {
        self.learning_rate = eta;
    }

    /// Appends `k` rows, orthonormal among themselves (like PyTorch's
    /// `orthogonal_`) and orthogonal to the rows already there, drawn from a
    /// stream named by layer and addition.
    pub fn add_subspace(&mut self, k: usize) -> Result<(), HlopError> {
        let (m, n) = (self.neurons(), self.dim());
        if m + k > n {
            return Err(HlopError::TooManyNeurons {
                layer: self.index,
                existing: m,
                adding: k,
                dim: n,
            });
        }
        let name = format!("layer{}/subspace{}", self.index, self.additions);
        self.additions += 1;
        if k == 0 {
            return Ok(());
        }
        let mut stream = rng::stream(self.seed, "hlop", &name);
        let mut gaussian = DMatrix::from_fn(n, k, |_, _| StandardNormal.sample(&mut stream));
        // Drawn in the complement of the rows already there: Oja's rule
        // would have to rotate them out of it, which is slow along the
        // directions the new task's traces barely use.
        if m > 0 {
            let basis = orthonormal_rows(self.h.transpose());
            gaussian -= basis.transpose() * (&basis * &gaussian);
        }
        let rows = orthonormal_rows(gaussian);
        let mut h = self.h.clone().resize_vertically(m + k, 0.0);
        h.rows_mut(m, k).copy_from(&rows);
        self.h = h;
        self.momentum = self.momentum.clone().resize_vertically(m + k, 0.0);
        Ok(())
    }

    /// Task boundary: every row becomes old knowledge and stays fixed.
    /// Their momentum is dropped since they never move again.
    pub fn merge_subspace(&mut self) {
        self.fixed = self.neurons();
        self.momentum.fill(0.0);
    }

    /// Steps 1–6 of `algorithms.md` (a) on a batch of traces (B×n, one
    /// sample per row), `iterations` times. Returns the last ΔH.
    pub fn hebbian_update(&mut self, x: &DMatrix<f64>) -> Result<DMatrix<f64>, HlopError> {
        self.check(x)?;
        let mut delta = DMatrix::zeros(self.neurons(), self.dim());
        for _ in 0..self.iterations {
            delta = self.delta(x);
            self.apply(&delta);
        }
        Ok(delta)
    }

    /// ΔH = yᵀ(x − yH)/B clamped, zero on fixed rows.
    fn delta(&self, x: &DMatrix<f64>) -> DMatrix<f64> {
        let mut y = x * self.h.transpose();
        if let Some(q) = self.spiking {
            y.apply(|v| *v = q.quantise(*v));
        }
        let reconstruction = &y * &self.h;
        let mut delta = y.tr_mul(&(x - reconstruction)) / x.nrows().max(1) as f64;
        delta.apply(|d| *d = d.clamp(-self.clamp, self.clamp));
        delta.rows_mut(0, self.fixed).fill(0.0);
        delta
    }

    fn apply(&mut self, delta: &DMatrix<f64>) {
        let live = self.neurons() - self.fixed;
        let mut m = self.momentum.rows_mut(self.fixed, live);
        m *= MOMENTUM;
        m += delta.rows(self.fixed, live) * (1.0 - MOMENTUM);
        let step = m.into_owned() * self.learning_rate;
        let mut h = self.h.rows_mut(self.fixed, live);
        h += step;
    }

    /// `x_⊥ = x − (x H_oldᵀ) H_old` with only the old rows: the trace a
    /// later task's weight update uses.
    pub fn project(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>, HlopError> {
        self.check(x)?;
        let old = self.h.rows(0, self.fixed);
        Ok(x - (x * old.transpose()) * old)
    }

    /// [`HlopLayer::project`] for one trace vector.
    pub fn project_vector(&self, x: &DVector<f64>) -> Result<DVector<f64>, HlopError> {
        if x.len() != self.dim() {
            return Err(self.dimension_error(x.len()));
        }
        let old = self.h.rows(0, self.fixed);
        Ok(x - old.tr_mul(&(old * x)))
    }

    fn check(&self, x: &DMatrix<f64>) -> Result<(), HlopError> {
        if x.ncols() != self.dim() {
            return Err(self.dimension_error(x.ncols()));
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(HlopError::NonFinite { layer: self.index });
        }
        Ok(())
    }

    fn dimension_error(&self, got: usize) -> HlopError {
        HlopError::Dimension {
            layer: self.index,
            expected: self.dim(),
            got,
        }
    }
}

/// HLOP's default trace (`hlop_with_wfr`): the weighted firing rate
/// `a = Σ_t w_t s_t / Σ_t w_t` with `w_t = exp(−(T − t) Δt / τ)`,
/// t = 1..T, so late steps count most. `spikes` holds one row per step
/// (T×n); returns one value per channel.
pub fn weighted_rate(spikes: &DMatrix<f64>, dt: f64, tau: f64) -> DVector<f64> {
    let steps = spikes.nrows();
    let weights = DVector::from_fn(steps, |t, _| (-((steps - 1 - t) as f64) * dt / tau).exp());
    spikes.tr_mul(&weights) / weights.sum()
}

/// The OTTT presynaptic trace after one step: `â ← λ â + s` with
/// `λ = 1 − 1/τ` (τ in steps; reference τ = 2).
pub fn online_trace_step(trace: &mut DVector<f64>, spikes: &DVector<f64>, tau: f64) {
    *trace *= 1.0 - 1.0 / tau;
    *trace += spikes;
}

/// Rows of an orthonormal basis of the columns of `a` (n×k, k ≤ n), with
/// the QR sign convention fixed (positive diagonal of R) so the result
/// depends only on `a`.
fn orthonormal_rows(a: DMatrix<f64>) -> DMatrix<f64> {
    let qr = a.qr();
    let (q, r) = (qr.q(), qr.r());
    let mut q = q.transpose();
    for (i, mut row) in q.row_iter_mut().enumerate() {
        if r[(i, i)] < 0.0 {
            row *= -1.0;
        }
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plasticity::hebbian::principal_angles;
    use rand::SeedableRng;
    use rand_pcg::Pcg64;

    fn normal(rng: &mut Pcg64) -> f64 {
        StandardNormal.sample(rng)
    }

    /// `samples` traces (one per row) with covariance `Q diag(lambda) Qᵀ`,
    /// `Q` a random rotation.
    fn traces(lambda: &[f64], samples: usize, rng: &mut Pcg64) -> DMatrix<f64> {
        let n = lambda.len();
        let q = DMatrix::from_fn(n, n, |_, _| normal(rng)).qr().q();
        let scale =
            DMatrix::from_diagonal(&DVector::from_iterator(n, lambda.iter().map(|l| l.sqrt())));
        let z = DMatrix::from_fn(samples, n, |_, _| normal(rng));
        z * scale * q.transpose()
    }

    /// Top-k right singular vectors (as columns) of the recorded traces.
    fn svd_subspace(x: &DMatrix<f64>, k: usize) -> DMatrix<f64> {
        let svd = x.clone().svd(false, true);
        let v_t = svd.v_t.expect("requested V^T");
        let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
        order.sort_by(|&a, &b| svd.singular_values[b].total_cmp(&svd.singular_values[a]));
        let rows: Vec<_> = order[..k]
            .iter()
            .map(|&i| v_t.row(i).into_owned())
            .collect();
        DMatrix::from_rows(&rows).transpose()
    }

    fn config(dim: usize, initial: usize, increments: Vec<usize>, eta: f64) -> HlopConfig {
        HlopConfig {
            layers: vec![HlopLayerConfig {
                dim,
                initial,
                increments,
                learning_rate: eta,
            }],
            iterations: 5,
            clamp: 10.0,
            spiking: None,
            seed: 2022,
        }
    }

    /// Cycles over the recorded traces in mini-batches with a falling
    /// learning rate, so the rows settle on the recorded traces' subspace.
    fn learn(layer: &mut HlopLayer, x: &DMatrix<f64>, batches: usize, eta0: f64) {
        let batch = 128;
        let chunks = x.nrows() / batch;
        for t in 0..batches {
            layer.set_learning_rate(eta0 / (1.0 + t as f64 / 200.0));
            let rows = x.rows((t % chunks) * batch, batch).into_owned();
            layer.hebbian_update(&rows).unwrap();
        }
    }

    const LAMBDA_A: [f64; 10] = [8.0, 6.0, 5.0, 0.3, 0.2, 0.15, 0.1, 0.05, 0.02, 0.01];

    #[test]
    fn learned_subspace_matches_the_svd_of_the_recorded_traces() {
        let mut rng = Pcg64::seed_from_u64(1);
        let x = traces(&LAMBDA_A, 4096, &mut rng);
        let mut layers = config(10, 3, vec![], 0.02).build().unwrap();
        let layer = &mut layers[0];
        learn(layer, &x, 4000, 0.02);
        let angles = principal_angles(&layer.weights().transpose(), &svd_subspace(&x, 3));
        assert!(angles.iter().all(|&a| a < 1e-2), "{angles:?}");
        let gram = layer.weights() * layer.weights().transpose();
        assert!((gram - DMatrix::identity(3, 3)).abs().max() < 1e-2);
    }

    #[test]
    fn new_rows_learn_the_residual_subspace_while_old_rows_stay_fixed() {
        let mut rng = Pcg64::seed_from_u64(2);
        // Task A's traces hold little energy (0.2 %) outside its subspace.
        let lambda_a = [8.0, 6.0, 5.0, 0.01, 0.01, 0.005, 0.005, 0.005, 0.005, 0.005];
        let xa = traces(&lambda_a, 4096, &mut rng);
        let lambda_b = [7.0, 5.0, 4.0, 3.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01];
        let xb = traces(&lambda_b, 4096, &mut rng);
        let mut layers = config(10, 3, vec![3], 0.02).build().unwrap();
        let layer = &mut layers[0];
        learn(layer, &xa, 4000, 0.02);
        layer.merge_subspace();
        let old = layer.old_rows();
        layer.add_subspace(3).unwrap();
        assert_eq!((layer.neurons(), layer.fixed()), (6, 3));
        learn(layer, &xb, 4000, 0.02);
        assert_eq!(layer.old_rows(), old, "old rows moved");
        let residual = layer.project(&xb).unwrap();
        let angles = principal_angles(&layer.new_rows().transpose(), &svd_subspace(&residual, 3));
        assert!(angles.iter().all(|&a| a < 1e-2), "{angles:?}");
        // The new rows are orthogonal to the old ones.
        assert!((layer.new_rows() * old.transpose()).abs().max() < 1e-2);

        // A weight update from projected task-B traces barely moves a
        // layer's outputs on task-A inputs; the raw update moves them a lot.
        let w = DMatrix::from_fn(4, 10, |_, _| normal(&mut rng));
        let delta = DMatrix::from_fn(256, 4, |_, _| normal(&mut rng));
        let xb_batch = xb.rows(0, 256).into_owned();
        let raw = delta.tr_mul(&xb_batch) / 256.0;
        let projected = delta.tr_mul(&layer.project(&xb_batch).unwrap()) / 256.0;
        let change =
            |dw: &DMatrix<f64>| (&xa * dw.transpose()).norm() / (&xa * w.transpose()).norm();
        let (raw_change, projected_change) = (change(&raw), change(&projected));
        assert!(raw_change > 0.05, "raw {raw_change}");
        assert!(
            projected_change < 0.1 * raw_change,
            "{projected_change} vs {raw_change}"
        );
    }

    #[test]
    fn projection_is_orthogonal_to_the_old_subspace() {
        let mut rng = Pcg64::seed_from_u64(3);
        let n = 16;
        let basis = DMatrix::from_fn(n, 5, |_, _| normal(&mut rng)).qr().q();
        let h_old = basis.transpose();
        let cfg = config(n, 5, vec![], 0.01);
        let layer = HlopLayer::new(0, n, 0.01, &cfg)
            .with_weights(h_old.clone(), 5, 1)
            .unwrap();
        let x = DMatrix::from_fn(64, n, |_, _| normal(&mut rng));
        let x_perp = layer.project(&x).unwrap();
        assert!((&x_perp * h_old.transpose()).abs().max() < 1e-9);
        // Projecting twice changes nothing; the vector form agrees.
        assert!((layer.project(&x_perp).unwrap() - &x_perp).abs().max() < 1e-9);
        let v = layer.project_vector(&x.row(0).transpose()).unwrap();
        assert!((v.transpose() - x_perp.row(0)).abs().max() < 1e-12);

        // Outputs on old-task inputs (in the subspace) are unchanged by a
        // weight update built from projected traces.
        let w = DMatrix::from_fn(3, n, |_, _| normal(&mut rng));
        let old_inputs = DMatrix::from_fn(32, 5, |_, _| normal(&mut rng)) * &h_old;
        let delta = DMatrix::from_fn(64, 3, |_, _| normal(&mut rng));
        let w_new = &w + delta.tr_mul(&x_perp) * 0.1;
        let before = &old_inputs * w.transpose();
        let after = &old_inputs * w_new.transpose();
        assert!((after - before).abs().max() < 1e-9);
    }

    #[test]
    fn no_old_rows_means_no_projection() {
        let layers = config(4, 2, vec![], 0.01).build().unwrap();
        let x = DMatrix::from_row_slice(1, 4, &[1.0, -2.0, 3.0, 0.5]);
        assert_eq!(layers[0].project(&x).unwrap(), x);
    }

    #[test]
    fn spiking_quantiser_counts_spikes() {
        let q = SpikeQuantiser::default();
        // 0.123 / 20 * 1000 = 6.15 spikes -> 6 -> 0.12.
        assert!((q.quantise(0.123) - 0.12).abs() < 1e-12);
        assert_eq!(q.quantise(25.0), 20.0);
        assert_eq!(q.quantise(-25.0), -20.0);
        let coarse = SpikeQuantiser {
            scale: 2.0,
            steps: 4,
        };
        assert_eq!(coarse.quantise(0.7), 0.5);
    }

    #[test]
    fn spiking_lateral_neurons_still_find_the_subspace() {
        let mut rng = Pcg64::seed_from_u64(4);
        let x = traces(&LAMBDA_A, 4096, &mut rng);
        let mut cfg = config(10, 3, vec![], 0.02);
        cfg.spiking = Some(SpikeQuantiser::default());
        let mut layers = cfg.build().unwrap();
        learn(&mut layers[0], &x, 4000, 0.02);
        let angles = principal_angles(&layers[0].weights().transpose(), &svd_subspace(&x, 3));
        assert!(angles.iter().all(|&a| a < 1e-2), "{angles:?}");
    }

    #[test]
    fn initialisation_is_orthonormal_and_seeded() {
        let a = config(20, 6, vec![4], 0.01).build().unwrap();
        let b = config(20, 6, vec![4], 0.01).build().unwrap();
        assert_eq!(a, b);
        let h = a[0].weights();
        assert!((h * h.transpose() - DMatrix::identity(6, 6)).abs().max() < 1e-12);
        let mut other = config(20, 6, vec![4], 0.01);
        other.seed = 7;
        assert_ne!(other.build().unwrap()[0].weights(), h);
        // Each layer draws from its own stream.
        let mut two = config(20, 6, vec![4], 0.01);
        two.layers.push(two.layers[0].clone());
        let layers = two.build().unwrap();
        assert_eq!(layers[0].weights(), h);
        assert_ne!(layers[1].weights(), h);
        // The second addition draws from its own stream.
        let mut layer = a[0].clone();
        layer.merge_subspace();
        layer.add_subspace(4).unwrap();
        assert_ne!(layer.new_rows(), h.rows(0, 4).into_owned());
    }

    #[test]
    fn hebbian_update_is_deterministic_and_leaves_fixed_rows() {
        let mut rng = Pcg64::seed_from_u64(5);
        let x = traces(&LAMBDA_A, 256, &mut rng);
        let mut a = config(10, 2, vec![2], 0.01).build().unwrap().remove(0);
        a.hebbian_update(&x).unwrap();
        a.merge_subspace();
        a.add_subspace(2).unwrap();
        let mut b = a.clone();
        let old = a.old_rows();
        a.hebbian_update(&x).unwrap();
        b.hebbian_update(&x).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.old_rows(), old);
    }

    #[test]
    fn a_layer_restored_at_a_task_boundary_continues_identically() {
        let mut rng = Pcg64::seed_from_u64(6);
        let x = traces(&LAMBDA_A, 256, &mut rng);
        let cfg = config(10, 2, vec![2], 0.01);
        let mut run = cfg.build().unwrap().remove(0);
        run.hebbian_update(&x).unwrap();
        run.merge_subspace();
        let saved = (run.weights().clone(), run.fixed(), run.additions());
        let mut resumed = HlopLayer::new(0, 10, 0.01, &cfg)
            .with_weights(saved.0, saved.1, saved.2)
            .unwrap();
        assert_eq!(resumed, run);
        for layer in [&mut run, &mut resumed] {
            layer.add_subspace(2).unwrap();
            layer.hebbian_update(&x).unwrap();
        }
        assert_eq!(resumed, run);
    }

    #[test]
    fn configuration_parses_and_bad_values_are_named() {
        let text = "iterations = 5\nseed = 3\n[spiking]\nsteps = 40\n\
                    [[layers]]\ndim = 784\ninitial = 80\nincrements = [70, 70, 50]\nlearning_rate = 0.001\n";
        let cfg: HlopConfig = toml::from_str(text).unwrap();
        cfg.validate().unwrap();
        assert_eq!(cfg.spiking.unwrap().scale, 20.0);
        let layer = &cfg.layers[0];
        let schedule: Vec<usize> = (1..6).map(|t| layer.increment(t)).collect();
        assert_eq!(schedule, [70, 70, 50, 50, 50]);

        let mut bad = cfg.clone();
        bad.layers[0].increments = vec![800];
        let message = bad.validate().unwrap_err().to_string();
        assert!(message.contains("hlop.layers[0].increments"), "{message}");
        let mut bad = cfg.clone();
        bad.layers[0].learning_rate = f64::NAN;
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("learning_rate")
        );
        let mut bad = cfg.clone();
        bad.iterations = 0;
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("hlop.iterations")
        );
        let mut bad = cfg.clone();
        bad.spiking = Some(SpikeQuantiser {
            scale: -1.0,
            steps: 4,
        });
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("spiking.scale")
        );
        let mut bad = cfg;
        bad.layers.clear();
        assert_eq!(bad.validate(), Err(HlopError::NoLayers));
        assert!(
            toml::from_str::<HlopConfig>("[[layers]]\ndim = 3\ninitial = 1\nsize = 2\n").is_err()
        );
    }

    #[test]
    fn bad_traces_are_errors() {
        let mut layer = config(4, 2, vec![], 0.01).build().unwrap().remove(0);
        let wrong = DMatrix::zeros(3, 5);
        assert!(matches!(
            layer.hebbian_update(&wrong),
            Err(HlopError::Dimension {
                expected: 4,
                got: 5,
                ..
            })
        ));
        let mut nan = DMatrix::zeros(2, 4);
        nan[(1, 2)] = f64::NAN;
        assert_eq!(
            layer.hebbian_update(&nan),
            Err(HlopError::NonFinite { layer: 0 })
        );
        assert!(matches!(
            layer.add_subspace(3),
            Err(HlopError::TooManyNeurons { .. })
        ));
    }

    #[test]
    fn weighted_rate_and_online_trace_by_hand() {
        // Constant spiking at amplitude 1 gives rate 1 whatever the weights.
        let ones = DMatrix::from_element(20, 3, 1.0);
        let a = weighted_rate(&ones, 0.05, 1.0);
        assert!((a - DVector::from_element(3, 1.0)).abs().max() < 1e-15);
        // One spike at the last step of T: 1 / Σ_k r^k, r = exp(−Δt/τ), a
        // geometric sum (1 − r^T)/(1 − r).
        let mut last = DMatrix::zeros(20, 1);
        last[(19, 0)] = 1.0;
        let r = (-0.05f64).exp();
        let expected = (1.0 - r) / (1.0 - r.powi(20));
        assert!((weighted_rate(&last, 0.05, 1.0)[0] - expected).abs() < 1e-15);
        // The first step's spike weighs r^(T−1) times as much.
        let mut first = DMatrix::zeros(20, 1);
        first[(0, 0)] = 1.0;
        let ratio = weighted_rate(&first, 0.05, 1.0)[0] / expected;
        assert!((ratio - r.powi(19)).abs() < 1e-15);

        // OTTT trace, τ = 2: constant input s settles at τ s.
        let mut trace = DVector::zeros(2);
        let s = DVector::from_vec(vec![1.0, 0.5]);
        online_trace_step(&mut trace, &s, 2.0);
        online_trace_step(&mut trace, &s, 2.0);
        assert_eq!(trace, DVector::from_vec(vec![1.5, 0.75]));
        for _ in 0..100 {
            online_trace_step(&mut trace, &s, 2.0);
        }
        assert!((trace - s * 2.0).abs().max() < 1e-12);
    }
}
