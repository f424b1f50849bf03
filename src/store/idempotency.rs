//! The `idempotency_keys` table: `startOnboarding`'s idempotency keys, claimed with a
//! unique insert (so two concurrent calls cannot both win), each with the hash of the
//! request it was first used with and, once done, the invitation it produced.

use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::ConnectionTrait;

use super::{unique_violation, Store, StoreError};

/// A claim without an invitation after this long belongs to a call that died.
const STALE_CLAIM_MINUTES: i64 = 10;

fn col(name: &'static str) -> Alias {
    Alias::new(name)
}

/// What an idempotency key already stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClaim {
    /// This call owns the key now.
    Claimed,
    /// Another call holds it: its request hash and, once done, its invitation.
    Held {
        /// Hash of the input the key was first used with.
        request_hash: String,
        /// The invitation, once the first call finished.
        invitation_id: Option<i64>,
    },
}

impl Store {
    /// Claim `key` for a call with `request_hash`, or say who holds it.
    pub async fn claim_idempotency_key(&self, key: &str, request_hash: &str) -> Result<KeyClaim, StoreError> {
        if self.insert_key(key, request_hash).await? {
            return Ok(KeyClaim::Claimed);
        }
        // A claim that never finished (its process died) is taken over after a while.
        if self.drop_stale_claim(key).await? && self.insert_key(key, request_hash).await? {
            return Ok(KeyClaim::Claimed);
        }
        let backend = self.db().get_database_backend();
        let read = Query::select()
            .columns([col("request_hash"), col("invitation_id")])
            .from(col("idempotency_keys"))
            .and_where(Expr::col(col("key")).eq(key))
            .to_owned();
        match self.db().query_one(backend.build(&read)).await? {
            Some(row) => Ok(KeyClaim::Held {
                request_hash: row.try_get("", "request_hash")?,
                invitation_id: row.try_get("", "invitation_id")?,
            }),
            // Released between our insert and read: the caller retries.
            None => Ok(KeyClaim::Held { request_hash: request_hash.to_owned(), invitation_id: None }),
        }
    }

    async fn insert_key(&self, key: &str, request_hash: &str) -> Result<bool, StoreError> {
        let mut insert = Query::insert();
        insert
            .into_table(col("idempotency_keys"))
            .columns([col("key"), col("request_hash"), col("created_at")])
            .values([key.into(), request_hash.into(), Utc::now().into()])
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        match self.db().execute(self.db().get_database_backend().build(&insert)).await {
            Ok(_) => Ok(true),
            Err(e) => match unique_violation(e, "idempotencyKey") {
                StoreError::Duplicate(_) => Ok(false),
                other => Err(other),
            },
        }
    }

    async fn drop_stale_claim(&self, key: &str) -> Result<bool, StoreError> {
        let stale_before = Utc::now() - chrono::Duration::minutes(STALE_CLAIM_MINUTES);
        let delete = Query::delete()
            .from_table(col("idempotency_keys"))
            .and_where(Expr::col(col("key")).eq(key))
            .and_where(Expr::col(col("invitation_id")).is_null())
            .and_where(Expr::col(col("created_at")).lt(stale_before))
            .to_owned();
        let done = self.db().execute(self.db().get_database_backend().build(&delete)).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Record the invitation a claimed key produced.
    pub async fn finish_idempotency_key(&self, key: &str, invitation_id: i64) -> Result<(), StoreError> {
        self.key_update(key, Some(invitation_id)).await
    }

    /// Give a claimed key back (the call failed; a retry may use it again).
    pub async fn release_idempotency_key(&self, key: &str) -> Result<(), StoreError> {
        self.key_update(key, None).await
    }

    async fn key_update(&self, key: &str, invitation_id: Option<i64>) -> Result<(), StoreError> {
        let backend = self.db().get_database_backend();
        let stmt = match invitation_id {
            Some(id) => backend.build(
                Query::update()
                    .table(col("idempotency_keys"))
                    .value(col("invitation_id"), id)
                    .and_where(Expr::col(col("key")).eq(key)),
            ),
            None => backend
                .build(Query::delete().from_table(col("idempotency_keys")).and_where(Expr::col(col("key")).eq(key))),
        };
        self.db().execute(stmt).await?;
        Ok(())
    }
}
