//! Errors in model files: they name the file, the line and the field, and say
//! what was expected.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
/// An invalid model file: where and what.
pub struct ModelError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, where the TOML parser gave a position.
    pub line: Option<usize>,
    /// Dotted path of the offending field, e.g. `population[exc].params.tau_m`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if self.field.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": {}: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for ModelError {}

/// The file being read, to turn byte spans into line numbers.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    /// The file's path.
    pub path: &'a Path,
    /// Its text.
    pub text: &'a str,
}

impl<'a> Source<'a> {
    /// The file at `path` with contents `text`, for locating errors.
    pub fn new(path: &'a Path, text: &'a str) -> Self {
        Self { path, text }
    }

    /// The line (from 1) of the byte offset `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// An error located at a byte span of the file.
    pub fn error(
        &self,
        span: Option<Range<usize>>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> ModelError {
        ModelError {
            file: self.path.to_path_buf(),
            line: span.map(|s| self.line_of(s.start)),
            field: field.into(),
            message: message.into(),
        }
    }
}
