//! Loihi's CUBA-LIF neuron in integer arithmetic (fixed-point mode): state
//! `u` (current) and `v` (voltage), both `i32` holding 24-bit values, with
//! per-neuron decays, threshold and bias. One `step` is one chip time step;
//! the rules are in `engine::fixed::arith`.

use multiversion::multiversion;

use crate::engine::fixed::arith::{self, effective_threshold};
use crate::model::fixed::LoihiLifParams;

/// The new `u` and `v` (before the threshold test) of every neuron: the
/// integers of `arith::next_u` / `next_v`, computed without branches so that
/// the loop vectorises. `|x| (4096 - d) < 2^44` is exact in `f64`, and
/// dividing it by 4096 and truncating is `sign(p) (|p| >> 12)`.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx512vl", "x86_64+avx2"))]
fn subthreshold(u: &mut [i32], v: &mut [i32], du: &[u16], dv: &[u16], bias: &[i32], a_in: &[i32]) {
    let n = u.len();
    let (v, du, dv, bias, a_in) = (&mut v[..n], &du[..n], &dv[..n], &bias[..n], &a_in[..n]);
    let decay = |x: i32, keep: f64| (x as f64 * keep * (1.0 / 4096.0)).trunc() as i32;
    for i in 0..n {
        let ud = decay(u[i], (4095 - du[i] as i32) as f64);
        let d = ud.wrapping_add(a_in[i].wrapping_shl(arith::ACT_SHIFT));
        let new_u = arith::wrap_u(d);
        u[i] = new_u;
        let vd = decay(v[i], (4096 - dv[i] as i32) as f64);
        v[i] = arith::clamp_v(vd.wrapping_add(new_u).wrapping_add(bias[i]));
    }
}

/// Its state is integer (fixed point): it cannot become NaN or infinite,
/// so it has no finite check (see `engine::finite`).
#[derive(Debug, Clone, PartialEq)]
pub struct LoihiLif {
    /// Synaptic current per neuron, chip integers.
    pub u: Vec<i32>,
    /// Membrane voltage per neuron, chip integers.
    pub v: Vec<i32>,
    du: Vec<u16>,
    dv: Vec<u16>,
    /// `vth << 6`, which `v` must exceed.
    threshold: Vec<i64>,
    /// `bias_mant` shifted by `bias_exp`.
    bias: Vec<i32>,
}

impl LoihiLif {
    /// The neurons of parameters `p`, in their initial state.
    pub fn new(p: &LoihiLifParams) -> Self {
        Self {
            u: p.u.clone(),
            v: p.v.clone(),
            du: p.du.clone(),
            dv: p.dv.clone(),
            threshold: p.vth.iter().map(|&t| effective_threshold(t)).collect(),
            bias: p
                .bias_mant
                .iter()
                .zip(&p.bias_exp)
                .map(|(&m, &e)| arith::bias(m, e))
                .collect(),
        }
    }

    /// Number of neurons.
    pub fn size(&self) -> usize {
        self.u.len()
    }

    /// One time step with this step's synaptic input `a_in` (one per
    /// neuron); the indices of the neurons that spike are appended to
    /// `spikes` in increasing order, and their `v` is reset to 0 (`u` is not).
    pub fn step(&mut self, a_in: &[i32], spikes: &mut Vec<u32>) {
        subthreshold(
            &mut self.u,
            &mut self.v,
            &self.du,
            &self.dv,
            &self.bias,
            a_in,
        );
        for (i, (v, &threshold)) in self.v.iter_mut().zip(&self.threshold).enumerate() {
            if *v as i64 > threshold {
                *v = 0;
                spikes.push(i as u32);
            }
        }
    }

    /// The neurons `offset..offset + len`, in their current state.
    pub fn split(&self, offset: usize, len: usize) -> Self {
        let r = offset..offset + len;
        Self {
            u: self.u[r.clone()].to_vec(),
            v: self.v[r.clone()].to_vec(),
            du: self.du[r.clone()].to_vec(),
            dv: self.dv[r.clone()].to_vec(),
            threshold: self.threshold[r.clone()].to_vec(),
            bias: self.bias[r].to_vec(),
        }
    }

    /// The common threshold `vth << 6`, when every neuron has the same one.
    pub fn threshold(&self) -> Option<i64> {
        let first = *self.threshold.first()?;
        self.threshold.iter().all(|&t| t == first).then_some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(n: usize) -> LoihiLifParams {
        LoihiLifParams {
            du: vec![0; n],
            dv: vec![0; n],
            vth: vec![10; n],
            bias_mant: vec![0; n],
            bias_exp: vec![0; n],
            u: vec![0; n],
            v: vec![0; n],
        }
    }

    #[test]
    fn bias_drives_v_to_a_strict_threshold_then_resets_v_only() {
        let mut p = params(2);
        p.bias_mant = vec![160, 161];
        p.u = vec![4096, 4096];
        let mut n = LoihiLif::new(&p);
        let mut spikes = Vec::new();
        // Step 1: u = 4095, v = 4095 + 160 = 4255 / 4256 (threshold 640).
        n.step(&[0, 0], &mut spikes);
        assert_eq!(spikes, vec![0, 1]);
        assert_eq!(n.v, vec![0, 0]);
        assert_eq!(n.u, vec![4095, 4095]);
        // u = 0 now: 640 = 4 * 160 is not above the threshold, 4 * 161 is.
        let mut n = LoihiLif::new(&LoihiLifParams { u: vec![0, 0], ..p });
        let mut fired_at = [None, None];
        for k in 1..=5 {
            spikes.clear();
            n.step(&[0, 0], &mut spikes);
            for &i in &spikes {
                fired_at[i as usize].get_or_insert(k);
            }
        }
        assert_eq!(fired_at, [Some(5), Some(4)]);
    }

    #[test]
    fn vectorised_update_gives_the_integers_of_the_rules() {
        // Boundaries and a spread of values, against arith::next_u / next_v.
        let edges = [
            i32::MIN,
            i32::MIN + 1,
            -(1 << 24) - 7,
            -(1 << 23),
            -(1 << 23) + 1,
            -4097,
            -4096,
            -1,
            0,
            1,
            4095,
            4096,
            (1 << 23) - 1,
            1 << 23,
            (1 << 24) + 3,
            i32::MAX,
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let n = 4000;
        let pick = |r: u64| edges[(r % edges.len() as u64) as usize];
        let mut u: Vec<i32> = (0..n)
            .map(|i| {
                if i % 3 == 0 {
                    pick(next())
                } else {
                    next() as i32 >> (next() % 31)
                }
            })
            .collect();
        let mut v: Vec<i32> = (0..n)
            .map(|i| {
                if i % 5 == 0 {
                    pick(next())
                } else {
                    next() as i32 >> 8
                }
            })
            .collect();
        let du: Vec<u16> = (0..n)
            .map(|i| {
                [0, 1, 2047, 4094, 4095][i % 5].max((next() % 4096) as u16 * u16::from(i % 7 == 0))
            })
            .collect();
        let dv: Vec<u16> = (0..n).map(|i| [0, 1, 4095, 300][i % 4]).collect();
        let bias: Vec<i32> = (0..n).map(|_| (next() as i32) >> 12).collect();
        let a_in: Vec<i32> = (0..n)
            .map(|i| {
                if i % 11 == 0 {
                    next() as i32
                } else {
                    (next() as i32) >> 16
                }
            })
            .collect();
        let (u0, v0) = (u.clone(), v.clone());
        subthreshold(&mut u, &mut v, &du, &dv, &bias, &a_in);
        for i in 0..n {
            let eu = arith::next_u(u0[i], du[i], a_in[i]);
            let ev = arith::next_v(v0[i], dv[i], eu, bias[i]);
            assert_eq!(
                (u[i], v[i]),
                (eu, ev),
                "neuron {i}: u {} v {} du {} dv {}",
                u0[i],
                v0[i],
                du[i],
                dv[i]
            );
        }
    }

    #[test]
    fn split_keeps_each_neurons_parameters() {
        let mut p = params(3);
        p.du = vec![1, 2, 3];
        p.vth = vec![5, 6, 7];
        let n = LoihiLif::new(&p);
        let part = n.split(1, 2);
        assert_eq!(part.du, vec![2, 3]);
        assert_eq!(part.threshold, vec![384, 448]);
        assert_eq!(n.threshold(), None);
        assert_eq!(LoihiLif::new(&params(2)).threshold(), Some(640));
    }
}
