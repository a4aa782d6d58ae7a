//! Input and output: stimuli files, results and their HDF5 form.
pub mod results;
