//! `spikesim run`: simulate a model file, alone or as one rank of an MPI
//! job, writing its results file, checkpoints and plots.

mod controls;
mod finish;
mod interruption;
mod prepare;
mod resume;

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use crate::Error;
use crate::cli::QUIET;
use crate::cli::model::ModelArgs;
use crate::cli::paths::ensure_parent;
use crate::engine::Ended;
use crate::engine::comm::Comm;
use crate::io::checkpoint;
use crate::io::run_file::RunFile;
use crate::model::ModelSpec;

use controls::{progress_bar, run_controls};
use finish::{finish_run, remove_plots};
use interruption::Signals;
use prepare::prepare_run;
use resume::{interrupted_message, new_run_id, resume_state};

/// The options of `spikesim run`.
#[derive(Args)]
pub struct RunArgs {
    /// The model file and its overrides.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Results file; default `[output] path`, else `results/<model>.h5`.
    /// With --out, the plots named in `[output]` are written beside it as
    /// `<out stem>_<kind>.<ext>` (kind: raster, potential, weight_histogram,
    /// weight_course, rate; the extension of the `[output]` name), not at
    /// the `[output]` paths.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Skip the plots named in `[output]`.
    #[arg(long)]
    pub no_plots: bool,
    /// Run even when the memory estimate exceeds what the machine offers.
    #[arg(long)]
    pub ignore_memory_limit: bool,
    /// Write a checkpoint every this much simulated time (e.g. "10 s"),
    /// next to the results file (`<results>.checkpoint`).
    #[arg(long, value_name = "TIME")]
    pub checkpoint_every: Option<String>,
    /// Go on from the last checkpoint of this model's run (same model,
    /// program, ranks and threads).
    #[arg(long)]
    pub resume: bool,
    /// Memory for recordings between two writes to the results file, per
    /// process (e.g. "64 MiB", the default; at least 1 MiB).
    #[arg(long, value_name = "SIZE")]
    pub buffer: Option<String>,
}

/// `spikesim run`: the model simulated alone, or as this rank's share when
/// mpirun started several copies.
pub fn run(args: RunArgs) -> Result<(), Error> {
    match crate::engine::comm::launched_by_mpirun() {
        Some((rank, ranks)) if ranks > 1 => {
            QUIET.store(rank != 0, std::sync::atomic::Ordering::Relaxed);
            run_ranks(args, ranks)
        }
        _ => run_on(args, &crate::engine::comm::Solo),
    }
}

/// Started by mpirun on several ranks, in a build without MPI.
#[cfg(not(feature = "mpi"))]
fn run_ranks(_args: RunArgs, ranks: usize) -> Result<(), Error> {
    Err(Error::Usage(format!(
        "mpirun started {ranks} copies of spikesim, but this spikesim was built without MPI \
         (each copy would run the whole model alone): build it with \
         `cargo build --release --features mpi` (needs Open MPI: openmpi-bin libopenmpi-dev, \
         and libclang-dev), or run it without mpirun"
    )))
}

/// Started by mpirun on several ranks: each runs its share of the model.
#[cfg(feature = "mpi")]
fn run_ranks(args: RunArgs, ranks: usize) -> Result<(), Error> {
    use crate::engine::comm::mpi::MpiComm;
    let Some(comm) = MpiComm::init() else {
        return Err(Error::Usage(format!(
            "mpirun started {ranks} copies of spikesim, but MPI could not be initialised"
        )));
    };
    MpiComm::abort_on_panic();
    let result = run_on(args, &comm);
    if let Err(e) = &result
        && comm.rank() == 0
    {
        // Said before MPI is finalised: the other ranks wait for rank 0
        // there, and one that exited first could have mpirun end rank 0
        // before it reported.
        match e {
            Error::Interrupted { message, .. } => eprintln!("{message}"),
            _ => eprintln!("error: {e}"),
        }
        QUIET.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    drop(comm);
    result
}

/// `result` on every rank, once all ranks have reached this point: a failure
/// on any rank fails them all (rank 0 reports it), so that none goes on
/// to wait for the others in a collective.
fn agree<T>(comm: &dyn Comm, result: Result<T, Error>, what: &str) -> Result<T, Error> {
    crate::engine::comm::settle(comm.first_failed(result.is_err()), result, |rank| {
        Error::Usage(format!("rank {rank} of the run failed {what}"))
    })
}

fn run_on(args: RunArgs, comm: &dyn Comm) -> Result<(), Error> {
    // First of all: a signal during the build stops the run at its first
    // epoch boundary rather than killing it without a word.
    let signals = interruption::install();
    let (spec, estimate, out) = prepare_run(&args, comm)?;
    let (checkpoint_every, buffer_bytes) = run_controls(&args, &spec)?;
    let threads = crate::engine::rank_threads(&spec, comm);
    let checkpoint_path = checkpoint::path_for(&out);
    let resumed = if args.resume {
        let read = resume_state(&checkpoint_path, &spec, comm, threads);
        Some(agree(comm, read, "to read the checkpoint")?)
    } else {
        None
    };
    let run_id = resumed.as_ref().map_or_else(new_run_id, |(h, _)| h.run_id);
    let header = resumed.as_ref().map(|(h, _)| h);
    let mut file = open_results(&spec, comm, threads, &out, run_id, header)?;
    let resumed_at = header.map(|h| h.step);
    let stop = || signals.requested().is_some();
    let control = crate::engine::Control {
        checkpoint_every,
        buffer_bytes,
        stop: &stop,
    };
    let writer = CheckpointWriter {
        spec: &spec,
        comm,
        threads,
        run_id,
        path: &checkpoint_path,
    };
    let mut write_checkpoint = |step: u64, states: Option<Vec<Vec<u8>>>, positions: Vec<u64>| {
        writer.write(step, states, positions)
    };
    let output = crate::engine::Output {
        control,
        sink: file.as_mut().map(|f| f as &mut dyn crate::engine::Sink),
        checkpoint: Some(&mut write_checkpoint),
        resume: resumed.map(|(_, state)| state),
    };
    let end = simulate(&spec, comm, output, resumed_at, &checkpoint_path)?;
    let Some(file) = file else {
        return other_rank_end(comm, end.ended, &signals);
    };
    let dt = spec.simulation.dt;
    // The plots beside the results file are this run's or none: those of an
    // earlier run go before the file is replaced.
    remove_plots(&spec.output);
    let ended = match end.ended {
        Ended::Finished => {
            let counts = file.counts().clone();
            let written = file.finish(&end.info).map_err(Error::from);
            let written = written.and_then(|()| {
                let _ = std::fs::remove_file(&checkpoint_path);
                finish_run(&args, &spec, &estimate, &out, &end.info, &counts)
            });
            agree(comm, written, "to write the results")
        }
        Ended::Stopped(step) => {
            let written = file.interrupt(Some(&end.info), step as f64 * dt);
            agree(comm, written.map_err(Error::from), "to write the results")?;
            Err(Error::Interrupted {
                message: interrupted_message(&out, &checkpoint_path, step, &spec),
                code: signals.exit_code(),
            })
        }
        Ended::Fault(step, message) => {
            let written = file.interrupt(Some(&end.info), step as f64 * dt);
            agree(comm, written.map_err(Error::from), "to write the results")?;
            Err(Error::Usage(format!(
                "{message}; {} holds the run up to t = {} s",
                out.display(),
                step as f64 * dt
            )))
        }
    };
    ended?;
    if let Some(x) = end.exchange {
        say_exchange(comm, &x);
    }
    Ok(())
}

/// The results file, on rank 0 (`None` on the others): a new one, or the
/// one a resumed run goes on writing.
fn open_results(
    spec: &ModelSpec,
    comm: &dyn Comm,
    threads: usize,
    out: &Path,
    run_id: u64,
    resumed: Option<&checkpoint::Header>,
) -> Result<Option<RunFile>, Error> {
    let engine = match (&spec.fixed, spec.simulation.engine) {
        (Some(_), _) => "clock (fixed-point)",
        (None, crate::model::spec::EngineKind::Clock) => "clock",
        (None, crate::model::spec::EngineKind::Event) => "event",
    };
    let mut info = crate::engine::run_info(spec, engine, threads);
    info.ranks = comm.ranks() as u32;
    let file = match (comm.rank(), resumed) {
        (0, Some(header)) => RunFile::resume(out, run_id, info.clone(), &header.positions)
            .map(Some)
            .map_err(Error::from),
        (0, None) => ensure_parent(out).map(|()| Some(RunFile::new(out, run_id, info.clone()))),
        _ => Ok(None),
    };
    agree(comm, file, "to open the results file")
}

/// Writes this rank's checkpoints with the header that ties them to this
/// run (program, model, ranks, threads).
struct CheckpointWriter<'a> {
    spec: &'a ModelSpec,
    comm: &'a dyn Comm,
    threads: usize,
    run_id: u64,
    path: &'a Path,
}

impl CheckpointWriter<'_> {
    fn write(
        &self,
        step: u64,
        states: Option<Vec<Vec<u8>>>,
        positions: Vec<u64>,
    ) -> Result<(), String> {
        let header = checkpoint::Header {
            version: env!("CARGO_PKG_VERSION").into(),
            program: checkpoint::program_hash(),
            model: self.spec.text.clone(),
            ranks: self.comm.ranks() as u32,
            threads: self.threads as u32,
            step,
            run_id: self.run_id,
            positions,
        };
        checkpoint::write(self.path, &header, &states.unwrap_or_default())
            .map_err(|e| e.to_string())
    }
}

/// This rank's share of the run, with a progress bar on rank 0 (from the
/// step `resumed_at` when it goes on from a checkpoint).
fn simulate(
    spec: &ModelSpec,
    comm: &dyn Comm,
    output: crate::engine::Output,
    resumed_at: Option<u64>,
    checkpoint_path: &Path,
) -> Result<crate::engine::RankEnd, Error> {
    let bar = progress_bar(spec.simulation.steps, spec.simulation.dt);
    if comm.rank() != 0 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    if let Some(step) = resumed_at {
        bar.set_position(step);
        say!(
            "resuming at t = {} s from {}",
            step as f64 * spec.simulation.dt,
            checkpoint_path.display()
        );
    }
    let wall = Instant::now();
    let run = crate::engine::run_share(
        spec,
        &mut |done, _| {
            bar.set_position(done);
            let simulated = done as f64 * spec.simulation.dt;
            let elapsed = wall.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!(
                "{:.3} s simulated, {:.2}x real time",
                simulated,
                simulated / elapsed
            ));
        },
        comm,
        output,
    );
    bar.finish_and_clear();
    Ok(run?)
}

/// The end of a run on a rank other than 0, once rank 0 has written the
/// results.
fn other_rank_end(comm: &dyn Comm, ended: Ended, signals: &Signals) -> Result<(), Error> {
    // Rank 0 writes; the others wait to hear that it did.
    agree(comm, Ok(()), "to write the results")?;
    match ended {
        Ended::Finished => Ok(()),
        Ended::Stopped(_) => Err(Error::Interrupted {
            message: String::new(),
            code: signals.exit_code(),
        }),
        Ended::Fault(_, message) => Err(Error::Usage(message)),
    }
}

/// The spike exchange between ranks, in one line.
fn say_exchange(comm: &dyn Comm, x: &crate::engine::exchange::ExchangeStats) {
    say!(
        "{} ranks: {} spikes exchanged in {} epochs, {:.1} bytes per spike, \
         {:.1} us per epoch in the exchange",
        comm.ranks(),
        x.spikes_sent,
        x.epochs,
        x.bytes_per_spike(),
        x.seconds_per_epoch() * 1e6
    );
}
