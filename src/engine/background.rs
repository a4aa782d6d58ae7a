//! Per-neuron Poisson background on the clock grid, without synapses.
//!
//! `indegree` independent Poisson sources of `rate` each sum to one Poisson
//! process of `rate * indegree`; its number of events in one step is
//! Poisson with mean `lambda = rate * indegree * dt`. Each neuron draws that
//! number every step from its own stream (keyed by population name and
//! neuron index, so the draws do not depend on how the population is split
//! between workers or ranks) and receives it as one event of
//! `count * weight` at the step's end, like a spike arriving then. NEST's
//! `poisson_generator` draws the same law per target and step.

use rand::RngExt;
use rand_distr::{Distribution, Poisson};
use rand_pcg::Pcg64;

use crate::engine::persist::{Persist, Snapshot};
use crate::engine::rng;
use crate::model::spec::BackgroundSpec;
use crate::synapse::Arrival;

/// Above this mean, inversion walks too far: the counts come from
/// `rand_distr`'s rejection sampler instead.
const INVERSION_LIMIT: f64 = 30.0;

/// Poisson background input to one port of a slice of neurons: a count of input spikes per
/// neuron and step, drawn from keyed random streams, times a weight.
pub struct Background {
    /// Index of the target port in the slice's inputs.
    pub port: usize,
    weight: f64,
    law: Law,
    streams: Vec<Pcg64>,
}

enum Law {
    /// The cumulative distribution `P(X <= k)` for `k = 0..=cap`, for
    /// inversion. Worked out once, with the very operations the draw used
    /// to repeat for every neuron and step (`p *= mean / k; cdf += p`), so
    /// the counts are the same and a draw costs comparisons only.
    Inversion {
        cdf: Vec<f64>,
    },
    Rejection(Poisson<f64>),
    Silent,
}

impl Law {
    fn new(mean: f64) -> Self {
        if mean <= 0.0 {
            Law::Silent
        } else if mean < INVERSION_LIMIT {
            Law::Inversion {
                cdf: inversion_table(mean),
            }
        } else {
            // Validation caps the mean far below rand_distr's limit.
            Poisson::new(mean).map_or(Law::Silent, Law::Rejection)
        }
    }

    fn draw(&self, rng: &mut Pcg64) -> u64 {
        match self {
            Law::Silent => 0,
            Law::Rejection(p) => p.sample(rng) as u64,
            Law::Inversion { cdf } => {
                // Smallest k with P(X <= k) >= u, at most the table's last
                // index (the cap only guards against rounding in the far
                // tail, u within 1e-16 of 1).
                let u: f64 = rng.random::<f64>();
                let last = cdf.len() - 1;
                let mut k = 0;
                while k < last && u > cdf[k] {
                    k += 1;
                }
                k as u64
            }
        }
    }
}

/// `P(X <= k)` of a Poisson law with `mean` for `k = 0..=cap`.
fn inversion_table(mean: f64) -> Vec<f64> {
    let cap = (mean + 40.0 * mean.sqrt() + 40.0) as u64;
    let p0 = (-mean).exp();
    let (mut p, mut cdf) = (p0, p0);
    let mut table = vec![cdf];
    for k in 1..=cap {
        p *= mean / k as f64;
        cdf += p;
        table.push(cdf);
    }
    table
}

impl Background {
    /// The background of neurons `offset..offset + len` of population `name`.
    pub fn new(
        spec: &BackgroundSpec,
        port: usize,
        name: &str,
        offset: u32,
        len: u32,
        seed: u64,
        dt: f64,
    ) -> Self {
        Self {
            port,
            weight: spec.weight,
            law: Law::new(spec.events_per_step(dt)),
            streams: (offset..offset + len)
                .map(|i| rng::stream(seed, "background", &format!("{name}#{i}")))
                .collect(),
        }
    }

    /// Append this step's events, one per neuron that receives any, in
    /// neuron order (`slot` holds what arrives at the end of the step).
    pub fn add(&mut self, slot: &mut Vec<Arrival>) {
        for (i, rng) in self.streams.iter_mut().enumerate() {
            let count = self.law.draw(rng);
            if count > 0 {
                slot.push(Arrival {
                    target: i as u32,
                    weight: (count as f64 * self.weight) as f32,
                });
            }
        }
    }
}

/// The streams are the state; the law and weight come from the model.
impl Persist for Background {
    fn persist(&mut self, s: &mut Snapshot) {
        s.tag("background");
        s.same("port", &mut self.port);
        s.rngs(&mut self.streams);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table gives exactly the counts of inverting step by step, the
    /// cumulative sum worked out afresh for every draw.
    #[test]
    fn table_inversion_gives_the_stepwise_counts() {
        for mean in [0.128, 1.28, 2.32, 29.0] {
            let law = Law::new(mean);
            let (mut a, mut b) = (rng::stream(5, "test", "bg"), rng::stream(5, "test", "bg"));
            let cap = (mean + 40.0 * mean.sqrt() + 40.0) as u64;
            for _ in 0..100_000 {
                let u: f64 = b.random::<f64>();
                let (mut k, mut p, mut cdf) = (0u64, (-mean).exp(), (-mean).exp());
                while u > cdf && k < cap {
                    k += 1;
                    p *= mean / k as f64;
                    cdf += p;
                }
                assert_eq!(law.draw(&mut a), k, "mean {mean}, u {u}");
            }
            // u just below 1: the cap, as before.
            let top = Law::new(mean);
            if let Law::Inversion { cdf } = &top {
                assert_eq!(cdf.len() as u64, cap + 1);
            }
        }
    }

    /// Mean and variance of the counts against the Poisson law's (both
    /// equal to the mean), for the inversion and the rejection sampler.
    #[test]
    fn counts_have_poisson_mean_and_variance() {
        for mean in [0.128, 1.28, 2.32, 45.0] {
            let law = Law::new(mean);
            let mut rng = rng::stream(3, "test", "background");
            let n = 200_000;
            let xs: Vec<f64> = (0..n).map(|_| law.draw(&mut rng) as f64).collect();
            let m = xs.iter().sum::<f64>() / n as f64;
            let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
            // Standard errors: sqrt(mean / n) for the mean, about
            // mean * sqrt(2 / n) for the variance; 5 of each.
            assert!(
                (m - mean).abs() < 5.0 * (mean / n as f64).sqrt(),
                "{mean}: {m}"
            );
            assert!(
                (v - mean).abs()
                    < 5.0 * mean * (2.0 / n as f64).sqrt() + 5.0 * (mean / n as f64).sqrt(),
                "{mean}: {v}"
            );
            // P(X = 0) = exp(-mean).
            let zeros = xs.iter().filter(|&&x| x == 0.0).count() as f64 / n as f64;
            let p0 = (-mean).exp();
            assert!((zeros - p0).abs() < 5.0 * (p0 * (1.0 - p0) / n as f64).sqrt() + 1e-9);
        }
    }
}
