//! Model files: schema, units, validation.
pub mod error;
pub mod fixed;
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

/// Read, override and validate a model file.
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
