//! The checks of a run before anything is built: the model loaded on every
//! rank, its memory, the output paths and the disk room for the results.

use std::path::{Path, PathBuf};

use crate::Error;
use crate::cli::model::{load, model_memory};
use crate::cli::paths::{ensure_parent, guard};
use crate::cli::quiet;
use crate::engine::comm::Comm;
use crate::model::memory;

use super::controls::buffer_arg;
use super::{RunArgs, agree};

/// The checks of a run that come before anything is built, the same on
/// every rank (rank 0 alone checks the output paths and tells the others).
pub(super) fn prepare_run(
    args: &RunArgs,
    comm: &dyn Comm,
) -> Result<(crate::model::ModelSpec, memory::Estimate, PathBuf), Error> {
    let ranks = comm.ranks();
    let mut spec = agree(comm, load(&args.model), "to load the model")?;
    if let Some(out) = &args.out {
        plots_beside(&mut spec.output, out);
    }
    if ranks > 1 {
        let threads = crate::engine::rank_threads(&spec, comm);
        if let Some(e) = crate::engine::rank_count_error(&spec, ranks, threads) {
            return Err(Error::Usage(e));
        }
    }
    let estimate = agree(
        comm,
        model_memory(&spec, args.ignore_memory_limit, ranks, buffer_arg(args)?),
        "its memory check",
    )?;
    let out = args
        .out
        .clone()
        .or_else(|| spec.output.path.clone())
        .unwrap_or_else(|| default_output(&args.model.model));
    let checked = if comm.rank() == 0 {
        guard_run_outputs(&args.model.model, &spec, &out)
            .and_then(|()| {
                if ranks > 1 {
                    writable_folder(&out)
                } else {
                    Ok(())
                }
            })
            .and_then(|()| disk_room(&spec, &out, args.ignore_memory_limit))
    } else {
        Ok(())
    };
    if comm.broadcast_u64(u64::from(checked.is_ok())) == 0 {
        checked?;
        return Err(Error::Usage("rank 0 refused the output path".into()));
    }
    Ok((spec, estimate, out))
}

/// Refuse a run whose results file would not fit on its disk (a failing
/// write after hours of simulation helps nobody).
fn disk_room(spec: &crate::model::ModelSpec, out: &Path, ignore: bool) -> Result<(), Error> {
    let workers = crate::engine::thread_count(spec.simulation.threads);
    let bytes = memory::results_file_bytes(&memory::model_estimate(spec, workers));
    let folder = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() && d.exists() => d.to_path_buf(),
        Some(d) if !d.as_os_str().is_empty() => {
            // The folder is made later: ask about its nearest existing parent.
            d.ancestors()
                .find(|a| a.exists())
                .unwrap_or(Path::new("."))
                .to_path_buf()
        }
        _ => PathBuf::from("."),
    };
    let Some(free) = memory::free_disk(&folder) else {
        return Ok(());
    };
    if bytes <= free as f64 {
        return Ok(());
    }
    let message = format!(
        "{}: its results file needs an estimated {} of disk, but {} has {} free; \
         record less (fewer neurons, a larger `every`), or pass --ignore-memory-limit to try anyway",
        spec.path.display(),
        memory::bytes(bytes),
        folder.display(),
        memory::bytes(free as f64)
    );
    if ignore {
        if !quiet() {
            eprintln!("warning: disk space ignored: {message}");
        }
        return Ok(());
    }
    Err(Error::Usage(message))
}

/// Refuse an output whose folder cannot take a new file, before a run
/// whose ranks would otherwise simulate for nothing.
fn writable_folder(out: &Path) -> Result<(), Error> {
    ensure_parent(out)?;
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let probe = dir.join(format!(".spikesim-probe-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(Error::Usage(format!(
            "--out: cannot write {} (the folder {} does not take new files: {e})",
            out.display(),
            dir.display()
        ))),
    }
}

/// The results file and every plot of a run, against the files it reads.
fn guard_run_outputs(
    model: &Path,
    spec: &crate::model::ModelSpec,
    out: &Path,
) -> Result<(), Error> {
    let inputs = crate::io::output_path::model_inputs(model, &spec.text);
    guard(out, &inputs, "--out")?;
    let o = &spec.output;
    for (path, field) in [
        (&o.raster, "raster"),
        (&o.potential, "potential"),
        (&o.weight_histogram, "weight_histogram"),
        (&o.weight_course, "weight_course"),
        (&o.rate, "rate"),
    ] {
        if let Some(path) = path {
            let what = format!("{}: output.{field}", model.display());
            guard(path, &inputs, &what)?;
            crate::io::output_path::check_distinct(&[out, path])
                .map_err(|e| Error::Usage(format!("{what}: {e}")))?;
        }
    }
    Ok(())
}

fn default_output(model: &Path) -> PathBuf {
    let stem = model
        .file_stem()
        .map_or("run".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from("results").join(format!("{stem}.h5"))
}

/// With `--out`, the plots named in `[output]` go beside the results file
/// as `<out stem>_<kind>.<extension of the [output] name>` (kinds: raster,
/// potential, weight_histogram, weight_course, rate): a run with another
/// `--out` neither overwrites an earlier run's plots nor writes into the
/// model's `[output]` folder.
pub(crate) fn plots_beside(output: &mut crate::model::spec::OutputSpec, out: &Path) {
    let stem = out
        .file_stem()
        .map_or("run".into(), |s| s.to_string_lossy().into_owned());
    for (path, kind) in [
        (&mut output.raster, "raster"),
        (&mut output.potential, "potential"),
        (&mut output.weight_histogram, "weight_histogram"),
        (&mut output.weight_course, "weight_course"),
        (&mut output.rate, "rate"),
    ] {
        if let Some(p) = path.as_mut() {
            let name = match p.extension() {
                Some(ext) => format!("{stem}_{kind}.{}", ext.to_string_lossy()),
                None => format!("{stem}_{kind}"),
            };
            *p = out.with_file_name(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plots_go_beside_the_out_file_named_after_it() {
        let mut o = crate::model::spec::OutputSpec {
            raster: Some("results/m_raster.png".into()),
            potential: Some("results/m_v.svg".into()),
            ..Default::default()
        };
        plots_beside(&mut o, Path::new("runs/a.h5"));
        assert_eq!(o.raster, Some(PathBuf::from("runs/a_raster.png")));
        assert_eq!(o.potential, Some(PathBuf::from("runs/a_potential.svg")));
        assert_eq!(o.rate, None, "no plot named, none added");
        plots_beside(&mut o, Path::new("b.h5"));
        assert_eq!(o.raster, Some(PathBuf::from("b_raster.png")));
    }
}
