//! The programs in `examples/` do what they say: their functions are
//! compiled in here from the same source files and checked against closed
//! forms and against the results file they read.

use std::path::Path;

#[path = "../../examples/simulate.rs"]
mod simulate_example;

#[path = "../../examples/read_results.rs"]
mod read_results_example;

#[test]
fn simulate_example_counts_match_the_closed_forms() {
    let counts =
        simulate_example::spike_counts(Path::new("built-in.toml"), simulate_example::MODEL)
            .unwrap();
    let names: Vec<&str> = counts.iter().map(|c| c.population.as_str()).collect();
    assert_eq!(names, ["input", "driven"]);
    // 100 Poisson neurons at 50 Hz for 0.2 s: 1000 spikes expected,
    // standard deviation sqrt(1000) ~ 32; 5 of them allowed.
    let input = &counts[0];
    assert!(
        (840..=1160).contains(&input.spikes),
        "{} input spikes",
        input.spikes
    );
    assert!((input.rate - input.spikes as f64 / (100.0 * 0.2)).abs() < 1e-9);
    // A LIF on a constant current fires every t_ref + tau_m ln(d / (d - 15 mV))
    // with d = r_m i_e = 20 mV; three neurons, 0.2 s.
    let period = 2e-3 + 10e-3 * (20.0f64 / 5.0).ln();
    let per_neuron = (0.2 / period).floor() as usize;
    let driven = &counts[1];
    assert!(
        driven.spikes.abs_diff(3 * per_neuron) <= 3,
        "{} driven spikes, {} expected",
        driven.spikes,
        3 * per_neuron
    );
}

#[test]
fn read_results_example_summarises_the_file() {
    // The example's model, recording the driven neurons' potential too.
    let text = format!(
        "{}\n[[record]]\npopulation = \"driven\"\nvariables = [\"v\"]\n",
        simulate_example::MODEL
    );
    let spec = spikesim::model::validate::parse_model(Path::new("built-in.toml"), &text).unwrap();
    let results = spikesim::engine::simulate(&spec, &mut |_, _| {});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.h5");
    spikesim::io::hdf5::write_results(&path, &results).unwrap();
    let text = read_results_example::summary(&path).unwrap();
    let input = results.spikes_of("input").unwrap().len();
    let driven = results.spikes_of("driven").unwrap().len();
    assert!(text.contains("0.2 s simulated at dt = 0.0001 s"), "{text}");
    assert!(
        text.contains(&format!("spikes input: 100 neurons, {input} spikes")),
        "{text}"
    );
    assert!(
        text.contains(&format!("spikes driven: 3 neurons, {driven} spikes")),
        "{text}"
    );
    // 2000 samples of the three neurons' potential, in volts.
    assert!(
        text.contains("state driven/v: 2000 samples x 3 neurons, unit \"V\""),
        "{text}"
    );
    assert!(read_results_example::summary(&dir.path().join("missing.h5")).is_err());
}
