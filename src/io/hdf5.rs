//! The run file: [`Results`] in HDF5.
//!
//! Layout (times in seconds, every name relative to the root):
//!
//! ```text
//! /spikes/<population>            group, attribute `size` (u32)
//! /spikes/<population>/times      f64 [n], attribute `unit` = "s"
//! /spikes/<population>/senders    u32 [n]
//! /spikes/<population>/steps      u64 [n]
//! /state/<population>/<variable>  f64 [steps, neurons] (i32 for fixed-point state),
//!                                 attributes `unit` (string: "V", "A", "S",
//!                                 "uM" for µM, ...; "" for a dimensionless
//!                                 variable and for fixed-point state),
//!                                 `layout` = "time x neuron" (rows are the
//!                                 samples of `times`, columns the neurons of
//!                                 `neurons`),
//!                                 `threshold` (f64 in `unit`, only when there is one),
//!                                 `scale` (f64, fixed-point state only: the
//!                                 value of one integer step in `unit`; 1, the
//!                                 chip's own integers)
//! /state/<population>/times       f64 [steps], attribute `unit` = "s"
//! /state/<population>/steps       u64 [steps]
//! /state/<population>/neurons     u32 [neurons]
//! /weights/<projection>/values    f64 [snapshots, synapses], attributes `unit`,
//!                                 `layout` = "snapshot x synapse"
//!                                 (only for projections with recorded weights)
//! /weights/<projection>/times     f64 [snapshots], attribute `unit` = "s"
//! /weights/<projection>/steps     u64 [snapshots]
//! /weights/<projection>/pre       u32 [synapses]  (synapses in (pre, post) order)
//! /weights/<projection>/post      u32 [synapses]
//! root attributes: model, model_path, spikesim_version, engine (strings),
//!                  seed (u64), threads (u32, per process), ranks (u32,
//!                  MPI processes; absent in older files: 1), dt, duration, build_seconds,
//!                  simulate_seconds (f64, seconds), synapses, synaptic_events (u64),
//!                  dt_unit, duration_unit, build_seconds_unit,
//!                  simulate_seconds_unit (strings, "s": an attribute cannot
//!                  carry attributes, so the unit of each is a sibling),
//!                  run_id (u64, streamed files only: the run that wrote it),
//!                  reached (f64, interrupted runs only: the simulated time
//!                  the file holds the run up to; reached_unit = "s" beside it),
//!                  complete (u8, written last: 1 for a finished run, 0 for
//!                  one being written or interrupted)
//! ```
//!
//! The `unit`, `layout`, `scale` and `*_unit` attributes describe the file
//! for other readers (h5py, HDFView); [`read_results`] does not need them,
//! so files written before they existed read the same.
//!
//! A file is written beside its path (`<path>.partial`) and moved there only
//! once closed, so a file at the path is always a closed one: a finished run
//! (`complete = 1`) or an interrupted one (`complete = 0` with `reached`),
//! which the readers accept and [`RunInfo::reached`] reports. A file with
//! `complete = 0` and no `reached` (a `.partial` renamed by hand, or copied
//! while being written) is refused as incomplete.
//!
//! [`write_results`] writes a whole run at once in contiguous datasets;
//! [`ResultsStream`] writes it while it runs, in chunked datasets that grow
//! (same names, shapes and types: readers see no difference).
//!
//! Groups record the creation order of their members, so populations and
//! variables read back in the order they were written.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ::hdf5::plist::group_create::LinkCreationOrder;
use ::hdf5::types::VarLenUnicode;
use ::hdf5::{Dataset, File, Group, H5Type, IndexType, IterationOrder, Location, MinorErrorCode};

use super::IoError;
use super::results::{Results, RunInfo, SpikeTrains, StateTrace};

mod checks;
mod continual;
pub mod stream;
mod weights;

pub use stream::{BUFFER_BYTES, Positions, ResultsStream};

pub use continual::{
    HlopSaved, RunCheckpoint, read_continual, read_run_checkpoint, write_continual,
    write_run_checkpoint,
};

const SPIKES: &str = "spikes";
const STATE: &str = "state";
const COMPLETE: &str = "complete";
/// Dataset names of a `/state/<population>` group that are not variables.
const STATE_AXES: [&str; 3] = ["times", "steps", "neurons"];
/// The unit of every time in the file (the `unit` attribute of `times`
/// datasets and the `*_unit` root attributes).
const TIME_UNIT: &str = "s";
/// The `layout` attribute of a state variable's dataset: one row per sample
/// time, one column per recorded neuron.
pub const STATE_LAYOUT: &str = "time x neuron";
/// The `layout` attribute of a projection's weight snapshots: one row per
/// snapshot, one column per synapse.
pub const WEIGHTS_LAYOUT: &str = "snapshot x synapse";
/// The `scale` attribute of fixed-point state: its values are the chip's
/// integers, one integer step being one unit (the model file gives the chip
/// state no physical scale).
const FIXED_POINT_SCALE: f64 = 1.0;

/// Writes `results` to `path` (see the module documentation for the layout),
/// replacing any file there only once the new one is complete.
pub fn write_results(path: &Path, results: &Results) -> Result<(), IoError> {
    quiet_hdf5();
    validate_spikes(path, &results.spikes)?;
    let states = group_states(path, &results.states)?;
    checks::check(results).map_err(|d| invalid(path, format!("`{}`: {}", d.object, d.detail)))?;
    ensure_parent_exists(path)?;
    let partial = PartialFile::new(path)?;
    write_file(partial.path(), path, results, &states)?;
    partial.commit()
}

/// Reads a run file written by [`write_results`].
///
/// Spike times read back as `None` when every stored time is exactly
/// `step * dt` (the file does not say whether they were given explicitly).
/// State traces come back grouped by population, populations and variables
/// in the order they were written.
///
/// In a child process when the guard is on ([`super::guard`]).
///
/// ```
/// use std::path::Path;
/// use spikesim::io::hdf5::{read_results, write_results};
/// let spec = spikesim::model::validate::parse_model(Path::new("m.toml"), r#"
/// [simulation]
/// dt = "0.1 ms"
/// duration = "100 ms"
///
/// [[population]]
/// name = "cell"
/// size = 2
/// model = "lif"
/// params = { tau_m = "10 ms", v_rest = "-70 mV", v_reset = "-70 mV", v_th = "-55 mV",
///            r_m = "100 Mohm", i_e = "0.2 nA" }
///
/// [[record]]
/// population = "cell"
/// variables = ["v"]
/// every = 10
/// "#)?;
/// let results = spikesim::engine::simulate(&spec, &mut |_, _| {});
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("run.h5");
/// write_results(&path, &results)?;
///
/// let back = read_results(&path)?;
/// assert_eq!(back.info.dt, 1e-4);
/// let spikes = back.spikes_of("cell").unwrap();
/// assert_eq!(spikes.senders, results.spikes_of("cell").unwrap().senders);
/// // State: `values[row * neurons + column]`, one row per sample (every
/// // 10 steps), in the variable's unit.
/// let v = back.state_of("cell", "v").unwrap();
/// assert_eq!((v.rows(), v.neurons.len(), v.unit.as_str()), (100, 2, "V"));
/// assert_eq!(v.steps[1], 10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_results(path: &Path) -> Result<Results, IoError> {
    super::guard::guarded(path, super::guard::Request::Results, || {
        read_results_here(path)
    })
}

/// [`read_results`] in this process.
pub(crate) fn read_results_here(path: &Path) -> Result<Results, IoError> {
    quiet_hdf5();
    let file = open(path)?;
    ensure_complete(&file, path)?;
    let info = read_info(&file, path)?;
    // Before the datasets, whose checks depend on dt.
    checks::check_info(&info).map_err(|d| malformed(path, &d.object, d.detail))?;
    let spikes = read_all_spikes(&file, path, info.dt)?;
    let states = read_all_states(&file, path, info.dt)?;
    let weights = weights::read_all(&file, path)?;
    let results = Results {
        info,
        spikes,
        states,
        weights,
    };
    checks::check(&results).map_err(|d| malformed(path, &d.object, d.detail))?;
    Ok(results)
}

/// hdf5-metno already turns off the C library's habit of printing its error
/// stack to stderr on each thread it is used from; asking again here keeps a
/// corrupt input from spraying that stack over the user's terminal should the
/// crate's default ever change.
fn quiet_hdf5() {
    ::hdf5::silence_errors(true);
}

/// Attaches the file path and what was being done to an HDF5 error.
trait Context<T> {
    fn context(self, path: &Path, action: impl FnOnce() -> String) -> Result<T, IoError>;
}

impl<T> Context<T> for ::hdf5::Result<T> {
    fn context(self, path: &Path, action: impl FnOnce() -> String) -> Result<T, IoError> {
        self.map_err(|e| IoError::Hdf5 {
            path: path.to_path_buf(),
            action: action(),
            message: e.to_string(),
        })
    }
}

// -------------------------------------------------------------- partial files

/// A file being written beside its final path and moved there only once
/// complete, so that an interrupted or failed write never leaves a file that
/// looks finished. Dropping it without [`PartialFile::commit`] removes it.
///
/// The plots use it too; it lives here because this module was its first user.
#[derive(Debug)]
pub(crate) struct PartialFile {
    target: PathBuf,
    partial: PathBuf,
    committed: bool,
    keep: bool,
}

impl PartialFile {
    /// `<name>.partial` beside `target`.
    pub(crate) fn new(target: &Path) -> Result<Self, IoError> {
        let mut name = target
            .file_name()
            .ok_or_else(|| no_file_name(target))?
            .to_os_string();
        name.push(".partial");
        Ok(Self::with_name(target, name))
    }

    /// `<stem>.partial.<ext>` beside `target`, for writers (the image
    /// encoder) that choose the format from the extension.
    pub(crate) fn keeping_extension(target: &Path) -> Result<Self, IoError> {
        let stem = target.file_stem().ok_or_else(|| no_file_name(target))?;
        let mut name = stem.to_os_string();
        name.push(".partial");
        if let Some(ext) = target.extension() {
            name.push(".");
            name.push(ext);
        }
        Ok(Self::with_name(target, name))
    }

    fn with_name(target: &Path, name: OsString) -> Self {
        Self {
            target: target.to_path_buf(),
            partial: target.with_file_name(name),
            committed: false,
            keep: false,
        }
    }

    /// Where to write.
    pub(crate) fn path(&self) -> &Path {
        &self.partial
    }

    /// Whether dropping it leaves the file in place (a streamed run's file,
    /// which a resume can continue) instead of removing it.
    pub(crate) fn keep_on_drop(&mut self, keep: bool) {
        self.keep = keep;
    }

    /// Moves the finished file onto the target path.
    pub(crate) fn commit(mut self) -> Result<(), IoError> {
        std::fs::rename(&self.partial, &self.target).map_err(|source| IoError::File {
            path: self.target.clone(),
            action: "move the finished file into place",
            source,
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.committed && !self.keep {
            // Nothing useful to do if this fails: the write already failed,
            // and that error is the one to report.
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

fn no_file_name(target: &Path) -> IoError {
    IoError::File {
        path: target.to_path_buf(),
        action: "write there",
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
    }
}

// ---------------------------------------------------------------- validation

/// The traces of one population, which share their steps and neurons.
struct PopulationStates<'a> {
    population: &'a str,
    traces: Vec<&'a StateTrace>,
}

impl PopulationStates<'_> {
    fn first(&self) -> &StateTrace {
        self.traces[0]
    }
}

fn invalid(path: &Path, detail: String) -> IoError {
    IoError::InvalidResults {
        path: path.to_path_buf(),
        detail,
    }
}

/// HDF5 link names cannot be empty or contain `/` or NUL, and `.` names the
/// group itself.
fn validate_name(path: &Path, what: &str, name: &str) -> Result<(), IoError> {
    if name.is_empty() || name == "." || name.contains(['/', '\0']) {
        return Err(invalid(
            path,
            format!("{what} name {name:?} cannot be an HDF5 name"),
        ));
    }
    Ok(())
}

fn validate_spikes(path: &Path, spikes: &[SpikeTrains]) -> Result<(), IoError> {
    for (i, train) in spikes.iter().enumerate() {
        let name = &train.population;
        validate_name(path, "population", name)?;
        if spikes[..i].iter().any(|t| t.population == *name) {
            return Err(invalid(
                path,
                format!("spikes of population `{name}` given twice"),
            ));
        }
        if train.senders.len() != train.steps.len() {
            return Err(invalid(
                path,
                format!(
                    "population `{name}` has {} spike steps but {} senders",
                    train.steps.len(),
                    train.senders.len()
                ),
            ));
        }
        if let Some(times) = &train.times
            && times.len() != train.steps.len()
        {
            return Err(invalid(
                path,
                format!(
                    "population `{name}` has {} spike steps but {} spike times",
                    train.steps.len(),
                    times.len()
                ),
            ));
        }
    }
    Ok(())
}

/// Groups traces by population in order of first appearance and checks that
/// each population's traces can share one set of axes.
fn group_states<'a>(
    path: &Path,
    states: &'a [StateTrace],
) -> Result<Vec<PopulationStates<'a>>, IoError> {
    let mut groups: Vec<PopulationStates<'a>> = Vec::new();
    for trace in states {
        validate_trace(path, trace)?;
        match groups.iter_mut().find(|g| g.population == trace.population) {
            Some(group) => {
                check_shared_axes(path, group, trace)?;
                group.traces.push(trace);
            }
            None => groups.push(PopulationStates {
                population: &trace.population,
                traces: vec![trace],
            }),
        }
    }
    Ok(groups)
}

fn validate_trace(path: &Path, trace: &StateTrace) -> Result<(), IoError> {
    validate_name(path, "population", &trace.population)?;
    validate_name(path, "variable", &trace.variable)?;
    let (population, variable) = (&trace.population, &trace.variable);
    if STATE_AXES.contains(&variable.as_str()) {
        return Err(invalid(
            path,
            format!(
                "state variable `{population}.{variable}` clashes with the shared `{variable}` dataset"
            ),
        ));
    }
    let expected = trace.steps.len() * trace.neurons.len();
    if trace.values.len() != expected {
        return Err(invalid(
            path,
            format!(
                "state `{population}.{variable}` has {} values, expected {} steps x {} neurons = {expected}",
                trace.values.len(),
                trace.steps.len(),
                trace.neurons.len()
            ),
        ));
    }
    Ok(())
}

fn check_shared_axes(
    path: &Path,
    group: &PopulationStates<'_>,
    trace: &StateTrace,
) -> Result<(), IoError> {
    let first = group.first();
    let (population, variable) = (&trace.population, &trace.variable);
    if group.traces.iter().any(|t| t.variable == *variable) {
        return Err(invalid(
            path,
            format!("state `{population}.{variable}` given twice"),
        ));
    }
    for (axis, same) in [
        ("neurons", first.neurons == trace.neurons),
        ("steps", first.steps == trace.steps),
    ] {
        if !same {
            return Err(invalid(
                path,
                format!(
                    "states `{population}.{}` and `{population}.{variable}` were recorded on different {axis}; \
                     variables of one population must share them",
                    first.variable
                ),
            ));
        }
    }
    Ok(())
}

// ------------------------------------------------------------------- writing

/// HDF5 would report a missing directory with the partial file's name and a
/// page of library detail; say it plainly instead.
fn ensure_parent_exists(path: &Path) -> Result<(), IoError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => Err(IoError::File {
            path: path.to_path_buf(),
            action: "create it",
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("directory {} does not exist", dir.display()),
            ),
        }),
        _ => Ok(()),
    }
}

/// Writes the whole file at `file_path`; errors name `path`, the user's.
fn write_file(
    file_path: &Path,
    path: &Path,
    results: &Results,
    states: &[PopulationStates<'_>],
) -> Result<(), IoError> {
    // The 1.8 format checksums its metadata, so a damaged file is reported
    // as an error on reading; with the older default format libhdf5 1.10
    // can crash on some damaged files instead.
    let file = File::with_options()
        .with_fapl(|p| p.libver_v18())
        .create(file_path)
        .context(path, || "creating the file".into())?;
    write_all_spikes(&file, path, &results.spikes, results.info.dt)?;
    write_all_states(&file, path, states, results.info.dt)?;
    weights::write_all(&file, path, &results.weights)?;
    write_info(&file, path, &results.info)?;
    // Results read from an interrupted file stay marked as such.
    if let Some(reached) = results.info.reached {
        write_reached(&file, path, reached)?;
    }
    let complete = u8::from(results.info.reached.is_none());
    write_attr(&file, path, "/", COMPLETE, &complete)?;
    file.close().context(path, || "closing the file".into())
}

fn create_group(parent: &Group, path: &Path, name: &str) -> Result<Group, IoError> {
    parent
        .create_group_builder()
        .with_gcpl(|p| p.link_creation_order(LinkCreationOrder::Indexed))
        .create(name)
        .context(path, || {
            format!("creating group `{}/{name}`", trimmed(parent))
        })
}

/// A group's name without the trailing `/` of the root, for joining.
fn trimmed(group: &Group) -> String {
    group.name().trim_end_matches('/').to_string()
}

fn write_1d<T: H5Type>(group: &Group, path: &Path, name: &str, data: &[T]) -> Result<(), IoError> {
    group
        .new_dataset_builder()
        .with_data(data)
        .create(name)
        .context(path, || format!("writing `{}/{name}`", trimmed(group)))?;
    Ok(())
}

fn write_2d<T: H5Type>(
    group: &Group,
    path: &Path,
    name: &str,
    shape: [usize; 2],
    data: &[T],
) -> Result<Dataset, IoError> {
    let action = || format!("writing `{}/{name}`", trimmed(group));
    let dataset = group
        .new_dataset::<T>()
        .shape(shape)
        .create(name)
        .context(path, action)?;
    if !data.is_empty() {
        dataset.write_raw(data).context(path, action)?;
    }
    Ok(dataset)
}

fn write_attr<T: H5Type>(
    location: &Location,
    path: &Path,
    object: &str,
    name: &str,
    value: &T,
) -> Result<(), IoError> {
    let action = || format!("writing attribute `{name}` of `{object}`");
    location
        .new_attr::<T>()
        .shape(())
        .create(name)
        .context(path, action)?
        .write_scalar(value)
        .context(path, action)
}

fn write_str_attr(
    location: &Location,
    path: &Path,
    object: &str,
    name: &str,
    value: &str,
) -> Result<(), IoError> {
    let value = VarLenUnicode::from_str(value)
        .map_err(|e| invalid(path, format!("attribute `{name}` of `{object}`: {e}")))?;
    write_attr(location, path, object, name, &value)
}

fn write_all_spikes(
    file: &File,
    path: &Path,
    spikes: &[SpikeTrains],
    dt: f64,
) -> Result<(), IoError> {
    let root = create_group(file, path, SPIKES)?;
    for train in spikes {
        let group = create_group(&root, path, &train.population)?;
        write_attr(&group, path, &group.name(), "size", &train.size)?;
        write_1d(&group, path, "times", &train.times(dt))?;
        mark_times(&group, path)?;
        write_1d(&group, path, "senders", &train.senders)?;
        write_1d(&group, path, "steps", &train.steps)?;
    }
    Ok(())
}

fn write_all_states(
    file: &File,
    path: &Path,
    states: &[PopulationStates<'_>],
    dt: f64,
) -> Result<(), IoError> {
    let root = create_group(file, path, STATE)?;
    for population in states {
        let group = create_group(&root, path, population.population)?;
        let axes = population.first();
        write_1d(&group, path, "times", &step_times(&axes.steps, dt))?;
        mark_times(&group, path)?;
        write_1d(&group, path, "steps", &axes.steps)?;
        write_1d(&group, path, "neurons", &axes.neurons)?;
        for trace in &population.traces {
            write_trace(&group, path, trace)?;
        }
    }
    Ok(())
}

fn step_times(steps: &[u64], dt: f64) -> Vec<f64> {
    steps.iter().map(|&s| s as f64 * dt).collect()
}

fn write_trace(group: &Group, path: &Path, trace: &StateTrace) -> Result<(), IoError> {
    let shape = [trace.steps.len(), trace.neurons.len()];
    let dataset = if trace.integer {
        let ints: Vec<i32> = trace.values.iter().map(|&x| x as i32).collect();
        write_2d(group, path, &trace.variable, shape, &ints)?
    } else {
        write_2d(group, path, &trace.variable, shape, &trace.values)?
    };
    describe_trace(&dataset, path, trace)
}

/// The attributes of a state variable's dataset: its unit, layout, threshold
/// and (fixed-point state) scale.
fn describe_trace(dataset: &Dataset, path: &Path, trace: &StateTrace) -> Result<(), IoError> {
    let object = dataset.name();
    write_str_attr(dataset, path, &object, "unit", &trace.unit)?;
    write_str_attr(dataset, path, &object, "layout", STATE_LAYOUT)?;
    if let Some(threshold) = trace.threshold {
        write_attr(dataset, path, &object, "threshold", &threshold)?;
    }
    if trace.integer {
        write_attr(dataset, path, &object, "scale", &FIXED_POINT_SCALE)?;
    }
    Ok(())
}

/// Gives the `times` dataset of `group` its unit, seconds.
fn mark_times(group: &Group, path: &Path) -> Result<(), IoError> {
    let dataset = open_dataset(group, path, "times")?;
    write_str_attr(&dataset, path, &dataset.name(), "unit", TIME_UNIT)
}

/// The `reached` root attribute of an interrupted run, with its unit.
fn write_reached(file: &File, path: &Path, reached: f64) -> Result<(), IoError> {
    write_attr(file, path, "/", stream::REACHED, &reached)?;
    write_str_attr(
        file,
        path,
        "/",
        &format!("{}_unit", stream::REACHED),
        TIME_UNIT,
    )
}

fn write_info(file: &File, path: &Path, info: &RunInfo) -> Result<(), IoError> {
    let strings = [
        ("model", &info.model_text),
        ("model_path", &info.model_path),
        ("spikesim_version", &info.version),
        ("engine", &info.engine),
    ];
    for (name, value) in strings {
        write_str_attr(file, path, "/", name, value)?;
    }
    let floats = [
        ("dt", info.dt),
        ("duration", info.duration),
        ("build_seconds", info.build_seconds),
        ("simulate_seconds", info.simulate_seconds),
    ];
    for (name, value) in floats {
        write_attr(file, path, "/", name, &value)?;
        // Every root float is a time; an attribute cannot carry a `unit`.
        write_str_attr(file, path, "/", &format!("{name}_unit"), TIME_UNIT)?;
    }
    write_attr(file, path, "/", "seed", &info.seed)?;
    write_attr(file, path, "/", "synapses", &info.synapses)?;
    write_attr(file, path, "/", "synaptic_events", &info.synaptic_events)?;
    write_attr(file, path, "/", "ranks", &info.ranks.max(1))?;
    write_attr(file, path, "/", "threads", &info.threads)
}

// ------------------------------------------------------------------- reading

pub(crate) fn open(path: &Path) -> Result<File, IoError> {
    let to_path = || path.to_path_buf();
    super::error::regular_file(path)?;
    File::open(path).map_err(|e| {
        if e.contains_minor(MinorErrorCode::NotHdf5) {
            IoError::NotHdf5 { path: to_path() }
        } else if e.to_string().contains("already open for write") {
            // Marked open by a streaming writer that never closed it (or
            // still writes it): a killed run's `.partial`.
            IoError::Incomplete { path: to_path() }
        } else {
            IoError::Hdf5 {
                path: to_path(),
                action: "opening the file".into(),
                message: e.to_string(),
            }
        }
    })
}

/// A finished run's file, or an interrupted one (`complete = 0` with
/// `reached`); anything else was left by a writer that did not close it.
fn ensure_complete(file: &File, path: &Path) -> Result<(), IoError> {
    let flag = has_attr(file, COMPLETE)
        .then(|| file.attr(COMPLETE).and_then(|a| a.read_scalar::<u8>()).ok())
        .flatten();
    match flag {
        Some(1) => Ok(()),
        Some(0) if has_attr(file, stream::REACHED) => Ok(()),
        _ => Err(IoError::Incomplete {
            path: path.to_path_buf(),
        }),
    }
}

fn has_attr(location: &Location, name: &str) -> bool {
    location
        .attr_names()
        .is_ok_and(|names| names.iter().any(|n| n == name))
}

fn malformed(path: &Path, object: &str, detail: impl ToString) -> IoError {
    IoError::Malformed {
        path: path.to_path_buf(),
        object: object.to_string(),
        detail: detail.to_string(),
    }
}

fn read_attr<T: H5Type>(
    location: &Location,
    path: &Path,
    object: &str,
    name: &str,
) -> Result<T, IoError> {
    if !has_attr(location, name) {
        return Err(IoError::MissingAttribute {
            path: path.to_path_buf(),
            object: object.to_string(),
            attribute: name.to_string(),
        });
    }
    location
        .attr(name)
        .and_then(|a| a.read_scalar::<T>())
        .map_err(|e| malformed(path, &format!("{object}@{name}"), e))
}

fn read_str_attr(
    location: &Location,
    path: &Path,
    object: &str,
    name: &str,
) -> Result<String, IoError> {
    let value = read_attr::<VarLenUnicode>(location, path, object, name)?;
    // Not `as_str`: it trusts the file to hold UTF-8, and a corrupt one may not.
    String::from_utf8(value.as_bytes().to_vec())
        .map_err(|e| malformed(path, &format!("{object}@{name}"), e))
}

fn read_info(file: &File, path: &Path) -> Result<RunInfo, IoError> {
    let text = |name| read_str_attr(file, path, "/", name);
    let float = |name| read_attr::<f64>(file, path, "/", name);
    Ok(RunInfo {
        model_text: text("model")?,
        model_path: text("model_path")?,
        seed: read_attr(file, path, "/", "seed")?,
        dt: float("dt")?,
        duration: float("duration")?,
        engine: text("engine")?,
        threads: read_attr(file, path, "/", "threads")?,
        ranks: if has_attr(file, "ranks") {
            read_attr(file, path, "/", "ranks")?
        } else {
            1
        },
        version: text("spikesim_version")?,
        build_seconds: float("build_seconds")?,
        simulate_seconds: float("simulate_seconds")?,
        synapses: read_attr(file, path, "/", "synapses")?,
        synaptic_events: read_attr(file, path, "/", "synaptic_events")?,
        reached: read_reached(file, path)?,
    })
}

/// The time an interrupted run reached; `None` for a complete file (even
/// should it carry a stale `reached`).
fn read_reached(file: &File, path: &Path) -> Result<Option<f64>, IoError> {
    let complete = read_attr::<u8>(file, path, "/", COMPLETE)?;
    if complete == 1 || !has_attr(file, stream::REACHED) {
        return Ok(None);
    }
    read_attr(file, path, "/", stream::REACHED).map(Some)
}

/// Member names in creation order, or by name for groups written by tools
/// that do not track the order.
fn member_names(group: &Group, path: &Path) -> Result<Vec<String>, IoError> {
    group
        .member_names_by(IndexType::CreationOrder, IterationOrder::Increasing)
        .or_else(|_| group.member_names())
        .context(path, || format!("listing `{}`", group.name()))
}

/// The named subgroup of the root, or `None` when the run recorded nothing
/// of that kind.
fn optional_group(file: &File, path: &Path, name: &str) -> Result<Option<Group>, IoError> {
    if !file.link_exists(name) {
        return Ok(None);
    }
    file.group(name)
        .map(Some)
        .map_err(|e| malformed(path, &format!("/{name}"), e))
}

fn subgroup(parent: &Group, path: &Path, name: &str) -> Result<Group, IoError> {
    let object = format!("{}/{name}", trimmed(parent));
    parent.group(name).map_err(|e| malformed(path, &object, e))
}

fn open_dataset(group: &Group, path: &Path, name: &str) -> Result<Dataset, IoError> {
    let object = format!("{}/{name}", trimmed(group));
    if !group.link_exists(name) {
        return Err(IoError::MissingDataset {
            path: path.to_path_buf(),
            dataset: object,
        });
    }
    group.dataset(name).map_err(|e| malformed(path, &object, e))
}

fn wrong_shape(path: &Path, object: String, detail: String) -> IoError {
    IoError::WrongShape {
        path: path.to_path_buf(),
        object,
        detail,
    }
}

fn read_1d<T: H5Type>(group: &Group, path: &Path, name: &str) -> Result<Vec<T>, IoError> {
    let dataset = open_dataset(group, path, name)?;
    let shape = dataset.shape();
    if shape.len() != 1 {
        return Err(wrong_shape(
            path,
            dataset.name(),
            format!("expected 1 dimension, found {shape:?}"),
        ));
    }
    dataset
        .read_raw::<T>()
        .map_err(|e| malformed(path, &dataset.name(), e))
}

fn expect_len(
    path: &Path,
    group: &Group,
    name: &str,
    len: usize,
    expected: usize,
) -> Result<(), IoError> {
    if len == expected {
        return Ok(());
    }
    Err(wrong_shape(
        path,
        format!("{}/{name}", trimmed(group)),
        format!("{len} elements, expected {expected} (as many as `steps`)"),
    ))
}

fn read_all_spikes(file: &File, path: &Path, dt: f64) -> Result<Vec<SpikeTrains>, IoError> {
    let Some(root) = optional_group(file, path, SPIKES)? else {
        return Ok(Vec::new());
    };
    member_names(&root, path)?
        .iter()
        .map(|population| {
            let group = subgroup(&root, path, population)?;
            read_spike_trains(&group, path, population, dt)
        })
        .collect()
}

fn read_spike_trains(
    group: &Group,
    path: &Path,
    population: &str,
    dt: f64,
) -> Result<SpikeTrains, IoError> {
    let size = read_attr(group, path, &group.name(), "size")?;
    let steps: Vec<u64> = read_1d(group, path, "steps")?;
    let senders: Vec<u32> = read_1d(group, path, "senders")?;
    let times: Vec<f64> = read_1d(group, path, "times")?;
    expect_len(path, group, "senders", senders.len(), steps.len())?;
    expect_len(path, group, "times", times.len(), steps.len())?;
    let times = (!on_grid(&times, &steps, dt)).then_some(times);
    Ok(SpikeTrains {
        population: population.to_string(),
        size,
        steps,
        senders,
        times,
    })
}

/// The `times` of state samples are written as `step * dt`; anything else
/// is damage (the steps are what the reader uses).
fn check_step_times(
    path: &Path,
    group: &Group,
    times: &[f64],
    steps: &[u64],
    dt: f64,
) -> Result<(), IoError> {
    let off = |(t, s): (&f64, &u64)| {
        let gap = (t - *s as f64 * dt).abs();
        gap.is_nan() || gap > 1e-9 * dt
    };
    match times.iter().zip(steps).position(off) {
        None => Ok(()),
        Some(k) => Err(malformed(
            path,
            &format!("{}/times", trimmed(group)),
            format!(
                "sample {k}: time {} s, but its step {} at dt = {dt} s is {} s",
                times[k],
                steps[k],
                steps[k] as f64 * dt
            ),
        )),
    }
}

/// Whether `times` are exactly what `step * dt` gives, bit for bit.
fn on_grid(times: &[f64], steps: &[u64], dt: f64) -> bool {
    times
        .iter()
        .zip(steps)
        .all(|(&t, &s)| t.to_bits() == (s as f64 * dt).to_bits())
}

fn read_all_states(file: &File, path: &Path, dt: f64) -> Result<Vec<StateTrace>, IoError> {
    let Some(root) = optional_group(file, path, STATE)? else {
        return Ok(Vec::new());
    };
    let mut states = Vec::new();
    for population in member_names(&root, path)? {
        let group = subgroup(&root, path, &population)?;
        states.extend(read_population_states(&group, path, &population, dt)?);
    }
    Ok(states)
}

fn read_population_states(
    group: &Group,
    path: &Path,
    population: &str,
    dt: f64,
) -> Result<Vec<StateTrace>, IoError> {
    let steps: Vec<u64> = read_1d(group, path, "steps")?;
    let neurons: Vec<u32> = read_1d(group, path, "neurons")?;
    let times: Vec<f64> = read_1d(group, path, "times")?;
    expect_len(path, group, "times", times.len(), steps.len())?;
    check_step_times(path, group, &times, &steps, dt)?;
    member_names(group, path)?
        .iter()
        .filter(|name| !STATE_AXES.contains(&name.as_str()))
        .map(|variable| {
            let (unit, threshold, values, integer) =
                read_trace_data(group, path, variable, [steps.len(), neurons.len()])?;
            Ok(StateTrace {
                population: population.to_string(),
                variable: variable.clone(),
                unit,
                neurons: neurons.clone(),
                steps: steps.clone(),
                values,
                threshold,
                integer,
            })
        })
        .collect()
}

/// Unit, threshold and values of one variable's dataset, and whether it
/// holds integers (fixed-point state).
fn read_trace_data(
    group: &Group,
    path: &Path,
    variable: &str,
    shape: [usize; 2],
) -> Result<(String, Option<f64>, Vec<f64>, bool), IoError> {
    let dataset = open_dataset(group, path, variable)?;
    let object = dataset.name();
    let found = dataset.shape();
    if found != shape {
        return Err(wrong_shape(
            path,
            object,
            format!("found {found:?}, expected {shape:?} (steps x neurons)"),
        ));
    }
    let integer = matches!(
        dataset.dtype().and_then(|t| t.to_descriptor()),
        Ok(::hdf5::types::TypeDescriptor::Integer(_))
    );
    let values = if integer {
        dataset
            .read_raw::<i32>()
            .map_err(|e| malformed(path, &object, e))?
            .into_iter()
            .map(f64::from)
            .collect()
    } else {
        dataset
            .read_raw::<f64>()
            .map_err(|e| malformed(path, &object, e))?
    };
    let unit = read_str_attr(&dataset, path, &object, "unit")?;
    let threshold = if has_attr(&dataset, "threshold") {
        Some(read_attr(&dataset, path, &object, "threshold")?)
    } else {
        None
    };
    Ok((unit, threshold, values, integer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::results::WeightTrace;

    fn info() -> RunInfo {
        RunInfo {
            model_text: "[network]\nname = \"tiny – ünïcode\"\n".into(),
            model_path: "models/tiny.toml".into(),
            seed: u64::MAX - 3,
            dt: 1e-4,
            duration: 0.5,
            engine: "clock".into(),
            threads: 2,
            ranks: 3,
            version: "0.1.0".into(),
            build_seconds: 0.25,
            simulate_seconds: 1.5,
            synapses: 1234,
            synaptic_events: 56789,
            reached: None,
        }
    }

    fn trace(variable: &str, unit: &str, threshold: Option<f64>) -> StateTrace {
        StateTrace {
            population: "exc".into(),
            variable: variable.into(),
            unit: unit.into(),
            neurons: vec![0, 2],
            steps: vec![0, 1, 2],
            values: vec![-0.07, -0.069, -0.065, -0.06, -0.055, -0.07],
            threshold,
            integer: false,
        }
    }

    fn sample() -> Results {
        let mut exc = SpikeTrains::new("exc", 4);
        exc.steps = vec![3, 3, 17, 4999];
        exc.senders = vec![0, 2, 1, 3];
        Results {
            info: info(),
            spikes: vec![exc, SpikeTrains::new("inh", 2)],
            states: vec![trace("v", "V", Some(-0.05)), trace("g_exc", "S", None)],
            weights: vec![WeightTrace {
                projection: "in->out".into(),
                unit: "V".into(),
                pre: vec![0, 0, 1],
                post: vec![0, 1, 1],
                steps: vec![0, 10],
                times: vec![0.0, 10.0 * 1e-4],
                values: vec![1e-3, 2e-3, 3e-3, 1.5e-3, 0.0, 4e-3],
            }],
        }
    }

    fn write_then_read(results: &Results) -> Results {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.h5");
        write_results(&path, results).unwrap();
        read_results(&path).unwrap()
    }

    #[test]
    fn round_trip_is_exact() {
        let results = sample();
        assert_eq!(write_then_read(&results), results);
    }

    #[test]
    fn off_grid_spike_times_round_trip() {
        let mut results = sample();
        results.spikes[0].times = Some(vec![0.00031, 0.000312, 0.0017, 0.49991]);
        assert_eq!(write_then_read(&results), results);
    }

    #[test]
    fn population_order_is_kept() {
        let mut results = sample();
        results.spikes.reverse();
        results.states.reverse();
        assert_eq!(write_then_read(&results), results);
    }

    #[test]
    fn empty_results_round_trip() {
        let results = Results {
            info: info(),
            ..Default::default()
        };
        assert_eq!(write_then_read(&results), results);
    }

    #[test]
    fn layout_is_as_documented() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.h5");
        write_results(&path, &sample()).unwrap();
        let file = File::open(&path).unwrap();
        let times = file.dataset("spikes/exc/times").unwrap();
        let expected: Vec<f64> = [3u64, 3, 17, 4999]
            .iter()
            .map(|&s| s as f64 * 1e-4)
            .collect();
        assert_eq!(times.read_raw::<f64>().unwrap(), expected);
        assert_eq!(file.dataset("spikes/inh/steps").unwrap().shape(), vec![0]);
        let size: u32 = file
            .group("spikes/exc")
            .unwrap()
            .attr("size")
            .unwrap()
            .read_scalar()
            .unwrap();
        assert_eq!(size, 4);
        let v = file.dataset("state/exc/v").unwrap();
        assert_eq!(v.shape(), vec![3, 2]);
        assert!(
            file.dataset("state/exc/g_exc")
                .unwrap()
                .attr("threshold")
                .is_err()
        );
        assert_eq!(
            file.dataset("state/exc/times")
                .unwrap()
                .read_raw::<f64>()
                .unwrap(),
            vec![0.0, 1e-4, 2.0 * 1e-4]
        );
        let complete: u8 = file.attr("complete").unwrap().read_scalar().unwrap();
        assert_eq!(complete, 1);
    }

    /// What `write_results` says about units and layouts, read back with
    /// the HDF5 library: an interrupted run's `reached` has its unit beside
    /// it, integer state its scale, weights their layout (the streamed
    /// writer is checked from real runs in tests/simulate/hdf5_units.rs).
    #[test]
    fn units_and_layouts_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.h5");
        let mut results = sample();
        results.info.reached = Some(0.25);
        let mut fixed = trace("u", "", None);
        fixed.population = "chip".into();
        fixed.integer = true;
        fixed.values = vec![1.0, -2.0, 3.0, 4.0, 0.0, 7.0];
        results.states.push(fixed);
        write_results(&path, &results).unwrap();
        let file = File::open(&path).unwrap();
        let text = |location: &Location, name: &str| -> String {
            let value: VarLenUnicode = location.attr(name).unwrap().read_scalar().unwrap();
            value.as_str().to_string()
        };
        for name in [
            "dt",
            "duration",
            "build_seconds",
            "simulate_seconds",
            "reached",
        ] {
            assert_eq!(text(&file, &format!("{name}_unit")), TIME_UNIT, "{name}");
        }
        for times in [
            "spikes/exc/times",
            "state/exc/times",
            "weights/in->out/times",
        ] {
            assert_eq!(text(&file.dataset(times).unwrap(), "unit"), "s", "{times}");
        }
        let v = file.dataset("state/exc/v").unwrap();
        assert_eq!(text(&v, "layout"), STATE_LAYOUT);
        assert!(v.attr("scale").is_err());
        let u = file.dataset("state/chip/u").unwrap();
        let scale: f64 = u.attr("scale").unwrap().read_scalar().unwrap();
        assert_eq!(scale, 1.0);
        assert_eq!(u.read_raw::<i32>().unwrap(), vec![1, -2, 3, 4, 0, 7]);
        let w = file.dataset("weights/in->out/values").unwrap();
        assert_eq!(text(&w, "layout"), WEIGHTS_LAYOUT);
        assert_eq!(w.shape(), vec![2, 3], "snapshots x synapses");
        // The reader takes the file as before.
        let back = read_results(&path).unwrap();
        assert_eq!(back.info.reached, Some(0.25));
        assert_eq!(
            back.state_of("chip", "u").unwrap().values,
            results.states[2].values
        );
    }

    fn partial_of(path: &Path) -> PathBuf {
        path.with_file_name("run.h5.partial")
    }

    #[test]
    fn disagreeing_variables_are_refused_and_leave_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.h5");
        let mut results = sample();
        results.states[1].neurons = vec![0, 1];
        let err = write_results(&path, &results).unwrap_err();
        assert!(matches!(err, IoError::InvalidResults { .. }), "{err}");
        assert!(err.to_string().contains("different neurons"), "{err}");
        assert!(!path.exists());
        assert!(!partial_of(&path).exists());
    }

    #[test]
    fn failing_midway_removes_the_partial_file_and_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.h5");
        let good = sample();
        write_results(&path, &good).unwrap();
        let mut bad = sample();
        // Found only when the root attributes are written, after the spikes
        // and states already are.
        bad.info.model_text = "nul \0 inside".into();
        let err = write_results(&path, &bad).unwrap_err();
        assert!(matches!(err, IoError::InvalidResults { .. }), "{err}");
        assert!(!partial_of(&path).exists());
        assert_eq!(read_results(&path).unwrap(), good);
    }

    #[test]
    fn inconsistent_lengths_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.h5");
        let mut results = sample();
        results.spikes[0].senders.pop();
        assert!(matches!(
            write_results(&path, &results),
            Err(IoError::InvalidResults { .. })
        ));
        let mut results = sample();
        results.states[0].values.pop();
        assert!(matches!(
            write_results(&path, &results),
            Err(IoError::InvalidResults { .. })
        ));
        let mut results = sample();
        results.spikes[1].population = "a/b".into();
        assert!(matches!(
            write_results(&path, &results),
            Err(IoError::InvalidResults { .. })
        ));
        assert!(!path.exists());
    }

    /// What the reader refuses, the writer refuses too, naming the dataset
    /// the defect would be in, and writes nothing.
    #[test]
    fn results_breaking_the_layout_rules_are_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.h5");
        type Damage = fn(&mut Results);
        let cases: [(Damage, &str); 5] = [
            (
                |r| r.spikes[0].senders[1] = 4,
                "`/spikes/exc/senders`: spike 1: sender 4",
            ),
            (
                |r| r.spikes[0].steps.swap(1, 2),
                "`/spikes/exc/steps`: spike 2: step 3 follows step 17",
            ),
            (
                |r| r.spikes[0].steps[3] = 5002,
                "`/spikes/exc/steps`: spike 3: step 5002",
            ),
            (
                |r| r.states[1].values[4] = f64::NAN,
                "`/state/exc/g_exc`: step row 2, column 0: value NaN",
            ),
            (
                |r| r.weights[0].times[1] = f64::INFINITY,
                "`/weights/in->out/times`: snapshot 1: time inf s",
            ),
        ];
        for (damage, message) in cases {
            let mut results = sample();
            damage(&mut results);
            let err = write_results(&path, &results).unwrap_err();
            assert!(matches!(err, IoError::InvalidResults { .. }), "{err}");
            assert!(err.to_string().contains(message), "{err}");
            assert!(!path.exists());
        }
        // One step past the end is the event engine's last grid point.
        let mut results = sample();
        results.spikes[0].steps[3] = 5001;
        write_results(&path, &results).unwrap();
    }

    #[test]
    fn missing_directory_is_reported_plainly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent").join("run.h5");
        let err = write_results(&path, &sample()).unwrap_err();
        assert!(matches!(err, IoError::File { .. }), "{err}");
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    fn assert_names_path(err: &IoError, path: &Path) {
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err} does not name {}",
            path.display()
        );
    }

    #[test]
    fn missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.h5");
        let err = read_results(&path).unwrap_err();
        assert!(matches!(err, IoError::NotFound { .. }), "{err}");
        assert_names_path(&err, &path);
    }

    #[test]
    fn text_file_is_not_hdf5() {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in [("text.h5", &b"time,neuron\n0.1,3\n"[..]), ("empty.h5", b"")] {
            let path = dir.path().join(name);
            std::fs::write(&path, content).unwrap();
            let err = read_results(&path).unwrap_err();
            assert!(matches!(err, IoError::NotHdf5 { .. }), "{err}");
            assert_names_path(&err, &path);
        }
    }

    #[test]
    fn directory_is_not_hdf5() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_results(dir.path()).unwrap_err();
        assert!(matches!(err, IoError::NotHdf5 { .. }), "{err}");
    }

    #[test]
    fn file_without_complete_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.h5");
        write_results(&path, &sample()).unwrap();
        File::open_rw(&path).unwrap().delete_attr(COMPLETE).unwrap();
        let err = read_results(&path).unwrap_err();
        assert!(matches!(err, IoError::Incomplete { .. }), "{err}");
        assert_names_path(&err, &path);
        assert!(err.to_string().contains("incomplete"), "{err}");
    }

    #[test]
    fn missing_dataset_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.h5");
        write_results(&path, &sample()).unwrap();
        File::open_rw(&path)
            .unwrap()
            .unlink("spikes/exc/times")
            .unwrap();
        let err = read_results(&path).unwrap_err();
        assert!(matches!(err, IoError::MissingDataset { .. }), "{err}");
        assert_names_path(&err, &path);
        assert!(err.to_string().contains("/spikes/exc/times"), "{err}");
    }

    #[test]
    fn wrong_shape_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.h5");
        write_results(&path, &sample()).unwrap();
        {
            let file = File::open_rw(&path).unwrap();
            file.unlink("spikes/exc/senders").unwrap();
            let group = file.group("spikes/exc").unwrap();
            group
                .new_dataset_builder()
                .with_data(&[1u32, 2][..])
                .create("senders")
                .unwrap();
        }
        let err = read_results(&path).unwrap_err();
        assert!(matches!(err, IoError::WrongShape { .. }), "{err}");
        assert!(err.to_string().contains("/spikes/exc/senders"), "{err}");
    }

    #[test]
    fn wrong_type_is_malformed_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.h5");
        write_results(&path, &sample()).unwrap();
        {
            let file = File::open_rw(&path).unwrap();
            file.delete_attr("model").unwrap();
            file.new_attr::<f64>()
                .shape(())
                .create("model")
                .unwrap()
                .write_scalar(&1.0)
                .unwrap();
        }
        let err = read_results(&path).unwrap_err();
        assert!(matches!(err, IoError::Malformed { .. }), "{err}");
    }

    #[test]
    fn truncated_file_does_not_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.h5");
        write_results(&path, &sample()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        for len in [8, 100, bytes.len() / 2, bytes.len() - 1] {
            std::fs::write(&path, &bytes[..len]).unwrap();
            assert!(read_results(&path).is_err(), "truncated to {len} bytes");
        }
    }
}
