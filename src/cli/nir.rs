//! `spikesim nir`: NIR graphs in and out.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::Error;
use crate::cli::paths::guard;
use crate::model::units::{Dimension, parse_as};
use crate::nir::import::{
    Discretisation, ImportOptions, Recording, ResetMode, import_file_recording,
};

/// The subcommands of `spikesim nir`.
#[derive(Subcommand)]
pub enum NirCommand {
    /// Convert a NIR graph into a model file (+ a folder of connection lists
    /// and input spikes beside it). Convolutions and poolings are expanded
    /// into connection lists, refused above 10 million synapses per projection.
    Import(ImportArgs),
    /// Write a model file, or the output directory of `spikesim train`, as a
    /// NIR graph (+ its input spikes beside it, for `nir import --input`).
    Export(ExportArgs),
}

/// The options of `spikesim nir export`.
#[derive(Args)]
pub struct ExportArgs {
    /// The model file, or a `spikesim train` output directory (its
    /// exported model.toml).
    pub model: PathBuf,
    /// The NIR file to write (HDF5); the spike sources' spikes go beside it
    /// as `<stem>.input.csv`.
    #[arg(long)]
    pub out: PathBuf,
}

/// `spikesim nir export`: the graph (and its input spikes) written, with
/// the command that imports it back.
pub fn export(args: ExportArgs) -> Result<(), Error> {
    use crate::nir::export::{ExportError, export_file, inputs::input_path, model_file};
    let fail = |e: ExportError| match e {
        ExportError::Model(e) => Error::Model(e),
        ExportError::Io(e) => Error::Io(e),
        ExportError::Nir(e) => Error::Usage(e.to_string()),
    };
    let model = model_file(&args.model).map_err(fail)?;
    guard(&args.out, std::slice::from_ref(&model), "--out")?;
    guard(
        &input_path(&args.out),
        std::slice::from_ref(&model),
        "--out",
    )?;
    crate::cli::paths::ensure_parent(&args.out)?;
    let exported = export_file(&model, &args.out).map_err(fail)?;
    say!(
        "graph: {} ({} nodes, {} edges)",
        exported.graph.display(),
        exported.nodes,
        exported.edges
    );
    let input = match &exported.input {
        Some(path) => {
            say!(
                "input spikes: {} (data step n = grid point n + 1)",
                path.display()
            );
            format!(" --input {}", path.display())
        }
        None => String::new(),
    };
    let spec = crate::model::load(&model, &[])?;
    let reset = match exported.reset {
        crate::neuron::membrane::Reset::Value => "",
        crate::neuron::membrane::Reset::Subtract => " --reset subtract",
    };
    say!(
        "import it back: spikesim nir import {} --dt \"{} ms\" --duration \"{} ms\" --discretisation {}{reset}{input} --out MODEL.toml",
        exported.graph.display(),
        spec.simulation.dt * 1e3,
        spec.simulation.duration * 1e3,
        exported.discretisation
    );
    Ok(())
}

/// `--discretisation`: how a NIR node's differential equation becomes steps.
#[derive(Clone, Copy, ValueEnum)]
pub enum DiscretisationArg {
    /// spikesim's exponential integration (input held over the step).
    Exact,
    /// Forward Euler (`discrete_lif`): beta = 1 - dt/tau.
    Euler,
    /// snnTorch 1.0's import: Euler, semi-implicit CuBa current, reset to 0.
    Snntorch,
}

/// `--reset`: what a spike does to the membrane.
#[derive(Clone, Copy, ValueEnum)]
pub enum ResetArg {
    /// v <- v_reset.
    Value,
    /// v <- v - (v_threshold - v_reset).
    Subtract,
}

/// The options of `spikesim nir import`.
#[derive(Args)]
pub struct ImportArgs {
    /// The NIR graph (HDF5, as `nir.write` makes it).
    pub graph: PathBuf,
    /// Time step, with its unit ("0.1 ms"): NIR files do not carry one.
    #[arg(long)]
    pub dt: String,
    /// The model file to write; its side files go to the folder
    /// `<stem>_files` beside it.
    #[arg(long)]
    pub out: PathBuf,
    /// How the continuous-time equations are put on the grid.
    #[arg(long, value_enum, default_value = "exact")]
    pub discretisation: DiscretisationArg,
    /// What a spike does to the membrane.
    #[arg(long, value_enum, default_value = "value")]
    pub reset: ResetArg,
    /// Simulated time, with its unit; default: up to the last input spike.
    #[arg(long)]
    pub duration: Option<String>,
    /// Input spikes: CSV `neuron,step`; step n is a spike at time (n+1)·dt.
    /// Neurons number the top-level Input nodes' elements, Inputs in name order.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Record v (and spikes) of every neuron node, not only those feeding an Output.
    #[arg(long)]
    pub record_v: bool,
}

fn quantity(text: &str, option: &str) -> Result<f64, Error> {
    parse_as(text, Dimension::Time).map_err(|e| Error::Usage(format!("{option}: {e}")))
}

/// `spikesim nir import`: the model file and its folder written, with
/// notes on what the discretisation changed.
pub fn import(args: ImportArgs) -> Result<(), Error> {
    let mut inputs = vec![args.graph.clone()];
    inputs.extend(args.input.clone());
    guard(&args.out, &inputs, "--out")?;
    let opts = ImportOptions {
        dt: quantity(&args.dt, "--dt")?,
        discretisation: match args.discretisation {
            DiscretisationArg::Exact => Discretisation::Exact,
            DiscretisationArg::Euler => Discretisation::Euler,
            DiscretisationArg::Snntorch => Discretisation::Snntorch,
        },
        reset: match args.reset {
            ResetArg::Value => ResetMode::Value,
            ResetArg::Subtract => ResetMode::Subtract,
        },
        duration: args
            .duration
            .as_deref()
            .map(|d| quantity(d, "--duration"))
            .transpose()?,
        input: args.input.clone(),
    };
    let record = if args.record_v {
        Recording::AllNodes
    } else {
        Recording::Outputs
    };
    let imported = import_file_recording(&args.graph, &opts, record, &args.out)
        .map_err(|e| Error::Usage(e.to_string()))?;
    for note in &imported.notes {
        say!("note: {note}");
    }
    say!(
        "model: {} ({}, {}, {}; side files in {})",
        imported.model.display(),
        crate::cli::check::counted(imported.populations.len() as u64, "population"),
        crate::cli::check::counted(imported.projections as u64, "projection"),
        crate::cli::check::counted(imported.synapses as u64, "synapse"),
        imported.files.display()
    );
    Ok(())
}
