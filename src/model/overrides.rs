//! `--set section.key=value` overrides, applied to the model text before
//! validation so that errors still point at lines of a real document.
//!
//! Keys: `simulation.duration`, `output.path`, and for the arrays of tables
//! the element by name or index: `population.exc.size`,
//! `projection.0.weight`, `record.0.every`. The value is read as TOML
//! (`42`, `"20 ms"`, `[1, 2]`) and, failing that, as a bare string (`20 ms`).

use std::path::Path;

use toml_edit::{DocumentMut, Item, TableLike, Value};

use super::error::ModelError;

/// Applies `--set key=value` overrides (dotted path into the TOML, value parsed as TOML) to the
/// model text `text` of the file `path`.
pub fn apply(path: &Path, text: &str, overrides: &[String]) -> Result<String, ModelError> {
    if overrides.is_empty() {
        return Ok(text.to_string());
    }
    let fail = |field: &str, message: String| ModelError {
        file: path.to_path_buf(),
        line: None,
        field: field.to_string(),
        message,
    };
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        ModelError {
            file: path.to_path_buf(),
            line,
            field: String::new(),
            message: e.message().trim().to_string(),
        }
    })?;
    for o in overrides {
        let (key, raw_value) = o
            .split_once('=')
            .ok_or_else(|| fail(o, "an override must look like section.key=value".into()))?;
        let value = parse_value(raw_value.trim());
        set(&mut doc, key.trim(), value).map_err(|m| fail(key.trim(), format!("--set: {m}")))?;
    }
    Ok(doc.to_string())
}

fn parse_value(raw: &str) -> Value {
    raw.parse::<Value>()
        .unwrap_or_else(|_| Value::from(raw.trim_matches('"')))
}

fn set(doc: &mut DocumentMut, key: &str, value: Value) -> Result<(), String> {
    let parts: Vec<&str> = key.split('.').collect();
    let (section, rest) = parts.split_first().ok_or("empty key")?;
    let item = doc
        .get_mut(section)
        .ok_or_else(|| format!("the model has no section `{section}`"))?;
    let (table, leaf) = match item {
        Item::ArrayOfTables(array) => {
            let [selector, path @ ..] = rest else {
                return Err(format!("name the `{section}` entry: {section}.NAME.key"));
            };
            let index = match selector.parse::<usize>() {
                Ok(i) => i,
                Err(_) => array
                    .iter()
                    .position(|t| t.get("name").and_then(|n| n.as_str()) == Some(selector))
                    .ok_or_else(|| format!("no `{section}` is named `{selector}`"))?,
            };
            let table = array
                .get_mut(index)
                .ok_or_else(|| format!("there is no `{section}` number {index}"))?;
            (table, path)
        }
        Item::Table(table) => (table, rest),
        _ => return Err(format!("`{section}` is not a section")),
    };
    let (last, path) = leaf.split_last().ok_or("missing the key to set")?;
    // Nested levels may be written as sections or as inline tables.
    let mut current: &mut dyn TableLike = table;
    for p in path {
        current = current
            .get_mut(p)
            .and_then(|i| i.as_table_like_mut())
            .ok_or_else(|| format!("no table `{p}` in `{key}`"))?;
    }
    current.insert(last, Item::Value(value));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = "[simulation]\ndt = \"0.1 ms\"\nduration = \"1 s\"\n\n[[population]]\nname = \"exc\"\nsize = 10\nmodel = \"lif\"\nparams = { tau_m = \"20 ms\" }\n";

    #[test]
    fn sets_sections_and_named_array_entries() {
        let p = Path::new("m.toml");
        let out = apply(
            p,
            MODEL,
            &[
                "simulation.duration=2 s".into(),
                "population.exc.size=20".into(),
                "population.0.params.tau_m=\"5 ms\"".into(),
            ],
        )
        .unwrap();
        let doc: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(doc["simulation"]["duration"].as_str(), Some("2 s"));
        assert_eq!(doc["population"][0]["size"].as_integer(), Some(20));
        assert_eq!(
            doc["population"][0]["params"]["tau_m"].as_str(),
            Some("5 ms")
        );
    }

    #[test]
    fn unknown_targets_are_errors() {
        let p = Path::new("m.toml");
        let e = apply(p, MODEL, &["population.inh.size=3".into()]).unwrap_err();
        assert!(
            e.to_string().contains("no `population` is named `inh`"),
            "{e}"
        );
        let e = apply(p, MODEL, &["nosuch.x=1".into()]).unwrap_err();
        assert!(e.to_string().contains("no section"), "{e}");
        let e = apply(p, MODEL, &["simulation".into()]).unwrap_err();
        assert!(e.to_string().contains("section.key=value"), "{e}");
    }
}
