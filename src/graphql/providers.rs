//! `providers`: each provider's mode (LIVE, SANDBOX or DISABLED), health from the last call,
//! last error, last successful call, rate limit remaining and capabilities. Reads the
//! adapters' in-memory health and the stored webhook registrations; no provider call is
//! made to answer it.

use async_graphql::{Context, Object, SimpleObject};

use super::scalars::Timestamp;

use crate::domain::{Capability, Provider, ProviderMode};
use crate::onboarding::Onboarding;
use crate::providers::Registry;

use super::ApiError;

/// Provider queries, merged into the root `Query`.
#[derive(Default)]
pub struct ProvidersQuery;

/// How bspgraph stands with one provider.
#[derive(SimpleObject)]
pub struct ProviderInfo {
    /// Which provider this is.
    pub provider: Provider,
    /// LIVE (credentials configured), SANDBOX (embedded simulator, dev mode) or DISABLED
    /// (no credentials in production: every operation answers PROVIDER_DISABLED).
    pub mode: ProviderMode,
    /// Whether the last call reached the provider and was answered sensibly.
    pub healthy: bool,
    /// The last failure, without credentials or URLs; null when the last call succeeded.
    pub last_error: Option<String>,
    /// When a provider call last succeeded (ISO 8601, UTC); null when none has since
    /// the server started.
    pub last_sync_at: Option<Timestamp>,
    /// Requests left in the provider's current rate-limit window; null where the provider
    /// does not say.
    pub rate_limit_remaining: Option<i32>,
    /// What bspgraph can do with this provider.
    pub capabilities: Vec<Capability>,
    /// bspgraph's webhook registration with this provider (LIVE Zavu and Sinch; null
    /// until one was attempted, and for SendZen, which gets its URL per client).
    pub webhook: Option<WebhookRegistration>,
}

/// bspgraph's webhook URL as registered with a provider.
#[derive(SimpleObject)]
pub struct WebhookRegistration {
    /// The URL registered (or attempted).
    pub target: String,
    /// When the registration last succeeded; null if it never did.
    pub registered_at: Option<Timestamp>,
    /// Why the last attempt failed, without credentials; null when it succeeded.
    pub last_error: Option<String>,
    /// Whether the provider issued a signing secret, kept sealed (never shown).
    pub has_issued_secret: bool,
}

/// The state of the provider connections.
#[Object]
impl ProvidersQuery {
    /// Every configured provider, in a fixed order (SENDZEN, ZAVU, SINCH); empty for a
    /// client token.
    async fn providers(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProviderInfo>> {
        if super::scope::require_operator(ctx).is_err() {
            return Ok(Vec::new()); // provider state is the partner's, not an end customer's
        }
        // Health is kept in memory, not in the database: not for the response cache.
        if let Some(no_store) = ctx.data_opt::<crate::response_cache::NoStore>() {
            no_store.mark();
        }
        let Some(registry) = ctx.data_opt::<Registry>() else {
            return Ok(Vec::new());
        };
        let mut registrations = match ctx.data_opt::<Onboarding>() {
            Some(ob) => ob.store.registrations().await.map_err(ApiError::from)?,
            None => Vec::new(),
        };
        Ok(registry
            .all()
            .into_iter()
            .map(|p| {
                let h = p.health();
                let webhook = registrations.iter().position(|r| r.provider == p.id()).map(|i| {
                    let r = registrations.swap_remove(i);
                    WebhookRegistration {
                        target: r.target,
                        registered_at: r.registered_at.map(Timestamp),
                        last_error: r.last_error,
                        has_issued_secret: r.sealed_secret.is_some(),
                    }
                });
                ProviderInfo {
                    provider: p.id(),
                    mode: p.mode(),
                    healthy: h.healthy,
                    last_error: h.last_error,
                    last_sync_at: h.last_sync_at.map(Timestamp),
                    rate_limit_remaining: h.rate_limit_remaining.map(|r| i32::try_from(r).unwrap_or(i32::MAX)),
                    capabilities: p.capabilities().to_vec(),
                    webhook,
                }
            })
            .collect())
    }
}
