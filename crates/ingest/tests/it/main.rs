//! Integration tests of the gateways over real TCP sockets on 127.0.0.1 (one test binary).

mod hj212;
mod jt808;
mod mqtt;
mod store;
mod supervise;
mod supervise_sanitation;
mod support;
mod units;
