//! Zavu hosted link: create the invitation at Zavu, store it; cancel at Zavu. A create
//! that timed out (`UncertainCreate`) is reconciled by listing Zavu's invitations and
//! adopting the one this call made, so the customer never gets two links.

use chrono::{Duration, Utc};

use super::{ensure_open, Onboarding, Outcome, StartRequest};
use crate::domain::{
    ChangeSource, Client, HostedInvitationRequest, Invitation, InvitationStatus, OnboardingFlow, OnboardingRequest,
    Provider, ProviderInvitation,
};
use crate::providers::ProviderError;
use crate::store::{NewInvitation, NewStatus, StatusChange};

/// Default link lifetime.
const DEFAULT_DAYS: u32 = 7;

/// Create a Zavu invitation for `client` and store it.
#[tracing::instrument(skip_all, fields(client_id = client.id))]
pub async fn start(ob: &Onboarding, client: &Client, req: &StartRequest) -> Outcome<Invitation> {
    let adapter = ob.registry.require(Provider::Zavu)?;
    let draft = HostedInvitationRequest {
        client_name: Some(client.name.clone()),
        client_email: client.email.clone(),
        client_phone: client.phone.clone(),
        phone_number_id: req.phone_number_id.clone(),
        expires_in_days: Some(req.expires_in_days.map_or(DEFAULT_DAYS, |d| d.unsigned_abs())),
        allowed_phone_countries: req.allowed_phone_countries.clone(),
    };
    let sent_at = Utc::now();
    let invitation = match adapter.start_onboarding(OnboardingRequest::HostedInvitation(draft.clone())).await {
        Ok(start) => start.invitation,
        Err(ProviderError::UncertainCreate { .. }) => reconcile(ob, &draft, sent_at).await?,
        // The only object a create names is the pre-assigned number.
        Err(ProviderError::NotFound { code, message, .. }) if req.phone_number_id.is_some() => {
            let code = code.unwrap_or_else(|| "NOT_FOUND".into());
            return Err(super::FieldError::at(&["input", "phoneNumberId"], &code, message).into());
        }
        Err(e) => return Err(e.into()),
    };
    let inv = invitation.ok_or(ProviderError::Decode { provider: Provider::Zavu, message: "no invitation".into() })?;
    let stored = ob
        .store
        .insert_invitation(NewInvitation {
            client_id: client.id,
            project_id: None,
            provider: Provider::Zavu,
            provider_id: inv.id.clone(),
            flow: OnboardingFlow::HostedLink,
            url: inv.url.clone(),
            status: inv.status,
            provider_status: inv.provider_status.clone(),
            expires_at: inv.expires_at,
            params: None,
            raw: Some(inv.raw.clone()),
            source: ChangeSource::Mutation,
        })
        .await?;
    Ok(stored)
}

/// After a timed-out create: the invitation Zavu made for this request, if any, or
/// (when Zavu has none) a second create.
async fn reconcile(
    ob: &Onboarding,
    draft: &HostedInvitationRequest,
    sent_at: chrono::DateTime<Utc>,
) -> Outcome<Option<ProviderInvitation>> {
    let adapter = ob.registry.require(Provider::Zavu)?;
    let since = sent_at - Duration::seconds(5);
    for inv in adapter.list_invitations().await? {
        let same = inv.client_name == draft.client_name
            && inv.client_email == draft.client_email
            && inv.created_at.is_some_and(|at| at >= since);
        let known = match inv.id.as_deref() {
            Some(id) => ob.store.invitation_by_provider_id(Provider::Zavu, id).await?.is_some(),
            None => true,
        };
        if same && !known {
            tracing::info!("adopted the invitation a timed-out create made");
            return Ok(Some(inv));
        }
    }
    let start = adapter.start_onboarding(OnboardingRequest::HostedInvitation(draft.clone())).await?;
    Ok(start.invitation)
}

/// Cancel at Zavu, then record `CANCELLED`.
#[tracing::instrument(skip_all, fields(invitation_id = inv.id))]
pub async fn cancel(ob: &Onboarding, inv: &Invitation) -> Outcome<()> {
    super::as_client(Some(inv.client_id), async {
        ensure_open(inv, &["id"])?;
        if let Some(id) = inv.provider_id.as_deref() {
            let answered = ob.registry.require(Provider::Zavu)?.cancel_invitation(id).await?;
            let change = StatusChange::invitation_read(inv.id, answered, ChangeSource::Mutation).because(None);
            ob.store.apply_status_change(change).await?;
            return Ok(());
        }
        local_cancel(ob, inv).await
    })
    .await
}

/// Record `CANCELLED` without a provider call (SendZen and Sinch sessions).
pub async fn local_cancel(ob: &Onboarding, inv: &Invitation) -> Outcome<()> {
    ensure_open(inv, &["id"])?;
    let change =
        StatusChange::local(inv.id, NewStatus::Invitation(InvitationStatus::Cancelled), ChangeSource::Mutation);
    ob.store.apply_status_change(change).await?;
    Ok(())
}
