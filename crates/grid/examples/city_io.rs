//! Import/export and validation timings at City scale (≥ 1,000,000 components, ≥ 100,000
//! grids): `cargo run --release -p grid --example city_io`.

use std::time::Instant;

use grid::geojson::{self, ReadOptions};
use grid::validate::{self, ValidateOptions};
use grid::{AreaLevel, Scale, generate};

fn time<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let v = f();
    println!("{label}: {:.2} s", t.elapsed().as_secs_f64());
    v
}

fn main() {
    let model = time("generate City", || generate(1, Scale::City));
    let n = model.components.len();
    println!(
        "{n} components, {} grids",
        model.areas_of(AreaLevel::Grid).count()
    );
    let gj = time("write components GeoJSON", || {
        geojson::write_components(&model.components, false)
    });
    println!("  {:.0} MB", gj.len() as f64 / 1e6);
    let back = time("parse components GeoJSON", || {
        geojson::parse_components(gj.as_bytes(), ReadOptions::default())
    });
    assert!(back.as_ref().is_ok_and(|b| b.len() == n));
    let gj_gcj = geojson::write_components(&model.components, true);
    let back = time("parse components GeoJSON from GCJ-02", || {
        geojson::parse_components(gj_gcj.as_bytes(), ReadOptions { from_gcj02: true })
    });
    assert!(back.as_ref().is_ok_and(|b| b.len() == n));
    let csv = time("write components CSV", || {
        geojson::write_components_csv(&model.components, false)
    });
    println!("  {:.0} MB", csv.len() as f64 / 1e6);
    let back = time("parse components CSV", || {
        geojson::parse_components_csv(csv.as_bytes(), ReadOptions::default())
    });
    assert!(back.as_ref().is_ok_and(|b| b.len() == n));
    let classes = validate::builtin_component_classes();
    let rep = time("validate components (with grid containment)", || {
        validate::validate_components(
            &model.components,
            &classes,
            &model.areas,
            &ValidateOptions::default(),
        )
    });
    println!("  {} issues", rep.issues.len());
    let grids: Vec<_> = model.areas_of(AreaLevel::Grid).cloned().collect();
    let text = time("write grids GeoJSON", || {
        geojson::write_areas(&grids, false)
    });
    println!("  {:.0} MB", text.len() as f64 / 1e6);
    let feats = time("parse grids GeoJSON (features)", || {
        geojson::parse_area_features(text.as_bytes(), ReadOptions::default())
    });
    let Ok(feats) = feats else { return };
    let rep = time("validate grids (overlaps, gaps, outside community)", || {
        validate::validate_areas(&feats, &model.areas, &ValidateOptions::default())
    });
    println!("  {} issues", rep.issues.len());
    let districts: Vec<_> = model.areas_of(AreaLevel::District).cloned().collect();
    let grids_z = time("simplify all grids for zoom 14", || {
        grid::simplify::simplify_areas(&grids, 14)
    });
    let before: usize = grids
        .iter()
        .map(|a| a.polygon.rings().map(Vec::len).sum::<usize>())
        .sum();
    let after: usize = grids_z
        .iter()
        .map(|a| a.polygon.rings().map(Vec::len).sum::<usize>())
        .sum();
    println!("  grid vertices {before} → {after}");
    for z in [10u8, 14, 18] {
        let d = grid::simplify::simplify_areas(&districts, z);
        let v: usize = d
            .iter()
            .map(|a| a.polygon.rings().map(Vec::len).sum::<usize>())
            .sum();
        println!("  district outlines at zoom {z}: {v} vertices");
    }
}
