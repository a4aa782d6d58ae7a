//! Input and output: stimuli files, results and their HDF5 form.
pub mod checkpoint;
pub mod compare;
pub mod dataset;
pub mod encode;
pub mod error;
pub mod guard;
pub mod hdf5;
pub mod memory_task;
pub mod output_path;
pub mod results;
pub mod run_file;
pub mod stimuli;
pub mod synth;
pub mod tree;
pub mod untrusted;

pub use error::IoError;
