//! Zero-delay projections: the order in which populations settle within a
//! step, so that a spike reaches its targets in the step it was emitted in.
//!
//! A projection whose shortest delay is zero steps carries a spike of grid
//! point `k + 1` to its targets' slot `k + 1`, read by their step
//! `k → k + 1`. The populations are put in layers, the longest chain of
//! zero-delay projections that leads to each (validation refuses a cycle):
//! within a step every layer settles before the next, and the spikes of
//! populations with zero-delay projections are exchanged between workers
//! after their layer and delivered at once. Such projections are delivered
//! whole at that point (their synapses of longer delays too, into later
//! slots), never at the epoch's end; the other projections are delivered
//! at the end of the epoch as always, and set its length. A model without
//! zero-delay projections has no layers and runs as it always did.

/// The layering of a model with zero-delay projections.
#[derive(Debug, Clone, PartialEq)]
pub struct Layers {
    /// Each population's layer.
    pub of: Vec<usize>,
    /// Number of layers.
    pub count: usize,
    /// Per population, its zero-delay projections (delivered within the step).
    pub now: Vec<Vec<usize>>,
    /// Per population, its other projections (delivered at the epoch's end).
    pub later: Vec<Vec<usize>>,
    /// Per layer, whether a population of it has zero-delay projections:
    /// the workers then exchange the layer's spikes before the next layer.
    pub sends: Vec<bool>,
}

impl Layers {
    /// The layers of `populations` populations joined by `projections`
    /// `(from, to, zero delay)`, or `None` when no projection has a zero delay.
    /// The zero-delay projections must not form a cycle (validation
    /// refuses one); if they do, this panics rather than loop.
    pub fn new(populations: usize, projections: &[(usize, usize, bool)]) -> Option<Self> {
        if !projections.iter().any(|p| p.2) {
            return None;
        }
        let mut of = vec![0usize; populations];
        // Longest path by relaxation: a chain has fewer edges than
        // populations, so `populations` rounds settle every layer.
        for round in 0..=populations {
            let mut changed = false;
            for &(from, to, zero) in projections {
                if zero && of[to] < of[from] + 1 {
                    of[to] = of[from] + 1;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
            assert!(
                round < populations,
                "zero-delay projections form a cycle (validation should have refused it)"
            );
        }
        let count = of.iter().copied().max().unwrap_or(0) + 1;
        let (mut now, mut later) = (vec![Vec::new(); populations], vec![Vec::new(); populations]);
        let mut sends = vec![false; count];
        for (j, &(from, _, zero)) in projections.iter().enumerate() {
            if zero {
                now[from].push(j);
                sends[of[from]] = true;
            } else {
                later[from].push(j);
            }
        }
        Some(Self {
            of,
            count,
            now,
            later,
            sends,
        })
    }

    /// Indices of `populations` (one per slice, in slice order) by layer.
    pub fn slices_by_layer(&self, populations: impl Iterator<Item = usize>) -> Vec<Vec<usize>> {
        let mut by_layer = vec![Vec::new(); self.count];
        for (si, p) in populations.enumerate() {
            by_layer[self.of[p]].push(si);
        }
        by_layer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_takes_one_layer_per_link_and_delayed_links_none() {
        // 0 -0-> 1 -0-> 2, 2 -1-> 0 (recurrent, delayed), 3 alone, 0 -0-> 2.
        let l = Layers::new(
            4,
            &[(0, 1, true), (1, 2, true), (2, 0, false), (0, 2, true)],
        )
        .expect("zero-delay projections");
        assert_eq!(l.of, vec![0, 1, 2, 0]);
        assert_eq!(l.count, 3);
        assert_eq!(l.now, vec![vec![0, 3], vec![1], vec![], vec![]]);
        assert_eq!(l.later, vec![vec![], vec![], vec![2], vec![]]);
        assert_eq!(l.sends, vec![true, true, false]);
        assert_eq!(
            l.slices_by_layer([2, 0, 3, 1, 2].into_iter()),
            vec![vec![1, 2], vec![3], vec![0, 4]]
        );
    }

    #[test]
    fn no_zero_delay_no_layers() {
        assert_eq!(Layers::new(2, &[(0, 1, false), (1, 0, false)]), None);
    }
}
