//! `startOnboarding`'s idempotency key: the first call claims the key (a unique row),
//! runs, and records its invitation; a repeat with the same input gets that invitation
//! without a provider call, a repeat with other input is `IDEMPOTENCY_KEY_REUSED`, and
//! a concurrent repeat waits for the first call. A failed call gives the key back.

use std::time::Duration;

use super::{FieldError, Onboarding, Outcome, StartRequest};
use crate::domain::Invitation;
use crate::store::KeyClaim;

/// How long a repeat waits for the first call with its key before answering
/// `IDEMPOTENCY_KEY_IN_USE` (well inside the default 30 s request timeout, so the caller
/// gets that code rather than `TIMEOUT`).
const WAIT: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(50);

/// Run `start` at most once per `key`.
#[tracing::instrument(skip_all)]
pub async fn start_once(ob: &Onboarding, key: Option<&str>, req: &StartRequest) -> Outcome<Invitation> {
    let Some(key) = key else { return ob.start(req).await };
    let hash = req.request_hash();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match ob.store.claim_idempotency_key(key, &hash).await? {
            KeyClaim::Claimed => {
                let result = ob.start(req).await;
                match &result {
                    Ok(inv) => ob.store.finish_idempotency_key(key, inv.id).await?,
                    Err(_) => ob.store.release_idempotency_key(key).await?,
                }
                return result;
            }
            KeyClaim::Held { request_hash, .. } if request_hash != hash => {
                return Err(FieldError::at(
                    &["input", "idempotencyKey"],
                    "IDEMPOTENCY_KEY_REUSED",
                    "this idempotencyKey was used with a different input",
                )
                .into())
            }
            KeyClaim::Held { invitation_id: Some(id), .. } => return Ok(ob.store.invitation(id).await?),
            KeyClaim::Held { invitation_id: None, .. } if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(POLL).await
            }
            KeyClaim::Held { .. } => {
                return Err(FieldError::at(
                    &["input", "idempotencyKey"],
                    "IDEMPOTENCY_KEY_IN_USE",
                    "a call with this idempotencyKey is still running; retry later",
                )
                .into())
            }
        }
    }
}
