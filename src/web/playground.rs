//! The browser pages served from the binary: GraphiQL at `/` and the live onboarding
//! board at `/board`. Every script and stylesheet they load is compiled in
//! (`include_bytes!`) and served under `/graphiql/`: the vendored npm files from
//! `assets/vendor/` (exact versions, checked against `assets/vendor/SHA256SUMS` by
//! `assets/fetch.sh`) under versioned paths with immutable cache headers, and our own
//! pages and scripts from `assets/playground/` (revalidated on each load). The pages
//! carry a Content-Security-Policy that allows nothing outside this server, so they work
//! with no network and load nothing from anywhere else.

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The pages' policy: scripts, styles, fetches and sockets only from this origin, no
/// inline script or style element (GraphiQL sets styles through the DOM, which the policy
/// allows); images and fonts also as the `data:` URIs GraphiQL's CSS embeds.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

/// Vendored files never change under their versioned path.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Our own pages and scripts change with the binary: revalidate each time.
const REVALIDATE: &str = "no-cache";

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";

/// One file served from the binary.
struct Asset {
    path: &'static str,
    body: &'static [u8],
    content_type: &'static str,
    cache: &'static str,
}

macro_rules! vendored {
    ($file:literal, $type:expr) => {
        Asset {
            path: concat!("/graphiql/", $file),
            body: include_bytes!(concat!("../../assets/vendor/", $file)),
            content_type: $type,
            cache: IMMUTABLE,
        }
    };
}

macro_rules! own {
    ($path:literal, $file:literal, $type:expr) => {
        Asset {
            path: $path,
            body: include_bytes!(concat!("../../assets/playground/", $file)),
            content_type: $type,
            cache: REVALIDATE,
        }
    };
}

static ASSETS: &[Asset] = &[
    own!("/", "graphiql.html", HTML),
    own!("/board", "board.html", HTML),
    own!("/graphiql/playground.js", "playground.js", JS),
    own!("/graphiql/playground.css", "playground.css", CSS),
    own!("/graphiql/board.js", "board.js", JS),
    own!("/graphiql/board.css", "board.css", CSS),
    vendored!("react@18.3.1/react.production.min.js", JS),
    vendored!("react@18.3.1/LICENSE", TEXT),
    vendored!("react-dom@18.3.1/react-dom.production.min.js", JS),
    vendored!("react-dom@18.3.1/LICENSE", TEXT),
    vendored!("graphiql@4.1.2/graphiql.min.js", JS),
    vendored!("graphiql@4.1.2/graphiql.min.css", CSS),
    vendored!("graphiql@4.1.2/LICENSE", TEXT),
    vendored!("plugin-explorer@4.0.6/index.umd.js", JS),
    vendored!("plugin-explorer@4.0.6/style.css", CSS),
    vendored!("plugin-explorer@4.0.6/package.json", JSON),
    vendored!("plugin-explorer@4.0.6/LICENSE.graphiql-explorer", TEXT),
    vendored!("graphql-ws@6.4.2/graphql-ws.min.js", JS),
    vendored!("graphql-ws@6.4.2/LICENSE.md", TEXT),
];

/// The routes of GraphiQL, the board and their files (mounted only when GraphiQL is on).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    ASSETS.iter().fold(Router::new(), |router, asset| router.route(asset.path, get(move || serve(asset))))
}

async fn serve(asset: &'static Asset) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(asset.cache));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if asset.content_type == HTML {
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    (headers, asset.body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_script_and_stylesheet_is_served_from_here() {
        let served: Vec<&str> = ASSETS.iter().map(|a| a.path).collect();
        for page in ASSETS.iter().filter(|a| a.content_type == HTML) {
            let text = std::str::from_utf8(page.body).unwrap_or_default();
            for link in text.split(['"', '\'']).filter(|s| s.starts_with('/') && s.contains('.')) {
                assert!(served.contains(&link), "{} refers to {link}, which is not served", page.path);
            }
            assert!(!text.contains("http://") && !text.contains("https://"), "{} names another origin", page.path);
        }
    }
}
