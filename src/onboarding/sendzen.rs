//! SendZen hosted iframe: partner onboarding with bspgraph's own per-client webhook
//! URL, the project stored with its per-customer api key sealed, the iframe URL as the
//! invitation link (valid one hour); renew for a fresh URL; and the onboarding result
//! (relayed postMessage, sandbox or webhook) creating the WABA and sender.

use rand::RngCore;
use serde_json::json;

use super::{ensure_open, FieldError, Onboarding, Outcome};
use crate::domain::{
    ChangeSource, Client, Invitation, InvitationStatus, OnboardingFlow, OnboardingRequest, OnboardingStart, Provider,
    ProviderSender, SenderStatus,
};
use crate::providers::ProviderError;
use crate::secrets::Slot;
use crate::store::{NewInvitation, NewStatus, Owner, StatusChange};

/// The result of the hosted onboarding (the iframe's postMessage or the webhook).
#[derive(Debug, Clone, PartialEq)]
pub struct OnboardingResult {
    /// Completed (else failed).
    pub completed: bool,
    /// Meta WABA id.
    pub waba_id: Option<String>,
    /// Meta phone-number id.
    pub phone_number_id: Option<String>,
    /// Failure message.
    pub message: Option<String>,
}

/// SendZen's `client_identifier` for a client.
pub fn client_identifier(client_id: i64) -> String {
    format!("bspgraph-client-{client_id}")
}

async fn onboard(ob: &Onboarding, client: &Client) -> Outcome<OnboardingStart> {
    let mut fresh = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut fresh);
    let token = ob.store.client_webhook_token(client.id, &hex::encode(fresh)).await?;
    let webhook_url = format!("{}/webhooks/sendzen/{token}", ob.public_url.trim_end_matches('/'));
    let adapter = ob.registry.require(Provider::Sendzen)?;
    let req = OnboardingRequest::PartnerOnboard {
        client_identifier: client_identifier(client.id),
        webhook_url: Some(webhook_url),
    };
    match adapter.start_onboarding(req.clone()).await {
        // Onboarding is idempotent per client at SendZen (same project): asking again is the lookup.
        Err(ProviderError::UncertainCreate { .. }) => Ok(adapter.start_onboarding(req).await?),
        other => Ok(other?),
    }
}

/// SendZen's verdict on the per-client webhook URL, read from its onboard reply (kept
/// as the invitation's `raw`): a warning when `webhook.valid` is `false`. The iframe
/// still works, but SendZen will not deliver the result there, so the invitation
/// completes only when the partner relays the iframe's result (`completeOnboarding`).
pub fn webhook_warning(inv: &Invitation) -> Option<FieldError> {
    invalid_webhook(inv.raw.as_ref().filter(|_| inv.provider == Provider::Sendzen)?)
}

/// [`webhook_warning`] of a SendZen onboard reply.
fn invalid_webhook(reply: &serde_json::Value) -> Option<FieldError> {
    let webhook = reply.get("webhook")?;
    if webhook.get("valid")?.as_bool()? {
        return None;
    }
    let detail = webhook.get("detail").and_then(|d| d.as_str()).unwrap_or("no detail given");
    Some(FieldError::at(
        &[],
        "WEBHOOK_URL_INVALID",
        format!(
            "SendZen reports this client's webhook URL invalid ({detail}): results will not arrive by \
             webhook; relay the iframe's result with completeOnboarding, and check that \
             BSPGRAPH_PUBLIC_URL reaches this server"
        ),
    ))
}

fn warn_if_invalid(invitation_id: i64, reply: Option<&serde_json::Value>) {
    if let Some(w) = reply.and_then(invalid_webhook) {
        tracing::warn!(invitation_id, code = %w.code, "{}", w.message);
    }
}

/// Start the iframe onboarding for `client`.
#[tracing::instrument(skip_all, fields(client_id = client.id))]
pub async fn start(ob: &Onboarding, client: &Client) -> Outcome<Invitation> {
    let started = onboard(ob, client).await?;
    let project =
        started.project.ok_or(ProviderError::Decode { provider: Provider::Sendzen, message: "no project".into() })?;
    let inv =
        started.invitation.ok_or(ProviderError::Decode { provider: Provider::Sendzen, message: "no iframe".into() })?;
    let secrets = ob.secrets.clone();
    let key = project.api_key.clone();
    let seal = move |row_id: i64| {
        let key = key.as_ref()?;
        secrets.seal(key, Slot { table: "projects", row_id, field: "credentials" }).ok()
    };
    let (stored, _) = ob.store.upsert_project(Provider::Sendzen, Some(client.id), &project, Some(&seal)).await?;
    let stored = ob
        .store
        .insert_invitation(NewInvitation {
            client_id: client.id,
            project_id: Some(stored.id),
            provider: Provider::Sendzen,
            provider_id: None,
            flow: OnboardingFlow::HostedLink,
            url: inv.url.clone(),
            status: InvitationStatus::Pending,
            provider_status: inv.provider_status.clone(),
            expires_at: inv.expires_at,
            params: None,
            raw: Some(inv.raw.clone()),
            source: ChangeSource::Mutation,
        })
        .await?;
    warn_if_invalid(stored.id, stored.raw.as_ref());
    Ok(stored)
}

/// A fresh iframe URL for the same client and project.
#[tracing::instrument(skip_all, fields(invitation_id = inv.id))]
pub async fn renew(ob: &Onboarding, inv: &Invitation) -> Outcome<()> {
    super::as_client(Some(inv.client_id), async {
        if inv.status != InvitationStatus::Expired {
            ensure_open(inv, &["id"])?;
        }
        let client = ob.resolve_client(&super::ClientRef::Id(inv.client_id)).await?.0;
        let started = onboard(ob, &client).await?;
        let fresh = started
            .invitation
            .ok_or(ProviderError::Decode { provider: Provider::Sendzen, message: "no iframe".into() })?;
        warn_if_invalid(inv.id, Some(&fresh.raw));
        ob.store.set_invitation_url(inv.id, fresh.url, fresh.expires_at, Some(fresh.raw)).await?;
        if inv.status == InvitationStatus::Expired {
            let change =
                StatusChange::local(inv.id, NewStatus::Invitation(InvitationStatus::Pending), ChangeSource::Mutation);
            ob.store.apply_status_change(change).await?;
        }
        Ok(())
    })
    .await
}

/// Apply the onboarding result: on completion the WABA and sender exist and are linked.
#[tracing::instrument(skip_all, fields(invitation_id = inv.id, completed = result.completed))]
pub async fn apply_result(
    ob: &Onboarding,
    inv: &Invitation,
    result: &OnboardingResult,
    source: ChangeSource,
) -> Outcome<()> {
    ensure_open(inv, &["input", "invitationId"])?;
    let raw = json!({ "status": if result.completed { "completed" } else { "failed" }, "waba_id": result.waba_id,
        "phone_number_id": result.phone_number_id, "message": result.message });
    if !result.completed {
        let reason = result.message.clone().unwrap_or_else(|| "failed".into());
        return change(ob, inv, InvitationStatus::Failed, Some(reason), raw, source).await;
    }
    let (Some(waba_id), Some(phone_id)) = (result.waba_id.as_deref(), result.phone_number_id.as_deref()) else {
        return Err(FieldError::at(
            &["input", "wabaId"],
            "REQUIRED",
            "wabaId and phoneNumberId are required on completion",
        )
        .into());
    };
    // The ids come from the caller (a relayed postMessage): another client's are refused
    // before anything is written.
    let named = (Some(phone_id), Some(phone_id));
    super::ownership::ensure_not_elsewhere(ob, Provider::Sendzen, inv.client_id, Some(waba_id), named).await?;
    let owner = Owner { client_id: Some(inv.client_id), project_id: inv.project_id, waba_id: None };
    let waba = super::ownership::file_waba(ob, inv, Provider::Sendzen, owner, waba_id, source).await?;
    let sender = relayed_sender(phone_id, waba_id, &raw);
    let owner = Owner { waba_id: waba, ..owner };
    let Some(sender) = super::ownership::file_sender(ob, inv, Provider::Sendzen, owner, &sender, source).await? else {
        // Another client filed this number between the check and the write.
        let message = "this phone number belongs to another client";
        return Err(FieldError::at(&["input", "phoneNumberId"], super::OWNED_ELSEWHERE, message).into());
    };
    ob.store.link_invitation(inv.id, None, Some(sender), waba).await?;
    change(ob, inv, InvitationStatus::Completed, None, raw, source).await
}

/// The sender a relayed SendZen result names: SendZen has no sender API, so the Meta
/// phone-number id is its id.
pub fn relayed_sender(phone_id: &str, waba_id: &str, raw: &serde_json::Value) -> ProviderSender {
    ProviderSender {
        id: phone_id.to_owned(),
        project_id: None,
        phone_number: None,
        phone_number_id: Some(phone_id.to_owned()),
        waba_id: Some(waba_id.to_owned()),
        display_name: None,
        status: SenderStatus::Active,
        status_known: true,
        provider_status: None,
        status_reason: None,
        region: None,
        quality_rating: None,
        bearer_token: None,
        raw: raw.clone(),
    }
}

async fn change(
    ob: &Onboarding,
    inv: &Invitation,
    status: InvitationStatus,
    reason: Option<String>,
    raw: serde_json::Value,
    source: ChangeSource,
) -> Outcome<()> {
    let provider_status = raw["status"].as_str().map(str::to_owned);
    let change =
        StatusChange::reported(inv.id, NewStatus::Invitation(status), source, provider_status, reason, Some(raw));
    ob.store.apply_status_change(change).await?;
    Ok(())
}
