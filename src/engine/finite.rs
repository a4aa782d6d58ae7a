//! State variables that become NaN or infinite.
//!
//! Every float neuron model keeps a [`Watch`] and checks a new value before
//! it commits it, wherever an update can turn a finite state into a
//! non-finite one: an input (a jump of `v`, a synaptic current, an IP3
//! kick: one compare per event, [`add_checked`]), a drive entering `v_inf`
//! (held back and noted at the step it would make `v` NaN, see
//! `neuron::membrane::MembraneState::pending_bad`), a step computed per
//! neuron (astrocytes, discrete LIF, escape probabilities) or per event (the
//! event engine's closed forms). A bad value is not stored: the neuron keeps
//! its last finite state and the watch notes the neuron, the variable, the
//! bad value and the last finite one. The vectorised propagation of the
//! LIF membranes has no check: from finite numbers within validation's
//! bounds it stays finite, and checking each element there cost 10 % of a
//! CUBA run (28 % with a blend, which compiles to masked stores), against
//! no measurable cost now (`benches/finite_check.rs`).
//!
//! Fixed-point models (`neuron::loihi_lif`, `engine::fixed`) hold integers,
//! which cannot become NaN or infinite: they have no watch.
//!
//! The engines read the watches after each step (clock) or at the end of
//! the run (event) and report the earliest note of the run, by time, then
//! population, then neuron, so that the error is the same whatever the
//! number of threads.

use std::cmp::Ordering;

use thiserror::Error;

use crate::engine::network::{Population, Slice, Worker};
use crate::model::memory::MemoryError;

/// A variable of one neuron that became non-finite, as its model saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bad {
    /// The neuron within the model's slice.
    pub neuron: u32,
    /// The variable's name as its model records it.
    pub variable: &'static str,
    /// The non-finite value and when it appeared (seconds).
    pub value: f64,
    /// Seconds.
    pub time: f64,
    /// The value the variable held just before the update that made it
    /// non-finite, and when: the previous grid point when the update is a
    /// step's free evolution, the same time when it is an input.
    pub last_finite: f64,
    /// Seconds.
    pub last_time: f64,
}

/// A model's first non-finite value. The watch keeps the earliest note by
/// time, then neuron; within one neuron and time, the first noted.
#[derive(Debug, Clone)]
pub struct Watch {
    /// Whether the model checks at all (`Network::check_finite`).
    pub on: bool,
    /// The grid step, to turn step indices into times.
    pub dt: f64,
    first: Option<Bad>,
}

impl Watch {
    /// A watch for a run with grid step `dt` (seconds), checking.
    pub fn new(dt: f64) -> Self {
        Self {
            on: true,
            dt,
            first: None,
        }
    }

    /// The earliest note so far.
    pub fn first(&self) -> Option<Bad> {
        self.first
    }

    /// Keeps `bad` if it comes before the first note so far (by time, then neuron).
    pub fn note(&mut self, bad: Bad) {
        let earlier = match &self.first {
            None => true,
            Some(f) => (bad.time, bad.neuron) < (f.time, f.neuron),
        };
        if earlier {
            self.first = Some(bad);
        }
    }

    /// Note a value that became non-finite at grid point `grid`, its last
    /// finite value being that of grid point `last_grid`.
    pub fn note_at(
        &mut self,
        neuron: usize,
        variable: &'static str,
        (value, grid): (f64, u64),
        (last_finite, last_grid): (f64, u64),
    ) {
        self.note(Bad {
            neuron: neuron as u32,
            variable,
            value,
            time: grid as f64 * self.dt,
            last_finite,
            last_time: last_grid as f64 * self.dt,
        });
    }

    /// A split of the watch for a slice of the model: the same switch, no note.
    pub fn part(&self) -> Self {
        Self {
            on: self.on,
            dt: self.dt,
            first: None,
        }
    }
}

/// `old + delta`, committed only if it stays finite; otherwise `old` stays and
/// the watch notes the bad sum at grid point `grid` (its last finite value at
/// the same time: an input arriving then).
#[inline(always)]
pub fn add_checked(
    watch: &mut Watch,
    x: &mut f64,
    delta: f64,
    (neuron, variable): (usize, &'static str),
    grid: u64,
) {
    let new = *x + delta;
    if new.is_finite() {
        *x = new;
    } else {
        watch.note_at(neuron, variable, (new, grid), (*x, grid));
    }
}

/// Whether some event of a ring slot carries a non-finite weight: one pass
/// that vectorises, so that the loop applying the events stays as it was
/// (a compare and branch per event there cost about 1 % of a CUBA run).
/// Finite weights cannot make a finite state non-finite: see
/// `neuron::membrane::MembraneState::pending_bad` for the bound.
#[inline]
pub fn any_bad_weight(events: &[crate::synapse::Arrival]) -> bool {
    events
        .iter()
        // `w · 0` is ±0 for a finite `w` and NaN otherwise; without its sign bit,
        // 0 or not: an integer OR vectorises without packing masks.
        .fold(0u32, |bad, e| bad | ((e.weight * 0.0).to_bits() << 1))
        != 0
}

/// The error of a run in which a state variable became NaN or infinite.
#[derive(Debug, Clone, PartialEq, Error)]
#[error(
    "population `{population}`, neuron {neuron}: `{variable}` became {} at t = {} \
     (last finite value {} at t = {})",
    kind(*value),
    millis(*time),
    with_unit(*last_finite, unit),
    millis(*last_time)
)]
pub struct NonFinite {
    /// The population's name.
    pub population: String,
    /// Within the population.
    pub neuron: u32,
    /// The variable's name.
    pub variable: String,
    /// SI unit of the variable, as recorded.
    pub unit: String,
    /// The non-finite value.
    pub value: f64,
    /// Seconds.
    pub time: f64,
    /// The value the variable held just before, in `unit`.
    pub last_finite: f64,
    /// When it held that value, seconds.
    pub last_time: f64,
}

impl NonFinite {
    /// The order in which the run reports: earliest time, then population
    /// index, then neuron.
    pub fn earlier(a: &(usize, NonFinite), b: &(usize, NonFinite)) -> Ordering {
        (a.1.time, a.0, a.1.neuron)
            .partial_cmp(&(b.1.time, b.0, b.1.neuron))
            .unwrap_or(Ordering::Equal)
    }
}

/// What stops a run of the float engines.
#[derive(Debug, Error)]
pub enum RunError {
    #[error(transparent)]
    /// The run does not fit in memory.
    Memory(#[from] MemoryError),
    #[error(transparent)]
    /// A state variable became non-finite.
    NonFinite(#[from] NonFinite),
    /// Another rank found a non-finite value (its own error says which).
    #[error("rank {0} of the run found a state variable that became NaN or infinite")]
    NonFiniteOnRank(usize),
}

/// From a model's note to the run's error: the neuron counted within the
/// population, the unit looked up among the model's variables.
pub fn to_error(
    bad: Bad,
    population: &str,
    offset: u32,
    variables: &[crate::neuron::Variable],
) -> NonFinite {
    let unit = variables
        .iter()
        .find(|v| v.name == bad.variable)
        .map_or("", |v| v.unit);
    NonFinite {
        population: population.to_string(),
        neuron: offset + bad.neuron,
        variable: bad.variable.to_string(),
        unit: unit.to_string(),
        value: bad.value,
        time: bad.time,
        last_finite: bad.last_finite,
        last_time: bad.last_time,
    }
}

/// Turn the check on or off in every slice's model.
pub fn switch(workers: &mut [Worker], on: bool) {
    for slice in workers.iter_mut().flat_map(|w| &mut w.slices) {
        if let Some(watch) = slice.neuron.finite_watch() {
            watch.on = on;
        }
    }
}

/// Whether a slice's model has noted a non-finite value.
#[inline]
pub fn noted(slice: &mut Slice) -> bool {
    slice
        .neuron
        .finite_watch()
        .is_some_and(|w| w.first().is_some())
}

/// A slice's note, as the run's error.
pub fn slice_error(slice: &mut Slice, populations: &[Population]) -> Option<(usize, NonFinite)> {
    let bad = slice.neuron.finite_watch()?.first()?;
    let variables = slice.neuron.variables();
    let name = &populations[slice.population].name;
    let error = to_error(bad, name, slice.offset, &variables);
    Some((slice.population, error))
}

/// The earliest note of the clock models of every slice.
pub fn earliest_in(workers: &mut [Worker], populations: &[Population]) -> Option<NonFinite> {
    let notes = workers
        .iter_mut()
        .flat_map(|w| &mut w.slices)
        .filter_map(|s| slice_error(s, populations));
    earliest(notes)
}

/// The earliest of the notes `(population index, error)`.
pub fn earliest(notes: impl IntoIterator<Item = (usize, NonFinite)>) -> Option<NonFinite> {
    notes.into_iter().min_by(NonFinite::earlier).map(|(_, e)| e)
}

fn kind(x: f64) -> &'static str {
    if x.is_nan() {
        "NaN"
    } else if x > 0.0 {
        "+inf"
    } else {
        "-inf"
    }
}

/// Seconds as milliseconds, without the rounding noise of `k · dt`
/// (12 significant digits).
fn millis(t: f64) -> String {
    format!("{} ms", significant(t * 1e3))
}

fn with_unit(x: f64, unit: &str) -> String {
    if unit.is_empty() {
        significant(x)
    } else {
        format!("{} {unit}", significant(x))
    }
}

/// `x` to 12 significant digits, trailing zeros dropped; exponent form
/// outside [1e-4, 1e15).
fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-4..15).contains(&magnitude) {
        return format!("{:e}", format!("{x:.11e}").parse::<f64>().unwrap_or(x));
    }
    let decimals = (11 - magnitude).max(0) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad(neuron: u32, time: f64) -> Bad {
        Bad {
            neuron,
            variable: "v",
            value: f64::NAN,
            time,
            last_finite: 0.0,
            last_time: 0.0,
        }
    }

    #[test]
    fn the_watch_keeps_the_earliest_note_then_the_lowest_neuron() {
        let mut w = Watch::new(1e-4);
        w.note(bad(9, 2e-3));
        w.note(bad(3, 2e-3));
        w.note(bad(1, 3e-3));
        w.note(bad(5, 2e-3));
        assert_eq!(w.first().map(|b| (b.neuron, b.time)), Some((3, 2e-3)));
        assert_eq!(w.part().first(), None);
    }

    #[test]
    fn add_checked_keeps_the_finite_value_and_notes_the_overflow() {
        let mut w = Watch::new(1e-4);
        let mut x = 1e308;
        add_checked(&mut w, &mut x, 1e308, (4, "v"), 7);
        assert_eq!(x, 1e308);
        let b = w.first().unwrap();
        assert_eq!((b.neuron, b.variable, b.value), (4, "v", f64::INFINITY));
        assert_eq!((b.last_finite, b.time, b.last_time), (1e308, 7e-4, 7e-4));
        add_checked(&mut w, &mut x, -1.5e308, (4, "v"), 8);
        assert_eq!(x, 1e308 - 1.5e308);
    }

    #[test]
    fn the_message_names_everything_in_si_units_and_milliseconds() {
        // 123 · 1e-4 s is 0.012300000000000002 s in floating point.
        let e = NonFinite {
            population: "exc".into(),
            neuron: 17,
            variable: "v".into(),
            unit: "V".into(),
            value: f64::NAN,
            time: 123.0 * 1e-4,
            last_finite: -0.0652,
            last_time: 122.0 * 1e-4,
        };
        assert_eq!(
            e.to_string(),
            "population `exc`, neuron 17: `v` became NaN at t = 12.3 ms \
             (last finite value -0.0652 V at t = 12.2 ms)"
        );
        let e = NonFinite {
            value: f64::NEG_INFINITY,
            unit: String::new(),
            last_finite: -1.5e300,
            ..e
        };
        assert!(e.to_string().contains("became -inf at"), "{e}");
        assert!(e.to_string().contains("value -1.5e300 at"), "{e}");
    }

    #[test]
    fn the_earliest_is_by_time_then_population_then_neuron() {
        let e = |population: &str, neuron, time| NonFinite {
            population: population.into(),
            neuron,
            variable: "v".into(),
            unit: "V".into(),
            value: f64::NAN,
            time,
            last_finite: 0.0,
            last_time: 0.0,
        };
        let notes = vec![
            (1, e("b", 0, 2e-3)),
            (0, e("a", 5, 2e-3)),
            (0, e("a", 4, 3e-3)),
            (2, e("c", 0, 1e-3 + 1e-3)),
        ];
        assert_eq!(
            earliest(notes).map(|e| (e.population, e.neuron)),
            Some(("a".into(), 5))
        );
    }
}
