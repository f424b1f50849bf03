//! Inputs and payloads of the onboarding mutations, and the parsing of
//! `startOnboarding`'s input into a checked request plus its canonical form (the
//! idempotency hash is taken over that form).

use async_graphql::{Enum, InputObject, Json, SimpleObject, ID};

use super::mutation::{ClientInput, UserError};
use super::nodes::{InvitationNode, Node, SenderNode};
use crate::domain::FieldError;
use crate::domain::{ClientDraft, GlobalId, NodeType, Provider};
use crate::onboarding::{ClientRef, SinchParams, StartRequest};

/// How the customer's signup ended, as the partner frontend saw it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnboardingOutcome {
    /// The customer finished (give `wabaId` and `phoneNumberId`).
    Completed,
    /// The customer gave up or the signup failed (give `message`).
    Failed,
}

/// Input of `startOnboarding`: the client, the provider and that provider's options.
#[derive(InputObject)]
pub struct StartOnboardingInput {
    /// An existing client's `id` (give this or `client`).
    pub client_id: Option<ID>,
    /// Or a client to create (reused when a client with its `externalId` exists).
    pub client: Option<ClientInput>,
    /// The provider to onboard at.
    pub provider: Provider,
    /// Zavu: link lifetime in days, 1 to 30 (default 7).
    pub expires_in_days: Option<i32>,
    /// Zavu: the provider's id of a number the partner already owns, to pre-assign.
    pub phone_number_id: Option<String>,
    /// Zavu: ISO-3166 alpha-2 countries the customer may pick a number from.
    pub allowed_phone_countries: Option<Vec<String>>,
    /// Sinch options (required for SINCH, refused for the others).
    pub sinch: Option<SinchParams>,
    /// Any string of yours: the same key with the same input returns the same invitation
    /// without a second provider call (different input: IDEMPOTENCY_KEY_REUSED).
    pub idempotency_key: Option<String>,
}

/// Input of `completeOnboarding`: the result the partner frontend got (embedded
/// signup ids, or the SendZen iframe's postMessage).
#[derive(InputObject)]
pub struct CompleteOnboardingInput {
    /// The invitation's `id`.
    pub invitation_id: ID,
    /// Meta's WhatsApp Business Account id the signup returned.
    pub waba_id: Option<String>,
    /// Meta's phone number id the signup returned.
    pub phone_number_id: Option<String>,
    /// How it ended: COMPLETED (default) or FAILED. SendZen's iframe posts `completed` or
    /// `failed`: send the upper-case value.
    pub status: Option<OnboardingOutcome>,
    /// Why it failed, in words (kept as the invitation's `failureReason`).
    pub message: Option<String>,
}

/// Result of the invitation mutations: the invitation, or why the input was refused.
#[derive(SimpleObject)]
pub struct InvitationPayload {
    /// The invitation, when the mutation succeeded.
    pub invitation: Option<InvitationNode>,
    /// Why it was refused; empty on success.
    pub user_errors: Vec<UserError>,
    /// What succeeded but needs attention, e.g. `WEBHOOK_URL_INVALID` when SendZen
    /// reports the per-client webhook URL invalid (results then arrive only when the
    /// partner relays them with `completeOnboarding`). Empty when all is well.
    pub warnings: Vec<UserError>,
}

/// Result of `sandboxSimulate`: what the simulator answered, and the invitation as
/// bspgraph stores it now. The change itself follows as the provider's webhook (or by
/// a poll or `refresh`), so `invitation` may still show the previous status.
#[derive(SimpleObject)]
pub struct SandboxSimulatePayload {
    /// The invitation as stored when the simulator answered.
    pub invitation: Option<InvitationNode>,
    /// The provider object's new state, as the simulator reports it.
    pub provider_state: Option<Json<serde_json::Value>>,
    /// SendZen only: the result the iframe posts to the partner's page (`status`,
    /// `waba_id`, `phone_number_id`, `message`); relay it with `completeOnboarding`.
    pub customer_sees: Option<Json<serde_json::Value>>,
    /// Why it was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of the sender mutations: the sender, or why the input was refused.
#[derive(SimpleObject)]
pub struct SenderPayload {
    /// The sender, when the mutation succeeded.
    pub sender: Option<SenderNode>,
    /// Why it was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of `refresh`: the object as just re-read, or why the id was refused.
#[derive(SimpleObject)]
pub struct RefreshPayload {
    /// The object, re-read from its provider where it has something to re-read; null when
    /// the id was refused.
    pub node: Option<Node>,
    /// Why the id was refused (NOT_FOUND); empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of `syncProvider`.
#[derive(SimpleObject)]
pub struct SyncPayload {
    /// The provider synced.
    pub provider: Provider,
    /// Objects found at the provider that bspgraph did not know, now stored.
    pub imported: i32,
    /// Known objects whose status changed.
    pub updated: i32,
    /// Why it was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

impl StartOnboardingInput {
    /// The typed request and the idempotency key, or refusals.
    pub(super) fn parse(self) -> Result<(StartRequest, Option<String>), Vec<FieldError>> {
        let mut errors = Vec::new();
        let client = client_ref(self.client_id, self.client, &mut errors);
        let found = client.is_some();
        let req = StartRequest {
            // A placeholder when the client was refused, so every other problem is reported too.
            client: client.unwrap_or(ClientRef::Id(0)),
            provider: self.provider,
            expires_in_days: self.expires_in_days,
            phone_number_id: self.phone_number_id,
            allowed_phone_countries: self.allowed_phone_countries,
            sinch: self.sinch,
        };
        errors.extend(req.problems());
        if errors.is_empty() && found {
            Ok((req, self.idempotency_key))
        } else {
            Err(errors)
        }
    }
}

/// Exactly one of `clientId` and `client`, decoded and validated.
fn client_ref(id: Option<ID>, client: Option<ClientInput>, errors: &mut Vec<FieldError>) -> Option<ClientRef> {
    match (id, client) {
        (Some(id), None) => match GlobalId::decode_as(&id, NodeType::Client) {
            Ok(id) => Some(ClientRef::Id(id)),
            Err(_) => {
                errors.push(FieldError::at(&["input", "clientId"], "CLIENT_NOT_FOUND", "no client has this id"));
                None
            }
        },
        (None, Some(c)) => {
            let labels = c.labels.map(|j| j.0);
            let parsed =
                ClientDraft::parse(c.external_id.as_deref(), &c.name, c.email.as_deref(), c.phone.as_deref(), labels);
            match parsed {
                Ok(d) => Some(ClientRef::Draft(d)),
                Err(es) => {
                    errors.extend(es.into_iter().map(|e| {
                        let mut r = e;
                        r.field.insert(1, "client".into());
                        r
                    }));
                    None
                }
            }
        }
        _ => {
            errors.push(FieldError::at(&["input", "clientId"], "REQUIRED", "give exactly one of clientId and client"));
            None
        }
    }
}
