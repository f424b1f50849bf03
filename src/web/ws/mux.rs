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
//! A hub lives while it has members: the last one to leave aborts its execution. The
//! registry of hubs is `hubs`; this file plans, runs and follows them.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection};
use async_graphql::Request;
use async_graphql_value::{ConstValue, Value};
use tokio::sync::{broadcast, mpsc};

use super::hubs::{Frame, Hub, Shared, Start, Template};
use super::output::{Out, Results};
use super::protocol::{self, Protocol};
use crate::domain::{decode_cursor, CursorKind};
use crate::graphql::{Access, Window};
use crate::response_cache::key_of;
use crate::web::state::AppState;

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
        let template = || Template {
            query: request.query.clone(),
            operation: request.operation_name.clone(),
            variables,
            doc,
            after_var: plan.after_var,
            access: access.clone(),
        };
        let run = |request, shared, seen| tokio::spawn(run_hub(state.clone(), request, shared, seen)).abort_handle();
        let start = Start { bus: &state.bus, store: &state.store, run };
        let (hub, rx, joined_at) = state.hubs.join(key, cursor.as_deref(), template, start);
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
        let request = self.hub.template.request(&self.state.store, cursor, window);
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
    use async_graphql::Variables;

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
