//! Model files: schema, units, validation.
pub mod error;
pub mod memory;
pub mod overrides;
pub mod quantize;
pub mod schema;
pub mod spec;
pub mod units;
pub mod validate;

use std::path::Path;

pub use error::ModelError;
pub use spec::ModelSpec;
/// The fixed-point network, part of the validated model.
pub use spec::fixed;

/// Read, override and validate a model file.
///
/// `overrides` are `--set` strings: a dotted path into the TOML, `=`, a
/// TOML value. Errors name the file, line and field.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("model.toml");
/// std::fs::write(&path, r#"
/// [simulation]
/// dt = "0.1 ms"
/// duration = "1 s"
///
/// [[population]]
/// name = "input"
/// size = 10
/// model = "poisson"
/// params = { rate = "5 Hz" }
/// "#)?;
/// let spec = spikesim::model::load(&path, &["simulation.duration=\"50 ms\"".into()])?;
/// // Quantities are in SI units; the step count is duration / dt.
/// assert_eq!(spec.simulation.duration, 0.05);
/// assert_eq!(spec.simulation.steps, 500);
/// assert_eq!(spec.populations[0].size, 10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load(path: &Path, overrides: &[String]) -> Result<ModelSpec, ModelError> {
    let text = std::fs::read_to_string(path).map_err(|e| ModelError {
        file: path.to_path_buf(),
        line: None,
        field: String::new(),
        message: format!("cannot read the model file: {e}"),
    })?;
    let text = overrides::apply(path, &text, overrides)?;
    validate::parse_model(path, &text)
}

#[cfg(test)]
mod tests {
    // Memory estimates of a validated model: this test joins `validate` and
    // `memory`, so it lives above both.
    use super::memory::{Available, Estimate, model_estimate, rank_estimate};
    use super::validate;

    #[test]
    fn a_rank_holds_its_share_of_the_synapses_and_all_the_recordings() {
        let text = r#"
[simulation]
dt = "0.1 ms"
duration = "1 s"

[[population]]
name = "a"
size = 10000
model = "lif"
params = { tau_m = "20 ms", v_rest = "-70 mV", v_reset = "-70 mV", v_th = "-50 mV" }

[[projection]]
from = "a"
to = "a"
connect = { fixed_indegree = 100 }
weight = "0.1 mV"

[[record]]
population = "a"
variables = ["v"]
neurons = [0, 1, 2]
"#;
        let spec =
            validate::parse_model(std::path::Path::new("m.toml"), text).expect("valid model");
        let part = |e: &Estimate, what: &str| {
            e.parts
                .iter()
                .find(|p| p.what == what)
                .map_or(0.0, |p| p.bytes)
        };
        let whole = rank_estimate(&spec, 1, 1);
        assert_eq!(whole, model_estimate(&spec, 1));
        for ranks in [2, 3] {
            let share = rank_estimate(&spec, 1, ranks);
            let r = ranks as f64;
            assert_eq!(part(&share, "synapses"), part(&whole, "synapses") / r);
            assert_eq!(
                part(&share, "neuron state"),
                part(&whole, "neuron state") / r
            );
            assert_eq!(
                part(&share, "state recordings"),
                part(&whole, "state recordings")
            );
            assert!(part(&whole, "state recordings") > 0.0);
        }
        let available = Available {
            physical: Some(8e9),
            address_space: Some(6e9),
        };
        assert_eq!(available.shared_by(4).limit(), Some(2e9));
    }
}
