//! The registry of shared executions (see `mux`): one [`Hub`] per key (document,
//! operation, variables without the cursor, caller scope), what it broadcasts to its
//! members, and the template members replay it from. A hub lives while it has members:
//! the last one to leave aborts its execution and removes it from the registry.

use std::collections::HashMap;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, Variables};
use async_graphql_value::ConstValue;
use tokio::sync::broadcast;
use tokio::task::AbortHandle;

use crate::events::EventBus;
use crate::graphql::{Access, Loaders, Window};
use crate::response_cache::Key;
use crate::store::Store;

/// One result of a hub.
pub(super) enum Frame {
    /// A response to the event with this seq, serialized; `fresh` is false for a response
    /// that answers no new event (an error of the stream itself), which every member sends.
    Next { seq: i64, fresh: bool, payload: Box<str> },
    /// The execution ended: with the errors it failed with before any result, or none.
    End(Option<serde_json::Value>),
}

/// What a hub shares with its members.
pub(super) struct Shared {
    tx: broadcast::Sender<Arc<Frame>>,
    /// The seq of the last frame sent (or where the hub started), and whether it ended.
    tail: Mutex<(i64, bool)>,
}

impl Shared {
    fn tail(&self) -> MutexGuard<'_, (i64, bool)> {
        self.tail.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Attach a member: its receiver and the seq it is current with.
    pub(super) fn attach(&self) -> Option<(broadcast::Receiver<Arc<Frame>>, i64)> {
        let tail = self.tail();
        (!tail.1).then(|| (self.tx.subscribe(), tail.0))
    }

    /// Send `frame` to every member; a `Next` moves the tail to its seq, an `End` closes it.
    pub(super) fn send(&self, seq: Option<i64>, frame: Frame) {
        let mut tail = self.tail();
        if let Some(seq) = seq {
            tail.0 = tail.0.max(seq);
        }
        if matches!(frame, Frame::End(_)) {
            tail.1 = true;
        }
        let _ = self.tx.send(Arc::new(frame)); // no member is fine
    }
}

/// The operation a hub runs, kept to start members' own replays of it.
pub(super) struct Template {
    pub query: String,
    pub operation: Option<String>,
    /// The variables without the cursor variable.
    pub variables: Variables,
    pub doc: ExecutableDocument,
    pub after_var: Option<String>,
    /// Who runs it: the scope every member shares.
    pub access: Access,
}

impl Template {
    /// The operation as a request with the cursor variable set to `cursor`, in `window`.
    pub(super) fn request(&self, store: &Store, cursor: Option<&str>, window: Window) -> Request {
        let mut variables = self.variables.clone();
        if let (Some(name), Some(cursor)) = (&self.after_var, cursor) {
            variables.insert(async_graphql::Name::new(name), ConstValue::String(cursor.to_owned()));
        }
        let mut request = Request::new(self.query.clone()).variables(variables);
        request.operation_name = self.operation.clone();
        request.set_parsed_query(self.doc.clone());
        request.data(Loaders::new(store.clone())).data(self.access.clone()).data(window)
    }
}

/// One shared execution; dropped with its last member.
pub(super) struct Hub {
    key: Key,
    pub shared: Arc<Shared>,
    pub template: Template,
    task: AbortHandle,
    hubs: Weak<Mutex<HashMap<Key, Weak<Hub>>>>,
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(map) = self.hubs.upgrade() {
            let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
            if map.get(&self.key).is_some_and(|w| w.strong_count() == 0) {
                map.remove(&self.key);
            }
        }
    }
}

/// The hubs of this instance, by key.
#[derive(Clone)]
pub struct Hubs {
    map: Arc<Mutex<HashMap<Key, Weak<Hub>>>>,
    /// Frames a hub's broadcast keeps for a member that falls behind.
    buffer: usize,
}

/// Where a new hub starts and how it runs: the bus it starts at the position of, the
/// store its requests read, and the task that runs its execution (`mux::run_hub`).
pub(super) struct Start<'a, R> {
    pub bus: &'a EventBus,
    pub store: &'a Store,
    pub run: R,
}

impl Hubs {
    /// No hubs yet; each hub's broadcast keeps `buffer` frames (at least one).
    pub fn new(buffer: usize) -> Self {
        Self { map: Arc::default(), buffer: buffer.max(1) }
    }

    /// Shared executions running now.
    pub fn running(&self) -> usize {
        self.lock().values().filter(|w| w.strong_count() > 0).count()
    }

    /// Operations following a shared execution now.
    pub fn members(&self) -> usize {
        // Upgraded under the lock, dropped after it: a hub may drop here (see `Drop`).
        let hubs: Vec<Arc<Hub>> = self.lock().values().filter_map(Weak::upgrade).collect();
        hubs.iter().map(|hub| hub.shared.tx.receiver_count()).sum()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Weak<Hub>>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Join the hub under `key`, starting it from `template` when there is none (or the
    /// one there has ended). A new hub's request carries the joiner's `cursor` only so
    /// that its variables stay valid: its window starts it at the bus's position.
    pub(super) fn join<R>(
        &self,
        key: Key,
        cursor: Option<&str>,
        template: impl FnOnce() -> Template,
        start: Start<'_, R>,
    ) -> (Arc<Hub>, broadcast::Receiver<Arc<Frame>>, i64)
    where
        R: FnOnce(Request, Arc<Shared>, Arc<AtomicI64>) -> AbortHandle,
    {
        let mut map = self.lock();
        let existing = map.get(&key).and_then(Weak::upgrade);
        if let Some(hub) = &existing {
            if let Some((rx, seq)) = hub.shared.attach() {
                drop(map);
                return (existing.expect("checked above"), rx, seq);
            }
        }
        let at = start.bus.position();
        let (tx, rx) = broadcast::channel(self.buffer);
        let shared = Arc::new(Shared { tx, tail: Mutex::new((at, false)) });
        let template = template();
        let seen = Arc::new(AtomicI64::new(at));
        let window = Window { after: Some(at), until: None, seen: seen.clone() };
        let request = template.request(start.store, cursor, window);
        let task = (start.run)(request, shared.clone(), seen);
        let hub = Arc::new(Hub { key, shared, template, task, hubs: Arc::downgrade(&self.map) });
        map.insert(key, Arc::downgrade(&hub));
        drop(map);
        drop(existing); // an ended hub may drop here, outside the lock
        (hub, rx, at)
    }
}
