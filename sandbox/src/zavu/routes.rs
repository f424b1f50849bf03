//! Zavu simulator HTTP handlers, auth and rate limiting.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use serde_json::{json, Map, Value};

use super::state::{Invitation, WebhookConfig, PROJECT_ID};
use super::ZavuSim;
use crate::common::json;
use crate::lock;

type Sim = State<Arc<ZavuSim>>;
type Params = Query<HashMap<String, String>>;

pub fn router(sim: Arc<ZavuSim>) -> Router {
    Router::new()
        .route("/v1/me", get(me))
        .route("/v1/invitations", post(create_invitation).get(list_invitations))
        .route(
            "/v1/invitations/webhook",
            get(get_webhook).post(set_webhook).patch(patch_webhook).delete(delete_webhook),
        )
        .route("/v1/invitations/{id}", get(get_invitation))
        .route("/v1/invitations/{id}/cancel", post(cancel_invitation))
        .route("/v1/senders", get(list_senders))
        .route("/v1/senders/{id}", get(get_sender))
        .route("/v1/phone-numbers", get(list_phone_numbers))
        .route("/v1/phone-numbers/{id}", get(get_phone_number))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&sim), auth_and_limit))
        .with_state(sim)
}

fn err(sim: &ZavuSim, status: StatusCode, code: &str, message: &str) -> Response {
    sim.core.error(status, code, message)
}

/// The limit of the endpoint `method` + `route` (the matched route template).
fn limit_of(sim: &ZavuSim, method: &Method, route: &str) -> u32 {
    let l = sim.config.limits;
    let inv = route.ends_with("/v1/invitations");
    let one = route.ends_with("/v1/invitations/{id}");
    match *method {
        Method::POST if inv => l.create_invitation,
        Method::GET if inv => l.list_invitations,
        Method::GET if one => l.get_invitation,
        Method::POST if route.ends_with("/v1/invitations/{id}/cancel") => l.cancel_invitation,
        _ => l.other,
    }
}

/// Bearer key check (401 with Zavu's body), then the endpoint's minute window
/// (429 `rate_limit_exceeded` with `Retry-After`); every answer carries `X-RateLimit-*`.
async fn auth_and_limit(State(sim): Sim, req: Request, next: Next) -> Response {
    let expected = format!("Bearer {}", sim.config.api_key);
    if req.headers().get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return err(&sim, StatusCode::UNAUTHORIZED, "unauthorized", "Invalid or missing API key");
    }
    let route =
        req.extensions().get::<MatchedPath>().map_or_else(|| req.uri().path().to_owned(), |m| m.as_str().to_owned());
    let limit = limit_of(&sim, req.method(), &route);
    let verdict = sim.windows.hit(&format!("{} {route}", req.method()), limit);
    let mut resp = if verdict.exceeded {
        let mut r = err(&sim, StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded", "Rate limit exceeded");
        verdict.retry_after_header(&mut r);
        r
    } else {
        next.run(req).await
    };
    verdict.ratelimit_headers(&mut resp);
    resp
}

async fn me(State(sim): Sim) -> Response {
    let _ = &sim;
    json(
        StatusCode::OK,
        json!({
            "apiKey": { "id": "key_sandbox" }, "isTestMode": true,
            "project": { "id": PROJECT_ID, "isSubAccount": false, "name": "Sandbox project" },
            "team": { "id": "team_sandbox", "name": "Sandbox team" },
        }),
    )
}

/// `cursor` + `limit` (default 50, max 100) over `items`, as `{items, nextCursor}`.
fn page(sim: &ZavuSim, items: Vec<Value>, q: &HashMap<String, String>) -> Response {
    let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => 50,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return err(sim, StatusCode::BAD_REQUEST, "invalid_request", "limit must be between 1 and 100"),
    };
    let start = match q.get("cursor").filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => match c.strip_prefix("cur_").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n,
            None => return err(sim, StatusCode::BAD_REQUEST, "invalid_request", "invalid cursor"),
        },
    };
    let end = (start + limit).min(items.len());
    let next = (end < items.len()).then(|| format!("cur_{end}"));
    let items: Vec<Value> = items.into_iter().skip(start).take(limit).collect();
    json(StatusCode::OK, json!({ "items": items, "nextCursor": next }))
}

fn parse_object(body: &Bytes) -> Option<Map<String, Value>> {
    if body.is_empty() {
        return Some(Map::new());
    }
    serde_json::from_slice::<Value>(body).ok()?.as_object().cloned()
}

fn opt_str(b: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match b.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{key} must be a string")),
    }
}

fn is_e164(s: &str) -> bool {
    s.strip_prefix('+')
        .is_some_and(|d| (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0'))
}

async fn create_invitation(State(sim): Sim, body: Bytes) -> Response {
    let bad = |m: &str| err(&sim, StatusCode::BAD_REQUEST, "invalid_request", m);
    let Some(b) = parse_object(&body) else { return bad("body must be a JSON object") };
    let fields = (|| -> Result<_, String> {
        Ok((
            opt_str(&b, "clientName")?,
            opt_str(&b, "clientEmail")?,
            opt_str(&b, "clientPhone")?,
            opt_str(&b, "phoneNumberId")?,
            opt_str(&b, "connectionType")?,
        ))
    })();
    let (name, email, phone, pn, ctype) = match fields {
        Ok(f) => f,
        Err(m) => return bad(&m),
    };
    if name.as_ref().is_some_and(|n| n.chars().count() > 100) {
        return bad("clientName must be at most 100 characters");
    }
    if email.as_ref().is_some_and(|e| !e.contains('@')) {
        return bad("clientEmail must be an email address");
    }
    if phone.as_ref().is_some_and(|p| !is_e164(p)) {
        return bad("clientPhone must be in E.164 format");
    }
    let days = match b.get("expiresInDays") {
        None | Some(Value::Null) => 7,
        Some(v) => match v.as_i64() {
            Some(d) if (1..=30).contains(&d) => d,
            _ => return bad("expiresInDays must be an integer between 1 and 30"),
        },
    };
    let connection_type = match ctype.as_deref() {
        None | Some("whatsapp_waba") => "whatsapp_waba",
        Some("messenger") => "messenger",
        Some(_) => return bad("connectionType must be whatsapp_waba or messenger"),
    };
    let countries = b.get("allowedPhoneCountries").filter(|v| !v.is_null());
    if connection_type == "messenger" && (pn.is_some() || countries.is_some()) {
        return bad("phoneNumberId and allowedPhoneCountries require connectionType whatsapp_waba");
    }
    if let Some(c) = countries {
        let ok = c.as_array().is_some_and(|a| {
            a.iter().all(|x| x.as_str().is_some_and(|s| s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())))
        });
        if !ok {
            return bad("allowedPhoneCountries must be 2-letter ISO country codes");
        }
    }
    let now = Utc::now();
    let mut st = lock(&sim.state);
    if let Some(pn) = &pn {
        if !st.phone_numbers.iter().any(|p| &p.id == pn) {
            return err(&sim, StatusCode::NOT_FOUND, "not_found", "Phone number not found");
        }
    }
    let mut inv = Invitation::pending(now, days);
    inv.client_name = name;
    inv.client_email = email;
    inv.client_phone = phone;
    inv.phone_number_id = pn;
    inv.connection_type = connection_type;
    let wire = inv.wire(&sim.config.link_base, now);
    st.invitations.push(inv);
    json(StatusCode::CREATED, json!({ "invitation": wire }))
}

async fn get_invitation(State(sim): Sim, Path(id): Path<String>) -> Response {
    let st = lock(&sim.state);
    match st.invitations.iter().find(|i| i.id == id) {
        Some(inv) => json(StatusCode::OK, json!({ "invitation": inv.wire(&sim.config.link_base, Utc::now()) })),
        None => err(&sim, StatusCode::NOT_FOUND, "not_found", "Invitation not found"),
    }
}

async fn list_invitations(State(sim): Sim, Query(q): Params) -> Response {
    let now = Utc::now();
    let items: Vec<Value> = {
        let st = lock(&sim.state);
        st.invitations
            .iter()
            .rev()
            .filter(|i| q.get("status").is_none_or(|s| i.status_at(now) == s))
            .map(|i| i.wire(&sim.config.link_base, now))
            .collect()
    };
    page(&sim, items, &q)
}

/// Cancel: pending / in_progress / failed -> cancelled (announced); completed ->
/// 409 `already_completed`; expired or cancelled -> 409 `invalid_status` (assumed).
async fn cancel_invitation(State(sim): Sim, Path(id): Path<String>) -> Response {
    let now = Utc::now();
    let (previous, inv) = {
        let mut st = lock(&sim.state);
        let Ok(inv) = st.invitation_mut(&id) else {
            return err(&sim, StatusCode::NOT_FOUND, "not_found", "Invitation not found");
        };
        match inv.status_at(now) {
            "completed" => {
                return err(&sim, StatusCode::CONFLICT, "already_completed", "Invitation is already completed")
            }
            s @ ("expired" | "cancelled") => {
                return err(&sim, StatusCode::CONFLICT, "invalid_status", &format!("Invitation is {s}"))
            }
            s => {
                let previous = s.to_owned();
                inv.status = "cancelled";
                inv.updated_at = now;
                (previous, inv.clone())
            }
        }
    };
    sim.emit(&previous, &inv);
    json(StatusCode::OK, json!({ "invitation": inv.wire(&sim.config.link_base, now) }))
}

fn webhook_wire(w: &WebhookConfig, secret: Option<&str>) -> Value {
    let mut v = json!({ "url": w.url, "events": w.events, "active": w.active });
    if let Some(s) = secret {
        v["secret"] = json!(s);
    }
    json!({ "webhook": v })
}

async fn set_webhook(State(sim): Sim, body: Bytes) -> Response {
    let Some(b) = parse_object(&body) else {
        return err(&sim, StatusCode::BAD_REQUEST, "invalid_request", "body must be a JSON object");
    };
    let Some(url) = b.get("url").and_then(Value::as_str).filter(|u| u.starts_with("http")) else {
        return err(&sim, StatusCode::BAD_REQUEST, "invalid_request", "url is required");
    };
    let events = b.get("events").and_then(Value::as_array).map_or_else(
        || vec!["invitation.status_changed".to_owned()],
        |a| a.iter().filter_map(|e| e.as_str().map(str::to_owned)).collect(),
    );
    let w = WebhookConfig { url: url.to_owned(), events, active: true };
    lock(&sim.state).webhook = Some(w.clone());
    json(StatusCode::OK, webhook_wire(&w, Some(&sim.config.webhook_secret)))
}

async fn get_webhook(State(sim): Sim) -> Response {
    match lock(&sim.state).webhook.clone() {
        Some(w) => json(StatusCode::OK, webhook_wire(&w, None)),
        None => err(&sim, StatusCode::NOT_FOUND, "not_found", "No invitation webhook configured"),
    }
}

async fn patch_webhook(State(sim): Sim, body: Bytes) -> Response {
    let Some(b) = parse_object(&body) else {
        return err(&sim, StatusCode::BAD_REQUEST, "invalid_request", "body must be a JSON object");
    };
    let mut st = lock(&sim.state);
    let Some(w) = st.webhook.as_mut() else {
        return err(&sim, StatusCode::NOT_FOUND, "not_found", "No invitation webhook configured");
    };
    if let Some(u) = b.get("url").and_then(Value::as_str) {
        w.url = u.to_owned()
    }
    if let Some(a) = b.get("active").and_then(Value::as_bool) {
        w.active = a
    }
    json(StatusCode::OK, webhook_wire(w, None))
}

async fn delete_webhook(State(sim): Sim) -> Response {
    lock(&sim.state).webhook = None;
    StatusCode::NO_CONTENT.into_response()
}

async fn list_senders(State(sim): Sim, Query(q): Params) -> Response {
    let items = lock(&sim.state).senders.clone();
    page(&sim, items, &q)
}

async fn get_sender(State(sim): Sim, Path(id): Path<String>) -> Response {
    let found = lock(&sim.state).senders.iter().find(|s| s["id"] == id.as_str()).cloned();
    match found {
        Some(s) => json(StatusCode::OK, s),
        None => err(&sim, StatusCode::NOT_FOUND, "not_found", "Sender not found"),
    }
}

async fn list_phone_numbers(State(sim): Sim, Query(q): Params) -> Response {
    let items = lock(&sim.state).phone_numbers.iter().map(|p| p.wire()).collect();
    page(&sim, items, &q)
}

async fn get_phone_number(State(sim): Sim, Path(id): Path<String>) -> Response {
    let found = lock(&sim.state).phone_numbers.iter().find(|p| p.id == id).map(|p| p.wire());
    match found {
        Some(p) => json(StatusCode::OK, json!({ "phoneNumber": p })),
        None => err(&sim, StatusCode::NOT_FOUND, "not_found", "Phone number not found"),
    }
}
