//! Writes an experiment's table to `docs/src/experiments/<name>.md`, whole or
//! not at all (a temporary file renamed over the old one), so a failed or
//! interrupted run never leaves half a table for the manual to quote.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One experiment's write-up: what ran, the measured table, the mark.
pub struct Report {
    name: String,
    text: String,
}

impl Report {
    /// Starts `docs/src/experiments/<name>.md` with a title and the command
    /// that reproduces it.
    pub fn new(name: &str, title: &str, what: &str) -> Self {
        let mut text = format!("# {title}\n\n{what}\n\n");
        let _ = writeln!(
            text,
            "Written by `make experiments` (test `{name}` in `tests/experiments/`); \
             do not edit by hand.\n"
        );
        Report {
            name: name.to_string(),
            text,
        }
    }

    /// Appends a Markdown table.
    pub fn table(&mut self, header: &[&str], rows: &[Vec<String>]) {
        let _ = writeln!(self.text, "| {} |", header.join(" | "));
        let _ = writeln!(
            self.text,
            "|{}|",
            header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
        );
        for row in rows {
            let _ = writeln!(self.text, "| {} |", row.join(" | "));
        }
        self.text.push('\n');
    }

    /// Appends a paragraph.
    pub fn line(&mut self, line: &str) {
        let _ = writeln!(self.text, "{line}\n");
    }

    /// Writes the file atomically and echoes it to the test's output.
    pub fn write(&self) {
        let path = path_of(&self.name);
        let tmp = path.with_extension("md.partial");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&tmp, &self.text).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        println!("{}\n(written to {})", self.text, path.display());
    }
}

fn path_of(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/src/experiments")
        .join(format!("{name}.md"))
}

/// Mean and sample standard deviation (0 for a single value).
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// `12.34` with two decimals, for percentages.
pub fn pct(x: f64) -> String {
    format!("{:.2}", 100.0 * x)
}
