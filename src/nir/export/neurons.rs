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
//! What NIR cannot express (refractory periods, initial states other than
//! rest, a constant drive, different excitatory and inhibitory synaptic time
//! constants both in use, random sources, conductances, plasticity) is a
//! located error.

use super::ExportError;
use crate::model::ModelError;
use crate::model::spec::{MembraneParams, ModelSpec, NeuronKind, PopulationSpec, Port, ValueSpec};
use crate::nir::{Node, Tensor};

/// How a CuBa population reads incoming spikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CubaInput {
    /// spikesim's default: a spike jumps the synaptic current.
    Jump,
}

/// A population as NIR sees it.
pub enum Exported {
    /// A spike source: a graph Input.
    Input,
    /// A neuron population, for CuBa ones how they read spikes, and the
    /// initial potential its voltages are shifted by.
    Neuron {
        node: Node,
        cuba: Option<CubaInput>,
        v_offset: f64,
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

fn uniform(n: usize, x: f64) -> Tensor {
    Tensor {
        shape: vec![n],
        data: vec![x; n],
    }
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
            // r (1 - exp(-dt/tau)) = 1: a graph weight is the jump itself.
            let r = 1.0 / -(-dt / m.tau_m).exp_m1();
            Ok(Exported::Neuron {
                node: Node::LIF {
                    tau: uniform(n, m.tau_m),
                    r: uniform(n, r),
                    v_leak: uniform(n, m.v_rest - v0),
                    v_threshold: uniform(n, m.v_th - v0),
                    v_reset: uniform(n, m.v_reset - v0),
                },
                cuba: None,
                v_offset: v0,
            })
        }
        NeuronKind::CubaLif(c) => {
            let v0 = membrane_is_expressible(spec, p, &c.membrane)?;
            for (key, init) in [("i_syn_e", &c.init_syn_e), ("i_syn_i", &c.init_syn_i)] {
                if *init != ValueSpec::Constant(0.0) {
                    return Err(refuse(
                        spec,
                        p,
                        &format!("init.{key}"),
                        "NIR has no initial state: the synaptic currents must start at 0".into(),
                    ));
                }
            }
            let uses = |port| ports.contains(&port);
            let tau_syn = match (uses(Port::CurrentExc), uses(Port::CurrentInh)) {
                (true, true) if c.tau_syn_e != c.tau_syn_i => {
                    return Err(refuse(
                        spec,
                        p,
                        "params.tau_syn_i",
                        format!(
                            "NIR's CubaLIF has one synaptic current, but excitatory ({} s) and \
                             inhibitory ({} s) inputs with different time constants arrive",
                            c.tau_syn_e, c.tau_syn_i
                        ),
                    ));
                }
                (false, true) => c.tau_syn_i,
                _ => c.tau_syn_e,
            };
            let m = &c.membrane;
            Ok(Exported::Neuron {
                node: Node::CubaLIF {
                    tau_syn: uniform(n, tau_syn),
                    tau_mem: uniform(n, m.tau_m),
                    r: uniform(n, 1.0),
                    v_leak: uniform(n, m.v_rest - v0),
                    w_in: uniform(n, tau_syn),
                    v_threshold: uniform(n, m.v_th - v0),
                    v_reset: uniform(n, m.v_reset - v0),
                },
                cuba: Some(CubaInput::Jump),
                v_offset: v0,
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
        NeuronKind::DiscreteLif(_) => Err(refuse(
            spec,
            p,
            "model",
            "a discrete_lif resets by subtraction one update late, which no NIR importer \
             reproduces (NIR resets in the step of the spike)"
                .into(),
        )),
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

/// The membrane features NIR's LIF lacks: a refractory period, initial
/// potentials that differ between neurons, a constant drive. Returns the
/// initial potential.
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
    if m.init_drive != ValueSpec::Constant(0.0) {
        return Err(refuse(
            spec,
            p,
            "params.i_e",
            "NIR can hold a constant drive only as an Affine bias of an incoming path, which \
             this export does not write yet"
                .into(),
        ));
    }
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
