//! The error every NIR reader, checker and converter returns: the file, the
//! node's path in the graph and the field, so that a message says where in
//! the file the problem is.
use std::path::PathBuf;

/// A problem with a NIR file or graph, located at a node and field.
///
/// `node` is the node's path, `outer/inner/name` for nested graphs (names
/// keep their dots), or `""` for the file as a whole.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.render())]
pub struct NirError {
    /// The NIR file.
    pub file: PathBuf,
    /// The node's path in the graph.
    pub node: String,
    /// The node's field, when the error is about one.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl NirError {
    /// An error about the file as a whole.
    pub fn file(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            node: String::new(),
            field: None,
            message: message.into(),
        }
    }

    /// An error about node `node` (its path), optionally one of its fields.
    pub fn at(
        file: impl Into<PathBuf>,
        node: impl Into<String>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            node: node.into(),
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    /// "FILE: node `lif1`: field `tau`: message", leaving out what is unknown.
    fn render(&self) -> String {
        let mut text = self.file.display().to_string();
        if !self.node.is_empty() {
            text.push_str(&format!(": node `{}`", self.node));
        }
        if let Some(field) = &self.field {
            text.push_str(&format!(": field `{field}`"));
        }
        text.push_str(": ");
        text.push_str(&self.message);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_file_node_and_field() {
        let e = NirError::at("g.nir", "outer/lif1", Some("tau"), "is NaN");
        assert_eq!(
            e.to_string(),
            "g.nir: node `outer/lif1`: field `tau`: is NaN"
        );
        let e = NirError::file("g.nir", "is not an HDF5 file");
        assert_eq!(e.to_string(), "g.nir: is not an HDF5 file");
    }
}
