//! 0x0704 batch location upload (定位数据批量上传).
//!
//! # Wire format
//!
//! ```text
//! +-------+------+----------------------------------------------+
//! | count | type | items × count                                 |
//! | WORD  | BYTE | length WORD + 0x0200 body of that length      |
//! +-------+------+----------------------------------------------+
//! ```
//!
//! `type`: 0 normal batch, 1 blind-area backfill (盲区补报). The platform answers the whole
//! message with one 0x8001 (reply id 0x0704).
//!
//! Decision: the batch is all-or-nothing. A count larger than the items present, or an item
//! whose body is malformed, fails the message ("message error"), so the terminal resends the
//! batch instead of losing part of it silently. Bytes after `count` items are ignored.

use crate::error::{DecodeError, EncodeError};
use crate::message::location::Location;
use crate::wire::{Reader, len_u16, put_u16};

/// Body of 0x0704.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocationBatch {
    /// 0 normal batch, 1 blind-area backfill (位置数据类型).
    pub kind: u8,
    /// The locations, in wire order.
    pub locations: Vec<Location>,
}

impl LocationBatch {
    /// Batch type: normal.
    pub const NORMAL: u8 = 0;
    /// Batch type: blind-area backfill (盲区补报).
    pub const BACKFILL: u8 = 1;

    /// `true` for a blind-area backfill.
    pub fn is_backfill(&self) -> bool {
        self.kind == Self::BACKFILL
    }

    /// Decodes the body.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] when an item is truncated or malformed.
    pub fn decode(body: &[u8]) -> Result<LocationBatch, DecodeError> {
        let mut r = Reader::new(body);
        let count = r.u16("location_batch.count")?;
        let kind = r.u8("location_batch.type")?;
        let mut locations = Vec::with_capacity(usize::from(count).min(64));
        for _ in 0..count {
            let len = r.u16("location_batch.item_len")?;
            let item = r.bytes(usize::from(len), "location_batch.item")?;
            locations.push(Location::decode(item)?);
        }
        Ok(LocationBatch { kind, locations })
    }

    /// Appends the body.
    ///
    /// # Errors
    ///
    /// [`EncodeError`] from an item, or more than 65,535 items.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u16(out, len_u16(self.locations.len(), "location_batch.count")?);
        out.push(self.kind);
        for loc in &self.locations {
            let len_at = out.len();
            put_u16(out, 0);
            loc.encode(out)?;
            let len = len_u16(out.len() - len_at - 2, "location_batch.item")?;
            if let Some(slot) = out.get_mut(len_at..len_at + 2) {
                slot.copy_from_slice(&len.to_be_bytes());
            }
        }
        Ok(())
    }
}
