//! The difference between two runs of the same network (e.g. float and
//! fixed point, `spikesim compare`): rates per population, the correlation
//! of per-neuron spike counts, and how far matched spikes moved.
//!
//! Spikes are matched neuron by neuron in order: the k-th spike of a neuron
//! in one run with its k-th spike in the other, for `k` up to the smaller
//! count. Times are each file's own (`step · dt`, or exact times).

use super::results::Results;

#[derive(Debug, Clone, PartialEq)]
/// How one population differs between two runs.
pub struct PopulationDiff {
    /// The population's name.
    pub population: String,
    /// Number of neurons.
    pub size: u32,
    /// Mean rates (Hz) in the first and the second run.
    pub rate_a: f64,
    /// Mean rate in the second run, Hz.
    pub rate_b: f64,
    /// Pearson correlation of spike counts over neurons; `None` when a run
    /// has the same count for every neuron.
    pub count_correlation: Option<f64>,
    /// Neurons with the same number of spikes in both runs.
    pub equal_counts: u32,
    /// Matched spike pairs and their time shifts `t_b - t_a` (s).
    pub matched: usize,
    /// Mean time shift `t_b - t_a`, seconds.
    pub mean_shift: f64,
    /// Mean absolute time shift, seconds.
    pub mean_abs_shift: f64,
    /// Median absolute time shift, seconds.
    pub median_abs_shift: f64,
    /// Largest absolute time shift, seconds.
    pub max_abs_shift: f64,
}

impl PopulationDiff {
    /// `(rate_b - rate_a) / rate_a`, NaN when `rate_a` is zero.
    pub fn relative_rate_change(&self) -> f64 {
        (self.rate_b - self.rate_a) / self.rate_a
    }
}

/// One entry per population recorded in both runs, in the first run's order.
pub fn compare(a: &Results, b: &Results) -> Vec<PopulationDiff> {
    a.spikes
        .iter()
        .filter_map(|sa| {
            let sb = b.spikes_of(&sa.population)?;
            let n = sa.size.max(sb.size) as usize;
            let trains = |s: &super::results::SpikeTrains, dt: f64| {
                let mut per: Vec<Vec<f64>> = vec![Vec::new(); n];
                for (t, &i) in s.times(dt).into_iter().zip(&s.senders) {
                    per[i as usize].push(t);
                }
                per
            };
            let (ta, tb) = (trains(sa, a.info.dt), trains(sb, b.info.dt));
            let counts_a: Vec<f64> = ta.iter().map(|t| t.len() as f64).collect();
            let counts_b: Vec<f64> = tb.iter().map(|t| t.len() as f64).collect();
            let mut shifts: Vec<f64> = ta
                .iter()
                .zip(&tb)
                .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| q - p))
                .collect();
            let matched = shifts.len();
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
            let mean_shift = mean(&shifts);
            shifts.iter_mut().for_each(|s| *s = s.abs());
            shifts.sort_by(f64::total_cmp);
            Some(PopulationDiff {
                population: sa.population.clone(),
                size: sa.size,
                rate_a: a.mean_rate(&sa.population).unwrap_or(0.0),
                rate_b: b.mean_rate(&sa.population).unwrap_or(0.0),
                count_correlation: pearson(&counts_a, &counts_b),
                equal_counts: counts_a
                    .iter()
                    .zip(&counts_b)
                    .filter(|(x, y)| x == y)
                    .count() as u32,
                matched,
                mean_shift,
                mean_abs_shift: mean(&shifts),
                median_abs_shift: median(&shifts),
                max_abs_shift: shifts.last().copied().unwrap_or(0.0),
            })
        })
        .collect()
}

fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]),
    }
}

/// Pearson correlation, `None` when either side does not vary.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len()) as f64;
    if n < 2.0 {
        return None;
    }
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::results::{RunInfo, SpikeTrains};

    fn run(steps: Vec<u64>, senders: Vec<u32>, dt: f64) -> Results {
        let mut s = SpikeTrains::new("p", 3);
        (s.steps, s.senders) = (steps, senders);
        Results {
            info: RunInfo {
                dt,
                duration: 1.0,
                ..Default::default()
            },
            spikes: vec![s],
            states: Vec::new(),
            weights: Vec::new(),
        }
    }

    #[test]
    fn identical_runs_have_no_shift_and_full_correlation() {
        let a = run(vec![1, 5, 9, 9], vec![0, 0, 1, 2], 1e-3);
        let d = &compare(&a, &a)[0];
        assert_eq!(d.rate_a, 4.0 / 3.0);
        assert_eq!(d.rate_b, d.rate_a);
        assert!((d.count_correlation.unwrap() - 1.0).abs() < 1e-12);
        assert_eq!((d.matched, d.equal_counts), (4, 3));
        assert_eq!(d.max_abs_shift, 0.0);
    }

    #[test]
    fn shifts_pair_the_kth_spikes_of_each_neuron() {
        let a = run(vec![10, 20, 30], vec![0, 0, 1], 1e-3);
        // Neuron 0 one step later each time, neuron 1 three earlier, one extra.
        let b = run(vec![11, 21, 27, 40], vec![0, 0, 1, 1], 1e-3);
        let d = &compare(&a, &b)[0];
        assert_eq!(d.matched, 3);
        assert!((d.mean_shift - (1.0 + 1.0 - 3.0) / 3.0 * 1e-3).abs() < 1e-12);
        assert!((d.median_abs_shift - 1e-3).abs() < 1e-12);
        assert!((d.max_abs_shift - 3e-3).abs() < 1e-12);
        assert_eq!(d.equal_counts, 2); // neurons 0 and 2
        assert!((d.relative_rate_change() - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn pearson_of_a_linear_relation_is_one_and_of_a_constant_none() {
        assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]).unwrap() - 1.0).abs() < 1e-12);
        assert!((pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(pearson(&[1.0, 1.0], &[1.0, 2.0]), None);
    }
}
