//! SendZen simulator: `POST /v1/partner/onboard` (partner key), `GET /v1/auth/api_key`
//! (key check, partner or customer key) and `GET /v1/logs` (customer key), snake_case,
//! errors `{error,message}` (unknown routes too), 300 requests/min per key (assumed). The iframe is stood in for by the control surface:
//! COMPLETE / FAIL send the onboarding result as a webhook signed
//! `X-Hub-Signature-256: sha256=<hex>` to the client's webhook URL.
//!
//! Assumptions (gaps in the reference): onboard answers 200; calling it again for the
//! same `client_identifier` returns the same project and key with a fresh iframe URL;
//! the webhook URL is validated by one unsigned `GET` to it (the guide asks for a 200
//! to "validation requests" without giving method or shape), valid when it answers 2xx;
//! the key check answers `{message}`; the result webhook body is the documented
//! postMessage object.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::common::{json, record_and_inject, with_fallbacks, SimCore};
use super::limits::MinuteWindows;
use super::{lock, random_digits, random_id, SimAction, SimError};
use crate::sign;

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct SendzenSimConfig {
    /// The partner API key accepted on partner calls.
    pub partner_key: String,
    /// Secret that signs webhooks.
    pub webhook_secret: String,
    /// Iframe URL prefix; the token is appended.
    pub iframe_base: String,
    /// Requests per minute per API key (no numbers are published; 300 assumed).
    pub limit_per_min: u32,
}

impl Default for SendzenSimConfig {
    fn default() -> Self {
        Self {
            partner_key: "sz_partner_sandbox".into(),
            webhook_secret: "sendzen_sandbox_webhook_secret_0123456789".into(),
            iframe_base: "https://app.sendzen.io/onboard/iframe?token=".into(),
            limit_per_min: 300,
        }
    }
}

#[derive(Debug, Clone)]
struct Customer {
    client_identifier: String,
    project_id: String,
    api_key: String,
    webhook_url: Option<String>,
    iframe_expires: DateTime<Utc>,
    done: bool,
}

/// The SendZen simulator.
pub struct SendzenSim {
    /// Recorder, faults, webhook sender.
    pub core: Arc<SimCore>,
    config: SendzenSimConfig,
    customers: Mutex<Vec<Customer>>,
    /// One minute window per API key.
    windows: MinuteWindows,
}

fn error_body(_path: &str, status: StatusCode, code: &str, message: &str) -> Response {
    let error = match status.as_u16() {
        401 => "Invalid API key",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        _ if code == "internal_error" => "Internal Server Error",
        _ => code,
    };
    json(status, json!({ "error": error, "message": message }))
}

type Sim = State<Arc<SendzenSim>>;

impl SendzenSim {
    /// A fresh simulator.
    pub fn new(config: SendzenSimConfig) -> Arc<Self> {
        Arc::new(Self {
            core: SimCore::new(error_body),
            config,
            customers: Mutex::new(Vec::new()),
            windows: MinuteWindows::default(),
        })
    }

    /// The routes (mount under `/sandbox/sendzen` or serve standalone).
    pub fn router(self: &Arc<Self>) -> Router {
        let routes = Router::new()
            .route("/v1/partner/onboard", post(onboard))
            .route("/v1/auth/api_key", get(check_key))
            .route("/v1/logs", get(logs))
            .layer(axum::middleware::from_fn_with_state(Arc::clone(self), limit))
            .with_state(Arc::clone(self));
        with_fallbacks(routes, &self.core)
            .layer(axum::middleware::from_fn_with_state(Arc::clone(&self.core), record_and_inject))
    }

    fn key(headers: &HeaderMap) -> Option<&str> {
        headers.get("authorization")?.to_str().ok()?.strip_prefix("Bearer ")
    }

    fn unauthorized(&self) -> Response {
        self.core.error(StatusCode::UNAUTHORIZED, "unauthorized", "The provided API key is invalid or expired")
    }

    /// COMPLETE / FAIL send the iframe's result by webhook and return it (what the
    /// iframe posts to the partner's page); START is accepted (nothing is observable at
    /// SendZen); EXPIRE ends the current iframe URL. Those two return `null`.
    pub fn simulate(&self, id: &str, action: SimAction) -> Result<serde_json::Value, SimError> {
        let (c, body) = {
            let mut list = lock(&self.customers);
            let c =
                list.iter_mut().find(|c| c.client_identifier == id || c.project_id == id).ok_or(SimError::NotFound)?;
            let body = match action {
                SimAction::Start if !c.done => return Ok(serde_json::Value::Null),
                SimAction::Expire if !c.done => {
                    c.iframe_expires = Utc::now();
                    return Ok(serde_json::Value::Null);
                }
                SimAction::Complete if !c.done => json!({
                    "status": "completed", "project_id": c.project_id, "client_identifier": c.client_identifier,
                    "waba_id": random_digits(15), "phone_number_id": random_digits(15),
                }),
                SimAction::Fail if !c.done => json!({
                    "status": "failed", "project_id": c.project_id, "client_identifier": c.client_identifier,
                    "message": "The customer cancelled the WhatsApp signup",
                }),
                a => return Err(SimError::NotAllowed(format!("{a:?} not allowed (finished: {})", c.done))),
            };
            c.done = true;
            (c.clone(), body)
        };
        let result = body.clone();
        let body = body.to_string();
        // Only to the URL the partner gave at onboard (`client_webhook_url`).
        if let Some(url) = c.webhook_url {
            let secret = self.config.webhook_secret.clone();
            let signer = Arc::new(move |body: &str| {
                vec![(
                    "x-hub-signature-256".to_owned(),
                    format!("sha256={}", hex::encode(sign(secret.as_bytes(), &[body.as_bytes()]))),
                )]
            });
            self.core.webhooks.send(url, body, signer);
        }
        Ok(result)
    }
}

/// The minute window of the caller's key: beyond it, 429 `{error, message}` with
/// `Retry-After` (SendZen documents the 429, not its headers; assumed).
async fn limit(State(sim): Sim, req: Request, next: Next) -> Response {
    let key = SendzenSim::key(req.headers()).unwrap_or("").to_owned();
    let verdict = sim.windows.hit(&key, sim.config.limit_per_min);
    if !verdict.exceeded {
        return next.run(req).await;
    }
    let mut resp = sim.core.error(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "Rate limit exceeded, retry later");
    verdict.retry_after_header(&mut resp);
    resp
}

async fn onboard(State(sim): Sim, headers: HeaderMap, body: Bytes) -> Response {
    if SendzenSim::key(&headers) != Some(sim.config.partner_key.as_str()) {
        return sim.unauthorized();
    }
    let b: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(client) = b["client_identifier"].as_str().filter(|s| !s.trim().is_empty()) else {
        return sim.core.error(StatusCode::BAD_REQUEST, "bad_request", "client_identifier is required");
    };
    let webhook = b["client_webhook_url"].as_str().filter(|s| !s.is_empty()).map(str::to_owned);
    let now = Utc::now();
    let c = {
        let mut list = lock(&sim.customers);
        let idx = match list.iter().position(|c| c.client_identifier == client) {
            Some(i) => i,
            None => {
                list.push(Customer {
                    client_identifier: client.to_owned(),
                    project_id: format!("proj_{}", random_id(12)),
                    api_key: format!("sk_test_{}", random_id(24)),
                    webhook_url: None,
                    iframe_expires: now,
                    done: false,
                });
                list.len() - 1
            }
        };
        let c = &mut list[idx];
        if webhook.is_some() {
            c.webhook_url.clone_from(&webhook);
        }
        c.iframe_expires = now + Duration::hours(1);
        c.done = false;
        c.clone()
    };
    let valid = match webhook.as_deref() {
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => sim.core.webhooks.validate(url).await,
        _ => false,
    };
    json(
        StatusCode::OK,
        json!({
            "user_data": {
                "client_identifier": c.client_identifier, "project_id": c.project_id,
                "project_name": format!("{} project", c.client_identifier), "api_key": c.api_key,
            },
            "iframe_url": format!("{}{}", sim.config.iframe_base, random_id(32)),
            "webhook": {
                "url": webhook, "valid": valid,
                "detail": match (valid, webhook.is_some()) {
                    (true, _) => "Webhook URL is valid and configured",
                    (false, true) => "Webhook URL did not answer the validation request with 200",
                    (false, false) => "No valid webhook URL provided",
                },
            },
        }),
    )
}

async fn check_key(State(sim): Sim, headers: HeaderMap) -> Response {
    let key = SendzenSim::key(&headers);
    let known = key == Some(sim.config.partner_key.as_str())
        || lock(&sim.customers).iter().any(|c| Some(c.api_key.as_str()) == key);
    if !known {
        return sim.unauthorized();
    }
    json(StatusCode::OK, json!({ "message": "API key is valid" }))
}

/// Activity logs of the customer whose key is used: the result webhooks sent for it.
async fn logs(State(sim): Sim, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let key = SendzenSim::key(&headers);
    let Some(c) = lock(&sim.customers).iter().find(|c| Some(c.api_key.as_str()) == key).cloned() else {
        return sim.unauthorized();
    };
    let size = q.get("pageSize").and_then(|s| s.parse::<usize>().ok()).unwrap_or(20).clamp(1, 20);
    let start = q.get("nextPageToken").and_then(|t| t.parse::<usize>().ok()).unwrap_or(0);
    let all: Vec<Value> = sim
        .core
        .webhooks
        .deliveries()
        .into_iter()
        .filter(|d| d.body.contains(&c.project_id))
        .map(|d| json!({
            "project_id": c.project_id, "phone_number_id": null, "event_type": "Other", "payload": d.body,
            "created_at": 0, "direction": 1, "flyout_delivery_status": if d.delivered { "Delivered" } else { "Failed" },
            "flyout_delivery_response": "", "flyout_delivery_response_code": if d.delivered { 200 } else { 0 }, "flyout_url": d.url,
        }))
        .collect();
    let end = (start + size).min(all.len());
    let mut data = json!({ "logs": all[start.min(all.len())..end] });
    if end < all.len() {
        data["next_page_token"] = json!(end.to_string());
    }
    json(StatusCode::OK, json!({ "message": "Notification logs retrieved successfully", "data": data }))
}
