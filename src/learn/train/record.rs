//! What a training run leaves behind: metrics (CSV and HDF5), the
//! learning-curve plot, and checkpoints (network and optimiser state, and
//! the metrics so far) from which a run resumes.
//!
//! Checkpoint layout: `/layer<l>/<tensor>`, `/adam_m/layer<l>/<tensor>`,
//! `/adam_v/layer<l>/<tensor>` (f32), `/metrics` (f64 `[epochs][6]`), root
//! attribute `optimizer_step` (u64).

use std::path::Path;

use crate::plot::learning::EpochRecord;
use ::hdf5::File;

use super::trainer::{EpochMetrics, TrainState};
use crate::io::IoError;
use crate::io::hdf5::PartialFile;
use crate::learn::net::Network;
use crate::learn::optim::Grads;

const COLUMNS: [&str; 6] = [
    "epoch",
    "train_loss",
    "train_accuracy",
    "test_loss",
    "test_accuracy",
    "seconds",
];

fn h5(path: &Path, action: &str) -> impl FnOnce(::hdf5::Error) -> IoError {
    move |e| IoError::Hdf5 {
        path: path.to_path_buf(),
        action: action.to_string(),
        message: e.to_string(),
    }
}

fn row(m: &EpochMetrics) -> [f64; 6] {
    [
        m.epoch as f64,
        m.train_loss,
        m.train_accuracy,
        m.test_loss,
        m.test_accuracy,
        m.seconds,
    ]
}

/// Writes the per-epoch metrics to the CSV file `path` (columns epoch, train_loss,
/// train_accuracy, test_loss, test_accuracy, seconds).
pub fn write_metrics_csv(path: &Path, history: &[EpochMetrics]) -> Result<(), IoError> {
    let mut text = COLUMNS.join(",") + "\n";
    for m in history {
        let r = row(m);
        // `{}` of an f64 is the shortest text that parses back to the
        // same number: nothing lost, no padding digits.
        text += &format!("{},{},{},{},{},{}\n", m.epoch, r[1], r[2], r[3], r[4], r[5]);
    }
    let partial = PartialFile::new(path)?;
    std::fs::write(partial.path(), text).map_err(|source| IoError::File {
        path: path.to_path_buf(),
        action: "write the metrics",
        source,
    })?;
    partial.commit()
}

/// Writes the per-epoch metrics to the HDF5 file `path`.
pub fn write_metrics_h5(path: &Path, history: &[EpochMetrics]) -> Result<(), IoError> {
    let partial = PartialFile::new(path)?;
    {
        let file = File::create(partial.path()).map_err(h5(path, "creating the file"))?;
        for (c, name) in COLUMNS.iter().enumerate() {
            let column: Vec<f64> = history.iter().map(|m| row(m)[c]).collect();
            file.new_dataset_builder()
                .with_data(&column)
                .create(*name)
                .map_err(h5(path, &format!("writing `{name}`")))?;
        }
    }
    partial.commit()
}

/// Loss and accuracy per epoch, train and test (drawn by
/// `plot::learning::training` in the plots' shared style).
pub fn plot_learning_curve(
    path: &Path,
    history: &[EpochMetrics],
) -> Result<(), crate::plot::PlotError> {
    let records: Vec<EpochRecord> = history
        .iter()
        .map(|m| EpochRecord {
            epoch: m.epoch,
            train_loss: m.train_loss,
            test_loss: m.test_loss,
            train_accuracy: m.train_accuracy,
            test_accuracy: m.test_accuracy,
        })
        .collect();
    crate::plot::learning::training(path, "learning curve", &records)
}

fn write_tensors(
    file: &::hdf5::Group,
    path: &Path,
    names: &[Vec<&'static str>],
    tensors: &[Vec<&[f32]>],
) -> Result<(), IoError> {
    for (l, (names, tensors)) in names.iter().zip(tensors).enumerate() {
        let group = file
            .create_group(&format!("layer{l}"))
            .map_err(h5(path, "creating a layer group"))?;
        for (name, data) in names.iter().zip(tensors) {
            group
                .new_dataset_builder()
                .with_data(data)
                .create(*name)
                .map_err(h5(path, &format!("writing layer{l}/{name}")))?;
        }
    }
    Ok(())
}

fn names(net: &Network<f32>) -> Vec<Vec<&'static str>> {
    net.layers.iter().map(|l| l.param_names()).collect()
}

fn as_slices(g: &Grads<f32>) -> Vec<Vec<&[f32]>> {
    g.iter()
        .map(|l| l.iter().map(Vec::as_slice).collect())
        .collect()
}

/// Writes the trained parameters alone (the export's weights file).
pub fn write_weights(path: &Path, net: &Network<f32>) -> Result<(), IoError> {
    let partial = PartialFile::new(path)?;
    {
        let file = File::create(partial.path()).map_err(h5(path, "creating the file"))?;
        let params: Vec<Vec<&[f32]>> = net.layers.iter().map(|l| l.params()).collect();
        write_tensors(&file, path, &names(net), &params)?;
    }
    partial.commit()
}

/// Writes the training state to the checkpoint file `path` (written beside it, then renamed).
pub fn write_checkpoint(path: &Path, state: &TrainState) -> Result<(), IoError> {
    let partial = PartialFile::new(path)?;
    {
        let file = File::create(partial.path()).map_err(h5(path, "creating the file"))?;
        let names = names(&state.net);
        let params: Vec<Vec<&[f32]>> = state.net.layers.iter().map(|l| l.params()).collect();
        write_tensors(&file, path, &names, &params)?;
        for (group, moments) in [
            ("adam_m", &state.optimizer.m),
            ("adam_v", &state.optimizer.v),
        ] {
            let g = file
                .create_group(group)
                .map_err(h5(path, "creating a group"))?;
            write_tensors(&g, path, &names, &as_slices(moments))?;
        }
        let flat: Vec<f64> = state.history.iter().flat_map(row).collect();
        file.new_dataset::<f64>()
            .shape((state.history.len(), COLUMNS.len()))
            .create("metrics")
            .and_then(|d| d.write_raw(&flat))
            .map_err(h5(path, "writing `metrics`"))?;
        file.new_attr::<u64>()
            .create("optimizer_step")
            .and_then(|a| a.write_scalar(&state.optimizer.step))
            .map_err(h5(path, "writing `optimizer_step`"))?;
    }
    partial.commit()
}

fn read_into(
    file: &::hdf5::Group,
    path: &Path,
    name: &str,
    into: &mut Vec<f32>,
) -> Result<(), IoError> {
    let data = file
        .dataset(name)
        .and_then(|d| d.read_raw::<f32>())
        .map_err(|e| IoError::Malformed {
            path: path.to_path_buf(),
            object: name.to_string(),
            detail: e.to_string(),
        })?;
    if data.len() != into.len() {
        return Err(IoError::WrongShape {
            path: path.to_path_buf(),
            object: name.to_string(),
            detail: format!(
                "{} values, the experiment's network needs {} (was the experiment changed?)",
                data.len(),
                into.len()
            ),
        });
    }
    *into = data;
    Ok(())
}

/// Restores `state` (built from the same experiment) from a checkpoint.
pub fn read_checkpoint(path: &Path, state: &mut TrainState) -> Result<(), IoError> {
    ::hdf5::silence_errors(true);
    let file = crate::io::hdf5::open(path)?;
    for (l, layer) in state.net.layers.iter_mut().enumerate() {
        let names = layer.param_names();
        for (p, tensor) in layer.params_mut().into_iter().enumerate() {
            let name = format!("layer{l}/{}", names[p]);
            read_into(&file, path, &name, tensor)?;
            read_into(
                &file,
                path,
                &format!("adam_m/{name}"),
                &mut state.optimizer.m[l][p],
            )?;
            read_into(
                &file,
                path,
                &format!("adam_v/{name}"),
                &mut state.optimizer.v[l][p],
            )?;
        }
    }
    state.optimizer.step = file
        .attr("optimizer_step")
        .and_then(|a| a.read_scalar::<u64>())
        .map_err(|e| IoError::Malformed {
            path: path.to_path_buf(),
            object: "optimizer_step".into(),
            detail: e.to_string(),
        })?;
    let metrics = file
        .dataset("metrics")
        .and_then(|d| d.read_raw::<f64>())
        .map_err(|e| IoError::Malformed {
            path: path.to_path_buf(),
            object: "metrics".into(),
            detail: e.to_string(),
        })?;
    state.history = metrics
        .chunks(6)
        .map(|r| EpochMetrics {
            epoch: r[0] as usize,
            train_loss: r[1],
            train_accuracy: r[2],
            test_loss: r[3],
            test_accuracy: r[4],
            seconds: r[5],
        })
        .collect();
    Ok(())
}
