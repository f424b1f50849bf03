//! The reconciliation poller: every interval (plus up to 20% jitter) it leases the
//! non-terminal invitations and transitional senders and re-reads them from their
//! providers, a few at a time, applying any difference with `source: POLL`. It
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
use crate::domain::{ChangeSource, Provider};
use crate::providers::{ProviderError, Registry};
use crate::store::{NewStatus, NodeTable, PollTarget, StatusChange, Store, StoreError};

/// Invitation statuses that can still change.
const OPEN_INVITATIONS: &[&str] = &["PENDING", "IN_PROGRESS", "AWAITING_ACTION"];
/// Sender statuses on their way somewhere.
const OPEN_SENDERS: &[&str] = &["PROVISIONING", "PENDING_VERIFICATION", "DELETING"];

/// The poller; cheap to clone.
#[derive(Clone)]
pub struct Poller {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    providers: Registry,
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
    /// A poller with the interval, concurrency and batch from `settings`.
    pub fn new(store: Store, providers: Registry, settings: &LiveSettings) -> Self {
        let inner = Inner {
            store,
            providers,
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
        let store = &self.inner.store;
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

    /// Re-read one row from its provider and apply any change.
    async fn refresh(&self, table: NodeTable, target: &PollTarget) -> anyhow::Result<()> {
        let provider: Provider = target.provider.parse().map_err(|_| anyhow::anyhow!("unknown provider"))?;
        if lock(&self.inner.paused).get(&provider).is_some_and(|until| Instant::now() < *until) {
            return Ok(());
        }
        if !self.inner.providers.enabled(provider) {
            return Ok(()); // DISABLED in production: nothing is sent to it
        }
        let adapter = self.inner.providers.require(provider)?;
        let read =
            match table {
                NodeTable::Invitations => adapter.get_invitation(&target.provider_id).await.map(|i| {
                    (NewStatus::Invitation(i.status), i.status_known, i.provider_status, i.failure_reason, i.raw)
                }),
                _ => {
                    let project = match target.project_id {
                        Some(id) => self.inner.store.project_provider_id(id).await?,
                        None => None,
                    };
                    adapter.get_sender(project.as_deref(), &target.provider_id).await.map(|s| {
                        (NewStatus::Sender(s.status), s.status_known, s.provider_status, s.status_reason, s.raw)
                    })
                }
            };
        let (status, known, provider_status, reason, raw) = match read {
            Ok(read) => read,
            Err(ProviderError::Unsupported { .. }) => return Ok(()),
            Err(e @ ProviderError::RateLimited { .. }) => {
                let wait = match &e {
                    ProviderError::RateLimited { retry_after: Some(d), .. } => *d,
                    _ => self.inner.interval,
                };
                tracing::info!(provider = %provider, wait_ms = wait.as_millis() as u64, "provider rate-limited the poller");
                lock(&self.inner.paused).insert(provider, Instant::now() + wait);
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        };
        if !known {
            // A status this bspgraph does not know never moves the row: keep the text only.
            let ps = provider_status.unwrap_or_default();
            tracing::warn!(provider = %provider, row = target.id, provider_status = %ps, "unknown provider status kept");
            self.inner.store.keep_unknown_status(table, target.id, &ps, Some(raw)).await?;
            return Ok(());
        }
        let change = StatusChange {
            node_id: target.id,
            status,
            provider_status,
            reason,
            raw: Some(raw),
            source: ChangeSource::Poll,
        };
        self.inner.store.apply_status_change(change).await?;
        Ok(())
    }
}
