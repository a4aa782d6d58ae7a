//! A fixed-point network's workers, saved after a run and loaded into a
//! freshly built network, carry on as the original does.

use super::*;
use crate::engine::fixed::{load_fixed_workers, save_fixed_workers};
use crate::model::ModelSpec;

fn demo() -> (FixedModel, ModelSpec) {
    let spec = crate::model::load(std::path::Path::new("models/fixed_point_demo.toml"), &[])
        .unwrap_or_else(|e| panic!("{e}"));
    (spec.fixed.clone().expect("a fixed-point model"), spec)
}

fn outcome_bits(o: &Outcome) -> (Vec<Vec<u64>>, Vec<Vec<u64>>) {
    (
        o.spikes
            .iter()
            .map(|s| {
                s.senders
                    .iter()
                    .map(|&n| n as u64)
                    .chain(s.steps.iter().copied())
                    .collect()
            })
            .collect(),
        o.states
            .iter()
            .map(|s| s.values.iter().map(|v| v.to_bits()).collect())
            .collect(),
    )
}

#[test]
fn fixed_point_workers_resume_bit_for_bit() {
    let (model, spec) = demo();
    let build = || FixedNetwork::build(&model, spec.simulation.seed, spec.simulation.dt, 120, 2);
    let mut original = build();
    run(&mut original, &model.records, &mut |_| {});
    let blobs = save_fixed_workers(&mut original);

    let mut resumed = build();
    assert_ne!(save_fixed_workers(&mut resumed), blobs);
    load_fixed_workers(&mut resumed, &blobs).unwrap();
    assert_eq!(save_fixed_workers(&mut resumed), blobs);

    // Both run on from the same state with the same inputs (the pattern
    // starts again at step 1 in each); a fresh network does otherwise.
    let a = outcome_bits(&run(&mut original, &model.records, &mut |_| {}));
    let b = outcome_bits(&run(&mut resumed, &model.records, &mut |_| {}));
    let c = outcome_bits(&run(&mut build(), &model.records, &mut |_| {}));
    assert!(a == b, "the restored network went its own way");
    assert!(a != c, "the state after a run made no difference");

    let e = load_fixed_workers(
        &mut FixedNetwork::build(&model, spec.simulation.seed, spec.simulation.dt, 120, 3),
        &blobs,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "checkpoint: workers: expected 3, found 2");
}
