//! Subpackage reassembly (分包合并).
//!
//! A message whose body exceeds one frame is sent as `total` packets with attribute bit 13
//! set, each carrying its index (from 1) and its own serial. [`Reassembler`] collects the
//! fragments and yields the full body once every index has arrived.
//!
//! # Keys
//!
//! A set is identified by (phone, message id, total, *first serial*), where the first serial
//! is the serial of packet 1: the standard ties resend requests (0x8003) to it, and for
//! consecutively numbered packets it is `serial − (index − 1)`. Packets resent after a
//! 0x8003 carry new serials, and some devices do not number packets consecutively, so a
//! packet that matches no set exactly joins the most recent set with the same (phone, id,
//! total) whose slot for its index is still empty.
//!
//! # Limits
//!
//! Memory is bounded by [`ReassemblyConfig`]: at most `max_pending` sets (the least recently
//! updated set is evicted to make room), at most `max_packets` packets per set, at most
//! `max_bytes` buffered in all sets. A set that receives nothing for `timeout` is dropped by
//! [`Reassembler::expire`]. Time is the caller's `now`; nothing here reads a clock.

use std::time::{Duration, Instant};

use crate::frame::Frame;
use crate::header::{Header, Phone};

/// Reassembly limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyConfig {
    /// Incomplete sets kept at once.
    pub max_pending: usize,
    /// Largest `total` accepted for one set.
    pub max_packets: u16,
    /// Bytes buffered across all sets.
    pub max_bytes: usize,
    /// A set with no new packet for this long is dropped.
    pub timeout: Duration,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        ReassemblyConfig {
            max_pending: 4,
            max_packets: 2048,
            max_bytes: 2 * 1024 * 1024,
            timeout: Duration::from_secs(60),
        }
    }
}

/// Why a packet was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReassemblyError {
    /// The frame carries no subpackage fields.
    #[error("frame is not subpackaged")]
    NotSubpackaged,
    /// Index 0, index above total, or total 0.
    #[error("bad package index {index} of {total}")]
    BadIndex {
        /// Index from the header.
        index: u16,
        /// Total from the header.
        total: u16,
    },
    /// More packets than [`ReassemblyConfig::max_packets`].
    #[error("{total} packets exceed the limit of {max}")]
    TooManyPackets {
        /// Total from the header.
        total: u16,
        /// Limit in force.
        max: u16,
    },
    /// The set would exceed [`ReassemblyConfig::max_bytes`] on its own; it was dropped.
    #[error("subpackaged message exceeds {max} bytes")]
    TooLarge {
        /// Limit in force.
        max: usize,
    },
}

/// A complete message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassembled {
    /// Header of the message: that of packet 1 without subpackage fields, with the first
    /// serial.
    pub header: Header,
    /// The joined body.
    pub body: Vec<u8>,
    /// Serial of packet 1 (computed when packet 1 was never seen under its own serial).
    pub first_serial: u16,
    /// Serial of the packet that completed the set: the one the terminal waits an answer for.
    pub last_serial: u16,
}

/// Outcome of [`Reassembler::insert`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Insert {
    /// The packet was stored; more are needed.
    Pending {
        /// Packets held for this set.
        received: u16,
        /// Packets in the set.
        total: u16,
    },
    /// The set is complete.
    Complete(Reassembled),
}

/// A set dropped for inactivity or evicted for room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired {
    /// Terminal phone.
    pub phone: Phone,
    /// Message id.
    pub id: u16,
    /// Serial of packet 1.
    pub first_serial: u16,
    /// Indices never received.
    pub missing: Vec<u16>,
}

#[derive(Debug, Clone)]
struct PendingSet {
    /// Unique id within the reassembler.
    seq: u64,
    header: Header,
    first_serial: u16,
    total: u16,
    parts: Vec<Option<Vec<u8>>>,
    received: u16,
    bytes: usize,
    last_update: Instant,
}

impl PendingSet {
    fn missing(&self) -> Vec<u16> {
        (1u16..)
            .zip(&self.parts)
            .filter(|(_, p)| p.is_none())
            .map(|(i, _)| i)
            .collect()
    }

    fn expired(self) -> Expired {
        Expired {
            phone: self.header.phone,
            id: self.header.id,
            first_serial: self.first_serial,
            missing: self.missing(),
        }
    }

    fn slot_empty(&self, index: u16) -> bool {
        matches!(
            usize::from(index)
                .checked_sub(1)
                .and_then(|i| self.parts.get(i)),
            Some(None)
        )
    }
}

/// Collects subpackages; see the module docs.
#[derive(Debug, Clone, Default)]
pub struct Reassembler {
    config: ReassemblyConfig,
    sets: Vec<PendingSet>,
    bytes: usize,
    evicted: Vec<Expired>,
    next_seq: u64,
}

impl Reassembler {
    /// A reassembler with the given limits.
    pub fn new(config: ReassemblyConfig) -> Reassembler {
        Reassembler {
            config,
            sets: Vec::new(),
            bytes: 0,
            evicted: Vec::new(),
            next_seq: 0,
        }
    }

    /// Incomplete sets held.
    pub fn pending(&self) -> usize {
        self.sets.len()
    }

    /// Bytes buffered.
    pub fn buffered_bytes(&self) -> usize {
        self.bytes
    }

    /// Adds one subpackaged frame received at `now`.
    ///
    /// A `total` of 1 completes at once. A packet whose index was already received replaces
    /// the earlier copy (a retransmission).
    ///
    /// # Errors
    ///
    /// [`ReassemblyError`] when the frame cannot belong to any valid set.
    pub fn insert(&mut self, frame: Frame, now: Instant) -> Result<Insert, ReassemblyError> {
        let Frame { header, body, .. } = frame;
        let Some(pkg) = header.package else {
            return Err(ReassemblyError::NotSubpackaged);
        };
        let (total, index) = (pkg.total, pkg.index);
        if total == 0 || index == 0 || index > total {
            return Err(ReassemblyError::BadIndex { index, total });
        }
        if total > self.config.max_packets {
            return Err(ReassemblyError::TooManyPackets {
                total,
                max: self.config.max_packets,
            });
        }
        let first_serial = header.serial.wrapping_sub(index - 1);
        if total == 1 {
            let mut h = header;
            h.package = None;
            return Ok(Insert::Complete(Reassembled {
                header: h,
                body,
                first_serial,
                last_serial: header.serial,
            }));
        }

        let len = body.len();
        if len > self.config.max_bytes {
            return Err(ReassemblyError::TooLarge {
                max: self.config.max_bytes,
            });
        }
        let target = self
            .find(&header, total, index, first_serial)
            .map(|i| self.seq_at(i));
        // Make room by evicting the least recently updated other sets.
        while self.bytes + len > self.config.max_bytes {
            let victim = self
                .sets
                .iter()
                .enumerate()
                .filter(|(_, s)| Some(s.seq) != target)
                .min_by_key(|(_, s)| s.last_update)
                .map(|(i, _)| i);
            let Some(victim) = victim else { break };
            self.remove(victim, true);
        }
        let pos = match target.and_then(|seq| self.sets.iter().position(|s| s.seq == seq)) {
            Some(p) => p,
            None => {
                if self.sets.len() >= self.config.max_pending.max(1) {
                    self.evict_oldest();
                }
                self.next_seq += 1;
                self.sets.push(PendingSet {
                    seq: self.next_seq,
                    header,
                    first_serial,
                    total,
                    parts: vec![None; usize::from(total)],
                    received: 0,
                    bytes: 0,
                    last_update: now,
                });
                self.sets.len() - 1
            }
        };
        if self.bytes + len > self.config.max_bytes {
            self.remove(pos, false);
            return Err(ReassemblyError::TooLarge {
                max: self.config.max_bytes,
            });
        }

        let Some(set) = self.sets.get_mut(pos) else {
            return Err(ReassemblyError::BadIndex { index, total });
        };
        if index == 1 {
            set.header = header;
            set.first_serial = header.serial;
        }
        set.last_update = now;
        let Some(slot) = set.parts.get_mut(usize::from(index - 1)) else {
            return Err(ReassemblyError::BadIndex { index, total });
        };
        match slot.replace(body) {
            Some(old) => {
                set.bytes -= old.len();
                self.bytes -= old.len();
            }
            None => set.received += 1,
        }
        set.bytes += len;
        self.bytes += len;
        if set.received < set.total {
            return Ok(Insert::Pending {
                received: set.received,
                total: set.total,
            });
        }

        let set = self.sets.swap_remove(pos);
        self.bytes -= set.bytes;
        let mut body = Vec::with_capacity(set.bytes);
        for part in set.parts.into_iter().flatten() {
            body.extend_from_slice(&part);
        }
        let mut h = set.header;
        h.package = None;
        h.serial = set.first_serial;
        Ok(Insert::Complete(Reassembled {
            header: h,
            body,
            first_serial: set.first_serial,
            last_serial: header.serial,
        }))
    }

    /// The set this packet belongs to: exact key first, else the most recent set of the same
    /// (phone, id, total) with a free slot for `index`.
    fn find(&self, header: &Header, total: u16, index: u16, first_serial: u16) -> Option<usize> {
        let same_set = |s: &PendingSet| {
            s.header.phone == header.phone && s.header.id == header.id && s.total == total
        };
        self.sets
            .iter()
            .position(|s| same_set(s) && s.first_serial == first_serial)
            .or_else(|| {
                self.sets
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| same_set(s) && s.slot_empty(index))
                    .max_by_key(|(_, s)| s.last_update)
                    .map(|(i, _)| i)
            })
    }

    fn seq_at(&self, i: usize) -> u64 {
        self.sets.get(i).map_or(0, |s| s.seq)
    }

    /// Removes set `i`, optionally reporting it as evicted.
    fn remove(&mut self, i: usize, report: bool) {
        if i < self.sets.len() {
            let set = self.sets.swap_remove(i);
            self.bytes -= set.bytes;
            if report {
                self.evicted.push(set.expired());
            }
        }
    }

    fn evict_oldest(&mut self) {
        if let Some(i) = self
            .sets
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| s.last_update)
            .map(|(i, _)| i)
        {
            self.remove(i, true);
        }
    }

    /// Drops sets idle for longer than the timeout at `now` and returns them, together with
    /// any set evicted for room since the last call.
    pub fn expire(&mut self, now: Instant) -> Vec<Expired> {
        let mut out = std::mem::take(&mut self.evicted);
        let timeout = self.config.timeout;
        let mut i = 0;
        while let Some(set) = self.sets.get(i) {
            if now.saturating_duration_since(set.last_update) >= timeout {
                let set = self.sets.swap_remove(i);
                self.bytes -= set.bytes;
                out.push(set.expired());
            } else {
                i += 1;
            }
        }
        out
    }

    /// When the next set would time out.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.sets
            .iter()
            .filter_map(|s| s.last_update.checked_add(self.config.timeout))
            .min()
    }
}
