//! Learnable synaptic delays: the DCLS kernels (dilated convolution with
//! learnable spacings, [`dcls`]) and the LIF layer whose input synapses
//! carry delays learned by DCLS, fixed at random, or absent ([`layer`]).
//! Imports run `layer` → `dcls`.

pub mod dcls;
pub mod layer;
