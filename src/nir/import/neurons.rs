//! One NIR neuron node (LIF, LI, IF, I, CubaLIF, CubaLI, Threshold) as a
//! spikesim population in the chosen discretisation: its model and
//! parameters, and the gain that turns a NIR weight `w` onto neuron `i`
//! into the synapse's weight (the brief's "semantics" table, repeated in
//! `docs/src/nir.md`). NIR voltages are volts, times seconds.

use std::path::Path;

use super::compose::per_element;
use super::{Discretisation, ImportOptions, ResetMode};
use crate::nir::{NirError, Node};

/// A parameter value as the model file writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// Per neuron (a scalar when uniform), with its unit.
    Quantity(Vec<f64>, &'static str),
    /// Dimensionless, per neuron (a scalar when uniform).
    Number(Vec<f64>),
    /// A string (a mode's name).
    Text(&'static str),
    /// A flag.
    Bool(bool),
}

/// The synapse kind of the projections onto a population.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synapse {
    /// A voltage jump (`lif`, `discrete_lif`).
    Delta,
    /// A current (`cuba_lif`), its weight written as the voltage `r·I`.
    Current,
}

/// A neuron node as a population.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    /// The neuron model's name in the model file.
    pub model: &'static str,
    /// The `params` entries, by key.
    pub params: Vec<(&'static str, Param)>,
    /// Whether the membrane starts at 0 through `init` (`lif`, `cuba_lif`;
    /// `discrete_lif` starts at 0 anyway).
    pub init_zero: bool,
    /// Synapse weight onto neuron `i` = `gain[i]` × NIR weight.
    pub gain: Vec<f64>,
    /// The synapse kind of the projections onto it.
    pub synapse: Synapse,
    /// Whether it fires (a membrane without threshold does not).
    pub spiking: bool,
}

struct Ctx<'a> {
    file: &'a Path,
    path: &'a str,
    n: usize,
}

impl Ctx<'_> {
    fn get(&self, t: &crate::nir::Tensor, field: &str) -> Result<Vec<f64>, NirError> {
        per_element(t, self.n, self.file, self.path, field)
    }

    /// A time constant: positive.
    fn tau(&self, t: &crate::nir::Tensor, field: &str) -> Result<Vec<f64>, NirError> {
        let v = self.get(t, field)?;
        if let Some(x) = v.iter().find(|x| !(**x > 0.0 && x.is_finite())) {
            return Err(NirError::at(
                self.file,
                self.path,
                Some(field),
                format!("must be positive and finite, has {x}"),
            ));
        }
        Ok(v)
    }

    /// `dt/tau` of forward Euler: at most 1 (else the factor `1 − dt/tau`
    /// would be negative).
    fn euler_ratio(&self, tau: &[f64], dt: f64, field: &str) -> Result<Vec<f64>, NirError> {
        let ratio: Vec<f64> = tau.iter().map(|t| dt / t).collect();
        if let Some((t, _)) = tau.iter().zip(&ratio).find(|(_, r)| **r > 1.0) {
            return Err(NirError::at(
                self.file,
                self.path,
                Some(field),
                format!(
                    "{t} s is shorter than dt = {dt} s: forward Euler's factor 1 - dt/{field} would be negative; \
                     use a smaller --dt or --discretisation exact"
                ),
            ));
        }
        Ok(ratio)
    }
}

fn zip(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
}

fn reset_param(reset: ResetMode) -> (&'static str, Param) {
    (
        "reset",
        Param::Text(match reset {
            ResetMode::Value => "value",
            ResetMode::Subtract => "subtract",
        }),
    )
}

/// Pushes `(name, value)` unless every element is zero (the default).
fn unless_zero(params: &mut Vec<(&'static str, Param)>, name: &'static str, v: Vec<f64>) {
    if v.iter().any(|x| *x != 0.0) {
        params.push((name, Param::Quantity(v, "V")));
    }
}

/// The population of neuron node `node` (path `path`, `n` elements) with
/// constant input `bias` (per element). Notes (warnings) go to `notes`.
///
/// `dirac`: the graph is spikesim's own export of CuBa populations whose
/// spikes jump the current (its metadata says `spikesim.cuba_input =
/// "jump"`); in the exact discretisation a CubaLIF then reads each spike
/// as a Dirac impulse, `tau_s dI/dt = -I + w_in w δ(t)`, a jump of `r I` by
/// `r w_in w / tau_s`: `input = "jump"`, as the exported population was.
#[allow(clippy::too_many_arguments)]
pub fn population(
    node: &Node,
    path: &str,
    n: usize,
    bias: &[f64],
    opts: &ImportOptions,
    dirac: bool,
    file: &Path,
    notes: &mut Vec<String>,
) -> Result<Population, NirError> {
    let c = Ctx { file, path, n };
    let dt = opts.dt;
    let exact = opts.discretisation == Discretisation::Exact;
    let spiking = node.is_spiking();
    match node {
        Node::Threshold { threshold } => {
            let theta = c.get(threshold, "threshold")?;
            let mut params = vec![
                ("beta", Param::Number(vec![0.0])),
                ("v_th", Param::Quantity(theta, "V")),
                ("v_reset", Param::Quantity(vec![0.0], "V")),
                ("reset", Param::Text("value")),
            ];
            unless_zero(&mut params, "v_bias", bias.to_vec());
            Ok(Population {
                model: "discrete_lif",
                params,
                init_zero: false,
                gain: vec![1.0; n],
                synapse: Synapse::Delta,
                spiking,
            })
        }
        Node::LIF { tau, r, v_leak, .. } | Node::LI { tau, r, v_leak } => {
            let tau = c.tau(tau, "tau")?;
            let r = c.get(r, "r")?;
            let v_leak = c.get(v_leak, "v_leak")?;
            let drive = zip(&r, bias, |r, b| r * b);
            let thresholds = thresholds(node, &c, opts, notes)?;
            if exact {
                let gain = r
                    .iter()
                    .zip(&tau)
                    .map(|(r, t)| r * -(-dt / t).exp_m1())
                    .collect();
                let mut params = vec![
                    ("tau_m", Param::Quantity(tau, "s")),
                    (
                        "v_rest",
                        Param::Quantity(zip(&v_leak, &drive, |l, d| l + d), "V"),
                    ),
                ];
                params.extend(thresholds);
                Ok(Population {
                    model: "lif",
                    params,
                    init_zero: true,
                    gain,
                    synapse: Synapse::Delta,
                    spiking,
                })
            } else {
                let ratio = c.euler_ratio(&tau, dt, "tau")?;
                let gain = zip(&r, &ratio, |r, q| r * q);
                let mut params = vec![(
                    "beta",
                    Param::Number(ratio.iter().map(|q| 1.0 - q).collect()),
                )];
                params.extend(thresholds);
                let v_bias: Vec<f64> = ratio
                    .iter()
                    .zip(v_leak.iter().zip(&drive))
                    .map(|(q, (l, d))| q * (l + d))
                    .collect();
                unless_zero(&mut params, "v_bias", v_bias);
                Ok(Population {
                    model: "discrete_lif",
                    params,
                    init_zero: false,
                    gain,
                    synapse: Synapse::Delta,
                    spiking,
                })
            }
        }
        Node::IF { r, .. } | Node::I { r } => {
            let r = c.get(r, "r")?;
            let drive = zip(&r, bias, |r, b| r * b);
            let thresholds = thresholds(node, &c, opts, notes)?;
            if exact {
                // tau_m dv/dt = drive + inputs with tau_m = 1 s: dv/dt = r·b.
                let mut params = vec![
                    ("tau_m", Param::Quantity(vec![1.0], "s")),
                    ("leak", Param::Bool(false)),
                ];
                params.extend(thresholds);
                unless_zero(&mut params, "drive", drive);
                Ok(Population {
                    model: "lif",
                    params,
                    init_zero: true,
                    gain: r.iter().map(|r| r * dt / 1.0).collect(),
                    synapse: Synapse::Delta,
                    spiking,
                })
            } else {
                let mut params = vec![("beta", Param::Number(vec![1.0]))];
                params.extend(thresholds);
                unless_zero(
                    &mut params,
                    "v_bias",
                    drive.iter().map(|d| d * dt).collect(),
                );
                Ok(Population {
                    model: "discrete_lif",
                    params,
                    init_zero: false,
                    gain: r.iter().map(|r| r * dt).collect(),
                    synapse: Synapse::Delta,
                    spiking,
                })
            }
        }
        Node::CubaLIF {
            tau_syn,
            tau_mem,
            r,
            v_leak,
            w_in,
            ..
        }
        | Node::CubaLI {
            tau_syn,
            tau_mem,
            r,
            v_leak,
            w_in,
        } => {
            let ts = c.tau(tau_syn, "tau_syn")?;
            let tm = c.tau(tau_mem, "tau_mem")?;
            let r = c.get(r, "r")?;
            let v_leak = c.get(v_leak, "v_leak")?;
            let w_in = c.get(w_in, "w_in")?;
            let r_w = zip(&r, &w_in, |r, w| r * w);
            let thresholds = thresholds(node, &c, opts, notes)?;
            if exact {
                let gain = if dirac {
                    zip(&r_w, &ts, |g, t| g / t)
                } else {
                    r_w.clone()
                };
                let mut params = vec![
                    ("tau_m", Param::Quantity(tm, "s")),
                    ("tau_syn", Param::Quantity(ts, "s")),
                    ("v_rest", Param::Quantity(v_leak, "V")),
                    ("input", Param::Text(if dirac { "jump" } else { "forcing" })),
                ];
                params.extend(thresholds);
                unless_zero(&mut params, "syn_drive", zip(&r_w, bias, |g, b| g * b));
                Ok(Population {
                    model: "cuba_lif",
                    params,
                    init_zero: true,
                    gain,
                    synapse: Synapse::Current,
                    spiking,
                })
            } else {
                let qs = c.euler_ratio(&ts, dt, "tau_syn")?;
                let qm = c.euler_ratio(&tm, dt, "tau_mem")?;
                let gain: Vec<f64> = (0..n).map(|i| r_w[i] * qm[i] * qs[i]).collect();
                let cuba = if opts.discretisation == Discretisation::Euler {
                    "explicit"
                } else {
                    "semi_implicit"
                };
                let mut params = vec![
                    ("beta", Param::Number(qm.iter().map(|q| 1.0 - q).collect())),
                    ("alpha", Param::Number(qs.iter().map(|q| 1.0 - q).collect())),
                    ("cuba", Param::Text(cuba)),
                ];
                params.extend(thresholds);
                unless_zero(&mut params, "i_bias", zip(&gain, bias, |g, b| g * b));
                unless_zero(&mut params, "v_bias", zip(&qm, &v_leak, |q, l| q * l));
                Ok(Population {
                    model: "discrete_lif",
                    params,
                    init_zero: false,
                    gain,
                    synapse: Synapse::Delta,
                    spiking,
                })
            }
        }
        other => unreachable!("{} is not a neuron node", other.type_name()),
    }
}

/// `v_th`, `v_reset` and `reset` of a spiking node, or `spiking = false`.
fn thresholds(
    node: &Node,
    c: &Ctx,
    opts: &ImportOptions,
    notes: &mut Vec<String>,
) -> Result<Vec<(&'static str, Param)>, NirError> {
    let (v_th, v_reset) = match node {
        Node::LIF {
            v_threshold,
            v_reset,
            ..
        }
        | Node::IF {
            v_threshold,
            v_reset,
            ..
        }
        | Node::CubaLIF {
            v_threshold,
            v_reset,
            ..
        } => (
            c.get(v_threshold, "v_threshold")?,
            c.get(v_reset, "v_reset")?,
        ),
        _ => return Ok(vec![("spiking", Param::Bool(false))]),
    };
    let snntorch_value =
        opts.discretisation == Discretisation::Snntorch && opts.reset == ResetMode::Value;
    let v_reset = if snntorch_value && v_reset.iter().any(|v| *v != 0.0) {
        notes.push(format!(
            "node `{}`: v_reset is not 0, but snnTorch resets to 0 whatever it says: \
             the snntorch discretisation resets to 0 (use euler to honour v_reset)",
            c.path
        ));
        vec![0.0]
    } else {
        v_reset
    };
    Ok(vec![
        ("v_th", Param::Quantity(v_th, "V")),
        ("v_reset", Param::Quantity(v_reset, "V")),
        reset_param(opts.reset),
    ])
}
