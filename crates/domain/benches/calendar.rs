//! Criterion benches for the working-time calendar: `add_working_minutes` and
//! `working_minutes_between` throughput on the built-in China calendar, plus building it.
//!
//! Inputs are a fixed pseudo-random batch (no clock, no RNG crate): starts spread over
//! 2024–2026 at millisecond resolution, limits from 0 to ~20 working days.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use domain::calendar::{BUILTIN_HOLIDAYS_CSV, WorkCalendar, WorkSchedule, parse_special_days_csv};
use domain::time::Timestamp;

const BATCH: usize = 4096;
/// 2024-01-01T00:00+08:00 and the length of three years, in milliseconds.
const FROM_MS: i64 = 1_704_038_400_000;
const SPAN_MS: i64 = 3 * 365 * 86_400_000;

/// A small xorshift generator, so the batch is the same on every run.
fn batch() -> Vec<(Timestamp, i64, Timestamp)> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..BATCH)
        .map(|_| {
            let start = Timestamp(FROM_MS + (next() % SPAN_MS as u64) as i64);
            let minutes = (next() % 8_400) as i64;
            let to = Timestamp(FROM_MS + (next() % SPAN_MS as u64) as i64);
            (start, minutes, to)
        })
        .collect()
}

fn calendar(c: &mut Criterion) {
    let cal = WorkCalendar::builtin();
    let inputs = batch();

    let mut group = c.benchmark_group("calendar");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("add_working_minutes", |b| {
        b.iter(|| {
            let mut acc = 0i64;
            for &(start, minutes, _) in &inputs {
                acc ^= cal
                    .add_working_minutes(black_box(start), black_box(minutes))
                    .millis();
            }
            acc
        })
    });
    group.bench_function("add_working_minutes_short", |b| {
        // Typical node limits: up to one working day.
        b.iter(|| {
            let mut acc = 0i64;
            for &(start, minutes, _) in &inputs {
                acc ^= cal
                    .add_working_minutes(black_box(start), black_box(minutes % 420))
                    .millis();
            }
            acc
        })
    });
    group.bench_function("working_minutes_between", |b| {
        b.iter(|| {
            let mut acc = 0i64;
            for &(start, _, to) in &inputs {
                acc =
                    acc.wrapping_add(cal.working_minutes_between(black_box(start), black_box(to)));
            }
            acc
        })
    });
    group.finish();

    let mut build = c.benchmark_group("calendar_build");
    build.bench_function("builtin_clone", |b| b.iter(WorkCalendar::builtin));
    build.bench_function("new_from_csv", |b| {
        b.iter(|| {
            let days = parse_special_days_csv(black_box(BUILTIN_HOLIDAYS_CSV));
            days.map(|d| WorkCalendar::new(WorkSchedule::default(), &d).is_ok())
        })
    });
    build.finish();
}

criterion_group!(benches, calendar);
criterion_main!(benches);
