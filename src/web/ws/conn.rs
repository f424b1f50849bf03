//! One socket's session: reads client messages, runs operations, and closes the socket
//! when the protocol says so, when its credential stops holding (re-checked on every
//! operation and on a timer; a client token at its expiry exactly), or on shutdown.
//!
//! Each socket has one bounded outgoing queue and a writer task: a client that stops
//! reading stalls only its own operations, whose event streams then lag the bus and
//! catch up from the log later (see `events`); nobody else waits.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures_util::stream::SplitStream;
use futures_util::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;
use tokio::time::{Instant, MissedTickBehavior};

use super::init::{on_connection_init, PRE_INIT_MAX_BYTES};
use super::operation::start;
use super::output::{write_loop, Out};
use super::protocol::{self, parse, Incoming, Protocol};
use crate::auth::Caller;
use crate::config::secs;
use crate::graphql::{Access, Loaders};
use crate::web::limits::Peer;
use crate::web::state::AppState;

/// Outgoing frames a socket may queue before its operations wait.
const OUT_BUFFER: usize = 16;
/// A timer that is off: far enough away never to fire while a socket lives.
const NEVER: Duration = Duration::from_secs(365 * 24 * 3600);

/// Why the session ends with a close frame: code and reason.
type Close = (u16, String);

/// One socket's session state.
struct Conn {
    state: AppState,
    protocol: Protocol,
    peer: Peer,
    out: mpsc::Sender<Out>,
    /// Who opened the socket: set by an accepted `connection_init`.
    access: Option<Access>,
    /// The credential `connection_init` carried, re-checked while the socket is open.
    credential: Option<SecretString>,
    init_seen: bool,
    ops: HashMap<String, AbortHandle>,
}

/// Serve one upgraded socket until it closes.
#[tracing::instrument(level = "debug", skip_all, fields(protocol = ?protocol))]
pub(super) async fn serve(socket: WebSocket, state: AppState, protocol: Protocol, peer: Peer) {
    // Held while the socket lives: the shutdown waits for every holder to go.
    let stop = state.sockets.watch();
    let (sink, incoming) = socket.split();
    let (out, out_rx) = mpsc::channel(OUT_BUFFER);
    let writer = tokio::spawn(write_loop(sink, out_rx));
    let mut conn =
        Conn { state, protocol, peer, out, access: None, credential: None, init_seen: false, ops: HashMap::new() };
    let close = conn.run(incoming, stop.clone()).await;
    for op in conn.ops.values() {
        op.abort();
    }
    // The writer sends what is queued and hands the socket back once every sender (this
    // session's and its aborted operations') is gone.
    drop(conn);
    if let Ok(sink) = writer.await {
        super::output::close(sink, close).await;
    }
    drop(stop);
}

/// Whether a read error is a frame or message over the size limit.
fn too_big(error: &axum::Error) -> bool {
    let source = std::error::Error::source(error);
    matches!(source.and_then(|e| e.downcast_ref()), Some(tokio_tungstenite::tungstenite::Error::Capacity(_)))
}

/// Resolves `true` once the server shuts down (`false` if the flag is gone).
async fn shutting_down(stop: &mut watch::Receiver<bool>) -> bool {
    stop.wait_for(|stopping| *stopping).await.is_ok()
}

impl Conn {
    /// Read frames until the client leaves (`None`) or the socket must close.
    async fn run(&mut self, mut incoming: SplitStream<WebSocket>, mut stop: watch::Receiver<bool>) -> Option<Close> {
        let live = self.state.settings.live.clone();
        let init_deadline = tokio::time::sleep(secs(live.ws_init_timeout_secs));
        tokio::pin!(init_deadline);
        let ping_every = secs(live.ws_ping_secs);
        let mut ping = tokio::time::interval(if ping_every.is_zero() { NEVER } else { ping_every });
        ping.tick().await;
        // Ticks at half the interval, each looking the key up unless some socket found
        // it valid less than 0.4 of an interval ago: a revoked key's sockets close within
        // one interval (usually half), with at most three lookups per key per interval.
        let recheck_every = secs(live.ws_recheck_secs) / 2;
        let mut recheck = tokio::time::interval(if recheck_every.is_zero() { NEVER } else { recheck_every });
        recheck.set_missed_tick_behavior(MissedTickBehavior::Delay);
        recheck.tick().await;
        let expiry = tokio::time::sleep(NEVER);
        tokio::pin!(expiry);
        let mut expires = false;
        loop {
            tokio::select! {
                msg = incoming.next() => match msg {
                    Some(Ok(Message::Text(text))) => {
                        if self.access.is_none() && text.len() > PRE_INIT_MAX_BYTES {
                            return Some((1009, "Message too big before connection_ack".to_owned()));
                        }
                        // Boxed: its awaits (credential lookups) would otherwise be part of
                        // every idle socket's task.
                        if let Some(close) = Box::pin(self.on_text(text.as_str())).await {
                            return Some(close);
                        }
                        if !expires {
                            if let Some(at) = self.expiry() {
                                expiry.as_mut().reset(at);
                                expires = true;
                            }
                        }
                    }
                    Some(Ok(Message::Binary(_))) => return Some((4400, "binary frames are not supported".to_owned())),
                    Some(Err(e)) if too_big(&e) => return Some((1009, "Message too big".to_owned())),
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                    Some(Ok(_)) => {}
                },
                _ = &mut init_deadline, if !self.init_seen => {
                    return Some((4408, "Connection initialisation timeout".to_owned()));
                }
                _ = ping.tick(), if !ping_every.is_zero() && self.access.is_some() => {
                    self.send(protocol::keep_alive(self.protocol)).await;
                }
                _ = recheck.tick(), if !recheck_every.is_zero() && self.holds_key() => {
                    if let Some(close) = Box::pin(self.recheck(recheck_every.mul_f32(0.8))).await {
                        return Some(close);
                    }
                }
                () = &mut expiry, if expires => return Some((4403, "Forbidden: credential expired".to_owned())),
                true = shutting_down(&mut stop) => {
                    return Some((1001, "Server shutting down".to_owned()));
                }
            }
        }
    }

    /// Whether the socket was opened with an operator key: the only credential that can be
    /// revoked (a client token is stateless; its expiry is scheduled, see [`Self::expiry`]).
    fn holds_key(&self) -> bool {
        self.access.as_ref().is_some_and(|access| matches!(access.caller, Caller::Operator { .. }))
    }

    /// When the socket's client token expires, if it has one.
    fn expiry(&self) -> Option<Instant> {
        let Caller::Client(claims) = &self.access.as_ref()?.caller else { return None };
        let left = (claims.expires_at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO);
        Some(Instant::now() + left)
    }

    /// Re-check the credential (a key found valid less than `max_age` ago is not looked
    /// up again); `Some(close)` when it no longer holds. A failed lookup keeps the socket.
    async fn recheck(&self, max_age: Duration) -> Option<Close> {
        let credential = self.credential.as_ref().map(|c| c.expose_secret());
        match self.state.gate.still_valid(credential, max_age).await {
            Ok(true) => None,
            Ok(false) => {
                tracing::info!("websocket credential no longer valid; closing");
                Some((4403, "Forbidden: credential revoked or expired".to_owned()))
            }
            Err(e) => {
                tracing::warn!(error = %e, "websocket credential re-check failed");
                None
            }
        }
    }

    async fn send(&self, text: String) {
        let _ = self.out.send(text.into()).await;
    }

    /// Answer operation `id` with one error carrying `code`.
    async fn refuse(&self, id: &str, code: &str, message: &str, extra: serde_json::Value) {
        let mut extensions = json!({ "code": code });
        if let (Some(ext), serde_json::Value::Object(more)) = (extensions.as_object_mut(), extra) {
            ext.extend(more);
        }
        let errors = json!([{ "message": message, "extensions": extensions }]);
        self.send(protocol::error(self.protocol, id, errors)).await;
    }

    /// Handle one text frame; `Some(close)` closes the socket.
    async fn on_text(&mut self, text: &str) -> Option<Close> {
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

    async fn on_init(&mut self, payload: Option<serde_json::Value>) -> Option<Close> {
        if self.init_seen {
            return Some((4429, "Too many initialisation requests".to_owned()));
        }
        self.init_seen = true;
        match on_connection_init(&self.state, self.peer, payload.as_ref()).await {
            Ok(admitted) => {
                self.access = Some(admitted.access);
                self.credential = admitted.credential;
                self.send(protocol::ack()).await;
                if self.protocol == Protocol::LegacyWs {
                    self.send(protocol::keep_alive(self.protocol)).await;
                }
                None
            }
            Err(refused) => {
                if self.protocol == Protocol::LegacyWs {
                    self.send(protocol::connection_error(&refused.message)).await;
                }
                Some((refused.code, refused.reason))
            }
        }
    }

    /// Start an operation: counted in the caller's rate-limit bucket (the one HTTP
    /// requests use), with the credential re-checked first.
    async fn on_subscribe(&mut self, id: String, request: async_graphql::Request) -> Option<Close> {
        let Some(access) = &self.access else { return Some((4401, "Unauthorized".to_owned())) };
        self.ops.retain(|_, op| !op.is_finished());
        if self.ops.contains_key(&id) {
            return Some((4409, format!("Subscriber for {id} already exists")));
        }
        if let Err(wait) = self.state.gate.throttle(&access.caller, self.peer) {
            let extra = json!({ "retryAfterSeconds": wait });
            self.refuse(&id, "RATE_LIMITED", "too many requests; retry later", extra).await;
            return None;
        }
        let credential = self.credential.as_ref().map(|c| c.expose_secret());
        match self.state.gate.still_valid(credential, Duration::ZERO).await {
            Ok(true) => {}
            Ok(false) => return Some((4403, "Forbidden: credential revoked or expired".to_owned())),
            Err(e) => {
                tracing::warn!(error = %e, "websocket credential re-check failed");
                self.refuse(&id, "UNAVAILABLE", "authentication is unavailable", json!({})).await;
                return None;
            }
        }
        let cap = self.state.settings.live.ws_max_subscriptions;
        if self.ops.len() >= cap {
            let message = format!("at most {cap} subscriptions per connection");
            self.refuse(&id, "TOO_MANY_SUBSCRIPTIONS", &message, json!({})).await;
            return None;
        }
        let request = request.data(Loaders::new(self.state.store.clone())).data(access.clone());
        let task = start(&self.state, self.protocol, id.clone(), request, access, self.out.clone());
        self.ops.insert(id, task);
        None
    }
}
