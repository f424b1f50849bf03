//! `syncProvider`: import and update what a provider has (all pages), including
//! objects created outside bspgraph (a provider dashboard). Known rows get their status
//! through the single change function (source `POLL`); unknown ones are inserted with
//! their creation event. Imported invitations get a client named after the customer.

use super::{Onboarding, Outcome};
use crate::domain::{
    Capability, ChangeSource, ClientDraft, OnboardingFlow, Provider, ProviderInvitation, ProviderSender,
};
use crate::providers::ProviderError;
use crate::store::{Filed, NewInvitation, NodeTable, Owner, StatusChange};

/// What a sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncCounts {
    /// Rows created.
    pub imported: u64,
    /// Existing rows whose status changed.
    pub updated: u64,
}

/// Import and update `provider`'s invitations, projects and senders.
#[tracing::instrument(skip_all, fields(provider = %provider))]
pub async fn sync(ob: &Onboarding, provider: Provider) -> Outcome<SyncCounts> {
    let adapter = ob.registry.require(provider)?;
    // Re-register bspgraph's webhook URL (LIVE providers that take one); a failure is
    // recorded for `providers` and does not stop the sync.
    super::registration::register(ob, provider).await?;
    let mut counts = SyncCounts::default();
    if adapter.can(Capability::ListInvitations) {
        for inv in adapter.list_invitations().await? {
            invitation(ob, provider, inv, &mut counts).await?;
        }
    }
    let mut projects: Vec<(Option<i64>, Option<String>)> = vec![(None, None)];
    if adapter.can(Capability::Projects) {
        projects.clear();
        for p in adapter.list_projects().await? {
            let (row, created) = ob.store.upsert_project(provider, None, &p, None).await?;
            counts.imported += u64::from(created);
            projects.push((Some(row.id), Some(p.id)));
        }
    }
    if adapter.can(Capability::Senders) {
        for (row, pid) in projects {
            let senders = match adapter.list_senders(pid.as_deref()).await {
                Ok(s) => s,
                Err(ProviderError::NotFound { .. } | ProviderError::InvalidRequest { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            for s in senders {
                sender(ob, provider, row, s, &mut counts).await?;
            }
        }
    }
    Ok(counts)
}

async fn invitation(
    ob: &Onboarding,
    provider: Provider,
    inv: ProviderInvitation,
    counts: &mut SyncCounts,
) -> Outcome<()> {
    let Some(pid) = inv.id.clone() else { return Ok(()) };
    if let Some(known) = ob.store.invitation_by_provider_id(provider, &pid).await? {
        if !inv.status_known {
            return super::advance::keep_unknown(ob, NodeTable::Invitations, known.id, inv.provider_status, inv.raw)
                .await;
        }
        let change = StatusChange::invitation_read(known.id, inv, ChangeSource::Poll);
        counts.updated += u64::from(ob.store.apply_status_change(change).await?.is_some());
        return Ok(());
    }
    let name = inv.client_name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| format!("Imported {pid}"));
    let draft = ClientDraft::parse(None, &name, inv.client_email.as_deref(), inv.client_phone.as_deref(), None)
        .or_else(|_| ClientDraft::parse(None, &name, None, None, None))
        .map_err(|_| ProviderError::Decode { provider, message: "unusable customer name".into() })?;
    let client = ob.store.create_client(draft).await?;
    ob.store
        .insert_invitation(NewInvitation {
            client_id: client.id,
            project_id: None,
            provider,
            provider_id: Some(pid),
            flow: OnboardingFlow::HostedLink,
            url: inv.url,
            status: inv.status,
            provider_status: inv.provider_status,
            expires_at: inv.expires_at,
            params: None,
            raw: Some(inv.raw),
            source: ChangeSource::Poll,
        })
        .await?;
    counts.imported += 1;
    Ok(())
}

async fn sender(
    ob: &Onboarding,
    provider: Provider,
    project: Option<i64>,
    s: ProviderSender,
    counts: &mut SyncCounts,
) -> Outcome<()> {
    let owner = Owner { client_id: None, project_id: project, waba_id: None };
    // No client is named: a known sender keeps its owner, whoever that is.
    let (row, created) = match ob.store.upsert_sender(provider, owner, &s, ChangeSource::Poll).await? {
        Filed::Ours(row, created) => (row, created),
        Filed::Elsewhere(row) => (row, false),
    };
    if created {
        counts.imported += 1;
        return Ok(());
    }
    if !s.status_known {
        return super::advance::keep_unknown(ob, NodeTable::Senders, row.id, s.provider_status, s.raw).await;
    }
    let change = StatusChange::sender_read(row.id, s, ChangeSource::Poll);
    counts.updated += u64::from(ob.store.apply_status_change(change).await?.is_some());
    Ok(())
}
