//! Learning: building blocks for training spiking networks.
//!
//! - [`lmu`]: Legendre Memory Unit matrices, their discretisation and the
//!   synapse mapping that runs them on populations;
//! - [`l2mu`]: the L2MU cell (LMU blocks as LIF / CuBa LIF populations),
//!   forward and backward through time, and the encoding-free input module;
//! - [`dcls`]: learnable per-synapse delays (dilated convolution with
//!   learnable spacings), the σ schedule and rounding to integer delays;
//! - [`adam`]: the Adam optimiser over flat parameter slices.
pub mod adam;
pub mod dcls;
pub mod l2mu;
pub mod lmu;
