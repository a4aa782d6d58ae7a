//! A periodic binary spike pattern (fixed-point mode): one row per neuron,
//! one column per step; at step `t` (counting from 1) column `(t - 1) mod P`
//! is emitted, as Lava's `RingBuffer` source does.

#[derive(Debug, Clone, PartialEq)]
/// A periodic binary spike pattern (see the module documentation).
pub struct SpikePattern {
    /// `rows[neuron][column]`.
    rows: Vec<Vec<bool>>,
}

impl SpikePattern {
    /// The pattern of `rows`: `rows[neuron][column]`.
    pub fn new(rows: Vec<Vec<bool>>) -> Self {
        Self { rows }
    }

    /// Number of neurons.
    pub fn size(&self) -> usize {
        self.rows.len()
    }

    /// Append the neurons that spike at step `t` (from 1), in order.
    pub fn emit(&self, t: u64, spikes: &mut Vec<u32>) {
        for (i, row) in self.rows.iter().enumerate() {
            if !row.is_empty() && row[((t - 1) % row.len() as u64) as usize] {
                spikes.push(i as u32);
            }
        }
    }

    /// The pattern of neurons `offset..offset + len`.
    pub fn split(&self, offset: usize, len: usize) -> Self {
        Self::new(self.rows[offset..offset + len].to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_t_minus_one_mod_period_is_emitted_at_step_t() {
        let p = SpikePattern::new(vec![vec![true, false, false], vec![false, false, true]]);
        let at = |t| {
            let mut s = Vec::new();
            p.emit(t, &mut s);
            s
        };
        assert_eq!(at(1), vec![0]);
        assert_eq!(at(2), Vec::<u32>::new());
        assert_eq!(at(3), vec![1]);
        assert_eq!(at(4), vec![0]);
        assert_eq!(at(3 * 1000 + 3), vec![1]);
        assert_eq!(p.split(1, 1).size(), 1);
    }
}
