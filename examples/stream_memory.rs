//! Resident memory of a streamed run file against the data written: appends
//! segments of `v` for 4,000 neurons (and their spikes) until `GB` gigabytes
//! of trace rows are written, printing the resident set size as it goes.
//!
//!     cargo run --release --example stream_memory -- [GB] [DIR] [keep]
//!
//! Flat resident memory is the point: it should not grow with the data.

use std::path::PathBuf;

use spikesim::io::hdf5::ResultsStream;
use spikesim::io::results::{Results, RunInfo, SpikeTrains, StateTrace};

const NEURONS: usize = 4000;
const DT: f64 = 1e-4;
/// Steps per segment: 100 steps of 4,000 neurons are 3.2 MB of `v`.
const SEGMENT: u64 = 100;

fn rss_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn segment(info: &RunInfo, first: u64) -> Results {
    let steps: Vec<u64> = (first..first + SEGMENT).collect();
    let mut spikes = SpikeTrains::new("exc", NEURONS as u32);
    for &s in &steps {
        for n in (s as usize % 50..NEURONS).step_by(50) {
            spikes.steps.push(s);
            spikes.senders.push(n as u32);
        }
    }
    let values = steps
        .iter()
        .flat_map(|&s| (0..NEURONS).map(move |n| -0.07 + ((s as usize + n) % 1000) as f64 * 1e-5))
        .collect();
    Results {
        info: info.clone(),
        spikes: vec![spikes],
        states: vec![StateTrace {
            population: "exc".into(),
            variable: "v".into(),
            unit: "V".into(),
            neurons: (0..NEURONS as u32).collect(),
            steps,
            values,
            threshold: Some(-0.05),
            integer: false,
        }],
        weights: Vec::new(),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let gigabytes: f64 = args.next().map_or(2.0, |a| a.parse().expect("GB"));
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| std::env::temp_dir().display().to_string()),
    );
    let target = dir.join("stream_memory.h5");
    let segments = (gigabytes * 1e9 / (SEGMENT as f64 * NEURONS as f64 * 8.0)).ceil() as u64;
    let info = RunInfo {
        dt: DT,
        duration: (segments * SEGMENT) as f64 * DT,
        engine: "clock".into(),
        ..Default::default()
    };
    let mut layout = segment(&info, 0);
    layout.spikes[0].steps.clear();
    layout.spikes[0].senders.clear();
    layout.states[0].steps.clear();
    layout.states[0].values.clear();
    let started = std::time::Instant::now();
    let mut stream = ResultsStream::create(&target, &layout, 1).expect("create");
    println!(
        "segments: {segments}, {} MB of v each",
        SEGMENT as usize * NEURONS * 8 / 1_000_000
    );
    println!("written_GB rss_MiB seconds");
    for k in 0..segments {
        stream.append(&segment(&info, k * SEGMENT)).expect("append");
        if k % 10 == 9 {
            stream.flush().expect("flush");
        }
        if k % (segments / 20).max(1) == 0 || k + 1 == segments {
            let written = (k + 1) as f64 * SEGMENT as f64 * NEURONS as f64 * 8.0 / 1e9;
            println!(
                "{written:.3} {:.1} {:.1}",
                rss_kib("VmRSS:") as f64 / 1024.0,
                started.elapsed().as_secs_f64()
            );
        }
    }
    stream.finish(&info).expect("finish");
    let bytes = std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0);
    println!(
        "peak rss {:.1} MiB, file {:.3} GB, {:.1} s",
        rss_kib("VmHWM:") as f64 / 1024.0,
        bytes as f64 / 1e9,
        started.elapsed().as_secs_f64()
    );
    if args.next().as_deref() != Some("keep") {
        std::fs::remove_file(&target).ok();
    }
}
