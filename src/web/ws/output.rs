//! What goes out of a socket: the writer task that owns the socket's sending half, an
//! operation running alone, which sends its results through the socket's bounded
//! queue, and the shaping of every operation's results ([`Results`]). Nothing here
//! decides about the protocol's state (see `conn`).

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use super::protocol::{self, Protocol};
use crate::graphql::{add_missing_codes, Shape};
use crate::web::state::AppState;

/// A text frame for the writer (a boxed `str`: the queue's slots, allocated up front
/// for every socket, stay small).
pub(super) type Out = Box<str>;

/// Send queued frames until every sender is gone (or the socket fails); hands the
/// sending half back for the close frame.
pub(super) async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Out>,
) -> SplitSink<WebSocket, Message> {
    while let Some(text) = rx.recv().await {
        if sink.send(Message::Text(String::from(text).into())).await.is_err() {
            break;
        }
    }
    sink
}

/// End the socket: a close frame with `code` and `reason`, or just the closing handshake.
pub(super) async fn close(mut sink: SplitSink<WebSocket, Message>, close: Option<(u16, String)>) {
    let _ = match close {
        Some((code, reason)) => sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await,
        None => sink.close().await,
    };
}

/// Run one admitted operation alone, sending each result, then `complete` (or `error`
/// when it failed before producing a result).
pub(super) async fn run_alone(
    state: AppState,
    protocol: Protocol,
    id: String,
    request: async_graphql::Request,
    out: mpsc::Sender<Out>,
) {
    let mut results = Results::run(&state, request);
    while let Some(result) = results.next().await {
        let text = match result {
            Ok(response) => protocol::next(protocol, &id, &response),
            Err(errors) => {
                let _ = out.send(protocol::error(protocol, &id, errors).into()).await;
                return;
            }
        };
        if out.send(text.into()).await.is_err() {
            return;
        }
    }
    let _ = out.send(protocol::complete(&id).into()).await;
}

/// The responses of one running operation, each with its error codes and null
/// propagation applied; a failure before the first result comes as `Err(errors)` (what
/// the protocols send as `error`).
pub(super) struct Results {
    stream: futures_util::stream::BoxStream<'static, async_graphql::Response>,
    shape: Shape,
    first: bool,
}

impl Results {
    /// Execute admitted `request`.
    pub(super) fn run(state: &AppState, request: async_graphql::Request) -> Self {
        let shape = Shape::of(&request);
        Self { stream: state.schema.execute_stream(request), shape, first: true }
    }

    /// The next response, shaped.
    pub(super) async fn next(&mut self) -> Option<Result<async_graphql::Response, serde_json::Value>> {
        let mut response = self.stream.next().await?;
        add_missing_codes(&mut response);
        self.shape.apply(&mut response);
        let failed = self.first && response.data == async_graphql::Value::Null && !response.errors.is_empty();
        self.first = false;
        Some(if failed { Err(serde_json::to_value(&response.errors).unwrap_or_default()) } else { Ok(response) })
    }
}
