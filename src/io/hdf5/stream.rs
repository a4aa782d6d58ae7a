//! LEAD PLACEHOLDER: replaced by the stream helper's module at merge.
use std::path::{Path, PathBuf};

use super::super::IoError;
use super::super::results::{Results, RunInfo};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Positions(pub Vec<u64>);

pub struct ResultsStream {
    target: PathBuf,
    all: Results,
}

impl ResultsStream {
    pub fn create(target: &Path, layout: &Results, _run_id: u64) -> Result<Self, IoError> {
        let mut all = layout.clone();
        all.spikes.iter_mut().for_each(|s| {
            s.steps.clear();
            s.senders.clear();
            s.times = s.times.as_ref().map(|_| Vec::new());
        });
        all.states.iter_mut().for_each(|s| {
            s.steps.clear();
            s.values.clear();
        });
        all.weights.iter_mut().for_each(|s| {
            s.steps.clear();
            s.times.clear();
            s.values.clear();
        });
        Ok(Self {
            target: target.to_path_buf(),
            all,
        })
    }
    pub fn append(&mut self, segment: &Results) -> Result<(), IoError> {
        crate::engine::segment::append_results(&mut self.all, segment.clone());
        Ok(())
    }
    pub fn positions(&self) -> Positions {
        Positions(
            self.all
                .spikes
                .iter()
                .map(|s| s.steps.len() as u64)
                .collect(),
        )
    }
    pub fn flush(&mut self) -> Result<(), IoError> {
        Ok(())
    }
    pub fn finish(mut self, info: &RunInfo) -> Result<(), IoError> {
        self.all.info = info.clone();
        super::write_results(&self.target, &self.all)
    }
    pub fn interrupt(mut self, info: &RunInfo, _reached: f64) -> Result<(), IoError> {
        self.all.info = info.clone();
        super::write_results(&self.target, &self.all)
    }
    pub fn resume(target: &Path, _run_id: u64, _at: &Positions) -> Result<Self, IoError> {
        Err(IoError::NotFound {
            path: target.to_path_buf(),
        })
    }
}
