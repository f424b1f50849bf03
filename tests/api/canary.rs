//! Secret canaries: every provider webhook secret is set to a recognisable canary, the
//! onboarding flows run (signed webhooks included, failure paths too) with trace
//! logging, and no canary may appear in any log line, response, error or the database.

use bspgraph::domain::Provider;
use bspgraph::store::InboxState;
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::helpers::{eventually, spawn_app_with, TestApp};
use crate::onboarding_support::{complete, simulate, start};

const ZAVU: &str = "whsec_CANARY_zavu_5f1c9d";
const SINCH: &str = "whsec_CANARY_sinch_8a2b7e";
const SENDZEN: &str = "whsec_CANARY_sendzen_3d4e6f";

async fn run_flows(app: &TestApp) -> Vec<Value> {
    let mut seen = Vec::new();
    // Zavu hosted link, completed by the simulated customer (signed webhooks follow).
    let zavu = start(app, json!({ "provider": "ZAVU", "client": { "name": "Canary Z" } })).await;
    let id = zavu["invitation"]["id"].as_str().unwrap().to_owned();
    seen.push(zavu);
    seen.push(simulate(app, &id, "COMPLETE").await);
    // SendZen iframe, relayed result, then a failure path (cancel a completed invitation).
    let sendzen = start(app, json!({ "provider": "SENDZEN", "client": { "name": "Canary S" } })).await;
    let sid = sendzen["invitation"]["id"].as_str().unwrap().to_owned();
    seen.push(sendzen);
    seen.push(
        complete(app, json!({ "invitationId": sid, "status": "COMPLETED", "wabaId": "9001", "phoneNumberId": "9002" }))
            .await,
    );
    let cancel = "mutation($id: ID!) { cancelInvitation(id: $id) { userErrors { code message } } }";
    seen.push(app.gql(cancel, json!({ "id": sid })).await);
    // Sinch embedded signup through to the active sender.
    let sinch =
        start(app, json!({ "provider": "SINCH", "client": { "name": "Canary E" }, "sinch": { "region": "EU" } })).await;
    let eid = sinch["invitation"]["id"].as_str().unwrap().to_owned();
    seen.push(sinch);
    seen.push(complete(app, json!({ "invitationId": eid, "wabaId": "7001", "phoneNumberId": "7002" })).await);
    seen.push(simulate(app, &eid, "ACTIVATE").await);
    // Unsigned and wrongly signed deliveries: refused, and the refusal leaks nothing.
    let resp = app.http.post(app.url("/webhooks/zavu")).body("{}").send().await.unwrap();
    seen.push(json!({ "status": resp.status().as_u16(), "body": resp.text().await.unwrap() }));
    seen
}

#[tokio::test]
async fn webhook_secrets_never_reach_logs_responses_or_the_database() {
    let logs = crate::onboarding_rules::capture_logs();
    let app = spawn_app_with(|s| {
        s.providers.zavu_webhook_secrets = vec![SecretString::from(ZAVU)];
        s.providers.sinch_webhook_secrets = vec![SecretString::from(SINCH)];
        s.providers.sendzen_webhook_secrets = vec![SecretString::from(SENDZEN)];
    })
    .await;
    let responses = run_flows(&app).await;
    // Wait (bounded) until the simulators' webhooks are stored and processed.
    let query = "{ events(first: 100) { edges { node { status source } } } invitations { edges { node { status raw } } } projects { edges { node { raw } } } }";
    let everything = eventually("the signed webhooks stored and processed", || async {
        let everything = app.data(query, json!({})).await;
        let mut inbox = Vec::new();
        for provider in [Provider::Zavu, Provider::Sinch, Provider::Sendzen] {
            inbox.extend(app.store.inbox_entries(provider).await.unwrap());
        }
        let applied =
            everything["events"]["edges"].as_array().unwrap().iter().any(|e| e["node"]["source"] == "WEBHOOK");
        (applied && inbox.iter().all(|e| e.state == InboxState::Processed)).then_some(everything)
    })
    .await;
    assert!(
        everything["events"]["edges"].as_array().unwrap().iter().any(|e| e["node"]["source"] == "WEBHOOK"),
        "signed webhooks were verified and applied: {everything}"
    );

    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    let db = std::fs::read(app.db_path.clone().unwrap()).unwrap();
    let wal = std::fs::read(app.db_path.clone().unwrap().with_extension("db-wal")).unwrap_or_default();
    for canary in [ZAVU, SINCH, SENDZEN] {
        assert!(!logged.contains(canary), "{canary} logged");
        for r in responses.iter().chain([&everything]) {
            assert!(!r.to_string().contains(canary), "{canary} in a response: {r}");
        }
        for bytes in [&db, &wal] {
            assert!(!bytes.windows(canary.len()).any(|w| w == canary.as_bytes()), "{canary} in the database");
        }
    }
}
