//! Processing of inbox rows: map each stored event to what it means and take the flow
//! step it calls for, through the same steps `refresh` and the mutations take
//! (`onboarding::observed`, `source: WEBHOOK`). A Zavu invitation status is applied as
//! it is, and on completion the sender and WABA (its Meta id from the event) are filed;
//! a SendZen result is applied to the client's open invitation with its WABA and
//! sender; a Sinch sender event is only a hint, so the sender is re-read with its own
//! project and, once `ACTIVE`, gets its app and completes its invitation; a Sinch
//! account event advances the open on-behalf-of invitations started with the Business
//! Manager id it names (each re-read under its own project). An event about an
//! object bspgraph does not know is tried twice more shortly (its row may not be
//! committed yet), then marked processed with a note (onboarding and sync
//! create rows, not this). A failure stays in the inbox with its error and is retried
//! with a doubling delay by [`Processor::run`] until the attempts run out.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::watch;

use super::{InboxPayload, Normalized};
use crate::config::{secs, LiveSettings};
use crate::domain::{ChangeSource, InvitationStatus, Provider, WabaStatus};
use crate::onboarding::observed::{self, describe};
use crate::onboarding::sendzen::OnboardingResult;
use crate::onboarding::Onboarding;
use crate::store::{InboxItem, NewStatus, NodeTable, StatusChange};

/// The source of every change a webhook makes.
const WEBHOOK: ChangeSource = ChangeSource::Webhook;

/// How long a claimed row stays with its worker before another may take it over.
pub const LEASE_MS: i64 = 60_000;
/// Longest provider status text kept (and logged) for an unknown status.
const MAX_STATUS_CHARS: usize = 64;
/// How an event about an object bspgraph does not know ends its note.
const LEFT_FOR_SYNC: &str = "left for sync";
/// Attempts an event about an unknown object gets before it is left for sync.
const UNKNOWN_RETRIES: i32 = 3;
/// Rows one sweep claims.
const SWEEP_BATCH: u64 = 100;
/// Sweeps run at least this often, for rows a crashed instance left behind.
const ORPHAN_SWEEP: Duration = Duration::from_millis(LEASE_MS as u64);

/// Applies inbox rows; cheap to clone.
#[derive(Clone)]
pub struct Processor {
    inner: Arc<Inner>,
}

struct Inner {
    /// The flows the events advance (its store and adapters are the processor's).
    flows: Onboarding,
    retry: Duration,
    max_attempts: i32,
    /// When the earliest row that failed here is due again.
    next_due: Mutex<Option<Instant>>,
}

impl Processor {
    /// A processor advancing `flows` (their store, and their adapters for re-reads).
    pub fn new(flows: Onboarding, settings: &LiveSettings) -> Self {
        let retry = secs(settings.inbox_retry_secs).max(Duration::from_millis(50));
        let max_attempts = settings.inbox_max_attempts.max(1);
        let inner = Inner { flows, retry, max_attempts, next_due: Mutex::new(None) };
        Self { inner: Arc::new(inner) }
    }

    /// Process freshly stored rows in the background, in order.
    pub fn spawn_all(&self, items: Vec<InboxItem>) {
        let this = self.clone();
        tokio::spawn(async move {
            for item in items {
                this.process(item).await;
            }
        });
    }

    /// Retry failed rows (and rows whose worker died) until `shutdown` turns true:
    /// at the retry pace while rows failed here, else once per lease period.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut since = Duration::ZERO;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.inner.retry) => {}
                _ = shutdown.changed() => return,
            }
            since += self.inner.retry;
            let due = {
                let mut next = self.inner.next_due.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                match *next {
                    Some(at) if at <= Instant::now() => next.take().is_some(),
                    _ => false,
                }
            };
            if !due && since < ORPHAN_SWEEP {
                continue;
            }
            since = Duration::ZERO;
            match self.inner.flows.store.inbox_claim(SWEEP_BATCH, LEASE_MS, self.inner.max_attempts).await {
                Ok(items) => {
                    for item in items {
                        self.process(item).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "inbox sweep failed"),
            }
        }
    }

    /// Apply one row and record the outcome on it.
    #[tracing::instrument(skip_all, fields(inbox_id = item.id, provider = %item.provider))]
    pub async fn process(&self, item: InboxItem) {
        let outcome = match self.apply(&item).await {
            // The row it names may be in a transaction that has not committed yet (a
            // webhook racing the mutation that made the object): try again shortly.
            Ok(Some(note)) if note.ends_with(LEFT_FOR_SYNC) && item.attempts + 1 < UNKNOWN_RETRIES => {
                Err(anyhow::anyhow!("{note} (retried in case its row is not committed yet)"))
            }
            other => other,
        };
        let store = &self.inner.flows.store;
        let recorded = match outcome {
            Ok(note) => store.inbox_done(item.id, note).await,
            Err(e) => {
                let error = format!("{e:#}");
                tracing::warn!(%error, attempts = item.attempts + 1, "webhook processing failed; will retry");
                let delay = self.inner.retry.as_millis() as i64 * (1_i64 << item.attempts.clamp(0, 10));
                self.due_in(Duration::from_millis(delay as u64));
                store.inbox_failed(item.id, &error, delay).await
            }
        };
        if let Err(e) = recorded {
            tracing::warn!(error = %e, "cannot record the inbox outcome; the lease will lapse and it is retried");
        }
    }

    fn due_in(&self, delay: Duration) {
        let at = Instant::now() + delay;
        let mut next = self.inner.next_due.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *next = Some(next.map_or(at, |n| n.min(at)));
    }

    /// Apply the row; `Ok(Some(note))` when there was nothing to change.
    async fn apply(&self, item: &InboxItem) -> anyhow::Result<Option<String>> {
        let provider = item.provider;
        let payload: InboxPayload = serde_json::from_str(&item.payload).context("unreadable inbox payload")?;
        let raw = Some(payload.raw);
        match payload.event {
            Normalized::Invitation { invitation_id, status_known: false, provider_status, .. } => {
                self.keep(provider, NodeTable::Invitations, &[&invitation_id], &provider_status, raw).await
            }
            Normalized::Invitation { invitation_id, status, provider_status, failure_reason, waba_id, .. } => {
                let status: InvitationStatus = status.parse().map_err(|_| anyhow::anyhow!("unknown status"))?;
                let target = (NewStatus::Invitation(status), Some(provider_status), failure_reason, raw);
                let note = self.invitation(provider, &[&invitation_id], target).await?;
                let store = &self.inner.flows.store;
                if let Some(node) =
                    store.node_by_provider_id(NodeTable::Invitations, provider, &[&invitation_id]).await?
                {
                    observed::invitation(&self.inner.flows, node.id, status, waba_id, WEBHOOK)
                        .await
                        .map_err(describe)?;
                }
                Ok(note)
            }
            Normalized::Onboarding {
                client_identifier,
                project_id,
                completed,
                status_known,
                provider_status,
                message,
                waba_id,
                phone_number_id,
            } => {
                let ids: Vec<&str> =
                    [client_identifier.as_deref(), project_id.as_deref()].into_iter().flatten().collect();
                let ps = provider_status.unwrap_or_else(|| if completed { "completed" } else { "failed" }.to_owned());
                if !status_known {
                    return self.keep(provider, NodeTable::Invitations, &ids, &ps, raw).await;
                }
                let Some(identifier) = client_identifier else {
                    return Ok(Some("the result names no client".to_owned()));
                };
                let result = OnboardingResult { completed, waba_id, phone_number_id, message };
                observed::sendzen_result(&self.inner.flows, &identifier, &result, WEBHOOK).await.map_err(describe)
            }
            Normalized::Sender { sender_id, .. } => {
                let store = &self.inner.flows.store;
                let Some(node) = store.node_by_provider_id(NodeTable::Senders, provider, &[&sender_id]).await? else {
                    return Ok(Some(format!("unknown sender: {LEFT_FOR_SYNC}")));
                };
                observed::sender(&self.inner.flows, node.id, WEBHOOK).await.map_err(describe)?;
                Ok(None)
            }
            Normalized::Account { waba_id, project_id, status, status_known, provider_status } => {
                let ids: Vec<&str> = [waba_id.as_deref(), project_id.as_deref()].into_iter().flatten().collect();
                if !status_known {
                    let ps = provider_status.unwrap_or_default();
                    return self.keep(provider, NodeTable::Wabas, &ids, &ps, raw).await;
                }
                let store = &self.inner.flows.store;
                if let Some(node) = store.node_by_provider_id(NodeTable::Wabas, provider, &ids).await? {
                    let status: WabaStatus = status.parse().map_err(|_| anyhow::anyhow!("unknown status"))?;
                    self.change(node.id, NewStatus::Waba(status), provider_status, None, raw.clone()).await?;
                }
                // The account is re-read and the on-behalf-of flow advanced (its sender
                // once the account is ONBOARDED).
                let manager = raw.as_ref().and_then(|r| r["payload"]["details"]["clientBusinessManagerId"].as_str());
                observed::account(&self.inner.flows, project_id.as_deref(), manager, WEBHOOK).await.map_err(describe)
            }
            Normalized::Other => Ok(Some(format!("{}: nothing to apply", payload.event_type))),
        }
    }

    async fn invitation(
        &self,
        provider: Provider,
        ids: &[&str],
        (status, provider_status, reason, raw): (NewStatus, Option<String>, Option<String>, Option<serde_json::Value>),
    ) -> anyhow::Result<Option<String>> {
        let Some(node) = self.inner.flows.store.node_by_provider_id(NodeTable::Invitations, provider, ids).await?
        else {
            return Ok(Some(format!("unknown invitation: {LEFT_FOR_SYNC}")));
        };
        if let NewStatus::Invitation(current) = node.status {
            if current.is_terminal() && node.status != status {
                return Ok(Some(format!("stale: invitation already {}", node.status)));
            }
        }
        self.change(node.id, status, provider_status, reason, raw).await
    }

    /// A provider status bspgraph does not know: kept as `providerStatus` (and `raw`),
    /// the unified status untouched (never moved backwards, or anywhere), and logged.
    async fn keep(
        &self,
        provider: Provider,
        table: NodeTable,
        ids: &[&str],
        provider_status: &str,
        raw: Option<serde_json::Value>,
    ) -> anyhow::Result<Option<String>> {
        let store = &self.inner.flows.store;
        let Some(node) = store.node_by_provider_id(table, provider, ids).await? else {
            return Ok(Some(format!("unknown object: {LEFT_FOR_SYNC}")));
        };
        let shown: String = provider_status.chars().take(MAX_STATUS_CHARS).collect();
        tracing::warn!(
            provider = %provider, node_id = node.id, provider_status = %shown, unified = %node.status,
            "unknown provider status: kept as providerStatus, unified status unchanged"
        );
        store.keep_unknown_status(table, node.id, &shown, raw).await?;
        Ok(Some(format!("unknown provider status {shown:?}: kept, status unchanged")))
    }

    async fn change(
        &self,
        node_id: i64,
        status: NewStatus,
        provider_status: Option<String>,
        reason: Option<String>,
        raw: Option<serde_json::Value>,
    ) -> anyhow::Result<Option<String>> {
        let change = StatusChange::reported(node_id, status, WEBHOOK, provider_status, reason, raw);
        let event = self.inner.flows.store.apply_status_change(change).await?;
        Ok(event.is_none().then(|| "no change".to_owned()))
    }
}
