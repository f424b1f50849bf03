//! The `events` table: the append-only event log whose `seq` is the public cursor.
//! Appends happen inside the transaction of the write they record (a status change, a
//! creation), and the store announces their seqs only after commit.
//!
//! Positions: on PostgreSQL a sequence value is taken before commit, so two writers
//! could commit seq 8 before seq 7 and a reader resuming "after 8" would skip 7. Every
//! append therefore first takes one transaction-scoped advisory lock: appends are
//! serialized and commit in seq order. SQLite has one writer at a time anyway.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QuerySelect, Set, Statement,
};

use super::convert::all;
use super::page::{self, Page, PageArgs};
use super::tables::events;
use super::{Clients, Store, StoreError};
use crate::domain::{ChangeSource, Event, NodeType, Provider};

/// Arbitrary constant naming the event-log append lock on PostgreSQL.
const EVENT_LOG_LOCK: i64 = 0x0062_7370_676c_6f67; // "bspglog"

/// PostgreSQL `LISTEN/NOTIFY` channel carrying the seq of each committed event.
pub const EVENTS_CHANNEL: &str = "bspgraph_events";

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

impl Store {
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

    /// The highest event seq, 0 for an empty log.
    pub async fn max_event_seq(&self) -> Result<i64, StoreError> {
        let max: Option<Option<i64>> = events::Entity::find()
            .select_only()
            .column_as(events::Column::Seq.max(), "m")
            .into_tuple()
            .one(self.db())
            .await?;
        Ok(max.flatten().unwrap_or(0))
    }
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

impl NewEvent {
    /// The creation event of a new row: its first status, with no previous value.
    pub(crate) fn created(
        provider: Provider,
        node_type: NodeType,
        id: i64,
        client: Option<i64>,
        status: &str,
        source: ChangeSource,
    ) -> Self {
        Self {
            at: Utc::now(),
            provider: provider.as_str().to_owned(),
            node_type,
            node_id: id,
            client_id: client,
            field: "status",
            previous: None,
            new_value: status.to_owned(),
            source,
        }
    }
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
