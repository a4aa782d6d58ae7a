//! The `spikesim` command: a thin parser over the library; each subcommand
//! is a function in `spikesim::cli`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use spikesim::Error;
use spikesim::cli::check::CheckArgs;
use spikesim::cli::continual::ContinualArgs;
use spikesim::cli::dataset::DatasetCommand;
use spikesim::cli::nir::NirCommand;
use spikesim::cli::plot::PlotArgs;
use spikesim::cli::quantize::QuantizeArgs;
use spikesim::cli::run::RunArgs;
use spikesim::cli::tempotron::TempotronArgs;
use spikesim::cli::train::TrainArgs;
use spikesim::cli::{self, quiet};

// mimalloc as the global allocator of the command (not of the library, so a
// crate that depends on spikesim keeps its own): training allocates and frees
// a gradient per sample, megabytes each, which glibc serves with mmap/munmap,
// so page faults took a third of the time and more threads did not help.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "spikesim", version, about = "Spiking neural network simulator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a model file and write its results (HDF5) and plots.
    Run(RunArgs),
    /// Validate a model file without simulating it.
    Check(CheckArgs),
    /// Draw a raster and/or membrane-potential plot from a results file.
    Plot(Box<PlotArgs>),
    /// Summarise a results file.
    Info { results: PathBuf },
    /// Train and test a Tempotron (LIF or meta neuron) on two classes of
    /// Poisson patterns, with an LZC read-out; see `learn::tempotron::experiment`.
    Tempotron(TempotronArgs),
    /// Map a float LIF / CuBa model to a fixed-point (Loihi) model file.
    Quantize(QuantizeArgs),
    /// Compare two results files: rates, spike-count correlation, spike-time shifts.
    Compare { a: PathBuf, b: PathBuf },
    /// Train a spiking network as an experiment file (TOML) describes.
    Train(TrainArgs),
    /// Continual learning: train a network on a task sequence with several
    /// methods (fine-tuning, EWC, replay, HLOP, multitask) and compare them.
    Continual(ContinualArgs),
    /// Inspect spike datasets (SHD HDF5 layout).
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// NIR graphs (Neuromorphic Intermediate Representation) in and out.
    #[command(subcommand)]
    Nir(NirCommand),
}

fn main() -> ExitCode {
    if let Some(code) = spikesim::io::untrusted::serve_if_child() {
        return code;
    }
    // Dataset and results files are read in a copy of this program, so that
    // a damaged one cannot crash or hang it (see `io::guard`).
    if let Ok(program) = std::env::current_exe() {
        spikesim::io::guard::read_in_child_process(program);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Under mpirun every rank parses the same arguments: rank 0 says why not.
        Err(e) => match spikesim::engine::comm::launched_by_mpirun() {
            Some((rank, _)) if rank > 0 && e.use_stderr() => return ExitCode::FAILURE,
            _ => e.exit(),
        },
    };
    let outcome = match cli.command {
        Command::Run(args) => cli::run::run(args),
        Command::Check(args) => cli::check::check(args),
        Command::Plot(args) => cli::plot::plot(*args),
        Command::Info { results } => cli::info::info(&results),
        Command::Tempotron(args) => cli::tempotron::tempotron(args),
        Command::Quantize(args) => cli::quantize::quantize(args),
        Command::Compare { a, b } => cli::compare::compare(&a, &b),
        Command::Train(args) => cli::train::train(args),
        Command::Continual(args) => cli::continual::continual(args),
        Command::Dataset(DatasetCommand::Info { file }) => cli::dataset::info(&file),
        Command::Dataset(DatasetCommand::Encode(args)) => cli::dataset::encode(args),
        Command::Dataset(DatasetCommand::Synth(args)) => cli::dataset::synth(args),
        Command::Dataset(DatasetCommand::Memory(args)) => cli::dataset::memory(args),
        Command::Nir(NirCommand::Import(args)) => cli::nir::import(args),
        Command::Nir(NirCommand::Export(args)) => cli::nir::export(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Interrupted { message, code }) => {
            if !quiet() && !message.is_empty() {
                eprintln!("{message}");
            }
            ExitCode::from(code)
        }
        Err(e) => {
            if !quiet() {
                eprintln!("error: {e}");
            }
            ExitCode::FAILURE
        }
    }
}
