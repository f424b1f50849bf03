//! Group commit of webhook inbox inserts. Every delivery must be stored before its 2xx,
//! and on SQLite each commit is a disk sync through the one writer: one transaction
//! per delivery caps ingestion at the sync rate. Here the webhook handlers queue their
//! rows to one writer task, which takes every row waiting (up to [`MAX_GROUP`]), inserts
//! them with one statement (one multi-row insert, one commit, one round trip) and
//! answers each caller only after that commit. The guarantee is unchanged (stored,
//! durably, before the answer); the syncs are shared.
//!
//! A duplicate (provider, delivery id) inserts nothing and answers `None`, within a
//! group as across groups. If a group's statement fails, its rows are retried one
//! statement each, so one bad row fails only its own delivery.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::sync::{mpsc, oneshot};

use super::inbox::{insert_statement, NewDelivery};
use super::StoreError;

/// Most rows one statement takes (7 bound values each: far below either backend's limit).
pub const MAX_GROUP: usize = 256;
/// Rows waiting for the writer before callers wait to queue.
const QUEUE: usize = 4096;

/// A row to insert, and where to answer with its id (`None`: a duplicate).
pub(super) struct Row {
    pub delivery: NewDelivery,
    pub reply: oneshot::Sender<Result<Option<i64>, StoreError>>,
}

/// Start the writer over `db`; it stops when every sender is dropped.
pub(super) fn spawn(db: DatabaseConnection) -> mpsc::Sender<Row> {
    let (tx, mut rx) = mpsc::channel::<Row>(QUEUE);
    tokio::spawn(async move {
        let mut group = Vec::with_capacity(MAX_GROUP);
        while rx.recv_many(&mut group, MAX_GROUP).await > 0 {
            commit(&db, std::mem::take(&mut group)).await;
        }
    });
    tx
}

/// Insert `rows` in one statement (one commit); the ids in order, `None` for a
/// duplicate (the first of several equal deliveries in a group gets the id).
async fn insert_all(db: &DatabaseConnection, rows: &[Row]) -> Result<Vec<Option<i64>>, StoreError> {
    let deliveries: Vec<&NewDelivery> = rows.iter().map(|r| &r.delivery).collect();
    let stored = db.query_all(insert_statement(db.get_database_backend(), &deliveries)).await?;
    let mut ids = HashMap::with_capacity(stored.len());
    for r in stored {
        let key: (String, String) = (r.try_get("", "provider")?, r.try_get("", "delivery_id")?);
        ids.insert(key, r.try_get::<i64>("", "id")?);
    }
    Ok(rows
        .iter()
        .map(|r| ids.remove(&(r.delivery.provider.as_str().to_owned(), r.delivery.delivery_id.clone())))
        .collect())
}

async fn commit(db: &DatabaseConnection, group: Vec<Row>) {
    match insert_all(db, &group).await {
        Ok(ids) => {
            for (row, id) in group.into_iter().zip(ids) {
                let _ = row.reply.send(Ok(id));
            }
        }
        Err(e) if group.len() > 1 => {
            tracing::warn!(error = %e, rows = group.len(), "inbox group not stored; storing its rows one by one");
            for row in group {
                let one = insert_all(db, std::slice::from_ref(&row)).await.map(|ids| ids.into_iter().next().flatten());
                let _ = row.reply.send(one);
            }
        }
        Err(e) => {
            if let Some(row) = group.into_iter().next() {
                let _ = row.reply.send(Err(e));
            }
        }
    }
}
