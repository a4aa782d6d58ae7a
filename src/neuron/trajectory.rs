//! Sums of exponentials, the closed form of a (CuBa) LIF membrane between
//! inputs, and the search for their first threshold crossing: the
//! mathematics under the event engine's form of `lif` and `cuba_lif`
//! (`cuba_lif/event.rs`).
//!
//! Between inputs, a (CuBa) LIF neuron's potential is a sum of exponentials:
//! `v(t0 + s) = v_inf + A e^{-s/tau_m} + sum_x u_x K_x(s)`, where `u_x` is a
//! synaptic drive at `t0` and `K_x(s) = e^{-s/tau_m} (s/tau_m) (e^{a s} - 1)/(a s)`
//! with `a = 1/tau_m - 1/tau_x` (the exact response to `u_x e^{-s/tau_x}`;
//! `(s/tau_m) e^{-s/tau_m}` when the time constants are equal). The plain LIF
//! is the case without drives.
//!
//! The engine keeps these coefficients relative to a reference time shared
//! by the population rather than at each neuron's last update (`Cell`), so
//! that what an input costs depends on its time alone.
//!
//! The first threshold crossing is found by branch and bound: on an interval
//! each term is monotone or unimodal, so its largest value there is known;
//! intervals whose upper bound of `v - v_th` stays below zero cannot hold a
//! crossing and are dropped, leftmost first. An interval with a sign change
//! on which `v` is provably increasing holds exactly one crossing, found by
//! Newton steps kept inside the bracket, to the resolution at which `v`
//! itself is known. So the crossing found is the first one, never a later
//! one.

use super::membrane::expm1_over_x;

/// The time grain of the event engine, 0.1 ps. Times that are equal on
/// paper but computed along different paths (a spike time plus a delay,
/// against a time read from a file) differ in their last bits; rounding
/// every event time to this grain makes them equal, so that simultaneous
/// inputs are simultaneous, as in the clock engine. Spike times stay
/// continuous for every practical purpose.
pub const TIME_GRAIN: f64 = 1e-13;

/// `t` (seconds) rounded to [`TIME_GRAIN`].
pub fn on_grain(t: f64) -> f64 {
    (t / TIME_GRAIN).round() * TIME_GRAIN
}

/// A synaptic drive's contribution `u K(s)`.
#[derive(Debug, Clone, Copy)]
pub struct DriveTerm {
    /// The drive's amplitude, volts.
    pub u: f64,
    /// Its decay time constant, seconds.
    pub tau: f64,
}

/// The free evolution of one neuron from its last update.
#[derive(Debug, Clone, Copy)]
pub struct Trajectory {
    /// Potential at the last update, volts.
    pub v0: f64,
    /// Potential it relaxes to without synaptic drive, volts.
    pub v_inf: f64,
    /// Membrane time constant, seconds.
    pub tau_m: f64,
    /// The synaptic drives (excitatory, inhibitory).
    pub drives: [DriveTerm; 2],
}

impl DriveTerm {
    /// `K(s)` for this drive's time constant.
    pub(crate) fn kernel(&self, tau_m: f64, s: f64) -> f64 {
        let a = 1.0 / tau_m - 1.0 / self.tau;
        (-s / tau_m).exp() * s / tau_m * expm1_over_x(a * s)
    }

    /// `sup_s (K(s) - e^{-s/tau})`, the largest rate, in units of `1/tau_m`,
    /// at which an inhibitory drive's pull can let `v` rise again
    /// (`-K' = (K - e^{-s/tau})/tau_m`). Found where its derivative vanishes:
    /// `s* = 2 ln(tau/tau_m) / (1/tau_m - 1/tau)` (`2 tau_m` in the limit).
    pub(crate) fn rebound(&self, tau_m: f64) -> f64 {
        let s = if (self.tau - tau_m).abs() <= 1e-12 * tau_m {
            2.0 * tau_m
        } else {
            2.0 * (self.tau / tau_m).ln() / (1.0 / tau_m - 1.0 / self.tau)
        };
        (self.kernel(tau_m, s) - (-s / self.tau).exp()).max(0.0)
    }

    /// Where `K` peaks (it rises from 0, peaks once, and decays).
    pub(crate) fn peak(&self, tau_m: f64) -> f64 {
        if (self.tau - tau_m).abs() <= 1e-12 * tau_m {
            tau_m
        } else {
            self.tau * tau_m * (self.tau / tau_m).ln() / (self.tau - tau_m)
        }
    }
}

/// The exponentials of a trajectory at one time, computed once and shared
/// by the bounds of the two intervals that meet there.
#[derive(Debug, Clone, Copy)]
struct Point {
    s: f64,
    /// `e^{-s/tau_m}`.
    em: f64,
    /// Per drive: `e^{-s/tau_x}` and `K_x(s)`.
    es: [f64; 2],
    k: [f64; 2],
}

impl Trajectory {
    fn point(&self, s: f64) -> Point {
        let em = (-s / self.tau_m).exp();
        let mut es = [0.0; 2];
        let mut k = [0.0; 2];
        for (x, d) in self.drives.iter().enumerate() {
            if d.u != 0.0 {
                es[x] = (-s / d.tau).exp();
                let a = 1.0 / self.tau_m - 1.0 / d.tau;
                // K = (e^{-s/tau} - e^{-s/tau_m}) / (tau_m a): exact, and free
                // of cancellation unless a·s is small, where expm1 takes over.
                k[x] = if (a * s).abs() < 0.5 {
                    em * s / self.tau_m * expm1_over_x(a * s)
                } else {
                    (es[x] - em) / (self.tau_m * a)
                };
            }
        }
        Point { s, em, es, k }
    }

    fn value_at(&self, p: &Point) -> f64 {
        let mut v = self.v_inf + (self.v0 - self.v_inf) * p.em;
        for (x, d) in self.drives.iter().enumerate() {
            v += d.u * p.k[x];
        }
        v
    }

    /// `v(t0 + s)`.
    pub fn value(&self, s: f64) -> f64 {
        self.value_at(&self.point(s))
    }

    /// `v(t0 + s)` and the decayed drives `u_x e^{-s/tau_x}`, sharing the
    /// exponentials.
    pub fn evolve(&self, s: f64) -> (f64, [f64; 2]) {
        let p = self.point(s);
        let drives = [0, 1].map(|x| {
            if self.drives[x].u == 0.0 {
                0.0
            } else {
                self.drives[x].u * p.es[x]
            }
        });
        (self.value_at(&p), drives)
    }

    #[cfg(test)]
    fn slope(&self, s: f64) -> f64 {
        self.slope_at(&self.point(s))
    }

    fn slope_at(&self, p: &Point) -> f64 {
        let mut dv = -(self.v0 - self.v_inf) / self.tau_m * p.em;
        for (x, d) in self.drives.iter().enumerate() {
            // dK/ds = (e^{-s/tau_x} - K) / tau_m, from tau_m K' = -K + e^{-s/tau_x}.
            dv += d.u * (p.es[x] - p.k[x]) / self.tau_m;
        }
        dv
    }

    /// Upper bound of `v` and lower bound of `dv/ds` on `[a, b]`: each term
    /// is monotone, or unimodal with a known peak (`peaks`: where each
    /// kernel peaks, and its value there), so its extremes there are at the
    /// ends or the peak.
    fn bounds(&self, a: &Point, b: &Point, peaks: &[(f64, f64); 2]) -> (f64, f64) {
        let c = self.v0 - self.v_inf;
        let mut upper = self.v_inf + (c * a.em).max(c * b.em);
        let slope_c = -c / self.tau_m;
        let mut slope = (slope_c * a.em).min(slope_c * b.em);
        for (x, d) in self.drives.iter().enumerate() {
            if d.u == 0.0 {
                continue;
            }
            let (peak, k_peak) = peaks[x];
            let k_max = if (a.s..=b.s).contains(&peak) {
                k_peak
            } else {
                a.k[x].max(b.k[x])
            };
            let k_min = a.k[x].min(b.k[x]);
            let (e_hi, e_lo) = (a.es[x], b.es[x]);
            if d.u > 0.0 {
                upper += d.u * k_max;
                slope += d.u * (e_lo - k_max) / self.tau_m;
            } else {
                upper += d.u * k_min;
                slope += d.u * (e_hi - k_min) / self.tau_m;
            }
        }
        (upper, slope)
    }

    /// An upper bound of `v` over all `s >= 0`, given each drive's kernel
    /// peak `K_x(peak)`.
    pub fn ceiling(&self, kernel_peaks: [f64; 2]) -> f64 {
        let mut v = self.v_inf.max(self.v0);
        for (d, k) in self.drives.iter().zip(kernel_peaks) {
            v += d.u.max(0.0) * k;
        }
        v
    }

    /// An upper bound of `dv/ds` over all `s >= 0`: how fast `v` can rise
    /// at most, which gives a safe earliest time for a crossing. `rebounds`
    /// holds each drive's `DriveTerm::rebound`.
    #[cfg(test)]
    fn max_slope(&self, rebounds: [f64; 2]) -> f64 {
        self.max_rise(rebounds) / self.tau_m
    }

    /// `tau_m` times `max_slope`, which saves a division.
    pub fn max_rise(&self, rebounds: [f64; 2]) -> f64 {
        // Each term's largest slope: the membrane's and an excitatory
        // drive's at s = 0 (K' = (e^{-s/tau} - K)/tau_m falls from 1/tau_m),
        // an inhibitory drive's where it rebounds most.
        // (Written without branches: the sign of a drive is unpredictable.)
        let [e, i] = self.drives.map(|d| d.u);
        let term = |u: f64, r: f64| u.max(0.0) - u.min(0.0) * r;
        (self.v_inf - self.v0).max(0.0) + term(e, rebounds[0]) + term(i, rebounds[1])
    }

    /// The first `s >= 0` at which `v` reaches `v_th`, if any.
    pub fn first_crossing(&self, v_th: f64) -> Option<f64> {
        let start = self.point(0.0);
        if self.value_at(&start) >= v_th {
            return Some(0.0);
        }
        // Windows that double in length, searched in order: crossings are
        // usually early, and a short window has tight bounds. After 40 of
        // the slowest time constants every exponential term is below e^{-40}
        // of its size and the potential sits at v_inf for good.
        let tau_min = self
            .drives
            .iter()
            .filter(|d| d.u != 0.0)
            .map(|d| d.tau)
            .fold(self.tau_m, f64::min);
        let tau_max = self.drives.iter().map(|d| d.tau).fold(self.tau_m, f64::max);
        let horizon = 40.0 * tau_max;
        let peaks = self.drives.map(|d| {
            let peak = d.peak(self.tau_m);
            (peak, d.kernel(self.tau_m, peak))
        });
        let mut left = start;
        let mut width = 0.25 * tau_min;
        while left.s < horizon {
            let right = self.point((left.s + width).min(horizon));
            if let Some(s) = self.search(left, right, v_th, &peaks) {
                return Some(s);
            }
            left = right;
            width *= 2.0;
        }
        None
    }

    /// The first crossing in `[a, b]` (where `v(a) < v_th`), by branch and bound.
    fn search(&self, a: Point, b: Point, v_th: f64, peaks: &[(f64, f64); 2]) -> Option<f64> {
        let mut stack = vec![(a, b)];
        while let Some((a, b)) = stack.pop() {
            let (upper, slope) = self.bounds(&a, &b, peaks);
            if upper < v_th {
                continue;
            }
            let (va, vb) = (self.value_at(&a), self.value_at(&b));
            if va >= v_th {
                return Some(a.s);
            }
            if vb >= v_th && slope > 0.0 {
                return Some(self.bisect(a.s, b.s, v_th));
            }
            let m = 0.5 * (a.s + b.s);
            if m <= a.s || m >= b.s {
                // The interval cannot be split further: a touch of the threshold.
                if vb >= v_th {
                    return Some(b.s);
                }
                continue;
            }
            let mid = self.point(m);
            // Right half first on the stack, so the left half is searched first.
            stack.push((mid, b));
            stack.push((a, mid));
        }
        None
    }

    /// The crossing in `[a, b]`, where `v` increases from below to above
    /// `v_th`: `b` once the bracket is a few ulps wide.
    fn bisect(&self, mut a: f64, mut b: f64, v_th: f64) -> f64 {
        // Newton steps while they stay inside the bracket, bisection
        // otherwise. v is known only to its rounding, so near the root it
        // is flat (often exactly v_th) over a run of ulps: the bracket is
        // closed when it is that narrow, and a Newton step that lands on an
        // end of the bracket or just beyond it probes inside that end
        // instead, twice as far each time it falls on the same side.
        let mut s = 0.5 * (a + b);
        let mut probe = 0.0;
        let rounding = 4.0 * f64::EPSILON * (v_th.abs() + self.v_inf.abs());
        for _ in 0..200 {
            let p = self.point(s);
            let f = self.value_at(&p) - v_th;
            if f >= 0.0 {
                b = s;
            } else {
                a = s;
            }
            let slope = self.slope_at(&p);
            let flat = if slope > 0.0 { rounding / slope } else { 0.0 };
            let resolution = 4.0 * f64::EPSILON * b.abs() + flat;
            if b - a <= resolution {
                break;
            }
            let newton = s - f / slope;
            let middle = 0.5 * (a + b);
            let usable = slope > 0.0 && (newton - b).max(a - newton) < b - a;
            s = if !usable {
                middle
            } else if newton > a && newton < b {
                probe = 0.0;
                newton
            } else {
                probe = if probe == 0.0 {
                    resolution
                } else {
                    2.0 * probe
                };
                if newton >= b {
                    (b - probe).max(middle)
                } else {
                    (a + probe).min(middle)
                }
            };
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lif(v0: f64, v_inf: f64) -> Trajectory {
        let none = DriveTerm { u: 0.0, tau: 1e-3 };
        Trajectory {
            v0,
            v_inf,
            tau_m: 10e-3,
            drives: [none, none],
        }
    }

    #[test]
    fn lif_crossing_is_the_closed_form() {
        let t = lif(-70e-3, -50e-3);
        let s = t.first_crossing(-55e-3).unwrap();
        let exact = 10e-3 * (20.0f64 / 5.0).ln();
        assert!((s - exact).abs() < 1e-15, "{s} vs {exact}");
        assert!(lif(-70e-3, -56e-3).first_crossing(-55e-3).is_none());
    }

    #[test]
    fn finds_the_first_of_two_crossings() {
        // A strong, fast excitatory drive on a membrane that relaxes far
        // below threshold: v rises above threshold briefly (first crossing),
        // falls back, and never returns. Also a drive that crosses late.
        let t = Trajectory {
            v0: -65e-3,
            v_inf: -65e-3,
            tau_m: 20e-3,
            drives: [
                // Peaks at -65 + 250 · 0.077 ≈ -45.7 mV after 5.1 ms.
                DriveTerm {
                    u: 250e-3,
                    tau: 2e-3,
                },
                DriveTerm { u: 0.0, tau: 5e-3 },
            ],
        };
        let v_th = -50e-3;
        let s = t.first_crossing(v_th).unwrap();
        // Check against a fine scan: nothing below s reaches the threshold.
        let n = 200_000;
        let first_scan = (0..n)
            .map(|i| i as f64 * s / n as f64)
            .find(|&x| t.value(x) >= v_th);
        assert!(first_scan.is_none() || first_scan.unwrap() >= s * (1.0 - 1e-5));
        assert!((t.value(s) - v_th).abs() < 1e-15);
        // An inhibitory drive that first pulls v down, then lets it cross.
        let late = Trajectory {
            v0: -52e-3,
            v_inf: -45e-3,
            tau_m: 20e-3,
            drives: [
                DriveTerm { u: 0.0, tau: 5e-3 },
                DriveTerm {
                    u: -40e-3,
                    tau: 10e-3,
                },
            ],
        };
        let s = late.first_crossing(-50e-3).unwrap();
        assert!((late.value(s) + 50e-3).abs() < 1e-15);
        let earlier = (0..10_000)
            .map(|i| i as f64 * s / 10_000.0)
            .any(|x| late.value(x) >= -50e-3);
        assert!(!earlier);
    }

    #[test]
    fn equal_time_constants_use_the_limit_kernel() {
        let d = DriveTerm { u: 1.0, tau: 20e-3 };
        let s = 7e-3;
        let limit = s / 20e-3 * (-s / 20e-3f64).exp();
        assert!((d.kernel(20e-3, s) - limit).abs() < 1e-16);
        assert!((d.peak(20e-3) - 20e-3).abs() < 1e-18);
    }

    #[test]
    fn max_slope_bounds_the_slope() {
        let t = Trajectory {
            v0: -60e-3,
            v_inf: -49e-3,
            tau_m: 20e-3,
            drives: [
                DriveTerm { u: 5e-3, tau: 5e-3 },
                DriveTerm {
                    u: -9e-3,
                    tau: 10e-3,
                },
            ],
        };
        let rebounds = t
            .drives
            .map(|d| DriveTerm { u: 1.0, tau: d.tau }.rebound(t.tau_m));
        let m = t.max_slope(rebounds);
        let steepest = (0..100_000)
            .map(|i| t.slope(i as f64 * 1e-6))
            .fold(f64::MIN, f64::max);
        assert!(steepest <= m, "{steepest} > {m}");
        // An inhibitory drive alone, with the membrane at rest: the bound is
        // attained where the rebound peaks.
        let alone = Trajectory {
            v0: -60e-3,
            v_inf: -60e-3,
            tau_m: 20e-3,
            drives: [
                DriveTerm { u: 0.0, tau: 5e-3 },
                DriveTerm {
                    u: -9e-3,
                    tau: 10e-3,
                },
            ],
        };
        let bound = alone.max_slope(
            alone
                .drives
                .map(|d| DriveTerm { u: 1.0, tau: d.tau }.rebound(20e-3)),
        );
        let steepest = (0..200_000)
            .map(|i| alone.slope(i as f64 * 1e-6))
            .fold(f64::MIN, f64::max);
        assert!(
            steepest <= bound && steepest > 0.999 * bound,
            "{steepest} vs {bound}"
        );
    }
}
