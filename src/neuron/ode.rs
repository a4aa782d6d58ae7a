//! An adaptive embedded Runge-Kutta integrator (Dormand-Prince 5(4)) for
//! the neuron models whose dynamics have no closed form (`cond_lif`,
//! `adex`), in the way NEST integrates its `*_cond_exp` models with GSL's
//! RKF45: each neuron keeps its own step size from one grid step to the
//! next, and a grid step is covered by as many accepted sub-steps as the
//! error control asks for. The state is a small fixed-size array, so a
//! sub-step allocates nothing.

/// A right-hand side `dy/dt = f(y)` (autonomous: inputs are held over a
/// grid step, as in NEST).
pub trait System<const N: usize> {
    /// Writes the derivative of the state `y` into `dy`.
    fn rhs(&self, y: &[f64; N], dy: &mut [f64; N]);
}

/// Error control of one sub-step: the embedded error of component `i` must
/// stay within `abs[i] + rel · max(|y_i|, |y_new_i|)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance<const N: usize> {
    /// Absolute tolerance per component, in the component's SI unit.
    pub abs: [f64; N],
    /// Relative tolerance.
    pub rel: f64,
}

/// Sub-steps per grid step after which the error control gives up and the
/// rest of the step is taken at once: a state that cannot meet the
/// tolerance (running away, or already non-finite) is the finite check's or
/// the model's bounds' business, not a reason to spin for ever.
const MAX_SUBSTEPS: u32 = 10_000;

// The Dormand-Prince 5(4) tableau (Dormand & Prince 1980; Hairer, Nørsett &
// Wanner, Solving ODEs I, table II.5.2).
const A21: f64 = 1.0 / 5.0;
const A31: f64 = 3.0 / 40.0;
const A32: f64 = 9.0 / 40.0;
const A41: f64 = 44.0 / 45.0;
const A42: f64 = -56.0 / 15.0;
const A43: f64 = 32.0 / 9.0;
const A51: f64 = 19372.0 / 6561.0;
const A52: f64 = -25360.0 / 2187.0;
const A53: f64 = 64448.0 / 6561.0;
const A54: f64 = -212.0 / 729.0;
const A61: f64 = 9017.0 / 3168.0;
const A62: f64 = -355.0 / 33.0;
const A63: f64 = 46732.0 / 5247.0;
const A64: f64 = 49.0 / 176.0;
const A65: f64 = -5103.0 / 18656.0;
/// The fifth-order weights (also the last stage's row: first same as last).
const B1: f64 = 35.0 / 384.0;
const B3: f64 = 500.0 / 1113.0;
const B4: f64 = 125.0 / 192.0;
const B5: f64 = -2187.0 / 6784.0;
const B6: f64 = 11.0 / 84.0;
/// Fifth- minus fourth-order weights: the error estimate.
const E1: f64 = 71.0 / 57600.0;
const E3: f64 = -71.0 / 16695.0;
const E4: f64 = 71.0 / 1920.0;
const E5: f64 = -17253.0 / 339200.0;
const E6: f64 = 22.0 / 525.0;
const E7: f64 = -1.0 / 40.0;

/// `y + h · Σ c_j k_j`, component-wise.
#[inline(always)]
fn combine<const N: usize>(y: &[f64; N], h: f64, terms: &[(f64, &[f64; N])]) -> [f64; N] {
    let mut out = *y;
    for (i, o) in out.iter_mut().enumerate() {
        let mut sum = 0.0;
        for (c, k) in terms {
            sum += c * k[i];
        }
        *o += h * sum;
    }
    out
}

/// One Dormand-Prince step of size `h` from `y` (whose derivative is `k1`):
/// the fifth-order solution and the error ratio (≤ 1 when within `tol`).
#[inline]
fn attempt<const N: usize, S: System<N>>(
    sys: &S,
    y: &[f64; N],
    k1: &[f64; N],
    h: f64,
    tol: &Tolerance<N>,
) -> ([f64; N], f64) {
    let mut k2 = [0.0; N];
    let mut k3 = [0.0; N];
    let mut k4 = [0.0; N];
    let mut k5 = [0.0; N];
    let mut k6 = [0.0; N];
    let mut k7 = [0.0; N];
    sys.rhs(&combine(y, h, &[(A21, k1)]), &mut k2);
    sys.rhs(&combine(y, h, &[(A31, k1), (A32, &k2)]), &mut k3);
    sys.rhs(
        &combine(y, h, &[(A41, k1), (A42, &k2), (A43, &k3)]),
        &mut k4,
    );
    let y5 = combine(y, h, &[(A51, k1), (A52, &k2), (A53, &k3), (A54, &k4)]);
    sys.rhs(&y5, &mut k5);
    let y6 = combine(
        y,
        h,
        &[(A61, k1), (A62, &k2), (A63, &k3), (A64, &k4), (A65, &k5)],
    );
    sys.rhs(&y6, &mut k6);
    let new = combine(
        y,
        h,
        &[(B1, k1), (B3, &k3), (B4, &k4), (B5, &k5), (B6, &k6)],
    );
    sys.rhs(&new, &mut k7);
    let mut ratio: f64 = 0.0;
    for i in 0..N {
        let err = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]);
        let scale = tol.abs[i] + tol.rel * y[i].abs().max(new[i].abs());
        // A NaN error (a state that left the finite numbers) must not pass.
        let r = (err / scale).abs();
        ratio = if r.is_nan() {
            f64::INFINITY
        } else {
            ratio.max(r)
        };
    }
    (new, ratio)
}

/// The next step size after a step of `h` with error ratio `ratio`
/// (the usual controller: safety 0.9, at most 5 times larger, at least 5
/// times smaller).
#[inline]
fn next_step(h: f64, ratio: f64) -> f64 {
    // Below (0.9 / 5)^5 the factor is 5 anyway: no `powf` for the common
    // case of a step well within the tolerance.
    let factor = if ratio < 1.8896e-4 {
        5.0
    } else {
        (0.9 * ratio.powf(-0.2)).clamp(0.2, 5.0)
    };
    h * factor
}

/// One accepted sub-step from `y`, at most `remaining` long, starting with
/// the trial size `*h` (updated for the next sub-step); `force` takes all of
/// `remaining` whatever the error. Returns the length of the step taken.
#[inline]
pub fn substep<const N: usize, S: System<N>>(
    sys: &S,
    y: &mut [f64; N],
    h: &mut f64,
    (remaining, force): (f64, bool),
    tol: &Tolerance<N>,
) -> f64 {
    let mut k1 = [0.0; N];
    sys.rhs(y, &mut k1);
    let mut tries = 0;
    loop {
        let trial = if force { remaining } else { h.min(remaining) };
        let (new, ratio) = attempt(sys, y, &k1, trial, tol);
        tries += 1;
        let hopeless = tries >= MAX_SUBSTEPS || new.iter().any(|v| !v.is_finite());
        if ratio <= 1.0 || force || hopeless {
            *y = new;
            // A step cut short by the end of the grid step does not shrink
            // the size the next grid step starts with.
            let next = next_step(trial, ratio);
            *h = if trial < *h { next.max(*h) } else { next };
            return if hopeless { remaining } else { trial };
        }
        *h = next_step(trial, ratio);
    }
}

/// Integrate `y` over `span` seconds; `after` sees the state after each
/// accepted sub-step (and may change it: threshold and reset inside the
/// step). `h` carries the step size from one call to the next.
#[inline]
pub fn integrate<const N: usize, S: System<N>>(
    sys: &S,
    y: &mut [f64; N],
    h: &mut f64,
    span: f64,
    tol: &Tolerance<N>,
    mut after: impl FnMut(&mut [f64; N]),
) {
    let mut t = 0.0;
    let mut steps = 0;
    while t < span {
        let remaining = span - t;
        steps += 1;
        let taken = substep(sys, y, h, (remaining, steps >= MAX_SUBSTEPS), tol);
        t = if taken >= remaining { span } else { t + taken };
        after(y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A damped oscillator `x'' + 2ζω x' + ω² x = 0` with a closed form.
    struct Oscillator {
        omega: f64,
        zeta: f64,
    }

    impl System<2> for Oscillator {
        fn rhs(&self, y: &[f64; 2], dy: &mut [f64; 2]) {
            dy[0] = y[1];
            dy[1] = -2.0 * self.zeta * self.omega * y[1] - self.omega * self.omega * y[0];
        }
    }

    fn closed_form(o: &Oscillator, t: f64) -> f64 {
        // x(0) = 1, x'(0) = 0, under-damped.
        let wd = o.omega * (1.0 - o.zeta * o.zeta).sqrt();
        let decay = (-o.zeta * o.omega * t).exp();
        decay * ((wd * t).cos() + o.zeta * o.omega / wd * (wd * t).sin())
    }

    #[test]
    fn grid_steps_follow_the_closed_form_within_the_tolerance() {
        let o = Oscillator {
            omega: 2.0 * std::f64::consts::PI * 50.0,
            zeta: 0.1,
        };
        let dt = 1e-4;
        for (rel, bound) in [(1e-6, 1e-5), (1e-10, 1e-9)] {
            let tol = Tolerance {
                abs: [1e-12, 1e-9],
                rel,
            };
            let (mut y, mut h) = ([1.0, 0.0], dt);
            let mut worst: f64 = 0.0;
            let mut substeps = 0;
            for k in 1..=2000 {
                integrate(&o, &mut y, &mut h, dt, &tol, |_| substeps += 1);
                worst = worst.max((y[0] - closed_form(&o, k as f64 * dt)).abs());
            }
            assert!(worst < bound, "rel {rel}: error {worst}");
            assert!(worst > 0.0);
            assert!(substeps >= 2000, "at least one sub-step per grid step");
        }
    }

    #[test]
    fn the_step_size_adapts_to_the_stiffness_and_grows_back() {
        // y' = -y / tau with tau = 1 µs against dt = 0.1 ms: many sub-steps
        // at first, then (y near 0, within the absolute tolerance) few.
        struct Decay(f64);
        impl System<1> for Decay {
            fn rhs(&self, y: &[f64; 1], dy: &mut [f64; 1]) {
                dy[0] = -y[0] / self.0;
            }
        }
        let tol = Tolerance {
            abs: [1e-9],
            rel: 1e-9,
        };
        let (mut y, mut h) = ([1.0], 1e-4);
        let mut first = 0;
        integrate(&Decay(1e-6), &mut y, &mut h, 1e-5, &tol, |_| first += 1);
        let closed = (-10.0f64).exp();
        assert!((y[0] - closed).abs() < 1e-8, "{} vs {closed}", y[0]);
        assert!(first > 10, "{first} sub-steps");
        let mut later = 0;
        integrate(&Decay(1e-6), &mut y, &mut h, 1e-4, &tol, |_| later += 1);
        assert!(y[0].abs() < 1e-8);
        assert!(later < first, "{later} vs {first}");
    }

    #[test]
    fn a_state_that_cannot_meet_the_tolerance_still_ends_the_step() {
        // y' = y² from 1 blows up at t = 1: the grid step [0, 2] cannot be
        // covered; the integrator must still return (with a non-finite or
        // huge state) rather than loop for ever.
        struct Blow;
        impl System<1> for Blow {
            fn rhs(&self, y: &[f64; 1], dy: &mut [f64; 1]) {
                dy[0] = y[0] * y[0];
            }
        }
        let tol = Tolerance {
            abs: [1e-9],
            rel: 1e-9,
        };
        let (mut y, mut h) = ([1.0], 0.1);
        integrate(&Blow, &mut y, &mut h, 2.0, &tol, |_| {});
        assert!(!y[0].is_finite() || y[0] > 1e6, "{}", y[0]);
    }
}
