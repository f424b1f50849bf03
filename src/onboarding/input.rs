//! The input of `startOnboarding`, checked before any provider is called: every
//! problem is reported at once, each with its field path and a stable code.

use serde::{Deserialize, Serialize};

use super::FieldError;
use crate::domain::{ClientDraft, Provider};

/// Which client an onboarding is for.
#[derive(Debug, Clone)]
pub enum ClientRef {
    /// An existing client (row id).
    Id(i64),
    /// Create, or reuse by `externalId`.
    Draft(ClientDraft),
}

/// Sinch-specific input (kept on the invitation for the later steps; no secrets).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SinchParams {
    /// `EU`, `US` or `BR`.
    pub region: String,
    /// Meta local storage country.
    pub meta_local_storage: Option<String>,
    /// `EMBEDDED_SIGNUP` (default) or `ON_BEHALF_OF`.
    pub flow: Option<String>,
    /// OBO: legal company name.
    pub company_legal_name: Option<String>,
    /// OBO: the customer's Meta Business Manager id.
    pub client_business_manager_id: Option<String>,
    /// OBO: `CUSTOMER` or `SINCH`.
    pub phone_number_provider: Option<String>,
    /// OBO: country calling code, digits.
    pub country_code: Option<String>,
    /// OBO: number without country code, digits (when the customer provides it).
    pub phone_number: Option<String>,
    /// OBO: WhatsApp display name.
    pub display_name: Option<String>,
    /// OBO: business vertical.
    pub vertical: Option<String>,
}

impl SinchParams {
    /// Whether this is the on-behalf-of flow.
    pub fn is_on_behalf_of(&self) -> bool {
        self.flow.as_deref() == Some("ON_BEHALF_OF")
    }

    fn validate(&self, errors: &mut Vec<FieldError>) {
        let at = |f: &str| ["input", "sinch", f].map(str::to_owned).to_vec();
        if !matches!(self.region.as_str(), "EU" | "US" | "BR") {
            errors.push(FieldError {
                field: at("region"),
                code: "INVALID_REGION".into(),
                message: "region must be EU, US or BR".into(),
            });
        }
        if !self.is_on_behalf_of() {
            return;
        }
        for (name, value) in [
            ("clientBusinessManagerId", &self.client_business_manager_id),
            ("phoneNumberProvider", &self.phone_number_provider),
            ("countryCode", &self.country_code),
            ("displayName", &self.display_name),
        ] {
            if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
                errors.push(FieldError {
                    field: at(name),
                    code: "REQUIRED".into(),
                    message: format!("{name} is required for ON_BEHALF_OF"),
                });
            }
        }
        let digits = |v: &str| !v.is_empty() && v.len() <= 15 && v.chars().all(|c| c.is_ascii_digit());
        let provider = self.phone_number_provider.as_deref().unwrap_or_default();
        if !provider.is_empty() && provider != "CUSTOMER" && provider != "SINCH" {
            errors.push(FieldError {
                field: at("phoneNumberProvider"),
                code: "INVALID_VALUE".into(),
                message: "phoneNumberProvider must be CUSTOMER or SINCH".into(),
            });
        }
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
            None if provider == "CUSTOMER" => errors.push(FieldError {
                field: at("phoneNumber"),
                code: "REQUIRED".into(),
                message: "phoneNumber is required when the customer provides the number".into(),
            }),
            _ => {}
        }
    }
}

/// A `startOnboarding` request.
#[derive(Debug, Clone)]
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
