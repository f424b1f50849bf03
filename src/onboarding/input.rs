//! The input of `startOnboarding`, typed: what a type can say (a region, a flow, who
//! supplies the number) is an enum, so only the rest is checked before any provider
//! is called; every problem is reported at once, each with its field path and a stable
//! code. The idempotency hash is taken over this typed request
//! ([`StartRequest::request_hash`]). `SinchParams` is also the GraphQL input
//! `SinchOnboardingInput`: one type, no copy.

use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::FieldError;
use crate::domain::{ClientDraft, OnboardingFlow, Provider};

/// Which client an onboarding is for.
#[derive(Debug, Clone)]
pub enum ClientRef {
    /// An existing client (row id).
    Id(i64),
    /// Create, or reuse by `externalId`.
    Draft(ClientDraft),
}

/// `{"id": ...}` or the draft's fields: the form the idempotency hash is taken over.
impl Serialize for ClientRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct ById {
            id: i64,
        }
        match self {
            Self::Id(id) => ById { id: *id }.serialize(s),
            Self::Draft(d) => d.serialize(s),
        }
    }
}

/// Where Sinch hosts the customer's WhatsApp number.
#[derive(async_graphql::Enum, Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SinchRegion {
    /// United States.
    Us,
    /// European Union.
    #[default]
    Eu,
    /// Brazil.
    Br,
}

impl SinchRegion {
    /// The region as Sinch names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Us => "US",
            Self::Eu => "EU",
            Self::Br => "BR",
        }
    }
}

/// Who supplies the phone number of a Sinch on-behalf-of sender.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PhoneNumberProvider {
    /// The customer brings its own number (give `phoneNumber`; it is verified by a one-time code).
    Customer,
    /// Sinch supplies a number.
    Sinch,
}

impl PhoneNumberProvider {
    /// The value as Sinch names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "CUSTOMER",
            Self::Sinch => "SINCH",
        }
    }
}

// Kept on the invitation (JSON, no secrets) for the later steps. An invitation stored
// without it (seeded sample rows) reads as the default: EU, embedded signup.
/// Sinch-specific input of `startOnboarding`.
#[derive(async_graphql::InputObject, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[graphql(name = "SinchOnboardingInput")]
#[serde(rename_all = "camelCase")]
pub struct SinchParams {
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

impl SinchParams {
    /// Whether this is the on-behalf-of flow.
    pub fn is_on_behalf_of(&self) -> bool {
        self.flow == Some(OnboardingFlow::OnBehalfOf)
    }

    fn validate(&self, errors: &mut Vec<FieldError>) {
        if !self.is_on_behalf_of() {
            return;
        }
        let at = |f: &str| ["input", "sinch", f].map(str::to_owned).to_vec();
        let required = |name: &str| FieldError {
            field: at(name),
            code: "REQUIRED".into(),
            message: format!("{name} is required for ON_BEHALF_OF"),
        };
        for (name, value) in [
            ("clientBusinessManagerId", &self.client_business_manager_id),
            ("countryCode", &self.country_code),
            ("displayName", &self.display_name),
        ] {
            if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
                errors.push(required(name));
            }
        }
        if self.phone_number_provider.is_none() {
            errors.push(required("phoneNumberProvider"));
        }
        let digits = |v: &str| !v.is_empty() && v.len() <= 15 && v.chars().all(|c| c.is_ascii_digit());
        if self.country_code.as_deref().is_some_and(|c| !digits(c)) {
            errors.push(FieldError {
                field: at("countryCode"),
                code: "INVALID_PHONE".into(),
                message: "countryCode must be digits, e.g. 49".into(),
            });
        }
        match self.phone_number.as_deref() {
            Some(n) if !digits(n) => errors.push(FieldError {
                field: at("phoneNumber"),
                code: "INVALID_PHONE".into(),
                message: "phoneNumber must be digits without the country code".into(),
            }),
            None if self.phone_number_provider == Some(PhoneNumberProvider::Customer) => errors.push(FieldError {
                field: at("phoneNumber"),
                code: "REQUIRED".into(),
                message: "phoneNumber is required when the customer provides the number".into(),
            }),
            _ => {}
        }
    }
}

/// A `startOnboarding` request.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartRequest {
    /// The client.
    pub client: ClientRef,
    /// The provider.
    pub provider: Provider,
    /// Zavu: link lifetime, 1..=30 days (default 7).
    pub expires_in_days: Option<i32>,
    /// Zavu: pre-assigned number.
    pub phone_number_id: Option<String>,
    /// Zavu: countries the customer may pick a number from.
    pub allowed_phone_countries: Option<Vec<String>>,
    /// Sinch input.
    pub sinch: Option<SinchParams>,
}

impl StartRequest {
    /// SHA-256 of the request's JSON form with object keys sorted: two requests hash
    /// alike exactly when they ask for the same thing.
    pub fn request_hash(&self) -> String {
        let canonical = serde_json::to_value(self).map(|v| v.to_string()).unwrap_or_default();
        hex::encode(sha2::Sha256::digest(canonical.as_bytes()))
    }

    /// Every problem with this request (empty when it may go to the provider).
    pub fn problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let unsupported = |field: &str| {
            FieldError::at(
                &["input", field],
                "UNSUPPORTED_FOR_PROVIDER",
                format!("{field} is not supported for {}", self.provider),
            )
        };
        if self.provider != Provider::Zavu {
            if self.expires_in_days.is_some() {
                errors.push(unsupported("expiresInDays"));
            }
            if self.phone_number_id.is_some() {
                errors.push(unsupported("phoneNumberId"));
            }
            if self.allowed_phone_countries.is_some() {
                errors.push(unsupported("allowedPhoneCountries"));
            }
        } else if self.expires_in_days.is_some_and(|d| !(1..=30).contains(&d)) {
            errors.push(FieldError::at(
                &["input", "expiresInDays"],
                "EXPIRES_IN_DAYS_OUT_OF_RANGE",
                "expiresInDays must be between 1 and 30",
            ));
        }
        if let Some(countries) = &self.allowed_phone_countries {
            if countries.iter().any(|c| c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_uppercase())) {
                errors.push(FieldError::at(
                    &["input", "allowedPhoneCountries"],
                    "INVALID_COUNTRY",
                    "use ISO-3166 alpha-2 codes such as US",
                ));
            }
        }
        match (&self.sinch, self.provider) {
            (Some(p), Provider::Sinch) => p.validate(&mut errors),
            (None, Provider::Sinch) => {
                errors.push(FieldError::at(&["input", "sinch"], "REQUIRED", "sinch is required for SINCH"))
            }
            (Some(_), _) => errors.push(unsupported("sinch")),
            (None, _) => {}
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sinch_obo() -> StartRequest {
        StartRequest {
            client: ClientRef::Draft(
                ClientDraft::parse(Some("acme-1"), "Acme", Some("ops@acme.test"), None, Some(json!({"b": 1, "a": 2})))
                    .unwrap(),
            ),
            provider: Provider::Sinch,
            expires_in_days: None,
            phone_number_id: None,
            allowed_phone_countries: None,
            sinch: Some(SinchParams {
                region: SinchRegion::Br,
                flow: Some(OnboardingFlow::OnBehalfOf),
                phone_number_provider: Some(PhoneNumberProvider::Customer),
                country_code: Some("55".into()),
                phone_number: Some("11999990000".into()),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn the_hash_is_the_one_keys_stored_before_the_typed_request_carry() {
        // The canonical form the GraphQL layer used to build by hand: a key claimed by an
        // older version still matches the same request after an upgrade.
        let before = json!({
            "client": { "externalId": "acme-1", "name": "Acme", "email": "ops@acme.test", "phone": null,
                        "labels": { "a": 2, "b": 1 } },
            "provider": "SINCH", "expiresInDays": null, "phoneNumberId": null, "allowedPhoneCountries": null,
            "sinch": { "region": "BR", "metaLocalStorage": null, "flow": "ON_BEHALF_OF", "companyLegalName": null,
                       "clientBusinessManagerId": null, "phoneNumberProvider": "CUSTOMER", "countryCode": "55",
                       "phoneNumber": "11999990000", "displayName": null, "vertical": null },
        });
        let expected = hex::encode(sha2::Sha256::digest(before.to_string().as_bytes()));
        assert_eq!(sinch_obo().request_hash(), expected);
    }

    #[test]
    fn another_input_hashes_differently_and_stored_params_read_back() {
        let mut other = sinch_obo();
        other.sinch.as_mut().unwrap().region = SinchRegion::Eu;
        assert_ne!(other.request_hash(), sinch_obo().request_hash());
        let stored = serde_json::to_value(sinch_obo().sinch).unwrap();
        let read: SinchParams = serde_json::from_value(stored).unwrap();
        assert_eq!(Some(read), sinch_obo().sinch);
        let legacy = json!({ "region": "US", "flow": "EMBEDDED_SIGNUP" });
        let read: SinchParams = serde_json::from_value(legacy).unwrap();
        assert_eq!((read.region, read.flow), (SinchRegion::Us, Some(OnboardingFlow::EmbeddedSignup)));
    }
}
