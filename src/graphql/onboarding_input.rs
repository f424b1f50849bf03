//! Inputs and payloads of the onboarding mutations, and the parsing of
//! `startOnboarding`'s input into a checked request plus its canonical form (the
//! idempotency hash is taken over that form).

use async_graphql::{Enum, InputObject, Json, SimpleObject, ID};
use serde_json::json;

use super::mutation::{ClientInput, UserError};
use super::nodes::{InvitationNode, Node, SenderNode};
use crate::domain::FieldError;
use crate::domain::{ClientDraft, GlobalId, NodeType, OnboardingFlow, Provider};
use crate::onboarding::{ClientRef, SinchParams, StartRequest};

/// Where Sinch hosts the customer's WhatsApp number.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinchRegion {
    /// United States.
    Us,
    /// European Union.
    Eu,
    /// Brazil.
    Br,
}

impl SinchRegion {
    fn as_str(self) -> &'static str {
        match self {
            Self::Us => "US",
            Self::Eu => "EU",
            Self::Br => "BR",
        }
    }
}

/// Who supplies the phone number of a Sinch on-behalf-of sender.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneNumberProvider {
    /// The customer brings its own number (give `phoneNumber`; it is verified by a one-time code).
    Customer,
    /// Sinch supplies a number.
    Sinch,
}

impl PhoneNumberProvider {
    fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "CUSTOMER",
            Self::Sinch => "SINCH",
        }
    }
}

/// How the customer's signup ended, as the partner frontend saw it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnboardingOutcome {
    /// The customer finished (give `wabaId` and `phoneNumberId`).
    Completed,
    /// The customer gave up or the signup failed (give `message`).
    Failed,
}

/// Sinch-specific input of `startOnboarding`.
#[derive(InputObject)]
pub struct SinchOnboardingInput {
    /// Where Sinch hosts the number.
    pub region: SinchRegion,
    /// Meta local storage country (ISO-3166 alpha-2, e.g. `DE`) when the data must stay in
    /// one country; omit otherwise.
    pub meta_local_storage: Option<String>,
    /// EMBEDDED_SIGNUP (default) or ON_BEHALF_OF.
    pub flow: Option<OnboardingFlow>,
    /// On-behalf-of: the customer's legal company name.
    pub company_legal_name: Option<String>,
    /// On-behalf-of (required): the customer's Meta Business Manager id.
    pub client_business_manager_id: Option<String>,
    /// On-behalf-of (required): who supplies the number.
    pub phone_number_provider: Option<PhoneNumberProvider>,
    /// On-behalf-of (required): country calling code, digits only, e.g. `49`.
    pub country_code: Option<String>,
    /// On-behalf-of: the number without country code, digits only (required when the
    /// customer provides the number).
    pub phone_number: Option<String>,
    /// On-behalf-of (required): the WhatsApp display name customers will see.
    pub display_name: Option<String>,
    /// On-behalf-of: the business vertical as Meta names it (e.g. `RETAIL`).
    pub vertical: Option<String>,
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
    pub sinch: Option<SinchOnboardingInput>,
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
    /// The request and its canonical form (for the idempotency hash), or refusals.
    pub(super) fn parse(self) -> Result<(StartRequest, serde_json::Value, Option<String>), Vec<FieldError>> {
        let mut errors = Vec::new();
        let client = client_ref(self.client_id, self.client, &mut errors);
        let sinch = self.sinch.map(SinchParams::from);
        let canonical = json!({
            "client": canonical_client(client.as_ref()), "provider": self.provider.as_str(),
            "expiresInDays": self.expires_in_days, "phoneNumberId": self.phone_number_id,
            "allowedPhoneCountries": self.allowed_phone_countries, "sinch": sinch,
        });
        let found = client.is_some();
        let req = StartRequest {
            // A placeholder when the client was refused, so every other problem is reported too.
            client: client.unwrap_or(ClientRef::Id(0)),
            provider: self.provider,
            expires_in_days: self.expires_in_days,
            phone_number_id: self.phone_number_id,
            allowed_phone_countries: self.allowed_phone_countries,
            sinch,
        };
        errors.extend(req.problems());
        if errors.is_empty() && found {
            Ok((req, canonical, self.idempotency_key))
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

fn canonical_client(client: Option<&ClientRef>) -> serde_json::Value {
    match client {
        Some(ClientRef::Id(id)) => json!({ "id": id }),
        Some(ClientRef::Draft(d)) => json!({ "externalId": d.external_id, "name": d.name, "email": d.email,
            "phone": d.phone, "labels": d.labels }),
        None => serde_json::Value::Null,
    }
}

impl From<SinchOnboardingInput> for SinchParams {
    fn from(s: SinchOnboardingInput) -> Self {
        Self {
            region: s.region.as_str().to_owned(),
            meta_local_storage: s.meta_local_storage,
            flow: s.flow.map(|f| f.as_str().to_owned()),
            company_legal_name: s.company_legal_name,
            client_business_manager_id: s.client_business_manager_id,
            phone_number_provider: s.phone_number_provider.map(|p| p.as_str().to_owned()),
            country_code: s.country_code,
            phone_number: s.phone_number,
            display_name: s.display_name,
            vertical: s.vertical,
        }
    }
}
