//! What goes out of a socket: the writer task that owns the socket's sending half, and
//! the task running one operation, which sends its results through the socket's bounded
//! queue. Neither decides anything about the protocol's state (see `conn`).

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use super::mux;
use super::protocol::{self, Protocol};
use crate::app::AppState;
use crate::graphql::{add_missing_codes, Access, Shape};

/// A frame for the writer.
pub(super) enum Out {
    Text(String),
    Close(u16, String),
}

/// Send queued frames until the queue ends or a close frame is sent.
pub(super) async fn write_loop(mut sink: SplitSink<WebSocket, Message>, mut rx: mpsc::Receiver<Out>) {
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

/// Run one operation, sending each result, then `complete` (or `error` when it
/// failed before producing a result), for a caller with `access`. A `statusChanged` operation joins a shared
/// execution (see `mux`) unless multiplexing is off.
pub(super) async fn run_operation(
    state: AppState,
    protocol: Protocol,
    id: String,
    mut request: async_graphql::Request,
    access: Access,
    out: mpsc::Sender<Out>,
) {
    if let Err(errors) = crate::graphql::admit(&state.schema, &mut request) {
        let errors = serde_json::to_value(&errors).unwrap_or_default();
        let _ = out.send(Out::Text(protocol::error(protocol, &id, errors))).await;
        return;
    }
    let doc = request.parsed_query().ok().filter(|_| state.settings.live.ws_multiplex).cloned();
    let shared = doc.and_then(|doc| mux::plan(&request, &doc).map(|plan| (plan, doc)));
    if let Some((plan, doc)) = shared {
        let member = mux::Member { state, protocol, id, out };
        member.run(request, doc, plan, &access).await;
        return;
    }
    let mut shape = Shape::of(&request);
    let mut stream = state.schema.execute_stream(request);
    let mut first = true;
    while let Some(mut response) = stream.next().await {
        add_missing_codes(&mut response);
        shape.apply(&mut response);
        let text = if first && response.data == async_graphql::Value::Null && !response.errors.is_empty() {
            let errors = serde_json::to_value(&response.errors).unwrap_or_default();
            let _ = out.send(Out::Text(protocol::error(protocol, &id, errors))).await;
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
}
