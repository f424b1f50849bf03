//! The playground pages served from the binary: GraphiQL at `/` and the board at
//! `/board` with a Content-Security-Policy that allows nothing external, the vendored
//! files byte-identical to `assets/vendor/` (whose SHA-256 list `assets/fetch.sh`
//! checks) with immutable caching, and none of it in production unless enabled.
//! The pages in a real browser: `browser.rs`.

use std::path::Path;

use bspgraph::modes::Mode;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::helpers::{spawn_app, spawn_app_with};

/// `(sha256 hex, path under assets/vendor)` from the committed list.
fn vendored() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/vendor");
    let list = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    list.lines()
        .filter_map(|line| line.split_once("  "))
        .map(|(hash, file)| (hash.to_owned(), file.to_owned()))
        .collect()
}

#[tokio::test]
async fn pages_allow_nothing_external() {
    let app = spawn_app().await;
    for path in ["/", "/board"] {
        let resp = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.starts_with("default-src 'self'; script-src 'self';"), "{csp}");
        assert!(!csp.contains("http") && !csp.contains("unsafe") && !csp.contains('*'), "{csp}");
        let body = resp.text().await.unwrap();
        assert!(!body.contains("https://") && !body.contains("http://"), "{path} names another host");
        assert!(!body.contains("<script>"), "{path} has an inline script");
    }
}

#[tokio::test]
async fn vendored_files_are_served_as_committed_with_immutable_caching() {
    let app = spawn_app().await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/vendor");
    let files = vendored();
    assert!(files.len() >= 10, "{files:?}");
    for (hash, file) in files {
        let on_disk = std::fs::read(dir.join(&file)).unwrap();
        assert_eq!(hex::encode(Sha256::digest(&on_disk)), hash, "assets/vendor/{file} differs from SHA256SUMS");
        let resp = app.http.get(app.url(&format!("/graphiql/{file}"))).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{file}");
        assert_eq!(resp.headers()["cache-control"], "public, max-age=31536000, immutable", "{file}");
        assert_eq!(resp.bytes().await.unwrap().as_ref(), on_disk.as_slice(), "{file}");
    }
    let own = app.http.get(app.url("/graphiql/board.js")).send().await.unwrap();
    assert_eq!(own.headers()["cache-control"], "no-cache");
    assert_eq!(own.headers()["content-type"], "text/javascript; charset=utf-8");
}

#[tokio::test]
async fn production_serves_the_pages_only_when_enabled() {
    let off = spawn_app_with(|s| s.security.mode = Mode::Production).await;
    for path in ["/", "/board", "/graphiql/board.js", "/graphiql/graphiql@4.1.2/graphiql.min.js"] {
        assert_eq!(off.http.get(off.url(path)).send().await.unwrap().status(), StatusCode::NOT_FOUND, "{path}");
    }
    let on = spawn_app_with(|s| {
        s.security.mode = Mode::Production;
        s.security.enable_graphiql = true;
    })
    .await;
    for path in ["/", "/board", "/graphiql/board.js"] {
        assert_eq!(on.http.get(on.url(path)).send().await.unwrap().status(), StatusCode::OK, "{path}");
    }
}
