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

/// Streams of one role and object, one per element (e.g. a projection's
/// target neuron): `Keyed::new(seed, role, name).get(i)` depends on the
/// seed, role, name and `i` only, so any part of the elements can be
/// generated alone. Cheaper than `stream(seed, role, "name#i")`: the name
/// is hashed once.
#[derive(Debug, Clone, Copy)]
pub struct Keyed {
    seed: u64,
    key: u64,
}

impl Keyed {
    /// The streams of role `role` (e.g. "weights") and object `name` (e.g. a projection) under
    /// `seed`.
    pub fn new(seed: u64, role: &str, name: &str) -> Self {
        Self {
            seed,
            key: fnv1a(&[role, name, "#"]),
        }
    }

    /// The stream of element `index`.
    pub fn get(&self, index: u64) -> Pcg64 {
        let key = mix(self.key ^ mix(index));
        let state = ((mix(self.seed) as u128) << 64) | mix(self.seed ^ key) as u128;
        let stream = ((key as u128) << 64) | mix(key ^ self.key) as u128;
        Pcg64::new(state, stream)
    }
}

/// Draw `n` values from a value specification.
pub fn draw(spec: &ValueSpec, n: usize, rng: &mut Pcg64) -> Vec<f64> {
    let mut sampler = Sampler::new(spec);
    (0..n).map(|_| sampler.next(rng)).collect()
}

/// The values of a specification one at a time, in the order `draw` gives
/// them, for callers that should not hold them all at once.
#[derive(Clone)]
pub struct Sampler<'a> {
    spec: &'a ValueSpec,
    normal: Option<Normal<f64>>,
    /// A normal's bounds, when at least one is finite.
    bounds: Option<(f64, f64)>,
    /// Whether the bounds hold some probability (values are redrawn until
    /// inside), worked out once: it costs an `erfc`, which per value was
    /// a third of building a projection with bounded normal weights.
    redraw: bool,
    index: usize,
}

impl<'a> Sampler<'a> {
    /// A sampler of the values `spec` describes (a constant or a distribution).
    pub fn new(spec: &'a ValueSpec) -> Self {
        let (normal, bounds) = match spec {
            ValueSpec::Normal {
                mean,
                std,
                min,
                max,
            } => (
                Normal::new(*mean, *std).ok(),
                (min.is_finite() || max.is_finite()).then_some((*min, *max)),
            ),
            _ => (None, None),
        };
        let redraw = match (spec, bounds) {
            (
                ValueSpec::Normal {
                    mean,
                    std,
                    min,
                    max,
                },
                Some(_),
            ) => normal_mass(*mean, *std, *min, *max) > 0.0,
            _ => false,
        };
        Self {
            spec,
            normal,
            bounds,
            redraw,
            index: 0,
        }
    }

    /// Make the next value the array's entry `index` (array specs only;
    /// distributions ignore it).
    pub fn seek(&mut self, index: usize) {
        self.index = index;
    }

    /// The next value, drawn from `rng`, in SI units.
    pub fn next(&mut self, rng: &mut Pcg64) -> f64 {
        let value = match self.spec {
            ValueSpec::Constant(v) => *v,
            ValueSpec::Array(a) => a[self.index],
            ValueSpec::Uniform { low, high } => low + (high - low) * rng.random::<f64>(),
            ValueSpec::Normal {
                mean,
                std: _,
                min,
                max,
            } => match (self.normal, self.bounds) {
                (Some(n), None) => n.sample(rng),
                (Some(n), Some(_)) if self.redraw => loop {
                    let x = n.sample(rng);
                    if (*min..=*max).contains(&x) {
                        break x;
                    }
                },
                // Validation refuses bounds without mass; were they given
                // anyway, the nearest bound instead of an endless loop.
                _ => mean.clamp(*min, *max),
            },
        };
        self.index += 1;
        value
    }
}

/// The probability that a normal value with `mean` and `std` lies in
/// `[min, max]`, to a relative error of about 1e-7 even far in a tail.
pub fn normal_mass(mean: f64, std: f64, min: f64, max: f64) -> f64 {
    if min > max {
        return 0.0;
    }
    if std <= 0.0 {
        return if (min..=max).contains(&mean) {
            1.0
        } else {
            0.0
        };
    }
    let (a, b) = ((min - mean) / std, (max - mean) / std);
    // Differences of the tail that holds the interval, so that a mass far
    // out is not lost to rounding against 1.
    if a >= 0.0 {
        upper_tail(a) - upper_tail(b)
    } else if b <= 0.0 {
        upper_tail(-b) - upper_tail(-a)
    } else {
        1.0 - upper_tail(-a) - upper_tail(b)
    }
}

/// P(Z > z) for a standard normal Z.
fn upper_tail(z: f64) -> f64 {
    if z == f64::INFINITY {
        0.0
    } else if z == f64::NEG_INFINITY {
        1.0
    } else {
        0.5 * erfc(z / std::f64::consts::SQRT_2)
    }
}

/// The complementary error function, by the Chebyshev fit of Press et al.,
/// Numerical Recipes (2nd ed.), §6.2: relative error below 1.2e-7.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * (-z * z + poly).exp();
    if x >= 0.0 { r } else { 2.0 - r }
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

    fn normal(mean: f64, std: f64, min: f64, max: f64) -> ValueSpec {
        ValueSpec::Normal {
            mean,
            std,
            min,
            max,
        }
    }

    /// Sample mean and variance of `n` draws, all within `[lo, hi]`.
    fn moments(spec: &ValueSpec, n: usize, lo: f64, hi: f64) -> (f64, f64) {
        let xs = draw(spec, n, &mut stream(11, "test", "truncated"));
        assert!(
            xs.iter().all(|x| (lo..=hi).contains(x)),
            "redrawn inside the bounds"
        );
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
        (mean, var)
    }

    #[test]
    fn redrawn_normals_have_the_truncated_normal_moments() {
        // Closed forms of the truncated normal (a = (min - mean) / std,
        // b = (max - mean) / std, Z = Φ(b) - Φ(a)):
        //   mean + std (φ(a) - φ(b)) / Z,
        //   std² [1 + (a φ(a) - b φ(b)) / Z - ((φ(a) - φ(b)) / Z)²],
        // evaluated by tests/fixtures/redraw/truncated_normal.py (math.erf).
        let n = 200_000;
        let cases = [
            // (mean, std, min, max, Z, truncated mean, truncated variance)
            (
                1.0,
                2.0,
                0.0,
                3.0,
                0.532_807_207,
                1.413_262_436,
                0.691_093_036,
            ),
            (
                0.0,
                1.0,
                0.5,
                f64::INFINITY,
                0.308_537_539,
                1.141_077_770,
                0.268_480_407,
            ),
            // The microcircuit's delays: 1.5 ms ± 0.75 ms, at least 0.1 ms.
            (
                1.5,
                0.75,
                0.1,
                f64::INFINITY,
                0.969_025_924,
                1.554_075_238,
                0.483_870_536,
            ),
        ];
        for (mean, std, min, max, z, t_mean, t_var) in cases {
            assert!((normal_mass(mean, std, min, max) - z).abs() < 1e-7 * z.max(1e-3));
            let (m, v) = moments(&normal(mean, std, min, max), n, min, max);
            let se_mean = (t_var / n as f64).sqrt();
            assert!((m - t_mean).abs() < 5.0 * se_mean, "mean {m} vs {t_mean}");
            // The variance's standard error is below sd² sqrt(2/n) · 1.5
            // for these light-tailed laws.
            let se_var = 1.5 * t_var * (2.0 / n as f64).sqrt();
            assert!((v - t_var).abs() < 5.0 * se_var, "variance {v} vs {t_var}");
        }
    }

    #[test]
    fn normal_mass_keeps_far_tails() {
        // Φ(-4.753424) = 1.00000153e-6 (tests/fixtures/redraw/truncated_normal.py);
        // the same tail on either side.
        let tail = normal_mass(0.0, 1.0, f64::NEG_INFINITY, -4.753424);
        assert!((tail / 1.000_001_53e-6 - 1.0).abs() < 1e-6, "{tail}");
        let other = normal_mass(10.0, 2.0, 10.0 + 2.0 * 4.753424, f64::INFINITY);
        assert!((other / tail - 1.0).abs() < 1e-9);
        assert_eq!(normal_mass(0.0, 0.0, 1.0, 2.0), 0.0);
        assert_eq!(normal_mass(1.5, 0.0, 1.0, 2.0), 1.0);
    }

    #[test]
    fn keyed_streams_differ_by_index_role_and_name() {
        let first = |seed, role, name, i| -> u64 { Keyed::new(seed, role, name).get(i).random() };
        let a = first(1, "connect", "p", 7);
        assert_eq!(a, first(1, "connect", "p", 7));
        let others = [
            first(1, "connect", "p", 8),
            first(1, "connect", "q", 7),
            first(1, "weight", "p", 7),
            first(2, "connect", "p", 7),
        ];
        assert!(others.iter().all(|&o| o != a), "{a} {others:?}");
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
