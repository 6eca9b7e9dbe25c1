//! Fuzz target `hj212_packet`: arbitrary bytes through the HJ 212 framer, the packet / CP
//! parser and a `Session`, which must never panic; the packet sequence must not depend on how
//! the input is chunked. Each data segment is also parsed directly, bypassing the CRC, so that
//! the parser sees arbitrary text and not only text with a valid checksum.
//!
//! The first input byte picks the chunk size (1..=64) used for the chunked runs.

#![no_main]

use std::time::{Duration, Instant};

use hj212::{Auth, DateTime, Event, FramerConfig, Packet, PacketFramer, Session, SessionConfig};
use libfuzzer_sys::fuzz_target;

fn walk(p: &Packet) {
    let _ = (
        p.qn(),
        p.qn_time(),
        p.st(),
        p.cn(),
        p.pw(),
        p.mn(),
        p.flag(),
    );
    let _ = (p.needs_ack(), p.version(), p.pnum(), p.pno(), p.is_split());
    let cp = p.cp();
    let _ = cp.data_time();
    for pair in cp.pairs() {
        let _ = (
            pair.code(),
            pair.suffix(),
            pair.value.decimal(),
            pair.value.to_datetime(),
        );
        if let Some(Ok(nested)) = pair.nested() {
            let _ = nested.view().pairs().count();
        }
    }
    for f in cp.factors() {
        let _ = (
            f.rtd(),
            f.avg(),
            f.min(),
            f.max(),
            f.flag(),
            f.running_status(),
        );
        for (_, v) in f.fields() {
            let _ = v.to_scaled(3);
        }
    }
    let _ = p.extra_fields().count();
    let _ = p.to_frame();
}

fn packets(data: &[u8], chunk: usize) -> Vec<String> {
    let mut framer = PacketFramer::new(FramerConfig::default());
    let mut out = Vec::new();
    for part in data.chunks(chunk.max(1)) {
        framer.push(part);
        while let Some(r) = framer.next_packet() {
            let fatal = matches!(&r, Err(e) if !e.can_continue());
            out.push(format!("{r:?}"));
            if let Ok(raw) = r
                && let Ok(p) = Packet::from_raw(raw)
            {
                walk(&p);
            }
            if fatal {
                return out;
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, data)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first % 64) + 1;

    if let Ok(p) = Packet::parse(data) {
        walk(&p);
    }

    let whole = packets(data, data.len().max(1));
    let chunked = packets(data, chunk);
    assert_eq!(whole, chunked, "packet sequence depends on chunking");

    let t0 = Instant::now();
    let auth = |_: &str, pw: &str| {
        if pw == "bad" {
            Auth::WrongPassword
        } else {
            Auth::Accept
        }
    };
    let mut s = Session::new(SessionConfig::default(), auth, t0);
    let wall = DateTime::parse("20260101000000").ok();
    let mut now = t0;
    for part in data.chunks(chunk) {
        now += Duration::from_millis(10);
        s.handle_input(part, now);
        while let Some(ev) = s.poll_event() {
            match ev {
                Event::Online { .. } => {
                    if let Some(w) = wall {
                        let _ = s.initialise(w, now);
                    }
                }
                Event::Data(upload) => {
                    let _ = upload.factors().count();
                    if let Some(t) = upload.ack_token() {
                        s.ack(t);
                    }
                }
                _ => {}
            }
        }
        while s.poll_transmit().is_some() {}
    }
    if let Some(t) = s.poll_timeout() {
        s.handle_timeout(t);
    }
    while s.poll_event().is_some() {}
});
