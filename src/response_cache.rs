//! The response cache for repeated reads: dashboards send the same documents again and
//! again. A successful query's serialized response is kept under the SHA-256 of its
//! document text, variables, operation name and the caller's scope, together with the
//! data generation it was computed at (`store::generation`: a counter every committed
//! write moves forward in its own transaction, on any instance sharing the database).
//! It is served only while that generation is still current, read with one statement
//! per request, so a write on one instance is never answered from another's cache.
//!
//! Never cached: responses with errors, documents holding a mutation or subscription,
//! and responses a resolver marked [`NoStore`] (fields showing in-memory state, such as
//! `providers`' health). Bounded in bytes, least recently used out first; hits, misses,
//! evictions and bytes are on `/metrics`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use sha2::{Digest, Sha256};

use crate::lru::ByteLru;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;

/// A cache key: the SHA-256 of what the response depends on.
pub type Key = [u8; 32];

#[derive(Clone)]
struct Cached {
    generation: i64,
    body: Bytes,
}

/// The cache (shared by all requests of one server).
pub struct ResponseCache {
    lru: Mutex<ByteLru<Key, Cached>>,
    counters: CacheCounters,
}

impl ResponseCache {
    /// A cache of at most `max_bytes` of response bodies counting into `counters`, or
    /// `None` when `max_bytes` is 0 (off).
    pub fn new(max_bytes: usize, counters: CacheCounters) -> Option<Arc<Self>> {
        (max_bytes > 0).then(|| Arc::new(Self { lru: Mutex::new(ByteLru::new(max_bytes)), counters }))
    }

    /// The key of `request` for a caller in `scope` (see `Access::cache_scope`).
    pub fn key(request: &async_graphql::Request, scope: &str) -> Key {
        key_of(&request.query, request.operation_name.as_deref(), scope, &request.variables)
    }

    /// Whether an entry (at any generation) is kept under `key`: the document was
    /// admitted and answered without errors before. Not counted, not a use.
    pub fn contains(&self, key: &Key) -> bool {
        self.lock().contains(key)
    }

    /// The body stored under `key` at `generation`, counted as a hit.
    pub fn get(&self, key: &Key, generation: i64) -> Option<Bytes> {
        let found = self.lock().get(key).filter(|c| c.generation == generation).map(|c| c.body);
        if found.is_some() {
            self.counters.hits.inc();
        }
        found
    }

    /// Keep `body`, computed at `generation`, under `key` (counted as a miss: a
    /// cacheable response that had to be computed).
    pub fn put(&self, key: Key, generation: i64, body: Bytes) {
        self.counters.misses.inc();
        let size = body.len() + std::mem::size_of::<Key>();
        let mut lru = self.lock();
        let evicted = lru.insert(key, Cached { generation, body }, size);
        self.counters.evictions.inc_by(evicted as u64);
        self.counters.size.set(i64::try_from(lru.bytes()).unwrap_or(i64::MAX));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ByteLru<Key, Cached>> {
        self.lru.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Request data: the data generation a response is read at. The first resolver that
/// reads the store takes it ([`pin_generation`]), or `single` sets it beforehand when
/// it read the generation to check an entry. Resolvers run only for a document that
/// passed validation, so a refused document reads nothing; a response that read no
/// data has no generation and is not cached.
#[derive(Clone, Default)]
pub struct Ticket(Arc<tokio::sync::OnceCell<Option<i64>>>);

impl Ticket {
    /// A ticket already holding `generation`, read before the request ran.
    pub fn at(generation: i64) -> Self {
        Self(Arc::new(tokio::sync::OnceCell::new_with(Some(Some(generation)))))
    }

    /// The generation the response was read at, if it was read and readable.
    pub fn generation(&self) -> Option<i64> {
        self.0.get().copied().flatten()
    }
}

/// Take the data generation into the request's [`Ticket`], if it has one and it is not
/// taken yet. Every query resolver calls it before its first read of the store, so the
/// rows a response shows are at least as new as the generation it is filed under, and
/// a write committed after that moves the generation: the entry is never served then.
pub async fn pin_generation(ctx: &async_graphql::Context<'_>) {
    let Some(ticket) = ctx.data_opt::<Ticket>() else { return };
    let store = ctx.data_unchecked::<crate::store::Store>();
    ticket
        .0
        .get_or_init(|| async {
            store
                .data_generation()
                .await
                .inspect_err(|e| tracing::warn!(error = %e, "data generation unreadable; response not cached"))
                .ok()
        })
        .await;
}

/// Request data a resolver marks when its answer depends on state outside the
/// database (so the generation cannot tell when it changed): the response is not cached.
#[derive(Clone, Default)]
pub struct NoStore(Arc<AtomicBool>);

impl NoStore {
    /// Keep this response out of the cache.
    pub fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether a resolver marked it.
    pub fn marked(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Hits, misses (stale entries included), evictions and size of the response cache or
/// the load cache (`graphql::load_cache`).
#[derive(Clone, Default)]
pub struct CacheCounters {
    /// Responses (loads) served from the cache.
    pub hits: Counter,
    /// Cacheable requests that were executed (loads sent to the store).
    pub misses: Counter,
    /// Entries forgotten to make room.
    pub evictions: Counter,
    /// What is held now: bytes (response cache) or rows (load cache).
    pub size: Gauge,
}

/// The hash of what a response depends on besides the data: the document, the operation
/// name, the caller's scope and the variables (also the key of a shared subscription).
pub fn key_of(query: &str, operation: Option<&str>, scope: &str, variables: &async_graphql::Variables) -> Key {
    let mut h = Sha256::new();
    for part in [query.as_bytes(), operation.unwrap_or("").as_bytes(), scope.as_bytes()] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    // Same variables in another key order are another entry: a miss, never a wrong hit.
    h.update(serde_json::to_vec(variables).unwrap_or_default());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_served_only_at_the_generation_it_was_computed_at() {
        let counters = CacheCounters::default();
        let cache = ResponseCache::new(1 << 20, counters.clone()).unwrap();
        let key = ResponseCache::key(&async_graphql::Request::new("{ clients { totalCount } }"), "operator:1");
        cache.put(key, 7, Bytes::from_static(b"{\"data\":{}}"));
        assert_eq!(cache.get(&key, 7).as_deref(), Some(&b"{\"data\":{}}"[..]));
        assert_eq!(cache.get(&key, 8), None, "a write since: stale");
        assert_eq!((counters.hits.get(), counters.misses.get()), (1, 1), "one put, one hit");
        assert_eq!(counters.size.get(), 11 + 32);
    }

    #[test]
    fn scope_variables_and_operation_name_are_part_of_the_key() {
        let base = async_graphql::Request::new("query Q($id: ID!) { node(id: $id) { id } }");
        let key = |r: &async_graphql::Request, scope: &str| ResponseCache::key(r, scope);
        let with_vars = async_graphql::Request::new(base.query.clone())
            .variables(async_graphql::Variables::from_json(serde_json::json!({ "id": "x" })));
        let named = async_graphql::Request::new(base.query.clone()).operation_name("Q");
        let keys = [
            key(&base, "operator:1"),
            key(&base, "client:2"),
            key(&with_vars, "operator:1"),
            key(&named, "operator:1"),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(key(&base, "client:2"), key(&async_graphql::Request::new(base.query.clone()), "client:2"));
    }

    #[test]
    fn off_at_zero_bytes() {
        assert!(ResponseCache::new(0, CacheCounters::default()).is_none());
    }
}
