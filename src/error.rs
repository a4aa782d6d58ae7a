//! The crate's error: whatever stops a command, with a message for the user.

use thiserror::Error;

#[derive(Debug, Error)]
/// Whatever stops a command (or a library call that runs one), with the message for the user.
pub enum Error {
    #[error(transparent)]
    /// An invalid model file: its path, line, field and what is wrong.
    Model(#[from] crate::model::ModelError),
    #[error(transparent)]
    /// A file that cannot be read or written (results, datasets, stimuli, checkpoints).
    Io(#[from] crate::io::IoError),
    #[error(transparent)]
    /// A plot that cannot be drawn or written.
    Plot(#[from] crate::plot::PlotError),
    #[error("{0}")]
    /// A command line that is inconsistent beyond what the parser checks; the message says what
    /// to change.
    Usage(String),
    /// A run that does not fit in memory, refused or failed.
    #[error(transparent)]
    Memory(#[from] crate::model::memory::MemoryError),
    /// A run stopped on request (SIGINT, SIGTERM): what to tell the user,
    /// and the exit status.
    #[error("{message}")]
    Interrupted {
        /// What to tell the user.
        message: String,
        /// The exit status (128 + the signal).
        code: u8,
    },
    /// A run that stopped short: output, checkpoint or a state gone bad.
    #[error(transparent)]
    Run(#[from] crate::engine::RunError),
}
