//! A population as a NIR node, with parameters chosen so that spikesim's
//! own import in the matching discretisation gives the population back and
//! every synaptic weight `w` of the graph equals the engine's weight:
//!
//! - `lif` (exact): LIF with `r = 1 / (1 - exp(-dt/tau))`, so the import's
//!   jump `J = r w (1 - exp(-dt/tau))` is `w`;
//! - `cuba_lif` (exact): CubaLIF with `r = 1`; a forcing input takes
//!   `w_in = 1` (the import's current weight `r w_in w` is `w`), a jump
//!   input `w_in = tau_syn`: under a Dirac reading of spikes
//!   (`tau_s dI/dt = -I + w_in w δ(t)`) a spike moves `r I` by
//!   `r w_in w / tau_s = w`, spikesim's jump; the graph's metadata says
//!   `spikesim.cuba_input = "jump"` so that spikesim's import can honour it.
//!
//! NIR states start at zero (every importer, spikesim's included, starts
//! the membrane at 0), so a population's voltages are exported shifted by
//! its initial potential `v0` (which must be one value): `v_leak = v_rest -
//! v0`, `v_threshold = v_th - v0`, `v_reset = v_reset - v0`. The dynamics
//! are those of `v - v0`, so spikes are unchanged; the metadata's
//! `spikesim.v_offset.POP` gives `v0` back.
//!
//! A constant drive moves a leaky membrane's `v_leak`; a leak-free one's,
//! a forcing CuBa current's (`syn_drive`) and a discrete CuBa's `i_bias`
//! become NIR's input bias: an Affine with zero weights and that bias, fed
//! by the graph's first Input (the import adds an Affine's bias to its
//! target's input whatever its weights).
//!
//! What NIR cannot express (refractory periods, initial states other than
//! rest, different excitatory and inhibitory synaptic time
//! constants both in use, random sources, conductances, plasticity) is a
//! located error.

use super::ExportError;
use crate::model::ModelError;
use crate::model::spec::{MembraneParams, ModelSpec, NeuronKind, PopulationSpec, Port, ValueSpec};
use crate::neuron::discrete_lif::{DiscreteLifParams, DiscreteReset};
use crate::neuron::membrane::Reset;
use crate::nir::{Node, Tensor};

/// How a CuBa population reads incoming spikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CubaInput {
    /// spikesim's default: a spike jumps the synaptic current (NIR under a
    /// Dirac reading of spikes).
    Jump,
    /// A weight is a constant forcing over the step (NIR's own meaning).
    Forcing,
}

/// A population as NIR sees it.
pub enum Exported {
    /// A spike source: a graph Input.
    Input,
    /// A neuron population, for CuBa ones how they read spikes, its reset
    /// (`None` when it never fires) and the initial potential its voltages
    /// are shifted by.
    Neuron {
        /// The NIR node.
        node: Box<Node>,
        /// The import's discretisation that gives the population back.
        discretisation: &'static str,
        /// How a CuBa population reads spikes.
        cuba: Option<CubaInput>,
        /// Its reset, `None` when it never fires.
        reset: Option<Reset>,
        /// The initial potential its voltages are shifted by, volts.
        v_offset: f64,
        /// NIR's input bias `b` per neuron (an Affine bias in front of the
        /// node), when the population has a constant drive the node's own
        /// parameters cannot hold.
        bias: Option<Vec<f64>>,
    },
}

/// The error for population `p`, located at its `[[population]]`.
pub fn refuse(spec: &ModelSpec, p: &PopulationSpec, field: &str, message: String) -> ExportError {
    let field = if field.is_empty() {
        format!("population[{}]", p.name)
    } else {
        format!("population[{}].{field}", p.name)
    };
    ExportError::Model(ModelError {
        file: spec.path.clone(),
        line: None,
        field,
        message: format!("cannot be exported to NIR: {message}"),
    })
}

fn tensor(data: Vec<f64>) -> Tensor {
    Tensor {
        shape: vec![data.len()],
        data,
    }
}

fn uniform(n: usize, x: f64) -> Tensor {
    tensor(vec![x; n])
}

/// The membrane's per-neuron `tau_m`, `v_rest`, `v_reset`, `v_th`.
fn membrane_values(m: &MembraneParams, n: usize) -> [Vec<f64>; 4] {
    match &m.each {
        Some(e) => [
            e.tau_m.values(n),
            e.v_rest.values(n),
            e.v_reset.values(n),
            e.v_th.values(n),
        ],
        None => [
            vec![m.tau_m; n],
            vec![m.v_rest; n],
            vec![m.v_reset; n],
            vec![m.v_th; n],
        ],
    }
}

fn shifted(v: &[f64], v0: f64) -> Tensor {
    tensor(v.iter().map(|x| x - v0).collect())
}

/// `p`'s node; `ports` are the ports its incoming projections use.
pub fn export_population(
    spec: &ModelSpec,
    p: &PopulationSpec,
    ports: &[Port],
) -> Result<Exported, ExportError> {
    let n = p.size as usize;
    let dt = spec.simulation.dt;
    match &p.kind {
        NeuronKind::SpikeSource(_) => Ok(Exported::Input),
        NeuronKind::Lif(m) => {
            let v0 = membrane_is_expressible(spec, p, m)?;
            let [tau, v_rest, v_reset, v_th] = membrane_values(m, n);
            let drive = drive_values(spec, p, m, n)?;
            // A leaky membrane's drive moves its rest: tau dv/dt = (v_rest +
            // drive) - v + inputs. Without leak it is the input bias b of the
            // import's IF, whose drive is r b per second (r = 1/dt), against
            // drive / tau_m here.
            let v_rest: Vec<f64> = v_rest.iter().zip(&drive).map(|(v, d)| v + d).collect();
            let bias = (!m.leak && drive.iter().any(|&d| d != 0.0)).then(|| {
                drive
                    .iter()
                    .zip(&tau)
                    .map(|(d, t)| d * dt / t)
                    .collect::<Vec<f64>>()
            });
            let node = match (m.leak, m.spiking) {
                // r (1 - exp(-dt/tau)) = 1: a graph weight is the jump itself.
                (true, spiking) => {
                    let r = tensor(tau.iter().map(|t| 1.0 / -(-dt / t).exp_m1()).collect());
                    let (tau, v_leak) = (tensor(tau), shifted(&v_rest, v0));
                    if spiking {
                        Node::LIF {
                            tau,
                            r,
                            v_leak,
                            v_threshold: shifted(&v_th, v0),
                            v_reset: shifted(&v_reset, v0),
                        }
                    } else {
                        Node::LI { tau, r, v_leak }
                    }
                }
                // Without leak the jumps add directly; the import's IF/I
                // jump is r w dt: r = 1/dt.
                (false, true) => Node::IF {
                    r: uniform(n, 1.0 / dt),
                    v_threshold: shifted(&v_th, v0),
                    v_reset: shifted(&v_reset, v0),
                },
                (false, false) => Node::I {
                    r: uniform(n, 1.0 / dt),
                },
            };
            Ok(Exported::Neuron {
                node: Box::new(node),
                discretisation: "exact",
                cuba: None,
                reset: m.spiking.then_some(m.reset),
                v_offset: v0,
                bias,
            })
        }
        NeuronKind::CubaLif(c) => {
            let m = &c.membrane;
            let v0 = membrane_is_expressible(spec, p, m)?;
            if !m.leak {
                return Err(refuse(
                    spec,
                    p,
                    "params.leak",
                    "NIR's CubaLIF always leaks (it has no leak-free CuBa node)".into(),
                ));
            }
            let syn_drive = c.syn_drive.values(n);
            let forced = syn_drive.iter().any(|&d| d != 0.0);
            if forced && c.input == crate::neuron::cuba_lif::Input::Jump {
                return Err(refuse(
                    spec,
                    p,
                    "params.syn_drive",
                    "a constant forcing of the current goes to NIR as an Affine bias, which \
                     spikesim's import reads as forcing; give the population input = \"forcing\""
                        .into(),
                ));
            }
            for (key, init) in [("i_syn_e", &c.init_syn_e), ("i_syn_i", &c.init_syn_i)] {
                if *init != ValueSpec::Constant(0.0) {
                    return Err(refuse(
                        spec,
                        p,
                        &format!("init.{key}"),
                        "NIR states start at zero: the synaptic currents must start at 0".into(),
                    ));
                }
            }
            let (tau_e, tau_i) = match &c.syn_each {
                Some(each) => (each.0.values(n), each.1.values(n)),
                None => (vec![c.tau_syn_e; n], vec![c.tau_syn_i; n]),
            };
            let uses = |port| ports.contains(&port);
            let tau_syn = match (uses(Port::CurrentExc), uses(Port::CurrentInh)) {
                (true, true) if tau_e != tau_i => {
                    return Err(refuse(
                        spec,
                        p,
                        "params.tau_syn_i",
                        "NIR's CubaLIF has one synaptic current, but excitatory and inhibitory \
                         inputs with different time constants arrive"
                            .into(),
                    ));
                }
                (false, true) => tau_i,
                _ => tau_e,
            };
            let [tau_m, v_rest, v_reset, v_th] = membrane_values(m, n);
            let drive = drive_values(spec, p, m, n)?;
            let v_rest: Vec<f64> = v_rest.iter().zip(&drive).map(|(v, d)| v + d).collect();
            let input = match c.input {
                crate::neuron::cuba_lif::Input::Jump => CubaInput::Jump,
                crate::neuron::cuba_lif::Input::Forcing => CubaInput::Forcing,
            };
            // r = 1 and a forcing weight is the current's level (w_in = 1);
            // a Dirac spike moves r I by r w_in w / tau_syn (w_in = tau_syn).
            let w_in = match input {
                CubaInput::Jump => tensor(tau_syn.clone()),
                CubaInput::Forcing => uniform(n, 1.0),
            };
            let (tau_syn, tau_mem, r, v_leak) = (
                tensor(tau_syn),
                tensor(tau_m),
                uniform(n, 1.0),
                shifted(&v_rest, v0),
            );
            let node = if m.spiking {
                Node::CubaLIF {
                    tau_syn,
                    tau_mem,
                    r,
                    v_leak,
                    w_in,
                    v_threshold: shifted(&v_th, v0),
                    v_reset: shifted(&v_reset, v0),
                }
            } else {
                Node::CubaLI {
                    tau_syn,
                    tau_mem,
                    r,
                    v_leak,
                    w_in,
                }
            };
            Ok(Exported::Neuron {
                node: Box::new(node),
                discretisation: "exact",
                cuba: Some(input),
                reset: m.spiking.then_some(m.reset),
                v_offset: v0,
                // r = w_in = 1: the import's forcing r w_in b is b.
                bias: forced.then_some(syn_drive),
            })
        }
        NeuronKind::Poisson(_) => Err(refuse(
            spec,
            p,
            "model",
            "a poisson source draws random spikes, which a NIR graph cannot hold; record its \
             spikes and replay them with a spike_source"
                .into(),
        )),
        NeuronKind::DiscreteLif(d) => discrete(spec, p, d),
        other => Err(refuse(
            spec,
            p,
            "model",
            format!(
                "NIR has no node for the `{}` model (it has LIF, CubaLIF, LI, IF and their \
                 relatives)",
                other.model_name()
            ),
        )),
    }
}

/// The membrane's constant drive (`r_m i_e`, volts) per neuron: a constant
/// or one value per neuron; a drawn drive has no NIR form.
fn drive_values(
    spec: &ModelSpec,
    p: &PopulationSpec,
    m: &MembraneParams,
    n: usize,
) -> Result<Vec<f64>, ExportError> {
    match &m.init_drive {
        ValueSpec::Constant(x) => Ok(vec![*x; n]),
        ValueSpec::Array(a) => Ok(a.clone()),
        _ => Err(refuse(
            spec,
            p,
            "params.i_e",
            "a drive drawn from a distribution has no NIR form (give one value per neuron)".into(),
        )),
    }
}

/// The membrane features NIR's LIF lacks: a refractory period, initial
/// potentials that differ between neurons. Returns the initial potential.
fn membrane_is_expressible(
    spec: &ModelSpec,
    p: &PopulationSpec,
    m: &MembraneParams,
) -> Result<f64, ExportError> {
    if m.t_ref != 0.0 {
        return Err(refuse(
            spec,
            p,
            "params.t_ref",
            format!(
                "NIR neurons have no refractory period (t_ref = {} s); set it to 0",
                m.t_ref
            ),
        ));
    }
    let ValueSpec::Constant(v0) = m.init_v else {
        return Err(refuse(
            spec,
            p,
            "init.v",
            "NIR states start at zero: every neuron of a population must start at one potential \
             (the export shifts the population's voltages by it)"
                .into(),
        ));
    };
    if p.background.is_some() {
        return Err(refuse(
            spec,
            p,
            "background",
            "background Poisson input is random, which a NIR graph cannot hold".into(),
        ));
    }
    Ok(v0)
}

/// A `discrete_lif` in the Euler conventions of spikesim's import (the
/// snnTorch export's): `tau = dt/(1 - beta)`, `r = tau/dt` (a graph weight
/// is the jump), `v_leak = (v_bias + i_bias)/(1 - beta)` without a current;
/// with one (`alpha > 0`) a CubaLIF with `tau_syn = dt/(1 - alpha)`,
/// `tau_mem = dt/(1 - beta)`, `r = tau_mem/dt`, `w_in = tau_syn/dt`,
/// imported by `euler` (`cuba = "explicit"`) or `snntorch` (semi-implicit).
/// `beta = 1` without a current is an IF with `r = 1/dt`.
fn discrete(
    spec: &ModelSpec,
    p: &PopulationSpec,
    d: &DiscreteLifParams,
) -> Result<Exported, ExportError> {
    let n = p.size as usize;
    let dt = spec.simulation.dt;
    let Some(o) = d.options.as_deref() else {
        return Err(refuse(
            spec,
            p,
            "params.reset",
            "a discrete_lif resets by subtraction one update late (reset = \"subtract_late\", \
             the default), which NIR importers do not reproduce; give reset = \"subtract\" or \
             \"value\""
                .into(),
        ));
    };
    let reset = match o.reset {
        DiscreteReset::SubtractLate => {
            return Err(refuse(
                spec,
                p,
                "params.reset",
                "reset = \"subtract_late\" has no NIR form; give reset = \"subtract\" or \"value\""
                    .into(),
            ));
        }
        DiscreteReset::Subtract => Reset::Subtract,
        DiscreteReset::Value => Reset::Value,
    };
    if d.period.is_some() {
        return Err(refuse(
            spec,
            p,
            "params.period",
            "a neuron updating on a slower clock has no NIR form".into(),
        ));
    }
    let [beta, alpha, v_th, v_reset, v_bias, i_bias] =
        [&o.beta, &o.alpha, &o.v_th, &o.v_reset, &o.v_bias, &o.i_bias].map(|x| x.values(n));
    let resets_to_zero = v_reset.iter().all(|&v| v == 0.0);
    let current = alpha.iter().any(|&a| a != 0.0);
    let leak_free = beta.contains(&1.0);
    let (node, discretisation) = if !current && leak_free {
        if beta.iter().any(|&b| b != 1.0) || v_bias.iter().chain(&i_bias).any(|&b| b != 0.0) {
            return Err(refuse(
                spec,
                p,
                "params.beta",
                "beta = 1 (no leak) for some neurons only, or with a bias, has no NIR form here"
                    .into(),
            ));
        }
        let node = if o.spiking {
            Node::IF {
                r: uniform(n, 1.0 / dt),
                v_threshold: tensor(v_th),
                v_reset: tensor(v_reset),
            }
        } else {
            Node::I {
                r: uniform(n, 1.0 / dt),
            }
        };
        (node, "euler")
    } else if !current {
        let tau: Vec<f64> = beta.iter().map(|b| dt / (1.0 - b)).collect();
        let v_leak = (0..n)
            .map(|i| (v_bias[i] + i_bias[i]) / (1.0 - beta[i]))
            .collect();
        let (r, tau, v_leak) = (
            tensor(tau.iter().map(|t| t / dt).collect()),
            tensor(tau),
            tensor(v_leak),
        );
        let node = if o.spiking {
            Node::LIF {
                tau,
                r,
                v_leak,
                v_threshold: tensor(v_th),
                v_reset: tensor(v_reset),
            }
        } else {
            Node::LI { tau, r, v_leak }
        };
        (node, "euler")
    } else {
        if leak_free || alpha.contains(&0.0) {
            return Err(refuse(
                spec,
                p,
                "params.alpha",
                "a NIR CubaLIF needs 0 < alpha and beta < 1 for every neuron".into(),
            ));
        }
        let tau_mem: Vec<f64> = beta.iter().map(|b| dt / (1.0 - b)).collect();
        let tau_syn: Vec<f64> = alpha.iter().map(|a| dt / (1.0 - a)).collect();
        let v_leak = (0..n).map(|i| v_bias[i] / (1.0 - beta[i])).collect();
        let (r, w_in) = (
            tensor(tau_mem.iter().map(|t| t / dt).collect()),
            tensor(tau_syn.iter().map(|t| t / dt).collect()),
        );
        let (tau_syn, tau_mem, v_leak) = (tensor(tau_syn), tensor(tau_mem), tensor(v_leak));
        let node = if o.spiking {
            Node::CubaLIF {
                tau_syn,
                tau_mem,
                r,
                v_leak,
                w_in,
                v_threshold: tensor(v_th),
                v_reset: tensor(v_reset),
            }
        } else {
            Node::CubaLI {
                tau_syn,
                tau_mem,
                r,
                v_leak,
                w_in,
            }
        };
        (node, if o.explicit { "euler" } else { "snntorch" })
    };
    if discretisation == "snntorch" && reset == Reset::Value && !resets_to_zero {
        return Err(refuse(
            spec,
            p,
            "params.v_reset",
            "a semi-implicit CuBa discrete_lif imports through `snntorch`, which resets to 0"
                .into(),
        ));
    }
    // With a current, i_bias is the input bias b: the import's factor
    // r w_in (dt/tau_mem)(dt/tau_syn) is 1 in this convention.
    let bias = (current && i_bias.iter().any(|&b| b != 0.0)).then_some(i_bias);
    Ok(Exported::Neuron {
        node: Box::new(node),
        discretisation,
        cuba: None,
        reset: o.spiking.then_some(reset),
        v_offset: 0.0,
        bias,
    })
}
