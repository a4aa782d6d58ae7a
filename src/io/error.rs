//! Errors of reading and writing run files and plots.
//!
//! Every variant carries the path of the file concerned, because the same
//! command often touches several files (a model, a results file, plots) and a
//! message without the path leaves the user guessing which one is wrong.

use std::path::{Path, PathBuf};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum IoError {
    /// A training run that does not fit in memory, refused or failed;
    /// `path` is the experiment file.
    #[error("{}: {source}", path.display())]
    Memory {
        path: PathBuf,
        source: crate::model::memory::MemoryError,
    },

    #[error("{}: no such file", path.display())]
    NotFound { path: PathBuf },

    #[error("{}: not an HDF5 file", path.display())]
    NotHdf5 { path: PathBuf },

    #[error(
        "{}: incomplete run file (no `complete = 1` attribute): the run that wrote it failed or was interrupted",
        path.display()
    )]
    Incomplete { path: PathBuf },

    #[error("{}: missing dataset `{dataset}`", path.display())]
    MissingDataset { path: PathBuf, dataset: String },

    #[error("{}: missing attribute `{attribute}` on `{object}`", path.display())]
    MissingAttribute {
        path: PathBuf,
        object: String,
        attribute: String,
    },

    #[error("{}: `{object}` has the wrong shape: {detail}", path.display())]
    WrongShape {
        path: PathBuf,
        object: String,
        detail: String,
    },

    /// An object exists but cannot be read as what a run file holds there
    /// (wrong element type, a group where a dataset belongs, ...).
    #[error("{}: cannot read `{object}`: {detail}", path.display())]
    Malformed {
        path: PathBuf,
        object: String,
        detail: String,
    },

    /// The in-memory results cannot be written as a run file.
    #[error("{}: cannot write these results: {detail}", path.display())]
    InvalidResults { path: PathBuf, detail: String },

    #[error("{}: unsupported plot format `{extension}` (use .png or .svg)", path.display())]
    UnsupportedPlotFormat { path: PathBuf, extension: String },

    /// Reading the file in a child process ended in a crash, a time-out or
    /// an answer cut short (see [`crate::io::guard`]).
    #[error("{}: not a readable {what} ({detail})", path.display())]
    Unreadable {
        path: PathBuf,
        what: &'static str,
        detail: String,
    },

    /// An error a child process reported about the file, worded as it was
    /// there (it names the file).
    #[error("{message}")]
    Reported { path: PathBuf, message: String },

    #[error("{}: HDF5 error while {action}: {message}", path.display())]
    Hdf5 {
        path: PathBuf,
        action: String,
        // The HDF5 error holds a library handle, so keep only its text: that
        // keeps this type Send + Sync and independent of the library's state.
        message: String,
    },

    #[error("{}: cannot {action}: {source}", path.display())]
    File {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl IoError {
    /// The file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Self::NotFound { path }
            | Self::NotHdf5 { path }
            | Self::Incomplete { path }
            | Self::MissingDataset { path, .. }
            | Self::MissingAttribute { path, .. }
            | Self::WrongShape { path, .. }
            | Self::Malformed { path, .. }
            | Self::InvalidResults { path, .. }
            | Self::UnsupportedPlotFormat { path, .. }
            | Self::Unreadable { path, .. }
            | Self::Reported { path, .. }
            | Self::Hdf5 { path, .. }
            | Self::File { path, .. }
            | Self::Memory { path, .. } => path,
        }
    }
}

/// The metadata of `path` when it is a regular file, the usual errors when
/// it is absent or something else.
pub(crate) fn regular_file(path: &Path) -> Result<std::fs::Metadata, IoError> {
    let to_path = || path.to_path_buf();
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(IoError::NotFound { path: to_path() })
        }
        Err(source) => Err(IoError::File {
            path: to_path(),
            action: "read it",
            source,
        }),
        Ok(meta) if !meta.is_file() => Err(IoError::NotHdf5 { path: to_path() }),
        Ok(meta) => Ok(meta),
    }
}
