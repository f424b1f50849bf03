//! Sinch wire shapes and their mapping to domain types (private to the adapter):
//! error bodies (provisioning `{errorCode,message}`, subprojects/conversation
//! `{error:{code,message,status}}`, token `{error,error_description}`), senders,
//! accounts, subprojects, apps, and callback verification + parsing.

use base64::Engine;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::domain::{
    ProviderApp, ProviderEvent, ProviderEventKind, ProviderProject, ProviderSender, ProviderWaba, SenderRequest,
    SenderStatus, WabaStatus, WebhookSubscription,
};
use crate::providers::signature::{body_digest, candidates, check_window, matches_any, usable};
use crate::providers::{ProviderError, ProviderResult, WebhookError};

use super::ID;

pub fn parse_error(body: &[u8]) -> (Option<String>, String) {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let s = |v: &Value| v.as_str().map(str::to_owned);
    if let Some(code) = s(&v["errorCode"]) {
        return (Some(code), s(&v["message"]).unwrap_or_default());
    }
    if v["error"].is_object() {
        let e = &v["error"];
        let code = s(&e["status"]).or_else(|| e["code"].as_i64().map(|c| c.to_string()));
        return (code, s(&e["message"]).unwrap_or_default());
    }
    if let Some(code) = s(&v["error"]) {
        return (Some(code), s(&v["error_description"]).unwrap_or_default());
    }
    (None, String::from_utf8_lossy(body).chars().take(200).collect())
}

fn decode(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Decode { provider: ID, message: e.to_string() }
}

fn text(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Unified sender status (reference 4.3): `state` when settled, else `changes.status`.
/// `None` when either is a value this adapter does not know (kept, never applied).
fn sender_status(state: Option<&str>, change: Option<&str>, deleted: bool) -> Option<SenderStatus> {
    if deleted {
        return Some(SenderStatus::Deleted);
    }
    Some(match (state, change) {
        (Some("ACTIVE"), _) => SenderStatus::Active,
        (Some("PENDING_VERIFICATION"), _) => SenderStatus::PendingVerification,
        (Some("INACTIVE"), _) => SenderStatus::Inactive,
        (Some("SUSPENDED"), _) => SenderStatus::Suspended,
        (Some("ERROR"), _) | (None, Some("ERROR" | "MULTIPLE_WABA_ERROR")) => SenderStatus::Error,
        (None, Some("REJECTED")) => SenderStatus::Rejected,
        (Some("IN_PROGRESS"), _) | (None, Some("IN_PROGRESS" | "DRAFT") | None) => SenderStatus::Provisioning,
        _ => return None,
    })
}

/// A `WhatsappSenderDto`; the `bearerToken` moves into a secret and out of `raw`.
pub fn sender(mut raw: Value, project: Option<&str>) -> ProviderResult<ProviderSender> {
    let id = text(&raw["id"]).ok_or_else(|| decode("sender without id"))?;
    let bearer = raw
        .as_object_mut()
        .and_then(|o| o.remove("bearerToken"))
        .and_then(|t| t.as_str().map(|s| SecretString::from(s.to_owned())));
    let state = raw["state"].as_str();
    let change = raw["changes"]["status"].as_str();
    let deleted = raw["region"] == "UNRECOGNIZED"
        && state.is_none()
        && raw["compatibleRegions"].as_array().is_some_and(Vec::is_empty);
    let phone = match (text(&raw["countryCode"]), text(&raw["phoneNumber"])) {
        (Some(cc), Some(n)) => Some(format!("+{}{n}", cc.trim_start_matches('+'))),
        _ => None,
    };
    Ok(ProviderSender {
        id,
        project_id: project.map(str::to_owned),
        phone_number: phone,
        phone_number_id: None,
        waba_id: None,
        display_name: text(&raw["details"]["displayName"]).or_else(|| text(&raw["changes"]["details"]["displayName"])),
        status: sender_status(state, change, deleted).unwrap_or(SenderStatus::Provisioning),
        status_known: sender_status(state, change, deleted).is_some(),
        provider_status: state.or(change).map(str::to_owned),
        status_reason: text(&raw["changes"]["errorReason"]).or_else(|| text(&raw["changes"]["errorCode"])),
        region: text(&raw["region"]).filter(|r| r != "UNRECOGNIZED"),
        quality_rating: text(&raw["qualityRating"]),
        bearer_token: bearer,
        raw,
    })
}

/// Request body for sender creation, plus the Meta ids an ES request carries.
pub fn sender_body(req: SenderRequest) -> (String, Value, Option<(String, String)>) {
    match req {
        SenderRequest::EmbeddedSignup { project_id, region, meta_local_storage, waba_id, phone_number_id } => {
            let mut b = json!({ "region": region, "wabaId": waba_id, "phoneNumberId": phone_number_id });
            if let Some(m) = meta_local_storage {
                b["metaLocalStorage"] = json!(m)
            }
            (project_id, b, Some((waba_id, phone_number_id)))
        }
        SenderRequest::OnBehalfOf {
            project_id,
            region,
            meta_local_storage,
            phone_number_provider,
            country_code,
            phone_number,
            display_name,
            vertical,
        } => {
            let mut details = json!({ "countryCode": country_code, "displayName": display_name });
            if let Some(n) = phone_number {
                details["phoneNumber"] = json!(n)
            }
            if let Some(v) = vertical {
                details["vertical"] = json!(v)
            }
            // `status: "submit"` sends the sender to review at once (seed 003); without it
            // the sender would stay a draft.
            let mut b = json!({
                "status": "submit", "region": region, "phoneNumberProvider": phone_number_provider, "details": details,
            });
            if let Some(m) = meta_local_storage {
                b["metaLocalStorage"] = json!(m)
            }
            (project_id, b, None)
        }
    }
}

/// A `WhatsappAccountDto` (reference 2.4).
pub fn account(raw: Value, project: Option<&str>) -> ProviderWaba {
    let state = raw["state"].as_str();
    let change = raw["changes"]["status"].as_str();
    let known = state.is_none_or(|s| ["ONBOARDED", "PENDING_FACEBOOK_VERIFICATION", "REJECTED"].contains(&s))
        && change.is_none_or(|c| ["DRAFT", "IN_PROGRESS", "PENDING_FACEBOOK_VERIFICATION", "REJECTED"].contains(&c));
    let status = match (state, change) {
        (_, Some("REJECTED")) | (Some("REJECTED"), None) => WabaStatus::Rejected,
        (_, Some("PENDING_FACEBOOK_VERIFICATION")) | (Some("PENDING_FACEBOOK_VERIFICATION"), None) => {
            WabaStatus::AwaitingAction
        }
        (Some("ONBOARDED"), None) => WabaStatus::Onboarded,
        _ => WabaStatus::Pending,
    };
    ProviderWaba {
        waba_id: text(&raw["wabaId"]),
        project_id: project.map(str::to_owned),
        name: text(&raw["details"]["wabaName"]).or_else(|| text(&raw["details"]["companyLegalName"])),
        status,
        status_known: known,
        provider_status: change.or(state).map(str::to_owned),
        raw,
    }
}

/// A `Subproject`.
pub fn project(raw: Value) -> ProviderResult<ProviderProject> {
    let id = text(&raw["subprojectId"]).ok_or_else(|| decode("subproject without subprojectId"))?;
    let labels = raw["labels"]
        .as_object()
        .map(|o| o.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned()))).collect())
        .unwrap_or_default();
    Ok(ProviderProject {
        id,
        name: text(&raw["displayName"]),
        parent_id: text(&raw["parentProjectId"]),
        labels,
        api_key: None,
        raw,
    })
}

/// An `AppResponse`.
pub fn app(raw: Value) -> ProviderResult<ProviderApp> {
    let id = text(&raw["id"]).ok_or_else(|| decode("app without id"))?;
    let channel_status = text(&raw["channel_credentials"][0]["state"]["status"]);
    Ok(ProviderApp { id, display_name: text(&raw["display_name"]), channel_status, raw })
}

/// A provisioning webhook (the secret is never echoed).
pub fn webhook(v: &Value, target: &str) -> WebhookSubscription {
    WebhookSubscription {
        id: text(&v["id"]),
        target: text(&v["target"]).unwrap_or_else(|| target.to_owned()),
        events: v["triggers"].as_array().map(|a| a.iter().filter_map(text).collect()).unwrap_or_default(),
        secret: None,
    }
}

/// `x-sinch-webhook-signature` = base64 HMAC-SHA256 over `"{body}.{nonce}.{timestamp}"`,
/// timestamp within 300 s, algorithm `HmacSHA256` when stated. Up to five signatures
/// (space or comma separated, each 32 bytes) and several secrets are accepted for
/// rotation; anything else is refused before any HMAC runs, and the HMAC is computed
/// once per secret.
pub fn verify_signature(
    secrets: &[SecretString],
    headers: &axum::http::HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), WebhookError> {
    let keys = usable(secrets)?;
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or("");
    let (sig, nonce, ts) = (
        h("x-sinch-webhook-signature"),
        h("x-sinch-webhook-signature-nonce"),
        h("x-sinch-webhook-signature-timestamp"),
    );
    if sig.is_empty() {
        return Err(WebhookError::MissingSignature);
    }
    if nonce.is_empty() || ts.is_empty() {
        return Err(WebhookError::MalformedSignature);
    }
    let alg = h("x-sinch-webhook-signature-algorithm");
    if !alg.is_empty() && alg != "HmacSHA256" {
        return Err(WebhookError::MalformedSignature);
    }
    let sigs = candidates(sig.split([' ', ',']), |s| base64::engine::general_purpose::STANDARD.decode(s).ok())?;
    if sigs.is_empty() {
        return Err(WebhookError::MalformedSignature);
    }
    check_window(ts, now)?;
    let parts: [&[u8]; 5] = [body, b".", nonce.as_bytes(), b".", ts.as_bytes()];
    if matches_any(&keys, &parts, &sigs) {
        Ok(())
    } else {
        Err(WebhookError::BadSignature)
    }
}

/// `{type, payload, comment?}`. Dedupe key: hash of the signed body (a retried
/// delivery may carry a new nonce; the same body is the same event).
pub fn parse_events(body: &[u8]) -> Result<Vec<ProviderEvent>, WebhookError> {
    let mut raw: Value = serde_json::from_slice(body).map_err(|e| WebhookError::Payload(e.to_string()))?;
    let event_type = text(&raw["type"]).ok_or_else(|| WebhookError::Payload("callback without type".into()))?;
    let payload = raw["payload"].clone();
    let kind = if event_type.starts_with("WHATSAPP_SENDER_") && payload["id"].is_string() {
        let mut s = sender(payload, None).map_err(|e| WebhookError::Payload(e.to_string()))?;
        if event_type == "WHATSAPP_SENDER_DELETED" {
            s.status = SenderStatus::Deleted;
        }
        ProviderEventKind::Sender(Box::new(s))
    } else if event_type.starts_with("WHATSAPP_ACCOUNT_") {
        ProviderEventKind::Account(account(payload, None))
    } else {
        ProviderEventKind::Other
    };
    if let Some(p) = raw["payload"].as_object_mut() {
        p.remove("bearerToken");
    }
    Ok(vec![ProviderEvent { event_id: body_digest(body), event_type, occurred_at: None, kind, raw }])
}
