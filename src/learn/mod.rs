//! Training spiking networks on spike datasets: layers trained through time
//! with surrogate gradients ([`layer`], [`net`]), optimisers ([`optim`]),
//! experiment files ([`experiment`]) and the training loop ([`train`]).
pub mod layer;
pub mod net;
pub mod real;
pub mod surrogate;
