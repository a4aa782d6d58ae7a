//! Training spiking networks on spike datasets: layers trained through time
//! with surrogate gradients ([`layer`], [`net`]), optimisers ([`optim`]),
//! experiment files ([`experiment`]) and the training loop ([`train`]).
pub mod experiment;
pub mod export;
pub mod layer;
pub mod net;
pub mod online;
pub mod optim;
pub mod real;
pub mod record;
pub mod session;
pub mod surrogate;
pub mod train;
