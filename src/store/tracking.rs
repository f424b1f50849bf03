//! The rows the live path follows at their providers: invitations, senders and WABAs
//! found by the ids a webhook names, a provider status bspgraph does not know kept on
//! its row, and the poller's row leases. This module never creates those rows
//! (onboarding and sync do) and never changes a unified status
//! ([`Store::apply_status_change`] does).
//!
//! Leases are epoch milliseconds in `poll_lease_until`. On PostgreSQL a lease locks its
//! rows with `FOR UPDATE SKIP LOCKED`, so instances sharing the database never lease
//! the same row in one round; sea-query leaves the clause out on SQLite (one writer).

use chrono::Utc;
use sea_orm::sea_query::{Alias, Cond, Expr, LockBehavior, LockType, Query};
use sea_orm::{ConnectionTrait, Order, QueryResult};

use super::changes::NewStatus;
use super::leases::{lapsed, now_ms};
use super::{Store, StoreError};
use crate::domain::Provider;

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

/// A row found by a provider id, with its current unified status.
#[derive(Debug, Clone)]
pub struct NodeRef {
    /// Row id.
    pub id: i64,
    /// Current unified status.
    pub status: NewStatus,
}

/// A row the poller must refresh.
#[derive(Debug, Clone)]
pub struct PollTarget {
    /// Row id.
    pub id: i64,
    /// Its provider.
    pub provider: Provider,
    /// The provider's id of the object; empty for a Sinch invitation, which is read
    /// through its project (account, sender).
    pub provider_id: String,
    /// Row id of its project (senders: the provider-side project scopes the read).
    pub project_id: Option<i64>,
}

fn col(name: &'static str) -> Alias {
    Alias::new(name)
}

fn provider(r: &QueryResult) -> Result<Provider, StoreError> {
    let text: String = r.try_get("", "provider")?;
    text.parse().map_err(|_| StoreError::Corrupt(format!("provider = {text:?}")))
}

impl Store {
    /// The row of `table` at `provider` with one of these provider ids (for WABAs, the
    /// Meta WABA id too); the oldest when several match.
    pub async fn node_by_provider_id(
        &self,
        table: NodeTable,
        provider: Provider,
        provider_ids: &[&str],
    ) -> Result<Option<NodeRef>, StoreError> {
        if provider_ids.is_empty() {
            return Ok(None);
        }
        let ids = || provider_ids.iter().map(|id| (*id).to_owned());
        let mut key = Cond::any().add(Expr::col(col("provider_id")).is_in(ids()));
        if table == NodeTable::Wabas {
            key = key.add(Expr::col(col("waba_id")).is_in(ids()));
        }
        let find = Query::select()
            .columns([col("id"), col("status")])
            .from(col(table.name()))
            .and_where(Expr::col(col("provider")).eq(provider.as_str()))
            .cond_where(key)
            .order_by(col("id"), Order::Asc)
            .limit(1)
            .to_owned();
        let row = self.db().query_one(self.db().get_database_backend().build(&find)).await?;
        row.map(|r| {
            let status: String = r.try_get("", "status")?;
            Ok(NodeRef { id: r.try_get("", "id")?, status: NewStatus::parse(table, &status)? })
        })
        .transpose()
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
        let mut update = Query::update();
        update
            .table(col(table.name()))
            .value(col("provider_status"), provider_status)
            .value(col("synced_at"), Utc::now())
            .and_where(Expr::col(col("id")).eq(node_id));
        if let Some(raw) = raw {
            update.value(col("raw"), raw);
        }
        self.db().execute(self.db().get_database_backend().build(&update)).await?;
        Ok(())
    }

    /// Lease up to `limit` rows of `table` in one of `statuses`, not leased now, for
    /// `lease_ms`: each row goes to one poller (one instance) per lease period. Only
    /// rows a provider can be asked about qualify: with a provider id, or a Sinch row
    /// with a project (read through its account).
    #[tracing::instrument(skip_all, fields(table = table.name(), limit))]
    pub async fn poll_lease(
        &self,
        table: NodeTable,
        statuses: &[NewStatus],
        limit: u64,
        lease_ms: i64,
    ) -> Result<Vec<PollTarget>, StoreError> {
        let now = now_ms();
        let askable = Cond::any().add(Expr::col(col("provider_id")).is_not_null()).add(
            Cond::all()
                .add(Expr::col(col("provider")).eq(Provider::Sinch.as_str()))
                .add(Expr::col(col("project_id")).is_not_null()),
        );
        let due = Query::select()
            .column(col("id"))
            .from(col(table.name()))
            .cond_where(askable)
            .and_where(lapsed(col("poll_lease_until"), now))
            .and_where(Expr::col(col("status")).is_in(statuses.iter().map(|s| s.as_str())))
            .order_by(col("id"), Order::Asc)
            .limit(limit)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .to_owned();
        let lease = Query::update()
            .table(col(table.name()))
            .value(col("poll_lease_until"), now + lease_ms)
            .and_where(Expr::col(col("id")).in_subquery(due))
            .returning(Query::returning().columns([col("id"), col("provider"), col("provider_id"), col("project_id")]))
            .to_owned();
        let rows = self.db().query_all(self.db().get_database_backend().build(&lease)).await?;
        let mut targets = rows
            .iter()
            .map(|r| {
                Ok(PollTarget {
                    id: r.try_get("", "id")?,
                    provider: provider(r)?,
                    provider_id: r.try_get::<Option<String>>("", "provider_id")?.unwrap_or_default(),
                    project_id: r.try_get("", "project_id")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        targets.sort_by_key(|t| t.id);
        Ok(targets)
    }
}
