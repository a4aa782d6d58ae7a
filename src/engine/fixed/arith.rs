//! The integer rules of Loihi's CUBA-LIF neuron and dense synapse, as Lava's
//! bit-accurate models compute them (see `docs/fixed-point.md` in the shared
//! reference and the manual's docs/src/guide/fixed-point.md). Each rule is one small
//! function so that each can be tested at its boundaries.
//!
//! Lava computes in numpy `int32` where it does not promote: those sums wrap
//! (two's complement), so they are `wrapping_*` here, never saturating or
//! checked, to give the same integers when inputs are extreme.

/// `u` and `v` are 24-bit signed on the chip: `2^23`.
pub const MAX_UV: i32 = 1 << 23;
/// Decays are fractions of `2^12`.
pub const DECAY_SHIFT: u32 = 12;
/// A decay of 1: `2^DECAY_SHIFT`.
pub const DECAY_UNITY: i64 = 1 << DECAY_SHIFT;
/// Synaptic input and threshold are MSB-aligned by 6 bits; the bias is not.
pub const ACT_SHIFT: u32 = 6;
/// The threshold's left shift (MSB alignment) in bits.
pub const VTH_SHIFT: u32 = 6;

/// `x << e` for `e >= 0`, else `x >> -e` (arithmetic, so it rounds down).
pub fn shift(x: i64, e: i32) -> i64 {
    if e >= 0 {
        x.wrapping_shl(e as u32)
    } else {
        x >> (-e).min(63)
    }
}

/// `x * (4096 - d) / 4096` rounded toward zero, as `sign(p) * (|p| >> 12)`.
pub fn decay(x: i32, d: i64) -> i32 {
    let p = x as i64 * (DECAY_UNITY - d);
    (p.signum() * (p.abs() >> DECAY_SHIFT)) as i32
}

/// One conditional correction into 24 bits, not a modulo: `+2^23` stays,
/// `-2^23` becomes `+2^23`, and a value more than `2^24` out stays out.
pub fn wrap_u(d: i32) -> i32 {
    if d > MAX_UV {
        d.wrapping_sub(2 * MAX_UV)
    } else if d <= -MAX_UV {
        d.wrapping_add(2 * MAX_UV)
    } else {
        d
    }
}

/// `v` saturates at `±(2^23 - 1)`.
pub fn clamp_v(v: i32) -> i32 {
    v.clamp(-(MAX_UV - 1), MAX_UV - 1)
}

/// The bias of a neuron: mantissa shifted by its exponent (in `i32`, as Lava).
pub fn bias(mant: i32, exp: i32) -> i32 {
    shift(mant as i64, exp) as i32
}

/// The threshold `v` must exceed: `vth << 6`.
pub fn effective_threshold(vth: i64) -> i64 {
    vth << VTH_SHIFT
}

/// New `u` from the old one, its decay `du` and this step's input.
pub fn next_u(u: i32, du: u16, a_in: i32) -> i32 {
    // The current path decays by (du + 1) / 4096: du = 0 still decays.
    let decayed = decay(u, du as i64 + 1);
    wrap_u(decayed.wrapping_add(a_in.wrapping_shl(ACT_SHIFT)))
}

/// New `v` (before the threshold test) from the old one and the new `u`.
pub fn next_v(v: i32, dv: u16, u: i32, bias: i32) -> i32 {
    // No +1 on the voltage path: dv = 0 means no leak.
    clamp_v(decay(v, dv as i64).wrapping_add(u).wrapping_add(bias))
}

/// A dense projection's output to one target: the summed weights of the
/// step's spikes, scaled by the exponent once (not weight by weight), as
/// the `int32` the synapse sends.
pub fn dense_output(sum: i64, weight_exp: i32) -> i32 {
    shift(sum, weight_exp) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_left_for_positive_exponents_and_floors_for_negative() {
        assert_eq!(shift(5, 3), 40);
        assert_eq!(shift(5, 0), 5);
        assert_eq!(shift(5, -1), 2);
        assert_eq!(shift(-5, -1), -3); // floor, not toward zero
        assert_eq!(shift(-1, -10), -1);
        assert_eq!(shift(1, -10), 0);
    }

    #[test]
    fn decay_rounds_toward_zero() {
        // 1000 * 4095 / 4096 = 999.76 -> 999; -1000 -> -999 (not -1000).
        assert_eq!(decay(1000, 1), 999);
        assert_eq!(decay(-1000, 1), -999);
        assert_eq!(decay(4095, 1), 4094);
        assert_eq!(decay(-1, 1), 0);
        assert_eq!(decay(7, 0), 7);
        assert_eq!(decay(7, 4096), 0);
        assert_eq!(decay(MAX_UV - 1, 0), MAX_UV - 1);
    }

    #[test]
    fn du_zero_still_decays_u_and_du_4095_clears_it() {
        assert_eq!(next_u(4096, 0, 0), 4095);
        assert_eq!(next_u(-4096, 0, 0), -4095);
        assert_eq!(next_u(4095, 0, 0), 4094);
        assert_eq!(next_u(123_456, 4095, 0), 0);
        assert_eq!(next_u(-123_456, 4095, 2), 128);
    }

    #[test]
    fn dv_zero_never_leaks_and_dv_4095_nearly_clears() {
        assert_eq!(next_v(1_000_000, 0, 0, 0), 1_000_000);
        assert_eq!(next_v(-1_000_000, 0, 0, 0), -1_000_000);
        assert_eq!(next_v(4096, 4095, 0, 0), 1);
        assert_eq!(next_v(4095, 4095, 0, 0), 0);
    }

    #[test]
    fn input_is_shifted_by_six_and_bias_is_not() {
        assert_eq!(next_u(0, 4095, 1), 64);
        assert_eq!(next_v(0, 0, 0, bias(1, 0)), 1);
        assert_eq!(next_v(0, 0, 64, bias(3, 2)), 76);
    }

    #[test]
    fn u_wraps_with_one_correction_at_both_boundaries() {
        assert_eq!(wrap_u(MAX_UV), MAX_UV); // +2^23 stays
        assert_eq!(wrap_u(MAX_UV + 1), -MAX_UV + 1);
        assert_eq!(wrap_u(-MAX_UV), MAX_UV); // -2^23 becomes +2^23
        assert_eq!(wrap_u(-MAX_UV + 1), -MAX_UV + 1);
        assert_eq!(wrap_u(-MAX_UV - 1), MAX_UV - 1);
        // Not a modulo: three times 2^23 is corrected once and stays out.
        assert_eq!(wrap_u(3 * MAX_UV), MAX_UV);
        assert_eq!(wrap_u(4 * MAX_UV), 2 * MAX_UV);
        assert_eq!(wrap_u(-4 * MAX_UV), -2 * MAX_UV);
        // Through the step: a_in = 2^17 gives exactly 2^23.
        assert_eq!(next_u(0, 4095, 1 << 17), MAX_UV);
        assert_eq!(next_u(0, 4095, -(1 << 17)), MAX_UV);
        assert_eq!(next_u(0, 4095, (1 << 17) + 1), -MAX_UV + 64);
    }

    #[test]
    fn v_saturates_at_both_ends() {
        assert_eq!(clamp_v(MAX_UV), MAX_UV - 1);
        assert_eq!(clamp_v(-MAX_UV), -(MAX_UV - 1));
        assert_eq!(next_v(MAX_UV - 1, 0, 1000, 5), MAX_UV - 1);
        assert_eq!(next_v(-(MAX_UV - 1), 0, -1000, -5), -(MAX_UV - 1));
        assert_eq!(next_v(0, 0, 2 * MAX_UV, 0), MAX_UV - 1);
    }

    #[test]
    fn bias_exponent_shifts_both_ways() {
        assert_eq!(bias(4095, 7), 4095 << 7);
        assert_eq!(bias(-4096, 7), -4096 << 7);
        assert_eq!(bias(77, -2), 19);
        assert_eq!(bias(-77, -2), -20);
        assert_eq!(bias(-1, -3), -1);
    }

    #[test]
    fn threshold_is_shifted_by_six() {
        assert_eq!(effective_threshold(10), 640);
        assert_eq!(effective_threshold(131_071), 8_388_544);
    }

    #[test]
    fn exponent_applies_to_the_sum() {
        // Three inputs of 1 with exponent -1: (1+1+1) >> 1 = 1, whereas
        // shifting each weight first would give 0.
        assert_eq!(dense_output(3, -1), 1);
        assert_eq!(dense_output(-3, -1), -2);
        assert_eq!(dense_output(254, 10), 254 << 10);
    }
}
