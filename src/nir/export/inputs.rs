//! Spike sources as graph `Input` nodes, and their spikes as the one CSV
//! file spikesim's import reads (`neuron,step`, one row per spike; the
//! Inputs' neurons numbered one after the other in name order).
//!
//! A spike source's spike at grid point `k` is written as data step `k`,
//! which the import plays as a NIR spike at grid point `k + 1`; the paths
//! out of the `Input` are one step shorter to match (see
//! [`super::projections`]), so every target receives the spike at the grid
//! point it did before. This keeps the spikes of grid point 0, which
//! latency-coded inputs have, and needs every projection out of a spike
//! source to take at least one step, unless one takes none (an imported
//! graph's Input): then the spikes are written a step earlier and the paths
//! keep their delays.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::ExportError;
use crate::io::IoError;
use crate::model::spec::{ModelSpec, NeuronKind};

/// The spikes of the spike sources `pops` (population indices, in the
/// order of their Input nodes' names, which number their neurons one after
/// the other as spikesim's import does) as `neuron,step` rows, sorted by
/// step then neuron, at most one per neuron and step; spikes at or after
/// the end of the run reach nothing and are left out. The spikes of an
/// `aligned` source (one with a zero-delay projection, as an imported
/// graph's Input has) are written one step earlier and its paths keep their
/// delays: grid point `k` is data step `k - 1`, which the import plays at
/// grid point `k` again. Grid point 0 has no such step; the engine refuses
/// it through a zero delay anyway, and so does the export.
pub fn input_csv(
    spec: &ModelSpec,
    pops: &[usize],
    aligned: &[bool],
) -> Result<String, ExportError> {
    let sim = &spec.simulation;
    let mut events: Vec<(u64, u64)> = Vec::new();
    let mut offset = 0u64;
    for &pop in pops {
        let p = &spec.populations[pop];
        if let NeuronKind::SpikeSource(list) = &p.kind {
            for &(t, n) in &list.spikes {
                let k = (t / sim.dt).round() as u64;
                // The last step ends at grid point `steps`: through a zero
                // delay a spike there still acts, through one step it would not.
                if k > sim.steps || (k == sim.steps && !aligned[pop]) {
                    continue;
                }
                let step = match (aligned[pop], k) {
                    (false, k) => k,
                    (true, 0) => {
                        return Err(super::neurons::refuse(
                            spec,
                            p,
                            "params",
                            format!(
                                "neuron {n} spikes at time 0 into a zero-delay projection, \
                                 which no NIR data step can carry"
                            ),
                        ));
                    }
                    (true, k) => k - 1,
                };
                events.push((step, offset + u64::from(n)));
            }
        }
        offset += u64::from(p.size);
    }
    events.sort_unstable();
    events.dedup();
    let mut text = String::from("neuron,step\n");
    for (k, n) in events {
        let _ = writeln!(text, "{n},{k}");
    }
    Ok(text)
}

/// Where the input spikes go beside the graph `out`: `GRAPH.input.csv`.
pub fn input_path(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map_or_else(|| "graph".into(), |s| s.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}.input.csv"))
}

/// Writes `text` beside `path` and moves it into place.
pub fn write_beside(path: &Path, text: &str) -> Result<(), ExportError> {
    let partial = path.with_extension("csv.partial");
    let io = |source| {
        ExportError::Io(IoError::File {
            path: path.to_path_buf(),
            action: "write the input spikes",
            source,
        })
    };
    std::fs::write(&partial, text).map_err(io)?;
    std::fs::rename(&partial, path).map_err(io)
}
