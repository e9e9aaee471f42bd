//! Tidy checks over the whole workspace: module docs, no stubs, dependency directions.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn all_rust_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates"), &mut files);
    assert!(files.len() > 20, "found only {} files", files.len());
    files
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let missing: Vec<String> = all_rust_files()
        .into_iter()
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(missing.is_empty(), "files without a //! module doc: {missing:#?}");
}

#[test]
fn product_code_has_no_stubs_or_debug_prints() {
    let banned = ["todo!(", "unimplemented!(", "dbg!("];
    let offenders: Vec<String> = all_rust_files()
        .into_iter()
        .filter(|p| !p.components().any(|c| c.as_os_str() == "tests"))
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            banned.iter().find(|b| text.contains(*b)).map(|b| format!("{}: {b}", p.display()))
        })
        .collect();
    assert!(offenders.is_empty(), "{offenders:#?}");
}

/// `domain` knows no other crate of ours and no IO or web crate; `storage` knows no web crate.
#[test]
fn crate_dependencies_point_inwards() {
    let manifest = |name: &str| {
        std::fs::read_to_string(workspace_root().join("crates").join(name).join("Cargo.toml"))
            .unwrap()
    };
    let deps_section = |text: &str| -> String {
        text.split("[dependencies]")
            .nth(1)
            .unwrap_or("")
            .split("\n[")
            .next()
            .unwrap_or("")
            .to_owned()
    };
    let domain = deps_section(&manifest("domain"));
    for banned in ["tika_", "sqlx", "axum", "tokio", "serde_json"] {
        assert!(!domain.contains(banned), "domain depends on {banned}");
    }
    let storage = deps_section(&manifest("storage"));
    for banned in ["tika_server", "tika_pdf", "axum", "askama"] {
        assert!(!storage.contains(banned), "storage depends on {banned}");
    }
    let pdf = deps_section(&manifest("pdf"));
    for banned in ["tika_storage", "tika_server", "sqlx", "axum"] {
        assert!(!pdf.contains(banned), "pdf depends on {banned}");
    }
    for krate in ["domain", "packs", "storage", "pdf", "server", "cli"] {
        assert!(
            !deps_section(&manifest(krate)).contains("tika_test_support"),
            "{krate} depends on test-support outside dev-dependencies"
        );
    }
}
