//! Output paths given on the command line: refused when they would
//! overwrite an input, and their folders made.

use std::path::{Path, PathBuf};

use crate::Error;

/// Refuse `out` when it is one of `inputs` or not a regular file; `what`
/// names the option or field that gave it.
pub(crate) fn guard(out: &Path, inputs: &[PathBuf], what: &str) -> Result<(), Error> {
    crate::io::output_path::check_output(out, inputs)
        .map_err(|e| Error::Usage(format!("{what}: {e}")))
}

/// Make the folder `path` goes in, when it names one.
pub(crate) fn ensure_parent(path: &Path) -> Result<(), Error> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .map_err(|e| Error::Usage(format!("cannot create the folder {}: {e}", dir.display()))),
        _ => Ok(()),
    }
}
