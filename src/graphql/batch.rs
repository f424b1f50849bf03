//! A deterministic batch loader (the DataLoader pattern without a timer).
//!
//! async-graphql's own `DataLoader` closes a batch after a fixed delay, so how many
//! statements a page costs depends on timing: a long list whose siblings are polled
//! in several rounds splits into several batches. Here a batch closes when the request
//! cannot make progress without it: [`Loaders::drive`] polls the request, and each
//! time the request is pending it sends every queued batch (one query per key type),
//! delivers all results together and polls again. One level of the document therefore
//! costs one query per relation, whatever the page size. Loads made outside `drive`
//! (subscriptions) run at once, unbatched.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::future::{join_all, BoxFuture};
use futures_util::FutureExt;
use tokio::sync::oneshot;

use super::load_cache::LoadCache;
use crate::response_cache::Ticket;
use crate::store::{Store, StoreError};

/// Bound on back-to-back polls of a request that keeps waking itself.
const MAX_SELF_WAKES: usize = 1024;

/// A waker that notes whether the request woke itself, and passes the wake on.
struct Probe {
    woken: AtomicBool,
    outer: Waker,
}

impl Wake for Probe {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.outer.wake_by_ref();
    }
}

/// Shared result of one batch.
pub type BatchResult<V> = Result<V, Arc<StoreError>>;

/// A key type that loads in batches: one store call for many keys.
pub trait BatchKey: Clone + Eq + Hash + Send + Sync + 'static {
    /// What one key loads.
    type Value: Clone + Send + Sync + 'static;
    /// Load every key at once; keys without a value are left out of the map.
    fn load(store: &Store, keys: &[Self]) -> impl Future<Output = BatchResult<HashMap<Self, Self::Value>>> + Send;
    /// How many rows `value` holds (what the load cache is bounded by).
    fn rows(_value: &Self::Value) -> usize {
        1
    }
}

type Waiter<K> = (K, oneshot::Sender<BatchResult<Option<<K as BatchKey>::Value>>>);

/// The queued keys of one key type.
trait Pending: Send {
    fn as_any(&mut self) -> &mut dyn Any;
    fn run(self: Box<Self>, store: Store, cache: Option<(Arc<LoadCache>, i64)>) -> BoxFuture<'static, ()>;
}

struct Queue<K: BatchKey>(Vec<Waiter<K>>);

impl<K: BatchKey> Pending for Queue<K> {
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }

    fn run(self: Box<Self>, store: Store, cache: Option<(Arc<LoadCache>, i64)>) -> BoxFuture<'static, ()> {
        async move {
            let mut keys: Vec<K> = self.0.iter().map(|(k, _)| k.clone()).collect();
            let mut seen = std::collections::HashSet::new();
            keys.retain(|k| seen.insert(k.clone()));
            let result = K::load(&store, &keys).await;
            if let (Some((cache, generation)), Ok(found)) = (cache, &result) {
                cache.put(generation, keys.into_iter().map(|k| (k.clone(), found.get(&k).cloned())));
            }
            for (key, tx) in self.0 {
                let _ = tx.send(result.as_ref().map(|map| map.get(&key).cloned()).map_err(Arc::clone));
            }
        }
        .boxed()
    }
}

/// Per-request loaders: queued keys by type, flushed by [`Loaders::drive`].
pub struct Loaders {
    store: Store,
    queues: Mutex<HashMap<TypeId, Box<dyn Pending>>>,
    driven: AtomicBool,
    /// The shared load cache and the request's data generation.
    cache: Option<(Arc<LoadCache>, Ticket)>,
}

impl Loaders {
    /// Loaders over `store`.
    pub fn new(store: Store) -> Arc<Self> {
        Arc::new(Self { store, queues: Mutex::default(), driven: Default::default(), cache: None })
    }

    /// Loaders over `store` that read and fill `cache` at the generation `ticket`
    /// holds once a resolver pinned it (`response_cache::pin_generation`); loads made
    /// before that, or with no generation readable, go to the store only.
    pub fn cached(store: Store, cache: Arc<LoadCache>, ticket: Ticket) -> Arc<Self> {
        Arc::new(Self { store, queues: Mutex::default(), driven: Default::default(), cache: Some((cache, ticket)) })
    }

    /// The cache and the generation loads are filed under now, if any.
    fn cache_at(&self) -> Option<(Arc<LoadCache>, i64)> {
        let (cache, ticket) = self.cache.as_ref()?;
        Some((cache.clone(), ticket.generation()?))
    }

    /// Load one key, batched with every other key queued before the request next waits.
    pub async fn load_one<K: BatchKey>(&self, key: K) -> BatchResult<Option<K::Value>> {
        if let Some(kept) = self.cache_at().and_then(|(cache, generation)| cache.get(generation, &key)) {
            return Ok(kept);
        }
        if !self.driven.load(Ordering::Acquire) {
            return K::load(&self.store, std::slice::from_ref(&key)).await.map(|mut m| m.remove(&key));
        }
        let (tx, rx) = oneshot::channel();
        {
            let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
            let entry = queues.entry(TypeId::of::<K>()).or_insert_with(|| Box::new(Queue::<K>(Vec::new())));
            if let Some(queue) = entry.as_any().downcast_mut::<Queue<K>>() {
                queue.0.push((key, tx));
            }
        }
        rx.await.unwrap_or_else(|_| Err(Arc::new(StoreError::Corrupt("batch dropped".into()))))
    }

    fn take(&self) -> Vec<Box<dyn Pending>> {
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        queues.drain().map(|(_, q)| q).collect()
    }

    /// Run `fut` (a request's execution), sending queued batches whenever it waits.
    pub async fn drive<F: Future>(self: &Arc<Self>, fut: F) -> F::Output {
        self.driven.store(true, Ordering::Release);
        // Unconstrained: tokio's cooperative budget would make the request yield with no
        // progress possible until the task is rescheduled, closing batches early.
        let mut fut = pin!(tokio::task::unconstrained(fut));
        let mut in_flight: Option<BoxFuture<'static, Vec<()>>> = None;
        std::future::poll_fn(move |cx| loop {
            // A request that woke itself while pending (a long list yielding half-way) is
            // not waiting for data: poll it again before closing the batch.
            let mut rounds = 0;
            loop {
                let probe = Arc::new(Probe { woken: AtomicBool::new(false), outer: cx.waker().clone() });
                let waker = Waker::from(probe.clone());
                if let Poll::Ready(out) = fut.as_mut().poll(&mut Context::from_waker(&waker)) {
                    return Poll::Ready(out);
                }
                rounds += 1;
                if !probe.woken.load(Ordering::Acquire) || rounds >= MAX_SELF_WAKES {
                    break;
                }
            }
            if in_flight.is_none() {
                let batches = self.take();
                if batches.is_empty() {
                    return Poll::Pending;
                }
                let runs = batches.into_iter().map(|b| b.run(self.store.clone(), self.cache_at()));
                in_flight = Some(join_all(runs).boxed());
            }
            match in_flight.as_mut().map(|f| f.as_mut().poll(cx)) {
                Some(Poll::Ready(_)) => in_flight = None, // results delivered: poll the request again
                _ => return Poll::Pending,
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    //! The batcher alone: where batches close, how errors are shared, and loads made
    //! outside `drive`. Test keys record each `load` call (keys tagged per test, since
    //! tests run in parallel).

    use super::*;

    static CALLS: Mutex<Vec<(&'static str, Vec<u32>)>> = Mutex::new(Vec::new());

    #[derive(Clone, PartialEq, Eq, Hash, Debug)]
    struct Key {
        test: &'static str,
        n: u32,
        fail: bool,
    }

    impl BatchKey for Key {
        type Value = u32;

        async fn load(_: &Store, keys: &[Self]) -> BatchResult<HashMap<Self, u32>> {
            let test = keys[0].test;
            CALLS.lock().unwrap_or_else(PoisonError::into_inner).push((test, keys.iter().map(|k| k.n).collect()));
            if keys.iter().any(|k| k.fail) {
                return Err(Arc::new(StoreError::Corrupt("refused".into())));
            }
            // Odd keys have no value.
            Ok(keys.iter().filter(|k| k.n % 2 == 0).map(|k| (k.clone(), k.n * 10)).collect())
        }
    }

    fn key(test: &'static str, n: u32) -> Key {
        Key { test, n, fail: false }
    }

    fn calls(test: &str) -> Vec<Vec<u32>> {
        let all = CALLS.lock().unwrap_or_else(PoisonError::into_inner);
        all.iter().filter(|(t, _)| *t == test).map(|(_, keys)| keys.clone()).collect()
    }

    async fn loaders() -> Arc<Loaders> {
        let store = Store::connect("sqlite::memory:", 1).await.expect("in-memory SQLite");
        Loaders::new(store)
    }

    #[tokio::test]
    async fn one_level_is_one_batch_with_keys_deduplicated_and_the_next_level_another() {
        const T: &str = "levels";
        let l = loaders().await;
        let out = l
            .drive(async {
                let first = join_all([4, 2, 4, 3].map(|n| l.load_one(key(T, n)))).await;
                let second = join_all([6, 8].map(|n| l.load_one(key(T, n)))).await;
                (first, second)
            })
            .await;
        let values = |r: Vec<BatchResult<Option<u32>>>| r.into_iter().map(|v| v.expect("loaded")).collect::<Vec<_>>();
        assert_eq!(values(out.0), [Some(40), Some(20), Some(40), None]);
        assert_eq!(values(out.1), [Some(60), Some(80)]);
        assert_eq!(calls(T), [vec![4, 2, 3], vec![6, 8]]);
    }

    #[tokio::test]
    async fn a_failed_batch_gives_every_waiter_the_same_error() {
        const T: &str = "errors";
        let l = loaders().await;
        let failing = Key { test: T, n: 1, fail: true };
        let out = l.drive(join_all([l.load_one(key(T, 2)), l.load_one(failing), l.load_one(key(T, 4))])).await;
        let errors: Vec<Arc<StoreError>> = out.into_iter().map(|r| r.expect_err("the batch failed")).collect();
        assert!(errors.iter().all(|e| Arc::ptr_eq(e, &errors[0])), "one shared error");
        assert_eq!(calls(T).len(), 1);
    }

    #[tokio::test]
    async fn loads_outside_drive_run_at_once_one_key_each() {
        const T: &str = "outside";
        let l = loaders().await;
        let out = join_all([2, 3].map(|n| l.load_one(key(T, n)))).await;
        assert_eq!(out.into_iter().map(|r| r.expect("loaded")).collect::<Vec<_>>(), [Some(20), None]);
        assert_eq!(calls(T), [vec![2], vec![3]]);
    }
}
