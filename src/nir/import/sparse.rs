//! Sparse linear maps with per-entry delays: what a chain of Affine,
//! Linear, Scale, Delay, Flatten, convolution and pooling nodes does to the
//! spikes of one population, composed into one matrix of synapses.
//!
//! Row `i` lists the entries `(out, delay, w)`: input element `i` reaches
//! output element `out` with weight `w`, `delay` steps later. Entries with
//! equal `(out, delay)` are summed, and zero weights dropped, by
//! [`normalise`], so two paths between the same pair of neurons
//! with the same delay are one synapse.

/// One synapse of a composed map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    /// Output element.
    pub out: u32,
    /// Delay, in steps.
    pub delay: u32,
    /// Weight.
    pub w: f64,
}

/// A sparse `n_out x n_in` matrix with delays, stored by input (row = input
/// element).
#[derive(Debug, Clone, PartialEq)]
pub struct SparseMap {
    /// Number of input elements.
    pub n_in: usize,
    /// Number of output elements.
    pub n_out: usize,
    /// Per input element, the output elements it reaches.
    pub rows: Vec<Vec<Entry>>,
}

/// Too many entries: the count reached when the map was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge(pub usize);

impl SparseMap {
    /// A map with no entries.
    pub fn empty(n_in: usize, n_out: usize) -> Self {
        Self {
            n_in,
            n_out,
            rows: vec![Vec::new(); n_in],
        }
    }

    /// The identity on `n` elements, no delay (an edge, a Flatten).
    pub fn identity(n: usize) -> Self {
        Self::diagonal(&vec![1.0; n], &vec![0; n])
    }

    /// Element `i` to element `i` with weight `w[i]` and `delay[i]` steps
    /// (Scale, Delay).
    pub fn diagonal(w: &[f64], delay: &[u32]) -> Self {
        let rows = w
            .iter()
            .zip(delay)
            .enumerate()
            .map(|(i, (&w, &delay))| {
                if w == 0.0 {
                    Vec::new()
                } else {
                    vec![Entry {
                        out: i as u32,
                        delay,
                        w,
                    }]
                }
            })
            .collect();
        Self {
            n_in: w.len(),
            n_out: w.len(),
            rows,
        }
    }

    /// A dense weight matrix `[n_out, n_in]` in C order (Affine, Linear).
    pub fn dense(weight: &[f64], n_out: usize, n_in: usize) -> Self {
        let mut map = Self::empty(n_in, n_out);
        for (j, row) in weight.chunks(n_in.max(1)).enumerate().take(n_out) {
            for (i, &w) in row.iter().enumerate() {
                if w != 0.0 {
                    map.rows[i].push(Entry {
                        out: j as u32,
                        delay: 0,
                        w,
                    });
                }
            }
        }
        map
    }

    /// Number of entries (synapses).
    pub fn len(&self) -> usize {
        self.rows.iter().map(Vec::len).sum()
    }

    /// Whether no input reaches any output.
    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(Vec::is_empty)
    }

    /// Every entry `delay` steps later (an edge that closes a cycle).
    pub fn delayed(mut self, steps: u32) -> Self {
        for e in self.rows.iter_mut().flatten() {
            e.delay += steps;
        }
        self
    }

    /// `next ∘ self`: this map followed by `next` (whose `n_in` is this
    /// map's `n_out`), delays added, at most `limit` entries.
    pub fn then(&self, next: &SparseMap, limit: usize) -> Result<SparseMap, TooLarge> {
        debug_assert_eq!(self.n_out, next.n_in);
        let mut total = 0usize;
        let mut rows = Vec::with_capacity(self.n_in);
        for row in &self.rows {
            let mut out = Vec::new();
            for e in row {
                for f in &next.rows[e.out as usize] {
                    out.push(Entry {
                        out: f.out,
                        delay: e.delay + f.delay,
                        w: e.w * f.w,
                    });
                }
                if total + out.len() > limit.saturating_mul(4) {
                    return Err(TooLarge(total + out.len()));
                }
            }
            normalise(&mut out);
            total += out.len();
            if total > limit {
                return Err(TooLarge(total));
            }
            rows.push(out);
        }
        Ok(SparseMap {
            n_in: self.n_in,
            n_out: next.n_out,
            rows,
        })
    }

    /// Adds `other` (same shape) into this map, at most `limit` entries.
    pub fn add(&mut self, other: &SparseMap, limit: usize) -> Result<(), TooLarge> {
        debug_assert_eq!((self.n_in, self.n_out), (other.n_in, other.n_out));
        let mut total = 0usize;
        for (row, extra) in self.rows.iter_mut().zip(&other.rows) {
            if !extra.is_empty() {
                row.extend_from_slice(extra);
                normalise(row);
            }
            total += row.len();
            if total > limit {
                return Err(TooLarge(total));
            }
        }
        Ok(())
    }

    /// A constant vector over the inputs carried through the map (biases
    /// through later layers; delays do not change a constant).
    pub fn carry(&self, x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; self.n_out];
        for (row, &xi) in self.rows.iter().zip(x) {
            if xi != 0.0 {
                for e in row {
                    y[e.out as usize] += xi * e.w;
                }
            }
        }
        y
    }
}

/// Sorts a row by `(out, delay)`, sums equal keys and drops zero weights.
pub fn normalise(row: &mut Vec<Entry>) {
    row.sort_by_key(|e| (e.out, e.delay));
    let mut merged: Vec<Entry> = Vec::with_capacity(row.len());
    for e in row.drain(..) {
        match merged.last_mut() {
            Some(last) if last.out == e.out && last.delay == e.delay => last.w += e.w,
            _ => merged.push(e),
        }
    }
    merged.retain(|e| e.w != 0.0);
    *row = merged;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense_of(m: &SparseMap) -> Vec<Vec<f64>> {
        // [out][in], delays ignored
        let mut d = vec![vec![0.0; m.n_in]; m.n_out];
        for (i, row) in m.rows.iter().enumerate() {
            for e in row {
                d[e.out as usize][i] += e.w;
            }
        }
        d
    }

    #[test]
    fn composition_is_the_matrix_product() {
        // A = [[1, 2], [3, 4], [0, 5]] (3x2), B = [[1, 0, 2], [-1, 1, 0]] (2x3)
        // B A = [[1 + 0 + 0, 2 + 0 + 10], [-1 + 3 + 0, -2 + 4 + 0]] = [[1, 12], [2, 2]]
        let a = SparseMap::dense(&[1.0, 2.0, 3.0, 4.0, 0.0, 5.0], 3, 2);
        let b = SparseMap::dense(&[1.0, 0.0, 2.0, -1.0, 1.0, 0.0], 2, 3);
        let ba = a.then(&b, 100).unwrap();
        assert_eq!(dense_of(&ba), vec![vec![1.0, 12.0], vec![2.0, 2.0]]);
    }

    #[test]
    fn delays_add_along_a_path_and_keep_paths_apart() {
        // x -> Delay(1, 3) -> Scale(2, -1) -> Linear [[1, 1]]:
        // input 0 reaches out 0 with 2 after 1 step, input 1 with -1 after 3.
        let d = SparseMap::diagonal(&[1.0, 1.0], &[1, 3]);
        let s = SparseMap::diagonal(&[2.0, -1.0], &[0, 0]);
        let l = SparseMap::dense(&[1.0, 1.0], 1, 2);
        let m = d.then(&s, 10).unwrap().then(&l, 10).unwrap();
        assert_eq!(
            m.rows,
            vec![
                vec![Entry {
                    out: 0,
                    delay: 1,
                    w: 2.0
                }],
                vec![Entry {
                    out: 0,
                    delay: 3,
                    w: -1.0
                }]
            ]
        );
        // Two paths with equal delays sum, different delays stay two synapses.
        let mut twice = SparseMap::identity(2);
        twice.add(&SparseMap::identity(2), 10).unwrap();
        twice.add(&SparseMap::identity(2).delayed(1), 10).unwrap();
        assert_eq!(twice.rows[0].len(), 2);
        assert_eq!(twice.rows[0][0].w, 2.0);
        assert_eq!(twice.rows[0][1].delay, 1);
    }

    #[test]
    fn cancelling_paths_leave_no_synapse_and_limits_hold() {
        let mut m = SparseMap::identity(3);
        m.add(&SparseMap::diagonal(&[-1.0; 3], &[0; 3]), 10)
            .unwrap();
        assert!(m.is_empty());
        let a = SparseMap::dense(&[1.0; 12], 4, 3);
        let b = SparseMap::dense(&[1.0; 20], 5, 4);
        assert_eq!(a.then(&b, 15).unwrap().len(), 15);
        assert!(matches!(a.then(&b, 14), Err(TooLarge(_))));
    }

    #[test]
    fn a_bias_is_carried_through_the_weights() {
        let a = SparseMap::dense(&[1.0, 2.0, 3.0, 4.0], 2, 2);
        assert_eq!(a.carry(&[1.0, -1.0]), vec![-1.0, -1.0]);
    }
}
