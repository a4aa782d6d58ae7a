//! Continual-learning results (`learn::continual`), one file per
//! experiment:
//!
//! ```text
//! /                         @complete = 1
//! /continual/<method>       @tasks = T
//!     seeds [S]             u64
//!     R     [S, T, T]       f64, R[s, i, j]; NaN = not evaluated
//!     acc, bwt [S]          f64 (derived, for readers that want them)
//!     curves/<s>/progress [E], accuracy [E, T], boundaries [B]   (optional)
//! ```
//!
//! Written to `<name>.partial` and moved into place once complete, like
//! run files.

use std::path::Path;

use ::hdf5::{File, Group};

use super::{
    COMPLETE, Context, IoError, PartialFile, create_group, ensure_complete, ensure_parent_exists,
    invalid, member_names, open, open_dataset, optional_group, read_1d, read_attr, subgroup,
    validate_name, write_1d, write_2d, write_attr, wrong_shape,
};
use crate::learn::continual::{AccuracyMatrix, ForgettingCurves, MethodResult};

const CONTINUAL: &str = "continual";

/// Writes the results of a continual-learning comparison (one entry per method) to `path`,
/// replacing any file there only once the new one is complete.
pub fn write_continual(path: &Path, results: &[MethodResult]) -> Result<(), IoError> {
    for m in results {
        m.validate().map_err(|e| invalid(path, e.to_string()))?;
        validate_name(path, "method", &m.method)?;
    }
    ensure_parent_exists(path)?;
    super::quiet_hdf5();
    let partial = PartialFile::new(path)?;
    write_file(partial.path(), path, results)?;
    partial.commit()
}

fn write_file(file_path: &Path, path: &Path, results: &[MethodResult]) -> Result<(), IoError> {
    let file = File::with_options()
        .with_fapl(|p| p.libver_v18())
        .create(file_path)
        .context(path, || "creating the file".into())?;
    let root = create_group(&file, path, CONTINUAL)?;
    for m in results {
        write_method(&root, path, m)?;
    }
    write_attr(&file, path, "/", COMPLETE, &1u8)?;
    file.close().context(path, || "closing the file".into())
}

fn write_method(root: &Group, path: &Path, m: &MethodResult) -> Result<(), IoError> {
    let group = create_group(root, path, &m.method)?;
    let tasks = m.tasks();
    write_attr(&group, path, &group.name(), "tasks", &(tasks as u64))?;
    write_1d(&group, path, "seeds", &m.seeds)?;
    let values: Vec<f64> = m.runs.iter().flat_map(|r| r.values().to_vec()).collect();
    let action = || format!("writing `{}/R`", group.name());
    let r = group
        .new_dataset::<f64>()
        .shape([m.runs.len(), tasks, tasks])
        .create("R")
        .context(path, action)?;
    r.write_raw(&values).context(path, action)?;
    let derived = |f: fn(&AccuracyMatrix) -> Result<f64, _>| -> Vec<f64> {
        m.runs.iter().map(|r| f(r).unwrap_or(f64::NAN)).collect()
    };
    write_1d(&group, path, "acc", &derived(AccuracyMatrix::acc))?;
    write_1d(&group, path, "bwt", &derived(AccuracyMatrix::bwt))?;
    if !m.curves.is_empty() {
        write_curves(&group, path, tasks, &m.curves)?;
    }
    Ok(())
}

/// `curves/<s>/{progress, accuracy, boundaries}`, one group per run.
fn write_curves(
    group: &Group,
    path: &Path,
    tasks: usize,
    runs: &[ForgettingCurves],
) -> Result<(), IoError> {
    let curves = create_group(group, path, "curves")?;
    for (s, c) in runs.iter().enumerate() {
        let g = create_group(&curves, path, &s.to_string())?;
        write_1d(&g, path, "progress", &c.progress)?;
        let flat: Vec<f64> = c.accuracy.iter().flatten().copied().collect();
        write_2d(&g, path, "accuracy", [c.progress.len(), tasks], &flat)?;
        write_1d(&g, path, "boundaries", &c.boundaries)?;
    }
    Ok(())
}

/// One continual-learning run (a method and a seed) after its last
/// completed task: what `spikesim continual --resume` continues from.
///
/// ```text
/// /            @complete, @fingerprint, @tasks_done, @tasks
/// R [T, T]     f64 (NaN = not yet evaluated)
/// curves/0/…   as in the results file
/// net/layer<l>.<tensor>            f32
/// hlop/layer<l> [M, n] f64         @fixed, @additions
/// ewc/task<k>/{fisher, optimum}    f64
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RunCheckpoint {
    /// Names the experiment, method and seed it belongs to.
    pub fingerprint: u64,
    /// Tasks trained so far.
    pub tasks_done: usize,
    /// The accuracy matrix so far.
    pub r: AccuracyMatrix,
    /// The forgetting curves so far.
    pub curves: ForgettingCurves,
    /// `("layer<l>.<tensor>", values)` for every trainable tensor.
    pub tensors: Vec<(String, Vec<f32>)>,
    /// Each HLOP layer's subspace at the last task boundary.
    pub hlop: Vec<HlopSaved>,
    /// (Fisher diagonal, optimum) of each consolidated task.
    pub ewc: Vec<(Vec<f64>, Vec<f64>)>,
}

/// One HLOP layer at a task boundary.
#[derive(Debug, Clone, PartialEq)]
pub struct HlopSaved {
    /// The subspace's matrix.
    pub h: nalgebra::DMatrix<f64>,
    /// Rows fixed by earlier tasks.
    pub fixed: usize,
    /// Rows added so far.
    pub additions: usize,
}

/// Writes a continual-learning run's checkpoint to `path` (written beside it, then renamed).
pub fn write_run_checkpoint(path: &Path, c: &RunCheckpoint) -> Result<(), IoError> {
    ensure_parent_exists(path)?;
    super::quiet_hdf5();
    let partial = PartialFile::new(path)?;
    {
        let file = File::with_options()
            .with_fapl(|p| p.libver_v18())
            .create(partial.path())
            .context(path, || "creating the file".into())?;
        let tasks = c.r.tasks();
        write_attr(&file, path, "/", "fingerprint", &c.fingerprint)?;
        write_attr(&file, path, "/", "tasks_done", &(c.tasks_done as u64))?;
        write_attr(&file, path, "/", "tasks", &(tasks as u64))?;
        write_2d(&file, path, "R", [tasks, tasks], c.r.values())?;
        write_curves(&file, path, tasks, std::slice::from_ref(&c.curves))?;
        let net = create_group(&file, path, "net")?;
        for (name, values) in &c.tensors {
            write_1d(&net, path, name, values)?;
        }
        let hlop = create_group(&file, path, "hlop")?;
        for (l, saved) in c.hlop.iter().enumerate() {
            let (m, n) = saved.h.shape();
            // Row-major, as HDF5 stores [M, n].
            let rows: Vec<f64> = (0..m)
                .flat_map(|i| (0..n).map(move |j| (i, j)))
                .map(|(i, j)| saved.h[(i, j)])
                .collect();
            let name = format!("layer{l}");
            let d = write_2d(&hlop, path, &name, [m, n], &rows)?;
            write_attr(&d, path, &name, "fixed", &(saved.fixed as u64))?;
            write_attr(&d, path, &name, "additions", &(saved.additions as u64))?;
        }
        let ewc = create_group(&file, path, "ewc")?;
        for (k, (fisher, optimum)) in c.ewc.iter().enumerate() {
            let g = create_group(&ewc, path, &format!("task{k}"))?;
            write_1d(&g, path, "fisher", fisher)?;
            write_1d(&g, path, "optimum", optimum)?;
        }
        write_attr(&file, path, "/", COMPLETE, &1u8)?;
        file.close().context(path, || "closing the file".into())?;
    }
    partial.commit()
}

/// Reads a checkpoint [`write_run_checkpoint`] wrote.
pub fn read_run_checkpoint(path: &Path) -> Result<RunCheckpoint, IoError> {
    super::quiet_hdf5();
    let file = open(path)?;
    ensure_complete(&file, path)?;
    let tasks = read_attr::<u64>(&file, path, "/", "tasks")? as usize;
    let r = read_matrices(&file, path, &[tasks, tasks], "tasks, tasks")?
        .pop()
        .expect("one matrix of the checked shape");
    let curves = read_curves(&file, path, tasks)?
        .into_iter()
        .next()
        .unwrap_or_default();
    let net = subgroup(&file, path, "net")?;
    let tensors = member_names(&net, path)?
        .into_iter()
        .map(|name| Ok((name.clone(), read_1d::<f32>(&net, path, &name)?)))
        .collect::<Result<Vec<_>, IoError>>()?;
    let hlop_group = subgroup(&file, path, "hlop")?;
    let mut hlop = Vec::new();
    for l in 0..member_names(&hlop_group, path)?.len() {
        let name = format!("layer{l}");
        let d = open_dataset(&hlop_group, path, &name)?;
        let shape = d.shape();
        if shape.len() != 2 {
            return Err(wrong_shape(
                path,
                d.name(),
                format!("expected [M, n], found {shape:?}"),
            ));
        }
        let flat: Vec<f64> = d
            .read_raw()
            .map_err(|e| super::malformed(path, &d.name(), e))?;
        hlop.push(HlopSaved {
            h: nalgebra::DMatrix::from_row_slice(shape[0], shape[1], &flat),
            fixed: read_attr::<u64>(&d, path, &name, "fixed")? as usize,
            additions: read_attr::<u64>(&d, path, &name, "additions")? as usize,
        });
    }
    let ewc_group = subgroup(&file, path, "ewc")?;
    let mut ewc = Vec::new();
    for k in 0..member_names(&ewc_group, path)?.len() {
        let g = subgroup(&ewc_group, path, &format!("task{k}"))?;
        ewc.push((read_1d(&g, path, "fisher")?, read_1d(&g, path, "optimum")?));
    }
    Ok(RunCheckpoint {
        fingerprint: read_attr::<u64>(&file, path, "/", "fingerprint")?,
        tasks_done: read_attr::<u64>(&file, path, "/", "tasks_done")? as usize,
        r,
        curves,
        tensors,
        hlop,
        ewc,
    })
}

/// Reads a continual-learning results file [`write_continual`] wrote.
pub fn read_continual(path: &Path) -> Result<Vec<MethodResult>, IoError> {
    super::quiet_hdf5();
    let file = open(path)?;
    ensure_complete(&file, path)?;
    let Some(root) = optional_group(&file, path, CONTINUAL)? else {
        return Err(IoError::MissingDataset {
            path: path.to_path_buf(),
            dataset: format!("/{CONTINUAL}"),
        });
    };
    member_names(&root, path)?
        .iter()
        .map(|name| read_method(&subgroup(&root, path, name)?, path, name))
        .collect()
}

fn read_method(group: &Group, path: &Path, method: &str) -> Result<MethodResult, IoError> {
    let tasks = read_attr::<u64>(group, path, &group.name(), "tasks")? as usize;
    let seeds: Vec<u64> = read_1d(group, path, "seeds")?;
    let runs = read_matrices(
        group,
        path,
        &[seeds.len(), tasks, tasks],
        "seeds, tasks, tasks",
    )?;
    let curves = read_curves(group, path, tasks)?;
    Ok(MethodResult {
        method: method.to_string(),
        seeds,
        runs,
        curves,
    })
}

/// Dataset `R` of `group` as accuracy matrices: its shape must be `shape`
/// (named `dims`), ending in `[T, T]` with T ≥ 1.
fn read_matrices(
    group: &Group,
    path: &Path,
    shape: &[usize],
    dims: &str,
) -> Result<Vec<AccuracyMatrix>, IoError> {
    let dataset = open_dataset(group, path, "R")?;
    let tasks = shape[shape.len() - 1];
    if dataset.shape() != shape || tasks == 0 {
        return Err(wrong_shape(
            path,
            dataset.name(),
            format!("expected {shape:?} ({dims}), found {:?}", dataset.shape()),
        ));
    }
    let values: Vec<f64> = dataset
        .read_raw()
        .map_err(|e| super::malformed(path, &dataset.name(), e))?;
    values
        .chunks(tasks * tasks)
        .map(|chunk| {
            let rows: Vec<Vec<f64>> = chunk.chunks(tasks).map(<[f64]>::to_vec).collect();
            AccuracyMatrix::from_rows(&rows).map_err(|e| super::malformed(path, &dataset.name(), e))
        })
        .collect()
}

fn read_curves(group: &Group, path: &Path, tasks: usize) -> Result<Vec<ForgettingCurves>, IoError> {
    if !group.link_exists("curves") {
        return Ok(Vec::new());
    }
    let curves = subgroup(group, path, "curves")?;
    member_names(&curves, path)?
        .iter()
        .map(|name| {
            let g = subgroup(&curves, path, name)?;
            let progress: Vec<f64> = read_1d(&g, path, "progress")?;
            let dataset = open_dataset(&g, path, "accuracy")?;
            if dataset.shape() != [progress.len(), tasks] {
                return Err(wrong_shape(
                    path,
                    dataset.name(),
                    format!("expected [{}, {tasks}]", progress.len()),
                ));
            }
            let flat: Vec<f64> = dataset
                .read_raw()
                .map_err(|e| super::malformed(path, &dataset.name(), e))?;
            Ok(ForgettingCurves {
                progress,
                accuracy: flat.chunks(tasks.max(1)).map(<[f64]>::to_vec).collect(),
                boundaries: read_1d(&g, path, "boundaries")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: f64 = f64::NAN;

    fn results() -> Vec<MethodResult> {
        let r = |a: f64| AccuracyMatrix::from_rows(&[vec![0.9, N], vec![a, 0.8]]).unwrap();
        let mut curve = ForgettingCurves {
            boundaries: vec![1.0],
            ..Default::default()
        };
        curve.record(0.5, vec![0.7, N]);
        curve.record(1.0, vec![0.9, N]);
        curve.record(2.0, vec![0.6, 0.8]);
        vec![
            MethodResult {
                method: "fine-tune".into(),
                seeds: vec![1, 2],
                runs: vec![r(0.5), r(0.6)],
                curves: vec![curve.clone(), curve],
            },
            MethodResult {
                method: "hlop".into(),
                seeds: vec![1, 2],
                runs: vec![r(0.88), r(0.9)],
                curves: Vec::new(),
            },
        ]
    }

    /// NaN ≠ NaN, so compare through the bit patterns.
    fn bits(m: &[MethodResult]) -> String {
        format!("{m:?}")
    }

    #[test]
    fn round_trip_and_no_partial_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("continual.h5");
        write_continual(&path, &results()).unwrap();
        assert!(!dir.path().join("continual.h5.partial").exists());
        let back = read_continual(&path).unwrap();
        assert_eq!(bits(&back), bits(&results()));
        let file = File::open(&path).unwrap();
        let bwt: Vec<f64> = file
            .dataset("continual/fine-tune/bwt")
            .unwrap()
            .read_raw()
            .unwrap();
        assert!((bwt[0] - (0.5 - 0.9)).abs() < 1e-15 && (bwt[1] - (0.6 - 0.9)).abs() < 1e-15);
    }

    #[test]
    fn bad_results_and_paths_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut bad = results();
        bad[0].seeds.pop();
        let message = write_continual(&dir.path().join("a.h5"), &bad)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("fine-tune") && message.contains("seeds"),
            "{message}"
        );
        assert!(!dir.path().join("a.h5").exists());
        let missing = dir.path().join("no/such/dir.h5");
        assert!(write_continual(&missing, &results()).is_err());
        assert!(matches!(
            read_continual(&dir.path().join("none.h5")),
            Err(IoError::NotFound { .. })
        ));
    }
}
