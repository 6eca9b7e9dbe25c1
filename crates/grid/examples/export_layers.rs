//! Writes a generated city as GeoJSON layers (districts, streets, communities, grids, roads,
//! components) and the components as CSV into a directory, for looking at in a GIS or for
//! seeding: `cargo run --release -p grid --example export_layers -- OUT_DIR [demo|city] [seed] [gcj02]`.

use grid::geojson;
use grid::{AreaLevel, Scale, generate};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(args.get(1).map_or("/tmp/yiwang-city", String::as_str));
    let scale = match args.get(2).map(String::as_str) {
        Some("city") => Scale::City,
        _ => Scale::Demo,
    };
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let gcj = args.get(4).is_some_and(|s| s == "gcj02");
    std::fs::create_dir_all(&out)?;
    let model = generate(seed, scale);
    for (name, level) in [
        ("districts", AreaLevel::District),
        ("streets", AreaLevel::Street),
        ("communities", AreaLevel::Community),
        ("grids", AreaLevel::Grid),
    ] {
        let areas: Vec<grid::Area> = model.areas_of(level).cloned().collect();
        std::fs::write(
            out.join(format!("{name}.geojson")),
            geojson::write_areas(&areas, gcj),
        )?;
    }
    std::fs::write(
        out.join("roads.geojson"),
        geojson::write_roads(&model.roads, gcj),
    )?;
    std::fs::write(
        out.join("components.geojson"),
        geojson::write_components(&model.components, gcj),
    )?;
    std::fs::write(
        out.join("components.csv"),
        geojson::write_components_csv(&model.components, gcj),
    )?;
    println!("wrote {}", out.display());
    Ok(())
}
