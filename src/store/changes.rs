//! Status changes: [`Store::apply_status_change`] is the single place a unified status
//! changes. It updates the row and appends the event (`events.rs`) in one transaction,
//! so the log and the tables never disagree. [`StatusChange`]'s constructors name where
//! a change comes from: a local decision, or a provider's read of an invitation or a
//! sender.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::Value as Json;

use super::events::{append_event, NewEvent};
use super::tracking::NodeTable;
use super::{Store, StoreError};
use crate::domain::{ChangeSource, Event, InvitationStatus, NodeType, SenderStatus, WabaStatus};

/// The new unified status of one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewStatus {
    /// An invitation's status.
    Invitation(InvitationStatus),
    /// A sender's status.
    Sender(SenderStatus),
    /// A waba's status.
    Waba(WabaStatus),
}

impl std::fmt::Display for NewStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl NewStatus {
    fn node_type(self) -> NodeType {
        match self {
            Self::Invitation(_) => NodeType::Invitation,
            Self::Sender(_) => NodeType::Sender,
            Self::Waba(_) => NodeType::Waba,
        }
    }

    /// The status as stored and shown (`COMPLETED`, `ACTIVE`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invitation(s) => s.as_str(),
            Self::Sender(s) => s.as_str(),
            Self::Waba(s) => s.as_str(),
        }
    }

    fn table(self) -> NodeTable {
        match self {
            Self::Invitation(_) => NodeTable::Invitations,
            Self::Sender(_) => NodeTable::Senders,
            Self::Waba(_) => NodeTable::Wabas,
        }
    }

    /// The stored status `text` of a row of `table`; a text that names no status of
    /// that table is a corrupt row.
    pub(super) fn parse(table: NodeTable, text: &str) -> Result<Self, StoreError> {
        let status = match table {
            NodeTable::Invitations => text.parse().map(Self::Invitation).ok(),
            NodeTable::Senders => text.parse().map(Self::Sender).ok(),
            NodeTable::Wabas => text.parse().map(Self::Waba).ok(),
        };
        status.ok_or_else(|| StoreError::Corrupt(format!("{}.status = {text:?}", table.name())))
    }

    /// Whether this would move an invitation out of the final status `previous`.
    fn moves_from_final(self, previous: &str) -> bool {
        let Self::Invitation(next) = self else { return false };
        previous.parse::<InvitationStatus>().is_ok_and(|p| p.is_terminal() && p != next)
    }

    /// The column that keeps the provider's reason for this status, if the table has one.
    fn reason_column(self) -> Option<&'static str> {
        match self {
            Self::Invitation(_) => Some("failure_reason"),
            Self::Sender(_) => Some("status_reason"),
            Self::Waba(_) => None,
        }
    }
}

/// One observed state of a node, from a webhook, a poll, a mutation or the sandbox.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    /// Row id of the node.
    pub node_id: i64,
    /// Its unified status now.
    pub status: NewStatus,
    /// The provider's own status text, kept raw.
    pub provider_status: Option<String>,
    /// The provider's reason (failure, rejection), if any.
    pub reason: Option<String>,
    /// The provider payload this was read from.
    pub raw: Option<Json>,
    /// What observed it.
    pub source: ChangeSource,
}

impl StatusChange {
    /// A change bspgraph decides itself, with no provider reading behind it (a local
    /// cancel, a renewal, an expiry it knows of).
    pub fn local(node_id: i64, status: NewStatus, source: ChangeSource) -> Self {
        Self::reported(node_id, status, source, None, None, None)
    }

    /// A change a provider reported (a webhook, a poll, its answer to a mutation): with
    /// the provider's own status text, its reason and the payload it came in.
    pub fn reported(
        node_id: i64,
        status: NewStatus,
        source: ChangeSource,
        provider_status: Option<String>,
        reason: Option<String>,
        raw: Option<Json>,
    ) -> Self {
        Self { node_id, status, provider_status, reason, raw, source }
    }

    /// The same change, giving `reason`.
    pub fn because(self, reason: Option<String>) -> Self {
        Self { reason, ..self }
    }

    /// Invitation `node_id` as the provider's read `read` shows it.
    pub fn invitation_read(node_id: i64, read: crate::domain::ProviderInvitation, source: ChangeSource) -> Self {
        let status = NewStatus::Invitation(read.status);
        Self::reported(node_id, status, source, read.provider_status, read.failure_reason, Some(read.raw))
    }

    /// Sender `node_id` as the provider's read `read` shows it.
    pub fn sender_read(node_id: i64, read: crate::domain::ProviderSender, source: ChangeSource) -> Self {
        let status = NewStatus::Sender(read.status);
        Self::reported(node_id, status, source, read.provider_status, read.status_reason, Some(read.raw))
    }
}

fn col(name: &'static str) -> Alias {
    Alias::new(name)
}

impl Store {
    /// Record that a node now has `change.status`. Updates the row (status, provider
    /// status, reason, raw, synced_at) and, when the unified status differs from the
    /// stored one, appends an event, all in one transaction. Returns the appended event.
    #[tracing::instrument(skip_all, fields(node_id = change.node_id, status = change.status.as_str()))]
    pub async fn apply_status_change(&self, change: StatusChange) -> Result<Option<Event>, StoreError> {
        let now = Utc::now();
        let table = col(change.status.table().name());
        let backend = self.db().get_database_backend();
        let txn = self.db().begin().await?;
        // Take the row's write lock before reading it (SQLite: the database write lock,
        // PostgreSQL: the row lock), so two writers never read the same previous status.
        let lock = Query::update()
            .table(table.clone())
            .value(col("updated_at"), Expr::col(col("updated_at")))
            .and_where(Expr::col(col("id")).eq(change.node_id))
            .to_owned();
        if txn.execute(backend.build(&lock)).await?.rows_affected() == 0 {
            return Err(StoreError::NotFound("node"));
        }
        let read = Query::select()
            .columns([col("status"), col("provider"), col("client_id")])
            .from(table.clone())
            .and_where(Expr::col(col("id")).eq(change.node_id))
            .to_owned();
        let row = txn.query_one(backend.build(&read)).await?.ok_or(StoreError::NotFound("node"))?;
        let previous: String = row.try_get("", "status")?;
        let provider: String = row.try_get("", "provider")?;
        let client_id: Option<i64> = row.try_get("", "client_id")?;
        // What a provider reports later never reopens a final invitation: webhooks
        // processed out of order, or a poll that read before the last write, are stale.
        // Only an explicit action (a mutation, such as renewing an expired link) does.
        if change.source.is_observation() && change.status.moves_from_final(&previous) {
            txn.rollback().await?;
            return Ok(None);
        }
        let changed = previous != change.status.as_str();

        let mut update = Query::update();
        update
            .table(table)
            .value(col("status"), change.status.as_str())
            .value(col("synced_at"), now)
            .and_where(Expr::col(col("id")).eq(change.node_id));
        if changed {
            update.value(col("updated_at"), now);
            if let NewStatus::Invitation(s) = change.status {
                match s {
                    InvitationStatus::InProgress => update.value(col("started_at"), coalesce_now("started_at", now)),
                    InvitationStatus::Completed => update.value(col("completed_at"), coalesce_now("completed_at", now)),
                    _ => &mut update,
                };
            }
        }
        if let Some(ps) = change.provider_status {
            update.value(col("provider_status"), ps);
        }
        if let (Some(reason), Some(column)) = (change.reason, change.status.reason_column()) {
            update.value(col(column), reason);
        }
        if let Some(raw) = change.raw {
            update.value(col("raw"), raw);
        }
        txn.execute(backend.build(&update)).await?;

        let event = if changed {
            let entry = NewEvent {
                at: now,
                provider,
                node_type: change.status.node_type(),
                node_id: change.node_id,
                client_id,
                field: "status",
                previous: Some(previous),
                new_value: change.status.as_str().to_owned(),
                source: change.source,
            };
            Some(append_event(&txn, entry).await?)
        } else {
            None
        };
        txn.commit().await?;
        self.publish(event.iter().map(|e| e.seq));
        Ok(event)
    }
}

fn coalesce_now(column: &'static str, now: DateTime<Utc>) -> SimpleExpr {
    SimpleExpr::FunctionCall(sea_orm::sea_query::Func::coalesce([Expr::col(col(column)).into(), Expr::value(now)]))
}
