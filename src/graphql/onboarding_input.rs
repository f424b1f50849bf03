//! Inputs and payloads of the onboarding mutations, and the parsing of
//! `startOnboarding`'s input into a checked request plus its canonical form (the
//! idempotency hash is taken over that form).

use async_graphql::{InputObject, SimpleObject, ID};
use serde_json::json;

use super::mutation::{ClientInput, UserError};
use super::nodes::{InvitationNode, SenderNode};
use crate::domain::{ClientDraft, GlobalId, NodeType, OnboardingFlow, Provider};
use crate::onboarding::{ClientRef, Refusal, SinchParams, StartRequest};

/// Sinch-specific input of `startOnboarding`.
#[derive(InputObject)]
pub struct SinchOnboardingInput {
    /// `EU`, `US` or `BR`.
    pub region: String,
    /// Meta local storage country, e.g. `DE`.
    pub meta_local_storage: Option<String>,
    /// `EMBEDDED_SIGNUP` (default) or `ON_BEHALF_OF`.
    pub flow: Option<OnboardingFlow>,
    /// On-behalf-of: legal company name.
    pub company_legal_name: Option<String>,
    /// On-behalf-of: the customer's Meta Business Manager id.
    pub client_business_manager_id: Option<String>,
    /// On-behalf-of: `CUSTOMER` or `SINCH`.
    pub phone_number_provider: Option<String>,
    /// On-behalf-of: country calling code, e.g. `49`.
    pub country_code: Option<String>,
    /// On-behalf-of: number without country code (when the customer provides it).
    pub phone_number: Option<String>,
    /// On-behalf-of: WhatsApp display name.
    pub display_name: Option<String>,
    /// On-behalf-of: business vertical.
    pub vertical: Option<String>,
}

/// Input of `startOnboarding`.
#[derive(InputObject)]
pub struct StartOnboardingInput {
    /// An existing client.
    pub client_id: Option<ID>,
    /// Or a client to create (reused when its `externalId` exists).
    pub client: Option<ClientInput>,
    /// The provider.
    pub provider: Provider,
    /// Zavu: link lifetime in days, 1..30 (default 7).
    pub expires_in_days: Option<i32>,
    /// Zavu: pre-assigned provider number id.
    pub phone_number_id: Option<String>,
    /// Zavu: ISO-3166 alpha-2 countries the customer may pick a number from.
    pub allowed_phone_countries: Option<Vec<String>>,
    /// Sinch input.
    pub sinch: Option<SinchOnboardingInput>,
    /// Same key + same input: the same invitation, no second provider call.
    pub idempotency_key: Option<String>,
}

/// Input of `completeOnboarding`: the result the partner frontend got (embedded
/// signup ids, or the SendZen iframe's postMessage).
#[derive(InputObject)]
pub struct CompleteOnboardingInput {
    /// The invitation.
    pub invitation_id: ID,
    /// Meta WABA id.
    pub waba_id: Option<String>,
    /// Meta phone-number id.
    pub phone_number_id: Option<String>,
    /// `completed` (default) or `failed` (SendZen iframe result, or an abandoned embedded signup).
    pub status: Option<String>,
    /// Why it failed (kept as the failure reason).
    pub message: Option<String>,
}

/// Result of the invitation mutations.
#[derive(SimpleObject)]
pub struct InvitationPayload {
    /// The invitation, when the mutation succeeded.
    pub invitation: Option<InvitationNode>,
    /// Why it was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of the sender mutations.
#[derive(SimpleObject)]
pub struct SenderPayload {
    /// The sender, when the mutation succeeded.
    pub sender: Option<SenderNode>,
    /// Why it was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of `syncProvider`.
#[derive(SimpleObject)]
pub struct SyncPayload {
    /// The provider synced.
    pub provider: Provider,
    /// Rows created.
    pub imported: i32,
    /// Existing rows whose status changed.
    pub updated: i32,
    /// Why it was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

impl StartOnboardingInput {
    /// The request and its canonical form (for the idempotency hash), or refusals.
    pub(super) fn parse(self) -> Result<(StartRequest, serde_json::Value, Option<String>), Vec<Refusal>> {
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
fn client_ref(id: Option<ID>, client: Option<ClientInput>, errors: &mut Vec<Refusal>) -> Option<ClientRef> {
    match (id, client) {
        (Some(id), None) => match GlobalId::decode_as(&id, NodeType::Client) {
            Ok(id) => Some(ClientRef::Id(id)),
            Err(_) => {
                errors.push(Refusal::new(&["input", "clientId"], "CLIENT_NOT_FOUND", "no client has this id"));
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
                        let mut r = Refusal::from(e);
                        r.field.insert(1, "client".into());
                        r
                    }));
                    None
                }
            }
        }
        _ => {
            errors.push(Refusal::new(&["input", "clientId"], "REQUIRED", "give exactly one of clientId and client"));
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
            region: s.region,
            meta_local_storage: s.meta_local_storage,
            flow: s.flow.map(|f| f.as_str().to_owned()),
            company_legal_name: s.company_legal_name,
            client_business_manager_id: s.client_business_manager_id,
            phone_number_provider: s.phone_number_provider,
            country_code: s.country_code,
            phone_number: s.phone_number,
            display_name: s.display_name,
            vertical: s.vertical,
        }
    }
}
