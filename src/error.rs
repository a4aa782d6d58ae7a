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
    /// A state variable became NaN or infinite during a run.
    #[error(transparent)]
    NonFinite(#[from] crate::engine::finite::NonFinite),
    #[error(transparent)]
    Run(crate::engine::finite::RunError),
}

impl From<crate::engine::finite::RunError> for Error {
    fn from(e: crate::engine::finite::RunError) -> Self {
        use crate::engine::finite::RunError;
        match e {
            RunError::Memory(e) => Error::Memory(e),
            RunError::NonFinite(e) => Error::NonFinite(e),
            other => Error::Run(other),
        }
    }
}
