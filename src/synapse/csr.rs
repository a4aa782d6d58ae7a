//! Compressed sparse rows, one row per presynaptic neuron.
//!
//! Memory per synapse: 4 bytes of target index and 4 bytes of weight (`f32`),
//! plus 1 byte of delay when delays differ between synapses and all fit in
//! 255 steps, 2 bytes when some do not (a projection whose delays are all
//! equal stores one). Rows are sorted by target so that
//! delivery walks the target buffers forwards.

use std::ops::Range;

use crate::model::memory::{MemoryError, try_collect, try_vec};

#[derive(Debug, Clone, PartialEq)]
/// Synaptic delays of a projection, in steps, stored as compactly as they allow.
pub enum Delays {
    /// Every synapse has this delay, in steps.
    Uniform(u16),
    /// One delay per synapse, in steps, in CSR order, when all fit in a byte.
    Short(Vec<u8>),
    /// One delay per synapse, in steps, in CSR order.
    PerSynapse(Vec<u16>),
}

impl Delays {
    /// The most compact form of `n` delays: one when all are equal (1 for
    /// none), bytes when all fit.
    pub fn packed(
        n: usize,
        delays: impl Iterator<Item = u16> + Clone,
        what: &str,
    ) -> Result<Self, MemoryError> {
        let mut all = delays.clone();
        let Some(first) = all.next() else {
            return Ok(Delays::Uniform(1));
        };
        let (mut same, mut longest) = (true, first);
        for d in all {
            same &= d == first;
            longest = longest.max(d);
        }
        Ok(if same {
            Delays::Uniform(first)
        } else if longest <= u8::MAX as u16 {
            Delays::Short(try_collect(n, delays.map(|d| d as u8), what)?)
        } else {
            Delays::PerSynapse(try_collect(n, delays, what)?)
        })
    }
}

/// Delays in seconds, for the event-driven engine, which does not round
/// them to the grid.
#[derive(Debug, Clone, PartialEq)]
pub enum ExactDelays {
    /// Every synapse has this delay, seconds.
    Uniform(f64),
    /// One delay per synapse, seconds, in CSR order.
    PerSynapse(Vec<f64>),
}

#[derive(Debug, Clone, PartialEq)]
/// A projection's synapses in compressed rows: the synapses of each presynaptic neuron
/// together.
pub struct Csr {
    /// `offsets[pre]..offsets[pre + 1]` indexes `pre`'s synapses.
    pub offsets: Vec<usize>,
    /// Target neuron of each synapse.
    pub targets: Vec<u32>,
    /// Weight of each synapse, in the target port's unit.
    pub weights: Vec<f32>,
    /// Delay of each synapse.
    pub delays: Delays,
    /// Kept only when the event-driven engine will run.
    pub exact_delays: Option<ExactDelays>,
}

/// One synapse before it is packed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Synapse {
    /// Presynaptic neuron.
    pub pre: u32,
    /// Postsynaptic neuron.
    pub post: u32,
    /// Weight, in the target port's unit.
    pub weight: f32,
    /// In steps.
    pub delay: u16,
    /// In seconds, when exact delays are kept (else 0).
    pub seconds: f64,
}

impl Csr {
    /// Pack synapses given in any order; `exact` keeps their delays in seconds.
    pub fn from_synapses(n_pre: usize, synapses: Vec<Synapse>, exact: bool) -> Self {
        Self::try_from_synapses(n_pre, synapses, exact).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Csr::from_synapses`], with a failed allocation returned as an error.
    pub fn try_from_synapses(
        n_pre: usize,
        mut synapses: Vec<Synapse>,
        exact: bool,
    ) -> Result<Self, MemoryError> {
        const WHAT: &str = "synapse storage";
        synapses.sort_by_key(|s| (s.pre, s.post));
        let mut offsets = try_vec(n_pre + 1, 0usize, WHAT)?;
        for s in &synapses {
            offsets[s.pre as usize + 1] += 1;
        }
        for i in 0..n_pre {
            offsets[i + 1] += offsets[i];
        }
        let n = synapses.len();
        let delays = Delays::packed(n, synapses.iter().map(|s| s.delay), WHAT)?;
        let exact_delays = if exact {
            let first = synapses.first().map_or(0.0, |s| s.seconds);
            Some(if synapses.iter().all(|s| s.seconds == first) {
                ExactDelays::Uniform(first)
            } else {
                ExactDelays::PerSynapse(try_collect(n, synapses.iter().map(|s| s.seconds), WHAT)?)
            })
        } else {
            None
        };
        Ok(Self {
            offsets,
            targets: try_collect(n, synapses.iter().map(|s| s.post), WHAT)?,
            weights: try_collect(n, synapses.iter().map(|s| s.weight), WHAT)?,
            delays,
            exact_delays,
        })
    }

    /// The delay of a synapse in seconds (exact delays must be kept).
    pub fn seconds(&self, synapse: usize) -> f64 {
        match &self.exact_delays {
            Some(ExactDelays::Uniform(d)) => *d,
            Some(ExactDelays::PerSynapse(d)) => d[synapse],
            None => f64::NAN,
        }
    }

    /// The shortest delay in seconds, when exact delays are kept.
    pub fn min_seconds(&self) -> Option<f64> {
        match self.exact_delays.as_ref()? {
            ExactDelays::Uniform(d) => Some(*d),
            ExactDelays::PerSynapse(d) => d.iter().copied().reduce(f64::min),
        }
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there is no synapse.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The indices of the synapses of presynaptic neuron `pre`.
    pub fn row(&self, pre: u32) -> Range<usize> {
        self.offsets[pre as usize]..self.offsets[pre as usize + 1]
    }

    /// The delay of synapse `synapse`, steps.
    pub fn delay(&self, synapse: usize) -> u16 {
        match &self.delays {
            Delays::Uniform(d) => *d,
            Delays::Short(d) => d[synapse] as u16,
            Delays::PerSynapse(d) => d[synapse],
        }
    }

    /// The shortest delay, steps.
    pub fn min_delay(&self) -> u16 {
        match &self.delays {
            Delays::Uniform(d) => *d,
            Delays::Short(d) => d.iter().copied().min().map_or(1, u16::from),
            Delays::PerSynapse(d) => d.iter().copied().min().unwrap_or(1),
        }
    }

    /// The synapses whose targets lie in `lo..hi`, with targets renumbered
    /// from `lo`. Rows keep their order, so delivery order is unchanged.
    pub fn restricted_to_targets(&self, lo: u32, hi: u32) -> Csr {
        self.try_restricted_to_targets(lo, hi)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Csr::restricted_to_targets`], with a failed allocation returned as an error.
    pub fn try_restricted_to_targets(&self, lo: u32, hi: u32) -> Result<Csr, MemoryError> {
        let n_pre = self.offsets.len() - 1;
        let inside = |post: u32| (lo..hi).contains(&post);
        let count = self.targets.iter().filter(|&&t| inside(t)).count();
        let kept = try_collect(
            count,
            self.iter().filter(|s| inside(s.post)).map(|s| Synapse {
                post: s.post - lo,
                ..s
            }),
            "synapse storage",
        )?;
        Csr::try_from_synapses(n_pre, kept, self.exact_delays.is_some())
    }

    /// The longest delay, steps.
    pub fn max_delay(&self) -> u16 {
        match &self.delays {
            Delays::Uniform(d) => *d,
            Delays::Short(d) => d.iter().copied().max().map_or(1, u16::from),
            Delays::PerSynapse(d) => d.iter().copied().max().unwrap_or(1),
        }
    }

    /// Bytes held by the synapse arrays (not counting row offsets).
    pub fn bytes_per_synapse(&self) -> usize {
        let delay = match self.delays {
            Delays::Uniform(_) => 0,
            Delays::Short(_) => 1,
            Delays::PerSynapse(_) => 2,
        };
        std::mem::size_of::<u32>() + std::mem::size_of::<f32>() + delay
    }

    /// Iterate as `(pre, post, weight, delay)`.
    pub fn iter(&self) -> impl Iterator<Item = Synapse> + '_ {
        (0..self.offsets.len() - 1).flat_map(move |pre| {
            self.row(pre as u32).map(move |s| Synapse {
                pre: pre as u32,
                post: self.targets[s],
                weight: self.weights[s],
                delay: self.delay(s),
                seconds: if self.exact_delays.is_some() {
                    self.seconds(s)
                } else {
                    0.0
                },
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_rows_sorted_and_keeps_every_synapse() {
        let syn = |pre, post, delay| Synapse {
            pre,
            post,
            weight: (pre * 10 + post) as f32,
            delay,
            seconds: 0.0,
        };
        let csr = Csr::from_synapses(
            3,
            vec![syn(2, 1, 1), syn(0, 4, 2), syn(0, 1, 1), syn(2, 0, 3)],
            false,
        );
        assert_eq!(csr.offsets, vec![0, 2, 2, 4]);
        assert_eq!(csr.targets, vec![1, 4, 0, 1]);
        assert_eq!(csr.weights, vec![1.0, 4.0, 20.0, 21.0]);
        assert_eq!(csr.delays, Delays::Short(vec![1, 2, 3, 1]));
        assert_eq!(csr.max_delay(), 3);
        assert_eq!(csr.bytes_per_synapse(), 9);
        assert_eq!(csr.iter().count(), 4);
    }

    #[test]
    fn delays_past_a_byte_take_two() {
        let syn = |post, delay| Synapse {
            pre: 0,
            post,
            weight: 1.0,
            delay,
            seconds: 0.0,
        };
        let csr = Csr::from_synapses(1, vec![syn(0, 255), syn(1, 256)], false);
        assert_eq!(csr.delays, Delays::PerSynapse(vec![255, 256]));
        assert_eq!(csr.bytes_per_synapse(), 10);
    }

    #[test]
    fn equal_delays_are_stored_once() {
        let csr = Csr::from_synapses(
            1,
            vec![Synapse {
                pre: 0,
                post: 0,
                weight: 1.0,
                delay: 5,
                seconds: 0.0,
            }],
            false,
        );
        assert_eq!(csr.delays, Delays::Uniform(5));
        assert_eq!(csr.bytes_per_synapse(), 8);
    }
}
