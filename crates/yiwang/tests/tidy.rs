//! Tidy checks over the source tree: every Rust file starts with a `//!` module doc, and the
//! crate dependency rules of ARCHITECTURE.md hold (read from the manifests).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_rust_file_has_a_module_doc() {
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root().join("crates"))
        .expect("crates")
        .flatten()
    {
        for sub in ["src", "tests", "benches"] {
            rust_files(&krate.path().join(sub), &mut files);
        }
    }
    assert!(files.len() > 20, "found only {} files", files.len());
    let missing: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a //! module doc:\n{}",
        missing.join("\n")
    );
}

fn dependencies(krate: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml"))
        .expect("manifest");
    let mut out = Vec::new();
    let mut in_deps = false;
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            in_deps = l == "[dependencies]";
            continue;
        }
        if in_deps && let Some((name, _)) = l.split_once('=') {
            out.push(name.trim().to_owned());
        }
    }
    out
}

#[test]
fn crate_dependency_rules_hold() {
    for codec in ["jt808", "hj212"] {
        let deps = dependencies(codec);
        for banned in ["tokio", "sqlx", "axum", "domain", "store", "server"] {
            assert!(
                !deps.iter().any(|d| d == banned),
                "{codec} must not depend on {banned}"
            );
        }
    }
    let deps = dependencies("domain");
    for banned in ["tokio", "sqlx", "axum", "store", "server", "reqwest"] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "domain must stay pure: no {banned}"
        );
    }
    let deps = dependencies("store");
    for banned in ["axum", "server", "jt808", "hj212"] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "store must not depend on {banned}"
        );
    }
    for krate in ["domain", "store", "server", "jt808", "hj212"] {
        assert!(
            !dependencies(krate).iter().any(|d| d == "anyhow"),
            "{krate}: anyhow belongs to binaries only"
        );
    }
}
