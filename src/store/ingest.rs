//! Live-status storage: the webhook inbox (insert once, claim with a lease, finish or
//! fail with the error kept for operators) and the poller's row leases. Lookups of
//! invitations and senders by their provider ids map webhook events to rows; this
//! module never creates those rows (onboarding and sync do).
//!
//! Leases are epoch milliseconds. On PostgreSQL, claims use `FOR UPDATE SKIP LOCKED`
//! so instances sharing the database never claim the same row in one round.

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

use super::{Store, StoreError};
use crate::domain::Provider;

/// Inbox states.
pub mod inbox_state {
    /// Being processed (or waiting for its lease to lapse after a crash).
    pub const PROCESSING: &str = "processing";
    /// Done, with an optional note in `last_error` (e.g. "unknown invitation").
    pub const PROCESSED: &str = "processed";
    /// Failed; retried when `lease_until` passes, until the attempts run out.
    pub const FAILED: &str = "failed";
}

/// One claimed inbox row.
#[derive(Debug, Clone)]
pub struct InboxItem {
    /// Row id.
    pub id: i64,
    /// Provider that sent it.
    pub provider: String,
    /// The verified, normalized event (JSON written by webhook ingestion).
    pub payload: String,
    /// Processing attempts so far.
    pub attempts: i32,
}

/// An inbox row as operators and tests see it.
#[derive(Debug, Clone)]
pub struct InboxEntry {
    /// Provider that sent it.
    pub provider: String,
    /// The provider's delivery or event id (or a hash of the signed content).
    pub delivery_id: String,
    /// `processing`, `processed` or `failed`.
    pub state: String,
    /// Processing attempts so far.
    pub attempts: i32,
    /// The last error, or a note on a processed row.
    pub last_error: Option<String>,
}

/// A row the poller must refresh.
#[derive(Debug, Clone)]
pub struct PollTarget {
    /// Row id.
    pub id: i64,
    /// Its provider.
    pub provider: String,
    /// The provider's id of the object; empty for a Sinch invitation, which is read
    /// through its project (account, sender).
    pub provider_id: String,
    /// Current unified status.
    pub status: String,
    /// Row id of its project (senders: the provider-side project scopes the read).
    pub project_id: Option<i64>,
}

/// A row found by a provider id, with its current unified status.
#[derive(Debug, Clone)]
pub struct NodeRef {
    /// Row id.
    pub id: i64,
    /// Current unified status.
    pub status: String,
}

/// Current time in epoch milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

impl Store {
    fn stmt(&self, sql: &str, values: Vec<Value>) -> Statement {
        let backend = self.db().get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => sql.to_owned(),
            _ => sql.replace(" FOR UPDATE SKIP LOCKED", "").replace('$', "?"),
        };
        Statement::from_sql_and_values(backend, sql, values)
    }

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
        let values = [
            provider.as_str().into(),
            delivery_id.into(),
            Utc::now().into(),
            payload.into(),
            inbox_state::PROCESSING.into(),
            (now_ms() + lease_ms).into(),
        ];
        let (reply, answer) = tokio::sync::oneshot::channel();
        let stopped = || StoreError::Corrupt("the inbox writer stopped".into());
        self.inbox.send(super::inbox_commit::Row { values, reply }).await.map_err(|_| stopped())?;
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
        let now = now_ms();
        let sql = "UPDATE webhook_inbox SET state = $1, lease_until = $2 WHERE id IN (\
                   SELECT id FROM webhook_inbox WHERE state IN ($1, $3) AND attempts < $4 \
                   AND COALESCE(lease_until, 0) < $5 ORDER BY id LIMIT $6 FOR UPDATE SKIP LOCKED) \
                   RETURNING id, provider, payload, attempts";
        let values = vec![
            inbox_state::PROCESSING.into(),
            (now + lease_ms).into(),
            inbox_state::FAILED.into(),
            max_attempts.into(),
            now.into(),
            (limit as i64).into(),
        ];
        let rows = self.db().query_all(self.stmt(sql, values)).await?;
        rows.iter().map(inbox_item).collect()
    }

    /// Mark a row processed; `note` says why nothing changed, when that is the case.
    pub async fn inbox_done(&self, id: i64, note: Option<String>) -> Result<(), StoreError> {
        let sql = "UPDATE webhook_inbox SET state = $1, processed_at = $2, last_error = $3, lease_until = NULL, \
                   attempts = attempts + 1 WHERE id = $4";
        let values = vec![inbox_state::PROCESSED.into(), Utc::now().into(), note.into(), id.into()];
        self.db().execute(self.stmt(sql, values)).await?;
        Ok(())
    }

    /// Mark a row failed with `error`, to be retried after `retry_in_ms`.
    pub async fn inbox_failed(&self, id: i64, error: &str, retry_in_ms: i64) -> Result<(), StoreError> {
        let sql = "UPDATE webhook_inbox SET state = $1, last_error = $2, lease_until = $3, attempts = attempts + 1 \
                   WHERE id = $4";
        let values = vec![inbox_state::FAILED.into(), error.into(), (now_ms() + retry_in_ms).into(), id.into()];
        self.db().execute(self.stmt(sql, values)).await?;
        Ok(())
    }

    /// Every inbox row of `provider`, oldest first (operators and tests).
    pub async fn inbox_entries(&self, provider: Provider) -> Result<Vec<InboxEntry>, StoreError> {
        let sql = "SELECT provider, delivery_id, state, attempts, last_error FROM webhook_inbox \
                   WHERE provider = $1 ORDER BY id";
        let rows = self.db().query_all(self.stmt(sql, vec![provider.as_str().into()])).await?;
        rows.iter()
            .map(|r| {
                Ok(InboxEntry {
                    provider: r.try_get("", "provider")?,
                    delivery_id: r.try_get("", "delivery_id")?,
                    state: r.try_get("", "state")?,
                    attempts: r.try_get("", "attempts")?,
                    last_error: r.try_get("", "last_error")?,
                })
            })
            .collect()
    }

    /// The invitation or sender (`table`) with this provider id.
    pub async fn node_by_provider_id(
        &self,
        table: NodeTable,
        provider: Provider,
        provider_ids: &[&str],
    ) -> Result<Option<NodeRef>, StoreError> {
        let Some(first) = provider_ids.first() else { return Ok(None) };
        let second = provider_ids.get(1).unwrap_or(first);
        let key = match table {
            NodeTable::Wabas => "(provider_id IN ($2, $3) OR waba_id IN ($2, $3))",
            _ => "provider_id IN ($2, $3)",
        };
        let sql = format!("SELECT id, status FROM {} WHERE provider = $1 AND {key} ORDER BY id LIMIT 1", table.name());
        let values = vec![provider.as_str().into(), (*first).into(), (*second).into()];
        let row = self.db().query_one(self.stmt(&sql, values)).await?;
        row.map(|r| Ok(NodeRef { id: r.try_get("", "id")?, status: r.try_get("", "status")? })).transpose()
    }

    /// Keep a provider status this bspgraph does not know on a row without touching its
    /// unified status (so it never moves, and no event is appended): only
    /// `provider_status`, `raw` (when given) and `synced_at` change.
    pub async fn keep_unknown_status(
        &self,
        table: NodeTable,
        node_id: i64,
        provider_status: &str,
        raw: Option<serde_json::Value>,
    ) -> Result<(), StoreError> {
        use sea_orm::sea_query::{Alias, Expr, Query};
        let mut update = Query::update();
        update
            .table(Alias::new(table.name()))
            .value(Alias::new("provider_status"), provider_status)
            .value(Alias::new("synced_at"), Utc::now())
            .and_where(Expr::col(Alias::new("id")).eq(node_id));
        if let Some(raw) = raw {
            update.value(Alias::new("raw"), raw);
        }
        let backend = self.db().get_database_backend();
        self.db().execute(backend.build(&update)).await?;
        Ok(())
    }

    /// Lease up to `limit` rows of `table` in one of `statuses`, not leased now, for
    /// `lease_ms`: each row goes to one poller (one instance) per lease period.
    #[tracing::instrument(skip_all, fields(table = table.name(), limit))]
    pub async fn poll_lease(
        &self,
        table: NodeTable,
        statuses: &[&str],
        limit: u64,
        lease_ms: i64,
    ) -> Result<Vec<PollTarget>, StoreError> {
        let now = now_ms();
        let marks: Vec<String> = (0..statuses.len()).map(|i| format!("${}", i + 4)).collect();
        let sql = format!(
            "UPDATE {t} SET poll_lease_until = $1 WHERE id IN (SELECT id FROM {t} WHERE (provider_id IS NOT NULL \
             OR (provider = 'SINCH' AND project_id IS NOT NULL)) AND COALESCE(poll_lease_until, 0) < $2 AND status IN ({m}) ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING id, provider, provider_id, status, project_id",
            t = table.name(),
            m = marks.join(", ")
        );
        let mut values: Vec<Value> = vec![(now + lease_ms).into(), now.into(), (limit as i64).into()];
        values.extend(statuses.iter().map(|s| Value::from(*s)));
        let rows = self.db().query_all(self.stmt(&sql, values)).await?;
        rows.iter()
            .map(|r| {
                Ok(PollTarget {
                    id: r.try_get("", "id")?,
                    provider: r.try_get("", "provider")?,
                    provider_id: r.try_get::<Option<String>>("", "provider_id")?.unwrap_or_default(),
                    status: r.try_get("", "status")?,
                    project_id: r.try_get("", "project_id")?,
                })
            })
            .collect()
    }

    /// The provider-side id of project row `id`.
    pub async fn project_provider_id(&self, id: i64) -> Result<Option<String>, StoreError> {
        let row =
            self.db().query_one(self.stmt("SELECT provider_id FROM projects WHERE id = $1", vec![id.into()])).await?;
        Ok(row.map(|r| r.try_get::<Option<String>>("", "provider_id")).transpose()?.flatten())
    }

    /// The highest event seq, 0 for an empty log.
    pub async fn max_event_seq(&self) -> Result<i64, StoreError> {
        let row = self.db().query_one(self.stmt("SELECT COALESCE(MAX(seq), 0) AS m FROM events", vec![])).await?;
        Ok(row.map(|r| r.try_get::<i64>("", "m")).transpose()?.unwrap_or(0))
    }
}

/// Tables the live-status lookups and leases work on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeTable {
    /// `invitations`.
    Invitations,
    /// `senders`.
    Senders,
    /// `wabas` (looked up by provider id or Meta WABA id; never polled).
    Wabas,
}

impl NodeTable {
    /// The table's SQL name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Invitations => "invitations",
            Self::Senders => "senders",
            Self::Wabas => "wabas",
        }
    }
}

fn inbox_item(r: &QueryResult) -> Result<InboxItem, StoreError> {
    Ok(InboxItem {
        id: r.try_get("", "id")?,
        provider: r.try_get("", "provider")?,
        payload: r.try_get("", "payload")?,
        attempts: r.try_get("", "attempts")?,
    })
}
