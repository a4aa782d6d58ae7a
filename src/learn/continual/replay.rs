//! A small class-balanced replay memory: per class, a reservoir of at most
//! `per_class` sample indices (a uniform sample of the class's samples
//! seen so far), and class-balanced replay batches. Seeded: the same
//! offers in the same order give the same memory and batches.

use std::collections::BTreeMap;

use rand::RngExt;
use rand_pcg::Pcg64;

use crate::engine::rng;

#[derive(Debug, Clone, PartialEq)]
struct Reservoir {
    samples: Vec<usize>,
    seen: u64,
}

#[derive(Debug, Clone, PartialEq)]
/// The replay memory: per class, a reservoir sample of the samples seen.
pub struct ReplayBuffer {
    per_class: usize,
    /// Ordered by class, so iteration (and thus every draw) is
    /// deterministic.
    classes: BTreeMap<usize, Reservoir>,
    rng: Pcg64,
}

impl ReplayBuffer {
    /// Reference size: 50 samples per class (5 on miniImageNet).
    pub fn new(per_class: usize, seed: u64) -> Self {
        Self {
            per_class,
            classes: BTreeMap::new(),
            rng: rng::stream(seed, "continual", "replay"),
        }
    }

    /// Offers sample `sample` of class `label` (reservoir sampling,
    /// Vitter's algorithm R, within the class).
    pub fn offer(&mut self, sample: usize, label: usize) {
        let reservoir = self.classes.entry(label).or_insert(Reservoir {
            samples: Vec::new(),
            seen: 0,
        });
        reservoir.seen += 1;
        if reservoir.samples.len() < self.per_class {
            reservoir.samples.push(sample);
        } else {
            let j = self.rng.random_range(0..reservoir.seen);
            if (j as usize) < self.per_class {
                reservoir.samples[j as usize] = sample;
            }
        }
    }

    /// Stored samples of `label`.
    pub fn samples(&self, label: usize) -> &[usize] {
        self.classes
            .get(&label)
            .map(|r| r.samples.as_slice())
            .unwrap_or(&[])
    }

    /// `(class, stored samples)` for every class seen.
    pub fn counts(&self) -> Vec<(usize, usize)> {
        self.classes
            .iter()
            .map(|(&c, r)| (c, r.samples.len()))
            .collect()
    }

    /// Samples held.
    pub fn len(&self) -> usize {
        self.classes.values().map(|r| r.samples.len()).sum()
    }

    /// Whether no sample is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `size` `(sample, label)` pairs, cycling over the classes so each
    /// class gets `size / classes` (±1) of them, drawn uniformly from its
    /// reservoir with replacement.
    pub fn batch(&mut self, size: usize) -> Vec<(usize, usize)> {
        let mut rng = self.rng.clone();
        let batch = self.batch_from(size, &mut rng);
        self.rng = rng;
        batch
    }

    /// [`ReplayBuffer::batch`] drawing from `rng` instead of the buffer's
    /// own stream, so that what is stored depends on the offers alone (a
    /// resumed run rebuilds the buffer by offering the same samples again).
    pub fn batch_from(&self, size: usize, rng: &mut Pcg64) -> Vec<(usize, usize)> {
        let classes: Vec<usize> = self
            .classes
            .iter()
            .filter(|(_, r)| !r.samples.is_empty())
            .map(|(&c, _)| c)
            .collect();
        if classes.is_empty() {
            return Vec::new();
        }
        // Start at a random class so small batches do not always favour
        // the lowest labels.
        let start = rng.random_range(0..classes.len());
        (0..size)
            .map(|i| {
                let label = classes[(start + i) % classes.len()];
                let stored = &self.classes[&label].samples;
                let sample = stored[rng.random_range(0..stored.len())];
                (sample, label)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1000 samples of class 0, 30 of class 1, 200 of class 2, interleaved.
    fn stream() -> Vec<(usize, usize)> {
        (0..1230)
            .map(|i| {
                let label = if i < 1000 {
                    0
                } else if i < 1030 {
                    1
                } else {
                    2
                };
                (i, label)
            })
            .collect()
    }

    #[test]
    fn memory_is_class_balanced_and_deterministic() {
        let fill = |seed| {
            let mut b = ReplayBuffer::new(50, seed);
            for (s, l) in stream() {
                b.offer(s, l);
            }
            b
        };
        let mut a = fill(1);
        assert_eq!(a.counts(), [(0, 50), (1, 30), (2, 50)]);
        assert_eq!(a.len(), 130);
        for (label, range) in [(0, 0..1000), (1, 1000..1030), (2, 1030..1230)] {
            assert!(a.samples(label).iter().all(|s| range.contains(s)));
        }
        let mut b = fill(1);
        assert_eq!(a, b);
        assert_ne!(a.samples(0), fill(2).samples(0));
        let batch = a.batch(60);
        assert_eq!(batch, b.batch(60));
        for label in 0..3 {
            assert_eq!(batch.iter().filter(|(_, l)| *l == label).count(), 20);
        }
        assert!(batch.iter().all(|(s, l)| a.samples(*l).contains(s)));
        assert!(ReplayBuffer::new(5, 0).batch(10).is_empty());
    }

    #[test]
    fn reservoir_keeps_every_sample_with_equal_probability() {
        // 20 samples into a reservoir of 5, over 4000 seeds: each sample
        // is kept with probability 1/4, i.e. 1000 ± 27 (1 sd) times.
        let mut kept = [0u32; 20];
        for seed in 0..4000 {
            let mut b = ReplayBuffer::new(5, seed);
            for s in 0..20 {
                b.offer(s, 0);
            }
            for &s in b.samples(0) {
                kept[s] += 1;
            }
        }
        assert!(kept.iter().all(|&k| (880..=1120).contains(&k)), "{kept:?}");
    }
}
