//! The `spikesim` command's subcommands, one module each, as library
//! functions: `src/main.rs` parses the command line and calls them.
//!
//! Each subcommand takes its parsed options and returns `Ok(())` or the
//! [`Error`](crate::Error) whose message the program prints before it exits
//! with status 1 (or the signal's status for an interrupted run).

#![warn(missing_docs)]

/// `println!` that does not panic when stdout is closed early (`| head`).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

pub mod check;
pub mod compare;
pub mod continual;
pub mod dataset;
pub mod experiment;
pub mod info;
pub mod model;
pub mod nir;
pub mod paths;
pub mod plot;
pub mod psp;
pub mod quantize;
pub mod run;
pub mod tempotron;
pub mod train;

/// Set on ranks other than 0 of an MPI job: rank 0 alone reports (the
/// ranks agree on every failure, see `run_ranks`), so a message is printed
/// once, not once per rank.
pub(crate) static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether this process keeps its messages to itself (a rank other than 0).
pub fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}
