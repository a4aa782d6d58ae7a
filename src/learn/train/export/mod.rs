//! Export of a trained network as a model file that `spikesim run`
//! simulates, and the comparison of the simulator's answer with the
//! trainer's: networks of LIF, CuBa LIF and meta layers (with or without
//! synaptic delays, [`lif`]) and networks with L2MU layers ([`l2mu`], which
//! reuses `lif`'s files and input spikes).

pub mod l2mu;
pub mod lif;
