//! Helpers shared by the learning tests.

use std::path::Path;

use spikesim::learn::net::Network;
use spikesim::learn::train::data::Prepared;
use spikesim::learn::train::experiment::parse_experiment;
use spikesim::learn::train::trainer::TrainState;

/// Each `(from, to, expected)`: `base` with its first `from` replaced by
/// `to` is refused by the experiment parser with an error that names
/// `path`, a line number and contains `expected`.
pub fn assert_located_errors(path: &Path, base: &str, cases: &[(&str, &str, &str)]) {
    for &(from, to, expected) in cases {
        assert!(base.contains(from), "{from}");
        let text = base.replacen(from, to, 1);
        let e = parse_experiment(path, &text).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}:", path.display())), "{e}");
        assert!(e.contains(expected), "{expected}: {e}");
        let line = e.split(':').nth(1).unwrap();
        assert!(line.parse::<usize>().is_ok(), "no line number in {e}");
    }
}

/// Test accuracy counted here from the network's read-out scores (each
/// sample run with its evaluation noise seed, the sample index), not by
/// `evaluate`.
pub fn counted_accuracy(net: &Network<f32>, test: &Prepared) -> f64 {
    let mut correct = 0;
    for i in 0..test.len() {
        let traces = net.forward_noisy(&test.input(i), test.steps, i as u64);
        let z = net.scores(traces.last().unwrap());
        let best = (0..z.len())
            .max_by(|&a, &b| z[a].total_cmp(&z[b]).then(b.cmp(&a)))
            .unwrap();
        correct += usize::from(best == test.labels[i]);
    }
    correct as f64 / test.len() as f64
}

/// The last row's test accuracy in `metrics.csv` under `dir`.
pub fn last_csv_test_accuracy(dir: &Path) -> f64 {
    let csv = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|&c| c == "test_accuracy").unwrap();
    let last = csv.lines().last().unwrap();
    last.split(',').nth(column).unwrap().parse().unwrap()
}

/// Every layer's parameters, copied.
pub fn params(state: &TrainState) -> Vec<Vec<f32>> {
    state
        .net
        .layers
        .iter()
        .flat_map(|l| l.params().into_iter().map(<[f32]>::to_vec))
        .collect()
}
