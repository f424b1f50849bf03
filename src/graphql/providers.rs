//! `providers`: each provider's mode (LIVE, SANDBOX or DISABLED), health from the last call,
//! last error, last successful call, rate limit remaining and capabilities. Reads the
//! adapters' in-memory health; no provider call is made to answer it.

use async_graphql::{Context, Object, SimpleObject};

use super::scalars::Timestamp;

use crate::domain::{Capability, Provider, ProviderMode};
use crate::providers::Registry;

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
}

/// The state of the provider connections.
#[Object]
impl ProvidersQuery {
    /// Every configured provider, in a fixed order (SENDZEN, ZAVU, SINCH); empty for a
    /// client token.
    async fn providers(&self, ctx: &Context<'_>) -> Vec<ProviderInfo> {
        if super::scope::require_operator(ctx).is_err() {
            return Vec::new(); // provider state is the partner's, not an end customer's
        }
        let Some(registry) = ctx.data_opt::<Registry>() else {
            return Vec::new();
        };
        registry
            .all()
            .into_iter()
            .map(|p| {
                let h = p.health();
                ProviderInfo {
                    provider: p.id(),
                    mode: p.mode(),
                    healthy: h.healthy,
                    last_error: h.last_error,
                    last_sync_at: h.last_sync_at.map(Timestamp),
                    rate_limit_remaining: h.rate_limit_remaining.map(|r| i32::try_from(r).unwrap_or(i32::MAX)),
                    capabilities: p.capabilities().to_vec(),
                }
            })
            .collect()
    }
}
