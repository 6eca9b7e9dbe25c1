//! Criterion benches for the domain: deadline arithmetic and the state machine.
fn main() {}
