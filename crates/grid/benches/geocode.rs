//! Point → grid throughput over the City-scale model (≥ 100,000 grids), random points over the
//! city's bounding box (some outside every grid) and inside grids.
//!
//! `cargo bench -p grid --bench geocode`; `GRID_BENCH_SCALE=demo` for the small model.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use grid::{Geocoder, Scale, generate};

fn bench(c: &mut Criterion) {
    let scale = match std::env::var("GRID_BENCH_SCALE").as_deref() {
        Ok("demo") => Scale::Demo,
        _ => Scale::City,
    };
    let t = Instant::now();
    let model = generate(1, scale);
    let gen_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let geo = Geocoder::build(&model);
    let build_s = t.elapsed().as_secs_f64();
    eprintln!(
        "model: {} grids, {} roads, {} components; generate {gen_s:.2} s, index build {build_s:.3} s",
        geo.grid_count(),
        model.roads.len(),
        model.components.len()
    );
    const N: usize = 1 << 16;
    let bbox_pts = grid::generate::random_points_in_bbox(&model, N, 7);
    let in_pts = grid::random_points(&model, N, 8);

    let mut g = c.benchmark_group("geocode");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("grid_at/bbox_points", |b| {
        b.iter(|| {
            let mut hits = 0u32;
            for p in &bbox_pts {
                if let Ok(Some(x)) = geo.grid_at(black_box(p.lon), black_box(p.lat)) {
                    hits = hits.wrapping_add(x.0);
                }
            }
            hits
        })
    });
    g.bench_function("grid_at/inside_points", |b| {
        b.iter(|| {
            let mut hits = 0u32;
            for p in &in_pts {
                if let Ok(Some(x)) = geo.grid_at(black_box(p.lon), black_box(p.lat)) {
                    hits = hits.wrapping_add(x.0);
                }
            }
            hits
        })
    });
    g.finish();

    let mut g = c.benchmark_group("locate");
    g.throughput(Throughput::Elements(1024));
    g.bench_function("locate_with_road_100m", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for p in &in_pts[..1024] {
                if let Ok(grid::Geocoded::Inside(l)) = geo.locate(p.lon, p.lat, 100.0) {
                    n += l.address.len();
                }
            }
            n
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
