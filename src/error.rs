//! The crate's error: whatever stops a command, with a message for the user.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    #[error(transparent)]
    Io(#[from] crate::io::IoError),
    #[error(transparent)]
    Plot(#[from] crate::plot::PlotError),
    #[error("{0}")]
    Usage(String),
    /// A run that does not fit in memory, refused or failed.
    #[error(transparent)]
    Memory(#[from] crate::model::memory::MemoryError),
    /// A run stopped on request (SIGINT, SIGTERM): what to tell the user,
    /// and the exit status.
    #[error("{message}")]
    Interrupted { message: String, code: u8 },
    /// A run that stopped short: output, checkpoint or a state gone bad.
    #[error(transparent)]
    Run(#[from] crate::engine::RunError),
}
