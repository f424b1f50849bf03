//! Automatic persisted queries (Apollo's APQ protocol): a request may send
//! `extensions.persistedQuery {version: 1, sha256Hash}` without its `query`. An
//! unknown hash answers `PersistedQueryNotFound` (code `PERSISTED_QUERY_NOT_FOUND`,
//! HTTP 200) so the client sends the query with its hash; a query whose SHA-256
//! matches is stored, a mismatching hash is refused. The store is in memory, bounded
//! in bytes, and forgets the least recently used queries first.

use std::sync::{Arc, Mutex};

use async_graphql::{Request, Value};
use sha2::{Digest, Sha256};

use crate::lru::ByteLru;

/// Why a persisted-query request cannot run.
#[derive(Debug, PartialEq, Eq)]
pub enum Miss {
    /// Unknown hash (`PERSISTED_QUERY_NOT_FOUND`, HTTP 200: the client retries with the query).
    NotFound,
    /// Persisted queries are turned off (`PERSISTED_QUERY_NOT_SUPPORTED`, HTTP 200).
    NotSupported,
    /// The query does not hash to the hash sent (`PERSISTED_QUERY_HASH_MISMATCH`, 400).
    Mismatch,
    /// Not `{version: 1, sha256Hash: "<hex>"}` (`BAD_REQUEST`, 400).
    Malformed,
}

impl Miss {
    /// `(message, extensions.code)` as Apollo clients expect them.
    pub fn describe(&self) -> (&'static str, &'static str) {
        match self {
            Self::NotFound => ("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND"),
            Self::NotSupported => ("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED"),
            Self::Mismatch => ("provided sha256Hash does not match the query", "PERSISTED_QUERY_HASH_MISMATCH"),
            Self::Malformed => ("persistedQuery must be {version: 1, sha256Hash}", "BAD_REQUEST"),
        }
    }
}

/// The store of persisted queries (cheap to clone; shared by all requests).
#[derive(Clone)]
pub struct PersistedQueries {
    lru: Arc<Mutex<ByteLru<String, Arc<str>>>>,
    max_bytes: usize,
}

impl PersistedQueries {
    /// A store holding at most `max_bytes` of query text (0 turns APQ off).
    pub fn new(max_bytes: usize) -> Self {
        Self { lru: Arc::new(Mutex::new(ByteLru::new(max_bytes))), max_bytes }
    }

    /// Fill in or store the query of a request that carries `extensions.persistedQuery`;
    /// other requests pass unchanged.
    pub fn resolve(&self, request: &mut Request) -> Result<(), Miss> {
        let Some(persisted) = request.extensions.get("persistedQuery") else { return Ok(()) };
        if self.max_bytes == 0 {
            return Err(Miss::NotSupported);
        }
        let hash = match persisted {
            Value::Object(p) if p.get("version") == Some(&Value::from(1)) => match p.get("sha256Hash") {
                Some(Value::String(h)) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    h.to_ascii_lowercase()
                }
                _ => return Err(Miss::Malformed),
            },
            _ => return Err(Miss::Malformed),
        };
        if request.query.is_empty() {
            request.query = self.get(&hash).ok_or(Miss::NotFound)?.to_string();
            return Ok(());
        }
        if hex::encode(Sha256::digest(request.query.as_bytes())) != hash {
            return Err(Miss::Mismatch);
        }
        self.put(hash, &request.query);
        Ok(())
    }

    fn get(&self, hash: &str) -> Option<Arc<str>> {
        self.lru.lock().unwrap_or_else(|e| e.into_inner()).get(&hash.to_owned())
    }

    fn put(&self, hash: String, query: &str) {
        let mut lru = self.lru.lock().unwrap_or_else(|e| e.into_inner());
        if !lru.contains(&hash) {
            lru.insert(hash, Arc::from(query), query.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashed(query: &str) -> Request {
        let hash = hex::encode(Sha256::digest(query.as_bytes()));
        let ext = serde_json::json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
        let mut request = Request::new(query);
        request.extensions = serde_json::from_value(ext).unwrap();
        request
    }

    fn hash_only(query: &str) -> Request {
        let mut request = hashed(query);
        request.query.clear();
        request
    }

    #[test]
    fn unknown_then_stored_then_found() {
        let store = PersistedQueries::new(1024);
        assert_eq!(store.resolve(&mut hash_only("{ a }")), Err(Miss::NotFound));
        assert_eq!(store.resolve(&mut hashed("{ a }")), Ok(()));
        let mut again = hash_only("{ a }");
        assert_eq!(store.resolve(&mut again), Ok(()));
        assert_eq!(again.query, "{ a }");
    }

    #[test]
    fn a_mismatching_hash_is_refused_and_not_stored() {
        let store = PersistedQueries::new(1024);
        let mut request = hashed("{ a }");
        request.query = "{ b }".into();
        assert_eq!(store.resolve(&mut request), Err(Miss::Mismatch));
        assert_eq!(store.resolve(&mut hash_only("{ a }")), Err(Miss::NotFound));
    }

    #[test]
    fn the_least_recently_used_query_goes_first() {
        let store = PersistedQueries::new(10); // room for two 5-byte queries
        for q in ["{ a }", "{ b }"] {
            store.resolve(&mut hashed(q)).unwrap();
        }
        store.resolve(&mut hash_only("{ a }")).unwrap(); // a is now the most recent
        store.resolve(&mut hashed("{ c }")).unwrap();
        assert_eq!(store.resolve(&mut hash_only("{ b }")), Err(Miss::NotFound));
        assert_eq!(store.resolve(&mut hash_only("{ a }")), Ok(()));
        assert_eq!(store.resolve(&mut hash_only("{ c }")), Ok(()));
    }

    #[test]
    fn turned_off_it_says_not_supported() {
        assert_eq!(PersistedQueries::new(0).resolve(&mut hash_only("{ a }")), Err(Miss::NotSupported));
    }
}
