//! Export of a trained network as a model file that `spikesim run`
//! simulates: the training equations (see [`crate::learn::layers`]) are the clock
//! engine's exact-integration LIF (or CuBa LIF) with `dt` = one training step,
//! `v_rest = v_reset = 0`, `t_ref = 0` and one-step synaptic delays, with
//! potentials in mV (one training unit = 1 mV). A meta layer becomes a
//! `meta` population with the same escape noise, and the model's seed is
//! the noise seed the trainer evaluated the sample with, so the simulator
//! draws the trainer's random numbers (see [`crate::learn::layers::meta`]). A
//! membrane read-out becomes a LIF population whose threshold it never
//! reaches (1 kV), its potential recorded; a spike-count read-out an
//! ordinary one.
//!
//! Written beside the model: one connection list per projection
//! (`pre,post,weight_mV,delay_ms`), the input spikes of one sample
//! (`neuron,time_ms`, each spike on the grid point of its training step) and
//! the trained parameters in HDF5 (`weights.h5`, see [`crate::learn::train::record`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::io::IoError;
use crate::io::results::Results;
use crate::learn::layers::lif::Lif;
use crate::learn::layers::meta::{Firing, MetaLayer};
use crate::learn::net::{Network, Readout, argmax, population_name};
use crate::learn::train::data::Prepared;
use crate::learn::train::record::write_weights;
use crate::learn::train::trainer::evaluation_noise_seed;

/// The threshold of a membrane read-out, out of reach.
const UNREACHABLE_MV: f64 = 1e6;

#[derive(Debug, Clone)]
/// What an export of a trained network wrote.
pub struct Exported {
    /// The model file.
    pub model: PathBuf,
    /// The weights file.
    pub weights: PathBuf,
    /// The input spikes file.
    pub input: PathBuf,
}

fn write_text(path: &Path, text: &str, action: &'static str) -> Result<(), IoError> {
    std::fs::write(path, text).map_err(|source| IoError::File {
        path: path.to_path_buf(),
        action,
        source,
    })
}

/// Each layer as a dense LIF projection and its synapses' delays in steps
/// beyond the one every layer has (`None`: all zero).
fn lif_layers(net: &Network<f32>) -> Vec<(Lif<f32>, Option<Vec<usize>>)> {
    net.layers
        .iter()
        .map(|l| match (l.delayed(), l.as_meta()) {
            (Some((lif, delays)), _) => (lif, Some(delays)),
            (None, Some(meta)) => (meta.lif.clone(), None),
            (None, None) => (l.as_lif().expect("export handles LIF layers").clone(), None),
        })
        .collect()
}

/// Writes sample `i`'s input as a spike file on the training grid. The
/// simulator's spike sources emit at most one spike per neuron and grid
/// point, so a step with several spikes on one (merged) channel cannot be
/// exported faithfully and is an error.
pub fn write_input_spikes(path: &Path, data: &Prepared, i: usize, dt: f64) -> Result<(), IoError> {
    let mut text = String::from("neuron,time_ms\n");
    for (t, events) in data.samples[i].steps.iter().enumerate() {
        for &(c, n) in events {
            if n > 1.0 {
                return Err(IoError::InvalidResults {
                    path: path.to_path_buf(),
                    detail: format!(
                        "sample {i} has {n} spikes on channel {c} in step {t}; a spike source emits at most one per step (use a finer dt or no channel grouping)"
                    ),
                });
            }
            let _ = writeln!(text, "{c},{}", t as f64 * dt * 1e3);
        }
    }
    write_text(path, &text, "write the input spikes")
}

/// The escape noise of a meta layer as model-file parameters (potentials
/// in mV, `rho_0` from per step to Hz).
fn escape_params(meta: &MetaLayer<f32>, dt: f64) -> String {
    let delta_u = f64::from(meta.delta_u[0]);
    match meta.firing {
        Firing::Exponential => format!(
            ", firing = \"exponential\", delta_u = \"{delta_u} mV\", rho_0 = \"{} Hz\"",
            f64::from(meta.rho_0[0]) / dt
        ),
        Firing::Sigmoid => format!(", firing = \"sigmoid\", delta_u = \"{delta_u} mV\""),
    }
}

/// `delays` (steps, input-major like `w`) come on top of the one-step delay
/// of every training layer.
fn connection_list(
    w: &[f32],
    n_in: usize,
    n_out: usize,
    dt_ms: f64,
    delays: Option<&[usize]>,
) -> String {
    let mut text = String::from("pre,post,weight_mV,delay_ms\n");
    for i in 0..n_in {
        for j in 0..n_out {
            let k = i * n_out + j;
            let steps = 1 + delays.map_or(0, |d| d[k]);
            let _ = writeln!(text, "{i},{j},{},{}", f64::from(w[k]), steps as f64 * dt_ms);
        }
    }
    text
}

/// Writes the model file and its companions into `dir`, with sample
/// `sample` of `data` as the input.
pub fn export_model(
    net: &Network<f32>,
    dt: f64,
    data: &Prepared,
    sample: usize,
    dir: &Path,
) -> Result<Exported, IoError> {
    let layers = lif_layers(net);
    let steps = net.steps(data.steps);
    let dt_ms = dt * 1e3;
    let input = dir.join("input_spikes.csv");
    write_input_spikes(&input, data, sample, dt)?;
    let mut toml = format!(
        "# Exported by `spikesim train`: a network trained on a {dt_ms} ms step.\n\
         # The read-out's class scores are its potentials summed over the run\n\
         # (membrane) or its spike counts; the input is one sample of the data.\n\n\
         [simulation]\ndt = \"{dt_ms} ms\"\nduration = \"{} ms\"\nseed = {}\nengine = \"clock\"\n\n\
         [[population]]\nname = \"input\"\nsize = {}\nmodel = \"spike_source\"\nparams = {{ file = \"input_spikes.csv\" }}\n",
        steps as f64 * dt_ms,
        evaluation_noise_seed(sample),
        net.n_in()
    );
    for (l, (layer, _)) in layers.iter().enumerate() {
        let name = population_name(net.layers.len(), l);
        let v_th = if layer.spiking {
            f64::from(layer.theta[0])
        } else {
            UNREACHABLE_MV
        };
        let (model, synapse) = match layer.tau_syn {
            Some(ts) => (
                "cuba_lif",
                format!(
                    ", tau_syn_e = \"{0} ms\", tau_syn_i = \"{0} ms\"",
                    ts * dt_ms
                ),
            ),
            None => ("lif", String::new()),
        };
        let (model, synapse) = match net.layers[l].as_meta() {
            Some(meta) => ("meta", escape_params(meta, dt)),
            None => (model, synapse),
        };
        let _ = write!(
            toml,
            "\n[[population]]\nname = \"{name}\"\nsize = {}\nmodel = \"{model}\"\nparams = {{ tau_m = \"{} ms\", v_rest = \"0 mV\", v_reset = \"0 mV\", v_th = \"{v_th} mV\", t_ref = \"0 ms\"{synapse} }}\n",
            layer.n_out,
            f64::from(layer.tau[0]) * dt_ms
        );
    }
    for (l, (layer, delays)) in layers.iter().enumerate() {
        let name = population_name(net.layers.len(), l);
        // A CuBa layer's inputs are current jumps, every one on `exc` (both
        // receptors share the time constant, so the sign needs no split).
        let current = if layer.tau_syn.is_some() {
            "synapse = \"current\"\nreceptor = \"exc\"\n"
        } else {
            ""
        };
        let from = if l == 0 {
            "input".to_string()
        } else {
            population_name(net.layers.len(), l - 1)
        };
        let file = format!("w_{name}.csv");
        write_text(
            &dir.join(&file),
            &connection_list(&layer.w, layer.n_in, layer.n_out, dt_ms, delays.as_deref()),
            "write a connection list",
        )?;
        let _ = write!(
            toml,
            "\n[[projection]]\nfrom = \"{from}\"\nto = \"{name}\"\nconnect = {{ list = \"{file}\" }}\n{current}"
        );
        if !layer.rec.is_empty() {
            let file = format!("w_{name}_recurrent.csv");
            write_text(
                &dir.join(&file),
                &connection_list(&layer.rec, layer.n_out, layer.n_out, dt_ms, None),
                "write a connection list",
            )?;
            let _ = write!(
                toml,
                "\n[[projection]]\nfrom = \"{name}\"\nto = \"{name}\"\nconnect = {{ list = \"{file}\" }}\nallow_autapses = true\n{current}"
            );
        }
    }
    if net.readout == Readout::Membrane {
        toml.push_str("\n[[record]]\npopulation = \"readout\"\nvariables = [\"v\"]\n");
    }

    let model = dir.join("model.toml");
    write_text(&model, &toml, "write the model file")?;
    let weights = dir.join("weights.h5");
    write_weights(&weights, net)?;
    Ok(Exported {
        model,
        weights,
        input,
    })
}

/// Class scores of a simulated exported network: read-out potentials (mV)
/// summed over the grid points of the training run, or spike counts.
pub fn simulated_scores(
    results: &Results,
    readout: Readout,
    classes: usize,
    steps: usize,
) -> Vec<f64> {
    let mut z = vec![0.0; classes];
    match readout {
        Readout::Membrane => {
            if let Some(trace) = results
                .states
                .iter()
                .find(|s| s.population == "readout" && s.variable == "v")
            {
                let n = trace.neurons.len();
                for (row, &k) in trace.steps.iter().enumerate() {
                    if (k as usize) < steps {
                        for (c, &neuron) in trace.neurons.iter().enumerate() {
                            z[neuron as usize] += trace.values[row * n + c] * 1e3;
                        }
                    }
                }
            }
        }
        Readout::SpikeCount => {
            if let Some(trains) = results.spikes.iter().find(|s| s.population == "readout") {
                for (&k, &n) in trains.steps.iter().zip(&trains.senders) {
                    if (k as usize) < steps {
                        z[n as usize] += 1.0;
                    }
                }
            }
        }
    }
    z
}

/// The class a simulation of the exported model predicts: the read-out `readout` over `classes`
/// classes of `steps` steps of `results`.
pub fn simulated_prediction(
    results: &Results,
    readout: Readout,
    classes: usize,
    steps: usize,
) -> usize {
    argmax(&simulated_scores(results, readout, classes, steps))
}
