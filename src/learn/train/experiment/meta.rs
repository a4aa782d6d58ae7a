//! The `kind = "meta"` layers of experiment files (see [`crate::learn::layers::meta`]):
//!
//! ```toml
//! [[layer]]
//! kind = "meta"
//! size = 128
//! tau_m = "10 ms"
//! threshold = 1.0          # theta, in units of the weights
//! firing = "exponential"   # or "sigmoid" (no rho_0)
//! delta_u = 0.1            # noise scale, in units of the weights
//! rho_0 = "1 kHz"          # escape rate at threshold (exponential)
//! estimator = "threshold_noise"  # or "probability" (see `layers::meta`)
//! recurrent = false
//! ```
//!
//! `tau_m` and `threshold` are learned when `learn_tau` / `learn_threshold`
//! are on, `delta_u` and `rho_0` when `[training] learn_escape` is (default
//! true).

use super::raw::RawLayer;
use crate::learn::layers::meta::{Estimator, Firing, MetaShape};
use crate::model::ModelError;
use crate::model::error::Source;
use crate::model::units::{Dimension, parse_as};

/// A layer of another kind given a meta-only field is an error naming it.
pub(super) fn reject_meta_fields(src: &Source, i: usize, l: &RawLayer) -> Result<(), ModelError> {
    let found = [
        ("firing", l.firing.as_ref().map(|s| s.span())),
        ("delta_u", l.delta_u.as_ref().map(|s| s.span())),
        ("rho_0", l.rho_0.as_ref().map(|s| s.span())),
        ("estimator", l.estimator.as_ref().map(|s| s.span())),
    ];
    match found.into_iter().find(|(_, s)| s.is_some()) {
        Some((name, span)) => Err(src.error(
            span,
            format!("layer[{i}].{name}"),
            "only a meta layer has this field; add kind = \"meta\"",
        )),
        None => Ok(()),
    }
}

/// Validates the meta-only part of layer `i` of kind "meta" (the caller
/// reads its LIF fields `size`, `tau_m`, `threshold`, `recurrent`); `dt` is
/// the training step (s).
pub(super) fn meta_layer(
    src: &Source,
    i: usize,
    l: &RawLayer,
    dt: f64,
) -> Result<MetaShape, ModelError> {
    let f = |name: &str| format!("layer[{i}].{name}");
    let at = l.kind.as_ref().map_or(l.size.span(), |k| k.span());
    for (name, span) in [
        ("neuron", l.neuron.as_ref().map(|s| s.span())),
        ("tau_syn", l.tau_syn.as_ref().map(|s| s.span())),
        ("delays", l.delays.as_ref().map(|s| s.span())),
    ] {
        if span.is_some() {
            return Err(src.error(
                span,
                f(name),
                "a meta layer is an escape-noise LIF with one-step delays; remove it",
            ));
        }
    }
    let firing = match l.firing.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("exponential") => Firing::Exponential,
        Some("sigmoid") => Firing::Sigmoid,
        Some(other) => {
            return Err(src.error(
                l.firing.as_ref().map(|s| s.span()),
                f("firing"),
                format!("unknown firing {other:?}, expected \"exponential\" or \"sigmoid\""),
            ));
        }
    };
    let Some(delta_u) = &l.delta_u else {
        return Err(src.error(
            Some(at),
            f("delta_u"),
            "missing; a meta layer needs its noise scale (in units of the weights)",
        ));
    };
    crate::learn::bounds::positive_up_to(
        src,
        delta_u,
        &f("delta_u"),
        crate::learn::bounds::WEIGHT_SCALE,
    )?;
    let rho_0 = match (firing, &l.rho_0) {
        (Firing::Exponential, Some(r)) => {
            let hz = parse_as(r.get_ref(), Dimension::Frequency)
                .map_err(|e| src.error(Some(r.span()), f("rho_0"), e.to_string()))?;
            if !(hz > 0.0 && hz.is_finite()) {
                return Err(src.error(
                    Some(r.span()),
                    f("rho_0"),
                    format!("must be a positive rate, found {hz} Hz"),
                ));
            }
            hz * dt
        }
        (Firing::Exponential, None) => {
            return Err(src.error(
                Some(at),
                f("rho_0"),
                "missing; the exponential escape needs its rate at threshold, e.g. \"1 kHz\"",
            ));
        }
        (Firing::Sigmoid, Some(r)) => {
            return Err(src.error(
                Some(r.span()),
                f("rho_0"),
                "the sigmoid escape has no `rho_0`; it gives the probability per step",
            ));
        }
        (Firing::Sigmoid, None) => 0.0,
    };
    let estimator = match l.estimator.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("threshold_noise") => Estimator::ThresholdNoise,
        Some("probability") => Estimator::Probability,
        Some(other) => {
            return Err(src.error(
                l.estimator.as_ref().map(|s| s.span()),
                f("estimator"),
                format!(
                    "unknown estimator {other:?}, expected \"threshold_noise\" or \"probability\""
                ),
            ));
        }
    };
    Ok(MetaShape {
        estimator,
        firing,
        delta_u: *delta_u.get_ref(),
        rho_0,
    })
}
