//! Cost of sweeping coverage on the demo city: sweeper fixes through map matching and pass
//! building (fixes/s = throughput), and the daily 机械化清扫率 report over every road and area.
//!
//! `cargo bench -p supervision --bench sweeping`

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use domain::time::Timestamp;
use grid::{GenerateOptions, Geocoder, Point, RoadClass, Scale};
use supervision::sweeping::{LocalDay, RoadAreas, RoadIndex, SweepConfig, SweepTracker};
use supervision::vehicle::{Fix, STATUS_LOCATED};

/// 2026-01-01 06:00 Asia/Shanghai.
const T0: i64 = 1_767_218_400_000;
const SWEEPERS: usize = 40;

/// Each sweeper drives along its own road end to end and back at 10 km/h, a fix every 10 s.
fn tracks(city: &grid::CityModel) -> Vec<Fix> {
    let roads: Vec<&grid::Road> = city
        .roads
        .iter()
        .filter(|r| r.class != RoadClass::Expressway)
        .collect();
    let mut out = Vec::new();
    for s in 0..SWEEPERS {
        let road = roads[s * roads.len() / SWEEPERS];
        let line = &road.line.0;
        let (a, b) = (line[0], line[line.len() - 1]);
        let n = (road.line.length_m() / 27.8).ceil().max(2.0) as usize;
        let phone = format!("0139{s:08}");
        for i in 0..=2 * n {
            let f = if i <= n { i } else { 2 * n - i } as f64 / n as f64;
            out.push(Fix {
                phone: phone.clone(),
                at: Timestamp(T0 + i as i64 * 10_000),
                point: Point::new(a.lon + (b.lon - a.lon) * f, a.lat + (b.lat - a.lat) * f),
                speed_kmh: 10.0,
                heading: 0,
                status: STATUS_LOCATED,
                alarm: 0,
                extra: Vec::new(),
            });
        }
    }
    out.sort_by_key(|f| f.at.0);
    out
}

fn bench(c: &mut Criterion) {
    let city = grid::generate_with(7, Scale::Demo, &GenerateOptions::default());
    let index = Arc::new(RoadIndex::build(&city.roads));
    let areas = RoadAreas::build(&index, &Geocoder::build(&city), &city.areas);
    let fixes = tracks(&city);
    let day = LocalDay::of(Timestamp(T0));

    let mut g = c.benchmark_group("sweeping");
    g.throughput(Throughput::Elements(fixes.len() as u64));
    g.bench_function("observe_demo_city", |b| {
        b.iter_batched(
            || SweepTracker::new(index.clone(), SweepConfig::default()),
            |mut t| {
                for f in &fixes {
                    black_box(t.observe(f));
                }
                t
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();

    let mut tracker = SweepTracker::new(index.clone(), SweepConfig::default());
    for f in &fixes {
        tracker.observe(f);
    }
    c.bench_function("sweeping/daily_report_demo_city", |b| {
        b.iter(|| black_box(tracker.daily(day, Some(&areas))))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
