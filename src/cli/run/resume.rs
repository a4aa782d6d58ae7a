//! Going on from a checkpoint: the run id, the checks that the checkpoint
//! belongs to this run, and the line said when a run stops on request.

use std::path::Path;

use crate::Error;
use crate::engine::comm::Comm;
use crate::io::checkpoint;

/// A run id shared by a results file and its checkpoints, unlikely to
/// repeat.
pub(super) fn new_run_id() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    crate::engine::rng::fnv1a(&[&nanos.to_string(), &std::process::id().to_string()])
}

/// The checkpoint at `path` read for this run, or why it cannot go on from
/// it: the header and this rank's state.
pub(super) fn resume_state(
    path: &Path,
    spec: &crate::model::ModelSpec,
    comm: &dyn Comm,
    threads: usize,
) -> Result<(checkpoint::Header, Vec<u8>), Error> {
    let (header, _) = checkpoint::read_header(path).map_err(|e| match e {
        crate::io::IoError::NotFound { .. } => Error::Usage(format!(
            "--resume: no checkpoint at {} (a run writes one with --checkpoint-every)",
            path.display()
        )),
        other => Error::from(other),
    })?;
    let refuse = |why: String| Error::Usage(format!("--resume: {}: {why}", path.display()));
    let version = env!("CARGO_PKG_VERSION");
    if header.version != version {
        return Err(refuse(format!(
            "written by spikesim {}, this is {version}: resume with the program that wrote it",
            header.version
        )));
    }
    if header.program != checkpoint::program_hash() {
        return Err(refuse(format!(
            "written by another build of spikesim {version} (the program file differs): \
             resume with the program that wrote it"
        )));
    }
    if header.ranks as usize != comm.ranks() {
        return Err(refuse(format!(
            "written by a run of {} processes, this one has {}: resume with mpirun -np {}",
            header.ranks,
            comm.ranks(),
            header.ranks
        )));
    }
    if header.threads as usize != threads {
        return Err(refuse(format!(
            "written by a run of {} threads per process, this one has {}: resume with --threads {}",
            header.threads, threads, header.threads
        )));
    }
    if header.model != spec.text {
        return Err(refuse(format!(
            "written for another model: {} (or its --set options) changed since",
            spec.path.display()
        )));
    }
    let state = checkpoint::read_state(path, comm.rank())?;
    Ok((header, state))
}

/// The one line said when a run stops on request.
pub(super) fn interrupted_message(
    out: &Path,
    checkpoint_path: &Path,
    step: u64,
    spec: &crate::model::ModelSpec,
) -> String {
    let dt = spec.simulation.dt;
    let resume = match checkpoint::read_header(checkpoint_path) {
        Ok((h, _)) => format!(
            "; --resume goes on from the checkpoint at t = {} s",
            h.step as f64 * dt
        ),
        Err(_) => String::new(),
    };
    format!(
        "interrupted at t = {} s of {} s: {} holds the run so far (marked incomplete){resume}",
        step as f64 * dt,
        spec.simulation.duration,
        out.display()
    )
}
