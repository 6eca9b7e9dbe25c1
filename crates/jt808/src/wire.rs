//! Byte-level helpers shared by the header and body codecs: a bounds-checked big-endian
//! [`Reader`], big-endian writers, BCD digits and GBK text.
//!
//! Every read is checked and returns [`DecodeError::Truncated`] instead of panicking.

use std::borrow::Cow;

use crate::error::{DecodeError, EncodeError};

/// A cursor over a body that only ever shrinks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn bytes(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        match self.buf.split_at_checked(n) {
            Some((head, tail)) => {
                self.buf = tail;
                Ok(head)
            }
            None => Err(DecodeError::Truncated {
                field,
                needed: n,
                available: self.buf.len(),
            }),
        }
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        let s = self.bytes(N, field)?;
        <[u8; N]>::try_from(s).map_err(|_| DecodeError::Truncated {
            field,
            needed: N,
            available: s.len(),
        })
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        let [b] = self.array::<1>(field)?;
        Ok(b)
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// Everything left; the reader is empty afterwards.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }
}

pub(crate) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Two BCD digits → 0..=99, or `None` when a nibble is above 9.
pub(crate) fn bcd_to_u8(b: u8) -> Option<u8> {
    let (hi, lo) = (b >> 4, b & 0x0F);
    (hi <= 9 && lo <= 9).then_some(hi * 10 + lo)
}

/// 0..=99 → two BCD digits. Callers check the range first.
pub(crate) fn u8_to_bcd(v: u8) -> u8 {
    ((v / 10 % 10) << 4) | (v % 10)
}

/// Strips `0x00` padding from both ends.
pub(crate) fn trim_nul(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| c != 0).unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != 0).map_or(start, |p| p + 1);
    b.get(start..end).unwrap_or_default()
}

/// GBK bytes → text, `0x00` padding removed. Invalid sequences become U+FFFD: text fields
/// never fail a message.
pub(crate) fn gbk_decode(bytes: &[u8]) -> String {
    let bytes = trim_nul(bytes);
    if bytes.is_ascii() {
        // ASCII is valid UTF-8; this is the common case (ids, models, auth codes).
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let (text, _had_errors) = encoding_rs::GBK.decode_without_bom_handling(bytes);
    text.into_owned()
}

/// Text → GBK bytes. Characters GBK cannot represent are written as `&#NNNN;` by
/// `encoding_rs`; platform text should stay within GBK.
pub(crate) fn gbk_encode(text: &str) -> Cow<'_, [u8]> {
    if text.is_ascii() {
        return Cow::Borrowed(text.as_bytes());
    }
    let (bytes, _encoding, _unmappable) = encoding_rs::GBK.encode(text);
    bytes
}

/// Writes `text` as GBK into a fixed-width field, right-padded with `0x00`.
pub(crate) fn put_fixed_text(
    out: &mut Vec<u8>,
    text: &str,
    width: usize,
    field: &'static str,
) -> Result<(), EncodeError> {
    let bytes = gbk_encode(text);
    if bytes.len() > width {
        return Err(EncodeError::FieldTooLong {
            field,
            len: bytes.len(),
            max: width,
        });
    }
    out.extend_from_slice(&bytes);
    out.resize(out.len() + (width - bytes.len()), 0);
    Ok(())
}

/// Length as a `u8` length prefix, or a `FieldTooLong` error.
pub(crate) fn len_u8(len: usize, field: &'static str) -> Result<u8, EncodeError> {
    u8::try_from(len).map_err(|_| EncodeError::FieldTooLong {
        field,
        len,
        max: 255,
    })
}

/// Length as a `u16` count, or a `FieldTooLong` error.
pub(crate) fn len_u16(len: usize, field: &'static str) -> Result<u16, EncodeError> {
    u16::try_from(len).map_err(|_| EncodeError::FieldTooLong {
        field,
        len,
        max: 65_535,
    })
}
