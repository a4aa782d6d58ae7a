//! The input spikes of `--input`: a CSV with columns `neuron,step` (any
//! order, header first), data time-step `step` = `n` being a spike at grid
//! point `n+1`. Neurons number the elements of the top-level Input nodes
//! one after another, the Inputs in name order.

use std::path::Path;

use crate::nir::NirError;

/// Spikes `(neuron, step)` read from `path`, every neuron below `size`.
pub fn read(path: &Path, size: usize) -> Result<Vec<(usize, u64)>, NirError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| NirError::file(path, format!("cannot read the input spikes: {e}")))?;
    parse(&text, size).map_err(|m| NirError::file(path, m))
}

/// [`read`] on the text of the file.
pub fn parse(text: &str, size: usize) -> Result<Vec<(usize, u64)>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err("empty file: expected a header `neuron,step`".into());
    };
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let find = |name: &str| cols.iter().position(|c| *c == name);
    let (Some(ni), Some(si)) = (find("neuron"), find("step")) else {
        return Err(format!(
            "line 1: the header must name the columns `neuron` and `step`, it is `{header}`"
        ));
    };
    let mut spikes = Vec::new();
    for (l, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != cols.len() {
            return Err(format!(
                "line {}: {} fields, the header has {}",
                l + 1,
                fields.len(),
                cols.len()
            ));
        }
        let neuron: usize = fields[ni].parse().map_err(|_| {
            format!(
                "line {}: column `neuron`: `{}` is not a neuron index (a whole number >= 0)",
                l + 1,
                fields[ni]
            )
        })?;
        let step: u64 = fields[si].parse().map_err(|_| {
            format!(
                "line {}: column `step`: `{}` is not a time step (a whole number >= 0)",
                l + 1,
                fields[si]
            )
        })?;
        if neuron >= size {
            return Err(format!(
                "line {}: neuron {neuron} is out of range: the graph's Input nodes have {size} elements",
                l + 1
            ));
        }
        spikes.push((neuron, step));
    }
    spikes.sort_unstable_by_key(|&(n, s)| (s, n));
    spikes.dedup();
    Ok(spikes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_in_any_order_and_locates_errors() {
        assert_eq!(
            parse("step,neuron\n3,1\n0,0\n3,1\n", 2).unwrap(),
            vec![(0, 0), (1, 3)]
        );
        let e = parse("neuron,step\n0,1\n2,1\n", 2).unwrap_err();
        assert!(e.contains("line 3") && e.contains("out of range"), "{e}");
        let e = parse("neuron,step\n0,1.5\n", 2).unwrap_err();
        assert!(e.contains("line 2") && e.contains("`step`"), "{e}");
        assert!(
            parse("neuron,time_ms\n0,1\n", 2)
                .unwrap_err()
                .contains("header")
        );
    }
}
