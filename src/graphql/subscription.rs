//! The subscription root: `statusChanged` (resumable with `after`), and
//! `invitationUpdated` / `senderUpdated`, which follow one node. Every stream comes
//! from the [`EventBus`]; the node streams re-read the node after each of its events.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use async_graphql::{Context, Subscription, ID};
use futures_util::{Stream, StreamExt};

use super::error::{ApiError, ApiResult};
use super::event::StatusEvent;
use super::nodes::{InvitationNode, SenderNode};
use super::query::EventFilterInput;
use crate::domain::{decode_cursor, CursorKind, GlobalId, NodeType};
use crate::events::{EventBus, StreamError};
use crate::store::{self, Store};

/// Root of all subscriptions.
#[derive(Default)]
pub struct Subscription;

fn bus<'a>(ctx: &Context<'a>) -> &'a EventBus {
    ctx.data_unchecked::<EventBus>()
}

impl From<StreamError> for ApiError {
    fn from(err: StreamError) -> Self {
        match err {
            StreamError::BadCursor => ApiError::BadCursor,
            StreamError::Store(e) => e.into(),
        }
    }
}

/// Where a shared `statusChanged` execution reads the log, set in the request data by
/// the WebSocket layer's multiplexer (see `ws::mux`); without it the `after` argument
/// decides. Each event's seq is noted in `seen` as it is handed to the selection, so
/// the response produced next belongs to that seq.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// Start after this seq (the `after` argument is then ignored).
    pub after: Option<i64>,
    /// End once the log has been replayed through this seq (no live events).
    pub until: Option<i64>,
    /// The seq of the event the stream yielded last.
    pub seen: Arc<AtomicI64>,
}

/// Events after `after` (validated), then live ones, as `T`; within a [`Window`] when the
/// request has one.
async fn follow(
    ctx: &Context<'_>,
    after: Option<String>,
    filter: store::EventFilter,
    window: Option<&Window>,
) -> ApiResult<impl Stream<Item = ApiResult<crate::domain::Event>>> {
    let bus = bus(ctx).clone();
    let after = match (window.and_then(|w| w.after), after) {
        (Some(seq), _) => Some(seq),
        (None, Some(text)) => {
            let seq = decode_cursor(&text, CursorKind::Events).map_err(|_| ApiError::BadCursor)?;
            bus.check_cursor(seq).await?;
            Some(seq)
        }
        (None, None) => None,
    };
    let Some(window) = window else {
        return Ok(bus.stream(after, filter).map(|r| r.map_err(ApiError::from)).boxed());
    };
    let seen = window.seen.clone();
    let events = match window.until {
        Some(until) => bus.replay_until(after.unwrap_or(until), until, filter).boxed(),
        None => bus.stream(after, filter).boxed(),
    };
    Ok(events
        .map(move |r| {
            if let Ok(e) = &r {
                seen.store(e.seq, Ordering::SeqCst);
            }
            r.map_err(ApiError::from)
        })
        .boxed())
}

/// Live updates over WebSocket (graphql-transport-ws or graphql-ws, on `/graphql/ws`).
#[Subscription]
impl Subscription {
    /// Every status change, in log order, each once. Pass the last `cursor` you saw as
    /// `after` to receive exactly what you missed first (BAD_CURSOR when the cursor was
    /// not issued by the event log of this server; no retention is applied, so none
    /// expires).
    async fn status_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Replay the events after this event-log cursor (a `StatusEvent.cursor` or a cursor of `events`) before the live ones; without it only new events arrive."
        )]
        after: Option<String>,
        #[graphql(desc = "Only events matching all of these.")] filter: Option<EventFilterInput>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<StatusEvent>>> {
        // A client token only ever receives its own client's events.
        let filter = filter.unwrap_or_default().to_store(ctx)?;
        let window = ctx.data_opt::<Window>();
        Ok(follow(ctx, after, filter, window).await?.map(|r| r.map(StatusEvent).map_err(Into::into)))
    }

    /// The invitation, each time its status changes (NOT_FOUND when it does not exist).
    async fn invitation_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitation's `id`.")] id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<InvitationNode>>> {
        let id = GlobalId::decode_as(&id, NodeType::Invitation).map_err(ApiError::BadId)?;
        let store = ctx.data_unchecked::<Store>().clone();
        let owner = store.invitations_by_ids(&[id]).await.map_err(ApiError::from)?.pop().map(|i| i.client_id);
        if owner.is_none() || !super::scope::visible(ctx, owner) {
            return Err(ApiError::NotFound.into());
        }
        let clients = super::scope::narrow(ctx, None);
        let filter = store::EventFilter { node: Some((NodeType::Invitation, id)), clients, ..Default::default() };
        let events = follow(ctx, None, filter, None).await?;
        Ok(events.then(move |e| {
            let store = store.clone();
            async move {
                let found: ApiResult<InvitationNode> = async {
                    let found = store.invitations_by_ids(&[e?.node_id]).await?.pop();
                    found.map(|i| InvitationNode(i.into())).ok_or_else(|| anyhow::anyhow!("invitation gone").into())
                }
                .await;
                found.map_err(Into::into)
            }
        }))
    }

    /// The sender, each time its status changes (NOT_FOUND when it does not exist).
    async fn sender_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sender's `id`.")] id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<SenderNode>>> {
        let id = GlobalId::decode_as(&id, NodeType::Sender).map_err(ApiError::BadId)?;
        let store = ctx.data_unchecked::<Store>().clone();
        let Some(sender) = store.senders_by_ids(&[id]).await.map_err(ApiError::from)?.pop() else {
            return Err(ApiError::NotFound.into());
        };
        if !super::scope::visible(ctx, sender.client_id) {
            return Err(ApiError::NotFound.into());
        }
        let clients = super::scope::narrow(ctx, None);
        let filter = store::EventFilter { node: Some((NodeType::Sender, id)), clients, ..Default::default() };
        let events = follow(ctx, None, filter, None).await?;
        Ok(events.then(move |e| {
            let store = store.clone();
            async move {
                let found: ApiResult<SenderNode> = async {
                    let found = store.senders_by_ids(&[e?.node_id]).await?.pop();
                    found.map(|s| SenderNode(s.into())).ok_or_else(|| anyhow::anyhow!("sender gone").into())
                }
                .await;
                found.map_err(Into::into)
            }
        }))
    }
}
