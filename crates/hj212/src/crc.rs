//! The HJ 212 CRC16 ("ANSI CRC16", HJ 212-2017 Appendix A) and the hex form it travels in.
//!
//! The algorithm is **not** CRC-16/MODBUS. Per byte the register is *replaced* by
//! `(register >> 8) ^ byte` and then shifted eight times with the reflected polynomial `0xA001`:
//!
//! ```text
//! crc = 0xFFFF
//! for b in data:
//!     crc = (crc >> 8) ^ b
//!     repeat 8: lsb = crc & 1; crc >>= 1; if lsb: crc ^= 0xA001
//! ```
//!
//! Check values: `123456789` → `0x2F80`, empty input → `0xFFFF`, the Appendix A data segment →
//! `0x1C80`. On the wire the CRC is four hex digits, high byte first; receivers accept either
//! case, [`write_hex`] emits uppercase.
//!
//! Because the register collapses to 8 bits before each byte, only 256 values are possible and
//! the low byte is always one of `00 01 40 41 80 81 C0 C1` ([`is_plausible`]). The 8-bit state
//! update `s' = h(s ^ b)` is linear over GF(2), which is what makes the slicing-by-8 fast path
//! in [`crc16`] possible; [`crc16_bitwise`] is the literal transcription of the standard's C code
//! and the two are property-tested against each other.

/// Reflected form of the CRC-16 polynomial 0x8005 used by the standard.
const POLY: u16 = 0xA001;

/// `TABLE[x]` = eight reflected shift/xor rounds starting from `x` (the CRC-16/ARC table).
const TABLE: [u16; 256] = build_table();

/// `SLICE[k][x]` = the high byte of the register after `k + 1` applications of
/// `s -> TABLE[s] >> 8` to `x` (i.e. `h^(k+1)(x)`).
const SLICE: [[u8; 256]; 8] = build_slices();

#[allow(clippy::indexing_slicing)] // Evaluated at compile time: out of bounds would not compile.
const fn build_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u16;
        let mut j = 0;
        while j < 8 {
            c = if c & 1 == 1 { (c >> 1) ^ POLY } else { c >> 1 };
            j += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

#[allow(clippy::indexing_slicing)] // Evaluated at compile time: out of bounds would not compile.
const fn build_slices() -> [[u8; 256]; 8] {
    let table = build_table();
    let mut out = [[0u8; 256]; 8];
    let mut x = 0;
    while x < 256 {
        out[0][x] = (table[x] >> 8) as u8;
        x += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut x = 0;
        while x < 256 {
            out[k][x] = out[0][out[k - 1][x] as usize];
            x += 1;
        }
        k += 1;
    }
    out
}

/// HJ 212 CRC16 of `data` (fast path: slicing-by-8 over the 8-bit state).
///
/// Equal to [`crc16_bitwise`] for every input.
#[must_use]
#[allow(clippy::indexing_slicing)] // u8 indices into 256-entry tables: always in bounds.
pub fn crc16(data: &[u8]) -> u16 {
    let Some((&last, body)) = data.split_last() else {
        return 0xFFFF;
    };
    // `s` is the register's high byte; the register before the first byte is 0xFFFF.
    let mut s: u8 = 0xFF;
    let mut chunks = body.chunks_exact(8);
    for chunk in &mut chunks {
        if let Ok(&[b0, b1, b2, b3, b4, b5, b6, b7]) = <&[u8; 8]>::try_from(chunk) {
            s = SLICE[7][usize::from(s ^ b0)]
                ^ SLICE[6][usize::from(b1)]
                ^ SLICE[5][usize::from(b2)]
                ^ SLICE[4][usize::from(b3)]
                ^ SLICE[3][usize::from(b4)]
                ^ SLICE[2][usize::from(b5)]
                ^ SLICE[1][usize::from(b6)]
                ^ SLICE[0][usize::from(b7)];
        }
    }
    for &b in chunks.remainder() {
        s = SLICE[0][usize::from(s ^ b)];
    }
    TABLE[usize::from(s ^ last)]
}

/// HJ 212 CRC16, written exactly as the standard's Appendix A C code (one bit at a time).
///
/// Kept as the reference the fast [`crc16`] is tested against.
#[must_use]
pub fn crc16_bitwise(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in data {
        crc = (crc >> 8) ^ u16::from(b);
        for _ in 0..8 {
            let lsb = crc & 1;
            crc >>= 1;
            if lsb != 0 {
                crc ^= POLY;
            }
        }
    }
    crc
}

/// CRC-16/MODBUS (`crc ^= byte`, init 0xFFFF, poly 0xA001): **not** HJ 212, but what some
/// vendors send. Used only when the framer is configured with `accept_modbus_crc`.
#[must_use]
pub fn crc16_modbus(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            let lsb = crc & 1;
            crc >>= 1;
            if lsb != 0 {
                crc ^= POLY;
            }
        }
    }
    crc
}

/// Whether `crc` can be an HJ 212 CRC at all (its low byte is one of the 8 reachable values).
#[must_use]
pub const fn is_plausible(crc: u16) -> bool {
    matches!(
        crc & 0xFF,
        0x00 | 0x01 | 0x40 | 0x41 | 0x80 | 0x81 | 0xC0 | 0xC1
    )
}

const fn hex_value(b: u8) -> Option<u16> {
    match b {
        b'0'..=b'9' => Some((b - b'0') as u16),
        b'A'..=b'F' => Some((b - b'A' + 10) as u16),
        b'a'..=b'f' => Some((b - b'a' + 10) as u16),
        _ => None,
    }
}

/// Parses the 4-character CRC field (hex, upper or lower case, high byte first).
///
/// Returns `None` unless `field` is exactly four hex digits.
#[must_use]
pub fn parse_hex(field: &[u8]) -> Option<u16> {
    let &[a, b, c, d] = field else {
        return None;
    };
    Some((hex_value(a)? << 12) | (hex_value(b)? << 8) | (hex_value(c)? << 4) | hex_value(d)?)
}

/// Appends `crc` as four uppercase hex digits (the form this crate emits).
pub fn write_hex(crc: u16, out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for shift in [12u16, 8, 4, 0] {
        let nibble = usize::from((crc >> shift) & 0xF);
        if let Some(&d) = DIGITS.get(nibble) {
            out.push(d);
        }
    }
}
