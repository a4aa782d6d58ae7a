//! Connection rules: from a projection's description to its synapses.
//!
//! Each projection draws from three streams of its own (connectivity,
//! weights, delays), keyed by its name, so changing one projection's weights
//! leaves every other random choice of the model unchanged.

use rand::RngExt;
use rand::seq::index;
use rand_pcg::Pcg64;

use super::csr::{Csr, Synapse};
use crate::engine::rng::{self, Sampler};
use crate::model::memory::{MemoryError, try_collect, try_reserve, try_with_capacity};
use crate::model::spec::{ConnectRule, ProjectionSpec};

/// Longest delay a synapse can store, in steps.
pub const MAX_DELAY_STEPS: u16 = u16::MAX;

/// Draw a projection's synapses and pack them; `exact` also keeps the
/// delays in seconds (for the event-driven engine).
pub fn build(
    spec: &ProjectionSpec,
    n_pre: u32,
    n_post: u32,
    seed: u64,
    dt: f64,
    exact: bool,
) -> Csr {
    try_build(spec, n_pre, n_post, seed, dt, exact).unwrap_or_else(|e| panic!("{e}"))
}

/// [`build`], with a failed allocation returned as an error.
pub fn try_build(
    spec: &ProjectionSpec,
    n_pre: u32,
    n_post: u32,
    seed: u64,
    dt: f64,
    exact: bool,
) -> Result<Csr, MemoryError> {
    let mut connect_rng = rng::stream(seed, "connect", &spec.name);
    let same = spec.from == spec.to;
    let exclude_self = same && !spec.allow_autapses;
    let pairs: Vec<(u32, u32)> = match &spec.rule {
        ConnectRule::AllToAll => all_to_all(n_pre, n_post, exclude_self)?,
        // one_to_one onto its own population means autapses: the rule asks for them.
        ConnectRule::OneToOne => (0..n_pre.min(n_post)).map(|i| (i, i)).collect(),
        ConnectRule::FixedProbability(p) => {
            fixed_probability(n_pre, n_post, *p, exclude_self, &mut connect_rng)?
        }
        ConnectRule::FixedIndegree(k) => {
            fixed_indegree(n_pre, n_post, *k, exclude_self, &mut connect_rng)?
        }
        ConnectRule::List(list) => list.iter().map(|s| (s.pre, s.post)).collect(),
        ConnectRule::Dense(rows) => dense_pairs(rows),
    };
    // Weights and delays are drawn synapse by synapse, straight into the
    // packed form, so that only the pairs and the synapses are ever held.
    let (mut weights, mut weight_rng) = (
        Sampler::new(&spec.weight),
        rng::stream(seed, "weight", &spec.name),
    );
    let (mut delays, mut delay_rng) = (
        Sampler::new(&spec.delay),
        rng::stream(seed, "delay", &spec.name),
    );
    let drawn = pairs.iter().enumerate().map(|(i, &(pre, post))| {
        let (mut w, mut d) = (weights.next(&mut weight_rng), delays.next(&mut delay_rng));
        match &spec.rule {
            ConnectRule::List(list) => {
                w = list[i].weight.unwrap_or(w);
                d = list[i].delay.unwrap_or(d);
            }
            // Dense entries scale the projection's weight.
            ConnectRule::Dense(rows) => w *= rows[post as usize][pre as usize],
            _ => {}
        }
        Synapse {
            pre,
            post,
            weight: w as f32,
            delay: delay_steps(d, dt),
            seconds: d.max(dt),
        }
    });
    let synapses = try_collect(pairs.len(), drawn, SYNAPSES)?;
    drop(pairs);
    Csr::try_from_synapses(n_pre as usize, synapses, exact)
}

const SYNAPSES: &str = "synapses being drawn";

/// A delay in seconds as a whole number of steps, at least one.
pub fn delay_steps(delay: f64, dt: f64) -> u16 {
    (delay / dt).round().clamp(1.0, MAX_DELAY_STEPS as f64) as u16
}

fn all_to_all(n_pre: u32, n_post: u32, exclude_self: bool) -> Result<Vec<(u32, u32)>, MemoryError> {
    let mut pairs = try_with_capacity(n_pre as usize * n_post as usize, SYNAPSES)?;
    for pre in 0..n_pre {
        for post in 0..n_post {
            if !(exclude_self && pre == post) {
                pairs.push((pre, post));
            }
        }
    }
    Ok(pairs)
}

/// Each pair independently with probability `p`, visiting only the chosen
/// pairs: the gap to the next chosen target is geometric.
fn fixed_probability(
    n_pre: u32,
    n_post: u32,
    p: f64,
    exclude_self: bool,
    rng: &mut Pcg64,
) -> Result<Vec<(u32, u32)>, MemoryError> {
    let expected = p * n_pre as f64 * n_post as f64;
    // Room for the mean plus ten standard deviations: growing past it is rare.
    let room = expected + 10.0 * expected.sqrt() + 16.0;
    let mut pairs = try_with_capacity(room as usize, SYNAPSES)?;
    if p <= 0.0 {
        return Ok(pairs);
    }
    let log_q = (-p).ln_1p();
    for pre in 0..n_pre {
        let mut post: i64 = -1;
        loop {
            let skip = if p >= 1.0 {
                0.0
            } else {
                let u: f64 = 1.0 - rng.random::<f64>();
                (u.ln() / log_q).floor()
            };
            // In f64: at a tiny `p` the skip exceeds any integer type.
            if post as f64 + skip + 1.0 >= n_post as f64 {
                break;
            }
            post += skip as i64 + 1;
            if !(exclude_self && post == pre as i64) {
                if pairs.len() == pairs.capacity() {
                    let more = pairs.len() / 8 + 16;
                    try_reserve(&mut pairs, more, SYNAPSES)?;
                }
                pairs.push((pre, post as u32));
            }
        }
    }
    Ok(pairs)
}

/// Every target gets exactly `k` distinct sources (no multapses).
fn fixed_indegree(
    n_pre: u32,
    n_post: u32,
    k: u32,
    exclude_self: bool,
    rng: &mut Pcg64,
) -> Result<Vec<(u32, u32)>, MemoryError> {
    let mut pairs = try_with_capacity(k.min(n_pre) as usize * n_post as usize, SYNAPSES)?;
    for post in 0..n_post {
        let skip_self = exclude_self && post < n_pre;
        let available = if skip_self { n_pre - 1 } else { n_pre };
        let amount = k.min(available) as usize;
        for i in index::sample(rng, available as usize, amount) {
            let mut pre = i as u32;
            // Sampling from n-1 candidates and stepping over `post` itself.
            if skip_self && pre >= post {
                pre += 1;
            }
            pairs.push((pre, post));
        }
    }
    Ok(pairs)
}

fn dense_pairs(rows: &[Vec<f64>]) -> Vec<(u32, u32)> {
    let mut pairs = Vec::new();
    for (post, row) in rows.iter().enumerate() {
        for (pre, &x) in row.iter().enumerate() {
            if x != 0.0 {
                pairs.push((pre as u32, post as u32));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::spec::{Port, ValueSpec};

    fn spec(rule: ConnectRule, same: bool) -> ProjectionSpec {
        ProjectionSpec {
            name: "p".into(),
            from: 0,
            to: if same { 0 } else { 1 },
            rule,
            weight: ValueSpec::Constant(1e-3),
            delay: ValueSpec::Uniform {
                low: 1e-4,
                high: 5e-4,
            },
            port: Port::Voltage,
            allow_autapses: false,
            plasticity: None,
        }
    }

    #[test]
    fn fixed_probability_count_is_binomial() {
        let (n, p) = (2000u32, 0.05);
        let csr = build(
            &spec(ConnectRule::FixedProbability(p), true),
            n,
            n,
            3,
            1e-4,
            false,
        );
        let trials = (n as f64) * (n as f64 - 1.0);
        let mean = trials * p;
        let sd = (trials * p * (1.0 - p)).sqrt();
        assert!(
            ((csr.len() as f64) - mean).abs() < 5.0 * sd,
            "{} vs {mean}",
            csr.len()
        );
        assert!(csr.iter().all(|s| s.pre != s.post), "autapses excluded");
    }

    #[test]
    fn fixed_indegree_is_exact_and_distinct() {
        let csr = build(
            &spec(ConnectRule::FixedIndegree(30), true),
            100,
            100,
            9,
            1e-4,
            false,
        );
        let mut indegree = vec![Vec::new(); 100];
        for s in csr.iter() {
            indegree[s.post as usize].push(s.pre);
            assert_ne!(s.pre, s.post);
        }
        for sources in &mut indegree {
            assert_eq!(sources.len(), 30);
            sources.sort();
            sources.dedup();
            assert_eq!(sources.len(), 30, "no multapses");
        }
    }

    #[test]
    fn exact_delays_keep_the_drawn_seconds() {
        let csr = build(&spec(ConnectRule::AllToAll, false), 20, 20, 1, 1e-4, true);
        let steps: Vec<u16> = csr.iter().map(|s| s.delay).collect();
        let seconds: Vec<f64> = csr.iter().map(|s| s.seconds).collect();
        assert!(seconds.iter().all(|d| (1e-4..=5e-4).contains(d)));
        assert!(
            seconds.iter().any(|d| (d / 1e-4).fract().abs() > 1e-6),
            "not rounded to dt"
        );
        for (k, d) in steps.iter().zip(&seconds) {
            assert_eq!(*k, delay_steps(*d, 1e-4));
        }
    }

    #[test]
    fn delays_are_rounded_to_whole_steps_in_range() {
        let csr = build(&spec(ConnectRule::AllToAll, false), 20, 20, 1, 1e-4, false);
        assert_eq!(csr.len(), 400);
        assert!(csr.iter().all(|s| (1..=5).contains(&s.delay)));
        assert_eq!(delay_steps(0.25e-3, 1e-4), 3);
    }

    #[test]
    fn same_seed_same_synapses_other_name_other_synapses() {
        let a = build(
            &spec(ConnectRule::FixedProbability(0.1), true),
            100,
            100,
            5,
            1e-4,
            false,
        );
        let b = build(
            &spec(ConnectRule::FixedProbability(0.1), true),
            100,
            100,
            5,
            1e-4,
            false,
        );
        let mut other = spec(ConnectRule::FixedProbability(0.1), true);
        other.name = "q".into();
        let c = build(&other, 100, 100, 5, 1e-4, false);
        assert_eq!(a, b);
        assert_ne!(a.targets, c.targets);
    }

    #[test]
    fn dense_entries_scale_the_weight_and_zeros_make_no_synapse() {
        let rows = vec![vec![0.0, 2.0], vec![1.0, 0.0], vec![0.5, 0.5]];
        let mut s = spec(ConnectRule::Dense(rows), false);
        s.delay = ValueSpec::Constant(1e-4);
        let csr = build(&s, 2, 3, 1, 1e-4, false);
        let syns: Vec<_> = csr.iter().map(|s| (s.pre, s.post, s.weight)).collect();
        assert_eq!(
            syns,
            vec![(0, 1, 1e-3), (0, 2, 0.5e-3), (1, 0, 2e-3), (1, 2, 0.5e-3)]
        );
    }
}
