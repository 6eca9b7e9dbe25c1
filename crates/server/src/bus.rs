//! The event bus seam: case changes (and later device events) published by whichever node made
//! them and delivered to every node's live streams.
//!
//! [`LocalBus`] is the embedded default (one process). A NATS JetStream implementation plugs in
//! behind the same trait when several stateless nodes share one PostgreSQL.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::dto::{AlarmDto, CaseDto};

/// Something that happened, for live streams.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BusEvent {
    /// A case was created or moved.
    CaseChanged {
        action: String,
        actor_id: i64,
        case: Box<CaseDto>,
        /// Reporters of duplicates linked to this case: they follow it too.
        followers: Vec<i64>,
    },
    /// The stored city model (areas, grids, roads, components) changed: reload it.
    CityChanged { version: i64 },
    /// An alarm was raised, refreshed, acknowledged, linked to a case or cleared.
    AlarmChanged { alarm: Box<AlarmDto> },
    /// A muck-truck permit was created, changed or revoked: the muck supervisor reloads the
    /// permits in force (`permits_changed`).
    PermitsChanged { permit_id: i64 },
    /// A garbage truck's collection route was created, changed or removed: the device
    /// supervisors reload their directories.
    RoutesChanged { route_id: String },
}

/// Publish/subscribe across the node (and, in scale-out, across nodes).
pub trait EventBus: Send + Sync {
    fn publish(&self, event: BusEvent);
    fn subscribe(&self) -> broadcast::Receiver<BusEvent>;
}

/// In-process bus over a tokio broadcast channel. Slow subscribers lose the oldest events
/// (they are told how many and can re-fetch) rather than slowing publishers down.
pub struct LocalBus {
    tx: broadcast::Sender<BusEvent>,
}

impl LocalBus {
    pub fn new(capacity: usize) -> LocalBus {
        let (tx, _) = broadcast::channel(capacity.max(16));
        LocalBus { tx }
    }
}

impl EventBus for LocalBus {
    fn publish(&self, event: BusEvent) {
        // No subscribers is not an error.
        let _ = self.tx.send(event);
    }
    fn subscribe(&self) -> broadcast::Receiver<BusEvent> {
        self.tx.subscribe()
    }
}
