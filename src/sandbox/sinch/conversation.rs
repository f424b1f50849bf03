//! Sinch Conversation API simulator, app creation only:
//! `POST /conversation/{region}/v1/projects/{project_id}/apps` (snake_case JSON, 200).
//! A WhatsApp credential must name an ACTIVE sender of the project and carry its
//! `bearerToken` as `static_bearer.token`, on the sender's own region.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use super::SinchSim;
use crate::sandbox::common::json;
use crate::sandbox::{lock, random_id};

type Sim = State<Arc<SinchSim>>;

pub fn router(sim: Arc<SinchSim>) -> Router {
    Router::new().route("/conversation/{region}/v1/projects/{pid}/apps", post(create_app)).with_state(sim)
}

async fn create_app(State(sim): Sim, Path((region, pid)): Path<(String, String)>, body: Bytes) -> Response {
    let path = "/conversation";
    let bad = |m: &str| sim.core.error_at(path, StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", m);
    if !matches!(region.as_str(), "us" | "eu" | "br") {
        return sim.core.error_at(path, StatusCode::NOT_FOUND, "NOT_FOUND", "Unknown region");
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
    if !sim.project_exists(&st, &pid) {
        return sim.core.error_at(path, StatusCode::NOT_FOUND, "NOT_FOUND", "Project not found");
    }
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
    st.apps.push((pid, app.clone()));
    json(StatusCode::OK, app)
}
