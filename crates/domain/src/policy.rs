//! Visibility policy (placeholder while being written).
