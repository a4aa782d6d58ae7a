//! Fixed-point mode against Lava's bit-accurate Loihi models: every case in
//! `tests/fixtures/lava/` (made by `make_fixtures.py` with lava-nc 0.10) is
//! replayed, and `u`, `v` and the spikes of every neuron must equal Lava's
//! at every step, with 1, 2 and 3 worker threads.

use std::collections::HashMap;
use std::path::Path;

use spikesim::io::results::Results;
use spikesim::model::validate::parse_model;

const CASES: &[&str] = &[
    "bias_decays",
    "dense_sign_modes",
    "weight_exponents",
    "weight_bits",
    "wrap_u",
    "wrap_u_decay",
    "saturate_v",
    "huge_input",
    "recurrent",
];

/// `(step, population, neuron) -> (u, v, spiked)` as Lava computed them.
type Expected = HashMap<(u64, String, u32), (i64, i64, bool)>;

fn expected(case: &str) -> Expected {
    let path = format!("tests/fixtures/lava/{case}.csv");
    let mut reader = csv::Reader::from_path(&path).expect("fixture exists");
    let mut out = HashMap::new();
    for row in reader.records() {
        let row = row.expect("a CSV row");
        let int = |i: usize| row[i].parse::<i64>().expect("an integer");
        out.insert(
            (int(0) as u64, row[1].to_string(), int(2) as u32),
            (int(3), int(4), int(5) == 1),
        );
    }
    out
}

fn run(case: &str, threads: u32) -> Results {
    let path = format!("tests/fixtures/lava/{case}.toml");
    let text = std::fs::read_to_string(&path).expect("fixture exists");
    let text = text.replace(
        "[simulation]\n",
        &format!("[simulation]\nthreads = {threads}\n"),
    );
    let spec = parse_model(Path::new(&path), &text).unwrap_or_else(|e| panic!("{e}"));
    spikesim::engine::simulate(&spec, &mut |_, _| {})
}

fn check(case: &str, results: &Results, expected: &Expected) {
    let mut compared = 0;
    let mut spikes = 0;
    for u in results.states.iter().filter(|s| s.variable == "u") {
        let v = results
            .state_of(&u.population, "v")
            .expect("v is recorded with u");
        assert!(u.integer && v.integer);
        let trains = results
            .spikes_of(&u.population)
            .expect("spikes are recorded");
        let fired: std::collections::HashSet<(u64, u32)> = trains
            .steps
            .iter()
            .copied()
            .zip(trains.senders.iter().copied())
            .collect();
        for (row, &step) in u.steps.iter().enumerate() {
            for (col, &n) in u.neurons.iter().enumerate() {
                let key = (step, u.population.clone(), n);
                let &(eu, ev, es) = expected
                    .get(&key)
                    .unwrap_or_else(|| panic!("{case}: no reference for {key:?}"));
                let at = row * u.neurons.len() + col;
                let (gu, gv) = (u.values[at] as i64, v.values[at] as i64);
                assert_eq!(
                    (gu, gv, fired.contains(&(step, n))),
                    (eu, ev, es),
                    "{case}: population {} neuron {n} step {step}: (u, v, spike) differ from Lava",
                    u.population
                );
                compared += 1;
                spikes += usize::from(es);
            }
        }
    }
    assert_eq!(
        compared,
        expected.len(),
        "{case}: every reference value is compared"
    );
    // No spike outside the reference either.
    let total: usize = results
        .spikes
        .iter()
        .filter(|s| results.state_of(&s.population, "u").is_some())
        .map(|s| s.len())
        .sum();
    assert_eq!(total, spikes, "{case}: spike counts");
}

#[test]
fn every_lava_case_matches_at_every_step_for_any_thread_count() {
    for case in CASES {
        let reference = expected(case);
        for threads in [1, 2, 3] {
            check(case, &run(case, threads), &reference);
        }
    }
}

#[test]
fn the_cases_exercise_what_they_are_named_for() {
    // Guards against fixtures that test nothing: spikes happen, u reaches
    // +2^23 and leaves 24 bits, v saturates.
    let all: Vec<(i64, i64, bool)> = CASES
        .iter()
        .flat_map(|c| expected(c).into_values())
        .collect();
    assert!(all.iter().filter(|x| x.2).count() > 1000);
    assert!(all.iter().any(|x| x.0 == 1 << 23));
    assert!(all.iter().any(|x| x.0 > 1 << 24));
    assert!(all.iter().any(|x| x.0 < -(1 << 24)));
    assert!(all.iter().any(|x| x.1 == (1 << 23) - 1));
    assert!(all.iter().any(|x| x.1 == -((1 << 23) - 1)));
}
