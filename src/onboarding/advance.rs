//! Move a flow forward from what the provider reports now. Reused by `refresh`,
//! `sandboxSimulate`, `verifySender`, the poller and (through `observed`) webhooks: re-read the
//! invitation, account or sender, record its status through the store's single change
//! function with the caller's `source`, and take the next step where one is due
//! (Zavu completion links the sender; Sinch account ONBOARDED creates the sender;
//! Sinch sender ACTIVE creates the Conversation API app, then `COMPLETED`).

use serde_json::json;

use super::{ownership, sinch_es, sinch_obo, Onboarding, Outcome};
use crate::domain::{
    AppRequest, ChangeSource, Invitation, InvitationStatus, OnboardingFlow, Provider, ProviderSender, SenderStatus,
    WabaStatus,
};
use crate::providers::ProviderError;
use crate::store::{NewStatus, NodeTable, Owner, StatusChange};

/// Re-read invitation `id`'s provider objects and advance its flow.
#[tracing::instrument(skip_all, fields(invitation_id = id, source = source.as_str()))]
pub async fn advance(ob: &Onboarding, id: i64, source: ChangeSource) -> Outcome<()> {
    let inv = ob.store.invitation(id).await?;
    super::as_client(Some(inv.client_id), async {
        match inv.provider {
            Provider::Zavu => zavu(ob, &inv, None, source).await,
            // SendZen has no read API for onboarding: results arrive by webhook or relay.
            Provider::Sendzen => Ok(()),
            Provider::Sinch => sinch(ob, &inv, source).await,
        }
    })
    .await
}

/// Zavu: re-read invitation `id`; `waba_id` is the Meta WABA id when the caller knows
/// it (Zavu reports it only in the `invitation.status_changed` webhook).
pub async fn zavu_invitation(ob: &Onboarding, id: i64, waba_id: Option<String>, source: ChangeSource) -> Outcome<()> {
    let inv = ob.store.invitation(id).await?;
    super::as_client(Some(inv.client_id), zavu(ob, &inv, waba_id, source)).await
}

async fn zavu(ob: &Onboarding, inv: &Invitation, waba_hint: Option<String>, source: ChangeSource) -> Outcome<()> {
    let Some(pid) = inv.provider_id.as_deref() else { return Ok(()) };
    let adapter = ob.registry.require(Provider::Zavu)?;
    let fresh = adapter.get_invitation(pid).await?;
    // File what is missing: the sender, or the WABA once a source knows its Meta id.
    let missing = inv.sender_id.is_none() || (inv.waba_id.is_none() && waba_hint.is_some());
    if let (Some(sid), true) = (fresh.sender_id.as_deref(), missing) {
        let sender = adapter.get_sender(None, sid).await?;
        // Objects another client owns stay with it and are not linked (see `file_*`).
        let owner = Owner { client_id: Some(inv.client_id), project_id: inv.project_id, waba_id: None };
        let waba = match sender.waba_id.as_deref().or(waba_hint.as_deref()) {
            Some(w) => ownership::file_waba(ob, inv, Provider::Zavu, owner, w, source).await?,
            None => None,
        };
        let owner = Owner { waba_id: waba, ..owner };
        let row = ownership::file_sender(ob, inv, Provider::Zavu, owner, &sender, source).await?;
        if row.is_some() || waba.is_some() {
            ob.store.link_invitation(inv.id, None, row, waba).await?;
        }
    }
    if !fresh.status_known {
        return keep_unknown(ob, NodeTable::Invitations, inv.id, fresh.provider_status, fresh.raw).await;
    }
    invitation(ob, inv.id, fresh.status, fresh.provider_status, fresh.failure_reason, Some(fresh.raw), source).await
}

/// A status the adapter does not know: keep the provider's text and payload on row
/// `id` and leave its unified status (and the flow) where they are, as webhooks and the
/// poller do.
pub async fn keep_unknown(
    ob: &Onboarding,
    table: NodeTable,
    id: i64,
    provider_status: Option<String>,
    raw: serde_json::Value,
) -> Outcome<()> {
    let text = provider_status.unwrap_or_default();
    tracing::warn!(table = table.name(), id, provider_status = %text, "unknown provider status kept; unified status unchanged");
    ob.store.keep_unknown_status(table, id, &text, Some(raw)).await?;
    Ok(())
}

async fn sinch(ob: &Onboarding, inv: &Invitation, source: ChangeSource) -> Outcome<()> {
    if let Some(sid) = inv.sender_id {
        let row = ob.store.sender(sid).await?;
        return sender(ob, &row, source).await;
    }
    if inv.flow != OnboardingFlow::OnBehalfOf || inv.status.is_terminal() {
        return Ok(());
    }
    let (_, project) = sinch_es::context(ob, inv).await?;
    let account = ob.registry.require(Provider::Sinch)?.get_waba(&project).await?;
    sinch_obo::account_status(ob, inv, &account, source).await?;
    if account.status != WabaStatus::Onboarded {
        return Ok(());
    }
    sinch_obo::create_sender(ob, inv, &account, source).await?;
    match ob.store.invitation(inv.id).await?.sender_id {
        Some(sid) => sender(ob, &ob.store.sender(sid).await?, source).await,
        None => Ok(()),
    }
}

/// Re-read sender `row` and advance the invitation it belongs to.
#[tracing::instrument(skip_all, fields(sender_id = row.id))]
pub async fn sender(ob: &Onboarding, row: &crate::domain::Sender, source: ChangeSource) -> Outcome<()> {
    super::as_client(row.client_id, async {
        let project = match row.project_id {
            Some(p) => Some(ob.store.project(p).await?.provider_id),
            None => None,
        };
        let adapter = ob.registry.require(row.provider)?;
        let fresh = adapter.get_sender(project.as_deref(), &row.provider_id).await?;
        if !fresh.status_known {
            return keep_unknown(ob, NodeTable::Senders, row.id, fresh.provider_status, fresh.raw).await;
        }
        ob.store.apply_status_change(StatusChange::sender_read(row.id, fresh.clone(), source)).await?;
        let Some(inv) = ob.store.invitation_of_sender(row.id).await? else { return Ok(()) };
        if inv.status.is_terminal() || row.provider != Provider::Sinch {
            return Ok(());
        }
        match fresh.status {
            SenderStatus::Active => app(ob, &inv, &fresh, source).await,
            SenderStatus::Rejected | SenderStatus::Error => {
                let reason = fresh.status_reason.clone().or(fresh.provider_status.clone());
                invitation(ob, inv.id, InvitationStatus::Failed, None, reason, None, source).await
            }
            SenderStatus::PendingVerification => {
                invitation(ob, inv.id, InvitationStatus::AwaitingAction, None, None, None, source).await
            }
            _ => invitation(ob, inv.id, InvitationStatus::InProgress, None, None, None, source).await,
        }
    })
    .await
}

/// How long a claim on the app step holds before another instance may take it over
/// (the holder died): well past the provider calls' own timeouts and retries.
const STEP_LEASE: std::time::Duration = std::time::Duration::from_secs(120);

/// The sender is ACTIVE: create the Conversation API app (`static_bearer`), then
/// `COMPLETED`. Once per invitation across every instance sharing the database: the
/// source that claims the step takes it (see `store::step_claims`); one that finds it
/// claimed, or the invitation already final, leaves it.
async fn app(ob: &Onboarding, inv: &Invitation, fresh: &ProviderSender, source: ChangeSource) -> Outcome<()> {
    let Some(claim) = ob.store.claim_step(inv.id, STEP_LEASE).await? else { return Ok(()) };
    let taken = app_step(ob, inv, fresh, source).await;
    if let Err(e) = ob.store.release_step(&claim).await {
        // Not the step's failure: the lease frees the claim when it runs out.
        tracing::warn!(invitation_id = inv.id, error = %e, "step claim not released; its lease will free it");
    }
    taken
}

async fn app_step(ob: &Onboarding, inv: &Invitation, fresh: &ProviderSender, source: ChangeSource) -> Outcome<()> {
    if ob.store.invitation(inv.id).await?.status.is_terminal() {
        return Ok(());
    }
    let (params, project) = sinch_es::context(ob, inv).await?;
    let token = fresh.bearer_token.clone().ok_or(ProviderError::Decode {
        provider: Provider::Sinch,
        message: "active sender without a bearer token".into(),
    })?;
    let name = fresh.display_name.clone().unwrap_or_else(|| fresh.id.clone());
    let req = AppRequest {
        project_id: project,
        region: fresh.region.clone().unwrap_or_else(|| params.region.as_str().to_owned()),
        display_name: format!("bspgraph {name}"),
        sender_id: fresh.id.clone(),
        bearer_token: token,
    };
    let created = ob.registry.require(Provider::Sinch)?.create_app(req).await?;
    let raw = json!({ "app": { "id": created.id, "displayName": created.display_name, "channelStatus": created.channel_status } });
    invitation(ob, inv.id, InvitationStatus::Completed, None, None, Some(raw), source).await
}

async fn invitation(
    ob: &Onboarding,
    id: i64,
    status: InvitationStatus,
    provider_status: Option<String>,
    reason: Option<String>,
    raw: Option<serde_json::Value>,
    source: ChangeSource,
) -> Outcome<()> {
    let change = StatusChange::reported(id, NewStatus::Invitation(status), source, provider_status, reason, raw);
    ob.store.apply_status_change(change).await?;
    Ok(())
}
