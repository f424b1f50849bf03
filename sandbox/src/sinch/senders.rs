//! Sinch Provisioning API simulator: WhatsApp senders (create in the ES and OBO
//! shapes, get, list with page tokens, delete, register, verify).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use super::provisioning::{check_project, now, papi, project_object};
use super::{paging, SenderRec, SinchSim};
use crate::common::json;
use crate::lock;

type Sim = State<Arc<SinchSim>>;
const BASE: &str = "/provisioning/v1/projects/{pid}/whatsapp/senders";

pub fn router() -> Router<Arc<SinchSim>> {
    Router::new()
        .route(BASE, get(list).post(create))
        .route(&format!("{BASE}/{{sid}}"), get(read).delete(delete))
        .route(&format!("{BASE}/{{sid}}/register"), post(register))
        .route(&format!("{BASE}/{{sid}}/verify"), post(verify))
}

fn business_manager(region: &str) -> &'static str {
    match region {
        "EU" => "SINCH_UK",
        "BR" => "SINCH_BR",
        _ => "SINCH_AMERICA",
    }
}

fn str_field<'a>(b: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    b.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

async fn create(State(sim): Sim, Path(pid): Path<String>, body: Bytes) -> Response {
    let b = match project_object(&sim, &pid, &body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let bad = |m: &str| papi(&sim, StatusCode::BAD_REQUEST, "invalid_input", m);
    let region = match str_field(&b, "region") {
        Some(r @ ("EU" | "US" | "BR")) => r.to_owned(),
        _ => return bad("region must be EU, US or BR"),
    };
    let mls = str_field(&b, "metaLocalStorage").unwrap_or("UNSPECIFIED").to_owned();
    let es = b.contains_key("wabaId") || b.contains_key("phoneNumberId");
    let details = b.get("details").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut st = lock(&sim.state);
    let mut wire = json!({
        "id": uuid::Uuid::new_v4().to_string(), "region": region, "metaLocalStorage": mls,
        "businessManager": business_manager(&region), "compatibleRegions": [region.to_lowercase()],
        "cloudApi": true, "created": now(), "modified": now(),
    });
    let mut pnid = None;
    if es {
        let (Some(w), Some(p)) = (str_field(&b, "wabaId"), str_field(&b, "phoneNumberId")) else {
            return bad("wabaId and phoneNumberId are required for embedded signup");
        };
        if st.accounts.get(&pid).is_some_and(|a| a["isEmbeddedSignup"] == false) {
            return bad("The project's WhatsApp account is not embedded-signup compatible");
        }
        if st.senders.iter().any(|s| s.phone_number_id.as_deref() == Some(p) && !s.deleted) {
            return papi(&sim, StatusCode::CONFLICT, "used_phone_number_id", "The phone number id is already used");
        }
        st.accounts.entry(pid.clone()).or_insert_with(|| {
            json!({
                "isEmbeddedSignup": true, "businessManager": business_manager(&region), "wabaMaxPriceOnboarded": false,
                "compatibleRegions": [region.to_lowercase()], "state": "ONBOARDED", "wabaId": w,
            })
        });
        wire["numberProvider"] = json!("CUSTOMER");
        wire["changes"] =
            json!({ "status": "IN_PROGRESS", "details": { "displayName": "Sandbox sender", "vertical": "OTHER" } });
        pnid = Some(p.to_owned());
    } else {
        match st.accounts.get(&pid) {
            None => {
                return papi(
                    &sim,
                    StatusCode::BAD_REQUEST,
                    "project_not_initialized",
                    "Create the WhatsApp account first",
                )
            }
            Some(a) if a["isEmbeddedSignup"] == true => {
                return bad("The project's WhatsApp account is embedded-signup only")
            }
            Some(a) if a["state"] != "ONBOARDED" => {
                return papi(
                    &sim,
                    StatusCode::BAD_REQUEST,
                    "project_not_initialized",
                    "The WhatsApp account is not onboarded yet",
                )
            }
            Some(_) => {}
        }
        // Seed 003 creates with `status: "submit"`; without it the sender is kept as a
        // DRAFT (assumed: the schema's `changes.status` has DRAFT) and nothing moves it.
        let change = match str_field(&b, "status") {
            Some("submit") => "IN_PROGRESS",
            None | Some("draft") => "DRAFT",
            Some(_) => return bad("status must be submit or draft"),
        };
        let provider = match str_field(&b, "phoneNumberProvider") {
            Some(p @ ("CUSTOMER" | "SINCH")) => p,
            _ => return bad("phoneNumberProvider must be CUSTOMER or SINCH"),
        };
        let Some(cc) = details.get("countryCode").and_then(Value::as_str) else {
            return bad("details.countryCode is required");
        };
        let Some(name) = details.get("displayName").and_then(Value::as_str) else {
            return bad("details.displayName is required");
        };
        let number = details.get("phoneNumber").and_then(Value::as_str);
        if provider == "CUSTOMER" && number.is_none() {
            return bad("details.phoneNumber is required when the customer provides the number");
        }
        let number = number.map_or_else(|| crate::random_digits(9), str::to_owned);
        wire["numberProvider"] = json!(provider);
        wire["countryCode"] = json!(cc);
        wire["phoneNumber"] = json!(number);
        let mut d = Value::Object(details.clone());
        d["displayName"] = json!(name);
        if d.get("vertical").is_none() {
            d["vertical"] = json!("OTHER")
        }
        if let Some(o) = d.as_object_mut() {
            o.remove("countryCode");
            o.remove("phoneNumber");
        }
        wire["changes"] = json!({ "status": change, "details": d });
    }
    st.senders.push(SenderRec {
        project_id: pid,
        wire: wire.clone(),
        phone_number_id: pnid,
        registered: false,
        deleted: false,
    });
    json(StatusCode::CREATED, wire)
}

fn find<'a>(st: &'a mut super::State, pid: &str, sid: &str) -> Option<&'a mut SenderRec> {
    st.senders.iter_mut().find(|s| s.project_id == pid && s.wire["id"] == sid)
}

fn not_found(sim: &SinchSim) -> Response {
    papi(sim, StatusCode::NOT_FOUND, "sender_not_found", "Sender not found")
}

async fn read(State(sim): Sim, Path((pid, sid)): Path<(String, String)>) -> Response {
    if let Err(r) = check_project(&sim, &pid) {
        return r;
    }
    match find(&mut lock(&sim.state), &pid, &sid) {
        Some(s) => json(StatusCode::OK, s.wire.clone()),
        None => not_found(&sim),
    }
}

async fn list(State(sim): Sim, Path(pid): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(r) = check_project(&sim, &pid) {
        return r;
    }
    let (size, start) = match paging(&q, 50, 100) {
        Ok(p) => p,
        Err(code) => return papi(&sim, StatusCode::BAD_REQUEST, code, "Invalid paging"),
    };
    let st = lock(&sim.state);
    if !st.accounts.contains_key(&pid) {
        return papi(&sim, StatusCode::BAD_REQUEST, "project_not_initialized", "The project has no WhatsApp account");
    }
    let all: Vec<&Value> = st.senders.iter().filter(|s| s.project_id == pid).map(|s| &s.wire).collect();
    let end = (start + size).min(all.len());
    let mut body = json!({ "totalSize": all.len(), "pageSize": size, "senders": all[start.min(all.len())..end] });
    if start > 0 {
        body["previousPageToken"] = json!(format!("pt{}", start.saturating_sub(size)))
    }
    if end < all.len() {
        body["nextPageToken"] = json!(format!("pt{end}"))
    }
    json(StatusCode::OK, body)
}

async fn delete(State(sim): Sim, Path((pid, sid)): Path<(String, String)>) -> Response {
    if let Err(r) = check_project(&sim, &pid) {
        return r;
    }
    let mut st = lock(&sim.state);
    let Some(s) = find(&mut st, &pid, &sid) else { return not_found(&sim) };
    if s.deleted {
        return papi(&sim, StatusCode::CONFLICT, "sender_already_deleted", "Sender already deleted");
    }
    s.deleted = true;
    StatusCode::NO_CONTENT.into_response()
}

async fn register(State(sim): Sim, Path((pid, sid)): Path<(String, String)>, body: Bytes) -> Response {
    let b = match project_object(&sim, &pid, &body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(method @ ("SMS" | "VOICE")) = str_field(&b, "method") else {
        return papi(&sim, StatusCode::BAD_REQUEST, "invalid_input", "method must be SMS or VOICE");
    };
    let mut st = lock(&sim.state);
    let Some(s) = find(&mut st, &pid, &sid) else { return not_found(&sim) };
    if s.wire["state"] != "PENDING_VERIFICATION" {
        return papi(
            &sim,
            StatusCode::CONFLICT,
            "not_allowed_register",
            "Only senders in PENDING_VERIFICATION can register",
        );
    }
    s.registered = true;
    json(StatusCode::OK, json!({ "id": sid, "method": method, "accepted": now(), "verificationCodeSent": true }))
}

async fn verify(State(sim): Sim, Path((pid, sid)): Path<(String, String)>, body: Bytes) -> Response {
    let b = match project_object(&sim, &pid, &body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(code) = str_field(&b, "code").filter(|c| c.chars().count() == 6) else {
        return papi(&sim, StatusCode::BAD_REQUEST, "invalid_input", "code must be exactly 6 characters");
    };
    let payload = {
        let mut st = lock(&sim.state);
        let Some(s) = find(&mut st, &pid, &sid) else { return not_found(&sim) };
        if s.wire["state"] != "PENDING_VERIFICATION" || !s.registered {
            return papi(&sim, StatusCode::CONFLICT, "not_allowed_verify", "Register the sender before verifying");
        }
        if code != sim.config.verification_code {
            return papi(&sim, StatusCode::CONFLICT, "wrong_otp", "The verification code is wrong");
        }
        super::control::activate(s);
        s.wire.clone()
    };
    sim.emit(&pid, "WHATSAPP_SENDER_ACTIVE", payload);
    StatusCode::NO_CONTENT.into_response()
}
