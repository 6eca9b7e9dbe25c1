//! Spatial core of yiwang (placeholder, being built).
