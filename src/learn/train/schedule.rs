//! Learning-rate schedules and gradient-norm clipping of `spikesim train`.
//!
//! ```toml
//! [training]
//! schedule = "cosine"       # or "constant" (default), or "step" with
//! decay_every = 50          #   the rate multiplied by `decay_factor`
//! decay_factor = 0.5        #   after every `decay_every` epochs
//! clip_grad_norm = 1.0      # optional: rescale a batch's gradient whose
//!                           #   global L2 norm exceeds this
//! ```
//!
//! The rate of an epoch depends on the epoch index alone, so a resumed run
//! takes the same steps as an uninterrupted one. Late in training the
//! surrogate-gradient steps of an L2MU network kick it out of good minima
//! (accuracy drops of tens of points between epochs); a decaying rate is
//! what settles it.

use toml::Spanned;

use crate::learn::optim::Grads;
use crate::model::ModelError;
use crate::model::error::Source;

/// How the learning rate changes over the epochs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LrSchedule {
    /// The same rate every epoch.
    Constant,
    /// Half a cosine from the base rate at epoch 0 towards 0 after the last
    /// epoch: factor ½(1 + cos(π e / epochs)).
    Cosine,
    /// The rate times `factor` after every `every` epochs.
    Step {
        /// Epochs between changes.
        every: usize,
        /// Factor applied at each change.
        factor: f64,
    },
}

impl LrSchedule {
    /// The multiplier of the base rate in `epoch` (0-based) of `epochs`;
    /// exactly 1 for a constant schedule.
    pub fn factor(self, epoch: usize, epochs: usize) -> f64 {
        match self {
            LrSchedule::Constant => 1.0,
            LrSchedule::Cosine => {
                let x = epoch as f64 / epochs.max(1) as f64;
                0.5 * (1.0 + (std::f64::consts::PI * x).cos())
            }
            LrSchedule::Step { every, factor } => factor.powi((epoch / every.max(1)) as i32),
        }
    }
}

/// The schedule fields of `[training]` as read from the file.
pub(super) struct RawSchedule<'a> {
    pub schedule: &'a Option<Spanned<String>>,
    pub decay_every: &'a Option<Spanned<i64>>,
    pub decay_factor: &'a Option<Spanned<f64>>,
}

/// Validates the schedule fields; errors name `training.<field>` and the
/// line.
pub(super) fn parse_schedule(src: &Source, raw: &RawSchedule) -> Result<LrSchedule, ModelError> {
    let kind = raw.schedule.as_ref().map(|s| (s.get_ref().as_str(), s));
    let stray = [
        ("decay_every", raw.decay_every.as_ref().map(Spanned::span)),
        ("decay_factor", raw.decay_factor.as_ref().map(Spanned::span)),
    ];
    match kind {
        None | Some(("constant" | "cosine", _)) => {
            if let Some((name, span)) = stray.into_iter().find(|(_, s)| s.is_some()) {
                return Err(src.error(
                    span,
                    format!("training.{name}"),
                    "only a \"step\" schedule decays by steps; add schedule = \"step\"",
                ));
            }
            Ok(match kind {
                Some(("cosine", _)) => LrSchedule::Cosine,
                _ => LrSchedule::Constant,
            })
        }
        Some(("step", s)) => {
            let Some(every) = raw.decay_every else {
                return Err(src.error(
                    Some(s.span()),
                    "training.decay_every",
                    "a \"step\" schedule needs `decay_every` (epochs)",
                ));
            };
            let every = crate::learn::bounds::count_in(
                src,
                every,
                "training.decay_every",
                1..=crate::learn::bounds::EPOCHS,
            )?;
            let factor = match raw.decay_factor {
                Some(f) if !(*f.get_ref() > 0.0 && *f.get_ref() <= 1.0) => {
                    return Err(src.error(
                        Some(f.span()),
                        "training.decay_factor",
                        format!("must be in (0, 1], found {}", f.get_ref()),
                    ));
                }
                Some(f) => *f.get_ref(),
                None => 0.5,
            };
            Ok(LrSchedule::Step { every, factor })
        }
        Some((other, s)) => Err(src.error(
            Some(s.span()),
            "training.schedule",
            format!("unknown schedule {other:?}, expected \"constant\", \"cosine\" or \"step\""),
        )),
    }
}

/// Validates `clip_grad_norm` (> 0, finite).
pub(super) fn parse_clip(
    src: &Source,
    raw: &Option<Spanned<f64>>,
) -> Result<Option<f64>, ModelError> {
    match raw {
        None => Ok(None),
        Some(c) if *c.get_ref() > 0.0 && c.get_ref().is_finite() => Ok(Some(*c.get_ref())),
        Some(c) => Err(src.error(
            Some(c.span()),
            "training.clip_grad_norm",
            format!("must be > 0, found {}", c.get_ref()),
        )),
    }
}

/// The L2 norm of every gradient of a network together, summed in f64 in
/// a fixed order (so the result does not depend on the thread count).
pub fn global_norm(grads: &Grads<f32>) -> f64 {
    grads
        .iter()
        .flatten()
        .flatten()
        .map(|&g| f64::from(g) * f64::from(g))
        .sum::<f64>()
        .sqrt()
}

/// Rescales `grads` to norm `max_norm` if their global norm exceeds it;
/// returns the norm before clipping.
pub fn clip_grad_norm(grads: &mut Grads<f32>, max_norm: f64) -> f64 {
    let norm = global_norm(grads);
    if norm > max_norm {
        let scale = (max_norm / norm) as f32;
        grads
            .iter_mut()
            .flatten()
            .flatten()
            .for_each(|g| *g *= scale);
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_starts_at_one_halves_midway_and_decays_monotonically() {
        let s = LrSchedule::Cosine;
        assert_eq!(s.factor(0, 200), 1.0);
        assert!((s.factor(100, 200) - 0.5).abs() < 1e-15);
        let f: Vec<f64> = (0..200).map(|e| s.factor(e, 200)).collect();
        assert!(f.windows(2).all(|w| w[1] < w[0]));
        // Last epoch: ½(1 + cos(π·199/200)) = sin²(π/400).
        let expected = (std::f64::consts::PI / 400.0).sin().powi(2);
        assert!((f[199] - expected).abs() < 1e-15);
    }

    #[test]
    fn step_multiplies_after_every_period_and_constant_is_exactly_one() {
        let s = LrSchedule::Step {
            every: 50,
            factor: 0.5,
        };
        assert_eq!(s.factor(49, 200), 1.0);
        assert_eq!(s.factor(50, 200), 0.5);
        assert_eq!(s.factor(199, 200), 0.125);
        assert_eq!(LrSchedule::Constant.factor(123, 200), 1.0);
    }

    #[test]
    fn clipping_rescales_to_the_limit_and_leaves_small_gradients_alone() {
        let mut g: Grads<f32> = vec![vec![vec![3.0, 0.0], vec![4.0]]];
        assert_eq!(global_norm(&g), 5.0);
        assert_eq!(clip_grad_norm(&mut g, 10.0), 5.0);
        assert_eq!(g, vec![vec![vec![3.0, 0.0], vec![4.0]]]);
        clip_grad_norm(&mut g, 1.0);
        assert!((global_norm(&g) - 1.0).abs() < 1e-7);
        assert!((g[0][0][0] - 0.6).abs() < 1e-7 && (g[0][1][0] - 0.8).abs() < 1e-7);
    }
}
