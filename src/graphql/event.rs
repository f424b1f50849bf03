//! `StatusEvent`, the GraphQL type of one event-log entry: its cursor, the node that
//! changed and its statuses before and after, typed as [`EntityStatus`].

use async_graphql::{Context, Object};

use super::error::ApiResult;
use super::nodes::{load_node, Node};
use super::scalars::Timestamp;
use crate::domain::{ChangeSource, CursorKind, EntityStatus, Event, GlobalId, Provider};

/// The event behind the `StatusEvent` type.
pub struct StatusEvent(pub Event);

fn stored_status(text: &str, seq: i64) -> ApiResult<EntityStatus> {
    text.parse().map_err(|e| anyhow::anyhow!("event {seq}: {e}").into())
}

/// One change recorded in the event log: an invitation, sender or account moved from one
/// status to another (or was created).
#[Object]
impl StatusEvent {
    /// Position of this event in the log; pass it as `after` to `events` or
    /// `statusChanged` to continue after it.
    async fn cursor(&self) -> String {
        crate::domain::encode_cursor(CursorKind::Events, self.0.seq)
    }
    /// When the change was recorded (ISO 8601, UTC).
    async fn at(&self) -> Timestamp {
        Timestamp(self.0.at)
    }
    /// The provider of the object that changed.
    async fn provider(&self) -> Provider {
        self.0.provider
    }
    /// What caused the change.
    async fn source(&self) -> ChangeSource {
        self.0.source
    }
    /// The `Invitation`, `Sender` or `Waba` that changed (ask for `__typename` to tell).
    async fn node(&self, ctx: &Context<'_>) -> ApiResult<Node> {
        let id = GlobalId::new(self.0.node_type, self.0.node_id);
        load_node(ctx, id).await?.ok_or_else(|| anyhow::anyhow!("event {} names a missing node", self.0.seq).into())
    }
    /// Which field changed; always `status` today.
    async fn field(&self) -> &str {
        &self.0.field
    }
    /// The status before the change; null when the object was created by this change. The
    /// value is one of the object's own statuses (`InvitationStatus`, `SenderStatus` or
    /// `WabaStatus`).
    async fn previous_status(&self) -> ApiResult<Option<EntityStatus>> {
        self.0.previous_value.as_deref().map(|t| stored_status(t, self.0.seq)).transpose()
    }
    /// The status after the change, one of the object's own statuses (`InvitationStatus`,
    /// `SenderStatus` or `WabaStatus`).
    async fn status(&self) -> ApiResult<EntityStatus> {
        stored_status(&self.0.new_value, self.0.seq)
    }
}
