//! Round trips of the snapshot format itself (the models, networks and
//! engines are checked in `tests/simulate/checkpoint.rs`... see below).
use super::*;
