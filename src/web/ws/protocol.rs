//! The two GraphQL-over-WebSocket protocols as messages: `graphql-transport-ws` (the
//! current one) and Apollo's legacy `graphql-ws` (subscriptions-transport-ws). Parsing
//! is strict: anything that is not a known message with the fields it needs is an
//! [`Incoming::Invalid`], which the connection answers with close code 4400.

use serde_json::{json, Value};

/// Which protocol a socket speaks (from `Sec-WebSocket-Protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws`.
    TransportWs,
    /// `graphql-ws` (legacy Apollo).
    LegacyWs,
}

impl Protocol {
    /// Subprotocol names, preferred first.
    pub const NAMES: [&'static str; 2] = ["graphql-transport-ws", "graphql-ws"];

    /// The protocol named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "graphql-transport-ws" => Some(Self::TransportWs),
            "graphql-ws" => Some(Self::LegacyWs),
            _ => None,
        }
    }
}

/// A client message.
#[derive(Debug)]
pub enum Incoming {
    /// `connection_init` with its payload.
    Init(Option<Value>),
    /// `ping` (answered with `pong`).
    Ping(Option<Value>),
    /// `pong` (ignored).
    Pong,
    /// `subscribe` / `start`.
    Subscribe {
        /// Client-chosen operation id.
        id: String,
        /// The GraphQL request.
        request: Box<async_graphql::Request>,
    },
    /// `complete` / `stop`.
    Complete(String),
    /// Legacy `connection_terminate`.
    Terminate,
    /// Anything else; the text says what was wrong.
    Invalid(String),
}

/// Parse one text frame.
pub fn parse(protocol: Protocol, text: &str) -> Incoming {
    let Ok(Value::Object(mut msg)) = serde_json::from_str::<Value>(text) else {
        return Incoming::Invalid("message is not a JSON object".into());
    };
    let Some(Value::String(kind)) = msg.remove("type") else {
        return Incoming::Invalid("message has no type".into());
    };
    let id = match msg.remove("id") {
        Some(Value::String(id)) => Some(id),
        _ => None,
    };
    let payload = msg.remove("payload").filter(|p| !p.is_null());
    match (protocol, kind.as_str()) {
        (_, "connection_init") => match payload {
            None | Some(Value::Object(_)) => Incoming::Init(payload),
            Some(_) => Incoming::Invalid("connection_init payload must be an object".into()),
        },
        (Protocol::TransportWs, "ping") => Incoming::Ping(payload),
        (Protocol::TransportWs, "pong") => Incoming::Pong,
        (Protocol::TransportWs, "subscribe") | (Protocol::LegacyWs, "start") => {
            let Some(id) = id.filter(|id| !id.is_empty()) else {
                return Incoming::Invalid(format!("{kind} needs an id"));
            };
            match payload.map(serde_json::from_value::<async_graphql::Request>) {
                Some(Ok(request)) => Incoming::Subscribe { id, request: Box::new(request) },
                _ => Incoming::Invalid(format!("{kind} payload is not a GraphQL request")),
            }
        }
        (Protocol::TransportWs, "complete") | (Protocol::LegacyWs, "stop") => match id {
            Some(id) => Incoming::Complete(id),
            None => Incoming::Invalid(format!("{kind} needs an id")),
        },
        (Protocol::LegacyWs, "connection_terminate") => Incoming::Terminate,
        _ => Incoming::Invalid(format!("unknown message type {kind:?}")),
    }
}

/// `connection_ack`.
pub fn ack() -> String {
    json!({ "type": "connection_ack" }).to_string()
}

/// A server keep-alive: `ping` or the legacy `ka`.
pub fn keep_alive(protocol: Protocol) -> String {
    match protocol {
        Protocol::TransportWs => json!({ "type": "ping" }).to_string(),
        Protocol::LegacyWs => json!({ "type": "ka" }).to_string(),
    }
}

/// `pong`, echoing the ping's payload.
pub fn pong(payload: Option<Value>) -> String {
    match payload {
        Some(p) => json!({ "type": "pong", "payload": p }).to_string(),
        None => json!({ "type": "pong" }).to_string(),
    }
}

/// One result of operation `id`: `next` or the legacy `data`.
pub fn next(protocol: Protocol, id: &str, payload: &async_graphql::Response) -> String {
    // Written directly: one serialization of the response, not a detour through `Value`.
    let payload = serde_json::to_string(payload).unwrap_or_else(|_| "null".to_owned());
    next_raw(protocol, id, &payload)
}

/// [`next`] around an already serialized response (one a shared execution produced).
pub fn next_raw(protocol: Protocol, id: &str, payload: &str) -> String {
    let kind = match protocol {
        Protocol::TransportWs => "next",
        Protocol::LegacyWs => "data",
    };
    let id = serde_json::to_string(id).unwrap_or_else(|_| "\"\"".to_owned());
    format!(r#"{{"type":"{kind}","id":{id},"payload":{payload}}}"#)
}

/// Operation `id` failed before producing results: `errors` as the protocol wants them.
pub fn error(protocol: Protocol, id: &str, errors: Value) -> String {
    let payload = match (protocol, errors) {
        (Protocol::LegacyWs, Value::Array(mut list)) if !list.is_empty() => list.swap_remove(0),
        (_, errors) => errors,
    };
    json!({ "type": "error", "id": id, "payload": payload }).to_string()
}

/// Operation `id` is finished.
pub fn complete(id: &str) -> String {
    json!({ "type": "complete", "id": id }).to_string()
}

/// Legacy refusal of `connection_init`.
pub fn connection_error(message: &str) -> String {
    json!({ "type": "connection_error", "payload": { "message": message } }).to_string()
}
