//! Which client a WABA or sender belongs to, as the flows see it. A step a caller
//! drives that names another client's object is refused before any provider call or
//! write (`ensure_not_elsewhere`); an object a provider reports (webhook, poll, sync,
//! a lost race) that another client already owns is kept with that client and not
//! linked, with a note in the log ([`file_waba`], [`file_sender`]).

use super::{FieldError, Onboarding, Outcome};
use crate::domain::{ChangeSource, Invitation, Provider, ProviderSender};
use crate::store::{Filed, Owner};

/// The code of a step that names a WABA or sender another client owns.
pub const OWNED_ELSEWHERE: &str = "PROVIDER_OBJECT_OWNED_ELSEWHERE";

/// Refuse (`PROVIDER_OBJECT_OWNED_ELSEWHERE`) a step of client `client_id` that names a
/// WABA (Meta id) or a sender (provider id or Meta phone-number id) another client owns
/// at `provider`. Runs before any provider call or write, so a refused step changes nothing.
pub(crate) async fn ensure_not_elsewhere(
    ob: &Onboarding,
    provider: Provider,
    client_id: i64,
    waba_id: Option<&str>,
    sender: (Option<&str>, Option<&str>),
) -> Outcome<()> {
    if let Some(waba) = waba_id {
        if ob.store.waba_owner(provider, waba).await?.is_some_and(|owner| owner != client_id) {
            let message = "this WABA belongs to another client";
            return Err(FieldError::at(&["input", "wabaId"], OWNED_ELSEWHERE, message).into());
        }
    }
    let owners = ob.store.sender_owners(provider, sender.0, sender.1).await?;
    if owners.iter().any(|owner| *owner != client_id) {
        let message = "this phone number belongs to another client";
        return Err(FieldError::at(&["input", "phoneNumberId"], OWNED_ELSEWHERE, message).into());
    }
    Ok(())
}

/// A provider reported, for `inv`, an object another client owns (webhook, poll, sync
/// or a lost race): it stays with its owner and is not linked; this is the note.
pub(crate) fn kept_elsewhere(inv: &Invitation, what: &'static str, row_id: i64, owner: Option<i64>) {
    tracing::warn!(
        invitation_id = inv.id,
        client_id = inv.client_id,
        what,
        row_id,
        owner = ?owner,
        "provider object owned by another client: kept with its owner, not linked"
    );
}

/// The row id of the WABA filed for `inv`, `None` when another client owns it (noted).
pub async fn file_waba(
    ob: &Onboarding,
    inv: &Invitation,
    provider: Provider,
    owner: Owner,
    waba_id: &str,
    source: ChangeSource,
) -> Outcome<Option<i64>> {
    Ok(match ob.store.upsert_waba(provider, owner, waba_id, None, source).await? {
        Filed::Ours(w, _) => Some(w.id),
        Filed::Elsewhere(w) => {
            kept_elsewhere(inv, "waba", w.id, w.client_id);
            None
        }
    })
}

/// The row id of the sender filed for `inv`, `None` when another client owns it (noted).
pub async fn file_sender(
    ob: &Onboarding,
    inv: &Invitation,
    provider: Provider,
    owner: Owner,
    sender: &ProviderSender,
    source: ChangeSource,
) -> Outcome<Option<i64>> {
    Ok(match ob.store.upsert_sender(provider, owner, sender, source).await? {
        Filed::Ours(s, _) => Some(s.id),
        Filed::Elsewhere(s) => {
            kept_elsewhere(inv, "sender", s.id, s.client_id);
            None
        }
    })
}
