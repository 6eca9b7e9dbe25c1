//! Unit and data-driven tests. Fixtures live in `test_data/` (copied into the crate; nothing is
//! read from outside it). Snapshot files (`*.expect`) are rewritten with `UPDATE_EXPECT=1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod codec;
mod conformance;
mod props;
mod session;

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::{FramerConfig, Packet, PacketFramer};

/// `crates/hj212/test_data/<rel>`.
pub(crate) fn test_data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("test_data")
        .join(rel)
}

/// Undoes the `\r`, `\n`, `\\` escapes of the fixture files.
pub(crate) fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('r') => out.push(b'\r'),
                Some('n') => out.push(b'\n'),
                Some('\\') => out.push(b'\\'),
                other => panic!("bad escape \\{other:?}"),
            }
        } else {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    out
}

/// Escapes bytes for snapshot text.
pub(crate) fn escape(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .replace('\\', "\\\\")
        .replace('\r', "\\r")
        .replace('\n', "\\n")
}

/// Frames one complete packet and parses it; panics on any error.
pub(crate) fn packet(frame: &[u8]) -> Packet {
    Packet::decode(frame).unwrap_or_else(|e| panic!("{e}: {}", escape(frame)))
}

/// Compares `actual` with the snapshot file `test_data/<rel>` (rewritten with UPDATE_EXPECT=1).
pub(crate) fn check_snapshot(rel: &str, actual: &str) {
    let path = test_data(rel);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {}; run with UPDATE_EXPECT=1 and review",
            path.display()
        )
    });
    assert_eq!(
        expected, actual,
        "snapshot {rel} differs (UPDATE_EXPECT=1 to rewrite)"
    );
}

/// A readable, stable dump of a packet (the "expected decode" in snapshots).
pub(crate) fn dump_packet(p: &Packet, out: &mut String) {
    let o = |v: Option<&str>| v.map_or("<absent>".to_owned(), |s| format!("{s:?}"));
    let _ = writeln!(
        out,
        "  QN   {} {}",
        o(p.qn()),
        p.qn_time().map(|t| t.to_string()).unwrap_or_default()
    );
    let _ = writeln!(out, "  ST   {}", o(p.st()));
    let _ = writeln!(
        out,
        "  CN   {} {:?} role={:?}",
        p.cn(),
        p.cn(),
        p.cn().device_role()
    );
    let _ = writeln!(out, "  PW   {}", o(p.pw()));
    let _ = writeln!(out, "  MN   {}", o(p.mn()));
    match p.flag() {
        Some(f) => {
            let _ = writeln!(
                out,
                "  Flag {} version={:?} split={} ack={}",
                f.0,
                f.version(),
                f.is_split(),
                f.needs_ack()
            );
        }
        None => {
            let _ = writeln!(out, "  Flag <absent> (version {:?}, no ack)", p.version());
        }
    }
    if p.pnum().is_some() || p.pno().is_some() {
        let _ = writeln!(out, "  PNUM {:?} PNO {:?}", p.pnum(), p.pno());
    }
    for (k, v) in p.extra_fields() {
        let _ = writeln!(out, "  extra {k}={v:?}");
    }
    let cp = p.cp();
    let _ = writeln!(out, "  CP   {} pairs", cp.len());
    for param in cp.parameters() {
        let extra = if let Some(t) = param.value.to_datetime() {
            format!(" = {t}")
        } else if let Ok(d) = param.value.decimal() {
            format!(" = decimal {d}")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "    param  {}={:?}{extra}",
            param.key,
            param.value.as_str()
        );
    }
    for f in cp.factors() {
        let mut line = format!("    factor {}:", f.code());
        for (suffix, v) in f.fields() {
            let _ = write!(line, " {suffix}={:?}", v.as_str());
            if suffix == "Flag" {
                let _ = write!(line, "({:?})", f.flag());
            } else if suffix == "RS" {
                let _ = write!(line, "({:?})", f.running_status());
            } else if let Ok(d) = v.decimal() {
                let _ = write!(line, "[{}e-{}]", d.mantissa(), d.scale());
            }
        }
        let _ = writeln!(out, "{line}");
    }
}

/// Runs a byte stream through a framer with `config` and dumps every outcome.
pub(crate) fn dump_stream(bytes: &[u8], config: FramerConfig) -> String {
    let mut framer = PacketFramer::new(config);
    framer.push(bytes);
    let mut out = String::new();
    while let Some(item) = framer.next_packet() {
        match item {
            Ok(raw) => {
                let _ = writeln!(
                    out,
                    "frame ok: {} data bytes, CRC {:04X} ({:?})",
                    raw.data().len(),
                    raw.crc(),
                    raw.crc_variant()
                );
                match Packet::from_raw(raw) {
                    Ok(p) => dump_packet(&p, &mut out),
                    Err(e) => {
                        let _ = writeln!(out, "  body error: {e}");
                    }
                }
            }
            Err(e) => {
                let _ = writeln!(out, "frame error: {e}");
            }
        }
    }
    if framer.buffered() > 0 {
        let _ = writeln!(out, "waiting: {} bytes buffered", framer.buffered());
    }
    out
}
