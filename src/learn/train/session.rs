//! `spikesim train`: an experiment from file to trained network, with its
//! metrics, plot and checkpoint written after every epoch.

use std::path::{Path, PathBuf};

use super::data::{Data, prepare};
use super::experiment::Experiment;
use super::export::l2mu as export_l2mu;
use super::export::lif::{Exported, export_model};
use super::record::{
    plot_learning_curve, read_checkpoint, write_checkpoint, write_metrics_csv, write_metrics_h5,
};
use super::trainer::{TrainState, output_files, train};
use crate::Error;
use crate::io::IoError;

#[derive(Debug, Clone, Default)]
/// How a training session runs.
pub struct SessionOptions {
    /// Continue from the output directory's checkpoint if there is one.
    pub resume: bool,
    /// Whether to show a progress bar.
    pub show_progress: bool,
}

/// The files a session wrote.
#[derive(Debug, Clone)]
pub struct SessionFiles {
    /// The per-epoch metrics, CSV.
    pub metrics_csv: PathBuf,
    /// The per-epoch metrics, HDF5.
    pub metrics_h5: PathBuf,
    /// The learning-curve plot.
    pub learning_curve: PathBuf,
    /// The checkpoint.
    pub checkpoint: PathBuf,
    /// `None` when the network has no model-file form (a LIF network with a
    /// read-out window, raw real-valued input).
    pub exported: Option<Exported>,
}

/// Trains the network `exp` describes (or goes on from its checkpoint), writing metrics, plot
/// and checkpoint into its output directory; `report` receives the lines to show the user.
pub fn run_session(
    exp: &Experiment,
    opts: &SessionOptions,
    report: &mut dyn FnMut(&str),
) -> Result<(Data, TrainState, SessionFiles), Error> {
    let data = prepare(exp)?;
    let mut state = TrainState::new(exp, &data);
    std::fs::create_dir_all(&exp.output).map_err(|source| IoError::File {
        path: exp.output.clone(),
        action: "create the output directory",
        source,
    })?;
    let [metrics_csv, metrics_h5, learning_curve, checkpoint, _] = output_files(&exp.output);
    if opts.resume && checkpoint.exists() {
        read_checkpoint(&checkpoint, &mut state)?;
        refuse_fewer_epochs(exp, &checkpoint, state.epochs_done())?;
        report(&format!(
            "resuming from {} after epoch {}",
            checkpoint.display(),
            state.epochs_done()
        ));
    }
    report(&format!(
        "{} training / {} test samples, {} channels, {} steps of {} ms, {} classes",
        data.train.len(),
        data.test.len(),
        data.train.channels,
        data.train.steps,
        exp.dt * 1e3,
        data.classes
    ));
    let mut plot_error = None;
    train(exp, &data, &mut state, opts.show_progress, &mut |s| {
        let m = s.history.last().expect("an epoch was just trained");
        report(&format!(
            "epoch {:>3}/{}: train loss {:.4} acc {:.2} % | test loss {:.4} acc {:.2} % ({:.1} s)",
            m.epoch,
            exp.epochs,
            m.train_loss,
            100.0 * m.train_accuracy,
            m.test_loss,
            100.0 * m.test_accuracy,
            m.seconds
        ));
        write_metrics_csv(&metrics_csv, &s.history)?;
        write_metrics_h5(&metrics_h5, &s.history)?;
        write_checkpoint(&checkpoint, s)?;
        if let Err(e) = plot_learning_curve(&learning_curve, &s.history) {
            plot_error = Some(e);
        }
        Ok(())
    })?;
    if let Some(e) = plot_error {
        return Err(e.into());
    }
    // The LIF export maps LIF, delayed LIF and meta layers read over the
    // whole sample; networks with L2MU layers go through `export_l2mu`,
    // which also takes read-out windows.
    let exportable = state.net.readout_window == 0
        && state
            .net
            .layers
            .iter()
            .all(|l| l.as_lif().is_some() || l.delayed().is_some() || l.as_meta().is_some());
    // Raw real-valued input has no spike-source form.
    let exported = if exp.real_input {
        None
    } else if export_l2mu::exportable(&state.net) {
        Some(export_l2mu::export_l2mu_model(
            &state.net,
            exp.dt,
            &data.test,
            0,
            &exp.output,
        )?)
    } else if exportable {
        Some(export_model(
            &state.net,
            exp.dt,
            &data.test,
            0,
            &exp.output,
        )?)
    } else {
        None
    };
    Ok((
        data,
        state,
        SessionFiles {
            metrics_csv,
            metrics_h5,
            learning_curve,
            checkpoint,
            exported,
        },
    ))
}

/// `--resume` asking for fewer epochs than the checkpoint has done: an
/// error, not a silent session that trains nothing and rewrites its files.
fn refuse_fewer_epochs(exp: &Experiment, checkpoint: &Path, done: usize) -> Result<(), Error> {
    if done <= exp.epochs {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{} has {done} epochs done, more than the {} asked for (training.epochs or --epochs): \
         ask for more than {done} to go on training, or remove the checkpoint to start again",
        checkpoint.display(),
        exp.epochs
    )))
}
