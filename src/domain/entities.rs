//! The five unified entities and the event-log entry, as the rest of the program sees
//! them. Provider wire types never appear here; secrets never appear here either
//! (a project only says whether it holds credentials).

use chrono::{DateTime, Utc};
use serde_json::Value as Json;

use super::{ChangeSource, InvitationStatus, NodeType, OnboardingFlow, Provider, SenderStatus, WabaStatus};

/// The partner's end customer being onboarded; owned by bspgraph.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    /// Row id (the global id encodes it).
    pub id: i64,
    /// The partner's own id for this customer, unique when present.
    pub external_id: Option<String>,
    /// Display name, 1 to 200 characters.
    pub name: String,
    /// Contact email, validated at the edge.
    pub email: Option<String>,
    /// Contact phone in E.164.
    pub phone: Option<String>,
    /// Free-form JSON object the partner attaches.
    pub labels: Option<Json>,
    /// When bspgraph created the client.
    pub created_at: DateTime<Utc>,
    /// When the client was last changed.
    pub updated_at: DateTime<Utc>,
}

/// A provider-side container (SendZen project, Zavu project or sub-account, Sinch subproject).
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// Row id.
    pub id: i64,
    /// Owning client, if known.
    pub client_id: Option<i64>,
    /// Which provider holds it.
    pub provider: Provider,
    /// The provider's id for it.
    pub provider_id: String,
    /// Name as the provider reports it.
    pub name: Option<String>,
    /// Whether an encrypted per-customer credential is stored (the value never leaves the store).
    pub has_credentials: bool,
    /// Last raw provider payload.
    pub raw: Option<Json>,
    /// When it was last read from the provider.
    pub synced_at: Option<DateTime<Utc>>,
}

/// One onboarding attempt with a link (or an embedded session) and a lifecycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    /// Row id.
    pub id: i64,
    /// The client being onboarded.
    pub client_id: i64,
    /// Provider-side container, when there is one.
    pub project_id: Option<i64>,
    /// Which provider runs the onboarding.
    pub provider: Provider,
    /// The provider's id; `None` where the provider has no invitation object.
    pub provider_id: Option<String>,
    /// How the customer is taken through it.
    pub flow: OnboardingFlow,
    /// The link handed to the customer (none for embedded signup).
    pub url: Option<String>,
    /// Unified status.
    pub status: InvitationStatus,
    /// The provider's own status text.
    pub provider_status: Option<String>,
    /// Why it failed, in the provider's words.
    pub failure_reason: Option<String>,
    /// When the link stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the customer first opened it.
    pub viewed_at: Option<DateTime<Utc>>,
    /// When the customer started the flow.
    pub started_at: Option<DateTime<Utc>>,
    /// When the onboarding completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// The sender created by the onboarding.
    pub sender_id: Option<i64>,
    /// The WABA connected by the onboarding.
    pub waba_id: Option<i64>,
    /// Last raw provider payload.
    pub raw: Option<Json>,
    /// When it was last read from the provider.
    pub synced_at: Option<DateTime<Utc>>,
    /// When bspgraph created it.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A WhatsApp phone-number sender.
#[derive(Debug, Clone, PartialEq)]
pub struct Sender {
    /// Row id.
    pub id: i64,
    /// Owning client, if known.
    pub client_id: Option<i64>,
    /// Provider-side container.
    pub project_id: Option<i64>,
    /// The WABA the number belongs to.
    pub waba_id: Option<i64>,
    /// Which provider hosts it.
    pub provider: Provider,
    /// The provider's sender id.
    pub provider_id: String,
    /// The number in E.164.
    pub phone_number: Option<String>,
    /// Meta's phone number id, shared by all providers.
    pub phone_number_id: Option<String>,
    /// WhatsApp display name.
    pub display_name: Option<String>,
    /// Unified status.
    pub status: SenderStatus,
    /// The provider's own status text.
    pub provider_status: Option<String>,
    /// Rejection or error reason from the provider.
    pub status_reason: Option<String>,
    /// Hosting region (Sinch).
    pub region: Option<String>,
    /// Meta quality rating.
    pub quality_rating: Option<String>,
    /// Last raw provider payload.
    pub raw: Option<Json>,
    /// When it was last read from the provider.
    pub synced_at: Option<DateTime<Utc>>,
}

/// A WhatsApp Business Account.
#[derive(Debug, Clone, PartialEq)]
pub struct Waba {
    /// Row id.
    pub id: i64,
    /// Owning client, if known.
    pub client_id: Option<i64>,
    /// Provider-side container.
    pub project_id: Option<i64>,
    /// Which provider reported it.
    pub provider: Provider,
    /// Meta's WABA id, shared by all providers.
    pub waba_id: String,
    /// Business name.
    pub name: Option<String>,
    /// Unified status.
    pub status: WabaStatus,
    /// Last raw provider payload.
    pub raw: Option<Json>,
    /// When it was last read from the provider.
    pub synced_at: Option<DateTime<Utc>>,
}

/// One entry of the event log: a field of a node changed from one value to another.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Position in the log; the subscription and `events` cursor.
    pub seq: i64,
    /// When the change was recorded.
    pub at: DateTime<Utc>,
    /// Provider of the changed node.
    pub provider: Provider,
    /// Kind of node that changed.
    pub node_type: NodeType,
    /// Row id of the node that changed.
    pub node_id: i64,
    /// Client the node belongs to (tenant filter for subscriptions).
    pub client_id: Option<i64>,
    /// Which field changed ("status" for status changes).
    pub field: String,
    /// Value before the change, `None` for a new node.
    pub previous_value: Option<String>,
    /// Value after the change.
    pub new_value: String,
    /// What caused it.
    pub source: ChangeSource,
}
