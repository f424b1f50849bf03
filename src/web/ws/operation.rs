//! The start of one operation on a socket: a refused document gets `error`; a
//! `statusChanged` operation joins a shared execution (`mux`) unless multiplexing is
//! off; any other runs alone (`output::run_alone`). The checks and the join happen
//! before the operation's task is spawned, so each task holds only what its kind needs.

use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::mux;
use super::output::{run_alone, Out};
use super::protocol::{self, Protocol};
use crate::graphql::Access;
use crate::web::state::AppState;

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
