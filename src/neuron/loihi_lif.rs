//! Loihi's CUBA-LIF neuron in integer arithmetic (fixed-point mode): state
//! `u` (current) and `v` (voltage), both `i32` holding 24-bit values, with
//! per-neuron decays, threshold and bias. One `step` is one chip time step;
//! the rules are in `engine::fixed::arith`.

use crate::engine::fixed::arith::{self, effective_threshold};
use crate::model::fixed::LoihiLifParams;

#[derive(Debug, Clone, PartialEq)]
pub struct LoihiLif {
    pub u: Vec<i32>,
    pub v: Vec<i32>,
    du: Vec<u16>,
    dv: Vec<u16>,
    /// `vth << 6`, which `v` must exceed.
    threshold: Vec<i64>,
    /// `bias_mant` shifted by `bias_exp`.
    bias: Vec<i32>,
}

impl LoihiLif {
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

    pub fn size(&self) -> usize {
        self.u.len()
    }

    /// One time step with this step's synaptic input `a_in` (one per
    /// neuron); the indices of the neurons that spike are appended to
    /// `spikes` in increasing order, and their `v` is reset to 0 (`u` is not).
    pub fn step(&mut self, a_in: &[i32], spikes: &mut Vec<u32>) {
        for (i, &a) in a_in.iter().enumerate().take(self.u.len()) {
            let u = arith::next_u(self.u[i], self.du[i], a);
            let v = arith::next_v(self.v[i], self.dv[i], u, self.bias[i]);
            self.u[i] = u;
            if v as i64 > self.threshold[i] {
                self.v[i] = 0;
                spikes.push(i as u32);
            } else {
                self.v[i] = v;
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
