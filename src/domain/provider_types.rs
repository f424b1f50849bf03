//! What the provider adapters hand to the rest of the program: provider-side objects
//! (invitations, senders, projects, WABAs, apps) and webhook events, already mapped
//! to unified statuses. These are domain types: no provider wire names or casing
//! leak through them, and secrets travel only as [`SecretString`].

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde_json::Value as Json;

use super::{InvitationStatus, SenderStatus, WabaStatus};

/// Whether an adapter talks to the real provider or to its simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum ProviderMode {
    /// Credentials are configured: the real provider API.
    Live,
    /// No credentials: the embedded simulator (dev mode only).
    Sandbox,
    /// No credentials in production mode: every operation and webhook is refused.
    Disabled,
}

/// Something bspgraph can do with a provider; listed in `ProviderInfo.capabilities`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum Capability {
    /// A hosted onboarding link the customer opens (Zavu invitation, SendZen iframe).
    HostedLink,
    /// The provider can cancel an invitation itself.
    CancelInvitation,
    /// Invitations can be listed at the provider (for sync).
    ListInvitations,
    /// An invitation can carry a number the partner already owns (Zavu: `phoneNumberId` of `startOnboarding`).
    PreassignedNumber,
    /// Meta embedded signup run by the partner frontend (Sinch).
    EmbeddedSignup,
    /// The partner creates the WhatsApp Business Account on behalf of the customer (Sinch).
    OnBehalfOf,
    /// Senders need a one-time-code registration and verification step (Sinch on-behalf-of).
    SenderVerification,
    /// Senders can be read and listed.
    Senders,
    /// Provider-side projects can be listed.
    Projects,
    /// WhatsApp Business Accounts can be read.
    Wabas,
    /// bspgraph creates a messaging app for each sender (Sinch Conversation API).
    MessagingApp,
    /// bspgraph can register its webhook URL at the provider through the provider's API.
    WebhookConfig,
}

impl Capability {
    /// The SCREAMING_CASE name shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HostedLink => "HOSTED_LINK",
            Self::CancelInvitation => "CANCEL_INVITATION",
            Self::ListInvitations => "LIST_INVITATIONS",
            Self::PreassignedNumber => "PREASSIGNED_NUMBER",
            Self::EmbeddedSignup => "EMBEDDED_SIGNUP",
            Self::OnBehalfOf => "ON_BEHALF_OF",
            Self::SenderVerification => "SENDER_VERIFICATION",
            Self::Senders => "SENDERS",
            Self::Projects => "PROJECTS",
            Self::Wabas => "WABAS",
            Self::MessagingApp => "MESSAGING_APP",
            Self::WebhookConfig => "WEBHOOK_CONFIG",
        }
    }
}

/// How a sender's one-time code is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum VerificationMethod {
    /// Text message.
    Sms,
    /// Phone call.
    Voice,
}

/// Zavu invitation input (all optional at the provider; validated by the caller).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostedInvitationRequest {
    /// Customer name shown on the invitation (<= 100 chars).
    pub client_name: Option<String>,
    /// Customer email.
    pub client_email: Option<String>,
    /// Customer phone, E.164.
    pub client_phone: Option<String>,
    /// A provider number to pre-assign (Zavu `pn_...`).
    pub phone_number_id: Option<String>,
    /// Link lifetime in days, 1..=30 (provider default 7).
    pub expires_in_days: Option<u32>,
    /// ISO-3166 alpha-2 codes the customer may pick a number from.
    pub allowed_phone_countries: Option<Vec<String>>,
}

/// Sinch on-behalf-of account input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountRequest {
    /// The customer's (sub)project at Sinch.
    pub project_id: String,
    /// The customer's Meta Business Manager id.
    pub client_business_manager_id: String,
    /// Legal company name (deprecated form of the request).
    pub company_legal_name: Option<String>,
    /// WABA name (partner-initiated form).
    pub waba_name: Option<String>,
}

/// One way to start an onboarding; each adapter accepts the variants it supports.
#[derive(Debug, Clone, PartialEq)]
pub enum OnboardingRequest {
    /// Zavu: create a hosted invitation.
    HostedInvitation(HostedInvitationRequest),
    /// SendZen: partner onboard; returns an iframe URL and the customer's project + key.
    PartnerOnboard {
        /// Our id for the customer (SendZen `client_identifier`).
        client_identifier: String,
        /// Where the provider sends this customer's webhooks.
        webhook_url: Option<String>,
    },
    /// Sinch embedded signup: create the customer's subproject.
    EmbeddedSignupProject {
        /// Subproject display name.
        display_name: String,
        /// Labels; carry the bspgraph client id.
        labels: Vec<(String, String)>,
    },
    /// Sinch on-behalf-of: create the WhatsApp account in the customer's project.
    OnBehalfOfAccount(AccountRequest),
}

/// What starting an onboarding produced at the provider.
#[derive(Debug, Clone)]
pub struct OnboardingStart {
    /// A provider invitation (Zavu) or a synthesized one (SendZen iframe).
    pub invitation: Option<ProviderInvitation>,
    /// The provider-side project created or reused (SendZen project, Sinch subproject).
    pub project: Option<ProviderProject>,
    /// The WhatsApp account created (Sinch OBO).
    pub waba: Option<ProviderWaba>,
}

/// An invitation as the provider reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderInvitation {
    /// Provider id (`None` for synthesized sessions such as SendZen's iframe).
    pub id: Option<String>,
    /// The link for the customer.
    pub url: Option<String>,
    /// Unified status (expiry already applied).
    pub status: InvitationStatus,
    /// False when the provider reported a status this adapter does not know: `status`
    /// is then only a placeholder and a stored row's unified status must stay as it is
    /// (the text is still kept as `provider_status`).
    pub status_known: bool,
    /// The provider's own status text.
    pub provider_status: Option<String>,
    /// Why it failed (provider code such as `fb_cancelled`).
    pub failure_reason: Option<String>,
    /// Customer name echoed by the provider.
    pub client_name: Option<String>,
    /// Customer email echoed by the provider.
    pub client_email: Option<String>,
    /// Customer phone echoed by the provider.
    pub client_phone: Option<String>,
    /// Pre-assigned provider number id.
    pub phone_number_id: Option<String>,
    /// Provider sender id, once completed.
    pub sender_id: Option<String>,
    /// Meta phone-number id of the connected account, once completed.
    pub meta_phone_number_id: Option<String>,
    /// Channel the invitation connects (`whatsapp_waba`, `messenger`).
    pub connection_type: Option<String>,
    /// When the provider created it.
    pub created_at: Option<DateTime<Utc>>,
    /// When the link stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the customer opened it.
    pub viewed_at: Option<DateTime<Utc>>,
    /// When the customer started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// When it failed.
    pub failed_at: Option<DateTime<Utc>>,
    /// The provider payload, secrets removed.
    pub raw: Json,
}

/// A sender as the provider reports it.
#[derive(Debug, Clone)]
pub struct ProviderSender {
    /// Provider sender id.
    pub id: String,
    /// Provider project it lives in, where the provider scopes senders.
    pub project_id: Option<String>,
    /// Number in E.164.
    pub phone_number: Option<String>,
    /// Meta phone-number id.
    pub phone_number_id: Option<String>,
    /// Meta WABA id, where the payload carries it.
    pub waba_id: Option<String>,
    /// WhatsApp display name.
    pub display_name: Option<String>,
    /// Unified status.
    pub status: SenderStatus,
    /// False when the provider reported a status this adapter does not know: `status`
    /// is then only a placeholder and a stored row's unified status must stay as it is
    /// (the text is still kept as `provider_status`).
    pub status_known: bool,
    /// The provider's own status text (`state` or `changes.status`).
    pub provider_status: Option<String>,
    /// Rejection or error reason.
    pub status_reason: Option<String>,
    /// Hosting region (`EU`, `US`, `BR`).
    pub region: Option<String>,
    /// Meta quality rating.
    pub quality_rating: Option<String>,
    /// Token needed to link the sender to a messaging app (Sinch `bearerToken`).
    pub bearer_token: Option<SecretString>,
    /// The provider payload, secrets removed.
    pub raw: Json,
}

/// Sender creation input (Sinch).
#[derive(Debug, Clone, PartialEq)]
pub enum SenderRequest {
    /// After Meta embedded signup: the WABA and number the customer picked.
    EmbeddedSignup {
        /// Customer (sub)project.
        project_id: String,
        /// `EU`, `US` or `BR`.
        region: String,
        /// Meta local storage country (`DE`, ...).
        meta_local_storage: Option<String>,
        /// Meta WABA id.
        waba_id: String,
        /// Meta phone-number id.
        phone_number_id: String,
    },
    /// On-behalf-of: the partner describes the sender.
    OnBehalfOf {
        /// Customer (sub)project.
        project_id: String,
        /// `EU`, `US` or `BR`.
        region: String,
        /// Meta local storage country.
        meta_local_storage: Option<String>,
        /// `CUSTOMER` or `SINCH`.
        phone_number_provider: String,
        /// Country calling code (`49`).
        country_code: String,
        /// Number without country code (required when the customer provides it).
        phone_number: Option<String>,
        /// WhatsApp display name.
        display_name: String,
        /// Business vertical.
        vertical: Option<String>,
    },
}

/// Result of asking for a verification code.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    /// Sender id.
    pub sender_id: String,
    /// How the code is delivered.
    pub method: VerificationMethod,
    /// False when the number was already registered (no code sent).
    pub code_sent: bool,
}

/// A provider-side project (SendZen project, Sinch subproject, Zavu project).
#[derive(Debug, Clone)]
pub struct ProviderProject {
    /// Provider id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Parent project, for subprojects.
    pub parent_id: Option<String>,
    /// Labels (`aggregatorClientId`, ...).
    pub labels: Vec<(String, String)>,
    /// Per-customer API key, only on creation (SendZen).
    pub api_key: Option<SecretString>,
    /// The provider payload, secrets removed.
    pub raw: Json,
}

/// A WABA / WhatsApp account as the provider reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderWaba {
    /// Meta WABA id, once known.
    pub waba_id: Option<String>,
    /// Provider project it belongs to.
    pub project_id: Option<String>,
    /// Business / WABA name.
    pub name: Option<String>,
    /// Unified status.
    pub status: WabaStatus,
    /// False when the provider reported a status this adapter does not know: `status`
    /// is then only a placeholder and a stored row's unified status must stay as it is
    /// (the text is still kept as `provider_status`).
    pub status_known: bool,
    /// The provider's own status text.
    pub provider_status: Option<String>,
    /// The provider payload.
    pub raw: Json,
}

/// Messaging app creation input (Sinch Conversation API).
#[derive(Debug, Clone)]
pub struct AppRequest {
    /// Customer (sub)project.
    pub project_id: String,
    /// Sender region; picks the regional host.
    pub region: String,
    /// App display name.
    pub display_name: String,
    /// The sender the app sends through.
    pub sender_id: String,
    /// The sender's bearer token.
    pub bearer_token: SecretString,
}

/// A messaging app.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderApp {
    /// Provider app id.
    pub id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Channel state (`PENDING`, `ACTIVE`, `FAILING`).
    pub channel_status: Option<String>,
    /// The provider payload.
    pub raw: Json,
}

/// A webhook subscription at the provider.
#[derive(Debug, Clone)]
pub struct WebhookSubscription {
    /// Provider id, where it has one.
    pub id: Option<String>,
    /// Target URL.
    pub target: String,
    /// Events / triggers.
    pub events: Vec<String>,
    /// Signing secret, when the provider issues it (Zavu `whsec_...`).
    pub secret: Option<SecretString>,
}

/// A verified webhook delivery, split into events.
#[derive(Debug, Clone)]
pub struct ProviderEvent {
    /// Dedupe key: the provider's event id, nonce, or a hash of the signed content.
    pub event_id: String,
    /// The provider's event type (`invitation.status_changed`, `WHATSAPP_SENDER_ACTIVE`, ...).
    pub event_type: String,
    /// When the provider says it happened.
    pub occurred_at: Option<DateTime<Utc>>,
    /// What it means.
    pub kind: ProviderEventKind,
    /// The payload.
    pub raw: Json,
}

/// The unified meaning of a provider event.
#[derive(Debug, Clone)]
pub enum ProviderEventKind {
    /// An invitation changed status (Zavu).
    InvitationStatus {
        /// Provider invitation id.
        invitation_id: String,
        /// Previous unified status.
        previous: Option<InvitationStatus>,
        /// New unified status (a placeholder when `status_known` is false).
        status: InvitationStatus,
        /// False for a provider status this adapter does not know: nothing moves.
        status_known: bool,
        /// The provider's status text.
        provider_status: String,
        /// Sender created on completion.
        sender_id: Option<String>,
        /// Meta WABA id on completion.
        waba_id: Option<String>,
        /// Meta phone-number id on completion.
        phone_number_id: Option<String>,
        /// Failure reason code.
        failure_reason: Option<String>,
    },
    /// A hosted onboarding finished (SendZen).
    OnboardingResult {
        /// Our client identifier.
        client_identifier: Option<String>,
        /// Provider project.
        project_id: Option<String>,
        /// Whether it completed (else failed).
        completed: bool,
        /// False for a result status this adapter does not know: nothing moves.
        status_known: bool,
        /// The provider's status text (`completed`, `failed`, or an unknown one).
        provider_status: String,
        /// Meta WABA id.
        waba_id: Option<String>,
        /// Meta phone-number id.
        phone_number_id: Option<String>,
        /// Failure message.
        message: Option<String>,
    },
    /// A sender changed (Sinch `WHATSAPP_SENDER_*`).
    Sender(Box<ProviderSender>),
    /// An account changed (Sinch `WHATSAPP_ACCOUNT_*`).
    Account(ProviderWaba),
    /// Anything else (messages, templates, comments): kept raw.
    Other,
}

/// Where an adapter stands, for the `providers` query.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderHealth {
    /// The last call reached the provider and was answered sensibly.
    pub healthy: bool,
    /// The last failure, safe to show (no secrets or URLs).
    pub last_error: Option<String>,
    /// When a call last succeeded.
    pub last_sync_at: Option<DateTime<Utc>>,
    /// The provider's remaining request budget, where it says.
    pub rate_limit_remaining: Option<i64>,
}

impl Default for ProviderHealth {
    fn default() -> Self {
        Self { healthy: true, last_error: None, last_sync_at: None, rate_limit_remaining: None }
    }
}
