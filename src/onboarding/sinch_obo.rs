//! Sinch on-behalf-of: subproject + WhatsApp account for the client (the invitation is
//! `AWAITING_ACTION` while Meta verification is pending); once the account is
//! ONBOARDED, [`super::advance`] creates the sender; `registerSender` / `verifySender`
//! while it is `PENDING_VERIFICATION`; then the app and `COMPLETED`.

use super::{advance, sinch_es, wrong_state, FieldError, Onboarding, Outcome, PhoneNumberProvider, SinchParams};
use crate::domain::{
    AccountRequest, ChangeSource, Client, Invitation, InvitationStatus, OnboardingFlow, OnboardingRequest, Provider,
    ProviderWaba, Sender, SenderRequest, SenderStatus, VerificationMethod, WabaStatus,
};
use crate::providers::ProviderError;
use crate::store::{NewInvitation, NewStatus, StatusChange};

/// The invitation status an account status means.
pub fn invitation_status(account: WabaStatus) -> InvitationStatus {
    match account {
        WabaStatus::Pending | WabaStatus::Onboarded => InvitationStatus::InProgress,
        WabaStatus::AwaitingAction => InvitationStatus::AwaitingAction,
        WabaStatus::Rejected => InvitationStatus::Failed,
    }
}

/// Start on-behalf-of for `client`: subproject + account.
#[tracing::instrument(skip_all, fields(client_id = client.id))]
pub async fn start(ob: &Onboarding, client: &Client, params: &SinchParams) -> Outcome<Invitation> {
    let project = sinch_es::subproject(ob, client).await?;
    let adapter = ob.registry.require(Provider::Sinch)?;
    let req = AccountRequest {
        project_id: project.provider_id.clone(),
        client_business_manager_id: params.client_business_manager_id.clone().unwrap_or_default(),
        company_legal_name: params.company_legal_name.clone(),
        waba_name: None,
    };
    let account = match adapter.start_onboarding(OnboardingRequest::OnBehalfOfAccount(req.clone())).await {
        Ok(s) => s.waba,
        // One account per project: reading it back is the lookup.
        Err(ProviderError::UncertainCreate { .. }) => Some(adapter.get_waba(&project.provider_id).await?),
        Err(e) => return Err(e.into()),
    };
    let account = account.ok_or(ProviderError::Decode { provider: Provider::Sinch, message: "no account".into() })?;
    let stored = ob
        .store
        .insert_invitation(NewInvitation {
            client_id: client.id,
            project_id: Some(project.id),
            provider: Provider::Sinch,
            provider_id: None,
            flow: OnboardingFlow::OnBehalfOf,
            url: None,
            status: invitation_status(account.status),
            provider_status: account.provider_status.clone(),
            expires_at: None,
            params: serde_json::to_value(params).ok(),
            raw: Some(account.raw.clone()),
            source: ChangeSource::Mutation,
        })
        .await?;
    Ok(stored)
}

/// The account is ONBOARDED: create the sender the partner described and link it.
pub async fn create_sender(
    ob: &Onboarding,
    inv: &Invitation,
    account: &ProviderWaba,
    source: ChangeSource,
) -> Outcome<()> {
    let (params, project) = sinch_es::context(ob, inv).await?;
    let req = SenderRequest::OnBehalfOf {
        project_id: project.clone(),
        region: params.region.as_str().to_owned(),
        meta_local_storage: params.meta_local_storage.clone(),
        phone_number_provider: params
            .phone_number_provider
            .unwrap_or(PhoneNumberProvider::Customer)
            .as_str()
            .to_owned(),
        country_code: params.country_code.clone().unwrap_or_default(),
        phone_number: params.phone_number.clone(),
        display_name: params.display_name.clone().unwrap_or_default(),
        vertical: params.vertical.clone(),
    };
    let number = params.phone_number.clone();
    let sender = sinch_es::create_sender(ob, &project, req, |s| {
        number.as_deref().is_some_and(|n| s.phone_number.as_deref().is_some_and(|p| p.ends_with(n)))
    })
    .await?;
    sinch_es::link_sender(ob, inv, &sender, account.waba_id.as_deref(), source).await
}

/// The sender row, its subproject id, checked to be a Sinch sender awaiting verification.
async fn pending(ob: &Onboarding, sender: &Sender) -> Outcome<String> {
    if sender.provider != Provider::Sinch {
        return Err(FieldError::at(&["id"], "UNSUPPORTED_FOR_PROVIDER", "only Sinch senders are verified").into());
    }
    if sender.status != SenderStatus::PendingVerification {
        return Err(wrong_state(
            &["id"],
            format!("the sender is {}, not PENDING_VERIFICATION", sender.status.as_str()),
        ));
    }
    let project = sender.project_id.ok_or_else(|| wrong_state(&["id"], "the sender has no project"))?;
    Ok(ob.store.project(project).await?.provider_id)
}

/// Ask Sinch to send the verification code.
#[tracing::instrument(skip_all, fields(sender_id = sender.id))]
pub async fn register(ob: &Onboarding, sender: &Sender, method: VerificationMethod) -> Outcome<()> {
    super::as_client(sender.client_id, async {
        let project = pending(ob, sender).await?;
        ob.registry.require(Provider::Sinch)?.register_sender(&project, &sender.provider_id, method).await?;
        Ok(())
    })
    .await
}

/// Submit the code; a refused code is `WRONG_OTP`. Then re-read and advance.
#[tracing::instrument(skip_all, fields(sender_id = sender.id))]
pub async fn verify(ob: &Onboarding, sender: &Sender, code: &str) -> Outcome<()> {
    super::as_client(sender.client_id, async {
        let project = pending(ob, sender).await?;
        let adapter = ob.registry.require(Provider::Sinch)?;
        match adapter.verify_sender(&project, &sender.provider_id, code).await {
            Ok(()) => {}
            Err(ProviderError::InvalidRequest { message, .. } | ProviderError::Conflict { message, .. }) => {
                return Err(FieldError::at(&["code"], "WRONG_OTP", message).into())
            }
            Err(e) => return Err(e.into()),
        }
        advance::sender(ob, sender, ChangeSource::Mutation).await
    })
    .await
}

/// Record the account's status on the invitation.
pub async fn account_status(
    ob: &Onboarding,
    inv: &Invitation,
    account: &ProviderWaba,
    source: ChangeSource,
) -> Outcome<()> {
    let status = NewStatus::Invitation(invitation_status(account.status));
    let reason = (account.status == WabaStatus::Rejected).then(|| account.provider_status.clone().unwrap_or_default());
    let change = StatusChange::reported(
        inv.id,
        status,
        source,
        account.provider_status.clone(),
        reason,
        Some(account.raw.clone()),
    );
    ob.store.apply_status_change(change).await?;
    Ok(())
}
