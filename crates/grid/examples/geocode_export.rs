//! Writes the City-scale unit grids (WKT) and random points (TSV) for the PostGIS / Shapely
//! comparison in `bench/geocode-compare/`, then geocodes the points with [`grid::Geocoder`]
//! and writes our answers and timing.
//!
//! `cargo run --release -p grid --example geocode_export -- OUT_DIR [N_POINTS] [demo|city]`
//!
//! Files: `grids.tsv` (`idx`, `code`, `wkt`), `points.tsv` (`id`, `lon`, `lat`), `ours.tsv`
//! (`id`, `idx`, −1 when outside every grid) and `ours.json` (counts and timings).

use std::fmt::Write as _;
use std::time::Instant;

use grid::{AreaLevel, Geocoder, Scale, generate};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(args.get(1).map_or("/tmp/geocode-compare", String::as_str));
    let n: usize = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let scale = match args.get(3).map(String::as_str) {
        Some("demo") => Scale::Demo,
        _ => Scale::City,
    };
    std::fs::create_dir_all(&out)?;
    let t = Instant::now();
    let model = generate(1, scale);
    let gen_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let geo = Geocoder::build(&model);
    let build_s = t.elapsed().as_secs_f64();

    // Grids in geocoder index order (GridIdx = position among the model's grids).
    let grids: Vec<&grid::Area> = model.areas_of(AreaLevel::Grid).collect();
    let mut s = String::with_capacity(grids.len() * 400);
    s.push_str("idx\tcode\twkt\n");
    for (i, g) in grids.iter().enumerate() {
        let _ = write!(s, "{i}\t{}\tMULTIPOLYGON(", g.code);
        for (pi, p) in g.polygon.0.iter().enumerate() {
            s.push_str(if pi > 0 { ",(" } else { "(" });
            for (ri, r) in p.rings().enumerate() {
                s.push_str(if ri > 0 { ",(" } else { "(" });
                for (k, pt) in r.iter().enumerate() {
                    if k > 0 {
                        s.push(',');
                    }
                    let _ = write!(s, "{} {}", pt.lon, pt.lat);
                }
                s.push(')');
            }
            s.push(')');
        }
        s.push_str(")\n");
    }
    std::fs::write(out.join("grids.tsv"), &s)?;

    let pts = grid::generate::random_points_in_bbox(&model, n, 42);
    let mut s = String::with_capacity(n * 40);
    s.push_str("id\tlon\tlat\n");
    for (i, p) in pts.iter().enumerate() {
        let _ = writeln!(s, "{i}\t{}\t{}", p.lon, p.lat);
    }
    std::fs::write(out.join("points.tsv"), &s)?;

    // Best of 5 passes over all points, one core.
    let mut answers = vec![-1i64; n];
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        for (a, p) in answers.iter_mut().zip(&pts) {
            *a = match geo.grid_at(p.lon, p.lat) {
                Ok(Some(g)) => i64::from(g.0),
                _ => -1,
            };
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mut s = String::with_capacity(n * 12);
    s.push_str("id\tidx\n");
    for (i, a) in answers.iter().enumerate() {
        let _ = writeln!(s, "{i}\t{a}");
    }
    std::fs::write(out.join("ours.tsv"), &s)?;
    let hits = answers.iter().filter(|a| **a >= 0).count();
    let json = format!(
        "{{\"grids\":{},\"points\":{n},\"hits\":{hits},\"generate_s\":{gen_s:.3},\"build_s\":{build_s:.4},\"lookup_s\":{best:.5},\"per_s\":{:.0}}}\n",
        grids.len(),
        n as f64 / best
    );
    std::fs::write(out.join("ours.json"), &json)?;
    print!("{json}");
    Ok(())
}
