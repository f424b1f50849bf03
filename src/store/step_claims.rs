//! Step claims (`step_claims`): the once-only step of an invitation (Sinch's
//! Conversation API app, then `COMPLETED`) is taken by whichever source sees the
//! `ACTIVE` sender first, on any instance sharing the database. The claim is a row keyed
//! by the invitation: inserted, or taken over when the previous holder's lease ran out
//! (its process died), in one upsert, so two claims racing on SQLite or PostgreSQL
//! cannot both win. The holder deletes it when done.

use sea_orm::sea_query::{Alias, Expr, OnConflict, Query};
use sea_orm::ConnectionTrait;

use super::{now_ms, Store, StoreError};

fn col(name: &'static str) -> Alias {
    Alias::new(name)
}

/// A held claim: who holds it (released by [`Store::release_step`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepClaim {
    /// The invitation whose step is held.
    pub invitation_id: i64,
    holder: String,
}

impl Store {
    /// Claim invitation `invitation_id`'s step for `lease`, or `None` when another
    /// holder's lease is still running.
    pub async fn claim_step(
        &self,
        invitation_id: i64,
        lease: std::time::Duration,
    ) -> Result<Option<StepClaim>, StoreError> {
        let now = now_ms();
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let holder = uuid::Uuid::new_v4().to_string();
        let table = col("step_claims");
        let mut insert = Query::insert();
        insert
            .into_table(table.clone())
            .columns([col("invitation_id"), col("holder"), col("until")])
            .values([invitation_id.into(), holder.clone().into(), until.into()])
            .map_err(|e| StoreError::Corrupt(e.to_string()))?
            .on_conflict(
                OnConflict::column(col("invitation_id"))
                    .update_columns([col("holder"), col("until")])
                    .action_and_where(Expr::col((table, col("until"))).lt(now))
                    .to_owned(),
            );
        let backend = self.db().get_database_backend();
        let done = self.db().execute(backend.build(&insert)).await?;
        Ok((done.rows_affected() == 1).then_some(StepClaim { invitation_id, holder }))
    }

    /// Give the claim back (a no-op when its lease ran out and another holder took it).
    pub async fn release_step(&self, claim: &StepClaim) -> Result<(), StoreError> {
        let delete = Query::delete()
            .from_table(col("step_claims"))
            .and_where(Expr::col(col("invitation_id")).eq(claim.invitation_id))
            .and_where(Expr::col(col("holder")).eq(claim.holder.as_str()))
            .to_owned();
        let backend = self.db().get_database_backend();
        self.db().execute(backend.build(&delete)).await?;
        Ok(())
    }
}
