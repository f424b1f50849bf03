//! GraphQL subscriptions over WebSocket at `/graphql/ws`: our own small handler for
//! `graphql-transport-ws` (and the legacy `graphql-ws`), running operations with
//! `schema.execute_stream`. This file owns the upgrade (subprotocol negotiation, size
//! limits, the per-address upgrade limit); the decision on `connection_init` is in
//! `init`, the session in `conn`, an operation's start in `operation`, what goes out
//! in `output`, shared executions in `mux` (their registry in `hubs`). Close codes: 4400 invalid or unknown message, 4401
//! subscribe before `connection_ack`, 4403 refused `connection_init` or a credential
//! that no longer holds (revoked key, expired token), 4408 no `connection_init` within
//! the wait, 4409 duplicate operation id, 4429 a second `connection_init`, 4500 the key
//! store is unreachable, 1009 a message too big, 1001 server shutdown.

mod conn;
pub(crate) mod hubs;
mod init;
mod mux;
mod operation;
mod output;
mod protocol;
pub(crate) mod sockets;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

pub use hubs::Hubs;
pub use init::PRE_INIT_MAX_BYTES;
pub use protocol::Protocol;
pub use sockets::Sockets;

use crate::web::gate::{rate_limited, refusal};
use crate::web::limits::Peer;
use crate::web::state::AppState;

/// Initial read buffer of a socket: client messages are small, and idle sockets many.
const READ_BUFFER: usize = 1024;

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
