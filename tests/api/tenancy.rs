//! Tenant isolation for client tokens: an onboarding step naming another client's
//! WABA or number is refused (`PROVIDER_OBJECT_OWNED_ELSEWHERE`) with nothing written
//! and no provider call, and every read path towards another client's data (node,
//! nodes, lists, events, every relation field, mutations by id) reads as absent, even
//! over rows cross-linked the way the old pivot left them.

use std::collections::BTreeSet;

use bspgraph::domain::{ChangeSource, GlobalId, Provider, ProviderSender};
use bspgraph::store::{Filed, Owner};
use serde_json::{json, Value};

use crate::helpers::{each_backend_with, without_webhooks, TestApp};
use crate::onboarding_support::{codes, complete, start};

/// POST as the bearer of `token` and return the body.
async fn as_client(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let body = json!({ "query": query, "variables": variables });
    let resp = app.http.post(app.url("/graphql")).bearer_auth(token).json(&body).send().await.unwrap();
    resp.json().await.unwrap()
}

fn row(id: &Value) -> i64 {
    GlobalId::decode(id.as_str().unwrap()).unwrap().id
}

/// Every string anywhere in `v`.
fn strings(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => map.values().for_each(|i| strings(i, out)),
        _ => {}
    }
}

/// Assert that nothing of B (`secrets`: ids, names, URLs) appears in `body`.
fn assert_absent(body: &Value, secrets: &BTreeSet<String>, what: &str) {
    assert!(body.get("errors").is_none(), "{what}: {body}");
    let mut seen = BTreeSet::new();
    strings(body, &mut seen);
    let leaked: Vec<_> = seen.intersection(secrets).collect();
    assert!(leaked.is_empty(), "{what} leaked {leaked:?}: {body}");
}

/// A sender as a provider would report it (the relayed SendZen shape: its id is the number).
fn sender(id: &str) -> ProviderSender {
    bspgraph::onboarding::sendzen::relayed_sender(id, "WABA_ANY", &json!({}))
}

async fn file_sender(app: &TestApp, id: &str, owner: Owner) -> i64 {
    match app.store.upsert_sender(Provider::Sendzen, owner, &sender(id), ChangeSource::Mutation).await.unwrap() {
        Filed::Ours(s, true) => s.id,
        other => panic!("{other:?}"),
    }
}

const EVERYTHING: &str = "{ clients(first: 100) { edges { node { id name email phone externalId } } }
    invitations(first: 100) { edges { node { id url } } } senders(first: 100) { edges { node { id } } }
    wabas(first: 100) { edges { node { id } } } projects(first: 100) { edges { node { id } } }
    events(first: 100) { edges { node { node { id } } } } }";

/// The client's graph through every relation field, two levels deep.
const GRAPH: &str = "query($id: ID!) { client(id: $id) { id
    invitations(first: 100) { edges { node { id url client { id } project { id } sender { id } waba { id } } } }
    senders { id client { id } project { id } waba { id } }
    wabas { id client { id } project { id } senders { id } }
    projects { id client { id } senders { id waba { id } } wabas { id senders { id } } } } }";

#[tokio::test]
async fn a_client_token_cannot_reach_another_clients_objects_by_any_path() {
    each_backend_with(without_webhooks, |app| async move {
        let sinch = app.sandbox.clone().unwrap().sinch;
        // Arrange: B fully onboarded at SendZen and Sinch; A with two open invitations.
        let b_client = json!({ "externalId": "tenant-b", "name": "Bravo Secret Ltd", "email": "ops@bravo.example",
            "phone": "+14155550199" });
        let b_sz = start(&app, json!({ "provider": "SENDZEN", "client": b_client })).await["invitation"].clone();
        let b_id = b_sz["client"]["id"].as_str().unwrap().to_owned();
        let done = complete(&app, json!({ "invitationId": b_sz["id"], "wabaId": "WABA_B_SZ", "phoneNumberId": "PN_B_SZ" }))
            .await;
        assert_eq!(done["invitation"]["status"], "COMPLETED", "{done}");
        let es = json!({ "region": "EU", "metaLocalStorage": "DE" });
        let b_es = start(&app, json!({ "provider": "SINCH", "clientId": b_id, "sinch": es })).await["invitation"].clone();
        let done = complete(&app, json!({ "invitationId": b_es["id"], "wabaId": "WABA_B_SINCH",
            "phoneNumberId": "PN_B_SINCH" }))
        .await;
        assert_eq!(done["invitation"]["status"], "IN_PROGRESS", "{done}");
        let a_sz = start(&app, json!({ "provider": "SENDZEN", "client": { "externalId": "tenant-a", "name": "Alpha" } }))
            .await["invitation"]
            .clone();
        let a_id = a_sz["client"]["id"].as_str().unwrap().to_owned();
        let a_es = start(&app, json!({ "provider": "SINCH", "clientId": a_id, "sinch": es })).await["invitation"].clone();
        let issue = "mutation($id: ID!) { issueClientToken(clientId: $id) { token } }";
        let token = app.data(issue, json!({ "id": a_id })).await["issueClientToken"]["token"].as_str().unwrap().to_owned();
        let before = app.data(EVERYTHING, json!({})).await;
        let sinch_calls = sinch.core.requests().len();

        // Act 1: the pivot: A completes its own invitations naming B's WABAs and numbers.
        let q = "mutation($input: CompleteOnboardingInput!) { completeOnboarding(input: $input) {
            invitation { id } userErrors { field code } } }";
        let attempts = [
            (&a_sz, "WABA_B_SZ", "PN_B_SZ"),
            (&a_sz, "WABA_A_FRESH", "PN_B_SZ"),
            (&a_sz, "WABA_B_SZ", "PN_A_FRESH"),
            (&a_es, "WABA_B_SINCH", "PN_A_FRESH"),
            (&a_es, "WABA_A_FRESH", "PN_B_SINCH"),
        ];
        for (inv, waba, number) in attempts {
            let input = json!({ "invitationId": inv["id"], "wabaId": waba, "phoneNumberId": number });
            let body = as_client(&app, &token, q, json!({ "input": input })).await;
            let payload = &body["data"]["completeOnboarding"];
            assert_eq!(codes(payload), ["PROVIDER_OBJECT_OWNED_ELSEWHERE"], "{waba} {number}: {body}");
            assert!(payload["invitation"].is_null());
        }

        // Assert: nothing written, no event, no provider call.
        assert_eq!(app.data(EVERYTHING, json!({})).await, before, "no row or event changed");
        assert_eq!(sinch.core.requests().len(), sinch_calls, "Sinch never heard of the attempts");

        // Arrange 2: rows cross-linked as the old pivot left them: A's invitation on B's
        // sender and WABA, A's sender under B's WABA and project, B's sender under A's.
        let op = "query($a: ID!, $b: ID!) { a: client(id: $a) { projects { id } }
            b: client(id: $b) { projects { id } wabas { id } senders { id } invitations { edges { node { id url } } } } }";
        let ids = app.data(op, json!({ "a": a_id, "b": b_id })).await;
        let (a_project, b) = (row(&ids["a"]["projects"][0]["id"]), &ids["b"]);
        let (b_project, b_waba, b_sender) =
            (row(&b["projects"][0]["id"]), row(&b["wabas"][0]["id"]), row(&b["senders"][0]["id"]));
        app.store.link_invitation(row(&a_sz["id"]), None, Some(b_sender), Some(b_waba)).await.unwrap();
        let owner = |client: &str, project, waba| Owner { client_id: Some(row(&json!(client))), project_id: Some(project), waba_id: waba };
        file_sender(&app, "PN_A_LEGACY", owner(&a_id, b_project, Some(b_waba))).await;
        let a_waba = match app.store.upsert_waba(Provider::Sendzen, owner(&a_id, b_project, None), "WABA_A_LEGACY", None,
            ChangeSource::Mutation).await.unwrap() {
            Filed::Ours(w, true) => w.id,
            other => panic!("{other:?}"),
        };
        file_sender(&app, "PN_B_LEGACY", owner(&b_id, a_project, Some(a_waba))).await;
        // The operator sees those links (so the checks below are not vacuous).
        let graph = app.data(GRAPH, json!({ "id": a_id })).await;
        let linked = &graph["client"]["invitations"]["edges"][0]["node"];
        assert_eq!((row(&linked["sender"]["id"]), row(&linked["waba"]["id"])), (b_sender, b_waba), "{graph}");
        assert_eq!(graph["client"]["wabas"][0]["senders"].as_array().unwrap().len(), 1, "{graph}");

        // B's secrets: the ids, Meta ids, name, email, phone and URLs of B's own rows.
        let mut secrets = BTreeSet::new();
        let own = "query($id: ID!) { node(id: $id) { ... on Client { id name email phone externalId
            invitations(first: 100) { edges { node { id url } } } senders { id phoneNumberId } wabas { id wabaId }
            projects { id } } } }";
        strings(&app.data(own, json!({ "id": b_id })).await, &mut secrets);
        assert!(secrets.len() > 15, "{secrets:?}");
        let b_ids: Vec<&String> = secrets.iter().filter(|s| GlobalId::decode(s).is_ok()).collect();
        assert!(b_ids.len() >= 8, "{b_ids:?}");

        // Act + Assert: every read path as A.
        let graph = as_client(&app, &token, GRAPH, json!({ "id": a_id })).await;
        assert_absent(&graph, &secrets, "relation fields");
        let mine = &graph["data"]["client"];
        let linked = &mine["invitations"]["edges"][0]["node"];
        assert!(linked["sender"].is_null() && linked["waba"].is_null(), "{graph}");
        assert_eq!(linked["client"]["id"], a_id);
        let legacy = mine["senders"].as_array().unwrap();
        assert!(legacy.iter().all(|s| s["waba"].is_null() && s["project"].is_null()), "{graph}");
        assert!(mine["wabas"].as_array().unwrap().iter().all(|w| w["senders"] == json!([]) && w["project"].is_null()));
        assert!(mine["projects"][0]["senders"].as_array().unwrap().is_empty(), "{graph}");

        let lists = as_client(&app, &token, EVERYTHING, json!({})).await;
        assert_absent(&lists, &secrets, "lists and events");
        assert!(!lists["data"]["events"]["edges"].as_array().unwrap().is_empty(), "A sees its own events");

        for id in &b_ids {
            let node = as_client(&app, &token, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
            assert_eq!(node["data"]["node"], Value::Null, "{id}: {node}");
            let filtered = "query($id: ID) { events(filter: { nodeId: $id }) { edges { cursor } } }";
            let events = as_client(&app, &token, filtered, json!({ "id": id })).await;
            assert_eq!(events["data"]["events"]["edges"], json!([]), "{id}: {events}");
        }
        let nodes = as_client(&app, &token, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": b_ids })).await;
        assert_eq!(nodes["data"]["nodes"], json!(vec![Value::Null; b_ids.len()]), "{nodes}");

        let by_filter = "query($b: ID!) { client(externalId: \"tenant-b\") { id } other: client(id: $b) { id }
            invitations(filter: { clientId: $b }) { totalCount edges { node { id } } }
            senders(filter: { clientId: $b }) { totalCount } events(filter: { clientId: $b }) { edges { cursor } } }";
        let body = as_client(&app, &token, by_filter, json!({ "b": b_id })).await;
        let d = &body["data"];
        assert!(d["client"].is_null() && d["other"].is_null(), "{body}");
        assert_eq!((d["invitations"]["totalCount"].as_i64(), d["senders"]["totalCount"].as_i64()), (Some(0), Some(0)));
        assert_eq!(d["events"]["edges"], json!([]), "{body}");

        // Mutations by id: B's invitation and sender do not exist for A.
        let by_id = "mutation($inv: ID!, $s: ID!) {
            renewInvitation(id: $inv) { invitation { id } userErrors { code } }
            completeOnboarding(input: { invitationId: $inv, wabaId: \"W\", phoneNumberId: \"P\" }) { invitation { id } userErrors { code } }
            registerSender(id: $s, method: SMS) { sender { id } userErrors { code } } }";
        let b_sender_gid = b["senders"][0]["id"].clone();
        let body = as_client(&app, &token, by_id, json!({ "inv": b_sz["id"], "s": b_sender_gid })).await;
        for field in ["renewInvitation", "completeOnboarding", "registerSender"] {
            assert_eq!(codes(&body["data"][field]), ["NOT_FOUND"], "{field}: {body}");
        }
        assert_absent(&body, &secrets, "mutations");

        // A's own completion with fresh ids still works, filed under A's own WABA.
        let input = json!({ "invitationId": a_es["id"], "wabaId": "WABA_A_FRESH", "phoneNumberId": "PN_A_FRESH" });
        let q = "mutation($input: CompleteOnboardingInput!) { completeOnboarding(input: $input) {
            invitation { status sender { client { id } waba { wabaId client { id } } } } userErrors { code } } }";
        let body = as_client(&app, &token, q, json!({ "input": input })).await;
        let inv = &body["data"]["completeOnboarding"]["invitation"];
        assert_eq!(inv["status"], "IN_PROGRESS", "{body}");
        assert_eq!((&inv["sender"]["client"]["id"], &inv["sender"]["waba"]["client"]["id"]), (&json!(a_id), &json!(a_id)));
    })
    .await;
}

/// The first value of `key` anywhere in `v`.
fn find<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(map) => map.get(key).or_else(|| map.values().find_map(|i| find(i, key))),
        Value::Array(items) => items.iter().find_map(|i| find(i, key)),
        _ => None,
    }
}

#[tokio::test]
async fn a_sender_a_provider_reports_for_one_client_stays_with_the_client_that_owns_it() {
    each_backend_with(without_webhooks, |app| async move {
        // Arrange: A's Zavu invitation completes at Zavu; B already owns that sender.
        let a = start(&app, json!({ "provider": "ZAVU", "client": { "name": "Alpha" } })).await["invitation"].clone();
        let b_id = crate::helpers::create_client(&app, "Bravo", Some("tenant-b")).await;
        let zavu_id = a["providerId"].as_str().unwrap().to_owned();
        let sandbox = app.sandbox.clone().unwrap();
        sandbox.simulate(bspgraph_sandbox::SimProvider::Zavu, &zavu_id, bspgraph_sandbox::SimAction::Start).unwrap();
        sandbox.simulate(bspgraph_sandbox::SimProvider::Zavu, &zavu_id, bspgraph_sandbox::SimAction::Complete).unwrap();
        let url = app.url(&format!("/sandbox/zavu/v1/invitations/{zavu_id}"));
        let at_zavu: Value =
            app.http.get(url).bearer_auth("zv_test_sandbox").send().await.unwrap().json().await.unwrap();
        let sender_id = find(&at_zavu, "senderId").and_then(Value::as_str).unwrap().to_owned();
        let owner = Owner { client_id: Some(row(&json!(b_id))), project_id: None, waba_id: None };
        let theirs = match app.store.upsert_sender(Provider::Zavu, owner, &sender(&sender_id), ChangeSource::Poll).await
        {
            Ok(Filed::Ours(s, true)) => s.id,
            other => panic!("{other:?}"),
        };
        let count = "{ senders { totalCount } wabas { totalCount } }";
        let before = app.data(count, json!({})).await;

        // Act: A's invitation is re-read from Zavu, which names B's sender.
        app.data("mutation($id: ID!) { refresh(id: $id) { __typename } }", json!({ "id": a["id"] })).await;

        // Assert: A's invitation moves on, unlinked; the sender stays B's, untouched.
        let q = "query($id: ID!) { node(id: $id) { ... on Invitation { status sender { id } } } }";
        let refreshed = app.data(q, json!({ "id": a["id"] })).await;
        assert_eq!(refreshed["node"]["status"], "COMPLETED", "{refreshed}");
        assert!(refreshed["node"]["sender"].is_null(), "{refreshed}");
        let gid = GlobalId::new(bspgraph::domain::NodeType::Sender, theirs).encode();
        let q = "query($id: ID!) { node(id: $id) { ... on Sender { client { id } } } }";
        assert_eq!(app.data(q, json!({ "id": gid })).await["node"]["client"]["id"], json!(b_id));
        assert_eq!(app.data(count, json!({})).await, before, "no sender or WABA row was added");
    })
    .await;
}
