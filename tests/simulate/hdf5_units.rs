//! Units and layouts stated in the results file (issue 18, §3): every
//! floating-point dataset carries a `unit`, every time is in seconds, each
//! state variable and weight matrix says which axis is which, and
//! fixed-point state says its scale. Read with the HDF5 library directly,
//! as h5py or HDFView would, from files the `spikesim` command wrote.

use std::path::{Path, PathBuf};
use std::process::Command;

use hdf5::types::{TypeDescriptor, VarLenUnicode};

/// Runs `model` with `--set` overrides into `<dir>/<name>.h5`.
fn run(dir: &Path, name: &str, model: &str, sets: &[&str]) -> PathBuf {
    let out = dir.join(format!("{name}.h5"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_spikesim"));
    command
        .args(["run", model, "--no-plots", "--out"])
        .arg(&out);
    for set in sets {
        command.args(["--set", set]);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{model}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

fn text(location: &hdf5::Location, name: &str) -> String {
    let value: VarLenUnicode = location
        .attr(name)
        .unwrap_or_else(|e| panic!("{}: no attribute `{name}`: {e}", location.name()))
        .read_scalar()
        .unwrap();
    value.as_str().to_string()
}

/// Every dataset of the file, by its full name.
fn datasets(group: &hdf5::Group) -> Vec<hdf5::Dataset> {
    let mut found = group.datasets().unwrap();
    for child in group.groups().unwrap() {
        found.extend(datasets(&child));
    }
    found
}

fn is_float(dataset: &hdf5::Dataset) -> bool {
    matches!(
        dataset.dtype().unwrap().to_descriptor().unwrap(),
        TypeDescriptor::Float(_)
    )
}

/// Each float dataset has a `unit`; each `times` is in seconds, in the step
/// its `steps` gives (so "s" is the truth, not a label); each 2-D dataset
/// states a layout whose axes have the lengths of the datasets that name
/// them; the root's times say their unit beside them.
fn check_units_and_layouts(path: &Path) -> hdf5::File {
    let file = hdf5::File::open(path).unwrap();
    let dt = file.attr("dt").unwrap().read_scalar::<f64>().unwrap();
    for name in ["dt", "duration", "build_seconds", "simulate_seconds"] {
        assert_eq!(text(&file, &format!("{name}_unit")), "s", "{name}");
    }
    for dataset in datasets(&file) {
        let name = dataset.name();
        if is_float(&dataset) {
            assert!(
                dataset.attr_names().unwrap().contains(&"unit".to_string()),
                "{name} has no unit"
            );
        }
        let (group, last) = name.rsplit_once('/').unwrap();
        let group = file.group(group).unwrap();
        if last == "times" {
            assert_eq!(text(&dataset, "unit"), "s", "{name}");
            let times = dataset.read_raw::<f64>().unwrap();
            let steps = group.dataset("steps").unwrap().read_raw::<u64>().unwrap();
            assert_eq!(times.len(), steps.len());
            // The event engine keeps exact spike times: within the step
            // that ends at `step * dt`; samples lie on the grid.
            let exact = name.starts_with("/spikes/");
            for (t, s) in times.iter().zip(&steps) {
                let end = *s as f64 * dt;
                let start = if exact { end - dt } else { end };
                assert!(
                    (start - 1e-12..=end + 1e-12).contains(t),
                    "{name}: {t} s at step {s}"
                );
            }
        }
        if dataset.ndim() == 2 {
            let rows = group.dataset("times").unwrap().size();
            let (layout, columns) = if name.starts_with("/state/") {
                ("time x neuron", group.dataset("neurons").unwrap().size())
            } else {
                ("snapshot x synapse", group.dataset("pre").unwrap().size())
            };
            assert_eq!(text(&dataset, "layout"), layout, "{name}");
            assert_eq!(dataset.shape(), vec![rows, columns], "{name}");
        }
    }
    file
}

#[test]
fn float_state_weights_and_times_carry_units_and_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let path = run(
        dir.path(),
        "pattern",
        "models/pattern_driven.toml",
        &["simulation.duration=\"50 ms\""],
    );
    let file = check_units_and_layouts(&path);
    // The membrane potential is in volts (values of a LIF between reset
    // and threshold), the synaptic current in amperes.
    let v = file.dataset("state/cells/v").unwrap();
    assert_eq!(text(&v, "unit"), "V");
    assert!(
        v.read_raw::<f64>()
            .unwrap()
            .iter()
            .all(|x| (-0.1..-0.03).contains(x))
    );
    assert_eq!(
        text(&file.dataset("state/cells/i_syn_e").unwrap(), "unit"),
        "A"
    );
    assert!(
        v.attr("scale").is_err(),
        "float state has no fixed-point scale"
    );

    let path = run(
        dir.path(),
        "stdp",
        "models/stdp_song2000.toml",
        &[
            "simulation.duration=\"1 s\"",
            "record.0.interval=\"0.25 s\"",
        ],
    );
    let file = check_units_and_layouts(&path);
    let values = file.dataset("weights/stdp/values").unwrap();
    assert_eq!(text(&values, "unit"), "V");
    // Weights drawn uniform in [0, 2 mV] and kept there by STDP's bounds: volts.
    let w = values.read_raw::<f64>().unwrap();
    assert!(!w.is_empty() && w.iter().all(|x| (0.0..=2e-3).contains(x)));
}

#[test]
fn fixed_point_state_states_its_scale() {
    let dir = tempfile::tempdir().unwrap();
    let path = run(dir.path(), "fixed", "models/fixed_point_demo.toml", &[]);
    let file = check_units_and_layouts(&path);
    let state = file.group("state").unwrap();
    let mut integer = 0;
    for population in state.groups().unwrap() {
        for dataset in population.datasets().unwrap() {
            if dataset.ndim() != 2 {
                continue;
            }
            assert!(
                matches!(
                    dataset.dtype().unwrap().to_descriptor().unwrap(),
                    TypeDescriptor::Integer(_)
                ),
                "{}: fixed-point state is integer",
                dataset.name()
            );
            let scale = dataset.attr("scale").unwrap().read_scalar::<f64>().unwrap();
            assert_eq!(scale, 1.0, "{}: the chip's own integers", dataset.name());
            assert_eq!(text(&dataset, "unit"), "", "{}", dataset.name());
            integer += 1;
        }
    }
    assert!(integer >= 3, "u and v of one population, v of another");
}

/// The library's reader reads a file with the new attributes as before:
/// the state's values and unit come back unchanged.
#[test]
fn attributes_do_not_change_what_the_reader_returns() {
    let dir = tempfile::tempdir().unwrap();
    let path = run(
        dir.path(),
        "pattern",
        "models/pattern_driven.toml",
        &["simulation.duration=\"20 ms\""],
    );
    let results = spikesim::io::hdf5::read_results(&path).unwrap();
    let v = results.state_of("cells", "v").unwrap();
    assert_eq!(v.unit, "V");
    let file = hdf5::File::open(&path).unwrap();
    let raw = file
        .dataset("state/cells/v")
        .unwrap()
        .read_raw::<f64>()
        .unwrap();
    assert_eq!(v.values, raw);
}
