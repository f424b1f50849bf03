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

/// The module path (below `src/web`) of a web file: `ws/conn.rs` is `["ws", "conn"]`,
/// `ws/mod.rs` is `["ws"]`, `mod.rs` is `[]`.
fn web_module(web: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(web).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The web file defining the longest prefix of `path` that is a module.
fn web_file(web: &Path, path: &[String]) -> PathBuf {
    (0..=path.len())
        .rev()
        .flat_map(|n| {
            let dir = path[..n].iter().fold(web.to_path_buf(), |d, p| d.join(p));
            [dir.with_extension("rs"), dir.join("mod.rs")]
        })
        .find(|f| f.is_file() && f.starts_with(web))
        .unwrap()
}

/// The web files `file` imports: every `crate::web::...` and `super::...` path outside
/// comments (the items of a `super::{a, b}` group each count), resolved to the file that
/// defines it. An item reached through a parent's re-export counts as the parent.
fn web_imports(web: &Path, file: &Path) -> Vec<PathBuf> {
    let here = web_module(web, file);
    let parent = if file.ends_with("mod.rs") { here.clone() } else { here[..here.len() - 1].to_vec() };
    let code: String = std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .take_while(|l| !l.starts_with("#[cfg(test)]"))
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut paths: Vec<Vec<String>> = Vec::new();
    for (start, base, prefix) in [("crate::web::", Vec::new(), "crate::web::"), ("super::", parent.clone(), "super::")]
    {
        for (at, _) in code.match_indices(start) {
            if prefix == "super::" && code[..at].ends_with("::") {
                continue; // `crate::web::super::` never occurs; `a::super::` is not ours
            }
            let rest = &code[at + prefix.len()..];
            let heads: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group[..group.find('}').unwrap_or(0)].split(',').collect(),
                None => vec![rest],
            };
            for head in heads {
                let segs: Vec<String> = head
                    .trim()
                    .split("::")
                    .map(|s| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>())
                    .take_while(|s| !s.is_empty())
                    .collect();
                paths.push(base.iter().cloned().chain(segs).collect());
            }
        }
    }
    let mut files: Vec<PathBuf> = paths.iter().map(|p| web_file(web, p)).filter(|f| f != file).collect();
    files.sort();
    files.dedup();
    files
}

#[test]
fn the_web_files_import_each_other_without_a_circle() {
    let web = root().join("src/web");
    let files = rust_files(&web);
    let graph: Vec<(PathBuf, Vec<PathBuf>)> = files.iter().map(|f| (f.clone(), web_imports(&web, f))).collect();
    let edges = |f: &Path| graph.iter().find(|(g, _)| g == f).map(|(_, e)| e.clone()).unwrap_or_default();
    // Depth-first search from every file; a file met again on the current path closes a circle.
    fn visit(f: &Path, path: &mut Vec<PathBuf>, done: &mut Vec<PathBuf>, edges: &dyn Fn(&Path) -> Vec<PathBuf>) {
        if done.iter().any(|d| d == f) {
            return;
        }
        if let Some(at) = path.iter().position(|p| p == f) {
            let circle: Vec<_> = path[at..].iter().map(|p| p.file_name().unwrap().to_owned()).collect();
            panic!("the web files import each other in a circle: {circle:?} (from {})", path[at].display());
        }
        path.push(f.to_path_buf());
        for next in edges(f) {
            visit(&next, path, done, edges);
        }
        path.pop();
        done.push(f.to_path_buf());
    }
    let mut done = Vec::new();
    for f in &files {
        visit(f, &mut Vec::new(), &mut done, &edges);
    }
    // The reading is not vacuous: the session imports the state, the router the session.
    let state = web.join("state.rs");
    assert!(edges(&web.join("ws/conn.rs")).contains(&state));
    assert!(edges(&web.join("mod.rs")).contains(&web.join("ws/mod.rs")));
    assert!(edges(&web.join("ws/conn.rs")).contains(&web.join("ws/init.rs")));
}
