//! Sinch adapter: Subprojects API (one subproject per customer, labels carry our
//! client id), Provisioning API (WhatsApp account for on-behalf-of, senders in the
//! embedded-signup and OBO shapes, register/verify, webhooks), Conversation API app
//! creation on the sender's regional host, OAuth2 client credentials (or Basic when
//! configured for testing), and `x-sinch-webhook-signature` verification.
//! Wire mapping (DTO -> domain) is in `wire.rs`, private to this adapter.

mod wire;

use std::sync::Arc;

use async_trait::async_trait;
use axum::http::{HeaderMap, Method};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use super::transport::{Auth, Call, CallKind, HttpSettings, TokenCache, Transport};
use super::{ProviderAdapter, ProviderError, ProviderResult, WebhookError};
use crate::domain::{
    AppRequest, Capability, OnboardingRequest, OnboardingStart, Provider, ProviderApp, ProviderEvent, ProviderHealth,
    ProviderMode, ProviderProject, ProviderSender, ProviderWaba, Registration, SenderRequest, VerificationMethod,
    WebhookSubscription,
};
pub use wire::verify_signature;

const ID: Provider = Provider::Sinch;
/// Gap: no numeric provisioning/subproject limits are published; assume 600/min.
const BUCKETS: &[(&str, u32)] = &[("all", 600)];
const CAPABILITIES: &[Capability] = &[
    Capability::EmbeddedSignup,
    Capability::OnBehalfOf,
    Capability::SenderVerification,
    Capability::Senders,
    Capability::Projects,
    Capability::Wabas,
    Capability::MessagingApp,
    Capability::WebhookConfig,
];

/// Sinch adapter settings.
#[derive(Clone)]
pub struct SinchConfig {
    /// Token URL (`https://auth.sinch.com/oauth2/token`).
    pub token_url: String,
    /// `https://provisioning.api.sinch.com`.
    pub provisioning_url: String,
    /// `https://subproject.api.sinch.com`.
    pub subproject_url: String,
    /// Conversation host with a `{region}` placeholder (`https://{region}.conversation.api.sinch.com`).
    pub conversation_url: String,
    /// The partner's (parent) project id.
    pub project_id: String,
    /// Access key id.
    pub key_id: String,
    /// Access key secret.
    pub key_secret: SecretString,
    /// Use Basic auth instead of OAuth2 (testing only; heavily rate limited at Sinch).
    pub basic_auth: bool,
    /// Webhook secrets accepted (current first); the first is sent when registering webhooks.
    pub webhook_secrets: Vec<SecretString>,
    /// LIVE or SANDBOX.
    pub mode: ProviderMode,
    /// Timeouts and retries.
    pub http: HttpSettings,
}

/// The Sinch adapter.
pub struct Sinch {
    cfg: SinchConfig,
    transport: Transport,
    auth: Auth,
    tokens: Arc<TokenCache>,
    /// Secrets bspgraph made for its webhook registration when none was configured
    /// (Sinch takes the secret from the registrant), read back sealed at startup.
    minted: std::sync::RwLock<Vec<SecretString>>,
}

impl Sinch {
    /// Build the adapter.
    pub fn new(cfg: SinchConfig) -> anyhow::Result<Self> {
        let transport = Transport::new(ID, cfg.http, BUCKETS, wire::parse_error)?;
        let tokens = Arc::new(TokenCache::new(cfg.token_url.clone(), cfg.key_id.clone(), cfg.key_secret.clone()));
        let auth = if cfg.basic_auth {
            Auth::Basic(cfg.key_id.clone(), cfg.key_secret.clone())
        } else {
            Auth::OAuth(Arc::clone(&tokens))
        };
        Ok(Self { cfg, transport, auth, tokens, minted: std::sync::RwLock::default() })
    }

    /// The configured webhook secrets, then the ones bspgraph made at registration.
    fn webhook_secrets(&self) -> Vec<SecretString> {
        let minted = self.minted.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let configured = self.cfg.webhook_secrets.iter().filter(|s| !s.expose_secret().is_empty());
        configured.chain(minted.iter()).cloned().collect()
    }

    /// The token cache (tests assert caching with its fetch count).
    pub fn tokens(&self) -> &TokenCache {
        &self.tokens
    }

    fn prov(&self, project: &str, rest: &str) -> String {
        format!("{}/v1/projects/{project}{rest}", self.cfg.provisioning_url.trim_end_matches('/'))
    }

    fn sub(&self, rest: &str) -> String {
        format!("{}/v1{rest}", self.cfg.subproject_url.trim_end_matches('/'))
    }

    async fn call(&self, call: Call) -> ProviderResult<Value> {
        let reply = self.transport.send(&call, &self.auth).await?;
        if reply.body.is_empty() {
            return Ok(Value::Null);
        }
        reply.json(ID)
    }

    fn call_of(op: &'static str, kind: CallKind, method: Method, url: String) -> Call {
        Call::new(op, kind, "all", method, url)
    }

    /// Every page of `url`, collecting array `key`, following `nextPageToken`.
    async fn pages(&self, op: &'static str, url: String, key: &str, size: &str) -> ProviderResult<Vec<Value>> {
        let mut out = Vec::new();
        let mut token = String::new();
        loop {
            let mut call = Self::call_of(op, CallKind::Read, Method::GET, url.clone()).query("pageSize", size);
            if !token.is_empty() {
                call = call.query("pageToken", token.clone());
            }
            let v = self.call(call).await?;
            out.extend(v[key].as_array().cloned().unwrap_or_default());
            match v["nextPageToken"].as_str().filter(|t| !t.is_empty()) {
                Some(t) => token = t.to_owned(),
                None => return Ok(out),
            }
        }
    }

    async fn create_subproject(
        &self,
        display_name: String,
        labels: Vec<(String, String)>,
    ) -> ProviderResult<ProviderProject> {
        let labels: serde_json::Map<String, Value> = labels.into_iter().map(|(k, v)| (k, json!(v))).collect();
        let url = self.sub(&format!("/projects/{}/subprojects", self.cfg.project_id));
        let call = Self::call_of("create_subproject", CallKind::Create, Method::POST, url)
            .json(json!({ "displayName": display_name, "labels": labels }));
        wire::project(self.call(call).await?)
    }
}

#[async_trait]
impl ProviderAdapter for Sinch {
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

    /// OAuth: obtain a token. Basic: list the parent project's webhooks (one page of one).
    #[tracing::instrument(skip_all, fields(provider = "SINCH"))]
    async fn check_credentials(&self) -> ProviderResult<()> {
        match &self.auth {
            Auth::OAuth(cache) => {
                let res = cache.token(&self.transport).await.map(|_| ());
                self.transport.record(res.as_ref().map(|_| ()));
                res
            }
            _ => {
                let call = Self::call_of(
                    "check_credentials",
                    CallKind::Read,
                    Method::GET,
                    self.prov(&self.cfg.project_id, "/webhooks"),
                )
                .query("pageSize", "1");
                self.call(call).await.map(|_| ())
            }
        }
    }

    #[tracing::instrument(skip_all, fields(provider = "SINCH"))]
    async fn start_onboarding(&self, req: OnboardingRequest) -> ProviderResult<OnboardingStart> {
        match req {
            OnboardingRequest::EmbeddedSignupProject { display_name, labels } => {
                let project = self.create_subproject(display_name, labels).await?;
                Ok(OnboardingStart { invitation: None, project: Some(project), waba: None })
            }
            OnboardingRequest::OnBehalfOfAccount(r) => {
                let mut body = json!({ "clientBusinessManagerId": r.client_business_manager_id });
                if let Some(n) = r.company_legal_name {
                    body["companyLegalName"] = json!(n)
                }
                if let Some(n) = r.waba_name {
                    body["wabaName"] = json!(n)
                }
                let call = Self::call_of(
                    "create_account",
                    CallKind::Create,
                    Method::POST,
                    self.prov(&r.project_id, "/whatsapp"),
                )
                .json(body);
                let waba = wire::account(self.call(call).await?, Some(&r.project_id));
                Ok(OnboardingStart { invitation: None, project: None, waba: Some(waba) })
            }
            _ => Err(self.unsupported("start_onboarding")),
        }
    }

    #[tracing::instrument(skip_all, fields(provider = "SINCH", sender = id))]
    async fn get_sender(&self, project: Option<&str>, id: &str) -> ProviderResult<ProviderSender> {
        let project = project.unwrap_or(&self.cfg.project_id);
        let call = Self::call_of(
            "get_sender",
            CallKind::Read,
            Method::GET,
            self.prov(project, &format!("/whatsapp/senders/{id}")),
        );
        wire::sender(self.call(call).await?, Some(project))
    }

    /// All pages; a project without a WhatsApp account (`project_not_initialized`) has no senders.
    #[tracing::instrument(skip_all, fields(provider = "SINCH"))]
    async fn list_senders(&self, project: Option<&str>) -> ProviderResult<Vec<ProviderSender>> {
        let project = project.unwrap_or(&self.cfg.project_id);
        match self.pages("list_senders", self.prov(project, "/whatsapp/senders"), "senders", "100").await {
            Ok(items) => items.into_iter().map(|s| wire::sender(s, Some(project))).collect(),
            Err(ProviderError::InvalidRequest { code, .. }) if code == "project_not_initialized" => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    #[tracing::instrument(skip_all, fields(provider = "SINCH"))]
    async fn create_sender(&self, req: SenderRequest) -> ProviderResult<ProviderSender> {
        let (project, body, meta) = wire::sender_body(req);
        let call =
            Self::call_of("create_sender", CallKind::Create, Method::POST, self.prov(&project, "/whatsapp/senders"))
                .json(body);
        let mut sender = wire::sender(self.call(call).await?, Some(&project))?;
        if let Some((waba, pnid)) = meta {
            sender.waba_id.get_or_insert(waba);
            sender.phone_number_id.get_or_insert(pnid);
        }
        Ok(sender)
    }

    #[tracing::instrument(skip_all, fields(provider = "SINCH", sender = id))]
    async fn register_sender(
        &self,
        project: &str,
        id: &str,
        method: VerificationMethod,
    ) -> ProviderResult<Registration> {
        let m = match method {
            VerificationMethod::Sms => "SMS",
            VerificationMethod::Voice => "VOICE",
        };
        let call = Self::call_of(
            "register_sender",
            CallKind::Write,
            Method::POST,
            self.prov(project, &format!("/whatsapp/senders/{id}/register")),
        )
        .json(json!({ "method": m }));
        let v = self.call(call).await?;
        Ok(Registration {
            sender_id: id.to_owned(),
            method,
            code_sent: v["verificationCodeSent"].as_bool().unwrap_or(true),
        })
    }

    #[tracing::instrument(skip_all, fields(provider = "SINCH", sender = id))]
    async fn verify_sender(&self, project: &str, id: &str, code: &str) -> ProviderResult<()> {
        let call = Self::call_of(
            "verify_sender",
            CallKind::Write,
            Method::POST,
            self.prov(project, &format!("/whatsapp/senders/{id}/verify")),
        )
        .json(json!({ "code": code }));
        self.call(call).await.map(|_| ())
    }

    #[tracing::instrument(skip_all, fields(provider = "SINCH", sender = id))]
    async fn delete_sender(&self, project: &str, id: &str) -> ProviderResult<()> {
        let call = Self::call_of(
            "delete_sender",
            CallKind::Write,
            Method::DELETE,
            self.prov(project, &format!("/whatsapp/senders/{id}")),
        );
        self.call(call).await.map(|_| ())
    }

    #[tracing::instrument(skip_all, fields(provider = "SINCH", project))]
    async fn get_waba(&self, project: &str) -> ProviderResult<ProviderWaba> {
        let call = Self::call_of("get_account", CallKind::Read, Method::GET, self.prov(project, "/whatsapp"));
        Ok(wire::account(self.call(call).await?, Some(project)))
    }

    /// The account of the parent project and of every subproject (404s skipped).
    #[tracing::instrument(skip_all, fields(provider = "SINCH"))]
    async fn list_wabas(&self) -> ProviderResult<Vec<ProviderWaba>> {
        let mut ids = vec![self.cfg.project_id.clone()];
        ids.extend(self.list_projects().await?.into_iter().map(|p| p.id));
        let mut out = Vec::new();
        for id in ids {
            match self.get_waba(&id).await {
                Ok(w) => out.push(w),
                Err(ProviderError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    #[tracing::instrument(skip_all, fields(provider = "SINCH"))]
    async fn list_projects(&self) -> ProviderResult<Vec<ProviderProject>> {
        let url = self.sub(&format!("/projects/{}/subprojects", self.cfg.project_id));
        self.pages("list_subprojects", url, "subprojects", "1000").await?.into_iter().map(wire::project).collect()
    }

    /// Conversation API app on the sender's regional host, linked with `static_bearer`.
    #[tracing::instrument(skip_all, fields(provider = "SINCH", project = %req.project_id, region = %req.region))]
    async fn create_app(&self, req: AppRequest) -> ProviderResult<ProviderApp> {
        let host = self.cfg.conversation_url.replace("{region}", &req.region.to_lowercase());
        let url = format!("{}/v1/projects/{}/apps", host.trim_end_matches('/'), req.project_id);
        let body = json!({
            "display_name": req.display_name,
            "channel_credentials": [{
                "channel": "WHATSAPP",
                "static_bearer": { "claimed_identity": req.sender_id, "token": req.bearer_token.expose_secret() },
            }],
        });
        let v = self.call(Self::call_of("create_app", CallKind::Create, Method::POST, url).json(body)).await?;
        wire::app(v)
    }

    /// Register a provisioning webhook (`ALL` triggers) signed with our first secret;
    /// an existing one with the same target is reused. Without a configured secret
    /// nothing is registered: callbacks signed with an empty secret could never verify.
    #[tracing::instrument(skip_all, fields(provider = "SINCH"))]
    async fn configure_webhook(&self, project: Option<&str>, target: &str) -> ProviderResult<WebhookSubscription> {
        let project = project.unwrap_or(&self.cfg.project_id);
        let Some(secret) = self.webhook_secrets().first().map(|s| s.expose_secret().to_owned()) else {
            return Err(self.unsupported("configure_webhook without SINCH_WEBHOOK_SECRETS"));
        };
        let body = json!({ "target": target, "secret": secret, "triggers": ["ALL"] });
        let call =
            Self::call_of("create_webhook", CallKind::Write, Method::POST, self.prov(project, "/webhooks")).json(body);
        match self.call(call).await {
            Ok(v) => Ok(wire::webhook(&v, target)),
            Err(ProviderError::Conflict { code, .. }) if code == "webhook_exists" => {
                let all = self.pages("list_webhooks", self.prov(project, "/webhooks"), "webhooks", "15").await?;
                let found = all.iter().find(|w| w["target"] == target).cloned().unwrap_or(Value::Null);
                Ok(wire::webhook(&found, target))
            }
            Err(e) => Err(e),
        }
    }

    fn adopt_webhook_secret(&self, secret: SecretString) {
        let mut minted = self.minted.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !minted.iter().any(|s| s.expose_secret() == secret.expose_secret()) {
            minted.push(secret);
        }
    }

    fn needs_webhook_secret(&self) -> bool {
        self.webhook_secrets().is_empty()
    }

    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<Vec<ProviderEvent>, WebhookError> {
        verify_signature(&self.webhook_secrets(), headers, body, Utc::now())?;
        wire::parse_events(body)
    }
}
