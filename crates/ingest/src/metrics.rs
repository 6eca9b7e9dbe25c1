//! Metric names (the `metrics` facade; the binary installs an exporter, e.g. Prometheus).
//!
//! Every name carries a `protocol` label (`jt808` / `hj212`) where it applies.

/// Counter: valid frames / packets received.
pub const FRAMES_IN: &str = "yiwang_ingest_frames_total";
/// Counter: invalid frames skipped (bad checksum, escape, length, CRC), label `kind`.
pub const BAD_FRAMES: &str = "yiwang_ingest_bad_frames_total";
/// Counter: success acknowledgements sent after a durable write.
pub const ACKS: &str = "yiwang_ingest_acks_total";
/// Counter: failure replies sent because a write failed.
pub const NACKS: &str = "yiwang_ingest_nacks_total";
/// Counter: messages rejected (not authenticated, wrong password, unknown device, malformed).
pub const REJECTED: &str = "yiwang_ingest_rejected_total";
/// Counter: connections accepted.
pub const CONNECTIONS: &str = "yiwang_ingest_connections_total";
/// Gauge: connections open now.
pub const CONNECTIONS_OPEN: &str = "yiwang_ingest_connections_open";
/// Counter: connections closed, label `reason`.
pub const DISCONNECTS: &str = "yiwang_ingest_disconnects_total";
/// Counter: records made durable.
pub const RECORDS_STORED: &str = "yiwang_ingest_records_stored_total";
/// Counter: sink writes that failed.
pub const BATCHES_FAILED: &str = "yiwang_ingest_batches_failed_total";
/// Histogram: records per sink write.
pub const BATCH_RECORDS: &str = "yiwang_ingest_batch_records";
/// Histogram: seconds per sink write.
pub const BATCH_SECONDS: &str = "yiwang_ingest_batch_seconds";
/// Counter: HJ 212 over-length packets (fatal framing) and other fatal stream errors.
pub const FATAL_STREAMS: &str = "yiwang_ingest_fatal_streams_total";
/// Counter: platform commands sent to terminals, label `outcome`.
pub const COMMANDS: &str = "yiwang_ingest_commands_total";
