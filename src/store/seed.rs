//! Sample data: clients with a project, a WABA, a sender and invitations at each
//! provider in turn. Used by the benchmark, by tests, and by `bspgraph seed` so a
//! newcomer can browse every entity before connecting a provider. Rows are marked
//! with provider ids starting `demo-` and creation events with source `SANDBOX`.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, DatabaseTransaction, Set, TransactionTrait};
use serde_json::json;

use super::events::{append_event, NewEvent};
use super::tables::{clients, invitations, projects, senders, wabas};
use super::{Store, StoreError};
use crate::domain::{ChangeSource, InvitationStatus, NodeType, OnboardingFlow, Provider, SenderStatus, WabaStatus};

/// How many rows of each kind a seed wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedCounts {
    /// Clients written.
    pub clients: u64,
    /// Invitations written.
    pub invitations: u64,
    /// Senders, wabas and projects written (one each per client).
    pub others: u64,
}

impl Store {
    /// Write `n` sample clients, each with a project, a WABA, an active sender, a
    /// completed invitation linked to them and a pending one.
    #[tracing::instrument(skip(self))]
    pub async fn seed_demo(&self, n: u64) -> Result<SeedCounts, StoreError> {
        let mut counts = SeedCounts::default();
        let tag = uuid::Uuid::new_v4().simple().to_string();
        for i in 0..n {
            let txn = self.db().begin().await?;
            let seqs = seed_one(&txn, &format!("{}-{i}", &tag[..8]), i).await?;
            txn.commit().await?;
            self.publish(seqs);
            counts.clients += 1;
            counts.invitations += 2;
            counts.others += 3;
        }
        Ok(counts)
    }
}

async fn created(
    txn: &DatabaseTransaction,
    provider: Provider,
    t: NodeType,
    id: i64,
    client: i64,
    status: &str,
) -> Result<i64, StoreError> {
    let entry = NewEvent::created(provider, t, id, Some(client), status, ChangeSource::Sandbox);
    append_event(txn, entry).await.map(|e| e.seq)
}

async fn seed_one(txn: &DatabaseTransaction, tag: &str, i: u64) -> Result<Vec<i64>, StoreError> {
    let mut seqs = Vec::new();
    let now = Utc::now();
    let provider = Provider::ALL[(i % 3) as usize];
    let p = || Set(provider.as_str().to_owned());
    let phone = format!("+1415555{:04}", i % 10_000);
    let client = clients::ActiveModel {
        external_id: Set(Some(format!("demo-{tag}"))),
        name: Set(format!("Demo customer {i}")),
        email: Set(Some(format!("ops{i}@demo.example"))),
        phone: Set(Some(phone.clone())),
        labels: Set(Some(json!({ "demo": true }))),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let project = projects::ActiveModel {
        client_id: Set(Some(client.id)),
        provider: p(),
        provider_id: Set(Some(format!("demo-prj-{tag}"))),
        status: Set("ACTIVE".into()),
        name: Set(Some(format!("Demo project {i}"))),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let waba = wabas::ActiveModel {
        client_id: Set(Some(client.id)),
        project_id: Set(Some(project.id)),
        provider: p(),
        provider_id: Set(Some(format!("demo-waba-{tag}"))),
        waba_id: Set(format!("demo-waba-{tag}")),
        status: Set(WabaStatus::Onboarded.as_str().into()),
        name: Set(Some(format!("Demo business {i}"))),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    seqs.push(created(txn, provider, NodeType::Waba, waba.id, client.id, WabaStatus::Onboarded.as_str()).await?);
    let sender = senders::ActiveModel {
        client_id: Set(Some(client.id)),
        project_id: Set(Some(project.id)),
        waba_id: Set(Some(waba.id)),
        provider: p(),
        provider_id: Set(Some(format!("demo-snd-{tag}"))),
        status: Set(SenderStatus::Active.as_str().into()),
        phone_number: Set(Some(phone)),
        phone_number_id: Set(Some(format!("demo-pn-{tag}"))),
        display_name: Set(Some(format!("Demo {i}"))),
        quality_rating: Set(Some("GREEN".into())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    seqs.push(created(txn, provider, NodeType::Sender, sender.id, client.id, SenderStatus::Active.as_str()).await?);
    for (k, status) in [InvitationStatus::Completed, InvitationStatus::Pending].into_iter().enumerate() {
        let done = status == InvitationStatus::Completed;
        let inv = invitations::ActiveModel {
            client_id: Set(client.id),
            project_id: Set(Some(project.id)),
            provider: p(),
            provider_id: Set(Some(format!("demo-inv-{tag}-{k}"))),
            flow: Set(OnboardingFlow::HostedLink.as_str().into()),
            url: Set(Some(format!("https://onboarding.demo.example/{tag}/{k}"))),
            status: Set(status.as_str().into()),
            expires_at: Set(Some(now + Duration::days(7))),
            completed_at: Set(done.then_some(now)),
            sender_id: Set(done.then_some(sender.id)),
            waba_id: Set(done.then_some(waba.id)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        seqs.push(created(txn, provider, NodeType::Invitation, inv.id, client.id, status.as_str()).await?);
    }
    Ok(seqs)
}
