//! Checks of the plot options that take a time, against the results they
//! draw: a bin of a nanosecond over a second asked for 10^9 bins (an
//! allocation abort), one of 1e-320 s an infinite count (a panic).

/// Most bins a rate plot may have: the plot is 1200 pixels wide, so more
/// bins than this draw nothing more, and cost memory and time.
pub const MAX_BINS: f64 = 100_000.0;

/// A rate bin of `bin` seconds for a run of `duration` with step `dt`:
/// positive, no shorter than the step (spike times are known to the step
/// at best), and at most `MAX_BINS` of them.
pub fn check_bin(bin: f64, dt: f64, duration: f64) -> Result<(), String> {
    if !(bin.is_finite() && bin > 0.0) {
        return Err(format!("must be a positive duration, got {}", seconds(bin)));
    }
    if bin < dt {
        return Err(format!(
            "must be at least the run's step dt = {}, got {}",
            seconds(dt),
            seconds(bin)
        ));
    }
    if duration / bin > MAX_BINS {
        return Err(format!(
            "{} cuts the {} run into {:.3e} bins; the most is {MAX_BINS:e} \
             (a bin of at least {})",
            seconds(bin),
            seconds(duration),
            duration / bin,
            seconds(duration / MAX_BINS)
        ));
    }
    Ok(())
}

/// A time window `[from, to]` (either end may be left to the run): starts
/// within the run, no earlier than 0, and spans at least one step.
pub fn check_window(
    from: Option<f64>,
    to: Option<f64>,
    dt: f64,
    duration: f64,
) -> Result<(), (&'static str, String)> {
    if let Some(f) = from {
        if !(f.is_finite() && f >= 0.0) {
            return Err((
                "from",
                format!("must be a time from 0 on, got {}", seconds(f)),
            ));
        }
        if f >= duration {
            return Err((
                "from",
                format!(
                    "{} is not before the end of the run ({})",
                    seconds(f),
                    seconds(duration)
                ),
            ));
        }
    }
    if let Some(t) = to {
        if !t.is_finite() {
            return Err(("to", format!("must be finite, got {}", seconds(t))));
        }
        let start = from.unwrap_or(0.0);
        if t - start < dt {
            return Err((
                "to",
                format!(
                    "the window from {} to {} must span at least one step (dt = {})",
                    seconds(start),
                    seconds(t),
                    seconds(dt)
                ),
            ));
        }
    }
    Ok(())
}

/// A time for a message: `1e-9 s`, not `0.000000001 s`.
fn seconds(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-3..1e6).contains(&x.abs()) {
        format!("{x:e} s")
    } else {
        format!("{x} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_must_be_positive_no_shorter_than_dt_and_not_too_many() {
        let (dt, duration) = (1e-4, 1.0);
        assert!(check_bin(1e-3, dt, duration).is_ok());
        assert!(check_bin(1e-4, dt, duration).is_ok());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-320, 1e-9] {
            assert!(check_bin(bad, dt, duration).is_err(), "{bad}");
        }
        // At dt = 1 µs a bin of 1 µs over 1 s is 10^6 bins: too many.
        let err = check_bin(1e-6, 1e-6, duration).unwrap_err();
        assert!(err.contains("1e5") && err.contains("1e-5 s"), "{err}");
        assert!(check_bin(1e-5, 1e-6, duration).is_ok());
    }

    #[test]
    fn windows_start_within_the_run_and_span_a_step() {
        let (dt, duration) = (1e-4, 1.0);
        assert!(check_window(None, None, dt, duration).is_ok());
        assert!(check_window(Some(0.1), Some(0.3), dt, duration).is_ok());
        assert!(check_window(None, Some(5.0), dt, duration).is_ok());
        assert_eq!(
            check_window(Some(-1.0), None, dt, duration).unwrap_err().0,
            "from"
        );
        assert_eq!(
            check_window(Some(1.0), None, dt, duration).unwrap_err().0,
            "from"
        );
        assert_eq!(
            check_window(None, Some(1e-320), dt, duration)
                .unwrap_err()
                .0,
            "to"
        );
        assert_eq!(
            check_window(Some(0.5), Some(0.4), dt, duration)
                .unwrap_err()
                .0,
            "to"
        );
        assert_eq!(
            check_window(Some(0.5), Some(0.50005), dt, duration)
                .unwrap_err()
                .0,
            "to"
        );
    }
}
