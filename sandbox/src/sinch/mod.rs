//! Sinch simulator: the OAuth2 token host (`/auth`), the Provisioning API
//! (`/provisioning`: WhatsApp account, senders, webhooks), the Subprojects API
//! (`/subproject`) and the regional Conversation API hosts (`/conversation/{region}`),
//! each with its own error shape: provisioning `{errorCode,message,resolution}`,
//! subprojects and conversation `{error:{code,message,status,details}}`, token
//! `{error,error_description}`; unknown routes answer 404 in the shape of their host.
//! Limits: the token endpoint's bucket (30, refilled at 10/s; its 429 has no
//! `Retry-After`, as the Sinch SDK notes) and a minute window per API host.
//!
//! Accounts: created with only `changes.status: IN_PROGRESS`, then
//! PENDING_FACEBOOK_VERIFICATION, ONBOARDED or REJECTED. Senders: created with only
//! `changes.status: IN_PROGRESS`; OBO senders with a customer number go to
//! PENDING_VERIFICATION (register + verify with the sandbox code), others to ACTIVE.
//! Callbacks are `{type,payload}` signed with the four `x-sinch-webhook-signature*`
//! headers, sent to webhooks registered on the project (and its parent) and to the
//! configured sandbox target.

mod auth;
mod control;
mod conversation;
mod provisioning;
mod senders;
mod subprojects;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::http::StatusCode;
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};

use super::common::{json, record_and_inject, with_fallbacks, SimCore};
use super::limits::{MinuteWindows, TokenBucket};
use super::lock;

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct SinchSimConfig {
    /// Access key id accepted by the token endpoint and Basic auth.
    pub key_id: String,
    /// Access key secret.
    pub key_secret: String,
    /// The partner's (parent) project id.
    pub project_id: String,
    /// Token lifetime in seconds (`expires_in`).
    pub token_ttl_secs: u64,
    /// The OTP every sandbox verification accepts.
    pub verification_code: String,
    /// Requests per minute on each of the Provisioning and Subprojects APIs (assumed 600).
    pub api_limit_per_min: u32,
    /// The token endpoint's bucket: (capacity, refill per second), 30 and 10 at Sinch.
    pub token_bucket: (u32, u32),
}

impl Default for SinchSimConfig {
    fn default() -> Self {
        Self {
            key_id: "sandbox-key-id".into(),
            key_secret: "sandbox-key-secret".into(),
            project_id: "sandbox-project".into(),
            token_ttl_secs: 3600,
            verification_code: "123456".into(),
            api_limit_per_min: 600,
            token_bucket: (30, 10),
        }
    }
}

/// A sender with what the wire object does not show.
#[derive(Debug, Clone)]
struct SenderRec {
    project_id: String,
    wire: Value,
    /// ES senders: the Meta phone-number id from the request (not on the wire object).
    phone_number_id: Option<String>,
    registered: bool,
    deleted: bool,
}

#[derive(Debug, Clone)]
struct WebhookRec {
    project_id: String,
    id: String,
    target: String,
    secret: String,
    triggers: Vec<String>,
}

#[derive(Default)]
struct State {
    /// Access token -> expiry.
    tokens: HashMap<String, Instant>,
    /// Subprojects as wire objects, creation order.
    subprojects: Vec<Value>,
    /// Project id -> account wire object.
    accounts: HashMap<String, Value>,
    senders: Vec<SenderRec>,
    webhooks: Vec<WebhookRec>,
    /// Conversation API apps: (project id, lowercase region, app wire object).
    apps: Vec<(String, String, Value)>,
    tokens_issued: u64,
}

/// The Sinch simulator.
pub struct SinchSim {
    /// Recorder, faults, webhook sender.
    pub core: Arc<SimCore>,
    config: SinchSimConfig,
    state: Mutex<State>,
    /// One minute window per API host (`provisioning`, `subproject`).
    windows: MinuteWindows,
    /// The token endpoint's bucket.
    token_bucket: TokenBucket,
}

/// Provisioning answers in the PAPI shape; subprojects and conversation in the
/// Google-RPC shape (`code` there is the HTTP status, `status` the RPC name).
fn error_body(path: &str, status: StatusCode, code: &str, message: &str) -> Response {
    if path.starts_with("/provisioning") || path.is_empty() {
        return json(status, json!({ "errorCode": code, "message": message, "resolution": resolution(code) }));
    }
    if path.starts_with("/auth") {
        return json(status, json!({ "error": code, "error_description": message }));
    }
    let rpc = match status.as_u16() {
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        s if s >= 500 => "INTERNAL",
        _ if code == "FAILED_PRECONDITION" => "FAILED_PRECONDITION",
        _ => "INVALID_ARGUMENT",
    };
    json(status, json!({ "error": { "code": status.as_u16(), "message": message, "status": rpc, "details": [] } }))
}

fn resolution(code: &str) -> &'static str {
    match code {
        "unauthorized_error" => "Check the access key or token.",
        "project_not_found" => "Check the project id.",
        "project_not_initialized" => "Create the WhatsApp account first.",
        "internal_error" => "Retry later.",
        _ => "Correct the request and retry.",
    }
}

impl SinchSim {
    /// A fresh simulator.
    pub fn new(config: SinchSimConfig) -> Arc<Self> {
        let (capacity, per_sec) = config.token_bucket;
        Arc::new(Self {
            core: SimCore::new(error_body),
            config,
            state: Mutex::new(State::default()),
            windows: MinuteWindows::default(),
            token_bucket: TokenBucket::new(capacity, per_sec),
        })
    }

    /// All four hosts as sub-paths (mount under `/sandbox/sinch` or serve standalone).
    pub fn router(self: &Arc<Self>) -> Router {
        let apis = Router::new()
            .merge(provisioning::router(Arc::clone(self)))
            .merge(subprojects::router(Arc::clone(self)))
            .merge(conversation::router(Arc::clone(self)))
            .layer(axum::middleware::from_fn_with_state(Arc::clone(self), auth::require_auth))
            .layer(axum::middleware::from_fn_with_state(Arc::clone(self), limit));
        with_fallbacks(Router::new().merge(auth::router(Arc::clone(self))).merge(apis), &self.core)
            .layer(axum::middleware::from_fn_with_state(Arc::clone(&self.core), record_and_inject))
    }

    /// Make every issued access token expired (the next call gets an expired-token 401).
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        for until in lock(&self.state).tokens.values_mut() {
            *until = now;
        }
    }

    /// How many access tokens the token endpoint issued.
    pub fn tokens_issued(&self) -> u64 {
        lock(&self.state).tokens_issued
    }

    /// The parent project id.
    pub fn project_id(&self) -> &str {
        &self.config.project_id
    }

    fn project_exists(&self, st: &State, id: &str) -> bool {
        id == self.config.project_id || st.subprojects.iter().any(|s| s["subprojectId"] == id && s["deleted"] == false)
    }

    fn parent_of(&self, st: &State, id: &str) -> Option<String> {
        st.subprojects
            .iter()
            .find(|s| s["subprojectId"] == id)
            .and_then(|s| s["parentProjectId"].as_str().map(str::to_owned))
    }

    /// Send callback `trigger` with `payload` for objects in `project`.
    fn emit(&self, project: &str, trigger: &str, payload: Value) {
        let body = json!({ "type": trigger, "payload": payload }).to_string();
        let targets: Vec<(String, String)> = {
            let st = lock(&self.state);
            let parent = self.parent_of(&st, project);
            st.webhooks
                .iter()
                .filter(|w| w.project_id == project || Some(&w.project_id) == parent.as_ref())
                .filter(|w| w.triggers.iter().any(|x| x == "ALL" || x == trigger))
                .map(|w| (w.target.clone(), w.secret.clone()))
                .collect()
        };
        for (url, secret) in targets {
            let signer = Arc::new(move |body: &str| sign_headers(&secret, body));
            self.core.webhooks.send(url, body.clone(), signer);
        }
    }
}

/// The four callback headers: base64 HMAC-SHA256 over `"{body}.{nonce}.{timestamp}"`.
pub fn sign_headers(secret: &str, body: &str) -> Vec<(String, String)> {
    use base64::Engine;
    let nonce = super::random_id(26).to_uppercase();
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let mac = crate::sign(secret.as_bytes(), &[body.as_bytes(), b".", nonce.as_bytes(), b".", timestamp.as_bytes()]);
    vec![
        ("x-sinch-webhook-signature".into(), base64::engine::general_purpose::STANDARD.encode(mac)),
        ("x-sinch-webhook-signature-algorithm".into(), "HmacSHA256".into()),
        ("x-sinch-webhook-signature-nonce".into(), nonce),
        ("x-sinch-webhook-signature-timestamp".into(), timestamp),
    ]
}

/// The Provisioning and Subprojects APIs' minute windows (one each; the numbers are not
/// published, 600/min assumed): beyond, 429 in the host's error shape with `Retry-After`.
async fn limit(
    axum::extract::State(sim): axum::extract::State<Arc<SinchSim>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let host = ["/provisioning", "/subproject"].into_iter().find(|h| path.starts_with(h));
    let Some(host) = host else { return next.run(req).await };
    let verdict = sim.windows.hit(host, sim.config.api_limit_per_min);
    if !verdict.exceeded {
        return next.run(req).await;
    }
    let mut resp = sim.core.error_at(&path, StatusCode::TOO_MANY_REQUESTS, "too_many_requests", "Too many requests");
    verdict.retry_after_header(&mut resp);
    resp
}

/// `?pageSize` within `1..=max` (default `default`) and an opaque offset `pageToken`.
fn paging(q: &HashMap<String, String>, default: usize, max: usize) -> Result<(usize, usize), &'static str> {
    let size = match q.get("pageSize") {
        None => default,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => return Err("invalid_page_size"),
        },
    };
    let start = match q.get("pageToken").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => t.strip_prefix("pt").and_then(|n| n.parse().ok()).ok_or("invalid_page_token")?,
    };
    Ok((size, start))
}
