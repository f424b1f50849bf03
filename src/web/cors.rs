//! Cross-origin access to `/graphql` (CORS) for browser apps served from other origins,
//! e.g. an end-customer UI calling with a client token. Off unless
//! `BSPGRAPH_CORS_ORIGINS` lists origins. Callers authenticate with an `Authorization`
//! header, never with cookies, so credentials are never allowed
//! (`Access-Control-Allow-Credentials` is never sent); `*` (any origin) is accepted in
//! dev mode only, production needs the exact origins. WebSockets are not subject to CORS:
//! `/graphql/ws` authenticates in `connection_init` as it always does.

use std::time::Duration;

use axum::http::{header, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The CORS layer for `/graphql`, `None` when no origin is configured; `Err` on an
/// origin that is not `scheme://host[:port]`, or on `*` in production.
pub fn layer(origins: &[String], dev: bool) -> anyhow::Result<Option<CorsLayer>> {
    let origins: Vec<&str> = origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()).collect();
    if origins.is_empty() {
        return Ok(None);
    }
    let allow = if origins.contains(&"*") {
        if !dev {
            anyhow::bail!(
                "BSPGRAPH_CORS_ORIGINS=* (any origin) is refused in production mode: list the exact \
                 origins of the browser apps, e.g. https://app.example.com"
            );
        }
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().map(|o| parse_origin(o)).collect::<anyhow::Result<Vec<_>>>()?)
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .expose_headers([header::RETRY_AFTER, header::WWW_AUTHENTICATE])
            .max_age(PREFLIGHT_MAX_AGE),
    ))
}

/// An origin as browsers send it: `http(s)://host[:port]`, no path, no trailing slash.
fn parse_origin(origin: &str) -> anyhow::Result<HeaderValue> {
    let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', '*', ' ']) => {
            Ok(HeaderValue::from_str(origin)?)
        }
        _ => anyhow::bail!(
            "BSPGRAPH_CORS_ORIGINS: {origin:?} is not an origin (http(s)://host[:port], without path or trailing slash)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn empty_means_no_cors_and_bad_origins_are_refused() {
        assert!(layer(&[], true).unwrap_or_default().is_none());
        assert!(layer(&list(&[" ", ""]), false).unwrap_or_default().is_none());
        assert!(layer(&list(&["https://app.example.com", " http://localhost:3000"]), false).is_ok());
        for bad in ["app.example.com", "https://app.example.com/", "https://", "ftp://x", "https://*.example.com"] {
            assert!(layer(&list(&[bad]), true).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn any_origin_only_in_dev_mode() {
        assert!(layer(&list(&["*"]), true).is_ok());
        let err = layer(&list(&["*"]), false).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("refused in production"), "{err}");
    }
}
