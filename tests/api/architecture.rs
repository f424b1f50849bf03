//! The sandbox is a black box: the simulators live in their own crate
//! (`sandbox/`, `bspgraph-sandbox`), which does not depend on bspgraph, and the only
//! modules of bspgraph that name it are the wiring that mounts them (`src/web/mod.rs`,
//! whose state holds them: `src/web/state.rs`) and
//! serves them alone (`src/main.rs`, `bspgraph sandbox`). Everything else reaches the
//! simulators over HTTP, as it reaches the real providers.

use std::path::{Path, PathBuf};

use bspgraph::providers::SANDBOX_CREDENTIALS;
use bspgraph_sandbox::SandboxConfig;

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn only_the_wiring_names_the_sandbox_crate() {
    let allowed = [root().join("src/web/mod.rs"), root().join("src/web/state.rs"), root().join("src/main.rs")];
    let naming: Vec<_> = rust_files(&root().join("src"))
        .into_iter()
        .filter(|f| !allowed.contains(f))
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            text.contains("bspgraph_sandbox") || text.contains("bspgraph-sandbox")
        })
        .collect();
    assert!(naming.is_empty(), "these modules name the simulators; reach them over HTTP instead: {naming:?}");
    // The wiring really is where they are mounted (the check above is not vacuous).
    assert!(std::fs::read_to_string(&allowed[0]).unwrap().contains("bspgraph_sandbox::"));
}

#[test]
fn nothing_below_the_web_layer_imports_it() {
    let web = root().join("src/web");
    let below: Vec<_> = rust_files(&root().join("src"))
        .into_iter()
        .filter(|f| !f.starts_with(&web) && !f.ends_with("src/main.rs"))
        .filter(|f| std::fs::read_to_string(f).unwrap().contains("crate::web"))
        .collect();
    assert!(below.is_empty(), "these modules reach up into src/web: {below:?}");
    // The layer is really there (the check above is not vacuous).
    assert!(rust_files(&web).len() > 10);
}

#[test]
fn the_sandbox_crate_does_not_depend_on_bspgraph() {
    let manifest = std::fs::read_to_string(root().join("sandbox/Cargo.toml")).unwrap();
    let deps = manifest.split("[dependencies]").nth(1).expect("sandbox/Cargo.toml has [dependencies]");
    let names: Vec<&str> = deps
        .lines()
        .take_while(|l| !l.starts_with('['))
        .filter_map(|l| l.split_once('=').map(|(name, _)| name.trim()))
        .collect();
    assert!(names.contains(&"axum"), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("bspgraph") || *n == "migrations"), "{names:?}");
    let sources = rust_files(&root().join("sandbox/src"));
    assert!(sources.len() > 10);
    for f in sources {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(!text.contains("bspgraph::"), "{f:?} names the bspgraph crate");
    }
}

/// The published sandbox credentials bspgraph uses (listed in the README) are the ones
/// the simulators accept: two independent copies of one public contract.
#[test]
fn published_sandbox_credentials_match_the_simulators() {
    let sim = SandboxConfig::default();
    let c = &SANDBOX_CREDENTIALS;
    assert_eq!((c.zavu_api_key, c.zavu_webhook_secret), (sim.zavu.api_key.as_str(), sim.zavu.webhook_secret.as_str()));
    assert_eq!(
        (c.sinch_key_id, c.sinch_key_secret, c.sinch_project_id),
        (sim.sinch.key_id.as_str(), sim.sinch.key_secret.as_str(), sim.sinch.project_id.as_str())
    );
    assert_eq!(
        (c.sendzen_partner_key, c.sendzen_webhook_secret),
        (sim.sendzen.partner_key.as_str(), sim.sendzen.webhook_secret.as_str())
    );
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for published in [c.zavu_api_key, c.sinch_key_id, c.sinch_key_secret, c.sinch_project_id, c.sendzen_partner_key] {
        assert!(readme.contains(published), "the README does not list {published}");
    }
}
