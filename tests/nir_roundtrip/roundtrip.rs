//! spikesim -> NIR -> spikesim: a model exported with `export_file` and
//! imported back with spikesim's import (exact discretisation, reset to
//! value) fires the same spikes, bit for bit, in the clock and the event
//! engine. The input populations are compared out: their spikes are NIR
//! data one step ahead (see `nir::export::inputs`).

use std::path::{Path, PathBuf};

use spikesim::io::results::Results;
use spikesim::neuron::membrane::Reset;
use spikesim::nir::export::export_file;
use spikesim::nir::import::{Discretisation, ImportOptions, ResetMode, import_file};

use crate::models;

/// Writes `text` as `dir/model.toml`, exports and imports it back; the
/// original's and the imported model's paths.
pub fn export_and_import(text: &str, dir: &Path) -> (PathBuf, PathBuf) {
    let model = dir.join("model.toml");
    std::fs::write(&model, text).unwrap();
    let spec = spikesim::model::load(&model, &[]).unwrap();
    let graph = dir.join("graph.nir");
    let exported = export_file(&model, &graph).unwrap_or_else(|e| panic!("{e}"));
    let mut opts = ImportOptions::new(spec.simulation.dt);
    opts.duration = Some(spec.simulation.duration);
    opts.input = exported.input.clone();
    opts.discretisation = match exported.discretisation.as_str() {
        "euler" => Discretisation::Euler,
        "snntorch" => Discretisation::Snntorch,
        _ => Discretisation::Exact,
    };
    opts.reset = match exported.reset {
        Reset::Value => ResetMode::Value,
        Reset::Subtract => ResetMode::Subtract,
    };
    let imported = dir.join("imported.toml");
    import_file(&graph, &opts, &imported).unwrap_or_else(|e| panic!("{e}"));
    (model, imported)
}

fn run(model: &Path, engine: &str) -> Results {
    let set = [format!("simulation.engine=\"{engine}\"")];
    let spec = spikesim::model::load(model, &set).unwrap_or_else(|e| panic!("{e}"));
    spikesim::engine::simulate(&spec, &mut |_, _| {})
}

/// Every non-input population's spikes, equal in both runs; returns the
/// spike count.
fn same_spikes(original: &Results, imported: &Results, populations: &[&str]) -> usize {
    let mut count = 0;
    for pop in populations {
        let a = original
            .spikes_of(pop)
            .unwrap_or_else(|| panic!("{pop} not recorded"));
        let b = imported
            .spikes_of(pop)
            .unwrap_or_else(|| panic!("{pop} not recorded after the round trip"));
        assert_eq!(a.steps, b.steps, "{pop}: spike steps");
        assert_eq!(a.senders, b.senders, "{pop}: senders");
        let bits = |t: &Option<Vec<f64>>| {
            t.as_ref()
                .map(|t| t.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
        };
        assert_eq!(bits(&a.times), bits(&b.times), "{pop}: spike times");
        count += a.steps.len();
    }
    count
}

fn round_trip(text: &str, engine: &str, populations: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let (model, imported) = export_and_import(text, dir.path());
    let n = same_spikes(&run(&model, engine), &run(&imported, engine), populations);
    // Enough activity that the comparison means something.
    assert!(n >= 10, "only {n} spikes");
}

#[test]
fn lif_with_delays_round_trips_in_the_clock_engine() {
    round_trip(&models::lif_with_delays("clock"), "clock", &["a", "b"]);
}

#[test]
fn lif_with_delays_round_trips_in_the_event_engine() {
    round_trip(&models::lif_with_delays("event"), "event", &["a", "b"]);
}

/// The CuBa network in forcing mode: larger weights than the jump model's
/// (a forcing weight is a current level held over one step).
fn cuba_forcing(engine: &str) -> String {
    models::cuba(engine)
        .replace(
            "tau_syn = \"4 ms\"",
            "tau_syn = \"4 ms\", input = \"forcing\"",
        )
        .replace("\"5 mV\"", "\"600 mV\"")
        .replace("\"-3 mV\"", "\"-100 mV\"")
}

#[test]
fn cuba_forcing_round_trips_in_the_clock_engine() {
    round_trip(&cuba_forcing("clock"), "clock", &["c"]);
}

#[test]
fn cuba_forcing_round_trips_in_the_event_engine() {
    round_trip(&cuba_forcing("event"), "event", &["c"]);
}

/// The CuBa network with spikesim's default jump input: exported as
/// CubaLIF read with Dirac spikes (`w_in = tau_syn`), which the import
/// honours when the graph's metadata says it was spikesim's jump input.
#[test]
fn cuba_jump_round_trips_in_the_clock_engine() {
    round_trip(&cuba_jump("clock"), "clock", &["c"]);
}

/// The CuBa network with jumps strong enough to fire a few dozen times.
fn cuba_jump(engine: &str) -> String {
    models::cuba(engine).replace("\"5 mV\"", "\"25 mV\"")
}

#[test]
fn cuba_jump_round_trips_in_the_event_engine() {
    round_trip(&cuba_jump("event"), "event", &["c"]);
}

#[test]
fn lif_with_subtractive_reset_round_trips_in_the_clock_engine() {
    let text = models::lif_with_delays("clock")
        .replace(
            "v_th = \"-60 mV\" }",
            "v_th = \"-60 mV\", reset = \"subtract\" }",
        )
        .replace(
            "v_th = \"-62 mV\" }",
            "v_th = \"-62 mV\", reset = \"subtract\" }",
        );
    assert_eq!(text.matches("subtract").count(), 2);
    round_trip(&text, "clock", &["a", "b"]);
}

#[test]
fn discrete_lif_round_trips_through_the_euler_import() {
    round_trip(&models::discrete(), "clock", &["d1", "d2"]);
}

/// NIR -> spikesim -> NIR -> spikesim: the manual's graph (docs/src/guide/nir.md)
/// (examples/nir/rsnn.nir: zero-delay input and feed-forward edges, a
/// recurrent edge, Affine biases into CuBa currents) imported, exported and
/// imported again fires the same spikes, bit for bit, as the first import:
/// in `snntorch` (discrete_lif with i_bias) and in `exact` (cuba_lif forcing
/// with syn_drive). The export writes the biases as zero-weight Affines
/// from the Input and the input spikes one step earlier (the Input's edges
/// take no step).
#[test]
fn an_imported_graph_round_trips_through_its_own_export() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for discretisation in [Discretisation::Snntorch, Discretisation::Exact] {
        let dir = tempfile::tempdir().unwrap();
        let mut opts = ImportOptions::new(1e-4);
        opts.discretisation = discretisation;
        opts.duration = Some(0.02);
        opts.input = Some(root.join("examples/nir/rsnn_input.csv"));
        let first = dir.path().join("first.toml");
        import_file(&root.join("examples/nir/rsnn.nir"), &opts, &first)
            .unwrap_or_else(|e| panic!("{e}"));
        let graph = dir.path().join("back.nir");
        let exported = export_file(&first, &graph).unwrap_or_else(|e| panic!("{e}"));
        opts.input = exported.input.clone();
        let second = dir.path().join("second.toml");
        import_file(&graph, &opts, &second).unwrap_or_else(|e| panic!("{e}"));
        let count = same_spikes(&run(&first, "clock"), &run(&second, "clock"), &["lif2"]);
        assert!(count > 150, "{discretisation:?}: {count} spikes");
    }
}
