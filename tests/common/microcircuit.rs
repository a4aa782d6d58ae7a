#![allow(dead_code)]
//! Statistics of the microcircuit's spikes, computed here from the spike
//! trains alone (not with spikesim's own rate code), the way
//! tests/fixtures/microcircuit/make_nest_reference.py computes NEST's:
//! over the recorded second after 0.5 s of presimulation, i.e. grid points
//! 5001..=15000 of 0.1 ms (NEST's recorder keeps start < t <= stop):
//! - rate: spikes / (neurons * 1 s), silent neurons included;
//! - cv: mean over neurons with at least 3 spikes of std(ISI) / mean(ISI)
//!   (population standard deviation);
//! - fano: variance / mean of the population's spike counts in 1 ms bins
//!   (population variance).

use std::path::Path;

use spikesim::io::results::SpikeTrains;

pub const POPULATIONS: [&str; 8] = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"];
/// First and last grid point of the recorded second (dt = 0.1 ms).
pub const FIRST: u64 = 5001;
pub const LAST: u64 = 15000;

#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub rate: f64,
    pub cv: f64,
    pub fano: f64,
}

pub fn stats(trains: &SpikeTrains) -> Stats {
    let n = trains.size as usize;
    let mut per_neuron: Vec<Vec<u64>> = vec![Vec::new(); n];
    let mut bins = vec![0.0f64; 1000];
    let mut total = 0usize;
    for (&k, &i) in trains.steps.iter().zip(&trains.senders) {
        if !(FIRST..=LAST).contains(&k) {
            continue;
        }
        total += 1;
        per_neuron[i as usize].push(k);
        bins[((k - FIRST) / 10) as usize] += 1.0;
    }
    let mut cvs = Vec::new();
    for times in &mut per_neuron {
        if times.len() < 3 {
            continue;
        }
        times.sort_unstable();
        let isi: Vec<f64> = times.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
        let m = isi.iter().sum::<f64>() / isi.len() as f64;
        let v = isi.iter().map(|x| (x - m).powi(2)).sum::<f64>() / isi.len() as f64;
        cvs.push(v.sqrt() / m);
    }
    let mean_bin = bins.iter().sum::<f64>() / bins.len() as f64;
    let var_bin = bins.iter().map(|b| (b - mean_bin).powi(2)).sum::<f64>() / bins.len() as f64;
    Stats {
        rate: total as f64 / n as f64,
        cv: if cvs.is_empty() {
            f64::NAN
        } else {
            cvs.iter().sum::<f64>() / cvs.len() as f64
        },
        fano: if mean_bin > 0.0 {
            var_bin / mean_bin
        } else {
            f64::NAN
        },
    }
}

/// NEST's figures per population over seeds: `(mean, sample std, min, max)`
/// of rate, cv and fano, from a `*_stats.csv` fixture.
pub struct Reference {
    pub seeds: usize,
    pub rows: Vec<(String, [Spread; 3])>,
}

#[derive(Debug, Clone, Copy)]
pub struct Spread {
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
}

fn spread(xs: &[f64]) -> Spread {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    Spread {
        mean,
        std: var.sqrt(),
        min: xs.iter().copied().fold(f64::INFINITY, f64::min),
        max: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}

pub fn reference(path: &Path) -> Reference {
    let text = std::fs::read_to_string(path).unwrap();
    let mut seeds = std::collections::BTreeSet::new();
    let rows = POPULATIONS
        .iter()
        .map(|&pop| {
            let mut cols = [Vec::new(), Vec::new(), Vec::new()];
            for line in text.lines().skip(1) {
                let f: Vec<&str> = line.split(',').collect();
                if f[1] != pop {
                    continue;
                }
                seeds.insert(f[0].to_string());
                for c in 0..3 {
                    cols[c].push(f[2 + c].parse::<f64>().unwrap());
                }
            }
            (
                pop.to_string(),
                [spread(&cols[0]), spread(&cols[1]), spread(&cols[2])],
            )
        })
        .collect();
    Reference {
        seeds: seeds.len(),
        rows,
    }
}
