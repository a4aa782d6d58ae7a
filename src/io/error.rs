//! Errors of reading and writing run files and plots.
//!
//! Every variant carries the path of the file concerned, because the same
//! command often touches several files (a model, a results file, plots) and a
//! message without the path leaves the user guessing which one is wrong.

use std::path::{Path, PathBuf};

use thiserror::Error;

#[derive(Debug, Error)]
/// What can go wrong reading or writing a file; each variant names the file.
pub enum IoError {
    /// A training run that does not fit in memory, refused or failed;
    /// `path` is the experiment file.
    #[error("{}: {source}", path.display())]
    Memory {
        /// The experiment file.
        path: PathBuf,
        /// What the memory check found.
        source: crate::model::memory::MemoryError,
    },

    #[error("{}: no such file", path.display())]
    /// The file does not exist.
    NotFound {
        /// The file.
        path: PathBuf,
    },

    #[error("{}: not an HDF5 file", path.display())]
    /// The file exists but is not an HDF5 file.
    NotHdf5 {
        /// The file.
        path: PathBuf,
    },

    #[error(
        "{}: incomplete run file (no `complete = 1` attribute): the run that wrote it failed or was interrupted",
        path.display()
    )]
    /// A run file without `complete = 1`: its run failed or is still being written.
    Incomplete {
        /// The file.
        path: PathBuf,
    },

    #[error("{}: missing dataset `{dataset}`", path.display())]
    /// A dataset the file should hold is missing.
    MissingDataset {
        /// The file.
        path: PathBuf,
        /// The dataset's name.
        dataset: String,
    },

    #[error("{}: missing attribute `{attribute}` on `{object}`", path.display())]
    /// An attribute the file should hold is missing.
    MissingAttribute {
        /// The file.
        path: PathBuf,
        /// The group or dataset that should carry it.
        object: String,
        /// The attribute's name.
        attribute: String,
    },

    #[error("{}: `{object}` has the wrong shape: {detail}", path.display())]
    /// A dataset's shape disagrees with the layout.
    WrongShape {
        /// The file.
        path: PathBuf,
        /// The dataset.
        object: String,
        /// What was expected and found.
        detail: String,
    },

    /// An object exists but cannot be read as what a run file holds there
    /// (wrong element type, a group where a dataset belongs, ...).
    #[error("{}: cannot read `{object}`: {detail}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The object that cannot be read.
        object: String,
        /// What is wrong with it.
        detail: String,
    },

    /// The in-memory results cannot be written as a run file.
    #[error("{}: cannot write these results: {detail}", path.display())]
    /// Results that break the layout's rules (a name, a shape, a time off the grid).
    InvalidResults {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },

    #[error("{}: unsupported plot format `{extension}` (use .png or .svg)", path.display())]
    /// A plot file name whose extension is neither `.png` nor `.svg`.
    UnsupportedPlotFormat {
        /// The file.
        path: PathBuf,
        /// The extension given.
        extension: String,
    },

    /// Reading the file in a child process ended in a crash, a time-out or
    /// an answer cut short (see [`crate::io::guard`]).
    #[error("{}: not a readable {what} ({detail})", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the file was read as ("results file", "spike dataset", ...).
        what: &'static str,
        /// How the child process ended.
        detail: String,
    },

    /// An error a child process reported about the file, worded as it was
    /// there (it names the file).
    #[error("{message}")]
    /// A message from the child process, which names the file.
    Reported {
        /// The file.
        path: PathBuf,
        /// The child's message.
        message: String,
    },

    #[error("{}: HDF5 error while {action}: {message}", path.display())]
    /// An error of the HDF5 library.
    Hdf5 {
        /// The file.
        path: PathBuf,
        /// What was being done ("writing `spikes/exc/times`", ...).
        action: String,
        // The HDF5 error holds a library handle, so keep only its text: that
        // keeps this type Send + Sync and independent of the library's state.
        /// The HDF5 library's message.
        message: String,
    },

    #[error("{}: cannot {action}: {source}", path.display())]
    /// An error of the operating system on the file.
    File {
        /// The file.
        path: PathBuf,
        /// What was being done ("create", "rename", ...).
        action: &'static str,
        #[source]
        /// The operating system's error.
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
