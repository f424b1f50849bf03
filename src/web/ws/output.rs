//! What goes out of a socket: the writer task that owns the socket's sending half, and
//! the task running one operation, which sends its results through the socket's bounded
//! queue. Neither decides anything about the protocol's state (see `conn`).

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::mux;
use super::protocol::{self, Protocol};
use crate::graphql::{add_missing_codes, Access, Shape};
use crate::web::AppState;

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

/// Start operation `id` (a `subscribe` of a caller with `access`) in its own task and
/// return its handle: refused documents get `error`; a `statusChanged` operation joins a
/// shared execution (see `mux`) unless multiplexing is off; any other runs alone. The
/// checks and the join happen here, so each task holds only what its kind needs.
pub(super) fn start(
    state: &AppState,
    protocol: Protocol,
    id: String,
    mut request: async_graphql::Request,
    access: &Access,
    out: mpsc::Sender<Out>,
) -> AbortHandle {
    if let Err(errors) = crate::graphql::admit(&state.schema, &mut request) {
        let errors = serde_json::to_value(&errors).unwrap_or_default();
        let text = protocol::error(protocol, &id, errors);
        return tokio::spawn(async move {
            let _ = out.send(text.into()).await;
        })
        .abort_handle();
    }
    let doc = request.parsed_query().ok().filter(|_| state.settings.live.ws_multiplex).cloned();
    match doc.and_then(|doc| mux::plan(&request, &doc).map(|plan| (plan, doc))) {
        Some((plan, doc)) => {
            let route = mux::Route { protocol, id, out };
            tokio::spawn(mux::Member::join(state, route, request, doc, plan, access).follow()).abort_handle()
        }
        None => tokio::spawn(run_alone(state.clone(), protocol, id, request, out)).abort_handle(),
    }
}

/// Run one admitted operation alone, sending each result, then `complete` (or `error`
/// when it failed before producing a result).
async fn run_alone(
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
