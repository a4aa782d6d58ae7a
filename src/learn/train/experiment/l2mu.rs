//! The `kind = "l2mu"` layers of experiment files:
//!
//! ```toml
//! [[layer]]
//! kind = "l2mu"
//! size = 24              # hidden population h
//! memory_size = 6        # memory channels (encoder neurons u)
//! order = 4              # Legendre order of each channel
//! theta = "5 ms"         # memory window θ
//! neuron = "lif"         # or "cuba_lif" with tau_syn
//! recurrent = true       # hidden → hidden (default true)
//! ```
//!
//! β and Θ of every population start at the reference values
//! ([`PopInit::default`]) and are learnt when `learn_tau` / `learn_threshold`
//! are on.

use super::raw::RawLayer;
use crate::learn::layers::l2mu::cell::{NeuronVariant, PopInit};
use crate::learn::layers::l2mu::layer::L2muShape;
use crate::learn::net::LifShape;
use crate::model::ModelError;
use crate::model::error::Source;
use crate::model::units::{Dimension, parse_as};

/// A LIF layer given an L2MU-only field is an error naming it.
pub(super) fn reject_l2mu_fields(src: &Source, i: usize, l: &RawLayer) -> Result<(), ModelError> {
    let found = [
        ("order", l.order.as_ref().map(|s| s.span())),
        ("theta", l.theta.as_ref().map(|s| s.span())),
        ("memory_size", l.memory_size.as_ref().map(|s| s.span())),
    ];
    match found.into_iter().find(|(_, s)| s.is_some()) {
        Some((name, span)) => Err(src.error(
            span,
            format!("layer[{i}].{name}"),
            "only an L2MU layer has this field; add kind = \"l2mu\"",
        )),
        None => Ok(()),
    }
}

fn count(
    src: &Source,
    field: String,
    v: &Option<toml::Spanned<i64>>,
    at: std::ops::Range<usize>,
) -> Result<usize, ModelError> {
    let Some(v) = v else {
        return Err(src.error(Some(at), field, "missing; an L2MU layer needs it"));
    };
    usize::try_from(*v.get_ref())
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            src.error(
                Some(v.span()),
                field,
                format!("must be ≥ 1, found {}", v.get_ref()),
            )
        })
}

fn steps(
    src: &Source,
    field: String,
    v: &toml::Spanned<String>,
    dt: f64,
) -> Result<f64, ModelError> {
    let t = parse_as(v.get_ref(), Dimension::Time)
        .map_err(|e| src.error(Some(v.span()), field.clone(), e.to_string()))?;
    if t > 0.0 && t.is_finite() {
        Ok(t / dt)
    } else {
        Err(src.error(
            Some(v.span()),
            field,
            format!("must be a positive time, found {t} s"),
        ))
    }
}

/// Validates layer `i` of kind "l2mu"; `dt` is the training step (s).
pub(super) fn l2mu_layer(
    src: &Source,
    i: usize,
    l: &RawLayer,
    dt: f64,
) -> Result<(LifShape, L2muShape), ModelError> {
    let f = |name: &str| format!("layer[{i}].{name}");
    let at = l.kind.as_ref().map_or(l.size.span(), |k| k.span());
    for (name, span) in [
        ("tau_m", l.tau_m.as_ref().map(|s| s.span())),
        ("threshold", l.threshold.as_ref().map(|s| s.span())),
    ] {
        if span.is_some() {
            return Err(src.error(
                span,
                f(name),
                "an L2MU layer starts β and Θ at the reference values and learns them; remove it",
            ));
        }
    }
    let hidden_size = count(src, f("size"), &Some(l.size.clone()), at.clone())?;
    let memory_size = count(src, f("memory_size"), &l.memory_size, at.clone())?;
    let order = count(src, f("order"), &l.order, at.clone())?;
    if order > crate::learn::bounds::L2MU_ORDER as usize {
        return Err(src.error(
            l.order.as_ref().map(|o| o.span()),
            f("order"),
            format!(
                "must be ≤ {} (the Legendre basis of a memory), found {order}",
                crate::learn::bounds::L2MU_ORDER
            ),
        ));
    }
    let Some(theta) = &l.theta else {
        return Err(src.error(
            Some(at),
            f("theta"),
            "missing; an L2MU layer needs its memory window",
        ));
    };
    let theta = steps(src, f("theta"), theta, dt)?;
    let neuron = match (l.neuron.as_ref().map(|n| n.get_ref().as_str()), &l.tau_syn) {
        (None | Some("lif"), None) => NeuronVariant::Leaky,
        (Some("cuba_lif"), Some(ts)) => NeuronVariant::Synaptic {
            alpha: (-1.0 / steps(src, f("tau_syn"), ts, dt)?).exp(),
        },
        (Some("cuba_lif"), None) => {
            return Err(src.error(
                l.neuron.as_ref().map(|n| n.span()),
                f("tau_syn"),
                "a \"cuba_lif\" L2MU needs `tau_syn`",
            ));
        }
        (None | Some("lif"), Some(ts)) => {
            return Err(src.error(
                Some(ts.span()),
                f("tau_syn"),
                "a \"lif\" L2MU has no synaptic current; use neuron = \"cuba_lif\"",
            ));
        }
        (Some(other), _) => {
            return Err(src.error(
                l.neuron.as_ref().map(|n| n.span()),
                f("neuron"),
                format!("unknown neuron {other:?}; an L2MU takes \"lif\" or \"cuba_lif\""),
            ));
        }
    };
    let shape = L2muShape {
        order,
        theta,
        memory_size,
        hidden_size,
        neuron,
        hidden_recurrent: l.recurrent.unwrap_or(true),
        init: PopInit::default(),
    };
    // What the neighbouring layers see: `hidden_size` spiking outputs.
    let lif = LifShape {
        size: hidden_size,
        tau: 1.0,
        threshold: 1.0,
        recurrent: false,
        spiking: true,
        tau_syn: None,
    };
    Ok((lif, shape))
}
