//! The reconciliation poller: every interval (plus up to 20% jitter) it leases the
//! non-terminal invitations (a Sinch one through its project) and transitional senders and re-reads them from their
//! providers, a few at a time, applying any difference with `source: POLL` and taking
//! the flow step it calls for, as a webhook would (`onboarding::observed`). It
//! catches what webhooks miss: Zavu expiry (Zavu sends nothing), dropped or exhausted
//! webhook deliveries, Sinch state moves. Terminal rows are never leased.
//!
//! Leases (`poll_lease_until`, 90% of the interval) make instances sharing a
//! PostgreSQL database split the rows: each row is polled by one instance per round.
//! A 429 from a provider pauses that provider's polls (its `Retry-After`, else one
//! interval); the adapters' own rate limiters keep each call within the provider's limits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rand::Rng;
use tokio::sync::watch;

use crate::config::{secs, LiveSettings};
use crate::domain::{ChangeSource, InvitationStatus, Provider, SenderStatus};
use crate::onboarding::advance::keep_unknown;
use crate::onboarding::observed::{self, describe};
use crate::onboarding::{Failure, Onboarding, Outcome};
use crate::providers::ProviderError;
use crate::store::{NewStatus, NodeTable, PollTarget, StatusChange, StoreError};

/// The source of every change a poll makes.
const POLL: ChangeSource = ChangeSource::Poll;

/// Invitation statuses that can still change.
const OPEN_INVITATIONS: &[NewStatus] = &[
    NewStatus::Invitation(InvitationStatus::Pending),
    NewStatus::Invitation(InvitationStatus::InProgress),
    NewStatus::Invitation(InvitationStatus::AwaitingAction),
];
/// Sender statuses on their way somewhere.
const OPEN_SENDERS: &[NewStatus] = &[
    NewStatus::Sender(SenderStatus::Provisioning),
    NewStatus::Sender(SenderStatus::PendingVerification),
    NewStatus::Sender(SenderStatus::Deleting),
];

/// The poller; cheap to clone.
#[derive(Clone)]
pub struct Poller {
    inner: Arc<Inner>,
}

struct Inner {
    /// The flows polls advance (their store and adapters are the poller's).
    flows: Onboarding,
    interval: Duration,
    concurrency: usize,
    batch: u64,
    /// Providers that answered 429, paused until the instant.
    paused: Mutex<HashMap<Provider, Instant>>,
    /// Row ids (table, id) polled in the last round: the proof leases split the work.
    last_round: Mutex<Vec<(NodeTable, i64)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Poller {
    /// A poller advancing `flows`, with the interval, concurrency and batch from `settings`.
    pub fn new(flows: Onboarding, settings: &LiveSettings) -> Self {
        let inner = Inner {
            flows,
            interval: secs(settings.poll_interval_secs),
            concurrency: settings.poll_concurrency.max(1),
            batch: settings.poll_batch.max(1),
            paused: Mutex::default(),
            last_round: Mutex::default(),
        };
        Self { inner: Arc::new(inner) }
    }

    /// Poll every interval until `shutdown` turns true (never, with a zero interval).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        if self.inner.interval.is_zero() {
            return;
        }
        loop {
            let jitter = rand::thread_rng().gen_range(0.0..0.2);
            tokio::select! {
                _ = tokio::time::sleep(self.inner.interval.mul_f64(1.0 + jitter)) => {}
                _ = shutdown.changed() => return,
            }
            if let Err(e) = self.round().await {
                tracing::warn!(error = %e, "poll round failed");
            }
        }
    }

    /// Rows polled in the last round.
    pub fn last_round(&self) -> Vec<(NodeTable, i64)> {
        lock(&self.inner.last_round).clone()
    }

    /// One round: lease due rows and refresh them. Returns how many were polled.
    #[tracing::instrument(skip_all, fields(polled))]
    pub async fn round(&self) -> Result<usize, StoreError> {
        let lease = (self.inner.interval.as_millis() as i64 * 9 / 10).max(1_000);
        let store = &self.inner.flows.store;
        let mut targets: Vec<(NodeTable, PollTarget)> = Vec::new();
        for (table, open) in [(NodeTable::Invitations, OPEN_INVITATIONS), (NodeTable::Senders, OPEN_SENDERS)] {
            let leased = store.poll_lease(table, open, self.inner.batch, lease).await?;
            targets.extend(leased.into_iter().map(|t| (table, t)));
        }
        *lock(&self.inner.last_round) = targets.iter().map(|(table, t)| (*table, t.id)).collect();
        let polled = targets.len();
        futures_util::stream::iter(targets)
            .for_each_concurrent(self.inner.concurrency, |(table, target)| async move {
                if let Err(e) = self.refresh(table, &target).await {
                    tracing::debug!(error = %e, row = target.id, "poll of one row failed");
                }
            })
            .await;
        tracing::Span::current().record("polled", polled);
        Ok(polled)
    }

    /// Re-read one row from its provider and take the step it calls for, as a webhook
    /// would (`onboarding::observed`): a completed Zavu invitation files its sender and
    /// WABA; a sender is re-read and, once a Sinch sender is `ACTIVE`, its invitation
    /// gets the app and completes.
    async fn refresh(&self, table: NodeTable, target: &PollTarget) -> anyhow::Result<()> {
        let provider = target.provider;
        if lock(&self.inner.paused).get(&provider).is_some_and(|until| Instant::now() < *until) {
            return Ok(());
        }
        if !self.inner.flows.registry.enabled(provider) {
            return Ok(()); // DISABLED in production: nothing is sent to it
        }
        let done = match table {
            // A Sinch invitation has no read of its own: its project's account and its
            // sender are re-read and the flow advanced, as `refresh` does.
            NodeTable::Invitations if provider == Provider::Sinch => {
                crate::onboarding::advance::advance(&self.inner.flows, target.id, POLL).await
            }
            NodeTable::Invitations => self.invitation(provider, target).await,
            _ => observed::sender(&self.inner.flows, target.id, POLL).await,
        };
        match done {
            Ok(()) | Err(Failure::Provider(ProviderError::Unsupported { .. })) => Ok(()),
            Err(Failure::Provider(e @ ProviderError::RateLimited { .. })) => {
                let wait = match &e {
                    ProviderError::RateLimited { retry_after: Some(d), .. } => *d,
                    _ => self.inner.interval,
                };
                tracing::info!(provider = %provider, wait_ms = wait.as_millis() as u64, "provider rate-limited the poller");
                lock(&self.inner.paused).insert(provider, Instant::now() + wait);
                Err(e.into())
            }
            Err(e) => Err(describe(e)),
        }
    }

    /// An invitation: apply what the provider reports (a status this bspgraph does not
    /// know is only kept), then the step it calls for.
    async fn invitation(&self, provider: Provider, target: &PollTarget) -> Outcome<()> {
        let flows = &self.inner.flows;
        let read = flows.registry.require(provider)?.get_invitation(&target.provider_id).await?;
        if !read.status_known {
            return keep_unknown(flows, NodeTable::Invitations, target.id, read.provider_status, read.raw).await;
        }
        let status = read.status;
        flows.store.apply_status_change(StatusChange::invitation_read(target.id, read, POLL)).await?;
        observed::invitation(flows, target.id, status, None, POLL).await
    }
}
