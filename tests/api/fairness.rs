//! Fair turns at a provider's rate limit: one client flooding `renewInvitation` does not
//! hold back another client's onboarding. Asserted through the order in which the
//! SendZen simulator received the calls (with a low limit, one call per 150 ms, so a
//! queue forms), never through timing.

use bspgraph::domain::GlobalId;
use serde_json::{json, Value};

use crate::helpers::{eventually, spawn_app_with, TestApp};
use crate::onboarding_support::start;

/// Flood calls queued by one client.
const FLOOD: usize = 16;
/// At most this many of the flood's calls may reach SendZen between the moment the
/// other client's call is issued and the moment it is served.
const FAIR_SHARE: usize = 3;

/// The `client_identifier`s of the SendZen onboard calls, in the order received.
fn onboard_calls(app: &TestApp) -> Vec<String> {
    let sim = &app.sandbox.as_ref().unwrap().sendzen;
    sim.core
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/partner/onboard")
        .map(|r| r.json()["client_identifier"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Wait until SendZen received `n` calls for `ident`.
async fn until_served(app: &TestApp, ident: &str, n: usize) {
    eventually("the calls reached SendZen", || async {
        (onboard_calls(app).iter().filter(|c| *c == ident).count() >= n).then_some(())
    })
    .await;
}

/// `renewInvitation` as the bearer of `token`, on its own task.
fn renew(app: &TestApp, token: &str, id: &str) -> tokio::task::JoinHandle<Value> {
    let q = "mutation($id: ID!) { renewInvitation(id: $id) { invitation { id } userErrors { code } } }";
    let body = json!({ "query": q, "variables": { "id": id } });
    let req = app.http.post(app.url("/graphql")).bearer_auth(token).json(&body);
    tokio::spawn(async move { req.send().await.unwrap().json().await.unwrap() })
}

#[tokio::test]
async fn one_clients_burst_does_not_hold_back_another_clients_provider_call() {
    // Arrange: SendZen at 400 calls per minute, evenly spaced; client X with an invitation.
    let app = spawn_app_with(|s| s.providers.provider_rate_limit_per_minute = Some(400)).await;
    let x = start(&app, json!({ "provider": "SENDZEN", "client": { "externalId": "flooder", "name": "X" } })).await;
    let inv = x["invitation"]["id"].as_str().unwrap().to_owned();
    let x_id = x["invitation"]["client"]["id"].as_str().unwrap().to_owned();
    let x_ident = format!("bspgraph-client-{}", GlobalId::decode(&x_id).unwrap().id);
    let issue = "mutation($id: ID!) { issueClientToken(clientId: $id) { token } }";
    let token = app.data(issue, json!({ "id": x_id })).await["issueClientToken"]["token"].as_str().unwrap().to_owned();

    // Act: X floods renewInvitation; once SendZen serves it, Y starts an onboarding.
    let flood: Vec<_> = (0..FLOOD).map(|_| renew(&app, &token, &inv)).collect();
    until_served(&app, &x_ident, 3).await;
    let issued_after = onboard_calls(&app).len();
    let y = Box::pin(start(&app, json!({ "provider": "SENDZEN", "client": { "externalId": "patient", "name": "Y" } })))
        .await;
    let mut renewed = Vec::new();
    for call in flood {
        renewed.push(call.await.unwrap());
    }

    // Assert: every call succeeded, and Y's call was served within its fair share.
    assert!(renewed.iter().all(|r| r["data"]["renewInvitation"]["userErrors"] == json!([])), "{renewed:?}");
    let y_id = y["invitation"]["client"]["id"].as_str().unwrap();
    let y_ident = format!("bspgraph-client-{}", GlobalId::decode(y_id).unwrap().id);
    let calls = onboard_calls(&app);
    assert_eq!(calls.len(), 1 + FLOOD + 1, "{calls:?}");
    let served_at = calls.iter().position(|c| *c == y_ident).unwrap();
    let flood_before_y = served_at - issued_after;
    let flood_after_y = calls.len() - served_at - 1;
    assert!(flood_before_y <= FAIR_SHARE, "{flood_before_y} flood calls went first: {calls:?}");
    assert!(flood_after_y >= FLOOD / 2, "the flood was still queued when Y was served: {calls:?}");
}
