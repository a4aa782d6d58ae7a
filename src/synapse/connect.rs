//! Connection rules: from a projection's description to its synapses.
//!
//! Synapses are generated target by target: the sources, weights and delays
//! of the synapses onto target neuron `post` come from streams keyed by the
//! projection's name and `post` (one each for connectivity, weights and
//! delays), so any range of targets is built alone, with the same synapses
//! whatever the cut of the population into ranges (threads, ranks), and
//! changing a projection's weights leaves its connectivity unchanged.
//!
//! The packed form (one row per source) is filled in two passes over the
//! targets: the first counts each source's synapses, the second regenerates
//! the same sources and writes every synapse in its place. No list of pairs
//! or unpacked synapses is ever held: the build peaks at the packed size.

use std::ops::Range;

use rand::RngExt;
use rand_distr::{Binomial, Distribution, Hypergeometric};
use rand_pcg::Pcg64;

use super::csr::{Csr, Delays, ExactDelays};
use crate::engine::rng::{self, Keyed, Sampler};
use crate::model::memory::{MemoryError, try_collect, try_vec};
use crate::model::spec::{ConnectRule, ListedSynapse, ProjectionSpec, ValueSpec};

/// Longest delay a synapse can store, in steps.
pub const MAX_DELAY_STEPS: u16 = u16::MAX;

const SYNAPSES: &str = "synapse storage";

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
    try_build_onto(spec, n_pre, n_post, 0..n_post, seed, dt, exact)
}

/// The synapses of the projection onto the target neurons `targets`
/// (population indices), with targets stored relative to `targets.start`;
/// the same synapses for any cut of the targets into ranges.
pub fn try_build_onto(
    spec: &ProjectionSpec,
    n_pre: u32,
    n_post: u32,
    targets: Range<u32>,
    seed: u64,
    dt: f64,
    exact: bool,
) -> Result<Csr, MemoryError> {
    let targets = targets.start.min(n_post)..targets.end.min(n_post);
    let mut sources = Sources::new(spec, n_pre, n_post, targets.clone(), seed)?;
    let mut scratch = Vec::new();

    // Pass 1: synapses per source, as row offsets.
    let mut offsets = try_vec(n_pre as usize + 1, 0usize, SYNAPSES)?;
    for post in targets.clone() {
        sources.fill(post, &mut scratch);
        for &pre in &scratch {
            offsets[pre as usize + 1] += 1;
        }
    }
    for i in 0..n_pre as usize {
        offsets[i + 1] += offsets[i];
    }
    let n = offsets[n_pre as usize];

    // Pass 2: the same sources again, each synapse written at its row's
    // cursor (`offsets[pre]`, moved on by one per synapse). Targets come in
    // ascending order, so every row ends up sorted by target.
    let mut values = Values::new(spec, n, seed, dt, exact)?;
    let mut target_of = try_vec(n, 0u32, SYNAPSES)?;
    let mut weights = try_vec(n, 0f32, SYNAPSES)?;
    for post in targets.clone() {
        sources.fill(post, &mut scratch);
        let mut draw = values.onto(post);
        for (j, &pre) in scratch.iter().enumerate() {
            let at = offsets[pre as usize];
            offsets[pre as usize] += 1;
            let ordinal = sources.ordinal(post, j, pre);
            let (w, d) = draw.next(&sources, ordinal, post, pre);
            target_of[at] = post - targets.start;
            weights[at] = w as f32;
            values.store(at, d)?;
        }
    }
    // Each cursor now stands at the end of its row: the next row's start.
    offsets.copy_within(0..n_pre as usize, 1);
    offsets[0] = 0;
    let (delays, exact_delays) = values.finish(n, exact)?;
    Ok(Csr {
        offsets,
        targets: target_of,
        weights,
        delays,
        exact_delays,
    })
}

/// A delay in seconds as a whole number of steps, at least one.
pub fn delay_steps(delay: f64, dt: f64) -> u16 {
    (delay / dt).round().clamp(1.0, MAX_DELAY_STEPS as f64) as u16
}

/// Whether some synapse of a projection may have a delay of zero steps:
/// only a delay given as exactly 0 (the constant, an array entry or a
/// listed delay) is zero; drawn delays (uniform, normal) stay at least one
/// step, as they always were.
pub fn may_be_zero(spec: &ProjectionSpec) -> bool {
    let given = match &spec.delay {
        ValueSpec::Constant(d) => *d == 0.0,
        ValueSpec::Array(a) => a.contains(&0.0),
        ValueSpec::Uniform { .. } | ValueSpec::Normal { .. } => false,
    };
    let listed = match &spec.rule {
        ConnectRule::List(list) => list.iter().any(|s| s.delay == Some(0.0)),
        _ => false,
    };
    given || listed
}

/// [`delay_steps`], except that an exact 0 is zero steps when the
/// projection allows it (`zero`, see [`may_be_zero`]).
fn steps_of(delay: f64, dt: f64, zero: bool) -> u16 {
    if zero && delay == 0.0 {
        0
    } else {
        delay_steps(delay, dt)
    }
}

/// How the sources of one target are chosen.
enum Plan<'a> {
    AllToAll,
    OneToOne,
    Probability(f64),
    Indegree(u32),
    /// Synapses per target of the range, from the projection-wide split.
    Total {
        counts: Vec<u64>,
        multapses: bool,
    },
    /// Indices into the list, grouped by target (ascending) and in list
    /// order within a target; `starts[post - lo]` opens a target's group.
    List {
        list: &'a [ListedSynapse],
        order: Vec<u32>,
        starts: Vec<usize>,
    },
    /// `rows[post][pre]`, and the nonzero entries before each row.
    Dense {
        rows: &'a [Vec<f64>],
        before: Vec<usize>,
    },
}

/// The sources of each target of a range, regenerated on demand from the
/// target's own stream.
struct Sources<'a> {
    plan: Plan<'a>,
    n_pre: u32,
    n_post: u32,
    lo: u32,
    exclude_self: bool,
    streams: Keyed,
    /// Candidates for sampling without replacement when a target takes a
    /// large share of the sources.
    pool: Vec<u32>,
}

impl<'a> Sources<'a> {
    fn new(
        spec: &'a ProjectionSpec,
        n_pre: u32,
        n_post: u32,
        targets: Range<u32>,
        seed: u64,
    ) -> Result<Self, MemoryError> {
        let plan = match &spec.rule {
            ConnectRule::AllToAll => Plan::AllToAll,
            ConnectRule::OneToOne => Plan::OneToOne,
            ConnectRule::FixedProbability(p) => Plan::Probability(*p),
            ConnectRule::FixedIndegree(k) => Plan::Indegree(*k),
            ConnectRule::FixedTotalNumber { total, multapses } => Plan::Total {
                counts: split_total(spec, n_pre, n_post, *total, *multapses, &targets, seed)?,
                multapses: *multapses,
            },
            ConnectRule::List(list) => list_plan(list, &targets)?,
            ConnectRule::Dense(rows) => {
                let mut before = Vec::with_capacity(rows.len() + 1);
                before.push(0);
                for row in rows {
                    let nonzero = row.iter().filter(|&&x| x != 0.0).count();
                    before.push(before.last().copied().unwrap_or(0) + nonzero);
                }
                Plan::Dense { rows, before }
            }
        };
        Ok(Self {
            plan,
            n_pre,
            n_post,
            lo: targets.start,
            exclude_self: spec.from == spec.to && !spec.allow_autapses,
            streams: Keyed::new(seed, "connect", &spec.name),
            pool: Vec::new(),
        })
    }

    /// Whether `post` must not receive from itself.
    fn skips_self(&self, post: u32) -> bool {
        self.exclude_self && post < self.n_pre
    }

    /// Sources available to `post` (all but itself when autapses are off).
    fn available(&self, post: u32) -> u32 {
        self.n_pre - self.skips_self(post) as u32
    }

    /// The sources of `post`'s synapses, in generation order.
    fn fill(&mut self, post: u32, out: &mut Vec<u32>) {
        out.clear();
        let available = self.available(post);
        match &self.plan {
            Plan::AllToAll => out.extend(0..available),
            Plan::OneToOne => {
                if post < self.n_pre {
                    out.push(post);
                }
                return;
            }
            &Plan::Probability(p) => {
                let mut rng = self.streams.get(post as u64);
                bernoulli_sources(available, p, &mut rng, out);
            }
            &Plan::Indegree(k) => {
                let mut rng = self.streams.get(post as u64);
                distinct(available, k.min(available), &mut rng, out, &mut self.pool);
            }
            Plan::Total { counts, multapses } => {
                let count = counts[(post - self.lo) as usize];
                let mut rng = self.streams.get(post as u64);
                if *multapses {
                    out.extend((0..count).map(|_| rng.random_range(0..available)));
                } else {
                    distinct(available, count as u32, &mut rng, out, &mut self.pool);
                }
            }
            Plan::List {
                list,
                order,
                starts,
            } => {
                let group =
                    starts[(post - self.lo) as usize]..starts[(post - self.lo) as usize + 1];
                out.extend(order[group].iter().map(|&i| list[i as usize].pre));
                return;
            }
            Plan::Dense { rows, .. } => {
                let row = &rows[post as usize];
                out.extend((0..self.n_pre).filter(|&pre| row[pre as usize] != 0.0));
                return;
            }
        }
        // Sampled among the other sources: step over `post` itself.
        if self.skips_self(post) {
            out.iter_mut()
                .filter(|pre| **pre >= post)
                .for_each(|pre| *pre += 1);
        }
    }

    /// The place of the `j`-th synapse onto `post` (from `pre`) in the
    /// order of the whole projection, which indexes per-synapse arrays and
    /// connection lists: source-major for all_to_all, list order for lists,
    /// target-major for the other rules.
    fn ordinal(&self, post: u32, j: usize, pre: u32) -> usize {
        match &self.plan {
            Plan::AllToAll => {
                let diagonal_before = if self.exclude_self {
                    (pre.min(self.n_post) + (pre < post) as u32) as usize
                } else {
                    0
                };
                pre as usize * self.n_post as usize + post as usize - diagonal_before
            }
            Plan::OneToOne => post as usize,
            Plan::List { order, starts, .. } => {
                order[starts[(post - self.lo) as usize] + j] as usize
            }
            Plan::Dense { before, .. } => before[post as usize] + j,
            Plan::Indegree(k) => post as usize * (*k).min(self.n_pre) as usize + j,
            Plan::Probability(_) | Plan::Total { .. } => j,
        }
    }
}

/// The list's synapses onto `targets`, grouped by target in list order.
fn list_plan<'a>(list: &'a [ListedSynapse], targets: &Range<u32>) -> Result<Plan<'a>, MemoryError> {
    let width = targets.len();
    let mut starts = try_vec(width + 1, 0usize, SYNAPSES)?;
    for s in list.iter().filter(|s| targets.contains(&s.post)) {
        starts[(s.post - targets.start) as usize + 1] += 1;
    }
    for i in 0..width {
        starts[i + 1] += starts[i];
    }
    let mut order = try_vec(starts[width], 0u32, SYNAPSES)?;
    let mut cursor = starts.clone();
    for (i, s) in list.iter().enumerate() {
        if targets.contains(&s.post) {
            let c = &mut cursor[(s.post - targets.start) as usize];
            order[*c] = i as u32;
            *c += 1;
        }
    }
    Ok(Plan::List {
        list,
        order,
        starts,
    })
}

/// Each of `available` sources independently with probability `p`,
/// visiting only the chosen ones: the gap to the next is geometric.
fn bernoulli_sources(available: u32, p: f64, rng: &mut Pcg64, out: &mut Vec<u32>) {
    if p <= 0.0 {
        return;
    }
    if p >= 1.0 {
        out.extend(0..available);
        return;
    }
    let log_q = (-p).ln_1p();
    let mut pre: i64 = -1;
    loop {
        let u: f64 = 1.0 - rng.random::<f64>();
        let skip = (u.ln() / log_q).floor();
        // In f64: at a tiny `p` the skip exceeds any integer type.
        if pre as f64 + skip + 1.0 >= available as f64 {
            return;
        }
        pre += skip as i64 + 1;
        out.push(pre as u32);
    }
}

/// `k` distinct sources of `0..n`, uniformly, ascending.
fn distinct(n: u32, k: u32, rng: &mut Pcg64, out: &mut Vec<u32>, pool: &mut Vec<u32>) {
    if k as u64 * 4 <= n as u64 {
        // Few of many: draw, drop repeats, draw the missing ones again
        // (the same as drawing one by one and rejecting repeats).
        while out.len() < k as usize {
            let missing = k as usize - out.len();
            out.extend((0..missing).map(|_| rng.random_range(0..n)));
            out.sort_unstable();
            out.dedup();
        }
    } else {
        // Many of few: the first `k` places of a partial shuffle.
        pool.clear();
        pool.extend(0..n);
        for i in 0..k {
            let j = rng.random_range(i..n);
            pool.swap(i as usize, j as usize);
        }
        out.extend_from_slice(&pool[..k as usize]);
        out.sort_unstable();
    }
}

/// How many of `total` synapses end on each target of `targets`: a
/// multinomial split (multapses) or a multivariate hypergeometric one
/// (distinct pairs), each target's share in proportion to the sources it
/// can take, drawn target by target as conditional binomials
/// (hypergeometrics) from one projection-wide stream. Every range repeats
/// the split up to its end, so all ranges agree on it.
fn split_total(
    spec: &ProjectionSpec,
    n_pre: u32,
    n_post: u32,
    total: u64,
    multapses: bool,
    targets: &Range<u32>,
    seed: u64,
) -> Result<Vec<u64>, MemoryError> {
    let exclude_self = spec.from == spec.to && !spec.allow_autapses;
    let capacity = |post: u32| n_pre as u64 - (exclude_self && post < n_pre) as u64;
    let mut room: u64 = n_pre as u64 * n_post as u64
        - if exclude_self {
            n_pre.min(n_post) as u64
        } else {
            0
        };
    let mut left = total;
    let mut rng = rng::stream(seed, "connect-total", &spec.name);
    let mut counts = try_vec(targets.len(), 0u64, SYNAPSES)?;
    for post in 0..targets.end {
        let cap = capacity(post);
        let count = if left == 0 || room == 0 {
            0
        } else if cap >= room {
            left
        } else if multapses {
            Binomial::new(left, cap as f64 / room as f64)
                .map(|b| b.sample(&mut rng))
                .unwrap_or(0)
        } else {
            Hypergeometric::new(room, cap, left.min(room))
                .map(|h| h.sample(&mut rng))
                .unwrap_or(0)
        };
        if post >= targets.start {
            counts[(post - targets.start) as usize] = count;
        }
        left -= count;
        room -= cap;
    }
    Ok(counts)
}

/// Weights and delays of the synapses, drawn per target, and the delays'
/// storage: one value when the spec gives every synapse the same delay,
/// else bytes, widened to `u16` if a delay needs it.
struct Values<'a> {
    spec: &'a ProjectionSpec,
    dt: f64,
    weight_streams: Keyed,
    delay_streams: Keyed,
    /// Each target's draws start from copies of these.
    weights: Sampler<'a>,
    delays: Sampler<'a>,
    steps: Steps,
    seconds: Option<Vec<f64>>,
    /// An exact 0 is zero steps (see [`may_be_zero`]).
    zero: bool,
}

enum Steps {
    Same(u16),
    Short(Vec<u8>),
    Long(Vec<u16>),
}

/// The draws of one target's synapses.
struct Draw<'a> {
    weights: Sampler<'a>,
    delays: Sampler<'a>,
    weight_rng: Pcg64,
    delay_rng: Pcg64,
}

impl<'a> Values<'a> {
    fn new(
        spec: &'a ProjectionSpec,
        n: usize,
        seed: u64,
        dt: f64,
        exact: bool,
    ) -> Result<Self, MemoryError> {
        let listed_delays = match &spec.rule {
            ConnectRule::List(list) => list.iter().filter_map(|s| s.delay).reduce(f64::max),
            _ => None,
        };
        let zero = may_be_zero(spec);
        let steps = match (&spec.delay, listed_delays) {
            (ValueSpec::Constant(d), None) => Steps::Same(steps_of(*d, dt, zero)),
            (spec_delay, listed) => {
                let longest = spec_delay.upper_bound(5.0).max(listed.unwrap_or(0.0));
                if delay_steps(longest, dt) <= u8::MAX as u16 {
                    Steps::Short(try_vec(n, 0u8, SYNAPSES)?)
                } else {
                    Steps::Long(try_vec(n, 0u16, SYNAPSES)?)
                }
            }
        };
        let seconds = match (&steps, exact) {
            (Steps::Same(_), _) | (_, false) => None,
            _ => Some(try_vec(n, 0f64, SYNAPSES)?),
        };
        Ok(Self {
            spec,
            dt,
            weight_streams: Keyed::new(seed, "weight", &spec.name),
            delay_streams: Keyed::new(seed, "delay", &spec.name),
            weights: Sampler::new(&spec.weight),
            delays: Sampler::new(&spec.delay),
            steps,
            seconds,
            zero,
        })
    }

    fn onto(&self, post: u32) -> Draw<'a> {
        Draw {
            weights: self.weights.clone(),
            delays: self.delays.clone(),
            weight_rng: self.weight_streams.get(post as u64),
            delay_rng: self.delay_streams.get(post as u64),
        }
    }

    /// Keep synapse `at`'s delay `d` (seconds).
    fn store(&mut self, at: usize, d: f64) -> Result<(), MemoryError> {
        let steps = steps_of(d, self.dt, self.zero);
        if let Steps::Short(short) = &mut self.steps
            && steps > u8::MAX as u16
        {
            let wide = try_collect(short.len(), short.iter().map(|&s| s as u16), SYNAPSES)?;
            self.steps = Steps::Long(wide);
        }
        match &mut self.steps {
            Steps::Same(_) => {}
            Steps::Short(short) => short[at] = steps as u8,
            Steps::Long(long) => long[at] = steps,
        }
        if let Some(seconds) = &mut self.seconds {
            // A zero delay stays zero (the event engine refuses such
            // projections; the NIR export reads it); others are at least dt.
            seconds[at] = if self.zero && d == 0.0 {
                0.0
            } else {
                d.max(self.dt)
            };
        }
        Ok(())
    }

    /// The `n` delays in their most compact form.
    fn finish(self, n: usize, exact: bool) -> Result<(Delays, Option<ExactDelays>), MemoryError> {
        let delays = match self.steps {
            _ if n == 0 => Delays::Uniform(1),
            Steps::Same(d) => Delays::Uniform(d),
            Steps::Short(s) if s.iter().all(|&d| d == s[0]) => Delays::Uniform(s[0] as u16),
            Steps::Short(s) => Delays::Short(s),
            Steps::Long(s) => Delays::packed(n, s.iter().copied(), SYNAPSES)?,
        };
        let exact = match (self.seconds, &self.spec.delay) {
            _ if !exact => None,
            _ if n == 0 => Some(ExactDelays::Uniform(0.0)),
            (Some(s), _) if s.iter().any(|&d| d != s[0]) => Some(ExactDelays::PerSynapse(s)),
            (Some(s), _) => Some(ExactDelays::Uniform(s[0])),
            (None, d) => Some(ExactDelays::Uniform(match d.upper_bound(0.0) {
                0.0 if self.zero => 0.0,
                d => d.max(self.dt),
            })),
        };
        Ok((delays, exact))
    }
}

impl Draw<'_> {
    /// Weight and delay (seconds) of the synapse `pre -> post`, the
    /// `ordinal`-th of the projection.
    fn next(&mut self, sources: &Sources, ordinal: usize, post: u32, pre: u32) -> (f64, f64) {
        self.weights.seek(ordinal);
        self.delays.seek(ordinal);
        let (mut w, mut d) = (
            self.weights.next(&mut self.weight_rng),
            self.delays.next(&mut self.delay_rng),
        );
        match &sources.plan {
            Plan::List { list, .. } => {
                w = list[ordinal].weight.unwrap_or(w);
                d = list[ordinal].delay.unwrap_or(d);
            }
            // Dense entries scale the projection's weight.
            Plan::Dense { rows, .. } => w *= rows[post as usize][pre as usize],
            _ => {}
        }
        (w, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::spec::Port;
    use crate::synapse::csr::Synapse;

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

    /// The synapses onto `cuts`' ranges, put back in population indices
    /// and in the whole projection's order.
    fn built_in_pieces(
        spec: &ProjectionSpec,
        n_pre: u32,
        n_post: u32,
        cuts: &[u32],
    ) -> Vec<Synapse> {
        let mut all = Vec::new();
        for w in cuts.windows(2) {
            let part = try_build_onto(spec, n_pre, n_post, w[0]..w[1], 4, 1e-4, true).unwrap();
            assert!(
                part.iter().all(|s| s.post < w[1] - w[0]),
                "relative targets"
            );
            all.extend(part.iter().map(|s| Synapse {
                post: s.post + w[0],
                ..s
            }));
        }
        // Stable: multapses keep their order, which is the pieces' order.
        all.sort_by_key(|s| (s.pre, s.post));
        all
    }

    #[test]
    fn any_cut_into_ranges_gives_the_same_synapses() {
        let list = (0..300)
            .map(|i| ListedSynapse {
                pre: (i * 7) % 40,
                post: (i * 13) % 50,
                weight: (i % 3 == 0).then_some(i as f64),
                delay: (i % 5 == 0).then_some(3e-4),
            })
            .collect();
        let dense = (0..50)
            .map(|post| (0..40).map(|pre| ((pre * post) % 3) as f64).collect())
            .collect();
        let rules = [
            ConnectRule::AllToAll,
            ConnectRule::FixedProbability(0.2),
            ConnectRule::FixedIndegree(9),
            ConnectRule::FixedIndegree(35),
            ConnectRule::FixedTotalNumber {
                total: 700,
                multapses: true,
            },
            ConnectRule::FixedTotalNumber {
                total: 1500,
                multapses: false,
            },
            ConnectRule::List(list),
            ConnectRule::Dense(dense),
        ];
        for rule in rules {
            for same in [true, false] {
                let mut s = spec(rule.clone(), same);
                s.weight = ValueSpec::Normal {
                    mean: 1e-3,
                    std: 2e-4,
                    min: 0.9e-3,
                    max: f64::INFINITY,
                };
                let n = if same { 40 } else { 50 };
                let whole: Vec<Synapse> = build(&s, 40, n, 4, 1e-4, true).iter().collect();
                assert!(!whole.is_empty(), "{rule:?}");
                for cuts in [
                    vec![0, 1, 17, n],
                    vec![0, n / 2, n],
                    vec![0, 3, 4, 5, 39, n],
                ] {
                    assert_eq!(
                        built_in_pieces(&s, 40, n, &cuts),
                        whole,
                        "{rule:?} cut {cuts:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn per_synapse_arrays_keep_the_order_of_the_whole_projection() {
        // all_to_all without autapses: synapse i of the source-major order
        // (pre, then post, the diagonal left out) takes array entry i.
        let n = 6u32;
        let mut s = spec(ConnectRule::AllToAll, true);
        s.weight = ValueSpec::Array((0..n * (n - 1)).map(|i| i as f64).collect());
        let order: Vec<(u32, u32)> = (0..n)
            .flat_map(|pre| {
                (0..n)
                    .filter(move |&post| post != pre)
                    .map(move |post| (pre, post))
            })
            .collect();
        let whole = build(&s, n, n, 1, 1e-4, false);
        for syn in whole.iter() {
            let i = order
                .iter()
                .position(|&p| p == (syn.pre, syn.post))
                .unwrap();
            assert_eq!(syn.weight, i as f32, "{syn:?}");
        }
        assert_eq!(built_in_pieces(&s, n, n, &[0, 2, n]).len(), order.len());
        // Dense: target-major over the nonzero entries.
        let rows = vec![
            vec![0.0, 1.0, 1.0],
            vec![1.0, 0.0, 0.0],
            vec![1.0, 1.0, 0.0],
        ];
        let mut s = spec(ConnectRule::Dense(rows), false);
        s.weight = ValueSpec::Array(vec![10.0, 20.0, 30.0, 40.0, 50.0]);
        let got: Vec<(u32, u32, f32)> = build(&s, 3, 3, 1, 1e-4, false)
            .iter()
            .map(|s| (s.pre, s.post, s.weight))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, 1, 30.0),
                (0, 2, 40.0),
                (1, 0, 10.0),
                (1, 2, 50.0),
                (2, 0, 20.0)
            ]
        );
    }

    fn total_spec(total: u64, multapses: bool, same: bool) -> ProjectionSpec {
        spec(ConnectRule::FixedTotalNumber { total, multapses }, same)
    }

    /// Synapses per target and per source.
    fn degrees(csr: &Csr, n_pre: usize, n_post: usize) -> (Vec<f64>, Vec<f64>) {
        let (mut indegree, mut outdegree) = (vec![0.0; n_post], vec![0.0; n_pre]);
        for s in csr.iter() {
            indegree[s.post as usize] += 1.0;
            outdegree[s.pre as usize] += 1.0;
        }
        (indegree, outdegree)
    }

    fn mean_and_variance(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var)
    }

    #[test]
    fn fixed_total_number_with_multapses_is_multinomial() {
        // 50 000 synapses between 200 sources and 1000 targets: each target's
        // count is Binomial(50 000, 1/1000), each source's Binomial(50 000, 1/200).
        let (n_pre, n_post, total) = (200usize, 1000usize, 50_000u64);
        let csr = build(&total_spec(total, true, false), 200, 1000, 8, 1e-4, false);
        assert_eq!(csr.len() as u64, total, "exactly the total");
        let (indegree, outdegree) = degrees(&csr, n_pre, n_post);
        let (mean, var) = mean_and_variance(&indegree);
        let p = 1.0 / n_post as f64;
        let expected_var = total as f64 * p * (1.0 - p);
        assert!((mean - 50.0).abs() < 1e-9, "{mean}");
        // The sample variance of 1000 counts has a standard error of about
        // var * sqrt(2 / 999) ≈ 2.2: five of them.
        let se = expected_var * (2.0 / (n_post as f64 - 1.0)).sqrt();
        assert!(
            (var - expected_var).abs() < 5.0 * se,
            "{var} vs {expected_var}"
        );
        // Sources: chi-square over 200 cells, 199 degrees of freedom (mean
        // 199, sd 20), within five sd either side.
        let e = total as f64 / n_pre as f64;
        let chi2: f64 = outdegree.iter().map(|o| (o - e).powi(2) / e).sum();
        assert!((chi2 - 199.0).abs() < 5.0 * 398f64.sqrt(), "chi2 {chi2}");
        // Multapses do occur: 50 000 draws over 200 000 pairs.
        let mut pairs: Vec<(u32, u32)> = csr.iter().map(|s| (s.pre, s.post)).collect();
        pairs.sort();
        pairs.dedup();
        assert!(pairs.len() < csr.len());
    }

    #[test]
    fn fixed_total_number_without_multapses_is_hypergeometric() {
        // 60 000 distinct pairs of 300 x 300 without autapses (89 700 pairs):
        // each target's count is hypergeometric with 299 of the 89 700 pairs.
        let (n, total) = (300usize, 60_000u64);
        let csr = build(&total_spec(total, false, true), 300, 300, 8, 1e-4, false);
        assert_eq!(csr.len() as u64, total);
        assert!(csr.iter().all(|s| s.pre != s.post), "no autapses");
        let mut pairs: Vec<(u32, u32)> = csr.iter().map(|s| (s.pre, s.post)).collect();
        pairs.sort();
        pairs.dedup();
        assert_eq!(pairs.len() as u64, total, "no multapses");
        let (indegree, outdegree) = degrees(&csr, n, n);
        let (pairs_all, k) = (89_700.0, 299.0);
        let q = k / pairs_all;
        let expected_var =
            total as f64 * q * (1.0 - q) * (pairs_all - total as f64) / (pairs_all - 1.0);
        let (mean, var) = mean_and_variance(&indegree);
        assert!((mean - 200.0).abs() < 1e-9, "{mean}");
        let se = expected_var * (2.0 / (n as f64 - 1.0)).sqrt();
        assert!(
            (var - expected_var).abs() < 5.0 * se,
            "{var} vs {expected_var}"
        );
        // Sources are symmetric with targets: the same law.
        let (mean, var) = mean_and_variance(&outdegree);
        assert!((mean - 200.0).abs() < 1e-9);
        assert!(
            (var - expected_var).abs() < 5.0 * se,
            "sources: {var} vs {expected_var}"
        );
    }

    #[test]
    fn fixed_total_number_of_every_pair_takes_each_once() {
        let csr = build(&total_spec(20 * 19, false, true), 20, 20, 2, 1e-4, false);
        let pairs: Vec<(u32, u32)> = csr.iter().map(|s| (s.pre, s.post)).collect();
        let every: Vec<(u32, u32)> = (0..20)
            .flat_map(|pre| {
                (0..20)
                    .filter(move |&post| post != pre)
                    .map(move |post| (pre, post))
            })
            .collect();
        assert_eq!(pairs, every);
        assert_eq!(
            build(&total_spec(0, true, false), 5, 5, 2, 1e-4, false).len(),
            0
        );
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
