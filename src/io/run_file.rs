//! The results file of a run being written: segments of recordings are
//! appended to it as the run goes (see `engine::segment`), so memory does
//! not grow with the duration; it becomes a complete file at the end, or
//! an interrupted one that says up to what time it holds the run.

use std::path::{Path, PathBuf};

use super::IoError;
use super::hdf5::{Positions, ResultsStream};
use super::results::{Results, RunInfo};
use crate::engine::segment::Sink;

/// Spikes recorded per population so far: `(population, neurons, spikes)`.
pub type SpikeCounts = Vec<(String, u32, u64)>;

/// The results file of a run being written: the streamed HDF5 file, a
/// [`crate::engine::segment::Sink`] for the engines' segments.
pub struct RunFile {
    target: PathBuf,
    run_id: u64,
    /// The run's description, for the file's attributes until the end.
    info: RunInfo,
    stream: Option<ResultsStream>,
    counts: SpikeCounts,
}

impl RunFile {
    /// A new run's file at `target` (written as `<target>.partial` until it
    /// is finished or interrupted).
    pub fn new(target: &Path, run_id: u64, info: RunInfo) -> Self {
        Self {
            target: target.to_path_buf(),
            run_id,
            info,
            stream: None,
            counts: Vec::new(),
        }
    }

    /// The file of run `run_id`, cut back to `positions` to go on from a
    /// checkpoint.
    pub fn resume(
        target: &Path,
        run_id: u64,
        info: RunInfo,
        positions: &[u64],
    ) -> Result<Self, IoError> {
        let stream = ResultsStream::resume(target, run_id, &Positions(positions.to_vec()))?;
        Ok(Self {
            stream: Some(stream),
            ..Self::new(target, run_id, info)
        })
    }

    /// Spikes per population appended by this process (a resumed run counts
    /// from where it went on).
    pub fn counts(&self) -> &SpikeCounts {
        &self.counts
    }

    /// The whole run is in: `info`'s timings written, the file marked
    /// complete and moved onto its path.
    pub fn finish(self, info: &RunInfo) -> Result<(), IoError> {
        self.opened()?.finish(info)
    }

    /// The run stopped at `reached` seconds: the file keeps what was
    /// recorded, is marked incomplete with that time, and moved onto its path.
    pub fn interrupt(self, info: Option<&RunInfo>, reached: f64) -> Result<(), IoError> {
        let info = info.cloned().unwrap_or_else(|| self.info.clone());
        self.opened()?.interrupt(&info, reached)
    }

    fn opened(self) -> Result<ResultsStream, IoError> {
        match self.stream {
            Some(s) => Ok(s),
            // Nothing was appended: a file with the layout and no rows.
            None => {
                let layout = Results {
                    info: self.info.clone(),
                    ..Results::default()
                };
                ResultsStream::create(&self.target, &layout, self.run_id)
            }
        }
    }

    fn count(&mut self, segment: &Results) {
        if self.counts.is_empty() {
            self.counts = segment
                .spikes
                .iter()
                .map(|s| (s.population.clone(), s.size, 0))
                .collect();
        }
        for (c, s) in self.counts.iter_mut().zip(&segment.spikes) {
            c.2 += s.len() as u64;
        }
    }
}

impl Sink for RunFile {
    fn append(&mut self, mut segment: Results) -> Result<(), String> {
        self.count(&segment);
        // The file checks each segment as a run's results, description included.
        segment.info = self.info.clone();
        let stream = match &mut self.stream {
            Some(s) => s,
            None => {
                let created = ResultsStream::create(&self.target, &segment, self.run_id)
                    .map_err(|e| e.to_string())?;
                self.stream.insert(created)
            }
        };
        stream.append(&segment).map_err(|e| e.to_string())
    }

    fn flush(&mut self) -> Result<(), String> {
        match &mut self.stream {
            Some(s) => s.flush().map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }

    fn positions(&self) -> Vec<u64> {
        self.stream
            .as_ref()
            .map(|s| s.positions().0)
            .unwrap_or_default()
    }
}
