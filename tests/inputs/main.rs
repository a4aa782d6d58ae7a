//! Bad input: model files, stimuli, plasticity and fixed-point settings that
//! must end in a located error and exit status 1, never a panic.

mod bad_background;
mod bad_input;
mod bad_input_neurons;
mod bad_plasticity;
mod bad_values;
mod cli_guards;
mod cli_outputs;
mod corrupt_files;
mod fixed_point_bad_input;
mod fuzz_models;
mod interrupted_files;
mod memory_limits;
mod nir_files;
mod nir_import_cli;
mod scale;
mod without_mpi;
