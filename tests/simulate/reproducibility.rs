//! Same seed, same model: same spikes, bit for bit. Randomness is keyed by
//! name, so adding a population or projection leaves the others' alone.

use crate::common;

const BASE: &str = r#"
[simulation]
dt = "0.1 ms"
duration = "300 ms"
seed = 42

[[population]]
name = "drive"
size = 200
model = "poisson"
params = { rate = { uniform = ["5 Hz", "30 Hz"] } }

[[population]]
name = "cells"
size = 300
model = "cuba_lif"
params = { tau_m = "20 ms", v_rest = "-60 mV", v_reset = "-65 mV", v_th = "-50 mV", t_ref = "2 ms", tau_syn = "5 ms" }
init = { v = { uniform = ["-65 mV", "-50 mV"] } }

[[projection]]
from = "drive"
to = "cells"
connect = { fixed_probability = 0.1 }
weight = { normal = { mean = "6 mV", std = "1 mV" } }
delay = { uniform = ["0.5 ms", "3 ms"] }

[[projection]]
from = "cells"
to = "cells"
connect = { fixed_indegree = 20 }
weight = "-1 mV"
delay = "1 ms"
"#;

const EXTRA: &str = r#"
[[population]]
name = "other"
size = 50
model = "poisson"
params = { rate = "40 Hz" }

[[projection]]
from = "other"
to = "other2"
connect = "all_to_all"
weight = "1 mV"

[[population]]
name = "other2"
size = 10
model = "lif"
params = { tau_m = "10 ms", v_rest = "-70 mV", v_th = "-60 mV" }
init = { v = { uniform = ["-70 mV", "-60 mV"] } }
"#;

#[test]
fn same_seed_gives_identical_spikes() {
    let a = common::simulate(BASE);
    let b = common::simulate(BASE);
    assert_eq!(a.spikes, b.spikes);
    assert!(
        a.spikes_of("cells").unwrap().len() > 100,
        "the network is active"
    );
}

#[test]
fn another_seed_gives_other_spikes() {
    let a = common::simulate(BASE);
    let b = common::simulate(&BASE.replace("seed = 42", "seed = 43"));
    assert_ne!(a.spikes_of("drive"), b.spikes_of("drive"));
    assert_ne!(a.spikes_of("cells"), b.spikes_of("cells"));
}

#[test]
fn adding_unconnected_populations_changes_nothing_else() {
    // The extra populations are placed in the middle of the file too, to
    // show that order does not matter either.
    let a = common::simulate(BASE);
    let with_extra = BASE.replace(
        "[[projection]]\nfrom = \"drive\"",
        &format!("{EXTRA}\n[[projection]]\nfrom = \"drive\""),
    );
    let b = common::simulate(&with_extra);
    assert_eq!(a.spikes_of("drive"), b.spikes_of("drive"));
    assert_eq!(a.spikes_of("cells"), b.spikes_of("cells"));
    assert!(!b.spikes_of("other").unwrap().is_empty());
}

#[test]
fn changing_one_projection_leaves_the_other_connectivity_alone() {
    let spec_a = common::spec(BASE);
    let spec_b = common::spec(&BASE.replace("weight = \"-1 mV\"", "weight = \"-2 mV\""));
    let (a, b) = (
        spikesim::engine::network::Network::build(&spec_a),
        spikesim::engine::network::Network::build(&spec_b),
    );
    assert_eq!(a.synapses(0), b.synapses(0));
    let pairs = |n: &spikesim::engine::network::Network| {
        n.synapses(1)
            .iter()
            .map(|s| (s.pre, s.post))
            .collect::<Vec<_>>()
    };
    let weights = |n: &spikesim::engine::network::Network| {
        n.synapses(1).iter().map(|s| s.weight).collect::<Vec<_>>()
    };
    assert_eq!(pairs(&a), pairs(&b));
    assert_ne!(weights(&a), weights(&b));
}

/// Same seed, same model: the same spikes and samples, bit for bit, with
/// 1, 2, 3 or 8 worker threads.
#[test]
fn thread_count_changes_nothing() {
    let model = format!(
        "{BASE}\n[[record]]\npopulation = \"cells\"\nvariables = [\"v\", \"i_syn_e\"]\nneurons = [0, 150, 299]\n"
    );
    let run = |threads: u32| {
        let mut spec = common::spec(&model);
        spec.simulation.threads = threads;
        spikesim::engine::simulate(&spec, &mut |_, _| {})
    };
    let one = run(1);
    assert!(one.spikes_of("cells").unwrap().len() > 100);
    for threads in [2, 3, 8] {
        let other = run(threads);
        assert_eq!(other.info.threads, threads);
        assert_eq!(one.spikes, other.spikes, "{threads} threads");
        assert_eq!(one.states, other.states, "{threads} threads");
        assert_eq!(one.info.synaptic_events, other.info.synaptic_events);
    }
}

/// A record without a neuron list covers the whole population, each neuron
/// in its own column whatever slice of it a thread owns: a population of
/// 1200 is cut into slices (slices are whole multiples of 512 neurons), and
/// each neuron's trace starts at its own initial potential.
#[test]
fn whole_population_records_keep_their_columns_across_threads() {
    let model = r#"
[simulation]
dt = "0.1 ms"
duration = "5 ms"
seed = 7

[[population]]
name = "cells"
size = 1200
model = "lif"
params = { tau_m = "20 ms", v_rest = "-70 mV", v_th = "-50 mV" }
init = { v = { uniform = ["-69 mV", "-51 mV"] } }

[[record]]
population = "cells"
variables = ["v"]
"#;
    let run = |threads: u32| {
        let mut spec = common::spec(model);
        spec.simulation.threads = threads;
        spikesim::engine::simulate(&spec, &mut |_, _| {})
    };
    let one = run(1);
    let v0 = |r: &spikesim::io::results::Results| -> Vec<f64> {
        let s = &r.states[0];
        (0..1200).map(|n| s.values[n]).collect()
    };
    // Free decay from distinct starts: no neuron's first sample is the rest
    // potential or zero, the initial values are all different.
    let first = v0(&one);
    assert!(
        first.iter().all(|&v| (-0.069..=-0.051).contains(&v)),
        "{first:?}"
    );
    for threads in [2, 3] {
        let other = run(threads);
        assert_eq!(other.info.threads, threads);
        assert_eq!(one.states, other.states, "{threads} threads");
    }
}
