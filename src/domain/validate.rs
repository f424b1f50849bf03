//! Validation of client input at the edge: everything that reaches the store has
//! been checked here, and each refusal names the field and a stable code.

use serde_json::Value as Json;

/// One refused input field: the path of the field, a message for humans and a
/// stable machine-readable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the offending field inside the input, e.g. `["input", "phone"]`.
    pub field: Vec<String>,
    /// What is wrong, for humans.
    pub message: String,
    /// Stable code, e.g. `INVALID_PHONE` (ours, or a provider's own for its rejections).
    pub code: String,
}

impl FieldError {
    /// A refusal of `field` (relative to the mutation's `input` argument).
    pub fn new(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::at(&["input", field], code, message)
    }

    /// A refusal of the field at `path` (e.g. `["input", "expiresInDays"]`).
    pub fn at(path: &[&str], code: &str, message: impl Into<String>) -> Self {
        Self { field: path.iter().map(|s| (*s).to_owned()).collect(), message: message.into(), code: code.to_owned() }
    }
}

/// A validated client: what `createClient` stores and `updateClient` writes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientDraft {
    /// The partner's own id, trimmed.
    pub external_id: Option<String>,
    /// Display name, trimmed.
    pub name: String,
    /// Email, trimmed and lower-cased domain.
    pub email: Option<String>,
    /// Phone in E.164.
    pub phone: Option<String>,
    /// A JSON object.
    pub labels: Option<Json>,
}

const MAX_NAME: usize = 200;
const MAX_EXTERNAL_ID: usize = 128;
const MAX_LABELS_BYTES: usize = 8 * 1024;

impl ClientDraft {
    /// Check raw input, returning every problem at once.
    pub fn parse(
        external_id: Option<&str>,
        name: &str,
        email: Option<&str>,
        phone: Option<&str>,
        labels: Option<Json>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            errors.push(FieldError::new("name", "INVALID_NAME", format!("name must be 1 to {MAX_NAME} characters")));
        }
        let external_id = non_empty(external_id);
        if let Some(ext) = external_id {
            if ext.chars().count() > MAX_EXTERNAL_ID || ext.chars().any(char::is_control) {
                errors.push(FieldError::new(
                    "externalId",
                    "INVALID_EXTERNAL_ID",
                    format!("externalId must be 1 to {MAX_EXTERNAL_ID} printable characters"),
                ));
            }
        }
        let email = non_empty(email);
        if email.is_some_and(|e| !is_email(e)) {
            errors.push(FieldError::new("email", "INVALID_EMAIL", "email must look like name@example.com"));
        }
        let phone = non_empty(phone);
        if phone.is_some_and(|p| !is_e164(p)) {
            errors.push(FieldError::new("phone", "INVALID_PHONE", "phone must be in E.164 form, e.g. +14155550123"));
        }
        if let Some(l) = &labels {
            if !l.is_object() || l.to_string().len() > MAX_LABELS_BYTES {
                errors.push(FieldError::new(
                    "labels",
                    "INVALID_LABELS",
                    format!("labels must be a JSON object of at most {MAX_LABELS_BYTES} bytes"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            external_id: external_id.map(str::to_owned),
            name: name.to_owned(),
            email: email.map(normalize_email),
            phone: phone.map(str::to_owned),
            labels,
        })
    }
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// E.164: a `+`, a non-zero country digit, at most 15 digits in all (we require 8 or more).
pub fn is_e164(phone: &str) -> bool {
    let Some(digits) = phone.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

/// A deliberately plain email check: one `@`, a non-empty local part, a dotted domain,
/// no whitespace, at most 254 bytes. Deliverability is the provider's concern.
pub fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

fn normalize_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
        None => email.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_must_be_e164() {
        assert!(is_e164("+14155550123"));
        for bad in ["14155550123", "+0123456789", "+1 415 555", "+1234567", "+1234567890123456", "+1415555012a"] {
            assert!(!is_e164(bad), "{bad}");
        }
    }

    #[test]
    fn every_problem_is_reported_with_its_field_and_code() {
        let errors = ClientDraft::parse(Some("x"), " ", Some("nope"), Some("555"), Some(Json::Bool(true)))
            .expect_err("invalid input");
        let codes: Vec<_> = errors.iter().map(|e| (e.field[1].as_str(), e.code.as_str())).collect();
        assert_eq!(
            codes,
            [
                ("name", "INVALID_NAME"),
                ("email", "INVALID_EMAIL"),
                ("phone", "INVALID_PHONE"),
                ("labels", "INVALID_LABELS")
            ]
        );
    }

    #[test]
    fn valid_input_is_trimmed_and_normalized() {
        let draft = ClientDraft::parse(Some(" acme-1 "), " Acme ", Some("Ops@ACME.io"), Some("+14155550123"), None)
            .expect("valid input");
        assert_eq!(draft.external_id.as_deref(), Some("acme-1"));
        assert_eq!(draft.name, "Acme");
        assert_eq!(draft.email.as_deref(), Some("Ops@acme.io"));
    }
}
