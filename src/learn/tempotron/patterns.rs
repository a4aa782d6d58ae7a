//! Poisson input patterns: spike times of many afferents over a fixed
//! window, and labelled pattern classes made of jittered prototypes.

use rand::RngExt;
use rand_distr::{Distribution, Normal};
use rand_pcg::Pcg64;

/// Spike times (seconds, sorted) of each afferent in `[0, duration)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// Length of the pattern, seconds.
    pub duration: f64,
    /// Spike times of each afferent, seconds.
    pub afferents: Vec<Vec<f64>>,
}

/// A homogeneous Poisson train per afferent (exponential intervals).
pub fn poisson(afferents: usize, duration: f64, rate: f64, rng: &mut Pcg64) -> Pattern {
    let afferents = (0..afferents)
        .map(|_| {
            let mut times = Vec::new();
            let mut t = 0.0;
            loop {
                t += -(1.0 - rng.random::<f64>()).ln() / rate;
                if t >= duration {
                    break times;
                }
                times.push(t);
            }
        })
        .collect();
    Pattern {
        duration,
        afferents,
    }
}

/// `p` with every spike moved by a normal jitter of `sigma` seconds (spikes
/// pushed out of the window are dropped).
pub fn jitter(p: &Pattern, sigma: f64, rng: &mut Pcg64) -> Pattern {
    let normal = Normal::new(0.0, sigma.max(0.0)).unwrap_or(Normal::new(0.0, 0.0).unwrap());
    let afferents = p
        .afferents
        .iter()
        .map(|times| {
            let mut moved: Vec<f64> = times
                .iter()
                .map(|&t| t + normal.sample(rng))
                .filter(|t| (0.0..p.duration).contains(t))
                .collect();
            moved.sort_by(f64::total_cmp);
            moved
        })
        .collect();
    Pattern {
        duration: p.duration,
        afferents,
    }
}

/// How two classes of Poisson patterns are made.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassSpec {
    /// Afferents per pattern.
    pub afferents: usize,
    /// Length of a pattern, seconds.
    pub duration: f64,
    /// Rate of each afferent, Hz.
    pub rate: f64,
    /// Prototypes per class; a sample is a jittered copy of one of them.
    pub prototypes: usize,
    /// Standard deviation of the jitter of each spike, seconds.
    pub jitter: f64,
}

/// Two classes: `prototypes` Poisson prototypes each; `samples` labelled
/// samples (alternating classes, a random prototype, fresh jitter).
pub struct Classes {
    /// Each class's prototypes.
    pub prototypes: [Vec<Pattern>; 2],
    /// How they were drawn.
    pub spec: ClassSpec,
}

impl Classes {
    /// The prototypes of `spec`, drawn from `rng`.
    pub fn new(spec: &ClassSpec, rng: &mut Pcg64) -> Self {
        let mut make = || {
            (0..spec.prototypes)
                .map(|_| poisson(spec.afferents, spec.duration, spec.rate, rng))
                .collect()
        };
        let prototypes = [make(), make()];
        Self {
            prototypes,
            spec: spec.clone(),
        }
    }

    /// `n` samples, alternating classes, drawn from `rng`.
    pub fn samples(&self, n: usize, rng: &mut Pcg64) -> Vec<(Pattern, usize)> {
        (0..n)
            .map(|i| {
                let label = i % 2;
                let which = rng.random_range(0..self.spec.prototypes);
                let p = jitter(&self.prototypes[label][which], self.spec.jitter, rng);
                (p, label)
            })
            .collect()
    }
}
