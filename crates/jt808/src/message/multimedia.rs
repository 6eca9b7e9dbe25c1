//! 0x0800 multimedia event (多媒体事件信息上传), 0x0801 multimedia data upload
//! (多媒体数据上传) and 0x8800 its reply (多媒体数据上传应答).
//!
//! # Wire format
//!
//! 0x0800:
//!
//! ```text
//! | media id DWORD | type BYTE | format BYTE | event BYTE | channel BYTE |
//! ```
//!
//! type: 0 image, 1 audio, 2 video; format: 0 JPEG, 1 TIF, 2 MP3, 3 WAV, 4 WMV.
//!
//! 0x0801 (usually subpackaged; decode the reassembled body):
//!
//! ```text
//! | the five 0x0800 fields | location basic block, 28 bytes | media data BYTE[n] |
//! ```
//!
//! 0x8800:
//!
//! ```text
//! | media id DWORD | [retransmit count BYTE | packet indices WORD × count] |
//! ```
//!
//! When nothing is missing the count and list are left out (as go-jt808 does); an empty
//! list encodes that way and a 4-byte body decodes to an empty list.

use crate::error::{DecodeError, EncodeError};
use crate::message::location::LocationBasic;
use crate::wire::{Reader, len_u8, put_u16, put_u32};

/// Body of 0x0800; also the head of 0x0801.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MultimediaEvent {
    /// Media id (多媒体数据 ID), > 0.
    pub media_id: u32,
    /// 0 image, 1 audio, 2 video.
    pub media_type: u8,
    /// 0 JPEG, 1 TIF, 2 MP3, 3 WAV, 4 WMV.
    pub format: u8,
    /// Event code (事件项编码): 0 platform command, 1 timer, 2 robbery alarm, 3 collision, …
    pub event: u8,
    /// Channel id (通道 ID).
    pub channel: u8,
}

impl MultimediaEvent {
    /// Encoded length.
    pub const LEN: usize = 8;

    fn read(r: &mut Reader<'_>) -> Result<MultimediaEvent, DecodeError> {
        Ok(MultimediaEvent {
            media_id: r.u32("multimedia.media_id")?,
            media_type: r.u8("multimedia.type")?,
            format: r.u8("multimedia.format")?,
            event: r.u8("multimedia.event")?,
            channel: r.u8("multimedia.channel")?,
        })
    }

    /// Decodes the 8-byte body; trailing bytes are ignored.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`] below 8 bytes.
    pub fn decode(body: &[u8]) -> Result<MultimediaEvent, DecodeError> {
        MultimediaEvent::read(&mut Reader::new(body))
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.media_id);
        out.extend_from_slice(&[self.media_type, self.format, self.event, self.channel]);
    }
}

/// Body of 0x0801: metadata, the location when the media was taken, and the data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MultimediaUpload {
    /// Media id, type, format, event, channel.
    pub event: MultimediaEvent,
    /// The 28-byte location block.
    pub location: LocationBasic,
    /// The media bytes (e.g. a JPEG).
    pub data: Vec<u8>,
}

impl MultimediaUpload {
    /// Decodes a complete (reassembled) body.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] when the 36-byte head is truncated or its time is not BCD.
    pub fn decode(body: &[u8]) -> Result<MultimediaUpload, DecodeError> {
        let mut r = Reader::new(body);
        let event = MultimediaEvent::read(&mut r)?;
        let location = LocationBasic::read(&mut r)?;
        Ok(MultimediaUpload {
            event,
            location,
            data: r.rest().to_vec(),
        })
    }

    /// Appends the body.
    ///
    /// # Errors
    ///
    /// [`EncodeError`] for an out-of-range time.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.event.encode(out);
        self.location.encode(out)?;
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

/// Body of 0x8800.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MultimediaUploadResponse {
    /// Media id answered.
    pub media_id: u32,
    /// Packet indices to resend; empty when everything arrived.
    pub retransmit: Vec<u16>,
}

impl MultimediaUploadResponse {
    /// Decodes the body.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`] when the list is shorter than its count.
    pub fn decode(body: &[u8]) -> Result<MultimediaUploadResponse, DecodeError> {
        let mut r = Reader::new(body);
        let media_id = r.u32("multimedia_response.media_id")?;
        let mut retransmit = Vec::new();
        if r.remaining() > 0 {
            let n = r.u8("multimedia_response.count")?;
            for _ in 0..n {
                retransmit.push(r.u16("multimedia_response.index")?);
            }
        }
        Ok(MultimediaUploadResponse {
            media_id,
            retransmit,
        })
    }

    /// Appends the body.
    ///
    /// # Errors
    ///
    /// [`EncodeError::FieldTooLong`] for more than 255 indices.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u32(out, self.media_id);
        if !self.retransmit.is_empty() {
            out.push(len_u8(
                self.retransmit.len(),
                "multimedia_response.retransmit",
            )?);
            for i in &self.retransmit {
                put_u16(out, *i);
            }
        }
        Ok(())
    }
}
