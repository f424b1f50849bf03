//! Zavu adapter: hosted-link invitations (create / get / list all pages / cancel),
//! senders, the project invitation webhook, and `X-Zavu-Signature` verification.
//! Bearer auth; camelCase JSON; singletons wrapped (`{invitation}`), senders bare,
//! lists `{items,nextCursor}`, errors `{error:{code,message}}` (reference section 1).

use async_trait::async_trait;
use axum::http::{HeaderMap, Method};
use chrono::{DateTime, TimeZone, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{json, Value};

use super::signature::{candidates, check_window, from_hex, matches_any, usable, MAX_CANDIDATES};
use super::transport::{Auth, Call, CallKind, HttpSettings, Transport};
use super::{ProviderAdapter, ProviderError, ProviderResult, WebhookError};
use crate::domain::{
    Capability, InvitationStatus, OnboardingRequest, OnboardingStart, Provider, ProviderEvent, ProviderEventKind,
    ProviderHealth, ProviderInvitation, ProviderMode, ProviderSender, SenderStatus, WebhookSubscription,
};

const ID: Provider = Provider::Zavu;
/// Published limits per endpoint (reference 1.7, seed 004), requests per minute; each
/// endpoint has its own window (creating does not use up cancelling). The bucket name
/// is the operation name; the last entry covers every other endpoint.
pub const BUCKETS: &[(&str, u32)] = &[
    ("create_invitation", 100),
    ("list_invitations", 200),
    ("get_invitation", 200),
    ("cancel_invitation", 100),
    ("me", 1000),
    ("get_sender", 1000),
    ("list_senders", 1000),
    ("configure_webhook", 1000),
    ("other", 1000),
];
const CAPABILITIES: &[Capability] = &[
    Capability::HostedLink,
    Capability::CancelInvitation,
    Capability::ListInvitations,
    Capability::PreassignedNumber,
    Capability::Senders,
    Capability::WebhookConfig,
];

/// Zavu adapter settings.
#[derive(Clone)]
pub struct ZavuConfig {
    /// `https://api.zavu.dev` or the simulator's base URL.
    pub base_url: String,
    /// API key (`zv_live_...` / `zv_test_...`).
    pub api_key: SecretString,
    /// Webhook secrets accepted (current first; previous ones during rotation).
    pub webhook_secrets: Vec<SecretString>,
    /// LIVE or SANDBOX (for display).
    pub mode: ProviderMode,
    /// Timeouts and retries.
    pub http: HttpSettings,
}

/// The Zavu adapter.
pub struct Zavu {
    cfg: ZavuConfig,
    transport: Transport,
    auth: Auth,
    /// Secrets Zavu issued when `configure_webhook` registered our URL: accepted next to
    /// the configured ones (in memory; configure them to keep them across restarts).
    issued: std::sync::RwLock<Vec<SecretString>>,
}

#[derive(Deserialize)]
struct WireError {
    error: WireErrorBody,
}
#[derive(Deserialize)]
struct WireErrorBody {
    code: Option<String>,
    message: Option<String>,
}

fn parse_error(body: &[u8]) -> (Option<String>, String) {
    match serde_json::from_slice::<WireError>(body) {
        Ok(e) => (e.error.code, e.error.message.unwrap_or_default()),
        Err(_) => (None, String::from_utf8_lossy(body).chars().take(200).collect()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireConnected {
    id: Option<String>,
    channel: Option<String>,
}

/// A `messenger` connection links a Facebook Page, not a WhatsApp number: its
/// `connectedAccount.id` is a Page id and its sender is not a WhatsApp sender.
fn is_messenger(connection_type: Option<&str>, channel: Option<&str>) -> bool {
    connection_type == Some("messenger") || channel == Some("messenger")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireInvitation {
    id: String,
    url: Option<String>,
    status: String,
    created_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    client_name: Option<String>,
    client_email: Option<String>,
    client_phone: Option<String>,
    phone_number_id: Option<String>,
    sender_id: Option<String>,
    connection_type: Option<String>,
    connected_account: Option<WireConnected>,
    failure_reason: Option<String>,
    viewed_at: Option<DateTime<Utc>>,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    failed_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct Wrapped {
    invitation: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePage {
    items: Vec<Value>,
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireWhatsapp {
    phone_number_id: Option<String>,
    display_phone_number: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSender {
    id: String,
    name: Option<String>,
    phone_number: Option<String>,
    #[serde(default)]
    channels: Vec<String>,
    whatsapp: Option<WireWhatsapp>,
}

/// The unified status of a Zavu invitation status; `None` for one newer than this
/// adapter (kept as `providerStatus`, never applied).
fn known_status(s: &str) -> Option<InvitationStatus> {
    Some(match s {
        "pending" => InvitationStatus::Pending,
        "in_progress" => InvitationStatus::InProgress,
        "completed" => InvitationStatus::Completed,
        "expired" => InvitationStatus::Expired,
        "cancelled" => InvitationStatus::Cancelled,
        "failed" => InvitationStatus::Failed,
        _ => return None,
    })
}

/// The unified status, `PENDING` as the placeholder of an unknown one.
fn status(s: &str) -> InvitationStatus {
    known_status(s).unwrap_or(InvitationStatus::Pending)
}

fn invitation(raw: Value) -> ProviderResult<ProviderInvitation> {
    let w: WireInvitation = serde_json::from_value(raw.clone())
        .map_err(|e| ProviderError::Decode { provider: ID, message: e.to_string() })?;
    let channel = w.connected_account.as_ref().and_then(|c| c.channel.as_deref());
    let messenger = is_messenger(w.connection_type.as_deref(), channel);
    Ok(ProviderInvitation {
        id: Some(w.id),
        url: w.url,
        status: status(&w.status),
        status_known: known_status(&w.status).is_some(),
        provider_status: Some(w.status),
        failure_reason: w.failure_reason,
        client_name: w.client_name,
        client_email: w.client_email,
        client_phone: w.client_phone,
        phone_number_id: w.phone_number_id,
        // Only a WhatsApp connection yields a sender and a Meta phone-number id.
        sender_id: w.sender_id.filter(|_| !messenger),
        meta_phone_number_id: w.connected_account.and_then(|c| c.id).filter(|_| !messenger),
        connection_type: w.connection_type,
        created_at: w.created_at,
        expires_at: w.expires_at,
        viewed_at: w.viewed_at,
        started_at: w.started_at,
        completed_at: w.completed_at,
        failed_at: w.failed_at,
        raw,
    })
}

/// Zavu senders have no status: WhatsApp in `channels` means active; a `whatsapp`
/// block without it means connected but not active (reference 4.3). Only a sender on
/// WhatsApp has a WhatsApp number: a messenger or SMS-only sender's `phoneNumber` is
/// not one, so it is not mapped.
fn sender(raw: Value) -> ProviderResult<ProviderSender> {
    let w: WireSender = serde_json::from_value(raw.clone())
        .map_err(|e| ProviderError::Decode { provider: ID, message: e.to_string() })?;
    let active = w.channels.iter().any(|c| c == "whatsapp");
    let on_whatsapp = active || w.whatsapp.is_some();
    let (phone_number_id, display_number) =
        w.whatsapp.map_or((None, None), |x| (x.phone_number_id, x.display_phone_number));
    Ok(ProviderSender {
        id: w.id,
        project_id: None,
        phone_number: display_number.or(w.phone_number).filter(|_| on_whatsapp),
        phone_number_id,
        waba_id: None,
        display_name: w.name,
        status: if active { SenderStatus::Active } else { SenderStatus::Inactive },
        status_known: true,
        provider_status: Some(w.channels.join(",")),
        status_reason: None,
        region: None,
        quality_rating: None,
        bearer_token: None,
        raw,
    })
}

impl Zavu {
    /// Build the adapter.
    pub fn new(cfg: ZavuConfig) -> anyhow::Result<Self> {
        let transport = Transport::new(ID, cfg.http, BUCKETS, parse_error)?;
        let auth = Auth::Bearer(cfg.api_key.clone());
        Ok(Self { cfg, transport, auth, issued: std::sync::RwLock::default() })
    }

    /// The configured webhook secrets, then the ones Zavu issued at registration.
    fn webhook_secrets(&self) -> Vec<SecretString> {
        let issued = self.issued.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.cfg.webhook_secrets.iter().chain(issued.iter()).cloned().collect()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.cfg.base_url.trim_end_matches('/'), path)
    }

    /// A call to `path`, limited in the bucket named after its operation.
    fn op(&self, op: &'static str, kind: CallKind, method: Method, path: &str) -> Call {
        Call::new(op, kind, op, method, self.url(path))
    }

    async fn call(&self, call: Call) -> ProviderResult<Value> {
        self.transport.send(&call, &self.auth).await?.json(ID)
    }

    async fn all_pages(&self, op: &'static str, path: &str) -> ProviderResult<Vec<Value>> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut call = self.op(op, CallKind::Read, Method::GET, path).query("limit", "100");
            if let Some(c) = cursor.take() {
                call = call.query("cursor", c);
            }
            let page: WirePage = serde_json::from_value(self.call(call).await?)
                .map_err(|e| ProviderError::Decode { provider: ID, message: e.to_string() })?;
            items.extend(page.items);
            match page.next_cursor.filter(|c| !c.is_empty()) {
                Some(c) => cursor = Some(c),
                None => return Ok(items),
            }
        }
    }

    fn unwrap(v: Value) -> ProviderResult<ProviderInvitation> {
        let w: Wrapped =
            serde_json::from_value(v).map_err(|e| ProviderError::Decode { provider: ID, message: e.to_string() })?;
        invitation(w.invitation)
    }
}

#[async_trait]
impl ProviderAdapter for Zavu {
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

    #[tracing::instrument(skip_all, fields(provider = "ZAVU"))]
    async fn check_credentials(&self) -> ProviderResult<()> {
        self.call(self.op("me", CallKind::Read, Method::GET, "/v1/me")).await.map(|_| ())
    }

    #[tracing::instrument(skip_all, fields(provider = "ZAVU"))]
    async fn start_onboarding(&self, req: OnboardingRequest) -> ProviderResult<OnboardingStart> {
        let OnboardingRequest::HostedInvitation(r) = req else { return Err(self.unsupported("start_onboarding")) };
        let mut body = json!({});
        let fields = [
            ("clientName", r.client_name),
            ("clientEmail", r.client_email),
            ("clientPhone", r.client_phone),
            ("phoneNumberId", r.phone_number_id),
        ];
        for (k, v) in fields {
            if let Some(v) = v {
                body[k] = json!(v);
            }
        }
        if let Some(d) = r.expires_in_days {
            body["expiresInDays"] = json!(d);
        }
        if let Some(c) = r.allowed_phone_countries {
            body["allowedPhoneCountries"] = json!(c);
        }
        let call = self.op("create_invitation", CallKind::Create, Method::POST, "/v1/invitations").json(body);
        let inv = Self::unwrap(self.call(call).await?)?;
        Ok(OnboardingStart { invitation: Some(inv), project: None, waba: None })
    }

    #[tracing::instrument(skip_all, fields(provider = "ZAVU", invitation = id))]
    async fn get_invitation(&self, id: &str) -> ProviderResult<ProviderInvitation> {
        let call = self.op("get_invitation", CallKind::Read, Method::GET, &format!("/v1/invitations/{id}"));
        Self::unwrap(self.call(call).await?)
    }

    #[tracing::instrument(skip_all, fields(provider = "ZAVU"))]
    async fn list_invitations(&self) -> ProviderResult<Vec<ProviderInvitation>> {
        self.all_pages("list_invitations", "/v1/invitations").await?.into_iter().map(invitation).collect()
    }

    #[tracing::instrument(skip_all, fields(provider = "ZAVU", invitation = id))]
    async fn cancel_invitation(&self, id: &str) -> ProviderResult<ProviderInvitation> {
        let path = format!("/v1/invitations/{id}/cancel");
        let call = self.op("cancel_invitation", CallKind::Write, Method::POST, &path);
        Self::unwrap(self.call(call).await?)
    }

    #[tracing::instrument(skip_all, fields(provider = "ZAVU", sender = id))]
    async fn get_sender(&self, _project: Option<&str>, id: &str) -> ProviderResult<ProviderSender> {
        sender(self.call(self.op("get_sender", CallKind::Read, Method::GET, &format!("/v1/senders/{id}"))).await?)
    }

    #[tracing::instrument(skip_all, fields(provider = "ZAVU"))]
    async fn list_senders(&self, _project: Option<&str>) -> ProviderResult<Vec<ProviderSender>> {
        let all: Vec<ProviderSender> = self
            .all_pages("list_senders", "/v1/senders")
            .await?
            .into_iter()
            .map(sender)
            .collect::<ProviderResult<_>>()?;
        // bspgraph's senders are WhatsApp senders: messenger/SMS-only ones are not imported.
        Ok(all.into_iter().filter(|s| s.phone_number.is_some() || s.phone_number_id.is_some()).collect())
    }

    fn adopt_webhook_secret(&self, secret: SecretString) {
        let mut all = self.issued.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !all.iter().any(|s| s.expose_secret() == secret.expose_secret()) {
            all.push(secret);
        }
    }

    #[tracing::instrument(skip_all, fields(provider = "ZAVU"))]
    async fn configure_webhook(&self, _project: Option<&str>, target: &str) -> ProviderResult<WebhookSubscription> {
        let body = json!({ "url": target, "events": ["invitation.status_changed"] });
        let call = self.op("configure_webhook", CallKind::Write, Method::POST, "/v1/invitations/webhook").json(body);
        let v = self.call(call).await?;
        let w = &v["webhook"];
        if let Some(issued) = w["secret"].as_str().filter(|s| !s.is_empty()) {
            self.adopt_webhook_secret(SecretString::from(issued.to_owned()));
        }
        Ok(WebhookSubscription {
            id: None,
            target: w["url"].as_str().unwrap_or(target).to_owned(),
            events: w["events"]
                .as_array()
                .map(|a| a.iter().filter_map(|e| e.as_str().map(str::to_owned)).collect())
                .unwrap_or_default(),
            secret: w["secret"].as_str().map(|s| SecretString::from(s.to_owned())),
        })
    }

    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<Vec<ProviderEvent>, WebhookError> {
        verify_signature(&self.webhook_secrets(), headers, body, Utc::now())?;
        parse_events(body)
    }
}

/// Check `X-Zavu-Signature: t=<s>[,v1=<hex>]*[,v2=<hex>]*` against every secret.
/// `t` must be within 300 s of `now`. When any `v2` is present only `v2` counts
/// (it covers the timestamp); a `v1`-only header (legacy senders) is checked as v1.
/// At most five signatures per scheme, each 64 hex digits, else refused unread; the
/// HMAC is computed once per secret (see [`super::signature`]).
pub fn verify_signature(
    secrets: &[SecretString],
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), WebhookError> {
    let keys = usable(secrets)?;
    let header = headers.get("x-zavu-signature").and_then(|v| v.to_str().ok()).unwrap_or("").trim();
    if header.is_empty() {
        return Err(WebhookError::MissingSignature);
    }
    let (mut t, mut v1, mut v2) = (None, Vec::new(), Vec::new());
    for part in header.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else { return Err(WebhookError::MalformedSignature) };
        match k.trim() {
            "t" if t.is_some() => return Err(WebhookError::MalformedSignature),
            "t" => t = Some(v.trim()),
            "v1" => v1.push(v),
            "v2" => v2.push(v),
            _ => {}
        }
        if v1.len() > MAX_CANDIDATES || v2.len() > MAX_CANDIDATES {
            return Err(WebhookError::TooManySignatures);
        }
    }
    let t = t.ok_or(WebhookError::MalformedSignature)?;
    let (v1, v2) = (candidates(v1, from_hex)?, candidates(v2, from_hex)?);
    if v1.is_empty() && v2.is_empty() {
        return Err(WebhookError::MissingSignature);
    }
    check_window(t, now)?;
    let ok = if v2.is_empty() {
        matches_any(&keys, &[body], &v1)
    } else {
        matches_any(&keys, &[t.as_bytes(), b".", body], &v2)
    };
    if ok {
        Ok(())
    } else {
        Err(WebhookError::BadSignature)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    timestamp: Option<i64>,
    #[serde(default)]
    data: Value,
}

fn parse_events(body: &[u8]) -> Result<Vec<ProviderEvent>, WebhookError> {
    let raw: Value = serde_json::from_slice(body).map_err(|e| WebhookError::Payload(e.to_string()))?;
    let ev: WireEvent = serde_json::from_value(raw.clone()).map_err(|e| WebhookError::Payload(e.to_string()))?;
    let d = &ev.data;
    let s = |k: &str| d[k].as_str().map(str::to_owned);
    let messenger = is_messenger(d["connectionType"].as_str(), d["connectedAccount"]["channel"].as_str());
    let whatsapp = |v: Option<String>| v.filter(|_| !messenger);
    let kind = match (ev.kind.as_str(), s("invitationId"), s("currentStatus")) {
        ("invitation.status_changed", Some(invitation_id), Some(current)) => ProviderEventKind::InvitationStatus {
            invitation_id,
            previous: s("previousStatus").map(|p| status(&p)),
            status: status(&current),
            status_known: known_status(&current).is_some(),
            provider_status: current,
            sender_id: whatsapp(s("senderId")),
            waba_id: whatsapp(s("wabaAccountId")),
            phone_number_id: whatsapp(d["connectedAccount"]["id"].as_str().map(str::to_owned)),
            failure_reason: s("failureReason"),
        },
        ("invitation.status_changed", _, _) => {
            return Err(WebhookError::Payload("invitation event without invitationId/currentStatus".into()))
        }
        _ => ProviderEventKind::Other,
    };
    let occurred_at = ev.timestamp.and_then(|ms| Utc.timestamp_millis_opt(ms).single());
    Ok(vec![ProviderEvent { event_id: ev.id, event_type: ev.kind, occurred_at, kind, raw }])
}
