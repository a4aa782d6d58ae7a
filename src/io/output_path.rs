//! Output paths that would destroy an input, or are not files: `run --out
//! model.toml` replaced the model with HDF5, and `--out` onto a FIFO
//! replaced the FIFO, since results are renamed into place.

use std::path::{Path, PathBuf};

/// Refuse an output path that is one of `inputs` (compared as canonical
/// paths, so `./m.toml`, `dir/../m.toml` and a symbolic link to it are one
/// file) or that exists and is not a regular file.
pub fn check_output(out: &Path, inputs: &[PathBuf]) -> Result<(), String> {
    if let Ok(meta) = std::fs::metadata(out)
        && !meta.is_file()
    {
        return Err(format!(
            "{} exists and is not a regular file ({}): refusing to replace it",
            out.display(),
            kind_of(&meta)
        ));
    }
    let Some(target) = canonical(out) else {
        return Ok(());
    };
    for input in inputs {
        if canonical(input).is_some_and(|i| i == target) {
            return Err(format!(
                "{} is also an input of this command ({}): writing there would destroy it; \
                 choose another output path",
                out.display(),
                input.display()
            ));
        }
    }
    Ok(())
}

/// Refuse two outputs of one command that are the same file.
pub fn check_distinct(outputs: &[&Path]) -> Result<(), String> {
    for (i, a) in outputs.iter().enumerate() {
        for b in &outputs[i + 1..] {
            if let (Some(ca), Some(cb)) = (canonical(a), canonical(b))
                && ca == cb
            {
                return Err(format!(
                    "{} and {} are the same file: name two different outputs",
                    a.display(),
                    b.display()
                ));
            }
        }
    }
    Ok(())
}

/// Write `bytes` to `path` through `path.partial` and a rename
/// (`io::hdf5::PartialFile`), so that an interrupted write never leaves
/// a truncated file at `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), super::IoError> {
    let partial = super::hdf5::PartialFile::new(path)?;
    std::fs::write(partial.path(), bytes).map_err(|source| super::IoError::File {
        path: path.to_path_buf(),
        action: "write",
        source,
    })?;
    partial.commit()
}

/// The files a model reads: the model itself and every string value
/// outside `[output]` that names an existing file, resolved as the
/// validator resolves stimulus files (as given, next to the model, or
/// next to its folder).
pub fn model_inputs(model: &Path, text: &str) -> Vec<PathBuf> {
    let mut found = vec![model.to_path_buf()];
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return found;
    };
    let dir = model.parent().unwrap_or(Path::new("."));
    for (key, value) in &table {
        if key != "output" {
            collect_files(value, dir, &mut found);
        }
    }
    found
}

fn collect_files(value: &toml::Value, dir: &Path, found: &mut Vec<PathBuf>) {
    match value {
        toml::Value::String(s) => {
            let rel = Path::new(s);
            let mut candidates = vec![rel.to_path_buf()];
            if rel.is_relative() {
                candidates.push(dir.join(rel));
                if let Some(parent) = dir.parent() {
                    candidates.push(parent.join(rel));
                }
            }
            found.extend(candidates.into_iter().filter(|c| c.is_file()));
        }
        toml::Value::Array(items) => items.iter().for_each(|v| collect_files(v, dir, found)),
        toml::Value::Table(t) => t.values().for_each(|v| collect_files(v, dir, found)),
        _ => {}
    }
}

/// The canonical form of a path that may not exist yet: its nearest
/// existing ancestor's canonical form, followed by the rest of the path
/// taken literally (folders that do not exist yet are created as plain
/// folders, so `new/..` is the folder that holds `new`).
fn canonical(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let parts: Vec<_> = absolute.components().collect();
    let (mut base, known) = (0..=parts.len()).rev().find_map(|k| {
        let prefix: PathBuf = parts[..k].iter().collect();
        std::fs::canonicalize(&prefix).ok().map(|p| (p, k))
    })?;
    for part in &parts[known..] {
        match part {
            std::path::Component::ParentDir => {
                base.pop();
            }
            std::path::Component::CurDir => {}
            other => base.push(other),
        }
    }
    Some(base)
}

fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_reached_by_another_spelling_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("m.toml");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(&model, "x").unwrap();
        let other = dir.path().join("sub/../m.toml");
        let err = check_output(&other, std::slice::from_ref(&model)).unwrap_err();
        assert!(err.contains("also an input"), "{err}");
        // Through a folder that does not exist yet (`run` would create it).
        let other = dir.path().join("new/../m.toml");
        assert!(check_output(&other, std::slice::from_ref(&model)).is_err());
        assert!(check_output(&dir.path().join("out.h5"), std::slice::from_ref(&model)).is_ok());
        let err = check_output(&dir.path().join("sub"), &[model]).unwrap_err();
        assert!(err.contains("a directory"), "{err}");
    }

    #[test]
    fn model_inputs_are_the_files_it_names_outside_output() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("m.toml");
        std::fs::write(dir.path().join("course.csv"), "time_ms,amplitude_nA\n").unwrap();
        std::fs::write(dir.path().join("old.h5"), "").unwrap();
        let text = "[simulation]\ndt = \"0.1 ms\"\n[[stimulus]]\nfile = \"course.csv\"\n\
                    [output]\npath = \"old.h5\"\n";
        let inputs = model_inputs(&model, text);
        assert_eq!(inputs.len(), 2, "{inputs:?}");
        assert!(inputs[1].ends_with("course.csv"));
    }
}
