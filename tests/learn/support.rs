//! Helpers shared by the learning tests.

use std::path::Path;

use spikesim::learn::experiment::parse_experiment;

/// Each `(from, to, expected)`: `base` with its first `from` replaced by
/// `to` is refused by the experiment parser with an error that names
/// `path`, a line number and contains `expected`.
pub fn assert_located_errors(path: &Path, base: &str, cases: &[(&str, &str, &str)]) {
    for &(from, to, expected) in cases {
        assert!(base.contains(from), "{from}");
        let text = base.replacen(from, to, 1);
        let e = parse_experiment(path, &text).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}:", path.display())), "{e}");
        assert!(e.contains(expected), "{expected}: {e}");
        let line = e.split(':').nth(1).unwrap();
        assert!(line.parse::<usize>().is_ok(), "no line number in {e}");
    }
}
