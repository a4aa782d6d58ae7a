//! Integer weights of fixed-point projections, as Loihi's dense synapse
//! holds them: a sign mode, clipping to 8 bits (9 with sign), truncation to
//! `num_weight_bits`, done once when the network is built; then compressed
//! rows by source neuron, like `Csr`, with `i32` weights.

use std::ops::Range;

/// Which signs a projection's weights may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// How a fixed-point projection's weights carry their sign.
pub enum SignMode {
    /// Weights of either sign.
    Mixed,
    /// Non-negative weights only.
    Excitatory,
    /// Non-positive weights only.
    Inhibitory,
}

impl SignMode {
    /// The mode named `s` in a model file.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "mixed" => Some(Self::Mixed),
            "excitatory" => Some(Self::Excitatory),
            "inhibitory" => Some(Self::Inhibitory),
            _ => None,
        }
    }

    /// The mode's name in model files.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mixed => "mixed",
            Self::Excitatory => "excitatory",
            Self::Inhibitory => "inhibitory",
        }
    }

    /// The sign mode of weights that do not name one: all `>= 0` (all zero
    /// too) is excitatory, all `<= 0` inhibitory, else mixed.
    pub fn infer(weights: impl IntoIterator<Item = i64>) -> Self {
        let (mut any_neg, mut any_pos) = (false, false);
        for w in weights {
            any_neg |= w < 0;
            any_pos |= w > 0;
        }
        match (any_neg, any_pos) {
            (false, _) => Self::Excitatory,
            (true, false) => Self::Inhibitory,
            (true, true) => Self::Mixed,
        }
    }

    /// The range weights are clipped to: 8 bits of magnitude, one more
    /// negative value when mixed.
    pub fn clip_range(self) -> (i64, i64) {
        match self {
            Self::Mixed => (-256, 255),
            Self::Excitatory => (0, 255),
            Self::Inhibitory => (-255, 0),
        }
    }
}

/// A weight as the synapse stores it: clipped to the mode's range, then its
/// low bits dropped to keep `num_weight_bits` (the sign counts as a bit in
/// mixed mode). Inhibitory weights are truncated in magnitude.
pub fn quantize(w: i64, mode: SignMode, num_weight_bits: u8) -> i32 {
    let (lo, hi) = mode.clip_range();
    let w = w.clamp(lo, hi);
    let k = 8 - num_weight_bits as i64 + i64::from(mode == SignMode::Mixed);
    let w = match mode {
        SignMode::Inhibitory => -(((-w) >> k) << k),
        _ => (w >> k) << k,
    };
    w as i32
}

/// Integer synapses in compressed rows by source neuron.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IntCsr {
    /// `offsets[pre]..offsets[pre + 1]` indexes `pre`'s synapses.
    pub offsets: Vec<usize>,
    /// Target neuron of each synapse.
    pub targets: Vec<u32>,
    /// Weight mantissa of each synapse.
    pub weights: Vec<i32>,
}

impl IntCsr {
    /// Pack `(pre, post, weight)` given in any order; zero weights make no synapse.
    pub fn new(n_pre: usize, mut synapses: Vec<(u32, u32, i32)>) -> Self {
        synapses.retain(|s| s.2 != 0);
        synapses.sort_unstable_by_key(|s| (s.0, s.1));
        let mut offsets = vec![0usize; n_pre + 1];
        for s in &synapses {
            offsets[s.0 as usize + 1] += 1;
        }
        for i in 0..n_pre {
            offsets[i + 1] += offsets[i];
        }
        Self {
            offsets,
            targets: synapses.iter().map(|s| s.1).collect(),
            weights: synapses.iter().map(|s| s.2).collect(),
        }
    }

    /// The indices of the synapses of presynaptic neuron `pre`.
    pub fn row(&self, pre: u32) -> Range<usize> {
        self.offsets[pre as usize]..self.offsets[pre as usize + 1]
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there is no synapse.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The synapses onto targets `lo..hi`, with targets renumbered from `lo`.
    pub fn restricted_to_targets(&self, lo: u32, hi: u32) -> Self {
        let n_pre = self.offsets.len() - 1;
        let mut synapses = Vec::new();
        for pre in 0..n_pre as u32 {
            for s in self.row(pre) {
                let t = self.targets[s];
                if (lo..hi).contains(&t) {
                    synapses.push((pre, t - lo, self.weights[s]));
                }
            }
        }
        Self::new(n_pre, synapses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_mode_is_inferred_from_the_signs() {
        assert_eq!(SignMode::infer([0, 3, 5]), SignMode::Excitatory);
        assert_eq!(SignMode::infer([0, 0]), SignMode::Excitatory);
        assert_eq!(SignMode::infer([]), SignMode::Excitatory);
        assert_eq!(SignMode::infer([0, -3]), SignMode::Inhibitory);
        assert_eq!(SignMode::infer([-1, 1]), SignMode::Mixed);
    }

    #[test]
    fn weights_are_clipped_per_mode() {
        use SignMode::*;
        assert_eq!(quantize(300, Excitatory, 8), 255);
        assert_eq!(quantize(-5, Excitatory, 8), 0);
        assert_eq!(quantize(-300, Inhibitory, 8), -255);
        assert_eq!(quantize(5, Inhibitory, 8), 0);
        assert_eq!(quantize(-300, Mixed, 8), -256);
        assert_eq!(quantize(300, Mixed, 8), 254);
    }

    #[test]
    fn default_mixed_truncation_drops_one_bit() {
        assert_eq!(quantize(255, SignMode::Mixed, 8), 254);
        assert_eq!(quantize(-3, SignMode::Mixed, 8), -4);
        assert_eq!(quantize(3, SignMode::Mixed, 8), 2);
        assert_eq!(quantize(255, SignMode::Excitatory, 8), 255);
        assert_eq!(quantize(-255, SignMode::Inhibitory, 8), -255);
    }

    #[test]
    fn fewer_bits_truncate_more() {
        use SignMode::*;
        // 5 bits: k = 3 (4 when mixed).
        assert_eq!(quantize(255, Excitatory, 5), 248);
        assert_eq!(quantize(7, Excitatory, 5), 0);
        assert_eq!(quantize(-255, Inhibitory, 5), -248);
        assert_eq!(quantize(-7, Inhibitory, 5), 0); // magnitude, not floor
        assert_eq!(quantize(-7, Mixed, 5), -16); // floor in mixed mode
        assert_eq!(quantize(100, Mixed, 6), 96);
        assert_eq!(quantize(100, Excitatory, 7), 100);
        assert_eq!(quantize(101, Excitatory, 7), 100);
    }

    #[test]
    fn rows_hold_nonzero_synapses_by_source_and_split_by_target() {
        let csr = IntCsr::new(3, vec![(2, 1, 5), (0, 3, -2), (0, 0, 0), (0, 1, 7)]);
        assert_eq!(csr.len(), 3);
        assert_eq!(csr.row(0), 0..2);
        assert_eq!(&csr.targets[csr.row(0)], &[1, 3]);
        assert_eq!(&csr.weights[csr.row(2)], &[5]);
        let part = csr.restricted_to_targets(1, 3);
        assert_eq!(part.targets, vec![0, 0]);
        assert_eq!(part.weights, vec![7, 5]);
    }
}
