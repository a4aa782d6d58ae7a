//! A run file written while the run goes on: the layout of the parent module
//! in chunked datasets that grow with every appended segment of recordings.
//!
//! Memory stays bounded whatever the duration: each dataset's chunk cache
//! holds at most the chunk being filled, and the chunk size is chosen so that
//! all of them together stay within [`BUFFER_BYTES`].
//!
//! The file is `<target>.partial` until [`ResultsStream::finish`] (complete)
//! or [`ResultsStream::interrupt`] (`complete = 0` and `reached`) moves it
//! onto the target, so the target path only ever holds a closed file.
//!
//! Crash consistency. The file is written in HDF5's single-writer /
//! multiple-reader (SWMR) mode: the library then writes metadata in an order
//! that keeps the file readable at every moment, and [`ResultsStream::flush`]
//! puts everything appended so far on disk (`H5Fflush`, then `fsync`). A
//! writer killed with SIGKILL therefore leaves a `.partial` whose datasets
//! hold at least what the last flush wrote, marked "open for writing" in its
//! superblock. [`ResultsStream::resume`] clears that mark (what `h5clear -s`
//! does), cuts every dataset back to the positions of the last flush (recorded
//! by the caller beside its checkpoint) and continues. A power cut is
//! covered as far as the disk honours `fsync`; that is not tested here.

use std::path::{Path, PathBuf};

use ::hdf5::plist::file_access::FileAccessBuilder;
use ::hdf5::{Dataset, Extent, File, Group, H5Type, SimpleExtents};
use ndarray::{ArrayView1, ArrayView2, s};

use super::{
    COMPLETE, Context, IoError, PartialFile, SPIKES, STATE, STATE_AXES, checks, create_group,
    ensure_parent_exists, group_states, has_attr, invalid, member_names, open_dataset,
    optional_group, quiet_hdf5, read_attr, step_times, subgroup, validate_name, validate_spikes,
    write_attr, write_info,
};
use crate::io::results::{Results, RunInfo, SpikeTrains, StateTrace, WeightTrace};

/// Root attribute naming the run that writes the file, so that a resume
/// never continues another run's file.
pub(super) const RUN_ID: &str = "run_id";
/// Root attribute of an interrupted file: the simulated time it holds, s.
pub(super) const REACHED: &str = "reached";
const WEIGHTS: &str = "weights";

/// What all the chunk caches of one file may hold together.
pub const BUFFER_BYTES: usize = 64 << 20;
/// The largest chunk: about what HDF5 advises (10 KiB to 1 MiB).
const MAX_CHUNK_BYTES: usize = 1 << 20;
/// The smallest chunk, however many datasets share the buffer.
const MIN_CHUNK_BYTES: usize = 16 << 10;
/// Spike counts are not known in advance; a chunk of this many spikes is
/// what a short run wastes at most per dataset (the last chunk is allocated
/// whole).
const SPIKE_CHUNK: usize = 16 << 10;

/// Every appendable dataset's length (rows), in the fixed order of
/// [`ResultsStream::positions`]: per spike population `times`, `senders`,
/// `steps`; per state population `times`, `steps`, then each variable; per
/// weight projection `times`, `steps`, `values`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Positions(pub Vec<u64>);

/// A run file being written segment by segment.
///
/// Dropping it without [`finish`](Self::finish) or
/// [`interrupt`](Self::interrupt) leaves the `.partial` file (and closes it):
/// a run that fails can still be resumed from its last checkpoint. Call
/// [`discard`](Self::discard) to remove it instead.
#[derive(Debug)]
pub struct ResultsStream {
    /// `None` once closed.
    file: Option<File>,
    /// `None` once moved onto the target.
    partial: Option<PartialFile>,
    target: PathBuf,
    layout: Layout,
    series: Vec<Series>,
    /// The last step written per spike population, state population and
    /// projection, in that order: segments must continue in time order.
    last_steps: Vec<Option<u64>>,
}

/// The shape every segment must have.
#[derive(Debug, Clone, PartialEq)]
struct Layout {
    dt: f64,
    spikes: Vec<(String, u32)>,
    states: Vec<StateLayout>,
    /// Projection and synapse count.
    weights: Vec<(String, usize)>,
}

#[derive(Debug, Clone, PartialEq)]
struct StateLayout {
    population: String,
    neurons: Vec<u32>,
    /// Variable name and whether it is an integer trace.
    variables: Vec<(String, bool)>,
}

/// One appendable dataset.
#[derive(Debug)]
struct Series {
    dataset: Dataset,
    /// `/spikes/exc/times`, for messages.
    object: String,
    /// Columns of a 2-D dataset, `None` for a 1-D one.
    width: Option<usize>,
    len: u64,
}

impl ResultsStream {
    /// Starts `<target>.partial` (replacing any file of that name) with the
    /// datasets of `layout` (its populations, variables, neurons, projections,
    /// units and `info`), all empty: the rows of `layout` are not written,
    /// [`append`](Self::append) them.
    pub fn create(target: &Path, layout: &Results, run_id: u64) -> Result<Self, IoError> {
        Self::create_with_buffer(target, layout, run_id, BUFFER_BYTES)
    }

    /// [`create`](Self::create) with the chunk caches of all datasets
    /// together bounded by `buffer` bytes instead of [`BUFFER_BYTES`] (it
    /// sets the chunk size, between 16 KiB and 1 MiB, so very many datasets
    /// can take more).
    pub fn create_with_buffer(
        target: &Path,
        layout: &Results,
        run_id: u64,
        buffer: usize,
    ) -> Result<Self, IoError> {
        quiet_hdf5();
        let shape = Layout::of(target, layout)?;
        ensure_parent_exists(target)?;
        // Removed again should creating it fail.
        let partial = PartialFile::new(target)?;
        let file = File::with_options()
            .with_fapl(|p| unlocked(p).libver_latest())
            .create(partial.path())
            .context(target, || "creating the file".into())?;
        let chunk_bytes = chunk_bytes(&shape, buffer);
        let rows = expected_rows(&layout.info);
        create_spikes(&file, target, &layout.spikes, chunk_bytes)?;
        create_states(&file, target, &shape, layout, chunk_bytes, rows)?;
        create_weights(&file, target, &layout.weights, chunk_bytes, rows)?;
        write_info(&file, target, &layout.info)?;
        write_attr(&file, target, "/", RUN_ID, &run_id)?;
        write_attr(&file, target, "/", COMPLETE, &0u8)?;
        file.close()
            .context(target, || "closing the new file".into())?;
        Self::open(target, partial, shape)
    }

    /// Reopens the file of run `run_id`: its `<target>.partial` (left by a
    /// killed writer) or else the interrupted file at `target`; cuts every
    /// dataset back to `at` (the positions of a flush) and continues.
    pub fn resume(target: &Path, run_id: u64, at: &Positions) -> Result<Self, IoError> {
        quiet_hdf5();
        // Kept whatever happens: it may be this run's or another's.
        let mut kept = PartialFile::new(target)?;
        kept.keep_on_drop(true);
        let partial = kept.path().to_path_buf();
        let found = run_of(&partial, target)?;
        if found != Some(run_id) {
            let interrupted = run_of_closed(target)?;
            if interrupted != Some(run_id) || complete(target)? {
                return Err(not_this_run(target, &partial, run_id, found, interrupted));
            }
            std::fs::rename(target, &partial).map_err(|source| IoError::File {
                path: target.to_path_buf(),
                action: "move the interrupted file aside to continue it",
                source,
            })?;
        }
        let file = open_unlocked(&partial)
            .context(target, || format!("reopening {}", partial.display()))?;
        let layout = Layout::read(&file, target)?;
        file.close().context(target, || "closing the file".into())?;
        // Cut back in SWMR mode, so that a writer killed while resuming
        // leaves a file that can be resumed again. An interrupted file's
        // `reached` stays until the file is finished or interrupted again,
        // which rewrites every root attribute.
        let mut stream = Self::open(target, kept, layout)?;
        stream.cut(at)?;
        Ok(stream)
    }

    /// Opens the closed file for appending in SWMR mode.
    fn open(target: &Path, mut partial: PartialFile, layout: Layout) -> Result<Self, IoError> {
        let cache = largest_chunk(partial.path(), target, &layout)?;
        let file = File::with_options()
            .with_fapl(|p| unlocked(p).libver_latest().chunk_cache(521, cache, 1.0))
            .open_rw(partial.path())
            .context(target, || "reopening the file".into())?;
        file.start_swmr()
            .context(target, || "starting single-writer mode".into())?;
        let series = open_series(&file, target, &layout)?;
        // From here on the file holds a run that can be resumed.
        partial.keep_on_drop(true);
        let mut stream = Self {
            file: Some(file),
            partial: Some(partial),
            target: target.to_path_buf(),
            layout,
            series,
            last_steps: Vec::new(),
        };
        stream.last_steps = stream.read_last_steps()?;
        Ok(stream)
    }

    /// The rows held by each dataset, in the order of [`Positions`].
    pub fn positions(&self) -> Positions {
        Positions(self.series.iter().map(|s| s.len).collect())
    }

    /// Appends one segment's rows (same populations, variables, neurons and
    /// projections as the layout, in time order after what is written).
    /// A segment that does not fit is refused before anything is written.
    pub fn append(&mut self, segment: &Results) -> Result<(), IoError> {
        self.check_segment(segment)?;
        let dt = self.layout.dt;
        let mut k = 0;
        for train in &segment.spikes {
            self.extend(k, &train.times(dt))?;
            self.extend(k + 1, &train.senders)?;
            self.extend(k + 2, &train.steps)?;
            k += 3;
        }
        let mut traces = segment.states.iter();
        for population in &self.layout.states.clone() {
            let group: Vec<&StateTrace> =
                traces.by_ref().take(population.variables.len()).collect();
            let steps = &group[0].steps;
            self.extend(k, &step_times(steps, dt))?;
            self.extend(k + 1, steps)?;
            k += 2;
            for trace in group {
                let rows = trace.rows();
                if trace.integer {
                    let ints: Vec<i32> = trace.values.iter().map(|&x| x as i32).collect();
                    self.extend_rows(k, &ints, rows)?;
                } else {
                    self.extend_rows(k, &trace.values, rows)?;
                }
                k += 1;
            }
        }
        for w in &segment.weights {
            self.extend(k, &w.times)?;
            self.extend(k + 1, &w.steps)?;
            self.extend_rows(k + 2, &w.values, w.steps.len())?;
            k += 3;
        }
        self.note_last_steps(segment);
        Ok(())
    }

    /// Puts everything appended so far on disk: after this returns, a
    /// killed process leaves a file [`resume`](Self::resume) can continue
    /// from [`positions`](Self::positions).
    pub fn flush(&mut self) -> Result<(), IoError> {
        let file = self.file.as_ref().ok_or_else(|| closed(&self.target))?;
        file.flush()
            .context(&self.target, || "flushing the file".into())?;
        sync(self.partial_path()?, &self.target)
    }

    /// Writes the run's final `info`, `complete = 1` last, and moves the
    /// file onto the target.
    pub fn finish(mut self, info: &RunInfo) -> Result<(), IoError> {
        self.close_with(info, None)?;
        self.commit()
    }

    /// Writes `info`, `reached` (seconds simulated) and `complete = 0`, and
    /// moves the file onto the target: an interrupted run's file, which the
    /// readers accept with a warning.
    pub fn interrupt(mut self, info: &RunInfo, reached: f64) -> Result<(), IoError> {
        self.close_with(info, Some(reached))?;
        self.commit()
    }

    /// Closes and removes the `.partial` file.
    pub fn discard(mut self) {
        self.close();
        if let Some(partial) = &mut self.partial {
            partial.keep_on_drop(false);
        }
    }

    fn partial_path(&self) -> Result<&Path, IoError> {
        self.partial
            .as_ref()
            .map(PartialFile::path)
            .ok_or_else(|| closed(&self.target))
    }

    fn commit(mut self) -> Result<(), IoError> {
        self.close();
        let partial = self.partial.take().ok_or_else(|| closed(&self.target))?;
        partial.commit()
    }

    /// Closes the SWMR session, then writes the final attributes in an
    /// ordinary one (an SWMR writer cannot add attributes).
    fn close_with(&mut self, info: &RunInfo, reached: Option<f64>) -> Result<(), IoError> {
        let target = self.target.clone();
        // What the readers would refuse is refused before the file changes.
        let written = RunInfo {
            reached,
            ..info.clone()
        };
        checks::check_info(&written)
            .map_err(|d| invalid(&target, format!("`{}`: {}", d.object, d.detail)))?;
        if info.dt.to_bits() != self.layout.dt.to_bits() {
            return Err(invalid(
                &target,
                format!(
                    "the run's dt {} s differs from the {} s the file's times were written with",
                    info.dt, self.layout.dt
                ),
            ));
        }
        self.flush()?;
        self.series.clear();
        if let Some(file) = self.file.take() {
            file.close()
                .context(&target, || "closing the file".into())?;
        }
        let partial = self.partial_path()?.to_path_buf();
        let file = File::with_options()
            .with_fapl(|p| unlocked(p).libver_latest())
            .open_rw(&partial)
            .context(&target, || "reopening the file to finish it".into())?;
        for name in file
            .attr_names()
            .context(&target, || "listing the root attributes".into())?
        {
            if name != RUN_ID {
                file.delete_attr(&name)
                    .context(&target, || format!("replacing attribute `{name}`"))?;
            }
        }
        write_info(&file, &target, info)?;
        if let Some(reached) = reached {
            super::write_reached(&file, &target, reached)?;
        }
        write_attr(&file, &target, "/", COMPLETE, &u8::from(reached.is_none()))?;
        file.close()
            .context(&target, || "closing the file".into())?;
        sync(&partial, &target)
    }

    /// Drops the dataset handles and the file: the library closes the file
    /// with its last handle.
    fn close(&mut self) {
        self.series.clear();
        if let Some(file) = self.file.take() {
            // Only reached on error paths and `discard`, where the file's
            // fate is already decided.
            let _ = file.close();
        }
    }

    /// Appends the values of a 1-D dataset.
    fn extend<T: H5Type>(&mut self, k: usize, data: &[T]) -> Result<(), IoError> {
        self.extend_rows(k, data, data.len())
    }

    /// Appends `rows` rows (the row count matters for rows of no columns).
    fn extend_rows<T: H5Type>(&mut self, k: usize, data: &[T], rows: usize) -> Result<(), IoError> {
        let target = &self.target;
        let series = &mut self.series[k];
        if rows == 0 {
            return Ok(());
        }
        let (start, end) = (series.len as usize, series.len as usize + rows);
        let object = series.object.clone();
        let action = || format!("appending to `{object}`");
        match series.width {
            None => {
                series.dataset.resize([end]).context(target, action)?;
                series
                    .dataset
                    .write_slice(ArrayView1::from(data), s![start..end])
                    .context(target, action)?;
            }
            Some(w) => {
                series.dataset.resize([end, w]).context(target, action)?;
                let view = ArrayView2::from_shape((rows, w), data)
                    .map_err(|e| invalid(target, format!("`{object}`: {e}")))?;
                series
                    .dataset
                    .write_slice(view, s![start..end, ..])
                    .context(target, action)?;
            }
        }
        series.len = end as u64;
        Ok(())
    }

    /// The `steps` series of each group, in group order.
    fn steps_series(&self) -> Vec<usize> {
        let mut k = 0;
        let mut found = Vec::new();
        for _ in &self.layout.spikes {
            found.push(k + 2);
            k += 3;
        }
        for s in &self.layout.states {
            found.push(k + 1);
            k += 2 + s.variables.len();
        }
        for _ in &self.layout.weights {
            found.push(k + 1);
            k += 3;
        }
        found
    }

    fn read_last_steps(&self) -> Result<Vec<Option<u64>>, IoError> {
        self.steps_series()
            .into_iter()
            .map(|k| {
                let series = &self.series[k];
                if series.len == 0 {
                    return Ok(None);
                }
                let last = series.len as usize - 1;
                let value: Vec<u64> = series
                    .dataset
                    .read_slice_1d(s![last..last + 1])
                    .context(&self.target, || format!("reading `{}`", series.object))?
                    .to_vec();
                Ok(value.first().copied())
            })
            .collect()
    }

    fn note_last_steps(&mut self, segment: &Results) {
        let lasts = segment_steps(segment).map(|steps| steps.last().copied());
        for (slot, last) in self.last_steps.iter_mut().zip(lasts) {
            if last.is_some() {
                *slot = last;
            }
        }
    }

    /// Refuses a segment that would break the layout or the file's rules.
    fn check_segment(&self, segment: &Results) -> Result<(), IoError> {
        let target = &self.target;
        validate_spikes(target, &segment.spikes)?;
        group_states(target, &segment.states)?;
        let found = Layout::of(target, segment)?;
        let expected = &self.layout;
        let differs = |what: &str| {
            invalid(
                target,
                format!("this segment's {what} differ from the stream's layout"),
            )
        };
        if found.spikes != expected.spikes {
            return Err(differs("spike populations"));
        }
        if found.states != expected.states {
            return Err(differs("state traces (populations, variables or neurons)"));
        }
        if found.weights != expected.weights {
            return Err(differs("weight projections"));
        }
        checks::check(segment)
            .map_err(|d| invalid(target, format!("`{}`: {}", d.object, d.detail)))?;
        let names = self.layout.group_names();
        for ((steps, last), name) in segment_steps(segment).zip(&self.last_steps).zip(names) {
            if let (Some(&first), Some(last)) = (steps.first(), last)
                && first < *last
            {
                return Err(invalid(
                    target,
                    format!(
                        "`{name}/steps`: this segment starts at step {first}, before step {last} already written"
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl Drop for ResultsStream {
    fn drop(&mut self) {
        self.close();
    }
}

fn closed(target: &Path) -> IoError {
    IoError::File {
        path: target.to_path_buf(),
        action: "write it",
        source: std::io::Error::other("the stream is already closed"),
    }
}

/// The `steps` of each group of a segment (spike populations, state
/// populations, projections), in group order.
fn segment_steps(segment: &Results) -> impl Iterator<Item = &[u64]> {
    let mut seen: Vec<&str> = Vec::new();
    let states = segment.states.iter().filter_map(move |t| {
        if seen.contains(&t.population.as_str()) {
            None
        } else {
            seen.push(&t.population);
            Some(t.steps.as_slice())
        }
    });
    segment
        .spikes
        .iter()
        .map(|s| s.steps.as_slice())
        .chain(states)
        .chain(segment.weights.iter().map(|w| w.steps.as_slice()))
}

impl Layout {
    /// The layout of in-memory results, refusing what the file cannot hold.
    fn of(path: &Path, results: &Results) -> Result<Self, IoError> {
        validate_spikes(path, &results.spikes)?;
        let groups = group_states(path, &results.states)?;
        for w in &results.weights {
            validate_name(path, "projection", &w.projection)?;
        }
        checks::check_info(&results.info)
            .map_err(|d| invalid(path, format!("`{}`: {}", d.object, d.detail)))?;
        Ok(Self {
            dt: results.info.dt,
            spikes: results
                .spikes
                .iter()
                .map(|s| (s.population.clone(), s.size))
                .collect(),
            states: groups
                .iter()
                .map(|g| StateLayout {
                    population: g.population.to_string(),
                    neurons: g.first().neurons.clone(),
                    variables: g
                        .traces
                        .iter()
                        .map(|t| (t.variable.clone(), t.integer))
                        .collect(),
                })
                .collect(),
            weights: results
                .weights
                .iter()
                .map(|w| (w.projection.clone(), w.pre.len()))
                .collect(),
        })
    }

    /// The layout of a streamed file, from its groups in creation order.
    fn read(file: &File, path: &Path) -> Result<Self, IoError> {
        let dt: f64 = read_attr(file, path, "/", "dt")?;
        let mut layout = Self {
            dt,
            spikes: Vec::new(),
            states: Vec::new(),
            weights: Vec::new(),
        };
        if let Some(root) = optional_group(file, path, SPIKES)? {
            for name in member_names(&root, path)? {
                let group = subgroup(&root, path, &name)?;
                let size = read_attr(&group, path, &group.name(), "size")?;
                layout.spikes.push((name, size));
            }
        }
        if let Some(root) = optional_group(file, path, STATE)? {
            for name in member_names(&root, path)? {
                let group = subgroup(&root, path, &name)?;
                let neurons = open_dataset(&group, path, "neurons")?
                    .read_raw::<u32>()
                    .context(path, || format!("reading `/state/{name}/neurons`"))?;
                let mut variables = Vec::new();
                for variable in member_names(&group, path)? {
                    if STATE_AXES.contains(&variable.as_str()) {
                        continue;
                    }
                    let dataset = open_dataset(&group, path, &variable)?;
                    let integer = matches!(
                        dataset.dtype().and_then(|t| t.to_descriptor()),
                        Ok(::hdf5::types::TypeDescriptor::Integer(_))
                    );
                    variables.push((variable, integer));
                }
                layout.states.push(StateLayout {
                    population: name,
                    neurons,
                    variables,
                });
            }
        }
        if let Some(root) = optional_group(file, path, WEIGHTS)? {
            for name in member_names(&root, path)? {
                let group = subgroup(&root, path, &name)?;
                let synapses = open_dataset(&group, path, "pre")?.shape().first().copied();
                layout.weights.push((name, synapses.unwrap_or(0)));
            }
        }
        Ok(layout)
    }

    fn group_names(&self) -> impl Iterator<Item = String> + '_ {
        let spikes = self.spikes.iter().map(|(p, _)| format!("/{SPIKES}/{p}"));
        let states = self
            .states
            .iter()
            .map(|s| format!("/{STATE}/{}", s.population));
        let weights = self.weights.iter().map(|(w, _)| format!("/{WEIGHTS}/{w}"));
        spikes.chain(states).chain(weights)
    }

    /// How many appendable datasets the file has.
    fn series(&self) -> usize {
        3 * self.spikes.len()
            + self
                .states
                .iter()
                .map(|s| 2 + s.variables.len())
                .sum::<usize>()
            + 3 * self.weights.len()
    }
}

/// Chunk size so that one chunk per dataset fits the buffer.
fn chunk_bytes(layout: &Layout, buffer: usize) -> usize {
    (buffer / layout.series().max(1)).clamp(MIN_CHUNK_BYTES, MAX_CHUNK_BYTES)
}

/// The bytes of the largest chunk of the file's appendable datasets: each
/// dataset's cache holds one chunk (the one being filled), no more.
fn largest_chunk(file_path: &Path, path: &Path, layout: &Layout) -> Result<usize, IoError> {
    let file = open_unlocked(file_path).context(path, || "opening the file".into())?;
    let mut largest = MIN_CHUNK_BYTES;
    for series in open_series(&file, path, layout)? {
        let elements: usize = series.dataset.chunk().unwrap_or_default().iter().product();
        let size = series
            .dataset
            .dtype()
            .context(path, || format!("reading the type of `{}`", series.object))?
            .size();
        largest = largest.max(elements * size);
    }
    Ok(largest)
}

/// Rows a trace recorded every step would have: no chunk need be longer.
fn expected_rows(info: &RunInfo) -> usize {
    let rows = (info.duration / info.dt).ceil() + 2.0;
    if rows.is_finite() && rows < 1e12 {
        rows as usize
    } else {
        usize::MAX
    }
}

/// File access without HDF5's advisory file locks. The library opens
/// files without close-on-exec, so a lock taken here would be inherited,
/// and held for its whole life, by any program this process starts
/// meanwhile (the CLI reads damaged-file candidates in a child; tests run
/// the binary beside their own writes), making the next open of our own
/// file fail with EAGAIN. Only this run writes its `.partial`; the run id
/// tells files of different runs apart.
fn unlocked(p: &mut FileAccessBuilder) -> &mut FileAccessBuilder {
    p.file_locking(false)
}

/// [`File::open`] without file locks (see [`unlocked`]).
fn open_unlocked(path: &Path) -> ::hdf5::Result<File> {
    File::with_options().with_fapl(unlocked).open(path)
}

// ------------------------------------------------------------------ creation

/// An empty, extendable 1-D dataset.
fn create_1d<T: H5Type>(
    group: &Group,
    path: &Path,
    name: &str,
    chunk: usize,
) -> Result<(), IoError> {
    group
        .new_dataset::<T>()
        .chunk([chunk.max(1)])
        .shape([Extent::resizable(0)])
        .create(name)
        .context(path, || format!("creating `{}/{name}`", group.name()))?;
    Ok(())
}

/// An empty dataset of rows of `width` values, extendable in rows.
fn create_rows<T: H5Type>(
    group: &Group,
    path: &Path,
    name: &str,
    width: usize,
    chunk_bytes: usize,
    rows: usize,
) -> Result<Dataset, IoError> {
    let per_chunk = chunk_bytes / size_of::<T>();
    let chunk = if width == 0 {
        [per_chunk.min(rows).max(1), 1]
    } else if width > per_chunk {
        [1, per_chunk.max(1)]
    } else {
        [(per_chunk / width).min(rows).max(1), width]
    };
    // A fixed dimension of 0 cannot be chunked; leave it open instead.
    let columns = if width == 0 {
        Extent::resizable(0)
    } else {
        Extent::fixed(width)
    };
    group
        .new_dataset::<T>()
        .chunk(chunk)
        .shape(SimpleExtents::from_vec(vec![Extent::resizable(0), columns]))
        .create(name)
        .context(path, || format!("creating `{}/{name}`", group.name()))
}

fn create_spikes(
    file: &File,
    path: &Path,
    spikes: &[SpikeTrains],
    chunk_bytes: usize,
) -> Result<(), IoError> {
    let root = create_group(file, path, SPIKES)?;
    let chunk = SPIKE_CHUNK.min(chunk_bytes / 8);
    for train in spikes {
        let group = create_group(&root, path, &train.population)?;
        write_attr(&group, path, &group.name(), "size", &train.size)?;
        create_1d::<f64>(&group, path, "times", chunk)?;
        super::mark_times(&group, path)?;
        create_1d::<u32>(&group, path, "senders", chunk)?;
        create_1d::<u64>(&group, path, "steps", chunk)?;
    }
    Ok(())
}

fn create_states(
    file: &File,
    path: &Path,
    layout: &Layout,
    results: &Results,
    chunk_bytes: usize,
    rows: usize,
) -> Result<(), IoError> {
    let root = create_group(file, path, STATE)?;
    let axis_chunk = (chunk_bytes / 8).min(rows);
    for population in &layout.states {
        let group = create_group(&root, path, &population.population)?;
        create_1d::<f64>(&group, path, "times", axis_chunk)?;
        super::mark_times(&group, path)?;
        create_1d::<u64>(&group, path, "steps", axis_chunk)?;
        super::write_1d(&group, path, "neurons", &population.neurons)?;
        let width = population.neurons.len();
        for (variable, integer) in &population.variables {
            let trace = results
                .state_of(&population.population, variable)
                .ok_or_else(|| invalid(path, format!("no trace `{variable}`")))?;
            let dataset = if *integer {
                create_rows::<i32>(&group, path, variable, width, chunk_bytes, rows)?
            } else {
                create_rows::<f64>(&group, path, variable, width, chunk_bytes, rows)?
            };
            super::describe_trace(&dataset, path, trace)?;
        }
    }
    Ok(())
}

fn create_weights(
    file: &File,
    path: &Path,
    traces: &[WeightTrace],
    chunk_bytes: usize,
    rows: usize,
) -> Result<(), IoError> {
    if traces.is_empty() {
        return Ok(());
    }
    let root = create_group(file, path, WEIGHTS)?;
    // Snapshots are rarer than steps: a small chunk of them.
    let axis_chunk = 1024.min(rows);
    for t in traces {
        let group = create_group(&root, path, &t.projection)?;
        create_1d::<f64>(&group, path, "times", axis_chunk)?;
        super::mark_times(&group, path)?;
        create_1d::<u64>(&group, path, "steps", axis_chunk)?;
        super::write_1d(&group, path, "pre", &t.pre)?;
        super::write_1d(&group, path, "post", &t.post)?;
        let dataset =
            create_rows::<f64>(&group, path, "values", t.pre.len(), chunk_bytes, axis_chunk)?;
        super::weights::describe(&dataset, path, &t.unit)?;
    }
    Ok(())
}

/// Opens the appendable datasets in the order of [`Positions`].
fn open_series(file: &File, path: &Path, layout: &Layout) -> Result<Vec<Series>, IoError> {
    let mut series = Vec::with_capacity(layout.series());
    let mut open = |group: String, name: &str, two_d: bool| -> Result<(), IoError> {
        let object = format!("{group}/{name}");
        let dataset = file
            .dataset(&object)
            .context(path, || format!("opening `{object}`"))?;
        let shape = dataset.shape();
        series.push(Series {
            width: two_d.then(|| shape.get(1).copied().unwrap_or(0)),
            len: shape.first().copied().unwrap_or(0) as u64,
            dataset,
            object,
        });
        Ok(())
    };
    for (population, _) in &layout.spikes {
        let group = format!("/{SPIKES}/{population}");
        for name in ["times", "senders", "steps"] {
            open(group.clone(), name, false)?;
        }
    }
    for s in &layout.states {
        let group = format!("/{STATE}/{}", s.population);
        open(group.clone(), "times", false)?;
        open(group.clone(), "steps", false)?;
        for (variable, _) in &s.variables {
            open(group.clone(), variable, true)?;
        }
    }
    for (projection, _) in &layout.weights {
        let group = format!("/{WEIGHTS}/{projection}");
        open(group.clone(), "times", false)?;
        open(group.clone(), "steps", false)?;
        open(group, "values", true)?;
    }
    Ok(series)
}

// ------------------------------------------------------------------- resuming

impl ResultsStream {
    /// Cuts every dataset back to `at`, and reads the last steps kept.
    fn cut(&mut self, at: &Positions) -> Result<(), IoError> {
        let path = &self.target;
        if at.0.len() != self.series.len() {
            return Err(invalid(
                path,
                format!(
                    "the checkpoint records {} dataset lengths, the file has {} datasets",
                    at.0.len(),
                    self.series.len()
                ),
            ));
        }
        if let Some((series, len)) = self.series.iter().zip(&at.0).find(|(s, len)| **len > s.len) {
            return Err(invalid(
                path,
                format!(
                    "`{}` holds {} rows, fewer than the {len} the checkpoint says were flushed",
                    series.object, series.len
                ),
            ));
        }
        for (series, &len) in self.series.iter_mut().zip(&at.0) {
            let object = &series.object;
            let action = || format!("cutting `{object}` back to {len} rows");
            match series.width {
                None => series.dataset.resize([len as usize]),
                Some(w) => series.dataset.resize([len as usize, w]),
            }
            .context(path, action)?;
            series.len = len;
        }
        self.last_steps = self.read_last_steps()?;
        Ok(())
    }
}

/// Opens a streamed file for writing, also when a killed writer left it
/// marked as open in its superblock, which HDF5 otherwise refuses (`file is
/// already open for write`): the file-access property `clear_status_flags`
/// clears the mark as `h5clear -s` does. The crate has no wrapper for it.
fn open_writable(file_path: &Path, path: &Path) -> Result<File, IoError> {
    use hdf5_sys::{h5f, h5p};
    let name = std::ffi::CString::new(file_path.as_os_str().as_encoded_bytes())
        .map_err(|_| invalid(path, "the file name contains a NUL byte".into()))?;
    let opened = ::hdf5::sync::sync(|| {
        // SAFETY: plain calls into the library with a property list this
        // function creates and closes, under the crate's global lock.
        let id = unsafe {
            let fapl = h5p::H5Pcreate(*h5p::H5P_CLS_FILE_ACCESS);
            let mut clear: hdf5_sys::h5::hbool_t = 1;
            let ok = fapl >= 0
                && h5p::H5Pset_libver_bounds(fapl, h5f::H5F_LIBVER_LATEST, h5f::H5F_LIBVER_LATEST)
                    >= 0
                && h5p::H5Pset(
                    fapl,
                    c"clear_status_flags".as_ptr(),
                    (&raw mut clear).cast(),
                ) >= 0
                // No advisory lock, as everywhere here (see `unlocked`).
                && h5p::H5Pset_file_locking(fapl, 0, 1) >= 0;
            let id = if ok {
                h5f::H5Fopen(name.as_ptr(), h5f::H5F_ACC_RDWR, fapl)
            } else {
                -1
            };
            if fapl >= 0 {
                h5p::H5Pclose(fapl);
            }
            id
        };
        if id < 0 {
            Err(::hdf5::Error::query().map_or_else(|e| e.to_string(), |e| e.to_string()))
        } else {
            Ok(id)
        }
    });
    let id = opened.map_err(|message| IoError::Hdf5 {
        path: path.to_path_buf(),
        action: format!("reopening {} to continue it", file_path.display()),
        message,
    })?;
    // SAFETY: a file id just returned by H5Fopen, owned by nobody else.
    unsafe { ::hdf5::from_id::<File>(id) }.context(path, || "reopening the file".into())
}

/// The run id of the streamed file at `file_path`, `None` when there is no
/// file there.
fn run_of(file_path: &Path, path: &Path) -> Result<Option<u64>, IoError> {
    if !file_path.exists() {
        return Ok(None);
    }
    let file = open_writable(file_path, path)?;
    if !has_attr(&file, RUN_ID) {
        return Ok(None);
    }
    let id = read_attr(&file, path, "/", RUN_ID)?;
    file.close().context(path, || "closing the file".into())?;
    Ok(Some(id))
}

/// The run id of a closed file at `path` (read only: it may be a finished
/// run's file that must not change), `None` when there is none.
fn run_of_closed(path: &Path) -> Result<Option<u64>, IoError> {
    if !path.exists() {
        return Ok(None);
    }
    let file = open_unlocked(path).context(path, || "opening the file".into())?;
    if !has_attr(&file, RUN_ID) {
        return Ok(None);
    }
    read_attr(&file, path, "/", RUN_ID).map(Some)
}

/// Whether the file at `path` says it is complete.
fn complete(path: &Path) -> Result<bool, IoError> {
    let file = open_unlocked(path).context(path, || "opening the file".into())?;
    Ok(has_attr(&file, COMPLETE) && read_attr::<u8>(&file, path, "/", COMPLETE)? == 1)
}

fn not_this_run(
    target: &Path,
    partial: &Path,
    run_id: u64,
    found: Option<u64>,
    interrupted: Option<u64>,
) -> IoError {
    let say = |p: &Path, id: Option<u64>| match id {
        None => format!("{} holds no streamed run", p.display()),
        Some(id) => format!("{} holds run {id}", p.display()),
    };
    IoError::InvalidResults {
        path: target.to_path_buf(),
        detail: format!(
            "cannot continue run {run_id}: {}, and {} (or it is complete)",
            say(partial, found),
            say(target, interrupted)
        ),
    }
}

/// `fsync`, so that what HDF5 wrote survives more than the process.
fn sync(file_path: &Path, path: &Path) -> Result<(), IoError> {
    std::fs::File::open(file_path)
        .and_then(|f| f.sync_all())
        .map_err(|source| IoError::File {
            path: path.to_path_buf(),
            action: "sync it to disk",
            source,
        })
}

#[cfg(test)]
mod tests;
