//! The stream against the in-memory run it is given in pieces: whatever the
//! cuts, interruptions and kills, the file reads back as that run.

use std::path::{Path, PathBuf};

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

use super::*;
use crate::io::hdf5::{read_results, write_results};
use std::process::Command;

const DT: f64 = 1e-4;

/// `<target>.partial` (not through `PartialFile`, whose drop removes it).
fn partial_name(target: &Path) -> PathBuf {
    let mut name = target.as_os_str().to_os_string();
    name.push(".partial");
    PathBuf::from(name)
}
const STEPS: u64 = 4000;
const RUN: u64 = 0xC0FF_EE00_1234_5678;

fn info() -> RunInfo {
    RunInfo {
        model_text: "[network]\nname = \"stream\"\n".into(),
        model_path: "models/stream.toml".into(),
        seed: 7,
        dt: DT,
        duration: STEPS as f64 * DT,
        engine: "clock".into(),
        threads: 2,
        ranks: 1,
        version: "0.1.0".into(),
        build_seconds: 0.5,
        simulate_seconds: 2.5,
        synapses: 99,
        synaptic_events: 12345,
        reached: None,
    }
}

/// A whole run of pseudo-random recordings: spikes on the grid and off it,
/// float and integer traces, weight snapshots every 100 steps.
fn whole_run(neurons: usize) -> Results {
    let mut rng = Pcg64::seed_from_u64(42);
    let mut exc = SpikeTrains::new("exc", 50);
    let mut inh = SpikeTrains::new("inh", 20);
    let mut inh_times = Vec::new();
    for step in 0..STEPS {
        for n in 0..50 {
            if rng.random::<f64>() < 0.01 {
                exc.steps.push(step);
                exc.senders.push(n);
            }
        }
        if rng.random::<f64>() < 0.05 {
            inh.steps.push(step);
            inh.senders.push(rng.random_range(0..20));
            inh_times.push((step as f64 - rng.random::<f64>() * 0.5) * DT);
        }
    }
    inh_times[0] = inh_times[0].max(0.0);
    inh.times = Some(inh_times);
    let columns: Vec<u32> = (0..neurons as u32).map(|n| n % 50).collect();
    let trace = |variable: &str, rng: &mut Pcg64, integer: bool| {
        let steps: Vec<u64> = (0..STEPS).step_by(2).collect();
        let values = (0..steps.len() * columns.len())
            .map(|_| {
                if integer {
                    f64::from(rng.random_range(-3000..3000))
                } else {
                    -0.07 + 0.02 * rng.random::<f64>()
                }
            })
            .collect();
        StateTrace {
            population: if integer { "inh" } else { "exc" }.into(),
            variable: variable.into(),
            unit: "V".into(),
            neurons: columns.iter().map(|&n| n % 20).collect(),
            steps,
            values,
            threshold: (variable == "v").then_some(-0.05),
            integer,
        }
    };
    let mut v = trace("v", &mut rng, false);
    v.neurons = columns.clone();
    let mut g = trace("g", &mut rng, false);
    g.neurons = columns.clone();
    let u = trace("u", &mut rng, true);
    // A trace of no neurons still has its rows of steps.
    let mut silent = trace("v", &mut rng, false);
    silent.population = "silent".into();
    silent.neurons.clear();
    silent.values.clear();
    let snapshots: Vec<u64> = (0..STEPS).step_by(100).collect();
    let weights = WeightTrace {
        projection: "exc->inh".into(),
        unit: "V".into(),
        pre: vec![0, 0, 3, 7],
        post: vec![1, 2, 2, 0],
        times: snapshots.iter().map(|&s| s as f64 * DT).collect(),
        values: (0..snapshots.len() * 4).map(|_| rng.random()).collect(),
        steps: snapshots,
    };
    Results {
        info: info(),
        spikes: vec![exc, inh],
        states: vec![v, g, u, silent],
        weights: vec![weights],
    }
}

/// The rows of `run` with steps in `from..to`.
fn segment(run: &Results, from: u64, to: u64) -> Results {
    let range =
        |steps: &[u64]| steps.partition_point(|&s| s < from)..steps.partition_point(|&s| s < to);
    let spikes = run
        .spikes
        .iter()
        .map(|s| {
            let r = range(&s.steps);
            SpikeTrains {
                steps: s.steps[r.clone()].to_vec(),
                senders: s.senders[r.clone()].to_vec(),
                times: s.times.as_ref().map(|t| t[r.clone()].to_vec()),
                ..s.clone()
            }
        })
        .collect();
    let states = run
        .states
        .iter()
        .map(|t| {
            let r = range(&t.steps);
            let w = t.neurons.len();
            StateTrace {
                steps: t.steps[r.clone()].to_vec(),
                values: t.values[r.start * w..r.end * w].to_vec(),
                ..t.clone()
            }
        })
        .collect();
    let weights = run
        .weights
        .iter()
        .map(|t| {
            let r = range(&t.steps);
            let w = t.pre.len();
            WeightTrace {
                steps: t.steps[r.clone()].to_vec(),
                times: t.times[r.clone()].to_vec(),
                values: t.values[r.start * w..r.end * w].to_vec(),
                ..t.clone()
            }
        })
        .collect();
    Results {
        info: run.info.clone(),
        spikes,
        states,
        weights,
    }
}

/// Uneven cuts, some segments empty.
fn cuts(seed: u64, count: usize) -> Vec<u64> {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut cuts: Vec<u64> = (0..count - 1)
        .map(|_| rng.random_range(0..=STEPS))
        .collect();
    cuts.push(0);
    cuts.push(STEPS);
    cuts.sort_unstable();
    cuts
}

fn layout(run: &Results) -> Results {
    segment(run, 0, 0)
}

fn stream_all(target: &Path, run: &Results, cuts: &[u64]) -> ResultsStream {
    let mut stream = ResultsStream::create(target, &layout(run), RUN).unwrap();
    for w in cuts.windows(2) {
        stream.append(&segment(run, w[0], w[1])).unwrap();
    }
    stream
}

#[test]
fn appended_segments_read_back_as_the_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = whole_run(30);
    for (k, count) in [1, 2, 17, 150].into_iter().enumerate() {
        let target = dir.path().join(format!("run{k}.h5"));
        let stream = stream_all(&target, &run, &cuts(k as u64, count));
        assert!(!target.exists(), "only the .partial while running");
        assert!(partial_name(&target).exists());
        stream.finish(&run.info).unwrap();
        assert!(!partial_name(&target).exists());
        assert_eq!(read_results(&target).unwrap(), run, "{count} segments");
    }
    // The same datasets as a file written at once, but chunked.
    let whole = dir.path().join("whole.h5");
    write_results(&whole, &run).unwrap();
    let streamed = File::open(dir.path().join("run2.h5")).unwrap();
    let at_once = File::open(&whole).unwrap();
    for name in [
        "spikes/inh/times",
        "state/exc/v",
        "state/inh/u",
        "weights/exc->inh/values",
    ] {
        let (a, b) = (
            streamed.dataset(name).unwrap(),
            at_once.dataset(name).unwrap(),
        );
        assert_eq!(a.shape(), b.shape(), "{name}");
        assert_eq!(
            a.dtype().unwrap().size(),
            b.dtype().unwrap().size(),
            "{name}"
        );
        assert!(a.chunk().is_some() && b.chunk().is_none(), "{name}");
    }
    let complete: u8 = streamed.attr("complete").unwrap().read_scalar().unwrap();
    let run_id: u64 = streamed.attr("run_id").unwrap().read_scalar().unwrap();
    assert_eq!((complete, run_id), (1, RUN));
}

#[test]
fn interrupted_file_reads_back_up_to_where_it_stopped_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("run.h5");
    let run = whole_run(10);
    let mut stream = ResultsStream::create(&target, &layout(&run), RUN).unwrap();
    stream.append(&segment(&run, 0, 1500)).unwrap();
    let at = stream.positions();
    let mut info = run.info.clone();
    info.simulate_seconds = 0.75;
    stream.interrupt(&info, 1500.0 * DT).unwrap();
    assert!(!partial_name(&target).exists());

    let read = read_results(&target).unwrap();
    assert_eq!(read.info.reached, Some(1500.0 * DT));
    let mut expected = segment(&run, 0, 1500);
    expected.info = info.clone();
    expected.info.reached = Some(1500.0 * DT);
    assert_eq!(read, expected);

    // A time past the end of the run is refused, and the file stays open.
    let stream = ResultsStream::resume(&target, RUN, &at).unwrap();
    assert!(!target.exists(), "moved aside while it is written again");
    let err = message(stream.interrupt(&info, 0.5).unwrap_err());
    assert!(err.contains("/@reached") && err.contains("0.5 s"), "{err}");
    let mut stream = ResultsStream::resume(&target, RUN, &at).unwrap();
    stream.append(&segment(&run, 1500, STEPS)).unwrap();
    stream.finish(&run.info).unwrap();
    let read = read_results(&target).unwrap();
    assert_eq!(read.info.reached, None);
    assert_eq!(read, run);
}

#[test]
fn resume_cuts_back_to_the_flush_and_continues_identically() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("run.h5");
    let run = whole_run(10);
    let mut stream = ResultsStream::create(&target, &layout(&run), RUN).unwrap();
    stream.append(&segment(&run, 0, 1000)).unwrap();
    stream.flush().unwrap();
    let at = stream.positions();
    // Written after the flush, then lost with the process.
    stream.append(&segment(&run, 1000, 2500)).unwrap();
    assert!(stream.positions().0.iter().zip(&at.0).any(|(a, b)| a > b));
    drop(stream);
    assert!(partial_name(&target).exists(), "kept for a resume");
    // Twice: a resume that is itself lost must be resumable too.
    for _ in 0..2 {
        let mut stream = ResultsStream::resume(&target, RUN, &at).unwrap();
        assert_eq!(stream.positions(), at);
        stream.append(&segment(&run, 1000, 1700)).unwrap();
        stream.flush().unwrap();
    }
    let mut stream = ResultsStream::resume(&target, RUN, &at).unwrap();
    stream.append(&segment(&run, 1000, STEPS)).unwrap();
    stream.finish(&run.info).unwrap();
    assert_eq!(read_results(&target).unwrap(), run);
}

fn message(err: IoError) -> String {
    err.to_string()
}

#[test]
fn bad_resumes_are_clear_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("run.h5");
    let name = target.display().to_string();
    let run = whole_run(4);
    let err = message(ResultsStream::resume(&target, RUN, &Positions::default()).unwrap_err());
    assert!(
        err.contains(&name) && err.contains("holds no streamed run"),
        "{err}"
    );

    let mut stream = ResultsStream::create(&target, &layout(&run), RUN).unwrap();
    stream.append(&segment(&run, 0, 100)).unwrap();
    stream.flush().unwrap();
    let at = stream.positions();
    drop(stream);
    let err = message(ResultsStream::resume(&target, RUN + 1, &at).unwrap_err());
    assert!(
        err.contains(&format!("holds run {RUN}")) && err.contains(&name),
        "{err}"
    );
    assert!(
        partial_name(&target).exists(),
        "another run's file is left alone"
    );

    let mut short = at.clone();
    short.0.pop();
    let err = message(ResultsStream::resume(&target, RUN, &short).unwrap_err());
    assert!(
        err.contains("dataset lengths") && err.contains(&name),
        "{err}"
    );
    let mut long = at.clone();
    long.0[2] += 1;
    let err = message(ResultsStream::resume(&target, RUN, &long).unwrap_err());
    assert!(
        err.contains("/spikes/exc/steps") && err.contains("fewer than"),
        "{err}"
    );

    // A complete file is never continued.
    ResultsStream::resume(&target, RUN, &at)
        .unwrap()
        .finish(&run.info)
        .unwrap();
    let err = message(ResultsStream::resume(&target, RUN, &at).unwrap_err());
    assert!(err.contains("complete"), "{err}");
    assert_eq!(read_results(&target).unwrap(), segment(&run, 0, 100));

    // Not an HDF5 file where the partial should be.
    std::fs::write(partial_name(&target), "text").unwrap();
    let err = message(ResultsStream::resume(&target, RUN, &at).unwrap_err());
    assert!(err.contains(&name), "{err}");
}

#[test]
fn segments_that_do_not_fit_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("run.h5");
    let run = whole_run(4);
    let mut stream = ResultsStream::create(&target, &layout(&run), RUN).unwrap();
    stream.append(&segment(&run, 0, 2000)).unwrap();
    let at = stream.positions();
    type Damage = fn(&mut Results);
    let cases: [(Damage, &str); 5] = [
        (|r| r.spikes.swap(0, 1), "spike populations"),
        (
            |r| r.states[..3].iter_mut().for_each(|t| t.neurons[0] += 1),
            "state traces",
        ),
        (|r| r.weights.clear(), "weight projections"),
        (|r| r.spikes[0].senders[0] = 50, "sender 50"),
        (|r| *r = segment(&whole_run(4), 1000, 3000), "before step"),
    ];
    for (damage, expected) in cases {
        let mut bad = segment(&run, 2000, 3000);
        damage(&mut bad);
        let err = message(stream.append(&bad).unwrap_err());
        assert!(err.contains(expected), "{err}");
        assert_eq!(stream.positions(), at);
    }
    stream.append(&segment(&run, 2000, STEPS)).unwrap();
    stream.finish(&run.info).unwrap();
    assert_eq!(read_results(&target).unwrap(), run);
}

#[test]
fn a_partial_file_renamed_by_hand_is_refused_as_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("run.h5");
    let run = whole_run(4);
    let mut stream = stream_all(&target, &run, &cuts(3, 5));
    stream.flush().unwrap();
    drop(stream);
    std::fs::rename(partial_name(&target), &target).unwrap();
    let err = read_results(&target).unwrap_err();
    assert!(matches!(err, IoError::Incomplete { .. }), "{err}");
}

#[test]
fn discard_removes_the_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("run.h5");
    let run = whole_run(4);
    stream_all(&target, &run, &cuts(1, 3)).discard();
    assert!(!partial_name(&target).exists() && !target.exists());
}

// ------------------------------------------------------------ killed writers

const WRITER: &str = "SPIKESIM_STREAM_WRITER";
const KILL_SEGMENTS: u64 = 400;
/// What a writer prints once it has opened the file, and after each flush.
const READY: &str = "writer ready";
const FLUSHED: &str = "writer flushed";

/// The side file a writer records its flushed positions in: the next
/// segment, then each dataset's length.
fn side_file(dir: &Path) -> PathBuf {
    dir.join("flushed.txt")
}

fn read_side(dir: &Path) -> Option<(u64, Positions)> {
    let text = std::fs::read_to_string(side_file(dir)).ok()?;
    let mut numbers = text.split_whitespace().map(|n| n.parse::<u64>().unwrap());
    let next = numbers.next()?;
    Some((next, Positions(numbers.collect())))
}

fn write_side(dir: &Path, next: u64, at: &Positions) {
    let text: Vec<String> = std::iter::once(next)
        .chain(at.0.iter().copied())
        .map(|n| n.to_string())
        .collect();
    let temporary = dir.join("flushed.tmp");
    std::fs::write(&temporary, text.join(" ")).unwrap();
    std::fs::rename(temporary, side_file(dir)).unwrap();
}

fn kill_run() -> Results {
    whole_run(40)
}

/// Segment `k` of the killed-writer test.
fn kill_segment(run: &Results, k: u64) -> Results {
    let step = |k: u64| k * STEPS / KILL_SEGMENTS;
    segment(run, step(k), step(k + 1))
}

/// Continues (or starts) the run in the directory of `$SPIKESIM_STREAM_WRITER`
/// until it is killed or done: run by `killed_writers_...` in a child process.
#[test]
#[ignore = "a child process of killed_writers_resume_to_the_same_datasets"]
fn writer_child() {
    let Some(dir) = std::env::var_os(WRITER).map(PathBuf::from) else {
        return;
    };
    let target = dir.join("run.h5");
    let run = kill_run();
    let (mut stream, mut next) = match read_side(&dir) {
        Some((next, at)) => (ResultsStream::resume(&target, RUN, &at).unwrap(), next),
        None => {
            let mut stream = ResultsStream::create(&target, &layout(&run), RUN).unwrap();
            stream.flush().unwrap();
            write_side(&dir, 0, &stream.positions());
            (stream, 0)
        }
    };
    println!("{READY}");
    while next < KILL_SEGMENTS {
        stream.append(&kill_segment(&run, next)).unwrap();
        next += 1;
        if next % 3 == 0 {
            stream.flush().unwrap();
            write_side(&dir, next, &stream.positions());
            println!("{FLUSHED}");
        }
    }
    // Done before the kill: wait for it, so the parent's kill is what ends us.
    std::thread::sleep(std::time::Duration::from_secs(30));
}

/// Writers killed with SIGKILL at random moments while appending, flushing
/// or resuming; each next one resumes from the last flushed positions. The
/// file finished at the end reads back as the uninterrupted run.
///
/// `make test` runs it alone: a child is forked with copies of whatever
/// HDF5 files the tests beside it hold open at that moment (libhdf5 sets no
/// close-on-exec), and until its exec those copies keep the files' advisory
/// locks, so another test's next open of its own file fails with EAGAIN.
#[test]
#[ignore = "run alone by make test (see the doc comment)"]
fn killed_writers_resume_to_the_same_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("run.h5");
    let exe = std::env::current_exe().unwrap();
    let mut rng = Pcg64::seed_from_u64(2026);
    let mut progress = Vec::new();
    for round in 0..24 {
        let mut child = crate::io::guard::without_inherited_files(&mut Command::new(&exe))
            .args(["--exact", "io::hdf5::stream::tests::writer_child"])
            .args(["--ignored", "--nocapture", "--test-threads", "1"])
            .env(WRITER, dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("writer.err")).unwrap())
            .spawn()
            .unwrap();
        // Most kills fall while appending and flushing, after a random
        // number of flushes (so that load on the machine does not change
        // where); some while the writer starts, resumes and cuts the file.
        let mut lines =
            std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
        let delay = if round % 4 == 3 {
            rng.random_range(0..30_000)
        } else {
            let flushes = rng.random_range(0..=5);
            let mut seen = lines
                .by_ref()
                .map_while(Result::ok)
                .filter(|l| l.ends_with(READY) || l == FLUSHED);
            if seen.by_ref().take(flushes + 1).count() < flushes + 1 {
                let status = child.wait().unwrap();
                let err = std::fs::read_to_string(dir.path().join("writer.err")).unwrap();
                panic!("round {round}: the writer stopped early ({status}): {err}");
            }
            rng.random_range(0..3_000)
        };
        std::thread::sleep(std::time::Duration::from_micros(delay));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        drop(lines);
        assert!(
            !status.success(),
            "the writer failed or finished early: {status}"
        );
        progress.push(read_side(dir.path()).map_or(0, |(next, _)| next));
    }
    assert!(!target.exists(), "a killed writer never leaves the target");
    // A killed writer's file is not a run file the readers accept.
    let killed = dir.path().join("killed.h5");
    std::fs::copy(partial_name(&target), &killed).unwrap();
    assert!(matches!(
        read_results(&killed),
        Err(IoError::Incomplete { .. })
    ));

    let run = kill_run();
    let (mut next, at) = read_side(dir.path()).expect("some writer flushed");
    let mut stream = ResultsStream::resume(&target, RUN, &at).unwrap();
    while next < KILL_SEGMENTS {
        stream.append(&kill_segment(&run, next)).unwrap();
        next += 1;
    }
    stream.finish(&run.info).unwrap();
    assert_eq!(read_results(&target).unwrap(), run, "progress {progress:?}");
    assert!(
        progress.windows(2).filter(|w| w[1] > w[0]).count() >= 10,
        "the kills should fall at many points of the run: {progress:?}"
    );
}

/// Results read from an interrupted file and written again at once stay
/// marked as interrupted.
#[test]
fn interrupted_results_written_at_once_stay_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let (streamed, copy) = (dir.path().join("cut.h5"), dir.path().join("copy.h5"));
    let run = whole_run(4);
    let mut stream = ResultsStream::create(&streamed, &layout(&run), RUN).unwrap();
    stream.append(&segment(&run, 0, 700)).unwrap();
    stream.interrupt(&run.info, 700.0 * DT).unwrap();
    let read = read_results(&streamed).unwrap();
    write_results(&copy, &read).unwrap();
    assert_eq!(read_results(&copy).unwrap(), read);
    let complete: u8 = File::open(&copy)
        .unwrap()
        .attr("complete")
        .unwrap()
        .read_scalar()
        .unwrap();
    assert_eq!(complete, 0);
}
