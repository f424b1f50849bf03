//! SendZen adapter: partner onboarding (`POST /v1/partner/onboard`, partner key),
//! key checks (`GET /v1/auth/api_key`, partner or per-customer key) and
//! `X-Hub-Signature-256` webhook verification. snake_case JSON; errors
//! `{error, message}` where `error` is a string or `{code, details}` (reference 3.6).
//! SendZen's project, WABA and webhook-config paths are not documented, so those
//! operations are `Unsupported` rather than guessed.

use async_trait::async_trait;
use axum::http::{HeaderMap, Method};
use chrono::{Duration, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value};

use super::signature::{body_digest, candidates, from_hex, matches_any, usable, MAX_CANDIDATES};
use super::transport::{Auth, Call, CallKind, HttpSettings, Transport};
use super::{ProviderAdapter, ProviderError, ProviderResult, WebhookError};
use crate::domain::{
    Capability, InvitationStatus, OnboardingRequest, OnboardingStart, Provider, ProviderEvent, ProviderEventKind,
    ProviderHealth, ProviderInvitation, ProviderMode, ProviderProject,
};

const ID: Provider = Provider::Sendzen;
/// Gap: SendZen publishes no numbers; assume 300 requests per minute.
const BUCKETS: &[(&str, u32)] = &[("all", 300)];
const CAPABILITIES: &[Capability] = &[Capability::HostedLink];
/// The iframe URL is valid for one hour (reference 3.2).
const IFRAME_TTL_MINUTES: i64 = 60;

/// SendZen adapter settings.
#[derive(Clone)]
pub struct SendzenConfig {
    /// `https://api.sendzen.io` or the simulator's base URL.
    pub base_url: String,
    /// Partner API key.
    pub partner_key: SecretString,
    /// Webhook signing secrets accepted (current first).
    pub webhook_secrets: Vec<SecretString>,
    /// LIVE or SANDBOX.
    pub mode: ProviderMode,
    /// Timeouts and retries.
    pub http: HttpSettings,
}

/// The SendZen adapter.
pub struct Sendzen {
    cfg: SendzenConfig,
    transport: Transport,
}

#[derive(Deserialize)]
struct WireError {
    error: Option<Value>,
    message: Option<String>,
}

fn parse_error(body: &[u8]) -> (Option<String>, String) {
    let Ok(e) = serde_json::from_slice::<WireError>(body) else {
        return (None, String::from_utf8_lossy(body).chars().take(200).collect());
    };
    let (code, details) = match e.error {
        Some(Value::String(s)) => (Some(s), None),
        Some(Value::Object(o)) => (
            o.get("code").and_then(Value::as_str).map(str::to_owned),
            o.get("details").and_then(Value::as_str).map(str::to_owned),
        ),
        _ => (None, None),
    };
    (code, e.message.or(details).unwrap_or_default())
}

#[derive(Deserialize)]
struct WireUserData {
    client_identifier: Option<String>,
    project_id: String,
    project_name: Option<String>,
    api_key: Option<String>,
}

#[derive(Deserialize)]
struct WireOnboard {
    user_data: WireUserData,
    iframe_url: String,
}

impl Sendzen {
    /// Build the adapter.
    pub fn new(cfg: SendzenConfig) -> anyhow::Result<Self> {
        let transport = Transport::new(ID, cfg.http, BUCKETS, parse_error)?;
        Ok(Self { cfg, transport })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.cfg.base_url.trim_end_matches('/'), path)
    }
}

#[async_trait]
impl ProviderAdapter for Sendzen {
    fn id(&self) -> Provider {
        ID
    }
    fn mode(&self) -> ProviderMode {
        self.cfg.mode
    }
    fn capabilities(&self) -> &'static [Capability] {
        CAPABILITIES
    }
    fn health(&self) -> ProviderHealth {
        self.transport.health()
    }

    #[tracing::instrument(skip_all, fields(provider = "SENDZEN"))]
    async fn check_credentials(&self) -> ProviderResult<()> {
        let call = Call::new("check_key", CallKind::Read, "all", Method::GET, self.url("/v1/auth/api_key"));
        self.transport.send(&call, &Auth::Bearer(self.cfg.partner_key.clone())).await.map(|_| ())
    }

    /// Partner onboard: a synthesized invitation (the iframe URL, valid one hour) and
    /// the customer's project with its own API key (a secret; removed from `raw`).
    #[tracing::instrument(skip_all, fields(provider = "SENDZEN"))]
    async fn start_onboarding(&self, req: OnboardingRequest) -> ProviderResult<OnboardingStart> {
        let OnboardingRequest::PartnerOnboard { client_identifier, webhook_url } = req else {
            return Err(self.unsupported("start_onboarding"));
        };
        let mut body = json!({ "client_identifier": client_identifier });
        if let Some(url) = webhook_url {
            body["client_webhook_url"] = json!(url);
        }
        let call = Call::new("partner_onboard", CallKind::Create, "all", Method::POST, self.url("/v1/partner/onboard"))
            .json(body);
        let reply = self.transport.send(&call, &Auth::Bearer(self.cfg.partner_key.clone())).await?;
        let mut raw: Value = reply.json(ID)?;
        let wire: WireOnboard = serde_json::from_value(raw.clone())
            .map_err(|e| ProviderError::Decode { provider: ID, message: e.to_string() })?;
        if let Some(user) = raw.get_mut("user_data").and_then(Value::as_object_mut) {
            user.remove("api_key");
        }
        let now = Utc::now();
        let invitation = ProviderInvitation {
            id: None,
            url: Some(wire.iframe_url),
            status: InvitationStatus::Pending,
            status_known: true,
            provider_status: None,
            failure_reason: None,
            client_name: wire.user_data.client_identifier.clone(),
            client_email: None,
            client_phone: None,
            phone_number_id: None,
            sender_id: None,
            meta_phone_number_id: None,
            connection_type: None,
            created_at: Some(now),
            expires_at: Some(now + Duration::minutes(IFRAME_TTL_MINUTES)),
            viewed_at: None,
            started_at: None,
            completed_at: None,
            failed_at: None,
            raw: raw.clone(),
        };
        let project = ProviderProject {
            id: wire.user_data.project_id,
            name: wire.user_data.project_name,
            parent_id: None,
            labels: Vec::new(),
            api_key: wire.user_data.api_key.map(SecretString::from),
            raw,
        };
        Ok(OnboardingStart { invitation: Some(invitation), project: Some(project), waba: None })
    }

    /// Check a per-customer API key (the customer's calls must use its own key).
    #[tracing::instrument(skip_all, fields(provider = "SENDZEN"))]
    async fn check_project_key(&self, key: &SecretString) -> ProviderResult<()> {
        let call = Call::new("check_customer_key", CallKind::Read, "all", Method::GET, self.url("/v1/auth/api_key"));
        self.transport.send(&call, &Auth::Bearer(key.clone())).await.map(|_| ())
    }

    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<Vec<ProviderEvent>, WebhookError> {
        verify_signature(&self.cfg.webhook_secrets, headers, body)?;
        parse_events(body)
    }
}

/// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>` against every secret.
/// The scheme has no timestamp, so there is no freshness window: dedupe does that job.
/// Up to five comma-separated signatures (rotation), each 64 hex digits, else refused
/// before any HMAC runs; the HMAC is computed once per secret.
pub fn verify_signature(secrets: &[SecretString], headers: &HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
    let keys = usable(secrets)?;
    let header = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok()).unwrap_or("").trim();
    if header.is_empty() {
        return Err(WebhookError::MissingSignature);
    }
    let mut values = Vec::new();
    for part in header.split(',').map(str::trim) {
        values.push(part.strip_prefix("sha256=").ok_or(WebhookError::MalformedSignature)?);
        if values.len() > MAX_CANDIDATES {
            return Err(WebhookError::TooManySignatures);
        }
    }
    let sigs = candidates(values, from_hex)?;
    if sigs.is_empty() {
        return Err(WebhookError::MissingSignature);
    }
    if matches_any(&keys, &[body], &sigs) {
        Ok(())
    } else {
        Err(WebhookError::BadSignature)
    }
}

fn parse_events(body: &[u8]) -> Result<Vec<ProviderEvent>, WebhookError> {
    let raw: Value = serde_json::from_slice(body).map_err(|e| WebhookError::Payload(e.to_string()))?;
    let s = |k: &str| raw[k].as_str().map(str::to_owned);
    // `completed` and `failed` are the documented results; any other status is kept as
    // the provider's text without moving the invitation.
    let (event_type, kind) = match raw["status"].as_str() {
        Some(st) => (
            format!("onboarding.{st}"),
            ProviderEventKind::OnboardingResult {
                client_identifier: s("client_identifier"),
                project_id: s("project_id"),
                completed: st == "completed",
                status_known: matches!(st, "completed" | "failed"),
                provider_status: st.to_owned(),
                waba_id: s("waba_id"),
                phone_number_id: s("phone_number_id"),
                message: s("message"),
            },
        ),
        _ => (raw["object"].as_str().unwrap_or("unknown").to_owned(), ProviderEventKind::Other),
    };
    // SendZen sends no delivery id: the hash of the signed bytes is the dedupe key.
    Ok(vec![ProviderEvent { event_id: body_digest(body), event_type, occurred_at: None, kind, raw }])
}
