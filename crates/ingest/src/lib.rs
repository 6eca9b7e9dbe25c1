//! Device gateways of yiwang (placeholder, being built).
