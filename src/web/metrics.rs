//! Prometheus metrics (`/metrics`) and the per-request middleware that assigns the
//! request id, opens the request's tracing span and records count and latency.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use tracing::Instrument;

use super::AppState;
use crate::response_cache::CacheCounters;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

/// The metrics bspgraph exports.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    errors: Family<CodeLabels, Counter>,
    sql_statements: Gauge,
    /// The response cache's counters (`response_cache.rs` counts into them).
    pub response_cache: CacheCounters,
}

impl Metrics {
    /// Register every metric.
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("bspgraph");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        let errors = Family::<CodeLabels, Counter>::default();
        let sql_statements = Gauge::default();
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", latency.clone());
        registry.register("graphql_errors", "GraphQL errors by extensions.code", errors.clone());
        registry.register("sql_statements", "SQL statements sent since start", sql_statements.clone());
        let response_cache = CacheCounters::default();
        let c = &response_cache;
        registry.register("response_cache_hits", "Responses served from the response cache", c.hits.clone());
        registry.register("response_cache_misses", "Cacheable requests executed (no or stale entry)", c.misses.clone());
        registry.register("response_cache_evictions", "Response cache entries forgotten for room", c.evictions.clone());
        registry.register("response_cache_bytes", "Bytes the response cache holds", c.bytes.clone());
        Arc::new(Self { registry, requests, latency, errors, sql_statements, response_cache })
    }

    /// Count one GraphQL error with this code.
    pub fn graphql_error(&self, code: &str) {
        self.errors.get_or_create(&CodeLabels { code: code.to_owned() }).inc();
    }

    /// The text exposition format.
    pub fn render(&self, sql_statements: u64) -> String {
        self.sql_statements.set(sql_statements as i64);
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            tracing::error!("metrics encoding failed");
        }
        out
    }
}

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
    state.metrics.requests.get_or_create(&RequestLabels { route: route.clone(), status: status.as_u16() }).inc();
    state.metrics.latency.get_or_create(&RouteLabels { route }).observe(elapsed.as_secs_f64());
    response
}
