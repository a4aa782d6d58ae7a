//! Simulation: neuron models against closed forms and peers (Brian2, NEST,
//! Lava), both engines, plasticity, fixed point, stimuli, reproducibility and
//! the HDF5 layout. One binary for the area, each file a module.

#[path = "../common/mod.rs"]
mod common;

mod astrocyte;
mod background;
mod brian2_reference;
mod coba_benchmark_model;
mod cuba_benchmark_model;
mod cuba_closed_form;
mod event_engine;
mod fixed_point;
mod fixed_point_lava;
mod grid_in_event;
mod hdf5_layout;
mod lif_analytic;
mod membrane_options;
mod meta_neuron;
mod microcircuit;
mod nir_import;
mod nir_reference;
mod non_finite;
mod plasticity;
mod plots;
mod reproducibility;
mod segments;
mod stdp_song2000;
mod stimuli_and_delays;
mod zero_delay;
