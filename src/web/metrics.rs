//! The Prometheus metrics bspgraph exports: their registry, the counters the request
//! middleware (`observe.rs`), the GraphQL error mapping and the response cache count
//! into, and the text exposition `/metrics` serves.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

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
    /// The load cache's counters (`graphql::load_cache` counts into them).
    pub load_cache: CacheCounters,
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
        registry.register("response_cache_bytes", "Bytes the response cache holds", c.size.clone());
        let load_cache = CacheCounters::default();
        let c = &load_cache;
        registry.register("load_cache_hits", "Relation and node loads served from the load cache", c.hits.clone());
        registry.register("load_cache_misses", "Loads sent to the store with the load cache on", c.misses.clone());
        registry.register("load_cache_evictions", "Load cache entries forgotten for room", c.evictions.clone());
        registry.register("load_cache_rows", "Rows the load cache holds", c.size.clone());
        Arc::new(Self { registry, requests, latency, errors, sql_statements, response_cache, load_cache })
    }

    /// Count one served request and its latency.
    pub fn request(&self, route: String, status: u16, seconds: f64) {
        self.requests.get_or_create(&RequestLabels { route: route.clone(), status }).inc();
        self.latency.get_or_create(&RouteLabels { route }).observe(seconds);
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
