//! The simulators' control API over HTTP, under `/sandbox/control`: what a test, a
//! person at GraphiQL or another process uses to play the customer's and Meta's part,
//! read what the simulators received, and inject faults. bspgraph itself never calls
//! it: the product reaches the simulators only through the providers' own APIs.
//!
//! - `POST /sandbox/control/{provider}/simulate` `{"id", "action"}`: 200 with the
//!   object's new provider `state` (as the provider's read API shows it) and
//!   `customerSees` (SendZen's iframe result, else null); 404 for an unknown id, 409 when
//!   the action does not apply now, 400 for an unknown provider or action. The
//!   provider's webhooks follow as in reality.
//! - `GET /sandbox/control/{provider}/requests`: the recorder (method, path, headers,
//!   body as text, when).
//! - `POST /sandbox/control/{provider}/faults`: `{"dropWebhooks": N}`,
//!   `{"status": 5xx, "count": N}` (answered with that status), `{"status": 429, "retryAfter": S,
//!   "count": N}`, `{"latencyMs": M, "count"?: N}`.
//! - `POST /sandbox/control/reset`: forget recorded requests and pending faults.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{Fault, SimCore};
use super::control::{Sandbox, SimAction, SimError, SimProvider as Provider};

/// The control routes over `sandbox`.
pub fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/sandbox/control/{provider}/simulate", post(simulate))
        .route("/sandbox/control/{provider}/requests", get(requests))
        .route("/sandbox/control/{provider}/faults", post(faults))
        .route("/sandbox/control/reset", post(reset))
        .with_state(sandbox)
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn provider(name: &str) -> Option<Provider> {
    Provider::from_path(name)
}

fn unknown_provider() -> Response {
    refuse(StatusCode::BAD_REQUEST, "provider must be zavu, sinch or sendzen")
}

fn action(name: &str) -> Option<SimAction> {
    Some(match name {
        "START" => SimAction::Start,
        "COMPLETE" => SimAction::Complete,
        "FAIL" => SimAction::Fail,
        "EXPIRE" => SimAction::Expire,
        "REJECT" => SimAction::Reject,
        "APPROVE" => SimAction::Approve,
        "ACTIVATE" => SimAction::Activate,
        "SUSPEND" => SimAction::Suspend,
        _ => return None,
    })
}

fn core(sandbox: &Sandbox, provider: Provider) -> &Arc<SimCore> {
    match provider {
        Provider::Zavu => &sandbox.zavu.core,
        Provider::Sinch => &sandbox.sinch.core,
        Provider::Sendzen => &sandbox.sendzen.core,
    }
}

#[derive(Deserialize)]
struct SimulateBody {
    id: String,
    action: String,
}

async fn simulate(
    State(sandbox): State<Sandbox>,
    Path(name): Path<String>,
    Json(body): Json<SimulateBody>,
) -> Response {
    let Some(provider) = provider(&name) else { return unknown_provider() };
    let Some(act) = action(&body.action) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "action must be START, COMPLETE, FAIL, EXPIRE, REJECT, APPROVE, ACTIVATE or SUSPEND",
        );
    };
    match sandbox.simulate(provider, &body.id, act) {
        Ok(done) => Json(json!({ "id": body.id, "action": body.action, "applied": true,
            "state": done.state, "customerSees": done.customer_sees }))
        .into_response(),
        Err(SimError::NotFound) => refuse(StatusCode::NOT_FOUND, SimError::NotFound.to_string()),
        Err(e @ SimError::NotAllowed(_)) => refuse(StatusCode::CONFLICT, e.to_string()),
    }
}

async fn requests(State(sandbox): State<Sandbox>, Path(name): Path<String>) -> Response {
    let Some(provider) = provider(&name) else { return unknown_provider() };
    let list: Vec<Value> = core(&sandbox, provider)
        .requests()
        .into_iter()
        .map(|r| {
            json!({ "receivedAt": r.received_at.to_rfc3339(), "method": r.method, "path": r.path,
                "headers": r.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
                "body": String::from_utf8_lossy(&r.body) })
        })
        .collect();
    Json(json!({ "requests": list })).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FaultBody {
    drop_webhooks: Option<usize>,
    status: Option<u16>,
    retry_after: Option<u64>,
    latency_ms: Option<u64>,
    count: Option<usize>,
}

async fn faults(State(sandbox): State<Sandbox>, Path(name): Path<String>, Json(body): Json<FaultBody>) -> Response {
    let Some(provider) = provider(&name) else { return unknown_provider() };
    let count = body.count.unwrap_or(1).min(100_000);
    let (fault, n) = match body {
        FaultBody { drop_webhooks: Some(n), .. } => (Fault::DropWebhook, n.min(100_000)),
        FaultBody { status: Some(429), retry_after, .. } => {
            (Fault::RateLimited { retry_after_secs: retry_after.unwrap_or(1) }, count)
        }
        FaultBody { status: Some(s), .. } if (500..600).contains(&s) => (Fault::Status(s), count),
        FaultBody { latency_ms: Some(ms), .. } => (Fault::Latency(Duration::from_millis(ms.min(60_000))), count),
        _ => return refuse(StatusCode::BAD_REQUEST, "give dropWebhooks, status (429 or 5xx) with count, or latencyMs"),
    };
    core(&sandbox, provider).inject(fault, n);
    Json(json!({ "injected": n })).into_response()
}

async fn reset(State(sandbox): State<Sandbox>) -> Response {
    for provider in Provider::ALL {
        let core = core(&sandbox, provider);
        core.clear_requests();
        core.clear_faults();
    }
    StatusCode::NO_CONTENT.into_response()
}
