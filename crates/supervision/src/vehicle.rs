//! The vehicle observation every vehicle rule takes: one position fix, already decoded and
//! converted (WGS-84 degrees, UTC instants, km/h).

use domain::time::Timestamp;
use grid::Point;
use serde::{Deserialize, Serialize};

/// JT/T 808 status bit 0: ACC on (ignition).
pub const STATUS_ACC_ON: u32 = 1 << 0;
/// JT/T 808 status bit 1: the position is valid (located).
pub const STATUS_LOCATED: u32 = 1 << 1;
/// JT/T 808 status bits 8–9: load state (00 empty 空车, 01 half 半载, 10 reserved, 11 full 满载).
pub const STATUS_LOAD_MASK: u32 = 0b11 << 8;

/// How loaded a vehicle says it is (JT/T 808 status bits 8–9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Load {
    /// 空车.
    Empty,
    /// 半载.
    Half,
    /// 满载.
    Full,
    /// The reserved value 10: the terminal does not report load.
    Unknown,
}

impl Load {
    /// The load state in a JT/T 808 status bit set.
    pub fn from_status(status: u32) -> Load {
        match (status & STATUS_LOAD_MASK) >> 8 {
            0 => Load::Empty,
            1 => Load::Half,
            3 => Load::Full,
            _ => Load::Unknown,
        }
    }

    /// Whether the vehicle carries something (half or full).
    pub fn is_loaded(self) -> bool {
        matches!(self, Load::Half | Load::Full)
    }
}

/// One position of one vehicle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// The vehicle's terminal phone (trimmed), the id alarms are keyed by.
    pub phone: String,
    /// The device's fix time (UTC).
    pub at: Timestamp,
    /// Where, WGS-84 degrees.
    pub point: Point,
    /// Speed, km/h.
    pub speed_kmh: f64,
    /// Heading, degrees clockwise from north.
    pub heading: u16,
    /// JT/T 808 status bits as sent (§5.7.1).
    pub status: u32,
    /// JT/T 808 alarm bits as sent (§5.7.2).
    pub alarm: u32,
    /// Additional information items as sent: `(id, value bytes)`.
    pub extra: Vec<(u8, Vec<u8>)>,
}

impl Fix {
    /// The load state from the status bits.
    pub fn load(&self) -> Load {
        Load::from_status(self.status)
    }

    /// Whether the terminal says the position is valid.
    pub fn located(&self) -> bool {
        self.status & STATUS_LOCATED != 0
    }
}
