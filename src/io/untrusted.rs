//! The reader child's side of `io::guard`: when `spikesim` is started as
//! `spikesim __read-untrusted KIND [ARG] FILE`, it reads FILE with the
//! ordinary reader in this process and sends the parsed value (or the
//! reader's error) back on its stdout in the guard's wire format. The
//! readers call the guard; only this module calls the readers on the
//! guard's behalf, so neither depends on the other.

use std::ffi::{OsStr, OsString};
use std::path::Path;

use super::IoError;
use super::dataset::{SpikeDataset, SpikeSample};
use super::encode::RealSamples;
use super::guard::wire::{Reader, Wire, wire_struct};
use super::guard::{CHILD_ARG, Request};
use super::results::{Results, RunInfo, SpikeTrains, StateTrace, WeightTrace};
use super::tree::{TreeDataset, TreeGroup, TreeValues};

wire_struct! {
    SpikeSample { times, units }
    SpikeDataset { samples, labels, channels, classes }
    RealSamples { values, labels, steps, channels }
    RunInfo {
        model_text, model_path, seed, dt, duration, engine, threads, ranks, version,
        build_seconds, simulate_seconds, synapses, synaptic_events, reached,
    }
    SpikeTrains { population, size, steps, senders, times }
    StateTrace { population, variable, unit, neurons, steps, values, threshold, integer }
    WeightTrace { projection, unit, pre, post, steps, times, values }
    Results { info, spikes, states, weights }
    TreeGroup { name, groups, datasets }
    TreeDataset { name, shape, values }
}

/// Tag 0-3 for the variant, then its contents.
impl Wire for TreeValues {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Self::Float(v) => {
                0u8.put(out);
                v.put(out);
            }
            Self::Int(v) => {
                1u8.put(out);
                v.iter().map(|&x| x as u64).collect::<Vec<_>>().put(out);
            }
            Self::Text(v) => {
                2u8.put(out);
                v.put(out);
            }
            Self::Other(d) => {
                3u8.put(out);
                d.put(out);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        Some(match u8::get(r)? {
            0 => Self::Float(Wire::get(r)?),
            1 => Self::Int(Vec::<u64>::get(r)?.into_iter().map(|x| x as i64).collect()),
            2 => Self::Text(Wire::get(r)?),
            3 => Self::Other(Wire::get(r)?),
            _ => return None,
        })
    }
}

/// Serves a read when this process was started as a reader child: returns
/// the exit status to end with, or `None` when it was started otherwise.
/// The `spikesim` binary calls this before parsing its arguments.
pub fn serve_if_child() -> Option<std::process::ExitCode> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.first().map(OsString::as_os_str) != Some(OsStr::new(CHILD_ARG)) {
        return None;
    }
    let Some((file, request)) = args[1..]
        .split_last()
        .and_then(|(file, rest)| Some((file, Request::parse(rest)?)))
    else {
        eprintln!("{CHILD_ARG}: expected KIND [STEPS] FILE");
        return Some(std::process::ExitCode::from(2));
    };
    no_core_dumps();
    let answer = serve(Path::new(file), request);
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let sent = out.write_all(&answer).and_then(|()| out.flush());
    Some(if sent.is_ok() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(3)
    })
}

/// A crash in the child is expected and reported; a core file of it, dropped
/// in the user's directory or handed to a crash reporter, would only cost
/// time and disk.
fn no_core_dumps() {
    #[cfg(unix)]
    {
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: setrlimit only reads the struct passed, and changes the
        // limits of this process alone.
        unsafe {
            libc::setrlimit(libc::RLIMIT_CORE, &zero);
        }
    }
    // A core pattern that pipes to a program ignores RLIMIT_CORE; a process
    // that is not dumpable is never dumped.
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_DUMPABLE takes plain integers and affects this process.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

fn serve(path: &Path, request: Request) -> Vec<u8> {
    match request {
        Request::Dataset => answer(super::dataset::read_dataset_here(path)),
        Request::Real { steps } => answer(super::encode::read_real_here(path, steps)),
        Request::Results => answer(super::hdf5::read_results_here(path)),
        Request::SpikeTimes { group } => {
            answer(super::stimuli::read_spike_times_here(path, &group))
        }
        Request::Tree => answer(super::tree::read_tree_here(path)),
    }
}

/// Tag 0 and the value, or tag 1 and the error's message.
fn answer<T: Wire>(result: Result<T, IoError>) -> Vec<u8> {
    let mut out = Vec::new();
    match result {
        Ok(value) => {
            0u8.put(&mut out);
            value.put(&mut out);
        }
        Err(e) => {
            1u8.put(&mut out);
            e.to_string().put(&mut out);
        }
    }
    out
}

// ------------------------------------------------------------------ parent

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::guard::wire::tests::round_trip;

    #[test]
    fn trees_round_trip_bit_for_bit() {
        let leaf = |name: &str, values| TreeDataset {
            name: name.into(),
            shape: vec![2],
            values,
        };
        round_trip(&TreeGroup {
            name: "".into(),
            groups: vec![TreeGroup {
                name: "lif1.lif".into(),
                groups: vec![],
                datasets: vec![leaf(
                    "tau",
                    TreeValues::Float(vec![1e-3, f64::MIN_POSITIVE]),
                )],
            }],
            datasets: vec![
                leaf("shape", TreeValues::Int(vec![-1, i64::MAX])),
                leaf("edges", TreeValues::Text(vec!["a".into(), "b – ü".into()])),
                leaf("odd", TreeValues::Other("compound".into())),
            ],
        });
    }

    #[test]
    fn datasets_and_results_round_trip_bit_for_bit() {
        round_trip(&SpikeDataset {
            samples: vec![
                SpikeSample {
                    times: vec![0.0, 1.5e-3, f32::MIN_POSITIVE],
                    units: vec![0, 7, u32::MAX],
                },
                SpikeSample {
                    times: vec![],
                    units: vec![],
                },
            ],
            labels: vec![3, 0],
            channels: 700,
            classes: 20,
        });
        let mut spikes = SpikeTrains::new("exc – ü", 4);
        spikes.steps = vec![1, 1, u64::MAX];
        spikes.senders = vec![0, 3, 2];
        spikes.times = Some(vec![1e-4, 1.00001e-4, -0.0]);
        round_trip(&Results {
            info: RunInfo {
                model_text: "[network]\n".into(),
                dt: 1e-4,
                seed: u64::MAX,
                ..Default::default()
            },
            spikes: vec![spikes, SpikeTrains::new("inh", 0)],
            states: vec![StateTrace {
                population: "exc".into(),
                variable: "v".into(),
                unit: "V".into(),
                neurons: vec![1],
                steps: vec![0, 1],
                values: vec![-0.07, -0.065],
                threshold: Some(-0.05),
                integer: false,
            }],
            weights: vec![WeightTrace {
                projection: "a->b".into(),
                values: vec![1.0],
                ..Default::default()
            }],
        });
    }
}
