//! Reading and writing NIR files in the layout of the `nir` 1.0.8 package.
use std::path::Path;

use super::error::NirError;
use super::graph::Graph;

/// Reads the NIR file at `path` (untrusted: libhdf5 runs in the guard's
/// child process when the guard is on).
pub fn read(path: &Path) -> Result<Graph, NirError> {
    Err(NirError::file(
        path,
        "reading NIR files is not implemented yet",
    ))
}

/// Writes `graph` to `path` in nir 1.0.8's layout, beside and then renamed.
pub fn write(path: &Path, _graph: &Graph) -> Result<(), NirError> {
    Err(NirError::file(
        path,
        "writing NIR files is not implemented yet",
    ))
}
