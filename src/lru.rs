//! A map bounded in bytes that forgets the least recently used entries first: the
//! store behind automatic persisted queries and the response cache. Not synchronized;
//! its users keep it behind a mutex.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// Entries with their size in bytes, at most `max_bytes` in all.
pub struct ByteLru<K, V> {
    /// Key to (value, size, last use).
    entries: HashMap<K, (V, usize, u64)>,
    /// Last use to key: the oldest first.
    by_use: BTreeMap<u64, K>,
    clock: u64,
    bytes: usize,
    max_bytes: usize,
}

impl<K: Hash + Eq + Clone, V: Clone> ByteLru<K, V> {
    /// An empty map holding at most `max_bytes`.
    pub fn new(max_bytes: usize) -> Self {
        Self { entries: HashMap::new(), by_use: BTreeMap::new(), clock: 0, bytes: 0, max_bytes }
    }

    /// The value under `key`, now the most recently used.
    pub fn get(&mut self, key: &K) -> Option<V> {
        self.clock += 1;
        let now = self.clock;
        let (value, _, used) = self.entries.get_mut(key)?;
        let before = std::mem::replace(used, now);
        let value = value.clone();
        if let Some(k) = self.by_use.remove(&before) {
            self.by_use.insert(now, k);
        }
        Some(value)
    }

    /// Store `value` (`size` bytes) under `key`, replacing what was there, after
    /// forgetting the least recently used entries it needs room for. Returns how many
    /// were forgotten; a value larger than the whole map is not stored.
    pub fn insert(&mut self, key: K, value: V, size: usize) -> usize {
        if size > self.max_bytes {
            return 0;
        }
        if let Some((_, old, used)) = self.entries.remove(&key) {
            self.bytes -= old;
            self.by_use.remove(&used);
        }
        let mut evicted = 0;
        while self.bytes + size > self.max_bytes {
            let Some((_, oldest)) = self.by_use.pop_first() else { break };
            if let Some((_, gone, _)) = self.entries.remove(&oldest) {
                self.bytes -= gone;
                evicted += 1;
            }
        }
        self.clock += 1;
        self.bytes += size;
        self.by_use.insert(self.clock, key.clone());
        self.entries.insert(key, (value, size, self.clock));
        evicted
    }

    /// Whether `key` is stored (its use is not recorded).
    pub fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::ByteLru;

    #[test]
    fn the_least_recently_used_entry_goes_first_and_sizes_add_up() {
        let mut lru = ByteLru::new(10);
        assert_eq!(lru.insert("a", 1, 5), 0);
        assert_eq!(lru.insert("b", 2, 5), 0);
        assert_eq!(lru.get(&"a"), Some(1)); // "b" is now the oldest
        assert_eq!(lru.insert("c", 3, 5), 1);
        assert_eq!((lru.get(&"a"), lru.get(&"b"), lru.get(&"c")), (Some(1), None, Some(3)));
        assert_eq!(lru.bytes(), 10);
    }

    #[test]
    fn replacing_a_key_frees_its_old_size_and_oversized_values_are_not_kept() {
        let mut lru = ByteLru::new(10);
        lru.insert("a", 1, 8);
        assert_eq!(lru.insert("a", 2, 9), 0, "the old value's bytes are given back first");
        assert_eq!((lru.get(&"a"), lru.bytes()), (Some(2), 9));
        assert_eq!(lru.insert("huge", 3, 11), 0);
        assert!(!lru.contains(&"huge"));
        assert_eq!(lru.bytes(), 9);
    }
}
