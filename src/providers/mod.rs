//! The provider boundary: one narrow [`Provider`] trait, one adapter per BSP
//! (SendZen, Zavu, Sinch) held as `Arc<dyn ProviderAdapter>` in a [`Registry`], one error
//! taxonomy ([`ProviderError`]) and webhook verification.
//!
//! The trait speaks domain types only; each adapter keeps its wire DTOs private to its
//! file. An operation a provider does not have answers [`ProviderError::Unsupported`]
//! (the default body of every optional method), never a panic. The shared HTTP
//! discipline (timeouts, retries, rate limits, auth) lives in [`transport`] (outbound; the inbound GraphQL endpoint is `crate::http`).

mod disabled;
mod error;
pub mod fair;
pub mod sendzen;
mod setup;
pub mod signature;
pub mod sinch;
mod sinch_token;
pub mod transport;
pub mod zavu;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use axum::http::HeaderMap;
use secrecy::SecretString;

pub use disabled::Disabled;
pub use error::{ProviderError, WebhookError};
pub use setup::{build_registry, Built, SandboxCredentials, SANDBOX_CREDENTIALS};

use crate::domain::{
    AppRequest, Capability, OnboardingRequest, OnboardingStart, Provider, ProviderApp, ProviderEvent, ProviderHealth,
    ProviderInvitation, ProviderMode, ProviderProject, ProviderSender, ProviderWaba, Registration, SenderRequest,
    VerificationMethod, WebhookSubscription,
};

/// Result of a provider call.
pub type ProviderResult<T> = Result<T, ProviderError>;

/// One BSP, as the rest of bspgraph sees it. `project` arguments name the provider-side
/// container where the provider scopes objects by project (Sinch subprojects); adapters
/// that do not scope ignore it (`None` means the partner's own project).
#[async_trait]
pub trait ProviderAdapter: Send + Sync {
    /// Which provider this is.
    fn id(&self) -> Provider;
    /// LIVE, SANDBOX or DISABLED.
    fn mode(&self) -> ProviderMode;
    /// What this adapter can do.
    fn capabilities(&self) -> &'static [Capability];
    /// Last call result, last error, last success, rate limit remaining.
    fn health(&self) -> ProviderHealth;

    /// Check the configured credentials with a cheap call (also a health probe).
    async fn check_credentials(&self) -> ProviderResult<()>;

    /// Start an onboarding; each adapter accepts the request variants it supports.
    async fn start_onboarding(&self, req: OnboardingRequest) -> ProviderResult<OnboardingStart>;

    /// Check a per-customer key (SendZen: each customer's own API key).
    async fn check_project_key(&self, _key: &SecretString) -> ProviderResult<()> {
        Err(self.unsupported("check_project_key"))
    }

    /// Read one invitation.
    async fn get_invitation(&self, _id: &str) -> ProviderResult<ProviderInvitation> {
        Err(self.unsupported("get_invitation"))
    }
    /// Every invitation, all pages.
    async fn list_invitations(&self) -> ProviderResult<Vec<ProviderInvitation>> {
        Err(self.unsupported("list_invitations"))
    }
    /// Cancel an invitation at the provider.
    async fn cancel_invitation(&self, _id: &str) -> ProviderResult<ProviderInvitation> {
        Err(self.unsupported("cancel_invitation"))
    }

    /// Read one sender.
    async fn get_sender(&self, _project: Option<&str>, _id: &str) -> ProviderResult<ProviderSender> {
        Err(self.unsupported("get_sender"))
    }
    /// Every sender, all pages.
    async fn list_senders(&self, _project: Option<&str>) -> ProviderResult<Vec<ProviderSender>> {
        Err(self.unsupported("list_senders"))
    }
    /// Create a sender (never retried blindly: a timeout is `UncertainCreate`).
    async fn create_sender(&self, _req: SenderRequest) -> ProviderResult<ProviderSender> {
        Err(self.unsupported("create_sender"))
    }
    /// Ask for a verification code for a sender awaiting verification.
    async fn register_sender(
        &self,
        _project: &str,
        _id: &str,
        _method: VerificationMethod,
    ) -> ProviderResult<Registration> {
        Err(self.unsupported("register_sender"))
    }
    /// Submit the verification code.
    async fn verify_sender(&self, _project: &str, _id: &str, _code: &str) -> ProviderResult<()> {
        Err(self.unsupported("verify_sender"))
    }
    /// Delete a sender.
    async fn delete_sender(&self, _project: &str, _id: &str) -> ProviderResult<()> {
        Err(self.unsupported("delete_sender"))
    }

    /// The WhatsApp account (WABA) of a project.
    async fn get_waba(&self, _project: &str) -> ProviderResult<ProviderWaba> {
        Err(self.unsupported("get_waba"))
    }
    /// Every WABA the provider reports.
    async fn list_wabas(&self) -> ProviderResult<Vec<ProviderWaba>> {
        Err(self.unsupported("list_wabas"))
    }
    /// Every provider-side project, all pages.
    async fn list_projects(&self) -> ProviderResult<Vec<ProviderProject>> {
        Err(self.unsupported("list_projects"))
    }
    /// Create the messaging app for an active sender.
    async fn create_app(&self, _req: AppRequest) -> ProviderResult<ProviderApp> {
        Err(self.unsupported("create_app"))
    }
    /// Point the provider's webhooks for `project` at `target`.
    async fn configure_webhook(&self, _project: Option<&str>, _target: &str) -> ProviderResult<WebhookSubscription> {
        Err(self.unsupported("configure_webhook"))
    }

    /// Accept `secret` for webhook signatures next to the configured ones: a secret the
    /// provider issued when bspgraph registered its URL (Zavu), read back sealed from the
    /// database at startup. Providers that issue none ignore it.
    fn adopt_webhook_secret(&self, _secret: SecretString) {}

    /// Whether registering a webhook needs a secret bspgraph must make first (Sinch takes
    /// the signing secret from the registrant; none was configured or made yet).
    fn needs_webhook_secret(&self) -> bool {
        false
    }

    /// Verify a delivery's signature over the raw bytes, then parse it into events.
    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<Vec<ProviderEvent>, WebhookError>;

    /// The error for an operation this provider does not have.
    fn unsupported(&self, operation: &'static str) -> ProviderError {
        ProviderError::Unsupported { provider: self.id(), operation }
    }

    /// Whether this adapter has `capability`.
    fn can(&self, capability: Capability) -> bool {
        self.capabilities().contains(&capability)
    }
}

/// The adapters, keyed by provider. Cheap to clone.
#[derive(Clone, Default)]
pub struct Registry {
    adapters: BTreeMap<&'static str, Arc<dyn ProviderAdapter>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) an adapter.
    pub fn insert(&mut self, adapter: Arc<dyn ProviderAdapter>) {
        self.adapters.insert(adapter.id().as_str(), adapter);
    }

    /// The adapter for `provider`.
    pub fn get(&self, provider: Provider) -> Option<Arc<dyn ProviderAdapter>> {
        self.adapters.get(provider.as_str()).cloned()
    }

    /// The adapter for `provider`, ready for a call: `Disabled` when the provider is
    /// switched off (production without credentials), `Unsupported` when none is registered.
    /// Every provider operation of the flows, the poller and the processor goes through here.
    pub fn require(&self, provider: Provider) -> ProviderResult<Arc<dyn ProviderAdapter>> {
        match self.get(provider) {
            Some(a) if a.mode() == ProviderMode::Disabled => Err(ProviderError::Disabled { provider }),
            Some(a) => Ok(a),
            None => Err(ProviderError::Unsupported { provider, operation: "provider not configured" }),
        }
    }

    /// Whether `provider` is registered and not disabled.
    pub fn enabled(&self, provider: Provider) -> bool {
        self.require(provider).is_ok()
    }

    /// Every adapter, in `Provider` declaration order.
    pub fn all(&self) -> Vec<Arc<dyn ProviderAdapter>> {
        Provider::ALL.iter().filter_map(|p| self.get(*p)).collect()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.adapters.keys()).finish()
    }
}
