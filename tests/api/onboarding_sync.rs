//! `refresh`, `syncProvider` and provider rejections that keep the provider's code.

use bspgraph_sandbox::SimAction;
use serde_json::json;

use crate::helpers::{spawn_app_with, without_webhooks};
use crate::onboarding_support::*;

#[tokio::test]
async fn refresh_reads_the_provider_now_and_records_a_mutation_event() {
    let app = spawn_app_with(without_webhooks).await;
    let sandbox = app.sandbox.clone().unwrap();
    let started = start(&app, json!({ "provider": "ZAVU", "client": { "name": "Fresh" } })).await;
    let id = started["invitation"]["id"].as_str().unwrap().to_owned();
    let pid = started["invitation"]["providerId"].as_str().unwrap().to_owned();
    sandbox.simulate(bspgraph_sandbox::SimProvider::Zavu, &pid, SimAction::Complete).unwrap();

    let refreshed = app.data(REFRESH, json!({ "id": id })).await;

    assert_eq!(refreshed["refresh"]["userErrors"], json!([]), "{refreshed}");
    assert_eq!(refreshed["refresh"]["node"]["status"], "COMPLETED", "{refreshed}");
    assert_eq!(refreshed["refresh"]["node"]["sender"]["status"], "ACTIVE");
    assert_eq!(events(&app).await.last().unwrap(), "Invitation:PENDING>COMPLETED:MUTATION");
}

const REFRESH: &str = "mutation($id: ID!) { refresh(id: $id) {
    node { id ... on Invitation { status sender { status } } }
    userErrors { field code message } } }";

#[tokio::test]
async fn refreshing_an_unknown_or_malformed_id_is_a_user_error() {
    let app = spawn_app_with(without_webhooks).await;
    let started = start(&app, json!({ "provider": "ZAVU", "client": { "name": "Known" } })).await;
    let known = started["invitation"]["id"].as_str().unwrap();
    let unknown = bspgraph::domain::GlobalId::new(bspgraph::domain::NodeType::Invitation, 9_999).encode();

    for id in [unknown.as_str(), "not-an-id"] {
        let refreshed = app.data(REFRESH, json!({ "id": id })).await;

        assert_eq!(refreshed["refresh"]["node"], json!(null), "{refreshed}");
        assert_eq!(refreshed["refresh"]["userErrors"][0]["code"], "NOT_FOUND", "{refreshed}");
        assert_eq!(refreshed["refresh"]["userErrors"][0]["field"], json!(["id"]));
    }
    let still = app.data(REFRESH, json!({ "id": known })).await;
    assert_eq!(still["refresh"]["node"]["id"], known, "{still}");
}

#[tokio::test]
async fn sync_imports_every_page_once_then_only_updates() {
    let app = spawn_app_with(without_webhooks).await;
    let zsim = app.sandbox.clone().unwrap().zavu;
    zsim.seed_invitations(120);
    let q = "mutation { syncProvider(provider: ZAVU) { provider imported updated userErrors { code } } }";

    let first = app.data(q, json!({})).await;
    let second = app.data(q, json!({})).await;

    assert!(first["syncProvider"]["imported"].as_i64().unwrap() >= 120, "{first}");
    assert_eq!(second["syncProvider"]["imported"], 0, "{second}");
    assert_eq!(second["syncProvider"]["updated"], 0);
    let listed = app.data("{ invitations(first: 1) { totalCount } }", json!({})).await;
    assert_eq!(listed["invitations"]["totalCount"], 120);
}

#[tokio::test]
async fn a_provider_rejection_keeps_the_providers_code() {
    let app = spawn_app_with(without_webhooks).await;

    let refused =
        start(&app, json!({ "provider": "ZAVU", "client": { "name": "Nope" }, "phoneNumberId": "pn_missing" })).await;

    assert_eq!(codes(&refused), ["not_found"], "{refused}");
    assert_eq!(refused["userErrors"][0]["field"], json!(["input", "phoneNumberId"]));
    let clients = app.data("{ clients(first: 1) { totalCount } }", json!({})).await;
    assert_eq!(clients["clients"]["totalCount"], 0, "the client made for the call is removed again");
}

#[tokio::test]
async fn a_rejected_embedded_signup_sender_fails_the_invitation_with_the_reason() {
    let app = spawn_app_with(without_webhooks).await;
    let started =
        start(&app, json!({ "provider": "SINCH", "client": { "name": "Rej" }, "sinch": { "region": "US" } })).await;
    let id = started["invitation"]["id"].as_str().unwrap().to_owned();
    let provisioning = complete(&app, json!({ "invitationId": id, "wabaId": "111", "phoneNumberId": "222" })).await;
    let sender_id = provisioning["invitation"]["sender"]["id"].as_str().unwrap().to_owned();

    let q =
        "mutation($id: ID!) { registerSender(id: $id, method: VOICE) { sender { status } userErrors { field code } } }";
    let early = app.data(q, json!({ "id": sender_id })).await;
    let rejected = simulate(&app, &id, "REJECT").await;
    let again = complete(&app, json!({ "invitationId": id, "wabaId": "111", "phoneNumberId": "222" })).await;

    assert_eq!(early["registerSender"]["userErrors"][0]["code"], "WRONG_STATE", "{early}");
    assert_eq!(rejected["invitation"]["status"], "FAILED", "{rejected}");
    assert_eq!(rejected["invitation"]["sender"]["status"], "REJECTED");
    assert!(rejected["invitation"]["failureReason"].is_string());
    assert_eq!(codes(&again), ["WRONG_STATE"]);
    let log = events(&app).await;
    assert_eq!(
        &log[log.len() - 2..],
        ["Sender:PROVISIONING>REJECTED:MUTATION", "Invitation:IN_PROGRESS>FAILED:MUTATION"]
    );
}

#[tokio::test]
async fn a_second_sinch_onboarding_of_a_client_reuses_its_subproject() {
    let app = spawn_app_with(without_webhooks).await;
    let sim = app.sandbox.clone().unwrap().sinch;
    let input = json!({ "provider": "SINCH", "client": { "externalId": "again", "name": "Again" }, "sinch": { "region": "EU" } });

    let first = start(&app, input.clone()).await;
    let second = start(&app, input).await;

    assert_eq!(first["invitation"]["project"]["id"], second["invitation"]["project"]["id"]);
    assert_ne!(first["invitation"]["id"], second["invitation"]["id"]);
    assert_eq!(first["invitation"]["client"]["id"], second["invitation"]["client"]["id"], "reused by externalId");
    let creates = sim.core.requests().iter().filter(|r| r.method == "POST" && r.path.contains("subproject")).count();
    assert_eq!(creates, 1);
}

#[tokio::test]
async fn an_abandoned_embedded_signup_relayed_by_the_frontend_fails_the_invitation() {
    let app = spawn_app_with(without_webhooks).await;
    let started =
        start(&app, json!({ "provider": "SINCH", "client": { "name": "Gone" }, "sinch": { "region": "BR" } })).await;
    let id = started["invitation"]["id"].as_str().unwrap().to_owned();

    let failed = complete(&app, json!({ "invitationId": id, "status": "FAILED", "message": "popup closed" })).await;

    assert_eq!(failed["invitation"]["status"], "FAILED", "{failed}");
    assert_eq!(failed["invitation"]["failureReason"], "popup closed");
    assert_eq!(events(&app).await.last().unwrap(), "Invitation:PENDING>FAILED:MUTATION");
}

#[tokio::test]
async fn sendzen_sandbox_completion_relayed_by_the_partner_records_the_result() {
    let app = spawn_app_with(without_webhooks).await;
    let started = start(&app, json!({ "provider": "SENDZEN", "client": { "name": "Sim" } })).await;
    let id = started["invitation"]["id"].as_str().unwrap().to_owned();

    let done = simulate(&app, &id, "COMPLETE").await;

    assert_eq!(done["invitation"]["status"], "COMPLETED", "{done}");
    assert!(done["invitation"]["waba"]["wabaId"].is_string());
    assert!(done["invitation"]["sender"]["phoneNumberId"].is_string());
    let log = events(&app).await;
    assert_eq!(
        log,
        [
            "Invitation:->PENDING:MUTATION",
            "Waba:->ONBOARDED:MUTATION",
            "Sender:->ACTIVE:MUTATION",
            "Invitation:PENDING>COMPLETED:MUTATION"
        ]
    );
}

#[tokio::test]
async fn sync_of_sinch_imports_subprojects_and_senders_and_sendzen_has_nothing_to_list() {
    let app = spawn_app_with(without_webhooks).await;
    let started =
        start(&app, json!({ "provider": "SINCH", "client": { "name": "Synced" }, "sinch": { "region": "EU" } })).await;
    let id = started["invitation"]["id"].as_str().unwrap().to_owned();
    complete(&app, json!({ "invitationId": id, "wabaId": "333", "phoneNumberId": "444" })).await;
    let q = "mutation($p: Provider!) { syncProvider(provider: $p) { imported updated userErrors { code } } }";

    let sinch = app.gql(q, json!({ "p": "SINCH" })).await;
    let sendzen = app.gql(q, json!({ "p": "SENDZEN" })).await;

    assert!(sinch.get("errors").is_none(), "{sinch}");
    assert_eq!(sinch["data"]["syncProvider"]["userErrors"], json!([]));
    assert!(sendzen.get("errors").is_none(), "{sendzen}");
    assert_eq!(sendzen["data"]["syncProvider"]["imported"], 0);
}

#[tokio::test]
async fn sandbox_simulate_only_plays_the_customer_and_the_change_arrives_from_the_provider() {
    let app = spawn_app_with(without_webhooks).await;
    let started = start(&app, json!({ "provider": "ZAVU", "client": { "name": "Black box" } })).await;
    let id = started["invitation"]["id"].as_str().unwrap().to_owned();

    let played = sandbox_simulate(&app, &id, "COMPLETE").await;
    let log_after_play = events(&app).await;
    let refreshed = simulate(&app, &id, "START").await;

    assert_eq!(codes(&played), Vec::<String>::new(), "{played}");
    assert_eq!(played["providerState"]["status"], "completed", "the simulator's own state: {played}");
    assert_eq!(played["invitation"]["status"], "PENDING", "bspgraph's store is untouched: {played}");
    assert_eq!(log_after_play, ["Invitation:->PENDING:MUTATION"]);
    assert_eq!(codes(&refreshed), ["WRONG_STATE"], "a completed invitation cannot start again: {refreshed}");
    let q = "mutation($id: ID!) { refresh(id: $id) { node { ... on Invitation { status } } } }";
    let read = app.data(q, json!({ "id": id })).await;
    assert_eq!(read["refresh"]["node"]["status"], "COMPLETED", "{read}");
    assert_eq!(events(&app).await.last().unwrap(), "Invitation:PENDING>COMPLETED:MUTATION");
}
