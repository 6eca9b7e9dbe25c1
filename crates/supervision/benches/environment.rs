//! Cost of one monitor sample through the environment rules (samples/s = throughput).
//!
//! `cargo bench -p supervision --bench environment`

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use domain::time::Timestamp;
use supervision::environment::{
    Aggregator, EnvConfig, EnvSupervisor, FactorValue, MonitorSample, ParticulateUnit,
    RestaurantSize, Site, SiteKind,
};

const MONITORS: usize = 100;
const MINUTES: i64 = 120;

fn site(i: usize) -> Site {
    Site {
        name: format!("site {i}"),
        kind: if i.is_multiple_of(2) {
            SiteKind::Restaurant {
                size: RestaurantSize::Medium,
            }
        } else {
            SiteKind::ConstructionSite
        },
        position: None,
        grid_code: None,
        particulate_unit: ParticulateUnit::UgM3,
    }
}

fn value(code: &str, v: f64) -> FactorValue {
    FactorValue {
        code: code.into(),
        value: Some(v),
        flag: Some('N'),
    }
}

/// Minute samples of every monitor, time-ordered, values crossing the limits now and then.
fn samples() -> Vec<MonitorSample> {
    let start = 1_780_000_000_000;
    let mut out = Vec::with_capacity(MONITORS * MINUTES as usize);
    for m in 0..MINUTES {
        for i in 0..MONITORS {
            let wave = ((m as f64 + i as f64) / 7.0).sin();
            let values = if i.is_multiple_of(2) {
                vec![
                    value("a34041", 1.8 + wave),
                    value("a34000", 0.5),
                    value("a24088", 3.0),
                ]
            } else {
                vec![
                    value("a34002", 140.0 + 40.0 * wave),
                    value("a34004", 60.0),
                    value("a34001", 500.0),
                    value("LA", 62.0 + 8.0 * wave),
                ]
            };
            out.push(MonitorSample {
                mn: format!("MN{i:022}"),
                at: Timestamp(start + m * 60_000),
                values,
                running: vec![
                    ("SB1".into(), 1),
                    ("SB2".into(), i32::from(m.rem_euclid(30) != 0)),
                ],
            });
        }
    }
    out
}

fn engine() -> EnvSupervisor {
    let mut e = EnvSupervisor::new(EnvConfig::default());
    for i in 0..MONITORS {
        e.register(format!("MN{i:022}"), site(i));
    }
    e
}

fn bench(c: &mut Criterion) {
    let samples = samples();
    let mut g = c.benchmark_group("environment");
    g.throughput(Throughput::Elements(samples.len() as u64));
    g.bench_function("observe", |b| {
        b.iter_batched(
            engine,
            |mut e| {
                for s in &samples {
                    black_box(e.observe(s));
                }
                e
            },
            BatchSize::LargeInput,
        );
    });
    let cfg = EnvConfig::default();
    g.bench_function("aggregate", |b| {
        b.iter_batched(
            Aggregator::new,
            |mut a| {
                for s in &samples {
                    a.add_sample(s, &cfg);
                }
                a
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
