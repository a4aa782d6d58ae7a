//! Reading HDF5 files in a child process, so that a damaged file cannot take
//! the program down.
//!
//! libhdf5 trusts the bytes it reads. In a damaged file (a byte changed in a
//! global heap, which has no checksum, or in the metadata of a file written
//! without checksums) it follows wild offsets: it crashes with SIGSEGV in
//! `H5HG_read`, aborts in `free()`, or loops forever, and nothing in its API
//! can catch that. So the `spikesim` program reads spike datasets, real-valued
//! inputs and results files in a copy of itself (`spikesim __read-untrusted
//! KIND ... FILE`): the child runs the ordinary reader, which also validates
//! what it read, and sends the parsed arrays back on its stdout (module `wire`).
//! A signal, a time-out, a failed exit or an answer cut short becomes
//! [`IoError::Unreadable`] naming the file; an error the child's reader
//! reported (a missing dataset, a unit out of range, ...) is passed on
//! worded as the reader worded it.
//!
//! The guard is on once [`read_in_child_process`] has named the program to
//! start: the `spikesim` binary does so first thing. A program that uses the
//! library, and the tests that call the readers directly, read in their own
//! process unless they call it too (with the path of a `spikesim` binary):
//! the library cannot know where one is, and starting an arbitrary program
//! would be worse than trusting the file.
//!
//! Cost: a second start of the program and the parsed arrays copied through
//! a pipe. Measured on the 2-core machine under load: `dataset info` on the
//! 13 kB fixture 25 -> 45 ms, on a 1.6 MB, 375,000-spike dataset 45 -> 105 ms;
//! nothing next to a training run.
//!
//! The child waits at most [`TIMEOUT_VAR`] seconds if set, else 10 s plus
//! 1 s per MB of file, a rate libhdf5 beats by far on files it can read.

pub(crate) mod wire;

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::IoError;
use wire::{Reader, Wire};

/// The first argument that makes `spikesim` a reader child.
pub const CHILD_ARG: &str = "__read-untrusted";

/// Environment variable: seconds a child may read before it is taken to
/// hang (a positive number).
pub const TIMEOUT_VAR: &str = "SPIKESIM_READ_TIMEOUT";

/// The program reader children run, and the arguments that come before
/// [`CHILD_ARG`].
static PROGRAM: OnceLock<(PathBuf, Vec<OsString>)> = OnceLock::new();

/// Reads every later dataset and results file through `program`, a
/// `spikesim` binary (see the module documentation). The first call wins.
pub fn read_in_child_process(program: PathBuf) {
    let _ = PROGRAM.set((program, Vec::new()));
}

/// As [`read_in_child_process`], for a program that serves the reads only
/// after `leading` arguments: the Python package runs its interpreter with
/// `-m spikesim._untrusted`, which calls [`super::untrusted::serve_child`].
pub fn read_in_child_process_with(program: PathBuf, leading: Vec<OsString>) {
    let _ = PROGRAM.set((program, leading));
}

/// What the child is asked to read.
#[derive(Debug, Clone)]
pub(crate) enum Request {
    /// A spike dataset in the SHD layout ([`super::dataset::read_dataset`]).
    Dataset,
    /// Real values for the encoders, `steps` steps per sample
    /// ([`super::encode::read_real`]).
    Real { steps: usize },
    /// A run file ([`super::hdf5::read_results`]).
    Results,
    /// Spike times of a `spike_source` population in `group`
    /// ([`super::stimuli::read_spike_times`]).
    SpikeTimes { group: String },
    /// Every group and dataset of the file ([`super::tree::read_tree`]).
    Tree,
}

impl Request {
    /// What the file should have been, for messages.
    fn what(&self) -> &'static str {
        match self {
            Self::Dataset => "spike dataset",
            Self::Real { .. } => "real-valued dataset",
            Self::Results => "results file",
            Self::SpikeTimes { .. } => "spike-time file",
            Self::Tree => "HDF5 file",
        }
    }

    fn args(&self) -> Vec<OsString> {
        match self {
            Self::Dataset => vec!["dataset".into()],
            Self::Real { steps } => vec!["real".into(), steps.to_string().into()],
            Self::Results => vec!["results".into()],
            Self::SpikeTimes { group } => vec!["spikes".into(), group.into()],
            Self::Tree => vec!["tree".into()],
        }
    }

    pub(crate) fn parse(args: &[OsString]) -> Option<Self> {
        match args {
            [kind] if kind == "dataset" => Some(Self::Dataset),
            [kind] if kind == "results" => Some(Self::Results),
            [kind] if kind == "tree" => Some(Self::Tree),
            [kind, steps] if kind == "real" => Some(Self::Real {
                steps: steps.to_str()?.parse().ok()?,
            }),
            [kind, group] if kind == "spikes" => Some(Self::SpikeTimes {
                group: group.to_str()?.to_string(),
            }),
            _ => None,
        }
    }
}

/// Reads `path` with `here` in this process, or the same reader in a child
/// process when the guard is on.
pub(crate) fn guarded<T: Wire>(
    path: &Path,
    request: Request,
    here: impl FnOnce() -> Result<T, IoError>,
) -> Result<T, IoError> {
    match PROGRAM.get() {
        None => here(),
        Some((program, leading)) => read_in_child(program, leading, path, request),
    }
}

/// Starts `command` without this process's open files. libhdf5 opens files
/// without close-on-exec, so a child would otherwise inherit, and hold for
/// its whole life, the advisory lock of every HDF5 file open here when it
/// started, and the next open of such a file here would fail with EAGAIN.
pub(crate) fn without_inherited_files(command: &mut Command) -> &mut Command {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: `sysconf` is called here, in the parent; the closure runs
        // in the child between fork and exec and only calls fcntl(2), which
        // is async-signal-safe. Marking a descriptor close-on-exec changes
        // nothing before exec: stdin, stdout and stderr (0-2) are kept, and
        // the standard library's own exec-error pipe is close-on-exec already.
        let highest = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) }.clamp(3, 65_536) as i32;
        unsafe {
            command.pre_exec(move || {
                for fd in 3..highest {
                    libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                }
                Ok(())
            });
        }
    }
    command
}

fn read_in_child<T: Wire>(
    program: &Path,
    leading: &[OsString],
    path: &Path,
    request: Request,
) -> Result<T, IoError> {
    // What needs no libhdf5 is answered here, with the usual error kinds.
    let size = super::error::regular_file(path)?.len();
    let limit = time_limit(path, size)?;
    let unreadable = |detail: String| IoError::Unreadable {
        path: path.to_path_buf(),
        what: request.what(),
        detail,
    };
    let mut child = without_inherited_files(&mut Command::new(program))
        .args(leading)
        .arg(CHILD_ARG)
        .args(request.args())
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // glibc's heap-corruption report goes to the terminal otherwise.
        .env("LIBC_FATAL_STDERR_", "1")
        // The child only reads, and whatever it reads is checked. libhdf5
        // opens files without close-on-exec, so a lock taken by any process
        // that forked while holding the file (another test's child, a shell)
        // would otherwise refuse a read that is safe.
        .env("HDF5_USE_FILE_LOCKING", "FALSE")
        .spawn()
        .map_err(|source| IoError::File {
            path: program.to_path_buf(),
            action: "start it to read a file",
            source,
        })?;
    let deadline = Instant::now() + limit;
    let (sender, answer) = std::sync::mpsc::channel();
    let stdout = child.stdout.take();
    let stdout = std::thread::spawn(move || {
        let bytes = drained(stdout, usize::MAX);
        // The parent may have stopped listening (time-out): nothing to do.
        let _ = sender.send(());
        bytes
    });
    let stderr = std::thread::spawn({
        let pipe = child.stderr.take();
        move || drained(pipe, 4096)
    });
    // The answer is complete when the child closes its stdout, which it does
    // as it exits: wake up then rather than at the next poll.
    let _ = answer.recv_timeout(deadline.saturating_duration_since(Instant::now()));
    let status = wait_until(&mut child, deadline);
    let (stdout, stderr) = (joined(stdout), joined(stderr));
    let status = match status {
        Some(status) => status,
        None => {
            return Err(unreadable(format!(
                "reading it did not finish within {} s; a damaged file can make the HDF5 library loop forever",
                limit.as_secs_f64()
            )));
        }
    };
    if !status.success() {
        return Err(unreadable(failure(status, &stderr)));
    }
    let mut r = Reader::new(&stdout);
    let decoded = match u8::get(&mut r) {
        Some(0) => T::get(&mut r).map(Ok),
        Some(1) => String::get(&mut r).map(|message| {
            Err(IoError::Reported {
                path: path.to_path_buf(),
                message,
            })
        }),
        _ => None,
    };
    match decoded {
        Some(result) if r.is_empty() => result,
        _ => Err(unreadable(
            "its reader process sent back an answer that does not parse".into(),
        )),
    }
}

fn time_limit(path: &Path, size: u64) -> Result<Duration, IoError> {
    match std::env::var_os(TIMEOUT_VAR) {
        None => Ok(Duration::from_secs(10) + Duration::from_secs(size / 1_000_000)),
        Some(text) => text
            .to_str()
            .and_then(|t| t.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| IoError::Reported {
                path: path.to_path_buf(),
                message: format!(
                    "{TIMEOUT_VAR}={}: expected a positive number of seconds",
                    text.to_string_lossy()
                ),
            }),
    }
}

/// Reads a child's pipe to its end (on a thread of its own, so that a full
/// pipe never blocks the child), keeping at most `keep` bytes.
fn drained<R: Read>(pipe: Option<R>, keep: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    if let Some(mut pipe) = pipe {
        let _ = (&mut pipe).take(keep as u64).read_to_end(&mut kept);
        let _ = std::io::copy(&mut pipe, &mut std::io::sink());
    }
    kept
}

fn joined(reader: JoinHandle<Vec<u8>>) -> Vec<u8> {
    reader.join().unwrap_or_default()
}

/// The child's exit status, or `None` after killing it at `deadline`.
/// Polls, first often (the child is usually exiting already), then every
/// 20 ms.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    let mut pause = Duration::from_micros(200);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            // Out of time, or the child cannot be waited for: stop it.
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// Why the child failed, with the first line it wrote to stderr (glibc's
/// `free(): invalid pointer`, a panic's location).
fn failure(status: ExitStatus, stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| format!(": {}", l.chars().take(200).collect::<String>()))
        .unwrap_or_default();
    match signal(status) {
        Some(s) => format!("the HDF5 library crashed reading it ({s}){first}"),
        None => format!("its reader process failed ({status}){first}"),
    }
}

#[cfg(unix)]
fn signal(status: ExitStatus) -> Option<String> {
    use std::os::unix::process::ExitStatusExt;
    let n = status.signal()?;
    let name = match n {
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        _ => return Some(format!("signal {n}")),
    };
    Some(format!("signal {n}, {name}"))
}

#[cfg(not(unix))]
fn signal(_: ExitStatus) -> Option<String> {
    None
}
