//! Unified domain types: the five entities, providers, statuses, ids and input
//! validation. Pure data and rules; this module does no I/O and knows nothing of
//! SQL, HTTP or provider wire formats.

mod entities;
mod id;
mod provider_types;
mod status;
mod validate;

pub use entities::{Client, Event, Invitation, Project, Sender, Waba};
pub use id::{decode_cursor, encode_cursor, CursorKind, GlobalId, IdError};
pub use provider_types::{
    AccountRequest, AppRequest, Capability, HostedInvitationRequest, OnboardingRequest, OnboardingStart, ProviderApp,
    ProviderEvent, ProviderEventKind, ProviderHealth, ProviderInvitation, ProviderMode, ProviderProject,
    ProviderSender, ProviderWaba, Registration, SenderRequest, VerificationMethod, WebhookSubscription,
};
pub use status::{
    ChangeSource, EntityStatus, InvitationStatus, NodeType, OnboardingFlow, Provider, SenderStatus, WabaStatus,
};
pub use validate::{ClientDraft, FieldError};
