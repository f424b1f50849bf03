//! Loads kept across requests: what the batch keys loaded (a node by id, a parent's
//! children), filed under the data generation it was read at (`store::generation`, the
//! counter every committed write moves forward in its own transaction, on any instance
//! sharing the database). A request reads the generation once, before its first read
//! of the store (`response_cache::pin_generation`), and is served only entries filed
//! under that same generation: the first request that sees a newer one empties the
//! cache. Rows are loaded after the generation was read, so an entry is at least as new
//! as the generation it is filed under, and a write committed on any instance is read
//! back by the next request.
//!
//! Unlike the response cache, this serves any document over the same rows (another
//! selection, other variables, another caller). Values are the same for every caller:
//! what a caller may see is decided after the load (`scope`), on every request.
//! Bounded in rows, least recently used out first; hits, misses, evictions and rows
//! held are on `/metrics`.

use std::any::Any;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::batch::BatchKey;
use crate::lru::ByteLru;
use crate::response_cache::CacheCounters;

/// A batch key of any type, comparable and hashable across types.
trait AnyKey: Send + Sync {
    fn same(&self, other: &dyn AnyKey) -> bool;
    fn hash_into(&self, state: &mut dyn Hasher);
    fn as_any(&self) -> &dyn Any;
}

impl<K: BatchKey> AnyKey for K {
    fn same(&self, other: &dyn AnyKey) -> bool {
        other.as_any().downcast_ref::<K>().is_some_and(|o| o == self)
    }

    fn hash_into(&self, mut state: &mut dyn Hasher) {
        std::any::TypeId::of::<K>().hash(&mut state);
        self.hash(&mut state);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Clone)]
struct Key(Arc<dyn AnyKey>);

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.0.same(&*other.0)
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash_into(state);
    }
}

/// A loaded value (`Option<K::Value>`: a key found to have none is kept too).
type Loaded = Arc<dyn Any + Send + Sync>;

struct Entries {
    generation: i64,
    lru: ByteLru<Key, Loaded>,
}

/// The cache (shared by every request of one server).
pub struct LoadCache {
    entries: Mutex<Entries>,
    max_rows: usize,
    counters: CacheCounters,
}

impl LoadCache {
    /// A cache of at most `max_rows` rows counting into `counters` (its `size` is rows
    /// held), or `None` when `max_rows` is 0 (off).
    pub fn new(max_rows: usize, counters: CacheCounters) -> Option<Arc<Self>> {
        (max_rows > 0).then(|| {
            let entries = Mutex::new(Entries { generation: i64::MIN, lru: ByteLru::new(max_rows) });
            Arc::new(Self { entries, max_rows, counters })
        })
    }

    /// The value `key` loaded at `generation` (`Some(None)`: it has none), counted as a
    /// hit; `None` when it is not kept at that generation.
    pub(super) fn get<K: BatchKey>(&self, generation: i64, key: &K) -> Option<Option<K::Value>> {
        let found = {
            let mut entries = self.at(generation)?;
            entries.lru.get(&Key(Arc::new(key.clone())))?
        };
        let value = found.downcast_ref::<Option<K::Value>>()?.clone();
        self.counters.hits.inc();
        Some(value)
    }

    /// Keep what a batch loaded at `generation` (every key it was asked for, found or
    /// not), each counted as a miss.
    pub(super) fn put<K: BatchKey>(&self, generation: i64, loaded: impl IntoIterator<Item = (K, Option<K::Value>)>) {
        let loaded: Vec<_> = loaded.into_iter().collect();
        self.counters.misses.inc_by(loaded.len() as u64);
        let Some(mut entries) = self.at(generation) else { return };
        let mut evicted = 0;
        for (key, value) in loaded {
            let rows = value.as_ref().map_or(1, |v| K::rows(v).max(1));
            evicted += entries.lru.insert(Key(Arc::new(key)), Arc::new(value), rows);
        }
        self.counters.evictions.inc_by(evicted as u64);
        self.counters.size.set(i64::try_from(entries.lru.bytes()).unwrap_or(i64::MAX));
    }

    /// The entries, when they are at `generation`: a newer one empties them first, an
    /// older one (a request that started before the last write) gets nothing.
    fn at(&self, generation: i64) -> Option<MutexGuard<'_, Entries>> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if generation > entries.generation {
            *entries = Entries { generation, lru: ByteLru::new(self.max_rows) };
            self.counters.size.set(0);
        }
        (generation == entries.generation).then_some(entries)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::graphql::batch::BatchResult;
    use crate::store::Store;

    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
    struct A(u32);
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
    struct B(u32);

    impl BatchKey for A {
        type Value = Vec<u32>;
        async fn load(_: &Store, _: &[Self]) -> BatchResult<HashMap<Self, Vec<u32>>> {
            unreachable!("not loaded here")
        }
        fn rows(value: &Vec<u32>) -> usize {
            value.len()
        }
    }

    impl BatchKey for B {
        type Value = &'static str;
        async fn load(_: &Store, _: &[Self]) -> BatchResult<HashMap<Self, &'static str>> {
            unreachable!("not loaded here")
        }
    }

    #[test]
    fn an_entry_is_served_only_at_its_generation_and_a_newer_one_empties_the_cache() {
        let counters = CacheCounters::default();
        let cache = LoadCache::new(100, counters.clone()).unwrap();
        cache.put(7, [(A(1), Some(vec![1, 2, 3])), (A(2), None)]);
        assert_eq!(cache.get(7, &A(1)), Some(Some(vec![1, 2, 3])));
        assert_eq!(cache.get(7, &A(2)), Some(None), "a key found empty is kept");
        assert_eq!(cache.get(6, &A(1)), None, "a request older than the entries");
        assert_eq!(counters.size.get(), 4, "three rows and one empty key");
        assert_eq!(cache.get(8, &A(1)), None, "a write since: gone");
        assert_eq!(cache.get(7, &A(1)), None, "and not back for an older request");
        assert_eq!(counters.size.get(), 0);
        cache.put(7, [(A(1), Some(vec![9]))]);
        assert_eq!(cache.get(8, &A(1)), None, "loaded before the last write: not kept");
        assert_eq!((counters.hits.get(), counters.misses.get()), (2, 3));
    }

    #[test]
    fn keys_of_different_types_with_equal_fields_are_different_entries() {
        let cache = LoadCache::new(100, CacheCounters::default()).unwrap();
        cache.put(1, [(A(5), Some(vec![5]))]);
        cache.put(1, [(B(5), Some("five"))]);
        assert_eq!(cache.get(1, &A(5)), Some(Some(vec![5])));
        assert_eq!(cache.get(1, &B(5)), Some(Some("five")));
        assert_eq!(cache.get(1, &B(6)), None);
    }

    #[test]
    fn rows_are_bounded_least_recently_used_out_first() {
        let counters = CacheCounters::default();
        let cache = LoadCache::new(4, counters.clone()).unwrap();
        cache.put(1, [(A(1), Some(vec![1, 1])), (A(2), Some(vec![2, 2]))]);
        assert!(cache.get(1, &A(1)).is_some());
        cache.put(1, [(A(3), Some(vec![3]))]);
        assert_eq!(cache.get(1, &A(2)), None, "the least recently used went");
        assert!(cache.get(1, &A(1)).is_some() && cache.get(1, &A(3)).is_some());
        assert_eq!((counters.evictions.get(), counters.size.get()), (1, 3));
        assert!(LoadCache::new(0, CacheCounters::default()).is_none(), "0 rows: off");
    }
}
