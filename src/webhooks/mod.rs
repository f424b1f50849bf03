//! Webhook deliveries as the inbox keeps them: [`InboxPayload`] (the provider's event,
//! normalised, stored in `webhook_inbox`) and the [`process`]or that applies stored
//! deliveries. The HTTP side (routes, raw-body verification, the 2xx only after the
//! row is stored) is `web::webhooks`.

pub mod process;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::domain::{ProviderEvent, ProviderEventKind};

pub use process::Processor;

/// A verified event as stored in the inbox: the adapter's unified reading, without
/// secrets (a sender's bearer token is never stored), plus the provider payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboxPayload {
    /// The provider's event type.
    pub event_type: String,
    /// What it means.
    pub event: Normalized,
    /// The provider payload.
    pub raw: Json,
}

/// The unified meaning of an event, serializable.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Normalized {
    /// An invitation changed status (Zavu).
    Invitation {
        /// Provider invitation id.
        invitation_id: String,
        /// New unified status (a placeholder when `status_known` is false).
        status: String,
        /// False for a provider status bspgraph does not know: only kept, never applied.
        #[serde(default = "known")]
        status_known: bool,
        /// Provider status text.
        provider_status: String,
        /// Failure reason.
        failure_reason: Option<String>,
        /// Meta WABA id, when the event carries it (Zavu: on completion, only here).
        #[serde(default)]
        waba_id: Option<String>,
    },
    /// A hosted onboarding finished (SendZen).
    Onboarding {
        /// Our client identifier.
        client_identifier: Option<String>,
        /// Provider project.
        project_id: Option<String>,
        /// Completed, else failed.
        completed: bool,
        /// False for a result status bspgraph does not know: only kept, never applied.
        #[serde(default = "known")]
        status_known: bool,
        /// Provider status text (absent in rows stored before it was kept).
        #[serde(default)]
        provider_status: Option<String>,
        /// Failure message.
        message: Option<String>,
        /// Meta WABA id (on completion).
        #[serde(default)]
        waba_id: Option<String>,
        /// Meta phone-number id (on completion).
        #[serde(default)]
        phone_number_id: Option<String>,
    },
    /// A sender changed (Sinch): a hint, re-read from the provider.
    Sender {
        /// Provider sender id.
        sender_id: String,
        /// Provider project.
        project_id: Option<String>,
        /// Unified status in the payload.
        status: String,
    },
    /// An account changed (Sinch).
    Account {
        /// Meta WABA id.
        waba_id: Option<String>,
        /// Provider project.
        project_id: Option<String>,
        /// Unified status (a placeholder when `status_known` is false).
        status: String,
        /// False for an account state bspgraph does not know: only kept, never applied.
        #[serde(default = "known")]
        status_known: bool,
        /// Provider status text.
        provider_status: Option<String>,
    },
    /// Anything else: stored, nothing to apply.
    Other,
}

impl From<ProviderEvent> for InboxPayload {
    fn from(e: ProviderEvent) -> Self {
        let event = match e.kind {
            ProviderEventKind::InvitationStatus {
                invitation_id,
                status,
                status_known,
                provider_status,
                failure_reason,
                waba_id,
                ..
            } => Normalized::Invitation {
                invitation_id,
                status: status.as_str().to_owned(),
                status_known,
                provider_status,
                failure_reason,
                waba_id,
            },
            ProviderEventKind::OnboardingResult {
                client_identifier,
                project_id,
                completed,
                status_known,
                provider_status,
                message,
                waba_id,
                phone_number_id,
            } => Normalized::Onboarding {
                client_identifier,
                project_id,
                completed,
                status_known,
                provider_status: Some(provider_status),
                message,
                waba_id,
                phone_number_id,
            },
            ProviderEventKind::Sender(s) => {
                Normalized::Sender { sender_id: s.id, project_id: s.project_id, status: s.status.as_str().to_owned() }
            }
            ProviderEventKind::Account(w) => Normalized::Account {
                waba_id: w.waba_id,
                project_id: w.project_id,
                status: w.status.as_str().to_owned(),
                status_known: w.status_known,
                provider_status: w.provider_status,
            },
            ProviderEventKind::Other => Normalized::Other,
        };
        Self { event_type: e.event_type, event, raw: e.raw }
    }
}

/// Rows stored before `status_known` existed held only known statuses.
fn known() -> bool {
    true
}
