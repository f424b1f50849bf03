//! Sinch Conversation API simulator, apps: create
//! `POST /conversation/{region}/v1/projects/{project_id}/apps` (snake_case JSON, 200),
//! get `GET .../apps/{app_id}` (the `AppResponse`) and list `GET .../apps`
//! (`{apps: [...]}`, not paginated), each on the region the app was created in.
//! A WhatsApp credential must name an ACTIVE sender of the project and carry its
//! `bearerToken` as `static_bearer.token`, on the sender's own region.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::SinchSim;
use crate::common::json;
use crate::{lock, random_id};

type Sim = State<Arc<SinchSim>>;

pub fn router(sim: Arc<SinchSim>) -> Router {
    Router::new()
        .route("/conversation/{region}/v1/projects/{pid}/apps", post(create_app).get(list_apps))
        .route("/conversation/{region}/v1/projects/{pid}/apps/{app_id}", get(get_app))
        .with_state(sim)
}

const PATH: &str = "/conversation";

/// 404 unless `region` is a Conversation API region and `pid` a known project.
#[allow(clippy::result_large_err)] // simulator handlers answer errors as responses
fn check(sim: &SinchSim, region: &str, pid: &str) -> Result<(), Response> {
    if !matches!(region, "us" | "eu" | "br") {
        return Err(sim.core.error_at(PATH, StatusCode::NOT_FOUND, "NOT_FOUND", "Unknown region"));
    }
    if !sim.project_exists(&lock(&sim.state), pid) {
        return Err(sim.core.error_at(PATH, StatusCode::NOT_FOUND, "NOT_FOUND", "Project not found"));
    }
    Ok(())
}

async fn get_app(State(sim): Sim, Path((region, pid, app_id)): Path<(String, String, String)>) -> Response {
    if let Err(r) = check(&sim, &region, &pid) {
        return r;
    }
    let st = lock(&sim.state);
    match st.apps.iter().find(|(p, r, a)| *p == pid && *r == region && a["id"] == app_id.as_str()) {
        Some((_, _, app)) => json(StatusCode::OK, app.clone()),
        None => sim.core.error_at(PATH, StatusCode::NOT_FOUND, "NOT_FOUND", "App not found"),
    }
}

async fn list_apps(State(sim): Sim, Path((region, pid)): Path<(String, String)>) -> Response {
    if let Err(r) = check(&sim, &region, &pid) {
        return r;
    }
    let st = lock(&sim.state);
    let apps: Vec<&Value> = st.apps.iter().filter(|(p, r, _)| *p == pid && *r == region).map(|(_, _, a)| a).collect();
    json(StatusCode::OK, json!({ "apps": apps }))
}

async fn create_app(State(sim): Sim, Path((region, pid)): Path<(String, String)>, body: Bytes) -> Response {
    let bad = |m: &str| sim.core.error_at(PATH, StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", m);
    if let Err(r) = check(&sim, &region, &pid) {
        return r;
    }
    let Some(b) = serde_json::from_slice::<Value>(&body).ok().filter(Value::is_object) else {
        return bad("body must be a JSON object");
    };
    let Some(name) = b["display_name"].as_str().filter(|s| !s.is_empty()) else {
        return bad("display_name is required");
    };
    let Some(creds) = b["channel_credentials"].as_array().filter(|a| !a.is_empty()) else {
        return bad("channel_credentials is required");
    };
    let mut st = lock(&sim.state);
    let mut out = Vec::new();
    for c in creds {
        if c["channel"] == "WHATSAPP" {
            let id = c["static_bearer"]["claimed_identity"].as_str().unwrap_or("");
            let token = c["static_bearer"]["token"].as_str().unwrap_or("");
            let ok = st.senders.iter().any(|s| {
                s.project_id == pid
                    && s.wire["id"] == id
                    && s.wire["state"] == "ACTIVE"
                    && s.wire["bearerToken"] == token
                    && s.wire["region"].as_str().is_some_and(|r| r.eq_ignore_ascii_case(&region))
            });
            if !ok {
                return bad(
                    "static_bearer must name an ACTIVE sender of this project in this region and its bearer token",
                );
            }
        }
        let mut c = c.clone();
        c["state"] = json!({ "status": "ACTIVE" });
        if let Some(o) = c.as_object_mut() {
            // The token is a credential: not echoed.
            if let Some(sb) = o.get_mut("static_bearer").and_then(Value::as_object_mut) {
                sb.remove("token");
            }
        }
        out.push(c);
    }
    let app = json!({
        "id": random_id(26).to_uppercase(), "display_name": name, "channel_credentials": out,
        "conversation_metadata_report_view": "NONE",
        "rate_limits": { "inbound": 25, "outbound": 25, "webhooks": 25 },
        "retention_policy": { "retention_type": "MESSAGE_EXPIRE_POLICY", "ttl_days": 180 },
        "processing_mode": "CONVERSATION", "persist_message_status": { "enabled": false },
        "message_search": { "enabled": false }, "queue_stats": {},
    });
    st.apps.push((pid, region, app.clone()));
    json(StatusCode::OK, app)
}
