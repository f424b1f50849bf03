//! Sinch Provisioning API simulator: the WhatsApp account and webhooks
//! (senders are in `senders.rs`). Paths under `/provisioning/v1/projects/{projectId}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use serde_json::{json, Value};

use super::{paging, SinchSim, WebhookRec};
use crate::common::json;
use crate::{iso, lock, random_id};

type Sim = State<Arc<SinchSim>>;

const P: &str = "/provisioning";

pub fn router(sim: Arc<SinchSim>) -> Router {
    Router::new()
        .route("/provisioning/v1/projects/{pid}/whatsapp", get(get_account).post(create_account))
        .route("/provisioning/v1/projects/{pid}/webhooks", get(list_webhooks).post(create_webhook))
        .route("/provisioning/v1/projects/{pid}/webhooks/{wid}", get(get_webhook).delete(delete_webhook))
        .merge(super::senders::router())
        .with_state(sim)
}

/// A PAPI error.
pub fn papi(sim: &SinchSim, status: StatusCode, code: &str, message: &str) -> Response {
    sim.core.error_at(P, status, code, message)
}

/// 404 `project_not_found` unless `pid` is the parent project or a live subproject.
#[allow(clippy::result_large_err)] // simulator handlers answer errors as responses
pub fn check_project(sim: &SinchSim, pid: &str) -> Result<(), Response> {
    let st = lock(&sim.state);
    if sim.project_exists(&st, pid) {
        Ok(())
    } else {
        Err(papi(sim, StatusCode::NOT_FOUND, "project_not_found", "Project not found"))
    }
}

/// Parse a JSON object body or answer 400 `invalid_input`.
#[allow(clippy::result_large_err)] // simulator handlers answer errors as responses
pub fn object(sim: &SinchSim, body: &Bytes) -> Result<serde_json::Map<String, Value>, Response> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .ok_or_else(|| papi(sim, StatusCode::BAD_REQUEST, "invalid_input", "Body must be a JSON object"))
}

/// The prelude of every create handler: a known project, then a JSON object body.
#[allow(clippy::result_large_err)] // simulator handlers answer errors as responses
pub fn project_object(sim: &SinchSim, pid: &str, body: &Bytes) -> Result<serde_json::Map<String, Value>, Response> {
    check_project(sim, pid)?;
    object(sim, body)
}

async fn get_account(State(sim): Sim, Path(pid): Path<String>) -> Response {
    if let Err(r) = check_project(&sim, &pid) {
        return r;
    }
    match lock(&sim.state).accounts.get(&pid) {
        Some(a) => json(StatusCode::OK, a.clone()),
        None => papi(&sim, StatusCode::NOT_FOUND, "account_not_found", "WhatsApp account not found"),
    }
}

/// OBO account: partner-initiated form or the deprecated `{companyLegalName, clientBusinessManagerId}`.
async fn create_account(State(sim): Sim, Path(pid): Path<String>, body: Bytes) -> Response {
    let b = match project_object(&sim, &pid, &body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(bm_id) = b.get("clientBusinessManagerId").and_then(Value::as_str).filter(|s| !s.is_empty()) else {
        return papi(&sim, StatusCode::BAD_REQUEST, "invalid_input", "clientBusinessManagerId is required");
    };
    let mut details = json!({ "clientBusinessManagerId": bm_id });
    for k in ["companyLegalName", "wabaName", "senderDetails"] {
        if let Some(v) = b.get(k) {
            details[k] = v.clone()
        }
    }
    let account = json!({
        "isEmbeddedSignup": false,
        "businessManager": b.get("businessManager").cloned().unwrap_or(json!("SINCH_UK")),
        "wabaMaxPriceOnboarded": false,
        "compatibleRegions": ["eu", "us"],
        "changes": { "status": "IN_PROGRESS" },
        "details": details,
    });
    let mut st = lock(&sim.state);
    if st.accounts.contains_key(&pid) {
        return papi(
            &sim,
            StatusCode::CONFLICT,
            "account_exists",
            "A WhatsApp account already exists for this project",
        );
    }
    st.accounts.insert(pid, account.clone());
    json(StatusCode::CREATED, account)
}

fn webhook_wire(w: &WebhookRec) -> Value {
    json!({ "id": w.id, "projectId": w.project_id, "target": w.target, "triggers": w.triggers })
}

async fn create_webhook(State(sim): Sim, Path(pid): Path<String>, body: Bytes) -> Response {
    let b = match project_object(&sim, &pid, &body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let bad = |m: &str| papi(&sim, StatusCode::BAD_REQUEST, "invalid_input", m);
    let target = b.get("target").and_then(Value::as_str).unwrap_or("");
    if target.is_empty() || target.len() > 742 || !target.starts_with("http") {
        return bad("target must be a URL of 1 to 742 characters");
    }
    let secret = b.get("secret").and_then(Value::as_str).unwrap_or("");
    if secret.is_empty() || secret.len() > 128 {
        return bad("secret must be 1 to 128 characters");
    }
    let triggers: Vec<String> = b
        .get("triggers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    if triggers.is_empty() || (triggers.len() > 1 && triggers.iter().any(|t| t == "ALL")) {
        return bad("triggers must be ALL alone or a list of triggers");
    }
    let mut st = lock(&sim.state);
    let mine: Vec<&WebhookRec> = st.webhooks.iter().filter(|w| w.project_id == pid).collect();
    if mine.iter().any(|w| w.target == target) {
        return papi(&sim, StatusCode::CONFLICT, "webhook_exists", "A webhook with this target already exists");
    }
    if mine.len() >= 15 {
        return papi(&sim, StatusCode::FAILED_DEPENDENCY, "webhook_limit_reached", "At most 15 webhooks per project");
    }
    let w = WebhookRec {
        project_id: pid,
        id: random_id(26).to_uppercase(),
        target: target.to_owned(),
        secret: secret.to_owned(),
        triggers,
    };
    let wire = webhook_wire(&w);
    st.webhooks.push(w);
    json(StatusCode::CREATED, wire)
}

async fn list_webhooks(State(sim): Sim, Path(pid): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(r) = check_project(&sim, &pid) {
        return r;
    }
    let (size, start) = match paging(&q, 15, 15) {
        Ok(p) => p,
        Err(code) => return papi(&sim, StatusCode::BAD_REQUEST, code, "Invalid paging"),
    };
    let mut all: Vec<WebhookRec> = lock(&sim.state).webhooks.iter().filter(|w| w.project_id == pid).cloned().collect();
    all.sort_by(|a, b| a.target.cmp(&b.target));
    let end = (start + size).min(all.len());
    let page: Vec<Value> = all.iter().skip(start).take(size).map(webhook_wire).collect();
    json(
        StatusCode::OK,
        json!({
            "previousPageToken": if start > 0 { format!("pt{}", start.saturating_sub(size)) } else { String::new() },
            "nextPageToken": if end < all.len() { format!("pt{end}") } else { String::new() },
            "pageSize": page.len(), "totalSize": all.len(), "webhooks": page,
        }),
    )
}

async fn get_webhook(State(sim): Sim, Path((pid, wid)): Path<(String, String)>) -> Response {
    let found = lock(&sim.state).webhooks.iter().find(|w| w.project_id == pid && w.id == wid).map(webhook_wire);
    match found {
        Some(w) => json(StatusCode::OK, w),
        None => papi(&sim, StatusCode::NOT_FOUND, "webhook_not_found", "Webhook not found"),
    }
}

async fn delete_webhook(State(sim): Sim, Path((pid, wid)): Path<(String, String)>) -> Response {
    let mut st = lock(&sim.state);
    let before = st.webhooks.len();
    st.webhooks.retain(|w| !(w.project_id == pid && w.id == wid));
    if st.webhooks.len() == before {
        return papi(&sim, StatusCode::NOT_FOUND, "webhook_not_found", "Webhook not found");
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Timestamps for a new or changed object.
pub fn now() -> String {
    iso(Utc::now())
}
