//! GraphQL subscriptions over WebSocket at `/graphql/ws`: our own small handler for
//! `graphql-transport-ws` (and the legacy `graphql-ws`), running operations with
//! `schema.execute_stream`. This file owns the upgrade (subprotocol negotiation, size
//! limits, the per-address upgrade limit) and the decision on `connection_init`; the
//! session itself is in `conn`. Close codes: 4400 invalid or unknown message, 4401
//! subscribe before `connection_ack`, 4403 refused `connection_init` or a credential
//! that no longer holds (revoked key, expired token), 4408 no `connection_init` within
//! the wait, 4409 duplicate operation id, 4429 a second `connection_init`, 4500 the key
//! store is unreachable, 1009 a message too big, 1001 server shutdown.

mod conn;
mod mux;
mod output;
mod protocol;
mod sockets;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use secrecy::SecretString;

pub use mux::Hubs;
pub use protocol::Protocol;
pub use sockets::Sockets;

use crate::auth::Caller;
use crate::graphql::Access;
use crate::web::gate::{rate_limited, refusal, Refusal};
use crate::web::limits::Peer;
use crate::web::AppState;

/// Largest message accepted before `connection_init` is acknowledged (1009 above): an
/// anonymous socket has no business sending more than a token.
pub const PRE_INIT_MAX_BYTES: usize = 64 * 1024;
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

/// An accepted `connection_init`: the access, and the credential the socket keeps to
/// re-check it (never logged, never part of the GraphQL request data).
struct Admitted {
    init: ConnectionInit,
    credential: Option<SecretString>,
}

/// A refused `connection_init`: the close code and reason, and the message the legacy
/// protocol sends first in `connection_error`.
struct InitRefused {
    code: u16,
    reason: String,
    message: String,
}

/// Decide on a `connection_init` from `peer`: the token (`authToken` or `Authorization`
/// in the payload) is checked like an HTTP `Authorization` header (and refusals count
/// against the address the same way); in production a socket without one is refused.
/// The reason never contains the token.
async fn on_connection_init(
    state: &AppState,
    peer: Peer,
    payload: Option<&serde_json::Value>,
) -> Result<Admitted, InitRefused> {
    let token = match payload.and_then(|p| p.get("authToken").or_else(|| p.get("Authorization"))) {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(token)) => Some(token.as_str()),
        Some(_) => {
            let _ = state.gate.addresses().refused(peer);
            return Err(InitRefused::forbidden("the auth token must be a string"));
        }
    };
    match state.gate.admit_from(peer, token).await {
        Ok(caller) => Ok(Admitted {
            init: ConnectionInit { access: access(state, caller) },
            credential: token.map(|t| t.to_owned().into()),
        }),
        Err(Refusal::Unauthenticated) => Err(InitRefused::forbidden("a valid API key or client token is required")),
        Err(Refusal::Throttled(wait)) => {
            let message = format!("too many refused credentials from this address; retry after {wait} s");
            Err(InitRefused { code: 4403, reason: format!("Forbidden: {message}"), message })
        }
        Err(Refusal::Unavailable) => Err(InitRefused {
            code: 4500,
            reason: "Internal server error".to_owned(),
            message: "authentication is unavailable".to_owned(),
        }),
    }
}

impl InitRefused {
    fn forbidden(message: &str) -> Self {
        Self { code: 4403, reason: "Forbidden".to_owned(), message: message.to_owned() }
    }
}

fn access(state: &AppState, caller: Caller) -> Access {
    Access { caller, dev: state.settings.security.dev(), signer: state.gate.authenticator.signer().clone() }
}

/// `GET /graphql/ws`: refuse an address over its limits (429 with `Retry-After`) or a
/// client offering only subprotocols we do not speak (400); otherwise upgrade and serve
/// one socket. A client offering no subprotocol gets `graphql-transport-ws` without a
/// `Sec-WebSocket-Protocol` header (RFC 6455: the server may only pick one offered).
pub async fn handler(State(state): State<AppState>, peer: Peer, ws: WebSocketUpgrade) -> Response {
    if let Err(wait) = state.gate.addresses().held_back(peer) {
        return rate_limited(wait, "too many refused credentials from this address; retry later");
    }
    if let Err(wait) = state.gate.addresses().upgrade(peer) {
        return rate_limited(wait, "too many WebSocket upgrades from this address; retry later");
    }
    let offered = ws.requested_protocols().count();
    let max_bytes = state.settings.max_body_bytes.max(PRE_INIT_MAX_BYTES);
    let ws = ws
        .protocols(Protocol::NAMES)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_frame_size(max_bytes)
        .max_message_size(max_bytes);
    let protocol = match ws.selected_protocol().and_then(|p| p.to_str().ok()).and_then(Protocol::from_name) {
        Some(p) => p,
        None if offered == 0 => Protocol::TransportWs,
        None => {
            let message = "none of the offered subprotocols is supported: use graphql-transport-ws or graphql-ws";
            return refusal(StatusCode::BAD_REQUEST, "BAD_REQUEST", message);
        }
    };
    ws.on_upgrade(move |socket| conn::serve(socket, state, protocol, peer))
}
