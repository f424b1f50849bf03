//! Multiplexed subscriptions. Operations that select only `statusChanged`, with the same
//! document, operation name, variables (all but the resume cursor) and caller scope
//! (`Access::cache_scope`: a client token never shares with another client), share one
//! execution per event: a *hub*. The hub serializes each response once; every member
//! wraps that payload with its own operation id and writes it to its own socket.
//!
//! Exactness. Each hub frame carries the seq of the event it answers, and each member
//! remembers the last seq it delivered. Joining, a member subscribes to the hub's
//! broadcast and reads the seq of the hub's last frame (`h`) under one lock, so every
//! later frame reaches it. A member that resumes from a cursor first replays the log
//! from its cursor through `h` with its own execution (the same document, ended at `h`
//! by a [`Window`]), then takes the hub's frames after `h`. A member whose socket is slow
//! never holds the hub back: the broadcast is bounded and does not wait; a member that
//! falls behind it rejoins the same way, replaying from its last seq. Frames at or
//! before a member's last seq are skipped, so nothing is sent twice.
//!
//! A hub lives while it has members: the last one to leave aborts its execution.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection};
use async_graphql::{Request, Variables};
use async_graphql_value::{ConstValue, Value};
use tokio::sync::{broadcast, mpsc};
use tokio::task::AbortHandle;

use super::output::{Out, Results};
use super::protocol::{self, Protocol};
use super::ConnectionInit;
use crate::domain::{decode_cursor, CursorKind};
use crate::graphql::{Access, Loaders, Window};
use crate::response_cache::{key_of, Key};
use crate::web::AppState;

/// An operation that may share a hub: the name of the variable holding its resume
/// cursor, if `after` is given through one.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Plan {
    after_var: Option<String>,
}

/// Whether the admitted `doc` of `request` can be multiplexed: one subscription operation
/// whose only selection is `statusChanged` without directives, with `after` absent, null
/// or a variable without a default that appears nowhere else in the text.
pub(super) fn plan(request: &Request, doc: &ExecutableDocument) -> Option<Plan> {
    let mut ops = doc.operations.iter();
    let op = match request.operation_name.as_deref() {
        Some(name) => ops.find(|(n, _)| n.is_some_and(|n| n.as_str() == name))?.1,
        None => ops.next().filter(|_| doc.operations.iter().count() == 1)?.1,
    };
    let op = &op.node;
    if op.ty != OperationType::Subscription || !op.directives.is_empty() || op.selection_set.node.items.len() != 1 {
        return None;
    }
    let Selection::Field(field) = &op.selection_set.node.items[0].node else { return None };
    let field = &field.node;
    if field.name.node.as_str() != "statusChanged" || !field.directives.is_empty() {
        return None;
    }
    let after_var = match field.get_argument("after").map(|v| &v.node) {
        None | Some(Value::Null) => None,
        Some(Value::Variable(name)) => {
            let def = op.variable_definitions.iter().find(|d| d.node.name.node == *name)?;
            // Defined once and used once: it feeds nothing but the cursor.
            let token = format!("${name}");
            let uses = request.query.match_indices(&token).filter(|(at, text)| {
                !request.query[at + text.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            });
            if def.node.default_value.is_some() || uses.count() != 2 {
                return None;
            }
            Some(name.to_string())
        }
        Some(_) => return None,
    };
    Some(Plan { after_var })
}

/// One result of a hub.
enum Frame {
    /// A response to the event with this seq, serialized; `fresh` is false for a response
    /// that answers no new event (an error of the stream itself), which every member sends.
    Next { seq: i64, fresh: bool, payload: Box<str> },
    /// The execution ended: with the errors it failed with before any result, or none.
    End(Option<serde_json::Value>),
}

/// What a hub shares with its members.
struct Shared {
    tx: broadcast::Sender<Arc<Frame>>,
    /// The seq of the last frame sent (or where the hub started), and whether it ended.
    tail: Mutex<(i64, bool)>,
}

impl Shared {
    fn tail(&self) -> MutexGuard<'_, (i64, bool)> {
        self.tail.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Attach a member: its receiver and the seq it is current with.
    fn attach(&self) -> Option<(broadcast::Receiver<Arc<Frame>>, i64)> {
        let tail = self.tail();
        (!tail.1).then(|| (self.tx.subscribe(), tail.0))
    }

    fn send(&self, seq: Option<i64>, frame: Frame) {
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
struct Template {
    query: String,
    operation: Option<String>,
    /// The variables without the cursor variable.
    variables: Variables,
    doc: ExecutableDocument,
    after_var: Option<String>,
    init: ConnectionInit,
}

impl Template {
    /// The operation as a request with the cursor variable set to `cursor`, in `window`.
    fn request(&self, state: &AppState, cursor: Option<&str>, window: Window) -> Request {
        let mut variables = self.variables.clone();
        if let (Some(name), Some(cursor)) = (&self.after_var, cursor) {
            variables.insert(async_graphql::Name::new(name), ConstValue::String(cursor.to_owned()));
        }
        let mut request = Request::new(self.query.clone()).variables(variables);
        request.operation_name = self.operation.clone();
        request.set_parsed_query(self.doc.clone());
        request
            .data(Loaders::new(state.store.clone()))
            .data(self.init.clone())
            .data(self.init.access.clone())
            .data(window)
    }
}

/// One shared execution; dropped with its last member.
struct Hub {
    key: Key,
    shared: Arc<Shared>,
    template: Template,
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
#[derive(Clone, Default)]
pub struct Hubs {
    map: Arc<Mutex<HashMap<Key, Weak<Hub>>>>,
}

impl Hubs {
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
    fn join(
        &self,
        state: &AppState,
        key: Key,
        cursor: Option<&str>,
        template: impl FnOnce() -> Template,
    ) -> (Arc<Hub>, broadcast::Receiver<Arc<Frame>>, i64) {
        let mut map = self.lock();
        let existing = map.get(&key).and_then(Weak::upgrade);
        if let Some(hub) = &existing {
            if let Some((rx, seq)) = hub.shared.attach() {
                drop(map);
                return (existing.expect("checked above"), rx, seq);
            }
        }
        let start = state.bus.position();
        let (tx, rx) = broadcast::channel(state.settings.live.ws_shared_buffer.max(1));
        let shared = Arc::new(Shared { tx, tail: Mutex::new((start, false)) });
        let template = template();
        let seen = Arc::new(AtomicI64::new(start));
        let window = Window { after: Some(start), until: None, seen: seen.clone() };
        let request = template.request(state, cursor, window);
        let task = tokio::spawn(run_hub(state.clone(), request, shared.clone(), seen)).abort_handle();
        let hub = Arc::new(Hub { key, shared, template, task, hubs: Arc::downgrade(&self.map) });
        map.insert(key, Arc::downgrade(&hub));
        drop(map);
        drop(existing); // an ended hub may drop here, outside the lock
        (hub, rx, start)
    }
}

/// Run a hub's execution, sending each response once as a frame.
async fn run_hub(state: AppState, request: Request, shared: Arc<Shared>, seen: Arc<AtomicI64>) {
    let mut results = Results::run(&state, request);
    let mut last = seen.load(Ordering::SeqCst);
    while let Some(result) = results.next().await {
        let response = match result {
            Ok(response) => response,
            Err(errors) => return shared.send(None, Frame::End(Some(errors))),
        };
        let seq = seen.load(Ordering::SeqCst);
        let payload = serde_json::to_string(&response).unwrap_or_else(|_| "null".to_owned()).into_boxed_str();
        shared.send(Some(seq), Frame::Next { seq, fresh: seq > last, payload });
        last = seq;
    }
    shared.send(None, Frame::End(None));
}

/// Why a member stops early: its socket's queue is gone.
struct Gone;

/// Where a member's results go: the socket's protocol, the operation id, its queue.
pub(super) struct Route {
    pub protocol: Protocol,
    pub id: String,
    pub out: mpsc::Sender<Out>,
}

/// One member of a hub, joined: what its task keeps while it waits (small: one per
/// subscription).
pub(super) struct Member {
    state: AppState,
    route: Route,
    hub: Arc<Hub>,
    rx: broadcast::Receiver<Arc<Frame>>,
    /// The seq the hub's frames continue after.
    joined_at: i64,
    /// The member's own resume cursor (the value of the plan's cursor variable).
    cursor: Option<String>,
}

impl Member {
    /// Join the hub for admitted `request` (planned as `plan`) of a caller with `access`,
    /// starting it if needed. Synchronous: the task then runs [`Member::follow`] alone.
    pub(super) fn join(
        state: &AppState,
        route: Route,
        request: Request,
        doc: ExecutableDocument,
        plan: Plan,
        access: &Access,
    ) -> Self {
        let cursor = plan.after_var.as_ref().and_then(|name| match request.variables.get(name.as_str()) {
            Some(ConstValue::String(c)) => Some(c.clone()),
            _ => None,
        });
        let mut variables = request.variables.clone();
        if let Some(name) = &plan.after_var {
            variables.remove(name.as_str());
        }
        let operation = request.operation_name.as_deref();
        let key = key_of(&request.query, operation, &access.cache_scope(), &variables);
        let init = ConnectionInit { access: access.clone() };
        let (hub, rx, joined_at) = state.hubs.join(state, key, cursor.as_deref(), || Template {
            query: request.query.clone(),
            operation: request.operation_name.clone(),
            variables,
            doc,
            after_var: plan.after_var,
            init,
        });
        Self { state: state.clone(), route, hub, rx, joined_at, cursor }
    }

    /// Deliver the hub's results until the operation completes, fails or its socket goes.
    pub(super) async fn follow(mut self) {
        let mut last = match &self.cursor {
            Some(c) => {
                let window = Window { after: None, until: Some(self.joined_at), seen: Default::default() };
                match Box::pin(self.replay(Some(c), window)).await {
                    Ok(true) => {}
                    Ok(false) | Err(Gone) => return,
                }
                self.joined_at.max(decode_cursor(c, CursorKind::Events).unwrap_or(0))
            }
            None => self.joined_at.max(self.state.bus.position()),
        };
        loop {
            let frame = match self.rx.recv().await {
                Ok(frame) => frame,
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let Some((again, at)) = self.hub.shared.attach() else { return self.finish(None).await };
                    self.rx = again;
                    let window = Window { after: Some(last), until: Some(at), seen: Default::default() };
                    match Box::pin(self.replay(self.cursor.as_deref(), window)).await {
                        Ok(true) => {}
                        Ok(false) | Err(Gone) => return,
                    }
                    last = last.max(at);
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return self.finish(None).await,
            };
            match &*frame {
                Frame::Next { seq, fresh, payload } if *seq > last || !fresh => {
                    last = last.max(*seq);
                    let text = protocol::next_raw(self.route.protocol, &self.route.id, payload);
                    if self.send(text).await.is_err() {
                        return;
                    }
                }
                Frame::Next { .. } => {}
                Frame::End(errors) => return self.finish(errors.clone()).await,
            }
        }
    }

    async fn send(&self, text: String) -> Result<(), Gone> {
        self.route.out.send(text.into()).await.map_err(|_| Gone)
    }

    /// Send `error` (when the operation failed before any result) or `complete`.
    async fn finish(&self, errors: Option<serde_json::Value>) {
        let text = match errors {
            Some(errors) => protocol::error(self.route.protocol, &self.route.id, errors),
            None => protocol::complete(&self.route.id),
        };
        let _ = self.send(text).await;
    }

    /// Replay the hub's operation for this member alone, within `window`, sending each
    /// result. `Ok(false)` when it failed before any result (the error has been sent).
    async fn replay(&self, cursor: Option<&str>, window: Window) -> Result<bool, Gone> {
        let request = self.hub.template.request(&self.state, cursor, window);
        let mut results = Results::run(&self.state, request);
        while let Some(result) = results.next().await {
            match result {
                Ok(response) => self.send(protocol::next(self.route.protocol, &self.route.id, &response)).await?,
                Err(errors) => {
                    self.finish(Some(errors)).await;
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(query: &str, variables: serde_json::Value) -> Option<Plan> {
        let request = Request::new(query).variables(Variables::from_json(variables));
        let doc = async_graphql::parser::parse_query(query).expect("parses");
        plan(&request, &doc)
    }

    #[test]
    fn only_a_lone_status_changed_shares() {
        let shared = "subscription { statusChanged { cursor status } }";
        assert_eq!(plan_of(shared, serde_json::json!({})), Some(Plan { after_var: None }));
        assert!(plan_of("subscription { invitationUpdated(id: \"x\") { id } }", serde_json::json!({})).is_none());
        let two = "subscription { a: statusChanged { cursor } b: statusChanged { cursor } }";
        assert!(plan_of(two, serde_json::json!({})).is_none());
        assert!(
            plan_of("subscription { statusChanged @include(if: true) { cursor } }", serde_json::json!({})).is_none()
        );
        assert!(plan_of("subscription { statusChanged(after: \"abc\") { cursor } }", serde_json::json!({})).is_none());
    }

    #[test]
    fn the_cursor_variable_is_found_only_when_it_feeds_nothing_else() {
        let q = "subscription S($after: String, $p: Provider) { statusChanged(after: $after, filter: {provider: $p}) { cursor } }";
        assert_eq!(plan_of(q, serde_json::json!({})), Some(Plan { after_var: Some("after".into()) }));
        let twice = "subscription S($a: String) { statusChanged(after: $a) { cursor node { ... on Invitation { id(x: $a) } } } }";
        assert!(plan_of(twice, serde_json::json!({})).is_none());
        let defaulted = "subscription S($a: String = \"x\") { statusChanged(after: $a) { cursor } }";
        assert!(plan_of(defaulted, serde_json::json!({})).is_none());
        let prefix = "subscription S($a: String, $ab: String) { statusChanged(after: $a, filter: {providerId: $ab}) { cursor } }";
        assert_eq!(plan_of(prefix, serde_json::json!({})), Some(Plan { after_var: Some("a".into()) }));
    }
}
