//! Unit and data-driven tests for the codec. Fixtures live in `test_data/` (copied from the
//! project's conformance vectors); nothing here reads outside the crate.

mod fixtures;
mod frame;
mod messages;
mod proptests;
mod reassembly;
mod session;
mod strategies;
mod support;
mod tolerance;
