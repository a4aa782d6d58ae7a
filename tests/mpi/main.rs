//! MPI runs (`--features mpi`): the same model on R processes × T threads
//! under `mpirun` gives spike datasets (and state traces, weight records and
//! counters) identical, bit for bit, to the one-process one-thread run; and
//! bad input under mpirun gives one error and exit status 1 on every rank.
//!
//! Each test launches `mpirun --allow-run-as-root --oversubscribe` (the
//! machine may have fewer cores than ranks, and CI runs as root); the jobs
//! run one at a time.
#![cfg(feature = "mpi")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use spikesim::io::hdf5::read_results;
use spikesim::io::results::Results;

/// One MPI job at a time: two jobs of spinning ranks on two cores slow
/// each other down many times over.
static MPI_JOBS: Mutex<()> = Mutex::new(());

const BIN: &str = env!("CARGO_BIN_EXE_spikesim");

fn mpirun(ranks: usize, args: &[&str]) -> Output {
    let _one_at_a_time = MPI_JOBS.lock().unwrap_or_else(|e| e.into_inner());
    Command::new("mpirun")
        .args(["--allow-run-as-root", "--oversubscribe", "-np"])
        .arg(ranks.to_string())
        .arg(BIN)
        .args(args)
        .output()
        .expect("mpirun runs (Open MPI: scripts/system-deps.sh installs it)")
}

fn alone(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("spikesim runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn write_model(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("model written");
    path
}

/// A CUBA-like network (Vogels & Abbott's parameters) of 1000 neurons with
/// per-synapse delays and a Poisson input.
const CUBA: &str = r#"
[simulation]
dt = "0.1 ms"
duration = "200 ms"
seed = 14
engine = "clock"

[[population]]
name = "exc"
size = 800
model = "cuba_lif"
params = { tau_m = "20 ms", v_rest = "-49 mV", v_reset = "-60 mV", v_th = "-50 mV", t_ref = "5 ms", tau_syn_e = "5 ms", tau_syn_i = "10 ms" }
init = { v = { uniform = ["-60 mV", "-50 mV"] } }

[[population]]
name = "inh"
size = 200
model = "cuba_lif"
params = { tau_m = "20 ms", v_rest = "-49 mV", v_reset = "-60 mV", v_th = "-50 mV", t_ref = "5 ms", tau_syn_e = "5 ms", tau_syn_i = "10 ms" }
init = { v = { uniform = ["-60 mV", "-50 mV"] } }

[[population]]
name = "ext"
size = 100
model = "poisson"
params = { rate = "20 Hz" }

[[projection]]
from = "exc"
to = "exc"
connect = { fixed_probability = 0.05 }
weight = "0.65 mV"
delay = { uniform = ["0.2 ms", "1.5 ms"] }
receptor = "exc"

[[projection]]
from = "exc"
to = "inh"
connect = { fixed_probability = 0.05 }
weight = "0.65 mV"
delay = "0.5 ms"
receptor = "exc"

[[projection]]
from = "inh"
to = "exc"
connect = { fixed_probability = 0.05 }
weight = "-3.6 mV"
delay = { uniform = ["0.2 ms", "1 ms"] }
receptor = "inh"

[[projection]]
from = "inh"
to = "inh"
connect = { fixed_probability = 0.05 }
weight = "-3.6 mV"
receptor = "inh"

[[projection]]
from = "ext"
to = "exc"
connect = { fixed_probability = 0.1 }
weight = "0.5 mV"
receptor = "exc"

[[record]]
population = "exc"
variables = ["v"]
neurons = [0, 399, 400, 799]
"#;

/// STDP from a Poisson population onto LIF neurons that sit on another rank
/// (populations under 512 neurons are never split, so each is one slice).
const STDP: &str = r#"
[simulation]
dt = "0.1 ms"
duration = "300 ms"
seed = 7
engine = "clock"

[[population]]
name = "input"
size = 300
model = "poisson"
params = { rate = "15 Hz" }

[[population]]
name = "neuron"
size = 40
model = "cuba_lif"
params = { tau_m = "20 ms", v_rest = "-70 mV", v_reset = "-60 mV", v_th = "-54 mV", tau_syn_e = "5 ms", tau_syn_i = "5 ms" }
init = { v = "-70 mV" }

[[population]]
name = "noise"
size = 100
model = "poisson"
params = { rate = "30 Hz" }

[[projection]]
name = "stdp"
from = "input"
to = "neuron"
connect = { fixed_probability = 0.5 }
weight = { uniform = ["0 mV", "2.0 mV"] }
delay = "1 ms"
plasticity = { stdp = { tau_plus = "20 ms", tau_minus = "20 ms", a_plus = "0.05 mV", a_minus = "0.0525 mV", w_min = "0 mV", w_max = "2.0 mV" } }

[[projection]]
from = "noise"
to = "neuron"
connect = { fixed_probability = 0.3 }
weight = "0.8 mV"
delay = "0.5 ms"

[[record]]
projection = "stdp"
weights = true
interval = "100 ms"

[[record]]
population = "neuron"
variables = ["v"]
"#;

/// Spikes, state traces and weights identical, bit for bit, and the same counters.
fn assert_same(one: &Results, many: &Results, what: &str) {
    assert_eq!(one.spikes.len(), many.spikes.len(), "{what}: populations");
    let spikes: usize = one.spikes.iter().map(|s| s.len()).sum();
    assert!(spikes > 100, "{what}: {spikes} spikes in the reference");
    for (a, b) in one.spikes.iter().zip(&many.spikes) {
        assert_eq!(a.steps, b.steps, "{what}: steps of {}", a.population);
        assert_eq!(a.senders, b.senders, "{what}: senders of {}", a.population);
        let bits = |t: &Option<Vec<f64>>| {
            t.as_ref()
                .map(|t| t.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
        };
        assert_eq!(
            bits(&a.times),
            bits(&b.times),
            "{what}: times of {}",
            a.population
        );
    }
    assert_eq!(one.states.len(), many.states.len(), "{what}: traces");
    for (a, b) in one.states.iter().zip(&many.states) {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&a.values),
            bits(&b.values),
            "{what}: trace {}",
            a.variable
        );
        assert_eq!((&a.unit, a.threshold), (&b.unit, b.threshold), "{what}");
    }
    assert_eq!(one.weights, many.weights, "{what}: weight records");
    assert_eq!(one.info.synapses, many.info.synapses, "{what}: synapses");
    assert_eq!(
        one.info.synaptic_events, many.info.synaptic_events,
        "{what}: synaptic events"
    );
}

/// The model run alone with one thread, then under mpirun at each
/// `(ranks, threads)`: every result identical to the first.
fn same_for_every_split(model_text: &str, splits: &[(usize, usize)]) -> Results {
    let dir = tempfile::tempdir().expect("temporary folder");
    let model = write_model(dir.path(), "m.toml", model_text);
    same_for_every_split_of(&model, &[], splits)
}

/// [`same_for_every_split`] for a model file, with `extra` arguments.
fn same_for_every_split_of(model: &Path, extra: &[&str], splits: &[(usize, usize)]) -> Results {
    let dir = tempfile::tempdir().expect("temporary folder");
    let model = model.to_str().expect("utf-8 path");
    let reference = dir.path().join("one.h5");
    let mut args = vec!["run", model, "--threads", "1", "--no-plots", "--out"];
    args.push(reference.to_str().expect("utf-8"));
    args.extend_from_slice(extra);
    let out = alone(&args);
    assert!(out.status.success(), "{}", text(&out));
    let one = read_results(&reference).expect("reference results");
    for &(ranks, threads) in splits {
        let path = dir.path().join(format!("r{ranks}t{threads}.h5"));
        let threads_text = threads.to_string();
        let mut args = vec![
            "run",
            model,
            "--threads",
            &threads_text,
            "--no-plots",
            "--out",
        ];
        args.push(path.to_str().expect("utf-8"));
        args.extend_from_slice(extra);
        let out = mpirun(ranks, &args);
        let said = text(&out);
        assert!(out.status.success(), "{ranks} ranks x {threads}: {said}");
        // Rank 0 alone reports.
        assert_eq!(said.matches("results: ").count(), 1, "{said}");
        let many = read_results(&path).expect("MPI results");
        assert_eq!(many.info.ranks as usize, ranks);
        assert_same(&one, &many, &format!("{ranks} ranks x {threads} threads"));
    }
    one
}

#[test]
fn graded_astrocyte_outputs_cross_ranks_unchanged() {
    // Astrocytes send graded values (not 1) to neurons on other ranks.
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/astrocyte_network.toml");
    let duration = r#"simulation.duration="1 s""#;
    same_for_every_split_of(&model, &["--set", duration], &[(2, 1), (3, 1)]);
}

#[test]
fn clock_engine_spikes_are_the_same_on_2_3_and_4_ranks() {
    same_for_every_split(CUBA, &[(2, 1), (3, 1), (2, 2), (3, 2), (4, 1)]);
}

#[test]
fn event_engine_spikes_are_the_same_on_2_3_and_4_ranks() {
    let event = CUBA.replace(r#"engine = "clock""#, r#"engine = "event""#);
    let one = same_for_every_split(&event, &[(2, 1), (3, 1), (3, 2), (4, 1)]);
    assert!(one.spikes[0].times.is_some(), "exact times recorded");
}

#[test]
fn fixed_point_spikes_are_the_same_on_2_3_and_4_ranks() {
    let demo = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/fixed_point_demo.toml"
    ))
    .expect("demo model");
    same_for_every_split(&demo, &[(2, 1), (3, 1), (3, 2), (4, 1)]);
}

/// Poisson input through zero-delay projections into two populations
/// joined by a zero-delay feed-forward link and recurrent links of one step
/// and more, plus a listed projection of zero and non-zero delays: the
/// layers' spikes cross ranks within each step.
const ZERO_DELAY: &str = r#"
[simulation]
dt = "0.1 ms"
duration = "200 ms"
seed = 17

[[population]]
name = "in"
size = 200
model = "poisson"
params = { rate = "40 Hz" }

[[population]]
name = "e1"
size = 300
model = "lif"
params = { tau_m = "20 ms", v_rest = "-65 mV", v_th = "-50 mV", v_reset = "-65 mV", r_m = "100 Mohm", t_ref = "2 ms" }

[[population]]
name = "e2"
size = 250
model = "cuba_lif"
params = { tau_m = "20 ms", v_rest = "-65 mV", v_th = "-50 mV", v_reset = "-65 mV", r_m = "100 Mohm", t_ref = "2 ms", tau_syn_e = "5 ms", tau_syn_i = "10 ms" }

[[projection]]
from = "in"
to = "e1"
connect = { fixed_indegree = 30 }
weight = "1.2 mV"
delay = "0 ms"

[[projection]]
from = "e1"
to = "e2"
connect = { fixed_probability = 0.1 }
weight = "0.4 nA"
delay = "0 ms"

[[projection]]
from = "e2"
to = "e1"
connect = { fixed_probability = 0.1 }
weight = "-0.2 mV"
delay = "0.1 ms"

[[projection]]
from = "e1"
to = "e1"
connect = { fixed_probability = 0.05 }
weight = { uniform = ["0.1 mV", "0.6 mV"] }
delay = { uniform = ["0.1 ms", "1 ms"] }

[[projection]]
from = "in"
to = "e2"
connect = { list = "zero_list.csv" }
weight = "0.3 nA"

[[record]]
population = "e2"
variables = ["v"]
neurons = [0, 100, 249]
"#;

#[test]
fn zero_delay_layers_are_the_same_on_2_and_3_ranks() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut csv = String::from("pre,post,delay_ms\n");
    for post in 0..250u32 {
        for k in 0..4u32 {
            let delay = if k % 2 == 0 { "0" } else { "0.2" };
            csv.push_str(&format!("{},{post},{delay}\n", (post * 7 + k * 13) % 200));
        }
    }
    std::fs::write(dir.path().join("zero_list.csv"), csv).expect("list written");
    let model = write_model(dir.path(), "m.toml", ZERO_DELAY);
    same_for_every_split_of(&model, &[], &[(2, 1), (2, 2), (3, 1)]);
}

#[test]
fn fixed_point_zero_delay_layers_are_the_same_on_2_and_3_ranks() {
    let demo = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/fixed_point_demo.toml"
    ))
    .expect("demo model");
    // pattern -> exc -> inh in the step; inh -> exc and exc -> exc through
    // the one-step pipeline.
    let zero = demo
        .replace(
            "weight_exp = 1         # applied to each target's summed input",
            "weight_exp = 1\ndelay = \"0 ms\"",
        )
        .replace("weight = 4\n", "weight = 4\ndelay = \"0 ms\"\n");
    assert_eq!(zero.matches("delay = \"0 ms\"").count(), 2);
    same_for_every_split(&zero, &[(2, 1), (3, 1), (2, 2)]);
}

/// The ranks that own population `name` in a run on `ranks` × 1.
fn ranks_of(model_text: &str, name: &str, ranks: usize) -> Vec<usize> {
    use spikesim::engine::network::Network;
    use spikesim::engine::partition::RankShare;
    let spec = spikesim::model::validate::parse_model(Path::new("m.toml"), model_text)
        .expect("valid model");
    let p = spec
        .populations
        .iter()
        .position(|p| p.name == name)
        .expect("population");
    let share = RankShare {
        rank: 0,
        ranks,
        threads: 1,
    };
    let mut owners: Vec<usize> = Network::plan(&spec, share)
        .iter()
        .filter(|s| s.population == p)
        .map(|s| share.rank_of(s.worker))
        .collect();
    owners.dedup();
    owners
}

#[test]
fn stdp_across_ranks_gives_the_same_spikes_and_weights() {
    for ranks in [2, 3] {
        let (pre, post) = (
            ranks_of(STDP, "input", ranks),
            ranks_of(STDP, "neuron", ranks),
        );
        assert!(pre.iter().all(|r| !post.contains(r)), "{pre:?} {post:?}");
    }
    let one = same_for_every_split(STDP, &[(2, 1), (3, 1)]);
    let w = &one.weights[0];
    assert!(w.synapses() > 1000 && w.steps.len() >= 3);
    // The weights moved: plasticity acted across the ranks' boundary.
    assert_ne!(w.row(0), w.row(w.steps.len() - 1));
}

#[test]
fn stdp_in_the_event_engine_is_the_same_on_3_ranks() {
    let event = STDP.replace(r#"engine = "clock""#, r#"engine = "event""#);
    same_for_every_split(&event, &[(3, 1)]);
}

/// `mpirun -np ranks spikesim run ...`: exit status 1 on every rank, one
/// error line (from rank 0) containing `expected`, no results file.
fn fails_once(ranks: usize, model_text: &str, extra: &[&str], expected: &str) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let model = write_model(dir.path(), "m.toml", model_text);
    let out_path = dir.path().join("out.h5");
    let mut args = vec!["run", model.to_str().expect("utf-8"), "--no-plots"];
    if !extra.contains(&"--out") {
        args.extend(["--out", out_path.to_str().expect("utf-8")]);
    }
    args.extend_from_slice(extra);
    let out = mpirun(ranks, &args);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert_eq!(said.matches("error:").count(), 1, "one error line: {said}");
    assert!(said.contains(expected), "{said}");
    assert!(!said.contains("panicked"), "{said}");
    if !extra.contains(&"--out") {
        assert!(!out_path.exists(), "no results file after a failure");
    }
}

const SMALL: &str = r#"
[simulation]
dt = "0.1 ms"
duration = "10 ms"

[[population]]
name = "a"
size = 10
model = "poisson"
params = { rate = "10 Hz" }

[[population]]
name = "b"
size = 5
model = "lif"
params = { tau_m = "20 ms", v_rest = "-70 mV", v_reset = "-70 mV", v_th = "-50 mV" }

[[projection]]
from = "a"
to = "b"
connect = "all_to_all"
weight = "1 mV"
"#;

#[test]
fn more_ranks_than_the_model_can_use_is_one_error() {
    fails_once(3, SMALL, &[], "run with at most 2 ranks");
}

#[test]
fn a_bad_model_is_one_error_on_every_rank() {
    let bad = SMALL.replace(r#"tau_m = "20 ms""#, r#"tau_m = "-20 ms""#);
    fails_once(2, &bad, &[], "tau_m: must be positive");
}

#[test]
fn a_model_too_big_for_each_rank_is_one_error() {
    let huge = SMALL
        .replace("size = 10\n", "size = 2000000\n")
        .replace("size = 5\n", "size = 2000000\n");
    fails_once(2, &huge, &[], "one rank's share of 2");
}

#[test]
fn an_output_that_cannot_be_written_is_one_error_before_the_run() {
    let dir = tempfile::tempdir().expect("temporary folder");
    // A regular file where the output's folder should be.
    let blocker = dir.path().join("not_a_folder");
    std::fs::write(&blocker, "x").expect("file written");
    let out = blocker.join("out.h5");
    fails_once(
        2,
        SMALL,
        &["--out", out.to_str().expect("utf-8")],
        "cannot create the folder",
    );
}

#[test]
fn a_bad_option_is_one_error() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let model = write_model(dir.path(), "m.toml", SMALL);
    let model = model.to_str().expect("utf-8");
    let out = mpirun(2, &["run", model, "--threads", "lots"]);
    let said = text(&out);
    // clap's status for a usage error (2), as without mpirun.
    assert!(!out.status.success(), "{said}");
    assert_eq!(said.matches("error:").count(), 1, "{said}");
    assert!(said.contains("invalid value 'lots'"), "{said}");
}

#[test]
fn an_output_that_is_the_model_is_one_error() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let model = write_model(dir.path(), "m.toml", SMALL);
    let out = mpirun(
        2,
        &[
            "run",
            model.to_str().expect("utf-8"),
            "--out",
            model.to_str().expect("utf-8"),
        ],
    );
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert_eq!(said.matches("error:").count(), 1, "{said}");
    assert!(said.contains("is also an input"), "{said}");
    assert_eq!(
        std::fs::read_to_string(&model).expect("model kept"),
        SMALL,
        "the model is untouched"
    );
}

/// Rank 1 alone under an address-space limit of 900 MB; rank 0 unlimited.
fn mpirun_rank1_limited(args: &[&str]) -> Output {
    let _one_at_a_time = MPI_JOBS.lock().unwrap_or_else(|e| e.into_inner());
    Command::new("mpirun")
        .args([
            "--allow-run-as-root",
            "--oversubscribe",
            "-np",
            "2",
            "sh",
            "-c",
        ])
        .arg(r#"[ "$OMPI_COMM_WORLD_RANK" = 1 ] && ulimit -v 900000; exec "$0" "$@""#)
        .arg(BIN)
        .args(args)
        .output()
        .expect("mpirun runs")
}

#[test]
fn an_allocation_that_fails_on_one_rank_stops_every_rank() {
    // Each rank builds the synapses onto its 6000 neurons: 7.2e7, about
    // 650 MB, more than rank 1 may allocate beside the program; rank 0
    // could. The ranks agree on the failure before the run starts, so none
    // waits for the other. (Recordings no longer fail this way: they are
    // written as the run goes.)
    let model = r#"
[simulation]
dt = "0.1 ms"
duration = "10 ms"

[[population]]
name = "a"
size = 12000
model = "lif"
params = { tau_m = "20 ms", v_rest = "-70 mV", v_reset = "-70 mV", v_th = "-50 mV" }

[[projection]]
from = "a"
to = "a"
connect = "all_to_all"
weight = "0.01 mV"
"#;
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = write_model(dir.path(), "m.toml", model);
    let out_path = dir.path().join("out.h5");
    let started = std::time::Instant::now();
    let out = mpirun_rank1_limited(&[
        "run",
        path.to_str().expect("utf-8"),
        "--ignore-memory-limit",
        "--no-plots",
        "--out",
        out_path.to_str().expect("utf-8"),
    ]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert_eq!(said.matches("error:").count(), 1, "{said}");
    assert!(
        said.contains("rank 1 of the run could not allocate its part of the network"),
        "{said}"
    );
    assert!(!out_path.exists());
    // Rank 0 builds its half (7.2e7 synapses, a few seconds; longer on a
    // loaded machine) before the ranks agree: no hang, and no simulation.
    assert!(
        started.elapsed().as_secs() < 60,
        "stopped before simulating"
    );
}

#[test]
fn scaled_microcircuit_is_the_same_on_2_and_3_ranks() {
    // fixed_total_number, redrawn normal weights and delays, and the
    // per-neuron Poisson background, with populations split across ranks.
    let model = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/microcircuit.toml"
    ));
    let extra = [
        "--set",
        "scale.neurons=0.05",
        "--set",
        "scale.indegree=0.1",
        "--set",
        "simulation.duration=0.1 s",
    ];
    let one = same_for_every_split_of(model, &extra, &[(2, 1), (3, 1)]);
    let spikes: usize = one.spikes.iter().map(|s| s.senders.len()).sum();
    assert!(
        spikes > 100,
        "the background drives the circuit: {spikes} spikes"
    );
}

/// `mpirun -np ranks spikesim args`, started and left running.
fn mpirun_spawn(ranks: usize, args: &[&str]) -> std::process::Child {
    Command::new("mpirun")
        .args(["--allow-run-as-root", "--oversubscribe", "-np"])
        .arg(ranks.to_string())
        .arg(BIN)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("mpirun runs")
}

/// Wait until `path` exists (at most 30 s).
fn wait_for(path: &Path) {
    let started = std::time::Instant::now();
    while !path.exists() && started.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// A 2-rank run stopped twice (SIGTERM to mpirun, which passes it on to
/// the ranks; then SIGKILL of one rank, which mpirun answers by ending the
/// others) and each time resumed on 2 ranks from its last checkpoint ends
/// with the one-process run's datasets; 3 ranks are refused.
#[test]
fn a_run_stopped_or_killed_on_2_ranks_resumes_on_2_ranks_bit_for_bit() {
    let _one_at_a_time = MPI_JOBS.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let long = CUBA.replace("duration = \"200 ms\"", "duration = \"100 s\"");
    let model = write_model(dir.path(), "long.toml", &long);
    let model = model.to_str().unwrap();
    let one = dir.path().join("one.h5");
    let o = alone(&[
        "run",
        model,
        "--threads",
        "1",
        "--no-plots",
        "--out",
        one.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let one = read_results(&one).unwrap();

    let out = dir.path().join("many.h5");
    let out_text = out.to_str().unwrap();
    let args = [
        "run",
        model,
        "--threads",
        "1",
        "--no-plots",
        "--out",
        out_text,
        "--checkpoint-every",
        "0.2 s",
    ];
    let checkpoint = dir.path().join("many.h5.checkpoint");
    // Stopped by SIGTERM: an interrupted file and a checkpoint.
    let child = mpirun_spawn(2, &args);
    wait_for(&checkpoint);
    // mpirun passes SIGTERM on once it has its job under way.
    std::thread::sleep(std::time::Duration::from_millis(200));
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let o = child.wait_with_output().unwrap();
    let r = read_results(&out).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    let reached = r
        .info
        .reached
        .unwrap_or_else(|| panic!("not interrupted: {}", text(&o)));
    assert!(reached < 100.0, "{reached}");

    let mut resume = args.to_vec();
    resume.push("--resume");
    let o = Command::new("mpirun")
        .args(["--allow-run-as-root", "--oversubscribe", "-np", "3", BIN])
        .args(&resume)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(text(&o).contains("mpirun -np 2"), "{}", text(&o));

    // Resumed, then one rank killed outright midway.
    let step = |c: &Path| spikesim::io::checkpoint::read_header(c).map(|(h, _)| h.step);
    let stopped_at = step(&checkpoint).unwrap();
    let child = mpirun_spawn(2, &resume);
    // Two checkpoints further on (the first is taken right after the resume).
    let started = std::time::Instant::now();
    while step(&checkpoint).is_ok_and(|s| s < stopped_at + 4000)
        && started.elapsed() < std::time::Duration::from_secs(30)
    {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let ranks = Command::new("pgrep")
        .args(["-P", &child.id().to_string()])
        .output()
        .unwrap();
    let pids = String::from_utf8_lossy(&ranks.stdout).to_string();
    if let Some(pid) = pids.lines().last() {
        let _ = Command::new("kill").args(["-9", pid]).status();
    }
    let _ = child.wait_with_output().unwrap();
    if let Ok(r) = read_results(&out) {
        assert!(
            r.info.reached.is_some(),
            "a killed run left a complete file"
        );
    }
    let o = Command::new("mpirun")
        .args(["--allow-run-as-root", "--oversubscribe", "-np", "2", BIN])
        .args(&resume)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let many = read_results(&out).unwrap();
    assert_same(&one, &many, "2 ranks, stopped, killed and resumed");
}
