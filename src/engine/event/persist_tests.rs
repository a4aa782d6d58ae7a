//! The event engine's per-worker state (agenda with its calendar and check
//! grid, event slices, grid) saved in the middle of a run, loaded into the
//! same structures built afresh, carries on exactly as the original does,
//! including the order in which events that compare equal leave the queue.

use super::*;
use crate::engine::network::{load_workers, save_workers};
use crate::engine::persist::tests::same_course;
use crate::engine::persist::{PersistError, Snapshot};
use crate::model::validate::parse_model;

const EPOCH: f64 = 1e-3;

fn spec() -> ModelSpec {
    let text = r#"
[simulation]
dt = "0.1 ms"
duration = "80 ms"
seed = 9
engine = "event"

[[population]]
name = "src"
size = 30
model = "poisson"
params = { rate = "300 Hz" }

[[population]]
name = "cells"
size = 25
model = "lif"
params = { tau_m = "20 ms", v_rest = "-65 mV", v_reset = "-70 mV", v_th = "-55 mV", t_ref = "2 ms", r_m = "100 Mohm", i_e = { uniform = ["0.05 nA", "0.09 nA"] } }
init = { v = { uniform = ["-65 mV", "-56 mV"] } }

[[population]]
name = "amsu"
size = 20
model = "amsu_lif"
params = { tau_m = "20 ms", v_rest = "-65 mV", v_reset = "-65 mV", v_th = "-55 mV", t_ref = "2 ms", group_size = 10, tau_a = "100 ms", kappa = 200.0, modulation = "threshold" }

[[projection]]
from = "src"
to = "cells"
connect = { fixed_indegree = 5 }
weight = "2 mV"
delay = { uniform = ["1 ms", "3 ms"] }

[[projection]]
from = "src"
to = "amsu"
connect = { fixed_indegree = 5 }
weight = "2 mV"
delay = "1 ms"
"#;
    parse_model(std::path::Path::new("event.toml"), text).unwrap_or_else(|e| panic!("{e}"))
}

/// A worker's event-engine state, set up as `run_worker` sets it up.
struct State {
    net: Network,
    grid: Grid,
    slices: Vec<EventSlice>,
    agenda: Agenda,
}

fn build(spec: &ModelSpec) -> State {
    let mut net = Network::build(spec);
    let grid = Grid::new(&mut net.workers[0], &net.projections);
    let mut slices = event_slices(&net.workers[0], &grid.is_grid, true);
    let mut agenda = Agenda {
        queue: Calendar::new(EPOCH),
        checks: CheckGrid::new(net.dt),
        fetch_ahead: false,
    };
    for (si, slice) in slices.iter_mut().enumerate() {
        for i in 0..slice.model.size() {
            let next = slice.model.check(i, 0.0);
            schedule(&mut agenda, slice, (si, i), 0.0, next);
        }
    }
    State {
        net,
        grid,
        slices,
        agenda,
    }
}

fn persist_all(state: &mut State, s: &mut Snapshot) {
    s.section("grid", |s| state.grid.persist(s));
    s.section("slices", |s| s.items(&mut state.slices));
    s.section("agenda", |s| state.agenda.persist(s));
}

fn bytes_of(state: &mut State) -> Vec<u8> {
    let mut s = Snapshot::saving();
    persist_all(state, &mut s);
    s.into_bytes()
}

fn load(state: &mut State, bytes: &[u8]) -> Result<(), PersistError> {
    let mut s = Snapshot::loading(bytes);
    persist_all(state, &mut s);
    s.finish()
}

/// Apply one queued event as the engine does, noting what happened.
fn apply(e: Event, st: &mut State, trace: &mut Vec<u64>) {
    trace.extend([e.time.to_bits(), e.class as u64]);
    trace.extend(e.key.map(u64::from));
    match e.kind {
        Kind::Single {
            slice,
            port,
            target,
            weight,
        } => {
            let s = &mut st.slices[slice as usize];
            let port = s.ports[port as usize];
            let next = s
                .model
                .receive(target as usize, e.time, port, weight as f64);
            trace.push(target as u64);
            schedule(
                &mut st.agenda,
                s,
                (slice as usize, target as usize),
                e.time,
                next,
            );
        }
        Kind::Check {
            slice,
            neuron,
            version,
        } => {
            let s = &mut st.slices[slice as usize];
            check(
                &mut st.agenda,
                s,
                (slice as usize, neuron as usize),
                version,
                e.time,
            );
        }
        Kind::Fire {
            slice,
            neuron,
            version,
        } => {
            let (si, i) = (slice as usize, neuron as usize);
            let s = &mut st.slices[si];
            if s.pending[i].version == version {
                taken(s, i);
                s.spikes.push((e.time, neuron));
                let next = s.model.fire(i, e.time);
                schedule(&mut st.agenda, s, (si, i), e.time, next);
            }
        }
        _ => unreachable!("the test queues inputs, checks and firings only"),
    }
}

/// Epochs `epochs` of a worker that owns every slice: the sources' spikes
/// reach `cells` as single inputs (two per spike with equal keys, so ties
/// in the queue decide the order), and the agenda is worked off in the
/// engine's order. Returns everything that happened, as numbers.
fn run(st: &mut State, epochs: std::ops::Range<u64>) -> Vec<u64> {
    let mut trace = Vec::new();
    let (source, cells) = (0usize, 1usize);
    for epoch in epochs {
        let (start, end) = (epoch as f64 * EPOCH, (epoch + 1) as f64 * EPOCH);
        st.agenda.queue.advance_to(epoch);
        let mut emitted = Vec::new();
        st.slices[source].model.emit(start, end, &mut emitted);
        for &(t, n) in &emitted {
            for copy in 0..2u32 {
                let target = (n * 7 + copy * 3) % 25;
                let event = Event {
                    time: on_grain(t + 1e-3 + (n % 3) as f64 * 0.5e-3),
                    class: 1,
                    key: [0, n, 0, 0],
                    kind: Kind::Single {
                        slice: cells as u32,
                        port: 0,
                        target,
                        weight: 2e-3,
                    },
                };
                push(&mut st.agenda.queue, event);
            }
        }
        loop {
            let grid = st.agenda.checks.earliest().filter(|&(_, t)| t < end);
            let event = st.agenda.queue.peek().copied().filter(|e| e.time < end);
            match (grid, event) {
                (Some((_, t)), Some(e)) if e.time < t || (e.time == t && e.class < 2) => {
                    st.agenda.queue.pop();
                    apply(e, st, &mut trace);
                }
                (Some((step, t)), _) => {
                    let list = st.agenda.checks.take(step);
                    for c in &list {
                        trace.extend([t.to_bits(), c.neuron as u64]);
                        let s = &mut st.slices[c.slice as usize];
                        let at = (c.slice as usize, c.neuron as usize);
                        check(&mut st.agenda, s, at, c.version, t);
                    }
                    st.agenda.checks.restore(step, list);
                }
                (None, Some(e)) => {
                    st.agenda.queue.pop();
                    apply(e, st, &mut trace);
                }
                (None, None) => break,
            }
        }
    }
    trace
}

#[test]
fn the_event_engine_state_resumes_bit_for_bit() {
    let spec = spec();
    let mut original = build(&spec);
    let before = run(&mut original, 0..30);
    assert!(before.len() > 1000, "a busy agenda: {}", before.len());
    let fired = original.slices[1].spikes.len();
    assert!(fired > 3, "cells fired {fired} times");
    let bytes = bytes_of(&mut original);
    let workers = save_workers(&mut original.net);

    let mut resumed = build(&spec);
    assert_ne!(bytes_of(&mut resumed), bytes);
    load(&mut resumed, &bytes).unwrap();
    load_workers(&mut resumed.net, &workers).unwrap();
    assert_eq!(bytes_of(&mut resumed), bytes);

    let a = run(&mut original, 30..80);
    let b = run(&mut resumed, 30..80);
    same_course(&a, &b, "event engine");
    assert_eq!(original.slices[1].spikes, resumed.slices[1].spikes);
    assert!(original.slices[1].spikes.len() > fired);
}

/// The grid widens the rings of the slices it steps: a worker's bytes
/// saved after that load only into a worker whose grid is set up too.
#[test]
fn rings_and_agendas_of_another_shape_are_refused() {
    let spec = spec();
    let mut st = build(&spec);
    run(&mut st, 0..5);
    let workers = save_workers(&mut st.net);
    let mut plain = Network::build(&spec);
    let e = load_workers(&mut plain, &workers).unwrap_err();
    assert!(e.to_string().contains("ring slots: expected"), "{e}");

    let bytes = bytes_of(&mut st);
    let mut other = build(&spec);
    other.slices.pop();
    let e = load(&mut other, &bytes).unwrap_err();
    assert_eq!(e.to_string(), "slices: count: expected 2, found 3");
    let e = load(&mut build(&spec), &bytes[..bytes.len() - 1]).unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
}
