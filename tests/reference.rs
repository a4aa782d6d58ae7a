//! The reference's coverage test on its own, until part manual's
//! `tests/manual.rs` includes `tests/manual/reference_coverage.rs` (then this
//! file goes).

#[path = "manual/reference_coverage.rs"]
mod reference_coverage;
