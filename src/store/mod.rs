//! The store: sea-orm tables and the repository functions over them. This is the
//! only module that builds SQL. It hands out `domain` types, never table models, and
//! every status change goes through [`Store::apply_status_change`], which updates the
//! row and appends the event in one transaction.

mod api_keys;
mod changes;
mod clients;
mod clients_scope;
mod convert;
mod events;
mod generation;
mod idempotency;
mod inbox;
mod inbox_commit;
mod invitations;
mod leases;
mod lists;
mod ownership;
mod page;
mod projects;
mod registrations;
mod seed;
mod senders;
mod step_claims;
pub(crate) mod tables;
mod tracking;
mod wabas;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use migrations::sea_orm_migration::MigratorTrait;
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend, DbErr};

pub use api_keys::ApiKeyInfo;
pub use changes::{NewStatus, StatusChange};
pub use clients::ClientFilter;
pub use clients_scope::Clients;
pub use events::{EventFilter, EVENTS_CHANNEL};
pub use idempotency::KeyClaim;
pub use inbox::{InboxEntry, InboxItem, InboxState};
pub use invitations::{InvitationFilter, NewInvitation};
pub use leases::now_ms;
pub use lists::OwnedFilter;
pub use ownership::{Filed, Owner};
pub use page::{Page, PageArgs};
pub use registrations::Registration;
pub use seed::SeedCounts;
pub use senders::SenderFilter;
pub use step_claims::StepClaim;
pub use tracking::{NodeRef, NodeTable, PollTarget};

/// Why a store call failed. Callers map `Duplicate` and `NotFound` to user errors;
/// everything else is an internal error whose detail stays in the log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique index refused the write; the payload names the unique field.
    #[error("duplicate value for {0}")]
    Duplicate(&'static str),
    /// The row to change does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A stored value could not be read back (a corrupt row or a newer schema).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database refused or failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A handle on the database, cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// SQL statements sent since start: the proof that DataLoaders batch, and a metric.
    statements: Arc<AtomicU64>,
    /// Microseconds those statements took, rows fetched (the read bench's store layer).
    sql_micros: Arc<AtomicU64>,
    /// The URL it was opened with (tests and tools open a second connection with it).
    url: Arc<str>,
    /// The highest event seq this process committed, moved after each commit: a wake-up
    /// for the event bus (`events.rs`, the one bus), not a bus of its own.
    committed: tokio::sync::watch::Sender<i64>,
    /// The inbox's group-commit writer (`inbox_commit.rs`).
    inbox: tokio::sync::mpsc::Sender<inbox_commit::Row>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.db.get_database_backend()).finish()
    }
}

impl Store {
    /// Connect to `url` (`sqlite://file?mode=rwc` or `postgres://...`) without migrating.
    #[tracing::instrument(skip_all, fields(backend))]
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false)
            // Every SQLite connection opens in WAL mode (readers run while one writer
            // commits) and waits for the write lock instead of failing at once.
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
        let mut db = sea_orm::Database::connect(options).await?;
        let statements = Arc::new(AtomicU64::new(0));
        let sql_micros = Arc::new(AtomicU64::new(0));
        let (counter, micros) = (statements.clone(), sql_micros.clone());
        db.set_metric_callback(move |info| {
            counter.fetch_add(1, Ordering::Relaxed);
            micros.fetch_add(info.elapsed.as_micros() as u64, Ordering::Relaxed);
            // The statement text only: bound values (which may hold secrets) are never logged.
            tracing::trace!(target: "bspgraph::sql", elapsed_us = info.elapsed.as_micros() as u64, failed = info.failed, sql = %info.statement.sql);
        });
        tracing::Span::current().record("backend", format!("{:?}", db.get_database_backend()));
        let committed = tokio::sync::watch::Sender::new(0);
        let inbox = inbox_commit::spawn(db.clone());
        Ok(Self { db, statements, sql_micros, url: url.into(), committed, inbox })
    }

    /// Connect and bring the schema up to date.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let store = Self::connect(url, max_connections).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Apply every pending migration.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrations::Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// A round trip to the database, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await?;
        Ok(())
    }

    /// How many SQL statements this store has sent since it was opened.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Microseconds spent in those statements (sent, run, rows fetched; not the
    /// decoding into models), summed over concurrent statements.
    pub fn sql_micros(&self) -> u64 {
        self.sql_micros.load(Ordering::Relaxed)
    }

    /// Whether this store runs on PostgreSQL (several instances may share it).
    pub fn is_postgres(&self) -> bool {
        self.db.get_database_backend() == DbBackend::Postgres
    }

    /// The URL this store was opened with. It may hold a password: never log it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Watch the highest event seq this process committed. A watcher sees the latest
    /// value, not every seq: it reads the log after its own position to learn the rest.
    pub fn committed(&self) -> tokio::sync::watch::Receiver<i64> {
        self.committed.subscribe()
    }

    /// Announce committed events. Call only after the transaction that appended them
    /// committed, so a watcher never sees a seq it cannot read yet.
    pub(crate) fn publish(&self, seqs: impl IntoIterator<Item = i64>) {
        if let Some(seq) = seqs.into_iter().max() {
            self.committed.send_if_modified(|last| {
                let moved = seq > *last;
                *last = (*last).max(seq);
                moved
            });
        }
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}

/// Map a unique-index violation to [`StoreError::Duplicate`] naming `field`.
pub(crate) fn unique_violation(err: DbErr, field: &'static str) -> StoreError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => StoreError::Duplicate(field),
        _ => StoreError::Db(err),
    }
}
