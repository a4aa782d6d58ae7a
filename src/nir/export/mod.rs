//! Export of a spikesim model as a NIR graph (`spikesim nir export`).
//!
//! The graph is chosen so that spikesim's own import (`spikesim nir import`
//! in the discretisation named by the metadata) gives back the same network
//! on the same time grid: each neuron population is one neuron node (named
//! as the population, see [`neurons`] for the parameters), each spike
//! source an `Input` (its spikes written beside the graph, see [`inputs`]),
//! each projection one `Linear` + `Delay` path per distinct delay (see
//! [`projections`]), and each population whose spikes or potential are
//! recorded feeds an `Output` (`POP.output`).
//!
//! The metadata, informative for other tools, carries what spikesim needs
//! to read the graph back exactly: `spikesim.dt` (seconds),
//! `spikesim.discretisation` (`exact`; `euler` or `snntorch` for
//! `discrete_lif` populations), `spikesim.reset` (`value` or
//! `subtract`, the import's `--reset`),
//! `spikesim.duration` (seconds), `spikesim.seed`, `spikesim.engine`,
//! `spikesim.v_offset.POP` (volts: the population's initial potential, by
//! which its voltages are shifted, see [`neurons`]), `spikesim.cuba_input` (`forcing`, or `jump` when CubaLIF nodes read
//! spikes as Dirac impulses, see [`neurons`]) and `spikesim.input` (the file of the input
//! spikes, beside the graph).
//!
//! The input is a model file or the output directory of `spikesim train`
//! (its exported `model.toml`).

pub mod inputs;
pub mod neurons;
pub mod projections;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::io::IoError;
use crate::model::ModelError;
use crate::model::spec::{EngineKind, ModelSpec, PopulationSpec, Port};
use crate::neuron::membrane::Reset;
use crate::nir::{Graph, Meta, NirError, Node, Tensor};
use neurons::{CubaInput, Exported as Pop, export_population};
use projections::{closing_edges, node_name, projection_paths};

/// Why a model could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The model file is wrong, or holds something NIR cannot express
    /// (located at the population or projection).
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    /// The graph cannot be written as NIR.
    Nir(#[from] NirError),
    #[error(transparent)]
    /// A file cannot be read or written.
    Io(#[from] IoError),
}

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The NIR file written.
    pub graph: PathBuf,
    /// The model file that was exported.
    pub model: PathBuf,
    /// The input spikes (`GRAPH.input.csv`), when the model has spike
    /// sources.
    pub input: Option<PathBuf>,
    /// Nodes in the graph.
    pub nodes: usize,
    /// Edges in the graph.
    pub edges: usize,
    /// The reset the graph is to be imported with (`--reset`).
    pub reset: Reset,
    /// The discretisation it is to be imported with (`exact`, `euler`,
    /// `snntorch`).
    pub discretisation: String,
}

/// The model file `model_or_trained` names: itself, or the `model.toml`
/// of a `spikesim train` output directory.
pub fn model_file(model_or_trained: &Path) -> Result<PathBuf, ExportError> {
    if !model_or_trained.is_dir() {
        return Ok(model_or_trained.to_path_buf());
    }
    let model = model_or_trained.join("model.toml");
    if model.is_file() {
        Ok(model)
    } else {
        Err(ExportError::Model(ModelError {
            file: model_or_trained.to_path_buf(),
            line: None,
            field: String::new(),
            message: "is a directory without the model.toml that `spikesim train` exports; \
                      give a model file or a training output directory"
                .into(),
        }))
    }
}

/// Exports the model (or trained network) at `model_or_trained` to the NIR
/// file `out`, with the inputs' spikes beside it (`GRAPH.input.csv`, for
/// `spikesim nir import --input`).
/// Nothing is written when the model cannot be exported.
pub fn export_file(model_or_trained: &Path, out: &Path) -> Result<Exported, ExportError> {
    let model = model_file(model_or_trained)?;
    let spec = crate::model::load(&model, &[])?;
    let (mut graph, spikes) = export_spec(&spec)?;
    let input = match spikes {
        Some(text) => {
            let path = inputs::input_path(out);
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            graph
                .metadata
                .insert("spikesim.input".into(), Meta::Text(file));
            inputs::write_beside(&path, &text)?;
            Some(path)
        }
        None => None,
    };
    crate::nir::write(out, &graph)?;
    Ok(Exported {
        graph: out.to_path_buf(),
        model,
        input,
        nodes: graph.nodes.len(),
        edges: graph.edges.len(),
        discretisation: match graph.metadata.get("spikesim.discretisation") {
            Some(Meta::Text(d)) => d.clone(),
            _ => "exact".into(),
        },
        reset: match graph.metadata.get("spikesim.reset") {
            Some(Meta::Text(r)) if r == "subtract" => Reset::Subtract,
            _ => Reset::Value,
        },
    })
}

/// The graph of a validated model, and the spikes of its inputs (CSV text
/// for `spikesim nir import --input`) when it has spike sources.
pub fn export_spec(spec: &ModelSpec) -> Result<(Graph, Option<String>), ExportError> {
    whole_model_is_expressible(spec)?;
    let mut graph = Graph::default();
    let mut cuba: Option<(CubaInput, &str)> = None;
    let mut reset: Option<(Reset, &str)> = None;
    let mut discretisation: Option<(&'static str, &str)> = None;
    let mut offsets = Vec::new();
    let mut is_input = vec![false; spec.populations.len()];
    let mut biases: Vec<(usize, Vec<f64>)> = Vec::new();
    for (i, p) in spec.populations.iter().enumerate() {
        let ports: Vec<Port> = spec
            .projections
            .iter()
            .filter(|j| j.to == i)
            .map(|j| j.port)
            .collect();
        let name = node_name(&p.name);
        let node = match export_population(spec, p, &ports)? {
            Pop::Input => {
                is_input[i] = true;
                Node::Input {
                    shape: vec![p.size as usize],
                }
            }
            Pop::Neuron {
                node,
                discretisation: disc,
                cuba: c,
                reset: r,
                v_offset,
                bias,
            } => {
                if let Some(b) = bias {
                    biases.push((i, b));
                }
                agree(
                    spec,
                    p,
                    &mut discretisation,
                    disc,
                    "model",
                    "discretisation",
                )?;
                if let Some(c) = c {
                    agree(spec, p, &mut cuba, c, "params.input", "CuBa input")?;
                }
                if let Some(r) = r {
                    agree(spec, p, &mut reset, r, "params.reset", "reset")?;
                }
                offsets.push((name.clone(), v_offset));
                for j in spec.projections.iter().filter(|j| j.to == i) {
                    // A discrete_lif's input is its I, whatever node it is.
                    let fits = disc != "exact"
                        || match *node {
                            Node::CubaLIF { .. } | Node::CubaLI { .. } => j.port != Port::Voltage,
                            _ => j.port == Port::Voltage,
                        };
                    if !fits {
                        return Err(projections::refuse(
                            spec,
                            j,
                            "synapse",
                            "a NIR CubaLIF takes its input into the current and a LIF into \
                             the membrane: a voltage jump onto a CuBa neuron has no NIR form"
                                .into(),
                        ));
                    }
                }
                *node
            }
        };
        insert(spec, &mut graph, name, node)?;
    }

    // Projections, then the grid corrections of their delays.
    let mut paths = Vec::new();
    for j in 0..spec.projections.len() {
        paths.extend(projection_paths(spec, j)?);
    }
    let dt = spec.simulation.dt;
    // A source with a zero-delay projection keeps its paths' delays and has
    // its spikes written a step earlier (see `inputs`).
    let mut aligned = vec![false; spec.populations.len()];
    for path in &paths {
        let from = spec.projections[path.projection].from;
        aligned[from] |= is_input[from] && path.delay < dt * 0.5;
    }
    for path in &paths {
        let p = &spec.projections[path.projection];
        if is_input[p.from] && !aligned[p.from] && path.delay < dt * (1.0 - 1e-9) {
            return Err(projections::refuse(
                spec,
                p,
                "delay",
                "a projection out of a spike source must take at least one step to be \
                     exported (the source's spikes are NIR data one step ahead)"
                    .into(),
            ));
        }
        insert(
            spec,
            &mut graph,
            path.linear.clone(),
            Node::Linear {
                weight: path.weight.clone(),
            },
        )?;
        insert(
            spec,
            &mut graph,
            path.delay_node.clone(),
            Node::Delay {
                delay: Tensor::zeros(vec![path.weight.shape[0]]),
            },
        )?;
        let (from, to) = (
            node_name(&spec.populations[p.from].name),
            node_name(&spec.populations[p.to].name),
        );
        graph.edges.push((from, path.linear.clone()));
        graph
            .edges
            .push((path.linear.clone(), path.delay_node.clone()));
        graph.edges.push((path.delay_node.clone(), to));
    }
    add_biases(spec, &mut graph, &is_input, &biases)?;
    let closing = closing_edges(&graph.nodes, &graph.edges);
    let mut dropped = BTreeSet::new();
    for (k, path) in paths.iter().enumerate() {
        let p = &spec.projections[path.projection];
        let into_target = 3 * k + 2;
        let shorter_by = usize::from(is_input[p.from] && !aligned[p.from])
            + usize::from(closing.contains(&into_target));
        let delay = path.delay - shorter_by as f64 * dt;
        if delay < -dt * 1e-9 {
            return Err(projections::refuse(
                spec,
                p,
                "delay",
                "the projection closes a cycle of the graph but takes no step; NIR importers \
                 delay a cycle's closing edge by one step"
                    .into(),
            ));
        }
        if (delay / dt).round() == 0.0 {
            // No Delay node: the Linear feeds the target directly.
            graph.nodes.remove(&path.delay_node);
            dropped.insert(3 * k + 1);
            graph.edges[into_target].0 = path.linear.clone();
        } else if let Some(Node::Delay { delay: d }) = graph.nodes.get_mut(&path.delay_node) {
            d.data.iter_mut().for_each(|x| *x = delay);
        }
    }
    graph.edges = std::mem::take(&mut graph.edges)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !dropped.contains(i))
        .map(|(_, e)| e)
        .collect();

    add_outputs(spec, &mut graph, &is_input)?;
    // The Inputs' neurons are numbered in the order of their names.
    let mut sources: Vec<usize> = (0..spec.populations.len())
        .filter(|&i| is_input[i])
        .collect();
    sources.sort_by_key(|&i| node_name(&spec.populations[i].name));
    let spikes = match sources.is_empty() {
        true => None,
        false => Some(inputs::input_csv(spec, &sources, &aligned)?),
    };
    graph.metadata = metadata(
        spec,
        discretisation.map_or("exact", |d| d.0),
        cuba.map(|c| c.0),
        reset.map_or(Reset::Value, |r| r.0),
    );
    for (name, v0) in offsets {
        graph
            .metadata
            .insert(format!("spikesim.v_offset.{name}"), Meta::Number(v0));
    }
    Ok((graph, spikes))
}

/// Each constant input bias as an Affine with zero weights and that bias,
/// from the first Input (by name) into the population. Its edges come
/// after every projection's, so the depth-first walk that finds a cycle's
/// closing edge reaches them last and they close none.
fn add_biases(
    spec: &ModelSpec,
    graph: &mut Graph,
    is_input: &[bool],
    biases: &[(usize, Vec<f64>)],
) -> Result<(), ExportError> {
    let Some(&(first, _)) = biases.first() else {
        return Ok(());
    };
    let source = (0..spec.populations.len())
        .filter(|&i| is_input[i])
        .min_by_key(|&i| node_name(&spec.populations[i].name));
    let Some(source) = source else {
        return Err(neurons::refuse(
            spec,
            &spec.populations[first],
            "",
            "its constant drive would be a NIR Affine bias, which needs an Input node to hang on, \
             and the model has no spike_source"
                .into(),
        ));
    };
    let n_in = spec.populations[source].size as usize;
    for (i, b) in biases {
        let target = node_name(&spec.populations[*i].name);
        let name = format!("{target}.bias");
        let node = Node::Affine {
            weight: Tensor::zeros(vec![b.len(), n_in]),
            bias: Tensor {
                shape: vec![b.len()],
                data: b.clone(),
            },
        };
        insert(spec, graph, name.clone(), node)?;
        graph
            .edges
            .push((node_name(&spec.populations[source].name), name.clone()));
        graph.edges.push((name, target));
    }
    Ok(())
}

fn insert(
    spec: &ModelSpec,
    graph: &mut Graph,
    name: String,
    node: Node,
) -> Result<(), ExportError> {
    if graph.nodes.contains_key(&name) {
        return Err(ExportError::Model(ModelError {
            file: spec.path.clone(),
            line: None,
            field: String::new(),
            message: format!(
                "cannot be exported to NIR: two nodes would be named `{name}` (a population \
                 and a projection's node); rename one"
            ),
        }));
    }
    graph.nodes.insert(name, node);
    Ok(())
}

/// An `Output` after every neuron population whose spikes or variables are
/// recorded.
fn add_outputs(spec: &ModelSpec, graph: &mut Graph, is_input: &[bool]) -> Result<(), ExportError> {
    for (i, p) in spec.populations.iter().enumerate() {
        let recorded = p.record_spikes || spec.records.iter().any(|r| r.population == i);
        if is_input[i] || !recorded {
            continue;
        }
        let name = node_name(&p.name);
        let out = format!("{name}.output");
        insert(
            spec,
            graph,
            out.clone(),
            Node::Output {
                shape: vec![p.size as usize],
            },
        )?;
        graph.edges.push((name, out));
    }
    Ok(())
}

/// One option every population of the graph must share (the import takes
/// it for the whole graph): `seen` holds the first value and its
/// population.
fn agree<'a, T: PartialEq + std::fmt::Debug>(
    spec: &ModelSpec,
    p: &'a PopulationSpec,
    seen: &mut Option<(T, &'a str)>,
    value: T,
    field: &str,
    what: &str,
) -> Result<(), ExportError> {
    match seen {
        None => {
            *seen = Some((value, &p.name));
            Ok(())
        }
        Some((first, _)) if *first == value => Ok(()),
        Some((first, other)) => Err(neurons::refuse(
            spec,
            p,
            field,
            format!(
                "its {what} ({value:?}) differs from population `{other}`'s ({first:?}); a NIR \
                 graph is imported with one for the whole graph"
            ),
        )),
    }
}

fn metadata(
    spec: &ModelSpec,
    discretisation: &str,
    cuba: Option<CubaInput>,
    reset: Reset,
) -> BTreeMap<String, Meta> {
    let sim = &spec.simulation;
    let mut m = BTreeMap::new();
    let text = |s: &str| Meta::Text(s.to_string());
    m.insert("spikesim.dt".into(), Meta::Number(sim.dt));
    m.insert("spikesim.discretisation".into(), text(discretisation));
    m.insert(
        "spikesim.reset".into(),
        text(match reset {
            Reset::Value => "value",
            Reset::Subtract => "subtract",
        }),
    );
    m.insert("spikesim.duration".into(), Meta::Number(sim.duration));
    m.insert("spikesim.seed".into(), Meta::Number(sim.seed as f64));
    m.insert(
        "spikesim.engine".into(),
        text(match sim.engine {
            EngineKind::Clock => "clock",
            EngineKind::Event => "event",
        }),
    );
    match cuba {
        Some(CubaInput::Jump) => {
            m.insert("spikesim.cuba_input".into(), text(CUBA_JUMP));
        }
        Some(CubaInput::Forcing) => {
            m.insert("spikesim.cuba_input".into(), text("forcing"));
        }
        None => {}
    }
    m.insert(
        "spikesim.note".into(),
        text(
            "exported by spikesim: import with `spikesim nir import --dt DT --discretisation \
             DISCRETISATION`; inputs' spikes are data steps (a spike at step n acts over \
             (n dt, (n+1) dt])",
        ),
    );
    m
}

/// The metadata value saying CubaLIF nodes read spikes as Dirac impulses.
pub const CUBA_JUMP: &str = "jump";

/// Model-wide features NIR cannot hold.
fn whole_model_is_expressible(spec: &ModelSpec) -> Result<(), ExportError> {
    let refuse = |field: &str, message: &str| {
        Err(ExportError::Model(ModelError {
            file: spec.path.clone(),
            line: None,
            field: field.into(),
            message: format!("cannot be exported to NIR: {message}"),
        }))
    };
    if spec.fixed.is_some() {
        return refuse(
            "simulation.arithmetic",
            "a fixed-point model; export the floating-point model it was quantised from",
        );
    }
    if !spec.currents.is_empty() {
        return refuse(
            "stimulus",
            "a time-varying current stimulus has no NIR form (NIR inputs are spike trains)",
        );
    }
    Ok(())
}
