//! GraphQL subscriptions over WebSocket at `/graphql/ws`: our own small handler for
//! `graphql-transport-ws` (and the legacy `graphql-ws`), running operations with
//! `schema.execute_stream`. It closes with the codes the spec defines: 4400 invalid or
//! unknown message, 4401 subscribe before `connection_ack`, 4403 refused
//! `connection_init`, 4408 no `connection_init` within the wait, 4409 duplicate
//! operation id, 4429 a second `connection_init`. The server pings every few seconds;
//! a socket carries at most a configured number of operations.
//!
//! Each socket has one bounded outgoing queue and a writer task: a client that stops
//! reading stalls only its own operations, whose event streams then lag the bus and
//! catch up from the log later (see `events`); nobody else waits.

mod protocol;

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

pub use protocol::Protocol;
use protocol::{parse, Incoming};

use crate::app::AppState;
use crate::config::secs;
use crate::graphql::{add_missing_codes, Access, Loaders};

/// Outgoing frames a socket may queue before its operations wait.
const OUT_BUFFER: usize = 16;
/// Initial read buffer of a socket: client messages are small, and idle sockets many.
const READ_BUFFER: usize = 1024;

/// Who opened the socket, decided at `connection_init`: every operation on the socket
/// runs with this access (request data), exactly as an HTTP request with the same
/// credential would.
#[derive(Debug, Clone)]
pub struct ConnectionInit {
    /// The caller and mode.
    pub access: Access,
}

/// Decide on a `connection_init`: the token (`authToken` or `Authorization` in the
/// payload) is checked like an HTTP `Authorization` header; in production a socket
/// without one is refused. `Err(reason)` refuses it (close 4403); the reason never
/// contains the token.
pub async fn on_connection_init(
    state: &AppState,
    payload: Option<&serde_json::Value>,
) -> Result<ConnectionInit, String> {
    let token = match payload.and_then(|p| p.get("authToken").or_else(|| p.get("Authorization"))) {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(token)) => Some(token.as_str()),
        Some(_) => return Err("the auth token must be a string".to_owned()),
    };
    match state.gate.admit(token).await {
        Ok(caller) => Ok(ConnectionInit {
            access: Access {
                caller,
                dev: state.settings.security.dev(),
                signer: state.gate.authenticator.signer().clone(),
            },
        }),
        Err(e) => {
            tracing::info!(reason = %e, "websocket connection_init refused");
            Err("a valid API key or client token is required".to_owned())
        }
    }
}

/// `GET /graphql/ws`: upgrade and serve one socket.
pub async fn handler(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    let mut ws = ws.protocols(Protocol::NAMES).read_buffer_size(READ_BUFFER).write_buffer_size(0);
    let protocol = match ws.selected_protocol().and_then(|p| p.to_str().ok()).and_then(Protocol::from_name) {
        Some(p) => p,
        None => {
            // No subprotocol asked: speak the current one.
            ws.set_selected_protocol(HeaderValue::from_static("graphql-transport-ws"));
            Protocol::TransportWs
        }
    };
    ws.on_upgrade(move |socket| serve(socket, state, protocol))
}

enum Out {
    Text(String),
    Close(u16, String),
}

/// One socket's session state.
struct Conn {
    state: AppState,
    protocol: Protocol,
    out: mpsc::Sender<Out>,
    done: mpsc::UnboundedSender<String>,
    /// Set by an accepted `connection_init`.
    init: Option<ConnectionInit>,
    init_seen: bool,
    ops: HashMap<String, AbortHandle>,
}

#[tracing::instrument(skip_all, fields(protocol = ?protocol))]
async fn serve(socket: WebSocket, state: AppState, protocol: Protocol) {
    let (sink, incoming) = socket.split();
    let (out, out_rx) = mpsc::channel(OUT_BUFFER);
    let writer = tokio::spawn(write_loop(sink, out_rx));
    let (done, done_rx) = mpsc::unbounded_channel();
    let mut conn = Conn { state, protocol, out, done, init: None, init_seen: false, ops: HashMap::new() };
    let close = conn.run(incoming, done_rx).await;
    for op in conn.ops.values() {
        op.abort();
    }
    if let Some((code, reason)) = close {
        let _ = conn.out.send(Out::Close(code, reason)).await;
    }
    drop(conn);
    let _ = writer.await;
}

async fn write_loop(mut sink: futures_util::stream::SplitSink<WebSocket, Message>, mut rx: mpsc::Receiver<Out>) {
    while let Some(out) = rx.recv().await {
        let frame = match out {
            Out::Text(text) => Message::Text(text.into()),
            Out::Close(code, reason) => {
                let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                return;
            }
        };
        if sink.send(frame).await.is_err() {
            return;
        }
    }
    let _ = sink.close().await;
}

impl Conn {
    /// Read frames until the client leaves (`None`) or the socket must close.
    async fn run(
        &mut self,
        mut incoming: futures_util::stream::SplitStream<WebSocket>,
        mut done_rx: mpsc::UnboundedReceiver<String>,
    ) -> Option<(u16, String)> {
        let live = self.state.settings.live.clone();
        let init_deadline = tokio::time::sleep(secs(live.ws_init_timeout_secs));
        tokio::pin!(init_deadline);
        let ping_every = secs(live.ws_ping_secs);
        let mut ping = tokio::time::interval(if ping_every.is_zero() { Duration::from_secs(3600) } else { ping_every });
        ping.tick().await;
        loop {
            tokio::select! {
                msg = incoming.next() => match msg {
                    Some(Ok(Message::Text(text))) => {
                        if let Some(close) = self.on_text(text.as_str()).await {
                            return Some(close);
                        }
                    }
                    Some(Ok(Message::Binary(_))) => return Some((4400, "binary frames are not supported".to_owned())),
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                    Some(Ok(_)) => {}
                },
                _ = &mut init_deadline, if !self.init_seen => {
                    return Some((4408, "Connection initialisation timeout".to_owned()));
                }
                _ = ping.tick(), if !ping_every.is_zero() && self.init.is_some() => {
                    self.send(protocol::keep_alive(self.protocol)).await;
                }
                Some(id) = done_rx.recv() => { self.ops.remove(&id); }
            }
        }
    }

    async fn send(&self, text: String) {
        let _ = self.out.send(Out::Text(text)).await;
    }

    /// Handle one text frame; `Some((code, reason))` closes the socket.
    async fn on_text(&mut self, text: &str) -> Option<(u16, String)> {
        match parse(self.protocol, text) {
            Incoming::Init(payload) => return self.on_init(payload).await,
            Incoming::Ping(payload) => self.send(protocol::pong(payload)).await,
            Incoming::Pong => {}
            Incoming::Subscribe { id, request } => return self.on_subscribe(id, *request).await,
            Incoming::Complete(id) => {
                if let Some(op) = self.ops.remove(&id) {
                    op.abort();
                }
            }
            Incoming::Terminate => return Some((1000, "terminated".to_owned())),
            Incoming::Invalid(reason) => return Some((4400, reason)),
        }
        None
    }

    async fn on_init(&mut self, payload: Option<serde_json::Value>) -> Option<(u16, String)> {
        if self.init_seen {
            return Some((4429, "Too many initialisation requests".to_owned()));
        }
        self.init_seen = true;
        match on_connection_init(&self.state, payload.as_ref()).await {
            Ok(init) => {
                self.init = Some(init);
                self.send(protocol::ack()).await;
                if self.protocol == Protocol::LegacyWs {
                    self.send(protocol::keep_alive(self.protocol)).await;
                }
                None
            }
            Err(reason) => {
                if self.protocol == Protocol::LegacyWs {
                    self.send(protocol::connection_error(&reason)).await;
                }
                Some((4403, "Forbidden".to_owned()))
            }
        }
    }

    async fn on_subscribe(&mut self, id: String, request: async_graphql::Request) -> Option<(u16, String)> {
        let Some(init) = &self.init else { return Some((4401, "Unauthorized".to_owned())) };
        if self.ops.contains_key(&id) {
            return Some((4409, format!("Subscriber for {id} already exists")));
        }
        let cap = self.state.settings.live.ws_max_subscriptions;
        if self.ops.len() >= cap {
            let errors = serde_json::json!([{
                "message": format!("at most {cap} subscriptions per connection"),
                "extensions": { "code": "TOO_MANY_SUBSCRIPTIONS" },
            }]);
            self.send(protocol::error(self.protocol, &id, errors)).await;
            return None;
        }
        let request = request.data(Loaders::new(self.state.store.clone())).data(init.clone()).data(init.access.clone());
        let (state, out, done) = (self.state.clone(), self.out.clone(), self.done.clone());
        let task = tokio::spawn(run_operation(state, self.protocol, id.clone(), request, out, done));
        self.ops.insert(id, task.abort_handle());
        None
    }
}

/// Run one operation, sending each result, then `complete` (or `error` when it
/// failed before producing a result).
async fn run_operation(
    state: AppState,
    protocol: Protocol,
    id: String,
    request: async_graphql::Request,
    out: mpsc::Sender<Out>,
    done: mpsc::UnboundedSender<String>,
) {
    let mut stream = std::pin::pin!(crate::graphql::guarded_stream(&state.schema, request));
    let mut first = true;
    while let Some(mut response) = stream.next().await {
        add_missing_codes(&mut response);
        let text = if first && response.data == async_graphql::Value::Null && !response.errors.is_empty() {
            let errors = serde_json::to_value(&response.errors).unwrap_or_default();
            let _ = out.send(Out::Text(protocol::error(protocol, &id, errors))).await;
            let _ = done.send(id);
            return;
        } else {
            protocol::next(protocol, &id, &response)
        };
        first = false;
        if out.send(Out::Text(text)).await.is_err() {
            return;
        }
    }
    let _ = out.send(Out::Text(protocol::complete(&id))).await;
    let _ = done.send(id);
}
