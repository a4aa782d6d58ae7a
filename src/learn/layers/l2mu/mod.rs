//! The L2MU cell (Fra et al., ICANN 2024), an LMU whose blocks are spiking
//! populations: the Legendre matrices ([`lmu`]), the cell trained by BPTT
//! ([`cell`]), and the cell as a layer of the trainer's networks
//! ([`layer`]). Imports run `layer` → `cell` → `lmu`.

pub mod cell;
pub mod layer;
pub mod lmu;
