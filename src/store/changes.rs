//! Status changes and the event log. [`Store::apply_status_change`] is the single
//! place a unified status changes: it updates the row and appends the event in one
//! transaction, so the log and the tables never disagree.
//!
//! Positions: on PostgreSQL a sequence value is taken before commit, so two writers
//! could commit seq 8 before seq 7 and a reader resuming "after 8" would skip 7. Every
//! append therefore first takes one transaction-scoped advisory lock: appends are
//! serialized and commit in seq order. SQLite has one writer at a time anyway.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, Set, Statement, TransactionTrait,
};
use serde_json::Value as Json;

use super::convert::all;
use super::page::{self, Page, PageArgs};
use super::tables::events;
use super::{Clients, Store, StoreError};
use crate::domain::{ChangeSource, Event, InvitationStatus, NodeType, Provider, SenderStatus, WabaStatus};

/// Arbitrary constant naming the event-log append lock on PostgreSQL.
const EVENT_LOG_LOCK: i64 = 0x0062_7370_676c_6f67; // "bspglog"

/// PostgreSQL `LISTEN/NOTIFY` channel carrying the seq of each committed event.
pub const EVENTS_CHANNEL: &str = "bspgraph_events";

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

impl NewStatus {
    fn node_type(self) -> NodeType {
        match self {
            Self::Invitation(_) => NodeType::Invitation,
            Self::Sender(_) => NodeType::Sender,
            Self::Waba(_) => NodeType::Waba,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Invitation(s) => s.as_str(),
            Self::Sender(s) => s.as_str(),
            Self::Waba(s) => s.as_str(),
        }
    }

    fn table(self) -> &'static str {
        match self {
            Self::Invitation(_) => "invitations",
            Self::Sender(_) => "senders",
            Self::Waba(_) => "wabas",
        }
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
        Self { node_id, status, provider_status: None, reason: None, raw: None, source }
    }

    /// The same change, giving `reason`.
    pub fn because(self, reason: Option<String>) -> Self {
        Self { reason, ..self }
    }

    /// Invitation `node_id` as the provider's read `read` shows it.
    pub fn invitation_read(node_id: i64, read: crate::domain::ProviderInvitation, source: ChangeSource) -> Self {
        Self {
            node_id,
            status: NewStatus::Invitation(read.status),
            provider_status: read.provider_status,
            reason: read.failure_reason,
            raw: Some(read.raw),
            source,
        }
    }

    /// Sender `node_id` as the provider's read `read` shows it.
    pub fn sender_read(node_id: i64, read: crate::domain::ProviderSender, source: ChangeSource) -> Self {
        Self {
            node_id,
            status: NewStatus::Sender(read.status),
            provider_status: read.provider_status,
            reason: read.status_reason,
            raw: Some(read.raw),
            source,
        }
    }
}

/// Filters of the `events` list and of `statusChanged`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only this provider.
    pub provider: Option<Provider>,
    /// Only nodes of these clients.
    pub clients: Clients,
    /// Only this node.
    pub node: Option<(NodeType, i64)>,
}

impl EventFilter {
    /// Whether `e` passes this filter (live events are filtered in memory).
    pub fn matches(&self, e: &Event) -> bool {
        self.provider.is_none_or(|p| p == e.provider)
            && self.clients.admits(e.client_id)
            && self.node.is_none_or(|(t, id)| t == e.node_type && id == e.node_id)
    }

    fn condition(&self) -> Condition {
        use events::Column as C;
        Condition::all()
            .add_option(self.provider.map(|p| C::Provider.eq(p.as_str())))
            .add_option(self.clients.condition(C::ClientId))
            .add_option(self.node.map(|(t, id)| Condition::all().add(C::NodeType.eq(t.as_str())).add(C::NodeId.eq(id))))
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
        let table = col(change.status.table());
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

    /// One page of the event log, in seq order.
    pub async fn events_page(&self, filter: &EventFilter, args: PageArgs) -> Result<Page<Event>, StoreError> {
        let select = events::Entity::find().filter(filter.condition());
        page::fetch(self.db(), select, events::Column::Seq, args).await?.try_map(Event::try_from)
    }

    /// Events with these positions.
    pub async fn events_by_seqs(&self, seqs: &[i64]) -> Result<Vec<Event>, StoreError> {
        let rows =
            events::Entity::find().filter(events::Column::Seq.is_in(seqs.iter().copied())).all(self.db()).await?;
        all(rows)
    }
}

fn coalesce_now(column: &'static str, now: DateTime<Utc>) -> SimpleExpr {
    SimpleExpr::FunctionCall(sea_orm::sea_query::Func::coalesce([Expr::col(col(column)).into(), Expr::value(now)]))
}

/// An event about to be appended.
pub(crate) struct NewEvent {
    pub at: DateTime<Utc>,
    pub provider: String,
    pub node_type: NodeType,
    pub node_id: i64,
    pub client_id: Option<i64>,
    pub field: &'static str,
    pub previous: Option<String>,
    pub new_value: String,
    pub source: ChangeSource,
}

/// Append one event inside `txn`, serialized with every other append (module docs).
pub(crate) async fn append_event(txn: &DatabaseTransaction, e: NewEvent) -> Result<Event, StoreError> {
    if txn.get_database_backend() == DbBackend::Postgres {
        let lock = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [EVENT_LOG_LOCK.into()],
        );
        txn.execute(lock).await?;
    }
    let model = events::ActiveModel {
        at: Set(e.at),
        provider: Set(e.provider),
        node_type: Set(e.node_type.as_str().to_owned()),
        node_id: Set(e.node_id),
        client_id: Set(e.client_id),
        field: Set(e.field.to_owned()),
        previous_value: Set(e.previous),
        new_value: Set(e.new_value),
        source: Set(e.source.as_str().to_owned()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // Delivered to listeners at commit, and only then; carries the seq only.
        let notify = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [EVENTS_CHANNEL.into(), model.seq.to_string().into()],
        );
        txn.execute(notify).await?;
    }
    Event::try_from(model)
}
