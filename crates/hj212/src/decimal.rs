//! Exact decimal values for CP data (`a34041-Rtd=1.23`): an `i64` mantissa and a decimal scale.
//!
//! HJ 212 values are decimal strings (`N14.2`, signed). They are never turned into floats here;
//! the packet keeps the original text and [`Decimal`] is the parsed, exact form.
//!
//! Accepted syntax: optional `+`/`-`, digits, optional `.` and digits, at least one digit in
//! total (`1`, `-0.05`, `1.`, `.5`). No exponent, no spaces, at most 18 significant digits.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Largest scale accepted (digits after the decimal point).
pub const MAX_SCALE: u8 = 18;

/// An exact decimal number: `mantissa × 10^-scale`.
///
/// Equality, ordering and hashing are numeric: `1.0 == 1.00`. Use the packet's original text
/// when the exact representation matters.
#[derive(Clone, Copy)]
pub struct Decimal {
    mantissa: i64,
    scale: u8,
}

/// Why a value is not a decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// Empty, or only a sign / point.
    #[error("no digits")]
    Empty,
    /// A character other than a sign, digit or one point.
    #[error("invalid character")]
    InvalidCharacter,
    /// Too many digits for an `i64` mantissa or a scale above 18.
    #[error("too many digits")]
    Overflow,
}

impl Decimal {
    /// `mantissa × 10^-scale`.
    ///
    /// # Errors
    ///
    /// [`DecimalError::Overflow`] if `scale` exceeds [`MAX_SCALE`].
    pub const fn new(mantissa: i64, scale: u8) -> Result<Self, DecimalError> {
        if scale > MAX_SCALE {
            return Err(DecimalError::Overflow);
        }
        Ok(Self { mantissa, scale })
    }

    /// Parses a decimal string.
    ///
    /// # Errors
    ///
    /// See [`DecimalError`].
    pub fn parse(s: &str) -> Result<Self, DecimalError> {
        let bytes = s.as_bytes();
        let (negative, digits) = match bytes.split_first() {
            Some((b'-', rest)) => (true, rest),
            Some((b'+', rest)) => (false, rest),
            _ => (false, bytes),
        };
        let mut mantissa: i64 = 0;
        let mut scale: u8 = 0;
        let mut seen_point = false;
        let mut seen_digit = false;
        for &b in digits {
            match b {
                b'0'..=b'9' => {
                    seen_digit = true;
                    let d = i64::from(b - b'0');
                    mantissa = mantissa
                        .checked_mul(10)
                        .and_then(|m| {
                            if negative {
                                m.checked_sub(d)
                            } else {
                                m.checked_add(d)
                            }
                        })
                        .ok_or(DecimalError::Overflow)?;
                    if seen_point {
                        scale = scale.checked_add(1).ok_or(DecimalError::Overflow)?;
                        if scale > MAX_SCALE {
                            return Err(DecimalError::Overflow);
                        }
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => return Err(DecimalError::InvalidCharacter),
            }
        }
        if !seen_digit {
            return Err(DecimalError::Empty);
        }
        Ok(Self { mantissa, scale })
    }

    /// The integer mantissa.
    #[must_use]
    pub const fn mantissa(&self) -> i64 {
        self.mantissa
    }

    /// Digits after the decimal point.
    #[must_use]
    pub const fn scale(&self) -> u8 {
        self.scale
    }

    /// The value as an integer count of `10^-scale` units, if that is exact and fits an `i64`
    /// (`Decimal::parse("1.23")?.to_scaled(3) == Some(1230)`; `to_scaled(1)` is `None`).
    #[must_use]
    pub fn to_scaled(&self, scale: u8) -> Option<i64> {
        match scale.cmp(&self.scale) {
            Ordering::Equal => Some(self.mantissa),
            Ordering::Greater => {
                let factor = 10i64.checked_pow(u32::from(scale - self.scale))?;
                self.mantissa.checked_mul(factor)
            }
            Ordering::Less => {
                let factor = 10i64.checked_pow(u32::from(self.scale - scale))?;
                (self.mantissa % factor == 0).then_some(self.mantissa / factor)
            }
        }
    }

    /// The same value with trailing fractional zeros removed (`1.500` → `1.5`).
    #[must_use]
    pub fn normalized(&self) -> Self {
        let mut m = self.mantissa;
        let mut s = self.scale;
        while s > 0 && m % 10 == 0 {
            m /= 10;
            s -= 1;
        }
        Self {
            mantissa: m,
            scale: s,
        }
    }

    /// Both values as `i128` at a common scale.
    fn aligned(&self, other: &Self) -> (i128, i128) {
        let scale = self.scale.max(other.scale);
        let a = i128::from(self.mantissa) * 10i128.pow(u32::from(scale - self.scale));
        let b = i128::from(other.mantissa) * 10i128.pow(u32::from(scale - other.scale));
        (a, b)
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = self.aligned(other);
        a.cmp(&b)
    }
}

impl Hash for Decimal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let n = self.normalized();
        n.mantissa.hash(state);
        n.scale.hash(state);
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let negative = self.mantissa < 0;
        let digits = self.mantissa.unsigned_abs().to_string();
        let scale = usize::from(self.scale);
        let sign = if negative { "-" } else { "" };
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = if digits.len() <= scale {
            format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
        } else {
            digits
        };
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
