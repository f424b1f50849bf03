//! The `webhook_inbox` table: verified deliveries, stored once per (provider, delivery
//! id) before the 2xx (through the group writer in `inbox_commit.rs`), claimed with a
//! lease, then finished or failed with the error kept for operators.
//!
//! Leases are epoch milliseconds. On PostgreSQL a claim locks its rows with `FOR UPDATE
//! SKIP LOCKED`, so instances sharing the database never claim the same row in one
//! round; SQLite has one writer, and sea-query leaves the lock clause out there.

use chrono::Utc;
use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Statement};

use super::leases::{lapsed, now_ms};
use super::tables::webhook_inbox;
use super::{Store, StoreError};
use crate::domain::Provider;

use webhook_inbox::Column as C;

/// Where an inbox row is in its processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxState {
    /// Being processed (or waiting for its lease to lapse after a crash).
    Processing,
    /// Done, with an optional note in `last_error` (e.g. "unknown invitation").
    Processed,
    /// Failed; retried when `lease_until` passes, until the attempts run out.
    Failed,
}

impl InboxState {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::Processed => "processed",
            Self::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        [Self::Processing, Self::Processed, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| StoreError::Corrupt(format!("webhook_inbox.state = {text:?}")))
    }
}

/// One claimed (or just stored) inbox row.
#[derive(Debug, Clone)]
pub struct InboxItem {
    /// Row id.
    pub id: i64,
    /// Provider that sent it.
    pub provider: Provider,
    /// The verified, normalized event (JSON written by webhook ingestion).
    pub payload: String,
    /// Processing attempts so far.
    pub attempts: i32,
}

/// An inbox row as operators and tests see it.
#[derive(Debug, Clone)]
pub struct InboxEntry {
    /// Provider that sent it.
    pub provider: Provider,
    /// The provider's delivery or event id (or a hash of the signed content).
    pub delivery_id: String,
    /// Where its processing is.
    pub state: InboxState,
    /// Processing attempts so far.
    pub attempts: i32,
    /// The last error, or a note on a processed row.
    pub last_error: Option<String>,
}

/// A verified delivery to store, already claimed by its receiver until `lease_until`.
#[derive(Debug, Clone)]
pub(super) struct NewDelivery {
    pub provider: Provider,
    pub delivery_id: String,
    pub payload: String,
    pub lease_until: i64,
}

/// The insert of `deliveries` in one statement. A delivery whose (provider, delivery
/// id) is stored already, or repeats one earlier in the same statement, inserts
/// nothing. Returns `id`, `provider` and `delivery_id` of each new row, in no
/// particular order.
pub(super) fn insert_statement(backend: DbBackend, deliveries: &[&NewDelivery]) -> Statement {
    let now = Utc::now();
    let mut insert = Query::insert();
    insert.into_table(webhook_inbox::Entity).columns([
        C::Provider,
        C::DeliveryId,
        C::ReceivedAt,
        C::Payload,
        C::State,
        C::Attempts,
        C::LeaseUntil,
    ]);
    for d in deliveries {
        insert.values_panic([
            d.provider.as_str().into(),
            d.delivery_id.as_str().into(),
            now.into(),
            d.payload.as_str().into(),
            InboxState::Processing.as_str().into(),
            0.into(),
            d.lease_until.into(),
        ]);
    }
    insert
        .on_conflict(OnConflict::columns([C::Provider, C::DeliveryId]).do_nothing().to_owned())
        .returning(Query::returning().columns([C::Id, C::Provider, C::DeliveryId]));
    backend.build(&insert)
}

fn provider(text: &str) -> Result<Provider, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(format!("webhook_inbox.provider = {text:?}")))
}

impl Store {
    /// Store a verified delivery, already claimed by the caller for `lease_ms`.
    /// `None` when the (provider, delivery id) pair was stored before: a duplicate.
    /// Committed together with the deliveries arriving meanwhile (`inbox_commit.rs`);
    /// returns once the row is committed.
    #[tracing::instrument(skip_all, fields(provider = provider.as_str()))]
    pub async fn inbox_insert(
        &self,
        provider: Provider,
        delivery_id: &str,
        payload: String,
        lease_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        let delivery =
            NewDelivery { provider, delivery_id: delivery_id.to_owned(), payload, lease_until: now_ms() + lease_ms };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let stopped = || StoreError::Corrupt("the inbox writer stopped".into());
        self.inbox.send(super::inbox_commit::Row { delivery, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Claim up to `limit` rows due for (re)processing: failed rows whose retry time
    /// passed and processing rows whose lease lapsed (a crashed worker).
    #[tracing::instrument(skip_all, fields(limit))]
    pub async fn inbox_claim(
        &self,
        limit: u64,
        lease_ms: i64,
        max_attempts: i32,
    ) -> Result<Vec<InboxItem>, StoreError> {
        let claim = claim_statement(now_ms(), limit, lease_ms, max_attempts);
        let backend = self.db().get_database_backend();
        let rows = self.db().query_all(backend.build(&claim)).await?;
        let mut items = rows
            .iter()
            .map(|r| {
                Ok(InboxItem {
                    id: r.try_get("", "id")?,
                    provider: provider(&r.try_get::<String>("", "provider")?)?,
                    payload: r.try_get("", "payload")?,
                    attempts: r.try_get("", "attempts")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        items.sort_by_key(|i| i.id);
        Ok(items)
    }

    /// Mark a row processed; `note` says why nothing changed, when that is the case.
    pub async fn inbox_done(&self, id: i64, note: Option<String>) -> Result<(), StoreError> {
        webhook_inbox::Entity::update_many()
            .col_expr(C::State, Expr::value(InboxState::Processed.as_str()))
            .col_expr(C::ProcessedAt, Expr::value(Utc::now()))
            .col_expr(C::LastError, Expr::value(note))
            .col_expr(C::LeaseUntil, Expr::value(Option::<i64>::None))
            .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
            .filter(C::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Mark a row failed with `error`, to be retried after `retry_in_ms`.
    pub async fn inbox_failed(&self, id: i64, error: &str, retry_in_ms: i64) -> Result<(), StoreError> {
        webhook_inbox::Entity::update_many()
            .col_expr(C::State, Expr::value(InboxState::Failed.as_str()))
            .col_expr(C::LastError, Expr::value(error))
            .col_expr(C::LeaseUntil, Expr::value(now_ms() + retry_in_ms))
            .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
            .filter(C::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Every inbox row of `provider`, oldest first (operators and tests).
    pub async fn inbox_entries(&self, provider: Provider) -> Result<Vec<InboxEntry>, StoreError> {
        let rows = webhook_inbox::Entity::find()
            .filter(C::Provider.eq(provider.as_str()))
            .order_by_asc(C::Id)
            .all(self.db())
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(InboxEntry {
                    provider,
                    delivery_id: r.delivery_id,
                    state: InboxState::parse(&r.state)?,
                    attempts: r.attempts,
                    last_error: r.last_error,
                })
            })
            .collect()
    }
}

/// The claim of [`Store::inbox_claim`]: rows due at `now`, at most `limit`, leased for
/// `lease_ms`; on PostgreSQL locked so that a concurrent claim skips them.
fn claim_statement(now: i64, limit: u64, lease_ms: i64, max_attempts: i32) -> sea_orm::sea_query::UpdateStatement {
    let due = Query::select()
        .column(C::Id)
        .from(webhook_inbox::Entity)
        .and_where(C::State.is_in([InboxState::Processing.as_str(), InboxState::Failed.as_str()]))
        .and_where(C::Attempts.lt(max_attempts))
        .and_where(lapsed(C::LeaseUntil, now))
        .order_by(C::Id, sea_orm::Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    Query::update()
        .table(webhook_inbox::Entity)
        .value(C::State, InboxState::Processing.as_str())
        .value(C::LeaseUntil, now + lease_ms)
        .and_where(C::Id.in_subquery(due))
        .returning(Query::returning().columns([C::Id, C::Provider, C::Payload, C::Attempts]))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_skips_locked_rows_on_postgres_and_has_no_lock_clause_on_sqlite() {
        let claim = claim_statement(1_000, 10, 500, 5);
        let pg = DbBackend::Postgres.build(&claim).sql;
        assert!(pg.contains("FOR UPDATE SKIP LOCKED"), "{pg}");
        assert!(pg.contains("RETURNING"), "{pg}");
        let lite = DbBackend::Sqlite.build(&claim).sql;
        assert!(!lite.contains("FOR UPDATE"), "{lite}");
        assert!(lite.contains("RETURNING"), "{lite}");
    }
}
