//! The case closed loop (placeholder while being written).
