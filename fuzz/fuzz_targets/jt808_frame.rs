//! Fuzz target `jt808_frame`: arbitrary bytes through the JT/T 808 frame decoder, the message
//! decoder and a `Session`, which must never panic; the frame sequence must not depend on how
//! the input is chunked, and every decoded message must re-encode without panicking.
//!
//! The first input byte picks the chunk size (1..=64) used for the chunked runs.

#![no_main]

use std::time::{Duration, Instant};

use jt808::{Event, FrameDecoder, Message, ResultCode, Session, SessionConfig};
use libfuzzer_sys::fuzz_target;

fn frames(data: &[u8], chunk: usize) -> Vec<String> {
    let mut dec = FrameDecoder::new();
    let mut out = Vec::new();
    for part in data.chunks(chunk.max(1)) {
        dec.push(part);
        while let Some(r) = dec.next_frame() {
            let fatal = matches!(&r, Err(e) if e.is_fatal());
            out.push(format!("{r:?}"));
            if let Ok(frame) = r
                && let Ok(msg) =
                    Message::decode(frame.header.id, frame.header.version(), &frame.body)
            {
                let _ = msg.to_body(frame.header.version());
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

    // Frame layer: chunking invariance up to the first fatal error.
    let whole = frames(data, data.len().max(1));
    let chunked = frames(data, chunk);
    assert_eq!(whole, chunked, "frame sequence depends on chunking");

    // Session: answer every decision positively so that deep paths are reached.
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    let mut now = t0;
    for part in data.chunks(chunk) {
        now += Duration::from_millis(10);
        s.handle_input(part, now);
        while let Some(ev) = s.poll_event() {
            match ev {
                Event::RegisterRequest { token, .. } => {
                    let _ = s.accept_register(token, "code");
                }
                Event::AuthRequest { token, .. } => {
                    let _ = s.answer_auth(token, true);
                }
                Event::Location { ack, .. }
                | Event::LocationBatch { ack, .. }
                | Event::Multimedia { ack, .. } => {
                    let _ = s.ack(ack, ResultCode::Success);
                }
                _ => {}
            }
        }
        while s.poll_transmit().is_some() {}
        let _ = s.send(&Message::LocationQuery);
    }
    if let Some(t) = s.poll_timeout() {
        s.handle_timeout(t);
    }
    while s.poll_event().is_some() {}
});
