//! The adapter of a provider that has no credentials in production mode: it talks to
//! nobody. Every operation answers [`ProviderError::Disabled`] (`PROVIDER_DISABLED`),
//! webhooks never verify, and the `providers` query lists it as `DISABLED`. It exists so
//! the registry still knows every provider and can say why one cannot be used.

use async_trait::async_trait;
use axum::http::HeaderMap;

use super::{ProviderAdapter, ProviderError, ProviderResult, WebhookError};
use crate::domain::{
    Capability, OnboardingRequest, OnboardingStart, Provider, ProviderEvent, ProviderHealth, ProviderMode,
};

/// A provider switched off: no credentials were configured in production mode.
pub struct Disabled {
    id: Provider,
}

impl Disabled {
    /// The disabled adapter for `id`.
    pub fn new(id: Provider) -> Self {
        Self { id }
    }
}

#[async_trait]
impl ProviderAdapter for Disabled {
    fn id(&self) -> Provider {
        self.id
    }
    fn mode(&self) -> ProviderMode {
        ProviderMode::Disabled
    }
    fn capabilities(&self) -> &'static [Capability] {
        &[]
    }
    fn health(&self) -> ProviderHealth {
        ProviderHealth {
            healthy: false,
            last_error: Some("disabled: no credentials configured".to_owned()),
            ..ProviderHealth::default()
        }
    }

    async fn check_credentials(&self) -> ProviderResult<()> {
        Err(ProviderError::Disabled { provider: self.id })
    }

    async fn start_onboarding(&self, _req: OnboardingRequest) -> ProviderResult<OnboardingStart> {
        Err(ProviderError::Disabled { provider: self.id })
    }

    fn verify_webhook(&self, _headers: &HeaderMap, _body: &[u8]) -> Result<Vec<ProviderEvent>, WebhookError> {
        Err(WebhookError::NoSecret)
    }

    /// Every optional operation lands here: disabled, not unsupported.
    fn unsupported(&self, _operation: &'static str) -> ProviderError {
        ProviderError::Disabled { provider: self.id }
    }
}
