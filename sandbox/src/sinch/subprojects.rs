//! Sinch Subprojects API simulator (`/subproject/v1/...`): create (200), list with
//! `pageSize`/`pageToken`/`showDeleted`, get. Errors in the Google-RPC shape.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::provisioning::now;
use super::{paging, SinchSim};
use crate::common::json;
use crate::lock;

type Sim = State<Arc<SinchSim>>;
const PATH: &str = "/subproject";

pub fn router(sim: Arc<SinchSim>) -> Router {
    Router::new()
        .route("/subproject/v1/projects/{parent}/subprojects", get(list).post(create))
        .route("/subproject/v1/subprojects/{id}", get(read))
        .with_state(sim)
}

fn rpc(sim: &SinchSim, status: StatusCode, code: &str, message: &str) -> Response {
    sim.core.error_at(PATH, status, code, message)
}

/// A ULID-looking id (26 characters of Crockford base32).
fn ulid() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bytes = uuid::Uuid::new_v4();
    let mut out = String::from("01");
    for b in bytes.as_bytes().iter().chain(bytes.as_bytes().iter()).take(24) {
        out.push(char::from(ALPHABET[usize::from(*b) % 32]));
    }
    out
}

#[allow(clippy::result_large_err)] // simulator handlers answer errors as responses
fn check_parent(sim: &SinchSim, parent: &str) -> Result<(), Response> {
    if parent == sim.config.project_id {
        Ok(())
    } else {
        // Assumption: a parent that is not the caller's project is FAILED_PRECONDITION.
        Err(rpc(sim, StatusCode::BAD_REQUEST, "FAILED_PRECONDITION", "Parent project is not valid for this key"))
    }
}

async fn create(State(sim): Sim, Path(parent): Path<String>, body: Bytes) -> Response {
    if let Err(r) = check_parent(&sim, &parent) {
        return r;
    }
    let bad = |m: &str| rpc(&sim, StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", m);
    let Some(b) = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v.as_object().cloned()) else {
        return bad("body must be a JSON object");
    };
    let name = b.get("displayName").and_then(Value::as_str).unwrap_or("");
    if name.is_empty() || name.chars().count() > 255 {
        return bad("displayName must be 1 to 255 characters");
    }
    let mut labels = BTreeMap::new();
    if let Some(l) = b.get("labels").filter(|l| !l.is_null()) {
        let Some(obj) = l.as_object() else { return bad("labels must be a map of strings") };
        if obj.len() > 255 {
            return bad("at most 255 labels");
        }
        for (k, v) in obj {
            let Some(v) = v.as_str() else { return bad("label values must be strings") };
            if k.is_empty() || k.len() > 255 || v.is_empty() || v.len() > 255 {
                return bad("label keys and values must be 1 to 255 characters");
            }
            labels.insert(k.clone(), v.to_owned());
        }
    }
    let t = now();
    let sub = json!({
        "subprojectId": ulid(), "displayName": name, "parentProjectId": parent,
        "labels": labels, "createTime": t, "updateTime": t, "deleted": false,
    });
    lock(&sim.state).subprojects.push(sub.clone());
    json(StatusCode::OK, sub)
}

async fn list(State(sim): Sim, Path(parent): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(r) = check_parent(&sim, &parent) {
        return r;
    }
    let (size, start) = match paging(&q, 100, 1000) {
        Ok(p) => p,
        Err(_) => return rpc(&sim, StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", "invalid pageSize or pageToken"),
    };
    let show_deleted = q.get("showDeleted").is_some_and(|v| v == "true");
    let all: Vec<Value> =
        lock(&sim.state).subprojects.iter().filter(|s| show_deleted || s["deleted"] == false).cloned().collect();
    let end = (start + size).min(all.len());
    let next = if end < all.len() { format!("pt{end}") } else { String::new() };
    json(StatusCode::OK, json!({ "subprojects": all[start.min(all.len())..end], "nextPageToken": next }))
}

async fn read(State(sim): Sim, Path(id): Path<String>) -> Response {
    let found = lock(&sim.state).subprojects.iter().find(|s| s["subprojectId"] == id.as_str()).cloned();
    match found {
        Some(s) => json(StatusCode::OK, s),
        None => rpc(&sim, StatusCode::NOT_FOUND, "NOT_FOUND", "Subproject not found"),
    }
}
