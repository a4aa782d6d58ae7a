//! A network's saved state after a clock-engine run: it loads into a
//! freshly built network of the same model; other models, sizes and thread
//! counts are refused.

use crate::engine::network::{Network, load_workers, save_workers};
use crate::engine::persist::tests::plastic_network;

/// A network after a run: every worker's state saves, loads into a freshly
/// built network of the same model (whose own state differs) and saves
/// again to the same bytes; other models, sizes and thread counts are refused.
#[test]
fn networks_round_trip_and_refuse_other_models() {
    let spec = plastic_network(60, 2, "clock");
    let mut net = Network::build_for(&spec, 2);
    crate::engine::clock::try_run(&mut net, &spec.records, &mut |_| {}).unwrap();
    let blobs = save_workers(&mut net);
    assert_eq!(blobs.len(), 2);

    let mut fresh = Network::build_for(&spec, 2);
    let fresh_blobs = save_workers(&mut fresh);
    assert_ne!(fresh_blobs, blobs);
    load_workers(&mut fresh, &blobs).unwrap();
    assert_eq!(save_workers(&mut fresh), blobs);
    // The run moved weights, which came along (its snapshots went to the
    // results, as a segmented run's do before a checkpoint).
    let plastic = |n: &Network| {
        n.workers
            .iter()
            .flat_map(|w| w.parts[0].iter())
            .map(|p| p.plastic.clone().unwrap())
            .collect::<Vec<_>>()
    };
    for (a, b) in plastic(&net).iter().zip(plastic(&fresh)) {
        assert_eq!(a.snapshots, b.snapshots);
        assert_eq!(a.weights, b.weights);
    }

    let e = load_workers(&mut Network::build_for(&spec, 1), &blobs).unwrap_err();
    assert_eq!(e.to_string(), "checkpoint: workers: expected 1, found 2");
    let other = plastic_network(64, 2, "clock");
    let e = load_workers(&mut Network::build_for(&other, 2), &blobs).unwrap_err();
    assert!(
        e.to_string().contains("neurons: expected 64, found 60"),
        "{e}"
    );
    let mut cut = blobs.clone();
    let half = cut[1].len() / 2;
    cut[1].truncate(half);
    let e = load_workers(&mut Network::build_for(&spec, 2), &cut).unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
}
