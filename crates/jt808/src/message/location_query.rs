//! 0x8201 location query (位置信息查询, empty body) and 0x0201 its reply (位置信息查询应答).
//!
//! # Wire format
//!
//! 0x8201: no body. 0x0201:
//!
//! ```text
//! +--------------+--------------------------+
//! | reply serial | location (0x0200 body)   |
//! | WORD         | 28 bytes + items         |
//! +--------------+--------------------------+
//! ```

use crate::error::{DecodeError, EncodeError};
use crate::message::location::Location;
use crate::wire::{Reader, put_u16};

/// Body of 0x0201.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocationQueryResponse {
    /// Serial of the 0x8201 answered.
    pub reply_serial: u16,
    /// The location.
    pub location: Location,
}

impl LocationQueryResponse {
    /// Decodes the body.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] as for [`Location::decode`].
    pub fn decode(body: &[u8]) -> Result<LocationQueryResponse, DecodeError> {
        let mut r = Reader::new(body);
        let reply_serial = r.u16("location_query_response.reply_serial")?;
        Ok(LocationQueryResponse {
            reply_serial,
            location: Location::decode(r.rest())?,
        })
    }

    /// Appends the body.
    ///
    /// # Errors
    ///
    /// [`EncodeError`] as for [`Location::encode`].
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u16(out, self.reply_serial);
        self.location.encode(out)
    }
}
