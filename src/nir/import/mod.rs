//! NIR graph → spikesim model file (`spikesim nir import`).
//!
//! The graph is flattened ([`flat`]: nested graphs, the depth-first rule
//! for edges that close a cycle, shapes), the nodes between populations are
//! composed into sparse synapse matrices ([`compose`], convolutions and
//! poolings expanded by [`conv`]), every neuron node becomes a population
//! in the chosen discretisation ([`neurons`]), and [`write`] puts the model
//! file and its side files (connection lists, input spikes) in place:
//! `MODEL.toml` and the folder `MODEL_files/` beside it, written beside and
//! renamed, nothing at all when the import fails.
//!
//! The time grid, delays and the discretisations are those of
//! `docs/src/nir.md`: edges not on a cycle act within the step (zero-delay
//! projections), an edge that closes a cycle one step later, a Delay node
//! `round(τ/dt)` steps more.
//!
//! What the model file looks like:
//! - one population per top-level Input (`spike_source`, its spikes from
//!   `--input`) and per neuron node; names are the node paths with `/`
//!   written `:` and `.` written `_` (spikesim's names are HDF5 group names
//!   and have neither), clashes numbered; the model file's header lists
//!   node → population;
//! - per pair of populations with synapses, a zero-delay projection and, if
//!   some paths have delays, a second one `"A->B (delayed)"` with a delay
//!   column; weights are the composed NIR weights times the target's gain
//!   (see [`neurons`]); paths with the same delay between the same pair of
//!   neurons add up into one synapse, zero weights make none;
//! - membranes start at 0 (`init.v = 0`, as the NIR frameworks start);
//! - convolutions and poolings are expanded into connection lists, and any
//!   node or composed projection with more than [`MAX_SYNAPSES`] (10
//!   million) synapses is refused with an error naming the node;
//! - the engine stores synapse weights as `f32`, so a membrane differs from
//!   an f64 reference by up to ~6e-8 of each jump it received.

pub mod compose;
pub mod conv;
pub mod flat;
pub mod input;
pub mod neurons;
pub mod shapes;
pub mod sparse;
#[cfg(test)]
mod tests;
mod text;

use std::path::{Path, PathBuf};

use crate::nir::{Graph, NirError};

pub use compose::MAX_SYNAPSES;

/// How the continuous-time NIR equations are put on the `dt` grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discretisation {
    /// spikesim's exponential integration, input held over the step.
    Exact,
    /// Forward Euler (`discrete_lif`).
    Euler,
    /// snnTorch 1.0's import: Euler with a semi-implicit CuBa current and
    /// reset to 0.
    Snntorch,
}

/// What a spike does to the membrane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetMode {
    /// `v <- v_reset`.
    Value,
    /// `v <- v - (v_th - v_reset)`.
    Subtract,
}

/// The choices a NIR file cannot carry.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    /// Time step, seconds.
    pub dt: f64,
    /// How the continuous neurons are discretised.
    pub discretisation: Discretisation,
    /// What a spike does to the potential.
    pub reset: ResetMode,
    /// Simulated time, seconds; default: up to the last input spike.
    pub duration: Option<f64>,
    /// Input spikes: CSV `neuron,step` (step `n` is a spike at grid point
    /// `n+1`); neurons number the top-level Input nodes' elements one after
    /// the other, Inputs in name order.
    pub input: Option<PathBuf>,
}

impl ImportOptions {
    /// Options with defaults: exact, reset to value, no input.
    pub fn new(dt: f64) -> Self {
        Self {
            dt,
            discretisation: Discretisation::Exact,
            reset: ResetMode::Value,
            duration: None,
            input: None,
        }
    }
}

/// What an import wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The model file written.
    pub model: PathBuf,
    /// The folder of side files (connection lists, input spikes).
    pub files: PathBuf,
    /// NIR node path -> population name, for every population.
    pub populations: Vec<(String, String)>,
    /// Projections in the model.
    pub projections: usize,
    /// Synapses in the model.
    pub synapses: usize,
    /// Warnings: what the chosen discretisation changes.
    pub notes: Vec<String>,
}

/// What the imported model records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Recording {
    /// Spikes of the spiking nodes feeding an Output, `v` of the
    /// non-spiking ones.
    #[default]
    Outputs,
    /// Also `v` and spikes of every neuron node, and the input spikes
    /// (`--record-v`).
    AllNodes,
}

/// Reads the NIR file `graph`, imports it and writes `out` (+ its folder),
/// recording the Output nodes' sources.
pub fn import_file(graph: &Path, opts: &ImportOptions, out: &Path) -> Result<Imported, NirError> {
    import_file_recording(graph, opts, Recording::Outputs, out)
}

/// [`import_file`] with a choice of what is recorded.
pub fn import_file_recording(
    graph: &Path,
    opts: &ImportOptions,
    record: Recording,
    out: &Path,
) -> Result<Imported, NirError> {
    let g = crate::nir::read(graph)?;
    import_graph(&g, graph, opts, record, out)
}

/// Imports the in-memory `graph` (read from `file`, named in errors) and
/// writes `out` (+ its folder).
pub fn import_graph(
    graph: &Graph,
    file: &Path,
    opts: &ImportOptions,
    record: Recording,
    out: &Path,
) -> Result<Imported, NirError> {
    check_options(opts, file)?;
    graph.check(file)?;
    let files_dir = files_folder(out);
    let folder_name = files_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let plan = text::plan(
        graph,
        file,
        opts,
        record == Recording::AllNodes,
        &folder_name,
    )?;
    write(out, &files_dir, &plan)?;
    Ok(Imported {
        model: out.to_path_buf(),
        files: files_dir,
        populations: plan.names,
        projections: plan.projections,
        synapses: plan.synapses,
        notes: plan.notes,
    })
}

fn check_options(opts: &ImportOptions, file: &Path) -> Result<(), NirError> {
    if !(opts.dt > 0.0 && opts.dt.is_finite()) {
        return Err(NirError::file(
            file,
            format!("dt must be positive, got {} s", opts.dt),
        ));
    }
    if let Some(d) = opts.duration
        && !(d >= opts.dt && d.is_finite())
    {
        return Err(NirError::file(
            file,
            format!("the duration ({d} s) must be at least dt ({} s)", opts.dt),
        ));
    }
    Ok(())
}

/// `dir/MODEL_files` for `dir/MODEL.toml`.
pub fn files_folder(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    out.with_file_name(format!("{stem}_files"))
}

/// Writes the side files into a fresh folder beside their final place,
/// moves it there (replacing an older one), then the model file beside and
/// renamed: on any failure before the moves nothing is left behind.
fn write(out: &Path, files_dir: &Path, plan: &text::Plan) -> Result<(), NirError> {
    let fail = |what: &str, p: &Path, e: std::io::Error| {
        NirError::file(out, format!("cannot {what} {}: {e}", p.display()))
    };
    if let Ok(meta) = std::fs::symlink_metadata(files_dir)
        && !meta.is_dir()
    {
        return Err(NirError::file(
            out,
            format!(
                "{} exists and is not a folder: refusing to replace it",
                files_dir.display()
            ),
        ));
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| fail("create the folder", &parent, e))?;
    let pid = std::process::id();
    let name = files_dir.file_name().unwrap_or_default().to_string_lossy();
    let tmp = parent.join(format!(".{name}.partial-{pid}"));
    let _ = std::fs::remove_dir_all(&tmp);
    let written = (|| {
        std::fs::create_dir(&tmp).map_err(|e| fail("create the folder", &tmp, e))?;
        for (rel, content) in &plan.files {
            let p = tmp.join(rel);
            std::fs::write(&p, content).map_err(|e| fail("write", &p, e))?;
        }
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let old = parent.join(format!(".{name}.old-{pid}"));
    if files_dir.exists()
        && let Err(e) = std::fs::rename(files_dir, &old)
    {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(fail("move aside", files_dir, e));
    }
    if let Err(e) = std::fs::rename(&tmp, files_dir) {
        let _ = std::fs::rename(&old, files_dir);
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(fail("move into place", files_dir, e));
    }
    let _ = std::fs::remove_dir_all(&old);
    crate::io::output_path::write_atomically(out, plan.model.as_bytes())
        .map_err(|e| NirError::file(out, e.to_string()))
}
