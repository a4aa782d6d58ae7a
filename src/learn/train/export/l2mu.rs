//! Export of a trained network with L2MU layers as a model file that
//! `spikesim run` simulates step for step.
//!
//! Inside a training step an L2MU cell passes spikes on at once (input →
//! encoder u → memory m → hidden h), while its loops reach back one step
//! (h and m of step t−1 → u, m → m through Ā, h → h). The simulator's
//! synapses take at least one step, so the export runs [`SUBSTEPS`]
//! simulation steps per training step and gives every population a phase:
//! training step t of a population with phase φ happens at grid point
//! `SUBSTEPS·t + φ`. The input has phase 0; a cell reading phase φ has u at
//! φ + 1, m at φ + 2 and h at φ + 3, each a `discrete_lif` population (the
//! cell's own neuron, see `neuron::discrete_lif`) clocked once per training
//! step at its phase. A synapse from phase φ₁ in step t − k to phase φ₂ in
//! step t gets the delay `SUBSTEPS·k + φ₂ − φ₁` grid steps, at least one
//! for every path of the cell with three substeps (h → u: 3 − 2). LIF layers
//! keep the phase of their input and their exact-integration `lif` /
//! `cuba_lif` populations (as in [`super::lif`]): over three substeps
//! they decay exactly as over one training step, and between inputs they
//! only relax towards 0, so they cross the threshold only where training
//! does.
//!
//! Potentials are in mV (one training unit = 1 mV). Written beside the
//! model: the connection lists, the input spikes of one sample and the
//! trained tensors in `weights.h5`.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

use super::lif::{Exported, write_input_spikes};
use crate::io::IoError;
use crate::io::results::Results;
use crate::learn::layers::l2mu::cell::{L2mu, NeuronVariant, POP_H, POP_M, POP_U};
use crate::learn::layers::lif::Lif;
use crate::learn::net::{Network, Readout, argmax};
use crate::learn::train::data::Prepared;
use crate::learn::train::record::write_weights;

/// Simulation steps per training step: the fewest that give the cell's
/// feedback h(t−1) → u(t) a positive delay.
pub const SUBSTEPS: usize = 3;

/// The threshold of a membrane read-out, out of reach (mV).
const UNREACHABLE_MV: f64 = 1e6;

/// Whether [`export_l2mu_model`] can write `net`: at least one L2MU layer,
/// every other layer a LIF projection (with or without delays).
pub fn exportable(net: &Network<f32>) -> bool {
    net.layers.iter().any(|l| l.as_l2mu().is_some())
        && net
            .layers
            .iter()
            .all(|l| l.as_l2mu().is_some() || l.as_lif().is_some() || l.delayed().is_some())
}

/// The grid phase of the read-out's training steps.
pub fn readout_phase(net: &Network<f32>) -> usize {
    net.layers.iter().filter(|l| l.as_l2mu().is_some()).count() * 3
}

/// One synapse list: `(pre, post, weight in training units, delay in grid
/// steps)` rows.
struct List {
    name: String,
    text: String,
}

impl List {
    fn new(name: String) -> Self {
        Self {
            name,
            text: String::from("pre,post,weight_mV,delay_ms\n"),
        }
    }

    fn push(&mut self, pre: usize, post: usize, w: f64, delay: usize, dt_ms: f64) {
        let _ = writeln!(self.text, "{pre},{post},{w},{}", delay as f64 * dt_ms);
    }

    /// A dense target-major matrix `w[post·n_pre + pre]`.
    fn dense(name: String, w: &[f64], n_pre: usize, delay: usize, dt_ms: f64) -> Self {
        let mut l = Self::new(name);
        for (k, &v) in w.iter().enumerate() {
            l.push(k % n_pre, k / n_pre, v, delay, dt_ms);
        }
        l
    }
}

/// The model text being written and the lists that go with it.
struct Writer {
    toml: String,
    lists: Vec<List>,
    /// Simulation step, ms.
    dt_ms: f64,
    /// Training step, ms.
    step_ms: f64,
}

impl Writer {
    fn discrete(&mut self, name: &str, size: usize, cell: &L2mu, pop: usize, phase: usize) {
        let alpha = match cell.config.neuron {
            NeuronVariant::Leaky => 0.0,
            NeuronVariant::Synaptic { alpha } => alpha,
        };
        let _ = write!(
            self.toml,
            "\n[[population]]\nname = \"{name}\"\nsize = {size}\nmodel = \"discrete_lif\"\nparams = {{ beta = {}, alpha = {alpha}, v_th = \"{} mV\", period = \"{} ms\", offset = \"{} ms\" }}\n",
            cell.params.beta[pop],
            cell.params.threshold[pop],
            self.step_ms,
            (phase % SUBSTEPS) as f64 * self.dt_ms
        );
    }

    fn lif(&mut self, name: &str, layer: &Lif<f32>) {
        let v_th = if layer.spiking {
            f64::from(layer.theta[0])
        } else {
            UNREACHABLE_MV
        };
        let synapse = layer.tau_syn.map_or(String::new(), |ts| {
            format!(
                ", tau_syn_e = \"{0} ms\", tau_syn_i = \"{0} ms\"",
                ts * self.step_ms
            )
        });
        let model = if layer.tau_syn.is_some() {
            "cuba_lif"
        } else {
            "lif"
        };
        let _ = write!(
            self.toml,
            "\n[[population]]\nname = \"{name}\"\nsize = {}\nmodel = \"{model}\"\nparams = {{ tau_m = \"{} ms\", v_rest = \"0 mV\", v_reset = \"0 mV\", v_th = \"{v_th} mV\", t_ref = \"0 ms\"{synapse} }}\n",
            layer.n_out,
            f64::from(layer.tau[0]) * self.step_ms
        );
    }

    /// A projection through list `list`; `current` for a CuBa target.
    fn projection(&mut self, from: &str, to: &str, list: List, current: bool) {
        let _ = write!(
            self.toml,
            "\n[[projection]]\nfrom = \"{from}\"\nto = \"{to}\"\nconnect = {{ list = \"{}.csv\" }}\n{}{}",
            list.name,
            if from == to {
                "allow_autapses = true\n"
            } else {
                ""
            },
            if current {
                "synapse = \"current\"\nreceptor = \"exc\"\n"
            } else {
                ""
            }
        );
        self.lists.push(list);
    }

    /// Writes an L2MU cell reading `(src, phase)`; returns its output.
    fn cell(&mut self, l: usize, cell: &L2mu, src: &str, phase: usize) -> (String, usize) {
        let c = &cell.config;
        let (nx, nu, d, nh) = (c.inputs, c.memory_size, c.order, c.hidden);
        let nm = nu * d;
        let p = &cell.params;
        let (u, m, h) = (
            format!("l{l}_encoder"),
            format!("l{l}_memory"),
            format!("l{l}_hidden"),
        );
        let (pu, pm, ph) = (phase + 1, phase + 2, phase + 3);
        self.discrete(&u, nu, cell, POP_U, pu);
        self.discrete(&m, nm, cell, POP_M, pm);
        self.discrete(&h, nh, cell, POP_H, ph);
        let s = SUBSTEPS;
        let dt = self.dt_ms;
        let list = |w: &[f64], n_pre: usize, tag: &str, delay: usize| {
            List::dense(format!("w_l{l}_{tag}"), w, n_pre, delay, dt)
        };
        let ex = list(&p.ex, nx, "encoder_input", pu - phase);
        let eh = list(&p.eh, nh, "encoder_hidden", s + pu - ph);
        let em = list(&p.em, nm, "encoder_memory", s + pu - pm);
        let wx = list(&p.wx, nx, "hidden_input", ph - phase);
        let wm = list(&p.wm, nm, "hidden_memory", ph - pm);
        // B̄ and Ā act within each memory channel.
        let mut b = List::new(format!("w_l{l}_memory_encoder"));
        let mut a = List::new(format!("w_l{l}_memory_memory"));
        for ch in 0..nu {
            for i in 0..d {
                b.push(ch, ch * d + i, cell.bbar[i], pm - pu, dt);
                for j in 0..d {
                    a.push(ch * d + j, ch * d + i, cell.abar[i * d + j], s, dt);
                }
            }
        }
        // A discrete_lif sums every input into its own J: delta synapses.
        self.projection(src, &u, ex, false);
        self.projection(&h, &u, eh, false);
        self.projection(&m, &u, em, false);
        self.projection(&u, &m, b, false);
        self.projection(&m, &m, a, false);
        self.projection(src, &h, wx, false);
        self.projection(&m, &h, wm, false);
        if c.hidden_recurrent {
            let wh = list(&p.wh, nh, "hidden_recurrent", s);
            self.projection(&h, &h, wh, false);
        }
        (h, ph)
    }

    /// Writes a LIF layer (with optional per-synapse delays) reading
    /// `(src, phase)`; it keeps that phase.
    fn lif_layer(&mut self, name: &str, layer: &Lif<f32>, delays: Option<&[usize]>, src: &str) {
        self.lif(name, layer);
        let current = layer.tau_syn.is_some();
        let mut w = List::new(format!("w_{name}"));
        for i in 0..layer.n_in {
            for j in 0..layer.n_out {
                let k = i * layer.n_out + j;
                let extra = delays.map_or(0, |d| d[k]);
                w.push(
                    i,
                    j,
                    f64::from(layer.w[k]),
                    SUBSTEPS * (1 + extra),
                    self.dt_ms,
                );
            }
        }
        self.projection(src, name, w, current);
        if !layer.rec.is_empty() {
            let mut r = List::new(format!("w_{name}_recurrent"));
            for i in 0..layer.n_out {
                for j in 0..layer.n_out {
                    let k = i * layer.n_out + j;
                    r.push(i, j, f64::from(layer.rec[k]), SUBSTEPS, self.dt_ms);
                }
            }
            self.projection(name, name, r, current);
        }
    }
}

fn write_text(path: &Path, text: &str, action: &'static str) -> Result<(), IoError> {
    std::fs::write(path, text).map_err(|source| IoError::File {
        path: path.to_path_buf(),
        action,
        source,
    })
}

/// Writes the model file and its companions into `dir`, with sample
/// `sample` of `data` as the input. `net` must be [`exportable`].
pub fn export_l2mu_model(
    net: &Network<f32>,
    dt: f64,
    data: &Prepared,
    sample: usize,
    dir: &Path,
) -> Result<Exported, IoError> {
    let steps = net.steps(data.steps);
    let step_ms = dt * 1e3;
    let dt_ms = step_ms / SUBSTEPS as f64;
    let input = dir.join("input_spikes.csv");
    write_input_spikes(&input, data, sample, dt)?;
    let grid = SUBSTEPS * steps + readout_phase(net);
    let mut w = Writer {
        toml: format!(
            "# Exported by `spikesim train`: a network with L2MU layers trained on a\n\
             # {step_ms} ms step, run on {SUBSTEPS} simulation steps per training step\n\
             # (see learn::train::export::l2mu). Training step t of the read-out is grid point\n\
             # {SUBSTEPS}·t + {}; its class scores are its potentials (membrane) or\n\
             # spike counts there. The input is one sample of the data.\n\n\
             [simulation]\ndt = \"{dt_ms} ms\"\nduration = \"{} ms\"\nseed = 0\nengine = \"clock\"\n\n\
             [[population]]\nname = \"input\"\nsize = {}\nmodel = \"spike_source\"\nparams = {{ file = \"input_spikes.csv\" }}\n",
            readout_phase(net),
            grid as f64 * dt_ms,
            net.n_in()
        ),
        lists: Vec::new(),
        dt_ms,
        step_ms,
    };
    let (mut src, mut phase) = ("input".to_string(), 0);
    let last = net.layers.len() - 1;
    for (l, layer) in net.layers.iter().enumerate() {
        if let Some(cell) = layer.as_l2mu() {
            (src, phase) = w.cell(l, &cell, &src, phase);
            continue;
        }
        let name = if l == last {
            "readout".to_string()
        } else {
            format!("hidden{l}")
        };
        match layer.delayed() {
            Some((lif, delays)) => w.lif_layer(&name, &lif, Some(&delays), &src),
            None => {
                let lif = layer.as_lif().expect("exportable() admits LIF layers");
                w.lif_layer(&name, lif, None, &src);
            }
        }
        src = name;
    }
    let _ = phase;
    if net.readout == Readout::Membrane {
        w.toml
            .push_str("\n[[record]]\npopulation = \"readout\"\nvariables = [\"v\"]\n");
    }
    for list in &w.lists {
        write_text(
            &dir.join(format!("{}.csv", list.name)),
            &list.text,
            "write a connection list",
        )?;
    }
    let model = dir.join("model.toml");
    write_text(&model, &w.toml, "write the model file")?;
    let weights = dir.join("weights.h5");
    write_weights(&weights, net)?;
    Ok(Exported {
        model,
        weights,
        input,
    })
}

/// The read-out's training steps that count (its window) for a sample of
/// `input_steps`.
fn window(net: &Network<f32>, input_steps: usize) -> Range<usize> {
    let steps = net.steps(input_steps);
    let first = match net.readout_window {
        0 => 0,
        w => steps.saturating_sub(w),
    };
    first..steps
}

/// Class scores of a simulated exported network, as training computes
/// them: the read-out potentials (mV) averaged over the read-out window, or
/// its spike counts there.
pub fn simulated_scores(results: &Results, net: &Network<f32>, input_steps: usize) -> Vec<f64> {
    let classes = net.layers.last().map_or(0, |l| l.n_out());
    let phase = readout_phase(net) as u64;
    let range = window(net, input_steps);
    let grid = |t: usize| SUBSTEPS as u64 * t as u64 + phase;
    let counted = grid(range.start)..grid(range.end);
    let on_phase = |k: u64| counted.contains(&k) && (k - phase).is_multiple_of(SUBSTEPS as u64);
    let mut z = vec![0.0; classes];
    match net.readout {
        Readout::Membrane => {
            if let Some(trace) = results
                .states
                .iter()
                .find(|s| s.population == "readout" && s.variable == "v")
            {
                let n = trace.neurons.len();
                for (row, &k) in trace.steps.iter().enumerate() {
                    if on_phase(k) {
                        for (c, &neuron) in trace.neurons.iter().enumerate() {
                            z[neuron as usize] += trace.values[row * n + c] * 1e3;
                        }
                    }
                }
            }
            let scale = 1.0 / range.len().max(1) as f64;
            z.iter_mut().for_each(|v| *v *= scale);
        }
        Readout::SpikeCount => {
            if let Some(trains) = results.spikes.iter().find(|s| s.population == "readout") {
                for (&k, &n) in trains.steps.iter().zip(&trains.senders) {
                    if counted.contains(&k) {
                        z[n as usize] += 1.0;
                    }
                }
            }
        }
    }
    z
}

/// The class a simulation of the exported L2MU network `net` predicts from `results`
/// (`input_steps` steps of input).
pub fn simulated_prediction(results: &Results, net: &Network<f32>, input_steps: usize) -> usize {
    argmax(&simulated_scores(results, net, input_steps))
}
