//! Reproducible random streams.
//!
//! Every consumer of randomness (a population's initial values, a Poisson
//! source, a projection's connectivity, weights and delays) gets its own PCG
//! stream, selected by a stable hash of its role and name. Adding a population
//! or a projection therefore never changes another one's random numbers, and
//! the streams do not depend on the order in which things are built or on the
//! number of threads.

use rand::RngExt;
use rand_distr::{Distribution, Normal};
use rand_pcg::Pcg64;

use crate::model::spec::ValueSpec;

/// FNV-1a: stable across platforms and compiler versions, unlike `DefaultHasher`.
pub fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// SplitMix64 finaliser, to spread seeds that differ in few bits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The stream for `role` ("init", "poisson", "connect", ...) of the object `name`.
pub fn stream(seed: u64, role: &str, name: &str) -> Pcg64 {
    let key = fnv1a(&[role, name]);
    let state = ((mix(seed) as u128) << 64) | mix(seed ^ key) as u128;
    let stream = ((key as u128) << 64) | mix(key) as u128;
    Pcg64::new(state, stream)
}

/// Draw `n` values from a value specification.
pub fn draw(spec: &ValueSpec, n: usize, rng: &mut Pcg64) -> Vec<f64> {
    let mut sampler = Sampler::new(spec);
    (0..n).map(|_| sampler.next(rng)).collect()
}

/// The values of a specification one at a time, in the order `draw` gives
/// them, for callers that should not hold them all at once.
pub struct Sampler<'a> {
    spec: &'a ValueSpec,
    normal: Option<Normal<f64>>,
    index: usize,
}

impl<'a> Sampler<'a> {
    pub fn new(spec: &'a ValueSpec) -> Self {
        let normal = match spec {
            ValueSpec::Normal { mean, std } => Normal::new(*mean, *std).ok(),
            _ => None,
        };
        Self {
            spec,
            normal,
            index: 0,
        }
    }

    pub fn next(&mut self, rng: &mut Pcg64) -> f64 {
        let value = match self.spec {
            ValueSpec::Constant(v) => *v,
            ValueSpec::Array(a) => a[self.index],
            ValueSpec::Uniform { low, high } => low + (high - low) * rng.random::<f64>(),
            ValueSpec::Normal { mean, .. } => self.normal.map_or(*mean, |n| n.sample(rng)),
        };
        self.index += 1;
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_depend_on_seed_role_and_name_only() {
        let a: u64 = stream(1, "init", "exc").random();
        let b: u64 = stream(1, "init", "exc").random();
        let c: u64 = stream(1, "init", "inh").random();
        let d: u64 = stream(2, "init", "exc").random();
        let e: u64 = stream(1, "poisson", "exc").random();
        assert_eq!(a, b);
        assert!(a != c && a != d && a != e && c != e);
    }

    #[test]
    fn uniform_draws_stay_in_bounds_with_the_right_mean() {
        let mut rng = stream(7, "test", "u");
        let xs = draw(
            &ValueSpec::Uniform {
                low: -2.0,
                high: 4.0,
            },
            100_000,
            &mut rng,
        );
        assert!(xs.iter().all(|x| (-2.0..4.0).contains(x)));
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        // Standard error of the mean: 6 / sqrt(12 * 1e5) ≈ 0.0055.
        assert!((mean - 1.0).abs() < 0.03, "{mean}");
    }
}
