//! An imported graph in fixed point: the feed-forward layer exported, imported
//! back, quantized (`spikesim quantize`'s mapping) and run by the
//! fixed-point engine fires the spikes the float run of the imported model
//! fires (same neurons and counts; a step later at most: the chip's
//! pipeline), which the model's weights make robust to the rounding.

use spikesim::io::results::Results;

use crate::models;
use crate::roundtrip::export_and_import;

fn trains(r: &Results, pop: &str) -> Vec<(u32, u64)> {
    let s = r
        .spikes_of(pop)
        .unwrap_or_else(|| panic!("{pop} not recorded"));
    let mut t: Vec<(u32, u64)> = s
        .senders
        .iter()
        .copied()
        .zip(s.steps.iter().copied())
        .collect();
    t.sort_unstable();
    t
}

#[test]
fn imported_graph_runs_in_fixed_point_after_quantize() {
    let dir = tempfile::tempdir().unwrap();
    let (_, imported) = export_and_import(&models::feed_forward(), dir.path());
    let spec = spikesim::model::load(&imported, &[]).unwrap();
    let float = spikesim::engine::simulate(&spec, &mut |_, _| {});

    let q = spikesim::model::quantize::quantize(&spec).unwrap_or_else(|e| panic!("{e}"));
    let fixed_path = dir.path().join("fixed.toml");
    std::fs::write(&fixed_path, &q.text).unwrap();
    let fixed_spec = spikesim::model::load(&fixed_path, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(fixed_spec.fixed.is_some(), "quantize wrote a float model");
    let fixed = spikesim::engine::simulate(&fixed_spec, &mut |_, _| {});

    let (a, b) = (trains(&float, "a"), trains(&fixed, "a"));
    // One step after the second spike of each pair: 6 mV at 2 and 2.5 ms
    // (6 + 6 exp(-0.05) > 10 mV), 7 mV at 10 and 11 ms (onto neurons 1 and
    // 2), 6 mV at 20 and 20.5 ms; the lone spikes at 30, 40 and 50 ms stay
    // below threshold.
    let expected = [(0, 26), (1, 111), (2, 111), (2, 206)];
    assert_eq!(a, expected, "float spikes");
    assert_eq!(a.len(), b.len(), "float {a:?} vs fixed {b:?}");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.0, y.0, "float {a:?} vs fixed {b:?}");
        assert!(y.1 >= x.1 && y.1 <= x.1 + 1, "float {a:?} vs fixed {b:?}");
    }
}
