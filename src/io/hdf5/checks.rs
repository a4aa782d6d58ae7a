//! What a run file's datasets must satisfy, checked on writing (so that a
//! run never writes a file its reader refuses) and on reading (so that a
//! damaged or hand-edited file is refused with the dataset named, instead of
//! being plotted wrong or crashing `compare` with an index out of range).
//!
//! - `dt` is positive and `duration` not negative, both finite;
//! - a spike's sender is below its population's size;
//! - spike steps never decrease, spike times (when off the grid) never
//!   decrease, lie within a step of their grid step, and all lie within the
//!   run;
//! - state and weight snapshots are in time order, within the run;
//! - recorded neurons lie within their population when its size is known;
//! - recorded values are finite.
//!
//! "Within the run" allows one step past `duration`: the event engine
//! reports a spike at the first grid point at or after it. An interrupted
//! run's file holds fewer rows than its duration implies, and `reached`
//! (when present) lies within the run too.

use crate::io::results::{Results, RunInfo};

/// The dataset (or attribute) a defect is in, and what is wrong with it.
#[derive(Debug)]
pub(super) struct Defect {
    pub object: String,
    pub detail: String,
}

fn defect(object: String, detail: String) -> Defect {
    Defect { object, detail }
}

pub(super) fn check(results: &Results) -> Result<(), Defect> {
    let info = &results.info;
    check_info(info)?;
    for s in &results.spikes {
        let group = format!("/spikes/{}", s.population);
        if let Some(k) = s.senders.iter().position(|&n| n >= s.size) {
            return Err(defect(
                format!("{group}/senders"),
                format!(
                    "spike {k}: sender {} is not below the population size {}",
                    s.senders[k], s.size
                ),
            ));
        }
        check_steps(info, &format!("{group}/steps"), "spike", &s.steps)?;
        if let Some(times) = &s.times {
            let object = format!("{group}/times");
            check_times(info, &object, "spike", times)?;
            check_near_steps(info, &object, times, &s.steps)?;
        }
    }
    for t in &results.states {
        let group = format!("/state/{}", t.population);
        check_steps(info, &format!("{group}/steps"), "sample", &t.steps)?;
        if let Some(size) = results.spikes_of(&t.population).map(|s| s.size)
            && let Some(k) = t.neurons.iter().position(|&n| n >= size)
        {
            return Err(defect(
                format!("{group}/neurons"),
                format!(
                    "column {k}: neuron {} is not below the population size {size}",
                    t.neurons[k]
                ),
            ));
        }
        let width = t.neurons.len().max(1);
        check_finite(&format!("{group}/{}", t.variable), &t.values, |i| {
            format!("step row {}, column {}", i / width, i % width)
        })?;
    }
    for w in &results.weights {
        let group = format!("/weights/{}", w.projection);
        check_steps(info, &format!("{group}/steps"), "snapshot", &w.steps)?;
        check_times(info, &format!("{group}/times"), "snapshot", &w.times)?;
        let width = w.pre.len().max(1);
        check_finite(&format!("{group}/values"), &w.values, |i| {
            format!("snapshot {}, synapse {}", i / width, i % width)
        })?;
    }
    Ok(())
}

pub(super) fn check_info(info: &RunInfo) -> Result<(), Defect> {
    if !(info.dt.is_finite() && info.dt > 0.0) {
        return Err(defect(
            "/@dt".into(),
            format!("{} is not a positive time step", info.dt),
        ));
    }
    if !(info.duration.is_finite() && info.duration >= 0.0) {
        return Err(defect(
            "/@duration".into(),
            format!("{} is not a duration ≥ 0", info.duration),
        ));
    }
    if let Some(reached) = info.reached
        && !(reached.is_finite() && (0.0..=end(info)).contains(&reached))
    {
        return Err(defect(
            "/@reached".into(),
            format!(
                "{reached} s is not a time within the run (0 to {} s)",
                info.duration
            ),
        ));
    }
    Ok(())
}

/// The latest time a record of the run can carry.
fn end(info: &RunInfo) -> f64 {
    info.duration + info.dt * (1.0 + 1e-9)
}

fn check_steps(info: &RunInfo, object: &str, what: &str, steps: &[u64]) -> Result<(), Defect> {
    if let Some(k) = steps.windows(2).position(|w| w[1] < w[0]) {
        return Err(defect(
            object.into(),
            format!(
                "{what} {}: step {} follows step {}: not in time order",
                k + 1,
                steps[k + 1],
                steps[k]
            ),
        ));
    }
    // Sorted, so the last step is the latest.
    if let Some(&last) = steps.last()
        && last as f64 * info.dt > end(info)
    {
        return Err(defect(
            object.into(),
            format!(
                "{what} {}: step {last} is at {} s, after the end of the run ({} s)",
                steps.len() - 1,
                last as f64 * info.dt,
                info.duration
            ),
        ));
    }
    Ok(())
}

fn check_times(info: &RunInfo, object: &str, what: &str, times: &[f64]) -> Result<(), Defect> {
    let end = end(info);
    if let Some(k) = times
        .iter()
        .position(|t| !(t.is_finite() && (0.0..=end).contains(t)))
    {
        return Err(defect(
            object.into(),
            format!(
                "{what} {k}: time {} s is not within the run (0 to {} s)",
                times[k], info.duration
            ),
        ));
    }
    if let Some(k) = times.windows(2).position(|w| w[1] < w[0]) {
        return Err(defect(
            object.into(),
            format!(
                "{what} {}: time {} s follows {} s: not in time order",
                k + 1,
                times[k + 1],
                times[k]
            ),
        ));
    }
    Ok(())
}

/// An exact spike time lies within one step of its grid step (the event
/// engine's step is the first grid point at or after the time).
fn check_near_steps(
    info: &RunInfo,
    object: &str,
    times: &[f64],
    steps: &[u64],
) -> Result<(), Defect> {
    let far = |(t, s): (&f64, &u64)| (t - *s as f64 * info.dt).abs() > info.dt * (1.0 + 1e-6);
    match times.iter().zip(steps).position(far) {
        None => Ok(()),
        Some(k) => Err(defect(
            object.into(),
            format!(
                "spike {k}: time {} s is more than a step from its step {} ({} s)",
                times[k],
                steps[k],
                steps[k] as f64 * info.dt
            ),
        )),
    }
}

fn check_finite(object: &str, values: &[f64], at: impl Fn(usize) -> String) -> Result<(), Defect> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(defect(
            object.into(),
            format!("{}: value {} is not finite", at(i), values[i]),
        )),
    }
}
