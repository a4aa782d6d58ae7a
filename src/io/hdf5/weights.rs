//! `/weights/<projection>`: snapshots of plastic weights (see the layout in
//! the parent module).

use std::path::Path;

use ::hdf5::{Dataset, File, Group};

use super::{
    IoError, WEIGHTS_LAYOUT, create_group, mark_times, member_names, optional_group, read_1d,
    read_str_attr, subgroup, validate_name, write_1d, write_2d, write_str_attr, wrong_shape,
};
use crate::io::results::WeightTrace;

const WEIGHTS: &str = "weights";

pub(super) fn write_all(file: &File, path: &Path, traces: &[WeightTrace]) -> Result<(), IoError> {
    if traces.is_empty() {
        return Ok(());
    }
    let root = create_group(file, path, WEIGHTS)?;
    for t in traces {
        validate_name(path, "projection", &t.projection)?;
        let group = create_group(&root, path, &t.projection)?;
        write_1d(&group, path, "times", &t.times)?;
        mark_times(&group, path)?;
        write_1d(&group, path, "steps", &t.steps)?;
        write_1d(&group, path, "pre", &t.pre)?;
        write_1d(&group, path, "post", &t.post)?;
        let shape = [t.steps.len(), t.pre.len()];
        let dataset = write_2d(&group, path, "values", shape, &t.values)?;
        describe(&dataset, path, &t.unit)?;
    }
    Ok(())
}

/// The attributes of a projection's `values`: the weights' unit and layout.
pub(super) fn describe(dataset: &Dataset, path: &Path, unit: &str) -> Result<(), IoError> {
    write_str_attr(dataset, path, &dataset.name(), "unit", unit)?;
    write_str_attr(dataset, path, &dataset.name(), "layout", WEIGHTS_LAYOUT)
}

pub(super) fn read_all(file: &File, path: &Path) -> Result<Vec<WeightTrace>, IoError> {
    let Some(root) = optional_group(file, path, WEIGHTS)? else {
        return Ok(Vec::new());
    };
    member_names(&root, path)?
        .iter()
        .map(|name| read_one(&subgroup(&root, path, name)?, path, name))
        .collect()
}

fn read_one(group: &Group, path: &Path, projection: &str) -> Result<WeightTrace, IoError> {
    let steps: Vec<u64> = read_1d(group, path, "steps")?;
    let times: Vec<f64> = read_1d(group, path, "times")?;
    let pre: Vec<u32> = read_1d(group, path, "pre")?;
    let post: Vec<u32> = read_1d(group, path, "post")?;
    let dataset = super::open_dataset(group, path, "values")?;
    let shape = [steps.len(), pre.len()];
    if times.len() != steps.len() || post.len() != pre.len() || dataset.shape() != shape {
        return Err(wrong_shape(
            path,
            dataset.name(),
            format!(
                "expected [{}, {}] with {} times and {} post indices",
                shape[0], shape[1], shape[0], shape[1]
            ),
        ));
    }
    let values = if shape[0] * shape[1] == 0 {
        Vec::new()
    } else {
        dataset
            .read_raw::<f64>()
            .map_err(|e| super::malformed(path, &dataset.name(), e))?
    };
    let unit = read_str_attr(&dataset, path, &dataset.name(), "unit")?;
    Ok(WeightTrace {
        projection: projection.to_string(),
        unit,
        pre,
        post,
        steps,
        times,
        values,
    })
}
