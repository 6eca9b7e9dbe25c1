//! Device gateways of yiwang: thin tokio shells around the sans-IO codecs `jt808` and `hj212`.
//!
//! **Architecture Invariant: reply after durable.** A device's report is acknowledged (JT/T 808
//! 0x8001 result 0, HJ 212 9014) only after the [`Sink`] said the batch holding it is durable;
//! a failed write gets the protocol's failure reply (0x8001 result 1) or none (HJ 212), never a
//! success. **Per-device order is preserved; devices run in parallel.**
//!
//! ```text
//!  TCP ─► jt808::Gateway / hj212::Gateway (one task per connection, codec Session inside)
//!            │ records                         ▲ completion (Ok / Err) → reply released
//!            ▼                                 │
//!         Batcher (one task: group commit) ─► Sink::write(batch)   (store, FileSink, MemorySink)
//!            Registry: register / authenticate / MN+PW check       (store, MemoryRegistry)
//!            Clock: wall time for records and HJ 212 time calibration
//! ```
//!
//! # Seams (implemented by the lead's crates later)
//!
//! - [`Sink`]: makes a batch of [`Record`]s durable ([`MemorySink`], [`FileSink`] here).
//! - [`Registry`]: device identity ([`MemoryRegistry`] here).
//! - [`Clock`]: wall-clock time ([`SystemClock`], [`ManualClock`]).
//!
//! # Modules
//!
//! | module | what |
//! |---|---|
//! | [`record`] | normalised device data ([`Record`]) |
//! | [`sink`], [`wire`] | the storage seam, the file sink and its record format |
//! | [`batcher`] | the shared group-commit batcher |
//! | [`registry`] | the identity seam |
//! | [`store_bridge`] | `Sink` and `Registry` over the database (`StoreSink`, `StoreRegistry`) |
//! | [`supervise`] | the supervision rules on each batch (muck trucks, fume/dust/noise) and their alarm writes |
//! | [`jt808`] | the JT/T 808 gateway, commands to terminals |
//! | [`hj212`] | the HJ 212 gateway |
//! | [`metrics`] | metric names |
//! | [`clock`], [`time`] | wall time, GMT+8 conversion |

pub mod batcher;
pub mod clock;
pub mod hj212;
pub mod jt808;
pub mod metrics;
pub mod mqtt;
pub mod record;
pub mod registry;
pub mod sink;
pub mod store_bridge;
pub mod supervise;
pub mod time;
pub mod wire;

pub use batcher::{BatchError, Batcher, BatcherConfig, Completion};
pub use clock::{Clock, ManualClock, SystemClock};
pub use record::{
    FactorReading, Hj212Notice, Hj212NoticeKind, Hj212Reading, MediaData, Record, TerminalEvent,
    TerminalEventKind, VehicleFix,
};
pub use registry::{
    AuthRequest, Hj212Check, MemoryRegistry, RegisterOutcome, RegisterRequest, Registry,
    RegistryError,
};
pub use sink::{FileSink, MemorySink, Sink, SinkError};
