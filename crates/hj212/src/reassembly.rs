//! Sub-packet reassembly (Flag.D, `PNUM` / `PNO`), bounded in count and age; time comes in as
//! `now`.
//!
//! # Grouping key
//!
//! HJ 212-2017 Appendix C.50 gives **each sub-packet its own QN** (`…534`, `…535`), so a key
//! of (MN, QN) would never join the standard's own example. Sub-packets are therefore grouped by
//! [`SetKey`] = (MN, CN, PNUM, group), where *group* is the CP `DataTime` when present (it is the
//! same in every sub-packet of a set) and the QN otherwise (vendors that reuse one QN for all
//! parts, 2005-style packets without `DataTime`).
//!
//! # Limits
//!
//! - At most [`ReassemblyConfig::max_sets`] incomplete sets; a new set beyond that evicts the
//!   oldest ([`DropReason::Evicted`]).
//! - A set not completed within [`ReassemblyConfig::max_age`] of its first part is dropped by
//!   [`Reassembler::expire`] ([`DropReason::Expired`]).
//! - `PNUM` above [`ReassemblyConfig::max_parts`], `PNO` of 0 or above `PNUM` are rejected.
//!
//! The reassembler stores an arbitrary payload per part (the session keeps the held 9014 reply
//! next to each packet).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::command::Command;
use crate::packet::Packet;

/// Reassembly limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyConfig {
    /// Incomplete sets kept at once. Default 16.
    pub max_sets: usize,
    /// Largest accepted `PNUM`. Default 256.
    pub max_parts: u16,
    /// Time from a set's first part until it is dropped. Default 60 s.
    pub max_age: Duration,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        Self {
            max_sets: 16,
            max_parts: 256,
            max_age: Duration::from_secs(60),
        }
    }
}

/// Identifies one set of sub-packets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SetKey {
    /// Device id (empty if absent).
    pub mn: String,
    /// Command of the parts.
    pub cn: Command,
    /// `PNUM`.
    pub total: u16,
    /// `DataTime` if present, else QN (else empty).
    pub group: String,
}

impl SetKey {
    /// The key for a sub-packet.
    #[must_use]
    pub fn of(packet: &Packet) -> Self {
        let group = packet
            .cp()
            .get("DataTime")
            .map(|v| v.as_str())
            .or_else(|| packet.qn())
            .unwrap_or_default();
        Self {
            mn: packet.mn().unwrap_or_default().to_owned(),
            cn: packet.cn(),
            total: packet.pnum().unwrap_or(1),
            group: group.to_owned(),
        }
    }
}

/// Result of adding a part.
#[derive(Debug)]
pub enum Reassembly<T> {
    /// The set is complete: the parts in `PNO` order.
    Complete(Vec<T>),
    /// Waiting for more parts.
    Pending {
        /// Distinct parts received.
        received: u16,
        /// `PNUM`.
        total: u16,
    },
    /// This `PNO` was already received; the new part is handed back (the first one is kept).
    Duplicate(T),
}

/// A part that cannot belong to a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReassemblyError {
    /// `PNUM` / `PNO` missing, `PNO` of 0, or `PNO` > `PNUM`.
    #[error("bad sub-packet numbering PNUM={pnum:?} PNO={pno:?}")]
    BadNumbering {
        /// `PNUM`.
        pnum: Option<u16>,
        /// `PNO`.
        pno: Option<u16>,
    },
    /// `PNUM` above the configured maximum.
    #[error("PNUM {0} exceeds the limit")]
    TooManyParts(u16),
}

/// Why an incomplete set was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Older than `max_age`.
    Expired,
    /// Pushed out by a newer set (`max_sets`).
    Evicted,
}

/// An incomplete set that was given up.
#[derive(Debug)]
pub struct Dropped<T> {
    /// Which set.
    pub key: SetKey,
    /// Distinct parts received.
    pub received: u16,
    /// Why.
    pub reason: DropReason,
    /// The parts received, in `PNO` order.
    pub parts: Vec<T>,
}

#[derive(Debug)]
struct PendingSet<T> {
    key: SetKey,
    parts: Vec<Option<T>>,
    received: u16,
    first_seen: Instant,
}

impl<T> PendingSet<T> {
    fn into_dropped(self, reason: DropReason) -> Dropped<T> {
        Dropped {
            key: self.key,
            received: self.received,
            reason,
            parts: self.parts.into_iter().flatten().collect(),
        }
    }
}

/// Joins sub-packets into sets.
#[derive(Debug)]
pub struct Reassembler<T> {
    config: ReassemblyConfig,
    sets: Vec<PendingSet<T>>,
    dropped: VecDeque<Dropped<T>>,
}

impl<T> Reassembler<T> {
    /// An empty reassembler.
    #[must_use]
    pub fn new(config: ReassemblyConfig) -> Self {
        Self {
            config,
            sets: Vec::new(),
            dropped: VecDeque::new(),
        }
    }

    /// Checks `PNUM` / `PNO` of a sub-packet; returns them.
    ///
    /// # Errors
    ///
    /// See [`ReassemblyError`].
    pub fn check(&self, packet: &Packet) -> Result<(u16, u16), ReassemblyError> {
        let (pnum, pno) = (packet.pnum(), packet.pno());
        let (Some(total), Some(no)) = (pnum, pno) else {
            return Err(ReassemblyError::BadNumbering { pnum, pno });
        };
        if no == 0 || no > total {
            return Err(ReassemblyError::BadNumbering { pnum, pno });
        }
        if total > self.config.max_parts {
            return Err(ReassemblyError::TooManyParts(total));
        }
        Ok((total, no))
    }

    /// Adds the part `packet` (with its payload `item`) received at `now`.
    ///
    /// # Errors
    ///
    /// See [`ReassemblyError`]; `item` is dropped then.
    pub fn push(
        &mut self,
        packet: &Packet,
        item: T,
        now: Instant,
    ) -> Result<Reassembly<T>, ReassemblyError> {
        let (total, no) = self.check(packet)?;
        Ok(self.insert(SetKey::of(packet), total, no, item, now))
    }

    /// Adds part `no` of `total` (already [`Reassembler::check`]ed) to the set `key`.
    pub fn insert(
        &mut self,
        key: SetKey,
        total: u16,
        no: u16,
        item: T,
        now: Instant,
    ) -> Reassembly<T> {
        if total <= 1 {
            return Reassembly::Complete(vec![item]);
        }
        let idx = if let Some(i) = self.sets.iter().position(|s| s.key == key) {
            i
        } else {
            if self.sets.len() >= self.config.max_sets.max(1) {
                let oldest = self.sets.remove(0);
                self.dropped
                    .push_back(oldest.into_dropped(DropReason::Evicted));
            }
            let mut parts = Vec::new();
            parts.resize_with(usize::from(total), || None);
            self.sets.push(PendingSet {
                key,
                parts,
                received: 0,
                first_seen: now,
            });
            self.sets.len() - 1
        };
        let slot = self
            .sets
            .get_mut(idx)
            .and_then(|set| set.parts.get_mut(usize::from(no).wrapping_sub(1)));
        let Some(slot) = slot else {
            // Unreachable for checked numbering: hand the item back.
            return Reassembly::Duplicate(item);
        };
        if slot.is_some() {
            return Reassembly::Duplicate(item);
        }
        *slot = Some(item);
        let Some(set) = self.sets.get_mut(idx) else {
            return Reassembly::Pending { received: 0, total };
        };
        set.received += 1;
        if set.received < total {
            return Reassembly::Pending {
                received: set.received,
                total,
            };
        }
        let set = self.sets.remove(idx);
        Reassembly::Complete(set.parts.into_iter().flatten().collect())
    }

    /// Drops sets older than `max_age` at `now`; collect them with [`Reassembler::take_dropped`].
    pub fn expire(&mut self, now: Instant) {
        let max_age = self.config.max_age;
        let mut i = 0;
        while let Some(set) = self.sets.get(i) {
            if now.saturating_duration_since(set.first_seen) >= max_age {
                let set = self.sets.remove(i);
                self.dropped
                    .push_back(set.into_dropped(DropReason::Expired));
            } else {
                i += 1;
            }
        }
    }

    /// The next dropped (evicted or expired) set.
    pub fn take_dropped(&mut self) -> Option<Dropped<T>> {
        self.dropped.pop_front()
    }

    /// When the oldest incomplete set expires.
    #[must_use]
    pub fn next_deadline(&self) -> Option<Instant> {
        self.sets
            .iter()
            .map(|s| {
                s.first_seen
                    .checked_add(self.config.max_age)
                    .unwrap_or(s.first_seen)
            })
            .min()
    }

    /// Incomplete sets held.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.sets.len()
    }
}
