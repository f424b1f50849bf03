//! Sinch embedded signup: a subproject per client (labels carry the bspgraph client
//! id) and a pending session; after Meta's signup in the partner frontend,
//! `completeOnboarding` creates the ES sender in that subproject, and [`super::advance`]
//! takes it to the Conversation API app and `COMPLETED` once the sender is ACTIVE.

use super::{advance, ensure_open, ownership, wrong_state, FieldError, Onboarding, Outcome, SinchParams};
use crate::domain::{
    ChangeSource, Client, GlobalId, Invitation, InvitationStatus, NodeType, OnboardingFlow, OnboardingRequest, Project,
    Provider, ProviderSender, SenderRequest,
};
use crate::providers::ProviderError;
use crate::store::{NewInvitation, NewStatus, Owner, StatusChange};

/// The client's subproject: the one bspgraph already has, else a new one (after a
/// timed-out create, the one Sinch made, found by its client label).
pub async fn subproject(ob: &Onboarding, client: &Client) -> Outcome<Project> {
    let known = ob.store.projects_of_clients(&[client.id]).await?;
    if let Some(p) = known.into_iter().find(|p| p.provider == Provider::Sinch) {
        return Ok(p);
    }
    let adapter = ob.registry.require(Provider::Sinch)?;
    let label = ("bspgraphClientId".to_owned(), GlobalId::new(NodeType::Client, client.id).encode());
    let req =
        OnboardingRequest::EmbeddedSignupProject { display_name: client.name.clone(), labels: vec![label.clone()] };
    let project = match adapter.start_onboarding(req.clone()).await {
        Ok(started) => started.project,
        Err(ProviderError::UncertainCreate { .. }) => {
            match adapter.list_projects().await?.into_iter().find(|p| p.labels.contains(&label)) {
                Some(found) => Some(found),
                None => adapter.start_onboarding(req).await?.project,
            }
        }
        Err(e) => return Err(e.into()),
    };
    let project =
        project.ok_or(ProviderError::Decode { provider: Provider::Sinch, message: "no subproject".into() })?;
    Ok(ob.store.upsert_project(Provider::Sinch, Some(client.id), &project, None).await?.0)
}

/// Start embedded signup for `client`: subproject + pending session (no url).
#[tracing::instrument(skip_all, fields(client_id = client.id))]
pub async fn start(ob: &Onboarding, client: &Client, params: &SinchParams) -> Outcome<Invitation> {
    let project = subproject(ob, client).await?;
    let stored = ob
        .store
        .insert_invitation(NewInvitation {
            client_id: client.id,
            project_id: Some(project.id),
            provider: Provider::Sinch,
            provider_id: None,
            flow: OnboardingFlow::EmbeddedSignup,
            url: None,
            status: InvitationStatus::Pending,
            provider_status: None,
            expires_at: None,
            params: serde_json::to_value(params).ok(),
            raw: None,
            source: ChangeSource::Mutation,
        })
        .await?;
    Ok(stored)
}

/// The flow input and the subproject id of a Sinch invitation.
pub async fn context(ob: &Onboarding, inv: &Invitation) -> Outcome<(SinchParams, String)> {
    let params: SinchParams = serde_json::from_value(ob.store.invitation_params(inv.id).await?).unwrap_or_default();
    let project_id = inv.project_id.ok_or_else(|| wrong_state(&["id"], "the invitation has no subproject"))?;
    Ok((params, ob.store.project(project_id).await?.provider_id))
}

/// After Meta's signup: create the ES sender, link it, `IN_PROGRESS`, then advance.
#[tracing::instrument(skip_all, fields(invitation_id = inv.id))]
pub async fn complete(
    ob: &Onboarding,
    inv: &Invitation,
    waba_id: Option<String>,
    phone_number_id: Option<String>,
) -> Outcome<()> {
    super::as_client(Some(inv.client_id), async {
        ensure_open(inv, &["input", "invitationId"])?;
        if inv.flow != OnboardingFlow::EmbeddedSignup || inv.sender_id.is_some() {
            return Err(wrong_state(
                &["input", "invitationId"],
                "this invitation does not take an embedded signup result now",
            ));
        }
        let (Some(waba_id), Some(phone_number_id)) = (waba_id, phone_number_id) else {
            return Err(
                FieldError::at(&["input", "wabaId"], "REQUIRED", "wabaId and phoneNumberId are required").into()
            );
        };
        // Before the provider hears of it: another client's WABA or number is refused.
        let sender = (None, Some(phone_number_id.as_str()));
        ownership::ensure_not_elsewhere(ob, Provider::Sinch, inv.client_id, Some(&waba_id), sender).await?;
        let (params, project) = context(ob, inv).await?;
        let req = SenderRequest::EmbeddedSignup {
            project_id: project.clone(),
            region: params.region.as_str().to_owned(),
            meta_local_storage: params.meta_local_storage.clone(),
            waba_id: waba_id.clone(),
            phone_number_id: phone_number_id.clone(),
        };
        let sender =
            create_sender(ob, &project, req, |s| s.phone_number_id.as_deref() == Some(phone_number_id.as_str()))
                .await?;
        link_sender(ob, inv, &sender, Some(&waba_id), ChangeSource::Mutation).await?;
        advance::advance(ob, inv.id, ChangeSource::Mutation).await
    })
    .await
}

/// Create a sender; after a timeout, adopt the one the provider made (`same`) first.
pub async fn create_sender(
    ob: &Onboarding,
    project: &str,
    req: SenderRequest,
    same: impl Fn(&ProviderSender) -> bool,
) -> Outcome<ProviderSender> {
    let adapter = ob.registry.require(Provider::Sinch)?;
    match adapter.create_sender(req.clone()).await {
        Ok(s) => Ok(s),
        Err(ProviderError::UncertainCreate { .. }) => {
            match adapter.list_senders(Some(project)).await?.into_iter().find(|s| same(s)) {
                Some(found) => Ok(found),
                None => Ok(adapter.create_sender(req).await?),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Store the sender (and its WABA when known), link them, and mark `IN_PROGRESS`. A
/// WABA or sender another client owns stays with that client and is not linked.
pub async fn link_sender(
    ob: &Onboarding,
    inv: &Invitation,
    sender: &ProviderSender,
    waba_id: Option<&str>,
    source: ChangeSource,
) -> Outcome<()> {
    let owner = Owner { client_id: Some(inv.client_id), project_id: inv.project_id, waba_id: None };
    let waba = match waba_id.or(sender.waba_id.as_deref()) {
        Some(w) => ownership::file_waba(ob, inv, Provider::Sinch, owner, w, source).await?,
        None => None,
    };
    let owner = Owner { waba_id: waba, ..owner };
    let Some(row) = ownership::file_sender(ob, inv, Provider::Sinch, owner, sender, source).await? else {
        return Ok(());
    };
    ob.store.link_invitation(inv.id, None, Some(row), waba).await?;
    let change = StatusChange::local(inv.id, NewStatus::Invitation(InvitationStatus::InProgress), source);
    ob.store.apply_status_change(change).await?;
    Ok(())
}

/// The frontend reports that Meta's signup was abandoned or failed: `FAILED` with its message.
#[tracing::instrument(skip_all, fields(invitation_id = inv.id))]
pub async fn abandon(ob: &Onboarding, inv: &Invitation, message: Option<String>) -> Outcome<()> {
    ensure_open(inv, &["input", "invitationId"])?;
    let change = StatusChange::local(inv.id, NewStatus::Invitation(InvitationStatus::Failed), ChangeSource::Mutation)
        .because(Some(message.unwrap_or_else(|| "embedded signup not finished".into())));
    ob.store.apply_status_change(change).await?;
    Ok(())
}
