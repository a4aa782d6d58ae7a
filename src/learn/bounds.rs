//! The ranges experiment files' hyper-parameters must lie in.
//!
//! Each range is far wider than any run that learns, and narrow enough that
//! a typo (a learning rate of 9.2e18, 1e9 epochs) is an error naming the
//! field instead of a run that diverges to NaN or never ends.
//!
//! | field                                   | range          |
//! |-----------------------------------------|----------------|
//! | learning rates (`lr`, `lr_continual`, `learning_rate`) | (0, 10] |
//! | `epochs` (training, Tempotron)          | 1 to 10^6      |
//! | `batch_size`, `replay_batch`            | 1 to 10^6      |
//! | steps per sample (`duration / dt`)      | 1 to 10^7      |
//! | `surrogate_scale`                       | (0, 10^4]      |
//! | `init_gain`                             | (0, 100]       |
//! | thresholds, `delta_u`, `w_max`, `clamp` | (0, 10^6]      |
//! | `delays.max_delay`                      | ≤ 10^4 steps   |
//! | `delays.lr_scale`                       | (0, 10^6]      |
//! | `channel_group`                         | 1 to 10^6      |
//! | `decay_every`                           | 1 to 10^6      |
//! | L2MU `order`                            | 1 to 1024      |
//! | `continual.tasks`                       | 1 to 1000      |
//! | `classes_per_task`                      | 1 to 10^4      |
//! | `ewc_lambda`                            | (0, 10^12]     |
//! | `ewc_samples`, `replay_per_class`       | 1 to 10^7, 1 to 10^6 |
//! | `hlop` `initial`, `increments`          | 1 to 10^5, 0 to 10^5 |
//! | `hlop` `iterations`, `epochs`           | 1 to 10^4      |
//! | `hlop.spiking` `scale`, `steps`         | (0, 10^6], 1 to 10^6 |
//! | Tempotron `threshold_rate`, `tau_rate`  | [0, 10]        |
//!
//! Layer sizes and thread counts are bounded by the memory and the machine,
//! not here.

use std::ops::RangeInclusive;

use toml::Spanned;

use crate::model::ModelError;
use crate::model::error::Source;

/// Largest learning rate (`lr`, `lr_continual`, `learning_rate`).
pub const LEARNING_RATE: f64 = 10.0;
/// Most `epochs` (training, Tempotron).
pub const EPOCHS: i64 = 1_000_000;
/// Largest `batch_size` and `replay_batch`.
pub const BATCH: i64 = 1_000_000;
/// Most steps per sample (`duration / dt`).
pub const SAMPLE_STEPS: f64 = 1e7;
/// Largest `surrogate_scale`.
pub const SURROGATE_SCALE: f64 = 1e4;
/// Largest `init_gain`.
pub const INIT_GAIN: f64 = 100.0;
/// Thresholds, noise scales, weight bounds and clamps, in units of the weights.
pub const WEIGHT_SCALE: f64 = 1e6;
/// Longest `delays.max_delay`, steps.
pub const DELAY_STEPS: f64 = 1e4;
/// Largest `delays.lr_scale`.
pub const LR_SCALE: f64 = 1e6;
/// Largest `channel_group`.
pub const CHANNEL_GROUP: i64 = 1_000_000;
/// Largest L2MU `order`.
pub const L2MU_ORDER: i64 = 1024;
/// Most `continual.tasks`.
pub const TASKS: i64 = 1000;
/// Largest `classes_per_task`.
pub const CLASSES_PER_TASK: i64 = 10_000;
/// Largest `ewc_lambda`.
pub const EWC_LAMBDA: f64 = 1e12;
/// Most `ewc_samples`.
pub const EWC_SAMPLES: i64 = 10_000_000;
/// Largest `replay_per_class`.
pub const REPLAY_PER_CLASS: i64 = 1_000_000;
/// Most `hlop` subspace neurons (`initial`, `increments`).
pub const HLOP_NEURONS: i64 = 100_000;
/// Most `hlop` `iterations` and `epochs`.
pub const HLOP_ITERATIONS: i64 = 10_000;
/// Most `hlop.spiking` `steps`.
pub const HLOP_SPIKING_STEPS: u32 = 1_000_000;
/// Largest Tempotron `threshold_rate` and `tau_rate`.
pub const INTRINSIC_RATE: f64 = 10.0;

/// A real in `(0, max]`.
pub fn positive_up_to(
    src: &Source,
    s: &Spanned<f64>,
    field: &str,
    max: f64,
) -> Result<f64, ModelError> {
    let v = *s.get_ref();
    let problem = if v.is_nan() || v <= 0.0 {
        "must be > 0 (positive)".to_string()
    } else if v > max {
        format!("must be ≤ {max}")
    } else {
        return Ok(v);
    };
    Err(src.error(
        Some(s.span()),
        field,
        format!("{problem} (a number in (0, {max}]), found {v}"),
    ))
}

/// A real in `[0, max]`.
pub fn non_negative_up_to(
    src: &Source,
    s: &Spanned<f64>,
    field: &str,
    max: f64,
) -> Result<f64, ModelError> {
    let v = *s.get_ref();
    if (0.0..=max).contains(&v) {
        Ok(v)
    } else {
        Err(src.error(
            Some(s.span()),
            field,
            format!("must be in [0, {max}], found {v}"),
        ))
    }
}

/// A whole number in `range`.
pub fn count_in(
    src: &Source,
    s: &Spanned<i64>,
    field: &str,
    range: RangeInclusive<i64>,
) -> Result<usize, ModelError> {
    let v = *s.get_ref();
    let (lo, hi) = (*range.start(), *range.end());
    let problem = if v < lo {
        format!("must be ≥ {lo}")
    } else if v > hi {
        format!("must be ≤ {hi}")
    } else {
        return Ok(v as usize);
    };
    Err(src.error(
        Some(s.span()),
        field,
        format!("{problem} (a whole number in [{lo}, {hi}]), found {v}"),
    ))
}

/// Steps of `dt` in a sample of `duration` seconds: refused beyond
/// [`SAMPLE_STEPS`] (every step of every sample is simulated, and the
/// count must fit `usize`).
pub fn sample_steps(
    src: &Source,
    s: &Spanned<String>,
    field: &str,
    duration: f64,
    dt: f64,
) -> Result<usize, ModelError> {
    let steps = (duration / dt).ceil();
    if dt > duration {
        return Err(src.error(
            Some(s.span()),
            field,
            format!(
                "{:?} is shorter than dt ({} ms): a sample would have no step",
                s.get_ref(),
                dt * 1e3
            ),
        ));
    }
    if steps > SAMPLE_STEPS {
        return Err(src.error(
            Some(s.span()),
            field,
            format!("is {steps:e} steps of dt per sample, more than {SAMPLE_STEPS:e}"),
        ));
    }
    Ok(steps as usize)
}
