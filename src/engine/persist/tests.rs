//! The snapshot format, every neuron model and event model, and whole
//! networks: saved state loads into a freshly built copy and carries on
//! exactly as the original does; bytes of another model or size are refused.

use rand::RngExt;
use rand_pcg::Pcg64;

use super::*;
use crate::engine::rng;
use crate::model::ModelSpec;
use crate::model::validate::parse_model;
use crate::neuron::{self, EventModel, Neuron, Next};

fn saved(f: impl FnOnce(&mut Snapshot)) -> Vec<u8> {
    let mut s = Snapshot::saving();
    f(&mut s);
    s.into_bytes()
}

fn loaded(bytes: &[u8], f: impl FnOnce(&mut Snapshot)) -> Result<(), PersistError> {
    let mut s = Snapshot::loading(bytes);
    f(&mut s);
    s.finish()
}

/// Every scalar type at values whose bytes are known independently of the
/// code: the little-endian layout, IEEE bits, and edge values.
#[test]
fn scalars_are_little_endian_and_round_trip_bit_for_bit() {
    assert_eq!(saved(|s| s.scalar(&mut 0x0102_0304u32)), [4, 3, 2, 1]);
    assert_eq!(saved(|s| s.scalar(&mut -2i32)), [0xfe, 0xff, 0xff, 0xff]);
    // 1.0 is 0x3ff0_0000_0000_0000 in IEEE 754 binary64.
    assert_eq!(
        saved(|s| s.scalar(&mut 1.0f64)),
        [0, 0, 0, 0, 0, 0, 0xf0, 0x3f]
    );
    assert_eq!(saved(|s| s.scalar(&mut true)), [1]);
    assert_eq!(saved(|s| s.scalar(&mut 258usize)), [2, 1, 0, 0, 0, 0, 0, 0]);

    macro_rules! round_trip {
        ($t:ty, $($v:expr),+) => {$(
            let mut v: $t = $v;
            let bytes = saved(|s| s.scalar(&mut v));
            assert_eq!(bytes.len(), <$t as Scalar>::SIZE);
            let mut back: $t = Default::default();
            loaded(&bytes, |s| s.scalar(&mut back)).unwrap();
            assert_eq!(saved(|s| s.scalar(&mut back)), bytes, "{}", stringify!($v));
        )+};
    }
    round_trip!(u8, 0, 1, u8::MAX);
    round_trip!(u16, 0, 0xbeef, u16::MAX);
    round_trip!(u32, 0, 0xdead_beef, u32::MAX);
    round_trip!(u64, 0, u64::MAX - 1, u64::MAX);
    round_trip!(u128, 0, u128::MAX / 3);
    round_trip!(i32, i32::MIN, -1, i32::MAX);
    round_trip!(i64, i64::MIN, -1, i64::MAX);
    round_trip!(usize, 0, usize::MAX);
    round_trip!(bool, false, true);
    round_trip!(
        f32,
        -0.0,
        f32::MIN_POSITIVE / 2.0,
        f32::INFINITY,
        f32::from_bits(0x7fc0_1234)
    );
    round_trip!(
        f64,
        -0.0,
        5e-324,
        f64::NEG_INFINITY,
        f64::from_bits(0x7ff8_dead_beef_0001),
        0.1 + 0.2
    );
    // NaN payloads and the sign of zero survive (compared as bits).
    let mut nan = f64::from_bits(0xfff8_0000_0000_0042);
    let bytes = saved(|s| s.scalar(&mut nan));
    let mut back = 0.0f64;
    loaded(&bytes, |s| s.scalar(&mut back)).unwrap();
    assert_eq!(back.to_bits(), nan.to_bits());
}

/// Containers: slices (length checked), vectors (length stored), nested
/// vectors, options, sequences of records, tags, sections.
#[test]
fn containers_round_trip() {
    let mut a = [1.5f64, -2.0, f64::MAX];
    let mut v = vec![7u32, 8, 9, 10];
    let mut vv = vec![vec![1i64, -1], vec![], vec![i64::MIN]];
    let (mut some, mut none) = (Some(3u16), None::<u16>);
    let mut pairs = vec![(1u64, vec![0.5f64]), (2, vec![])];
    let mut flags = vec![true, false, true];
    let bytes = saved(|s| {
        s.section("all", |s| {
            s.tag("model");
            s.slice(&mut a);
            s.vec(&mut v);
            s.vecs(&mut vv);
            s.option(&mut some);
            s.option(&mut none);
            s.seq(&mut pairs, (0, Vec::new()), |s, (k, w)| {
                s.scalar(k);
                s.vec(w);
            });
            s.vec(&mut flags);
            s.count("things", 12);
            s.same("size", &mut 5u32);
        })
    });
    let mut a2 = [0.0f64; 3];
    let (mut v2, mut vv2, mut pairs2) = (vec![1u32], Vec::<Vec<i64>>::new(), Vec::new());
    let mut flags2: Vec<bool> = Vec::new();
    let (mut some2, mut none2) = (None, Some(9u16));
    loaded(&bytes, |s| {
        s.section("all", |s| {
            s.tag("model");
            s.slice(&mut a2);
            s.vec(&mut v2);
            s.vecs(&mut vv2);
            s.option(&mut some2);
            s.option(&mut none2);
            s.seq(&mut pairs2, (0, Vec::new()), |s, (k, w)| {
                s.scalar(k);
                s.vec(w);
            });
            s.vec(&mut flags2);
            s.count("things", 12);
            s.same("size", &mut 5u32);
        })
    })
    .unwrap();
    assert_eq!(a2, a);
    assert_eq!(v2, v);
    assert_eq!(vv2, vv);
    assert_eq!((some2, none2), (some, none));
    assert_eq!(pairs2, pairs);
    assert_eq!(flags2, flags);
}

/// A restored generator continues the original's stream exactly.
#[test]
fn random_generators_continue_their_stream() {
    let mut original: Pcg64 = rng::stream(42, "test", "persist");
    for _ in 0..17 {
        original.random::<u64>();
    }
    let bytes = saved(|s| s.rng(&mut original));
    assert_eq!(bytes.len(), RNG_BYTES);
    let mut restored: Pcg64 = rng::stream(1, "other", "stream");
    loaded(&bytes, |s| s.rng(&mut restored)).unwrap();
    let a: Vec<u64> = (0..1000).map(|_| original.random()).collect();
    let b: Vec<u64> = (0..1000).map(|_| restored.random()).collect();
    assert_eq!(a, b);
    // An even increment is no PCG stream: refused.
    let mut bad = bytes.clone();
    bad[16] &= !1;
    let e = loaded(&bad, |s| s.rng(&mut restored)).unwrap_err();
    assert!(e.to_string().contains("increment must be odd"), "{e}");
}

/// What the errors say, and that no cut or extension of a snapshot panics
/// or loads.
#[test]
fn bad_bytes_are_errors_that_say_what_did_not_match() {
    let mut values = vec![0.25f64; 4000];
    let bytes = saved(|s| s.section("neuron", |s| s.slice(&mut values)));
    let mut fewer = vec![0.0f64; 3200];
    let e = loaded(&bytes, |s| s.section("neuron", |s| s.slice(&mut fewer))).unwrap_err();
    assert_eq!(e.to_string(), "neuron: expected 3200 values, found 4000");

    let e = loaded(&bytes, |s| s.section("synapses", |s| s.slice(&mut values))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "snapshot: expected \"synapses\", found \"neuron\""
    );

    let mut longer = bytes.clone();
    longer.extend([0, 0, 0]);
    let e = loaded(&longer, |s| s.section("neuron", |s| s.slice(&mut values))).unwrap_err();
    assert_eq!(e, PersistError::Trailing { extra: 3 });
    assert_eq!(e.to_string(), "3 trailing bytes after the snapshot");

    for cut in 0..bytes.len() {
        let e = loaded(&bytes[..cut], |s| {
            s.section("neuron", |s| s.slice(&mut values))
        })
        .unwrap_err();
        assert!(e.to_string().contains("truncated"), "cut at {cut}: {e}");
    }

    // A length that cannot fit in what is left allocates nothing.
    let mut huge = Vec::new();
    u64::MAX.put(&mut huge);
    let mut v: Vec<u64> = Vec::new();
    let e = loaded(&huge, |s| s.vec(&mut v)).unwrap_err();
    assert!(matches!(e, PersistError::Truncated { .. }), "{e}");
    let mut nested: Vec<Vec<u8>> = Vec::new();
    assert!(loaded(&huge, |s| s.vecs(&mut nested)).is_err());

    let e = loaded(&[2], |s| s.scalar(&mut false)).unwrap_err();
    assert!(e.to_string().contains("not a valid bool"), "{e}");

    let e = loaded(&saved(|s| s.same("offset", &mut 4u32)), |s| {
        s.same("offset", &mut 8u32)
    })
    .unwrap_err();
    assert_eq!(e.to_string(), "snapshot: offset: expected 8, found 4");

    // A section whose contents the rebuilt object reads differently.
    let bytes = saved(|s| s.section("part", |s| s.scalar(&mut 1u64)));
    let e = loaded(&bytes, |s| s.section("part", |s| s.scalar(&mut 0u32))).unwrap_err();
    assert!(e.to_string().contains("holds 8 bytes"), "{e}");
}

/// After the first error, loading leaves everything alone and keeps that error.
#[test]
fn loading_stops_at_the_first_error() {
    let bytes = saved(|s| {
        s.tag("lif");
        s.scalar(&mut 5u32);
    });
    let mut x = 77u32;
    let mut s = Snapshot::loading(&bytes);
    s.tag("cuba_lif");
    s.scalar(&mut x);
    s.tag("anything");
    assert_eq!(x, 77);
    let e = s.finish().unwrap_err();
    assert_eq!(
        e.to_string(),
        "snapshot: expected \"cuba_lif\", found \"lif\""
    );
}

/// One population of every model, with inputs onto every port, a drive
/// and recordable variables.
fn all_models(size: u32) -> ModelSpec {
    let text = format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "50 ms"
seed = 5

[[population]]
name = "source"
size = 10
model = "spike_source"
params = {{ spikes = [["1 ms", "2 ms", "9 ms", "20 ms", "41 ms"], ["3 ms", "35 ms"], [], ["4 ms", "30 ms"], [], [], ["5 ms"], [], [], ["7 ms"]] }}

[[population]]
name = "poisson"
size = {size}
model = "poisson"
params = {{ rate = {{ uniform = ["50 Hz", "200 Hz"] }} }}

[[population]]
name = "lif"
size = {size}
model = "lif"
params = {{ tau_m = "20 ms", v_rest = "-65 mV", v_reset = "-70 mV", v_th = "-55 mV", t_ref = "2 ms", r_m = "100 Mohm", i_e = {{ uniform = ["0.05 nA", "0.12 nA"] }} }}
init = {{ v = {{ uniform = ["-65 mV", "-55 mV"] }} }}

[[population]]
name = "cuba"
size = {size}
model = "cuba_lif"
params = {{ tau_m = "20 ms", tau_syn_e = "5 ms", tau_syn_i = "10 ms", v_rest = "-49 mV", v_reset = "-60 mV", v_th = "-50 mV", t_ref = "5 ms" }}
init = {{ v = {{ uniform = ["-60 mV", "-50 mV"] }} }}

[[population]]
name = "amsu"
size = {amsu}
model = "amsu_lif"
params = {{ tau_m = "20 ms", v_rest = "-65 mV", v_reset = "-65 mV", v_th = "-55 mV", t_ref = "2 ms", group_size = 10, tau_a = "100 ms", kappa = 200.0, modulation = "gain" }}
init = {{ v = {{ uniform = ["-65 mV", "-55 mV"] }} }}

[[population]]
name = "escape"
size = {size}
model = "meta"
params = {{ tau_m = "20 ms", v_rest = "-60 mV", v_th = "-55 mV", t_ref = "2 ms", rho_0 = "100 Hz", delta_u = "2 mV", r_m = "100 Mohm" }}

[[population]]
name = "lb"
size = {size}
model = "meta"
params = {{ firing = "levy_baxter", success = 0.6, g = "0.8 mV" }}

[[population]]
name = "astro"
size = {size}
model = "astrocyte"
params = {{ tau_ip3 = "7 s", delta_ip3 = 5.0, sic_scale = "50 pA" }}
init = {{ h = {{ uniform = [0.7, 0.9] }}, ip3 = 5.0 }}

[[population]]
name = "discrete"
size = {size}
model = "discrete_lif"
params = {{ beta = 0.9, alpha = 0.5, v_th = "1 mV", period = "0.3 ms", offset = "0.1 ms" }}
"#,
        amsu = 10 * size
    );
    parse_model(std::path::Path::new("all.toml"), &text).unwrap_or_else(|e| panic!("{e}"))
}

/// A tiny deterministic source of inputs, the same for the original and
/// the restored copy.
struct Inputs(u64);

impl Inputs {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    /// Rings for every port, with a few arrivals in the slot of `k + 1`.
    fn rings(&mut self, ports: usize, n: usize, k: u64) -> Vec<EventRing> {
        (0..ports)
            .map(|_| {
                let mut ring = EventRing::new(2);
                for _ in 0..self.next() % 4 {
                    ring.slot_mut(k + 1).push(Arrival {
                        target: (self.next() % n as u64) as u32,
                        weight: (self.next() % 1000) as f32 * 1e-5 + 1e-4,
                    });
                }
                ring
            })
            .collect()
    }
}

/// Step a model `steps` times with inputs from `inputs`; what it did.
fn drive(n: &mut dyn Neuron, inputs: &mut Inputs, from: u64, steps: u64) -> Vec<u64> {
    let mut trace = Vec::new();
    let variables = n.variables();
    let all: Vec<u32> = (0..n.size() as u32).collect();
    for k in from..from + steps {
        if k == from + 7 {
            let drive: Vec<f64> = (0..n.size()).map(|i| 1e-3 * i as f64).collect();
            n.set_external_drive(&drive);
        }
        let rings = inputs.rings(n.ports().len(), n.size(), k);
        let mut spikes = Vec::new();
        n.step(k, &rings, &mut spikes);
        trace.extend(spikes.iter().map(|&i| i as u64 + (k << 32)));
        let mut values = Vec::new();
        for v in &variables {
            n.sample(v.name, &all, &mut values);
        }
        if let Some(g) = n.graded() {
            values.extend_from_slice(g);
        }
        trace.extend(values.iter().map(|v| v.to_bits()));
    }
    trace
}

fn neuron_bytes(n: &mut dyn Neuron) -> Vec<u8> {
    saved(|s| n.persist(s))
}

/// The original's and the restored copy's courses are the same, bit for bit.
pub(crate) fn same_course(a: &[u64], b: &[u64], what: &str) {
    if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
        panic!(
            "{what}: the restored copy went its own way at entry {i} of {}: {:?} against {:?}",
            a.len(),
            a.get(i),
            b.get(i)
        );
    }
}

/// Every model of the registry: its state after a few hundred driven steps
/// saves, loads into a freshly built copy (whose own state differs), saves
/// again to the same bytes, and the two carry on bit for bit.
#[test]
fn every_neuron_model_resumes_bit_for_bit() {
    let spec = all_models(20);
    let mut seen = Vec::new();
    for p in &spec.populations {
        let mut original = neuron::build(p, &spec.simulation);
        let mut inputs = Inputs(p.size as u64);
        let mut initial = drive(original.as_mut(), &mut inputs, 0, 300);
        let bytes = neuron_bytes(original.as_mut());

        let mut fresh = neuron::build(p, &spec.simulation);
        assert_ne!(
            neuron_bytes(fresh.as_mut()),
            bytes,
            "{}: state not captured",
            p.name
        );
        loaded(&bytes, |s| fresh.persist(s)).unwrap_or_else(|e| panic!("{}: {e}", p.name));
        assert_eq!(neuron_bytes(fresh.as_mut()), bytes, "{}", p.name);

        let mut twin = Inputs(inputs.0);
        let a = drive(original.as_mut(), &mut inputs, 300, 200);
        let b = drive(fresh.as_mut(), &mut twin, 300, 200);
        same_course(&a, &b, &p.name);
        // The run was not trivial: something changed over the steps.
        initial.truncate(a.len());
        assert_ne!(a, initial, "{}", p.name);
        seen.push(p.kind.model_name());
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 8, "every model: {seen:?}");
}

/// Bytes of one model, or of another size, do not load into another.
#[test]
fn other_models_and_sizes_are_refused() {
    let spec = all_models(20);
    let smaller = all_models(16);
    let bytes: Vec<Vec<u8>> = spec
        .populations
        .iter()
        .map(|p| neuron_bytes(neuron::build(p, &spec.simulation).as_mut()))
        .collect();
    for (i, p) in spec.populations.iter().enumerate() {
        for (j, b) in bytes.iter().enumerate() {
            let mut n = neuron::build(p, &spec.simulation);
            let result = loaded(b, |s| n.persist(s));
            assert_eq!(
                result.is_ok(),
                i == j,
                "{} from {}",
                p.name,
                spec.populations[j].name
            );
        }
        if p.name == "source" {
            continue;
        }
        let mut small = neuron::build(&smaller.populations[i], &smaller.simulation);
        let e = loaded(&bytes[i], |s| small.persist(s)).unwrap_err();
        assert!(
            e.to_string().contains("expected 16") || e.to_string().contains("expected 160"),
            "{}: {e}",
            p.name
        );
    }
}

/// Drive an event model through inputs, checks and firings, recording
/// what it asked for and the values it reports.
fn drive_events(m: &mut dyn EventModel, inputs: &mut Inputs, from: f64, events: usize) -> Vec<u64> {
    let mut trace = Vec::new();
    let n = m.size();
    let mut out = Vec::new();
    let record = |next: Next, trace: &mut Vec<u64>| match next {
        Next::Nothing => trace.push(0),
        Next::Check(t) => trace.extend([1, t.to_bits()]),
        Next::Spike(t) => trace.extend([2, t.to_bits()]),
    };
    for e in 0..events {
        let t = from + e as f64 * 1e-4;
        out.clear();
        m.emit(t, t + 1e-4, &mut out);
        trace.extend(out.iter().map(|&(t, i)| t.to_bits() ^ i as u64));
        if n == 0 {
            continue;
        }
        let i = (inputs.next() % n as u64) as usize;
        let port = match inputs.next() % 3 {
            0 => crate::model::spec::Port::Voltage,
            1 => crate::model::spec::Port::CurrentExc,
            _ => crate::model::spec::Port::CurrentInh,
        };
        let w = (inputs.next() % 1000) as f64 * 2e-6;
        record(m.receive(i, t, port, w), &mut trace);
        record(m.check(i, t), &mut trace);
        if e % 5 == 0 {
            record(m.fire(i, t), &mut trace);
        }
        if e % 37 == 0 {
            record(m.set_drive(i, t, 2e-3), &mut trace);
        }
        trace.push(m.value("v", i, t).to_bits());
        trace.push(m.value("i_syn_e", i, t).to_bits());
    }
    trace
}

/// The event forms of the models that have one, as for the clock forms.
#[test]
fn every_event_model_resumes_bit_for_bit() {
    let spec = all_models(20);
    let mut count = 0;
    for p in &spec.populations {
        let built = neuron::build(p, &spec.simulation);
        let Some(mut original) = built.event_model() else {
            continue;
        };
        count += 1;
        let mut inputs = Inputs(3 + p.size as u64);
        drive_events(original.as_mut(), &mut inputs, 0.0, 400);
        let bytes = saved(|s| original.persist(s));
        let mut fresh = neuron::build(p, &spec.simulation).event_model().unwrap();
        assert_ne!(saved(|s| fresh.persist(s)), bytes, "{}", p.name);
        loaded(&bytes, |s| fresh.persist(s)).unwrap_or_else(|e| panic!("{}: {e}", p.name));
        assert_eq!(saved(|s| fresh.persist(s)), bytes, "{}", p.name);
        let mut twin = Inputs(inputs.0);
        let a = drive_events(original.as_mut(), &mut twin, 0.04, 300);
        let b = drive_events(fresh.as_mut(), &mut inputs, 0.04, 300);
        same_course(&a, &b, &p.name);
    }
    // spike_source, poisson, lif, cuba_lif.
    assert_eq!(count, 4);
}

/// A small network with STDP, Poisson inputs, a background and delays
/// longer than a step, on the clock engine.
pub(crate) fn plastic_network(size: u32, threads: u32, engine: &str) -> ModelSpec {
    let text = format!(
        r#"
[simulation]
dt = "0.1 ms"
duration = "60 ms"
seed = 3
threads = {threads}
engine = "{engine}"

[[population]]
name = "input"
size = 40
model = "poisson"
params = {{ rate = "80 Hz" }}

[[population]]
name = "exc"
size = {size}
model = "cuba_lif"
params = {{ tau_m = "20 ms", tau_syn_e = "5 ms", tau_syn_i = "10 ms", v_rest = "-60 mV", v_reset = "-60 mV", v_th = "-50 mV", t_ref = "2 ms" }}
init = {{ v = {{ uniform = ["-60 mV", "-50 mV"] }} }}
background = {{ rate = "10 Hz", indegree = 50, weight = "0.5 mV", receptor = "exc" }}

[[projection]]
name = "input->exc"
from = "input"
to = "exc"
connect = {{ fixed_indegree = 10 }}
weight = {{ uniform = ["1 mV", "3 mV"] }}
delay = {{ uniform = ["1 ms", "3 ms"] }}
receptor = "exc"
plasticity = {{ stdp = {{ tau_plus = "20 ms", tau_minus = "20 ms", a_plus = "0.05 mV", a_minus = "0.06 mV", w_min = "0 mV", w_max = "4 mV" }} }}

[[projection]]
name = "exc->exc"
from = "exc"
to = "exc"
connect = {{ fixed_indegree = 5 }}
weight = "-1 mV"
delay = "1.5 ms"
receptor = "inh"

[[record]]
projection = "input->exc"
weights = true
interval = "10 ms"
"#
    );
    parse_model(std::path::Path::new("net.toml"), &text).unwrap_or_else(|e| panic!("{e}"))
}

/// Indices and cursors read from corrupt bytes are refused on loading,
/// before anything indexes with them.
#[test]
fn out_of_range_indices_are_refused() {
    let spec = all_models(20);
    let source = &spec.populations[0];
    let mut n = neuron::build(source, &spec.simulation);
    let mut bytes = neuron_bytes(n.as_mut());
    // The cursor is the last field; the source holds 11 spikes.
    let at = bytes.len() - 8;
    bytes[at..].copy_from_slice(&1000u64.to_le_bytes());
    let e = loaded(&bytes, |s| n.persist(s)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "snapshot: spike cursor: 1000 is past the end (11)"
    );

    let mut ring = EventRing::new(2);
    ring.slot_mut(1).push(Arrival {
        target: 25,
        weight: 1.0,
    });
    let bytes = saved(|s| s.section("slice", |s| ring.persist(s)));
    let e = loaded(&bytes, |s| {
        s.section("slice", |s| {
            ring.persist(s);
            let targets: Vec<u32> = ring.slot(1).iter().map(|a| a.target).collect();
            s.below("arrival target", &targets, 20);
        })
    })
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "slice: arrival target: index 25 out of range, below 20 expected"
    );
}
