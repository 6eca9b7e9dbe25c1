//! The track snippet of a vehicle alarm as a picture attached to its case.
//!
//! Vehicle rules keep the last fixes before a breach in the alarm's detail (`detail.track`:
//! `[{"t","lon","lat","speed_kmh"}, …]`, see `supervision::muck`). When the alarm worker files a
//! case from such an alarm, the snippet is drawn as a small PNG map sketch — the path in blue,
//! its first fix green, its last (where the rule fired) red, north up, equal metres both ways,
//! a 100 m scale bar — and becomes a photo of the report, so whoever handles the case sees the
//! track without opening the alarm (the case's `external_ref` `alarm:<id>` still leads to the
//! full detail). The PNG is written without compression (stored deflate blocks): about 60 KB,
//! no image library needed.

use serde_json::Value;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiResult;
use store::Alarm;

/// Width and height of the sketch, pixels.
pub const SIZE: usize = 240;
const MARGIN: f64 = 16.0;
const METRES_PER_DEGREE: f64 = 111_320.0;

// Palette indices.
const BG: u8 = 0;
const GRID: u8 = 1;
const PATH: u8 = 2;
const START: u8 = 3;
const END: u8 = 4;
const INK: u8 = 5;
const PALETTE: [[u8; 3]; 6] = [
    [250, 250, 247],
    [228, 231, 235],
    [37, 99, 235],
    [22, 163, 74],
    [220, 38, 38],
    [55, 65, 81],
];

/// The `(lon, lat)` points of an alarm detail's `track`, in order; invalid points are skipped.
pub fn track_points(detail: &Value) -> Vec<(f64, f64)> {
    detail["track"]
        .as_array()
        .map(|pts| {
            pts.iter()
                .filter_map(|p| Some((p["lon"].as_f64()?, p["lat"].as_f64()?)))
                .filter(|(lon, lat)| {
                    lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The PNG sketch of a track (see the module docs); `None` without a point.
pub fn render_png(track: &[(f64, f64)]) -> Option<Vec<u8>> {
    let first = track.first()?;
    let cos = first.1.to_radians().cos().max(0.01);
    // Metres east and north of the first point.
    let xy: Vec<(f64, f64)> = track
        .iter()
        .map(|(lon, lat)| {
            (
                (lon - first.0) * METRES_PER_DEGREE * cos,
                (lat - first.1) * METRES_PER_DEGREE,
            )
        })
        .collect();
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in &xy {
        x0 = x0.min(*x);
        x1 = x1.max(*x);
        y0 = y0.min(*y);
        y1 = y1.max(*y);
    }
    // At least 200 m across, so a standing vehicle is a dot, not a blown-up jitter.
    let span = (x1 - x0).max(y1 - y0).max(200.0);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let scale = (SIZE as f64 - 2.0 * MARGIN) / span;
    let to_px = |(x, y): (f64, f64)| -> (i64, i64) {
        (
            (SIZE as f64 / 2.0 + (x - cx) * scale).round() as i64,
            (SIZE as f64 / 2.0 - (y - cy) * scale).round() as i64,
        )
    };
    let mut img = vec![BG; SIZE * SIZE];
    for i in (0..SIZE).step_by(40) {
        for j in 0..SIZE {
            img[i * SIZE + j] = GRID;
            img[j * SIZE + i] = GRID;
        }
    }
    let px: Vec<(i64, i64)> = xy.iter().map(|p| to_px(*p)).collect();
    for w in px.windows(2) {
        line(&mut img, w[0], w[1], PATH);
    }
    if let (Some(a), Some(b)) = (px.first(), px.last()) {
        square(&mut img, *a, 3, START);
        square(&mut img, *b, 4, END);
    }
    // Scale bar: 100 m, bottom left.
    let bar = (100.0 * scale).round() as i64;
    let y = SIZE as i64 - 8;
    line(&mut img, (8, y), (8 + bar, y), INK);
    line(&mut img, (8, y - 3), (8, y), INK);
    line(&mut img, (8 + bar, y - 3), (8 + bar, y), INK);
    Some(encode_png(&img))
}

fn put(img: &mut [u8], (x, y): (i64, i64), c: u8) {
    if (0..SIZE as i64).contains(&x) && (0..SIZE as i64).contains(&y) {
        img[y as usize * SIZE + x as usize] = c;
    }
}

/// A two-pixel-wide line (Bresenham, clipped per pixel).
fn line(img: &mut [u8], (mut x, mut y): (i64, i64), (x1, y1): (i64, i64), c: u8) {
    let (dx, dy) = ((x1 - x).abs(), -(y1 - y).abs());
    let (sx, sy) = (if x < x1 { 1 } else { -1 }, if y < y1 { 1 } else { -1 });
    let mut err = dx + dy;
    // Bounded by the longest line inside the clipped square of the canvas.
    for _ in 0..(4 * SIZE * SIZE) {
        put(img, (x, y), c);
        put(img, (x + 1, y), c);
        put(img, (x, y + 1), c);
        if x == x1 && y == y1 {
            break;
        }
        let e2 = 2 * err;
        if e2 >= dy {
            err += dy;
            x += sx;
        }
        if e2 <= dx {
            err += dx;
            y += sy;
        }
    }
}

fn square(img: &mut [u8], (x, y): (i64, i64), r: i64, c: u8) {
    for i in -r..=r {
        for j in -r..=r {
            put(img, (x + i, y + j), c);
        }
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// An 8-bit palette PNG of `img` (`SIZE`×`SIZE` palette indices), zlib with stored blocks.
fn encode_png(img: &[u8]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(SIZE * (SIZE + 1));
    for row in img.chunks(SIZE) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, b) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = u16::try_from(b.len()).unwrap_or(u16::MAX);
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(b);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());

    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let side = u32::try_from(SIZE).unwrap_or(0).to_be_bytes();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side);
    ihdr.extend_from_slice(&side);
    ihdr.extend_from_slice(&[8, 3, 0, 0, 0]); // 8-bit, palette, deflate, no filter, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"PLTE", &PALETTE.concat());
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The attachment ids a case from `alarm` carries for its track: one PNG sketch recorded as
/// `actor`'s upload when the alarm's detail holds a track, else none. A sketch that cannot be
/// stored is logged and left out (the case still gets filed).
pub async fn case_track(state: &AppState, actor: &AuthUser, alarm: &Alarm) -> ApiResult<Vec<i64>> {
    let Some(png) = render_png(&track_points(&alarm.detail)) else {
        return Ok(Vec::new());
    };
    // Once per alarm: a filing tried again takes the picture recorded before.
    match crate::routes::attachments::save_image_keyed(
        state,
        actor.caller.user_id,
        &png,
        "image/png",
        "png",
        Some(format!("alarm-{}-track.png", alarm.id)),
        Some(&format!("alarm:{}:track", alarm.id)),
    )
    .await
    {
        Ok(saved) => Ok(vec![saved.id]),
        Err(e) => {
            tracing::warn!(alarm = alarm.id, error = ?e, "track sketch not stored");
            Ok(Vec::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_track_becomes_a_png_the_upload_check_accepts() {
        let detail = json!({"track": [
            {"t": 0, "lon": 113.61, "lat": 34.75, "speed_kmh": 30.0},
            {"t": 1, "lon": 113.612, "lat": 34.751, "speed_kmh": 30.0},
            {"t": 2, "lon": "x", "lat": 34.751},
            {"t": 3, "lon": 113.613, "lat": 34.7505, "speed_kmh": 0.0},
        ]});
        let pts = track_points(&detail);
        assert_eq!(pts.len(), 3);
        let png = render_png(&pts).expect("png");
        assert_eq!(
            crate::routes::attachments::sniff_image(&png),
            Some(("image/png", "png"))
        );
        // IHDR: 240 × 240, 8-bit palette; the stream ends with IEND and its CRC.
        assert_eq!(&png[16..24], &[0, 0, 0, 240, 0, 0, 0, 240]);
        assert_eq!(&png[24..26], &[8, 3]);
        assert_eq!(&png[png.len() - 12..png.len() - 4], b"\0\0\0\0IEND");
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
        // Points far apart and a single point render too; no track, no picture.
        assert!(render_png(&[(113.0, 34.0), (114.0, 35.0)]).is_some());
        assert!(render_png(&[(113.0, 34.0)]).is_some());
        assert!(render_png(&track_points(&json!({"value": 1}))).is_none());
    }
}
