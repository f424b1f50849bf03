//! The per-request middleware (request id, the request's tracing span, count and
//! latency) and the `/metrics` route, over the counters of `metrics.rs`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::web::state::AppState;

/// `GET /metrics`.
pub async fn metrics_handler(State(state): State<AppState>) -> Response {
    let body = state.metrics.render(state.store.statements());
    ([("content-type", "application/openmetrics-text; version=1.0.0; charset=utf-8")], body).into_response()
}

/// A caller-supplied request id is kept when it is short and plain; otherwise a new one is made.
fn request_id(req: &Request) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// Middleware: request id, span, `x-request-id` response header, count and latency.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&req);
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), route = %route);
    let mut response = crate::graphql::with_request_id(id.clone(), next.run(req)).instrument(span.clone()).await;
    let status = response.status();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    let elapsed = started.elapsed();
    span.in_scope(|| tracing::debug!(status = status.as_u16(), elapsed_ms = elapsed.as_secs_f64() * 1e3, "served"));
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        span.in_scope(|| tracing::warn!(status = status.as_u16(), "request failed"));
    }
    state.metrics.request(route, status.as_u16(), elapsed.as_secs_f64());
    response
}
