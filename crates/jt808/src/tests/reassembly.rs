//! Subpackage reassembly tests, with simulated time.

use std::time::{Duration, Instant};

use crate::frame::Frame;
use crate::header::{Header, Package, Phone};
use crate::reassembly::{Insert, Reassembler, ReassemblyConfig, ReassemblyError};

use super::support::{fixtures, hex, to_hex};

fn part(serial: u16, total: u16, index: u16, body: &[u8]) -> Frame {
    let mut h = Header::new_2013(0x0801, Phone::from_digits("13800000001").unwrap(), serial);
    h.package = Some(Package { total, index });
    Frame::new(h, body.to_vec())
}

fn sc_1205_parts() -> (Frame, Frame) {
    let fx = fixtures();
    let get = |name: &str| {
        let f = fx.iter().find(|f| f.name.contains(name)).unwrap();
        Frame::parse(&hex(&f.hex)).unwrap()
    };
    (get("SC-1205-part1of2"), get("SC-1205-part2of2"))
}

#[test]
fn sc_1205_reassembles_in_either_order() {
    let t0 = Instant::now();
    let (p1, p2) = sc_1205_parts();
    for (first, second) in [(p1.clone(), p2.clone()), (p2, p1)] {
        let mut r = Reassembler::default();
        assert_eq!(
            r.insert(first, t0).unwrap(),
            Insert::Pending {
                received: 1,
                total: 2
            }
        );
        let Insert::Complete(done) = r.insert(second, t0).unwrap() else {
            panic!()
        };
        assert_eq!(done.body.len(), 986);
        let h = to_hex(&done.body);
        assert!(h.starts_with("015a00000023"), "{}", &h[..12]);
        assert!(h.ends_with("01010c6f9e7b"));
        assert_eq!(done.header.id, 0x1205);
        assert_eq!(done.header.package, None);
        assert_eq!((done.first_serial, done.header.serial), (0x00EB, 0x00EB));
        assert_eq!(r.pending(), 0);
        assert_eq!(r.buffered_bytes(), 0);
    }
}

#[test]
fn bad_indices_are_refused() {
    let t0 = Instant::now();
    let mut r = Reassembler::default();
    assert_eq!(
        r.insert(part(1, 3, 0, b"x"), t0),
        Err(ReassemblyError::BadIndex { index: 0, total: 3 })
    );
    assert_eq!(
        r.insert(part(1, 3, 4, b"x"), t0),
        Err(ReassemblyError::BadIndex { index: 4, total: 3 })
    );
    assert_eq!(
        r.insert(part(1, 0, 0, b"x"), t0),
        Err(ReassemblyError::BadIndex { index: 0, total: 0 })
    );
    assert_eq!(
        r.insert(
            Frame::new(
                Header::new_2013(1, Phone::from_digits("1").unwrap(), 1),
                vec![]
            ),
            t0
        ),
        Err(ReassemblyError::NotSubpackaged)
    );
    assert!(matches!(
        r.insert(part(1, 60000, 1, b"x"), t0),
        Err(ReassemblyError::TooManyPackets { .. })
    ));
}

#[test]
fn single_packet_set_completes_at_once() {
    let mut r = Reassembler::default();
    let Insert::Complete(done) = r.insert(part(9, 1, 1, b"abc"), Instant::now()).unwrap() else {
        panic!()
    };
    assert_eq!(done.body, b"abc");
}

#[test]
fn resent_packets_with_new_serials_join_the_open_set() {
    // T18: packets 1 and 3 arrive (serials 10, 12); packet 2 is resent later as serial 40.
    let t0 = Instant::now();
    let mut r = Reassembler::default();
    r.insert(part(10, 3, 1, b"aa"), t0).unwrap();
    r.insert(part(12, 3, 3, b"cc"), t0).unwrap();
    let Insert::Complete(done) = r.insert(part(40, 3, 2, b"bb"), t0).unwrap() else {
        panic!()
    };
    assert_eq!(done.body, b"aabbcc");
    assert_eq!((done.first_serial, done.last_serial), (10, 40));
}

#[test]
fn duplicate_packet_replaces_without_double_count() {
    let t0 = Instant::now();
    let mut r = Reassembler::default();
    r.insert(part(10, 2, 1, b"old"), t0).unwrap();
    assert_eq!(
        r.insert(part(10, 2, 1, b"new"), t0).unwrap(),
        Insert::Pending {
            received: 1,
            total: 2
        }
    );
    assert_eq!(r.buffered_bytes(), 3);
    let Insert::Complete(done) = r.insert(part(11, 2, 2, b"!"), t0).unwrap() else {
        panic!()
    };
    assert_eq!(done.body, b"new!");
}

#[test]
fn idle_sets_expire_with_their_missing_indices() {
    let t0 = Instant::now();
    let cfg = ReassemblyConfig {
        timeout: Duration::from_secs(30),
        ..ReassemblyConfig::default()
    };
    let mut r = Reassembler::new(cfg);
    r.insert(part(10, 4, 1, b"a"), t0).unwrap();
    r.insert(part(12, 4, 3, b"c"), t0 + Duration::from_secs(10))
        .unwrap();
    assert_eq!(r.next_deadline(), Some(t0 + Duration::from_secs(40)));
    assert!(r.expire(t0 + Duration::from_secs(39)).is_empty());
    let gone = r.expire(t0 + Duration::from_secs(40));
    assert_eq!(gone.len(), 1);
    assert_eq!(
        (gone[0].first_serial, gone[0].missing.clone()),
        (10, vec![2, 4])
    );
    assert_eq!((r.pending(), r.buffered_bytes()), (0, 0));
    assert_eq!(r.next_deadline(), None);
}

#[test]
fn pending_and_byte_limits_evict_the_oldest() {
    let t0 = Instant::now();
    let cfg = ReassemblyConfig {
        max_pending: 2,
        max_bytes: 10,
        ..ReassemblyConfig::default()
    };
    let mut r = Reassembler::new(cfg);
    r.insert(part(100, 2, 1, b"1111"), t0).unwrap();
    r.insert(part(200, 2, 1, b"2222"), t0 + Duration::from_secs(1))
        .unwrap();
    // A third set evicts the oldest (serial 100).
    r.insert(part(300, 2, 1, b"33"), t0 + Duration::from_secs(2))
        .unwrap();
    assert_eq!(r.pending(), 2);
    // Bytes: 4 + 2 held; 6 more would exceed 10, so the oldest other set (200) goes.
    r.insert(part(301, 2, 2, b"444444"), t0 + Duration::from_secs(3))
        .unwrap_or_else(|e| panic!("{e}"));
    let evicted: Vec<u16> = r
        .expire(t0 + Duration::from_secs(3))
        .iter()
        .map(|e| e.first_serial)
        .collect();
    assert_eq!(evicted, vec![100, 200]);
    assert!(r.buffered_bytes() <= 10);
    // A single packet larger than the whole budget is refused.
    assert_eq!(
        r.insert(part(500, 2, 1, &[0; 11]), t0),
        Err(ReassemblyError::TooLarge { max: 10 })
    );
}
