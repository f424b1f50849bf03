//! The read API: pagination, ordering, filters, node round trips, client lookups.

use serde_json::{json, Value};

use crate::helpers::{each_backend, error_codes, TestApp};

const PAGE: &str = "query($first: Int, $after: String, $filter: ClientFilter) {
  clients(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name externalId } }
  }
}";

fn names(page: &Value) -> Vec<String> {
    page["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap().to_owned()).collect()
}

async fn walk_all_pages(app: &TestApp, first: i64) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app.data(PAGE, json!({ "first": first, "after": after })).await;
        let page = &data["clients"];
        assert_eq!(page["totalCount"], 7);
        assert_eq!(page["pageInfo"]["hasPreviousPage"], !after.is_null());
        seen.extend(names(page));
        if page["pageInfo"]["hasNextPage"] == false {
            return seen;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn pages_cover_every_client_once_in_a_stable_order() {
    each_backend(|app| async move {
        app.store.seed_demo(7).await.unwrap();
        let expected: Vec<String> = (0..7).map(|i| format!("Demo customer {i}")).collect();
        assert_eq!(walk_all_pages(&app, 3).await, expected);
        assert_eq!(walk_all_pages(&app, 100).await, expected);
        // An empty page still answers.
        let data = app.data(PAGE, json!({ "first": 0 })).await;
        assert_eq!(data["clients"]["edges"], json!([]));
        assert_eq!(data["clients"]["pageInfo"]["hasNextPage"], true);
    })
    .await;
}

#[tokio::test]
async fn client_filters_narrow_the_list() {
    each_backend(|app| async move {
        app.store.seed_demo(6).await.unwrap();
        crate::helpers::create_client(&app, "Zebra Stripes Ltd", Some("zebra")).await;
        let count = |filter: Value| {
            let app = &app;
            async move { app.data(PAGE, json!({ "filter": filter })).await["clients"]["totalCount"].as_i64().unwrap() }
        };
        assert_eq!(count(json!({ "search": "zEBRA" })).await, 1, "search is case-insensitive");
        assert_eq!(count(json!({ "search": "%" })).await, 0, "LIKE wildcards are escaped");
        // The seed rotates SENDZEN, ZAVU, SINCH.
        assert_eq!(count(json!({ "provider": "ZAVU" })).await, 2);
        assert_eq!(count(json!({ "invitationStatus": ["PENDING"] })).await, 6);
        assert_eq!(count(json!({ "invitationStatus": ["FAILED"] })).await, 0);
        assert_eq!(count(json!({ "provider": "SINCH", "search": "customer 5" })).await, 1);
    })
    .await;
}

#[tokio::test]
async fn entity_lists_filter_by_provider_status_and_client() {
    each_backend(|app| async move {
        app.store.seed_demo(6).await.unwrap();
        let q = "query($p: Provider, $s: [InvitationStatus!], $ss: [SenderStatus!], $c: ID) {
          invitations(filter: { provider: $p, status: $s, clientId: $c }) { totalCount edges { node { provider status client { id } } } }
          senders(filter: { provider: $p, status: $ss, clientId: $c }) { totalCount }
          wabas(provider: $p) { totalCount edges { node { provider wabaId status } } }
          projects(provider: $p) { totalCount edges { node { provider hasCredentials } } }
        }";
        let data = app.data(q, json!({ "p": "SINCH", "s": ["COMPLETED"], "ss": ["ACTIVE"] })).await;
        assert_eq!(data["invitations"]["totalCount"], 2);
        for edge in data["invitations"]["edges"].as_array().unwrap() {
            assert_eq!(edge["node"]["provider"], "SINCH");
            assert_eq!(edge["node"]["status"], "COMPLETED");
        }
        assert_eq!(data["senders"]["totalCount"], 2);
        assert_eq!(data["wabas"]["totalCount"], 2);
        assert_eq!(data["projects"]["totalCount"], 2);
        assert_eq!(data["projects"]["edges"][0]["node"]["hasCredentials"], false);

        let client = data["invitations"]["edges"][0]["node"]["client"]["id"].clone();
        let data = app.data(q, json!({ "c": client })).await;
        assert_eq!(data["invitations"]["totalCount"], 2, "one completed and one pending invitation per client");
        assert_eq!(data["senders"]["totalCount"], 1);
    })
    .await;
}

#[tokio::test]
async fn every_node_round_trips_through_its_global_id() {
    each_backend(|app| async move {
        app.store.seed_demo(1).await.unwrap();
        let ids = app
            .data(
                "{ clients { edges { node { id projects { id } wabas { id } senders { id }
                   invitations { edges { node { id } } } } } } }",
                json!({}),
            )
            .await;
        let client = &ids["clients"]["edges"][0]["node"];
        let all = [
            (client["id"].clone(), "Client"),
            (client["projects"][0]["id"].clone(), "Project"),
            (client["wabas"][0]["id"].clone(), "Waba"),
            (client["senders"][0]["id"].clone(), "Sender"),
            (client["invitations"]["edges"][0]["node"]["id"].clone(), "Invitation"),
        ];
        for (id, typename) in &all {
            let data = app.data("query($id: ID!) { node(id: $id) { __typename id } }", json!({ "id": id })).await;
            assert_eq!(data["node"]["__typename"], *typename);
            assert_eq!(data["node"]["id"], *id);
        }
        let ids: Vec<Value> = all.iter().map(|(id, _)| id.clone()).collect();
        let data = app.data("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": ids })).await;
        assert_eq!(data["nodes"].as_array().unwrap().len(), 5);
        assert_eq!(data["nodes"][4]["id"], ids[4]);
    })
    .await;
}

#[tokio::test]
async fn unknown_ids_are_null_and_malformed_ids_are_errors() {
    let app = crate::helpers::spawn_app().await;
    // A well-formed id of a row that does not exist.
    let missing = "Q2xpZW50Ojk5OTk"; // "Client:9999"
    let data = app.data("query($id: ID!) { node(id: $id) { id } }", json!({ "id": missing })).await;
    assert_eq!(data["node"], Value::Null);
    let body = app.gql("query($id: ID!) { node(id: $id) { id } }", json!({ "id": "not-an-id" })).await;
    assert_eq!(error_codes(&body), ["INVALID_ID"]);
    let body = app.gql("{ clients(after: \"bogus\") { totalCount } }", json!({})).await;
    assert_eq!(error_codes(&body), ["BAD_CURSOR"]);
}

#[tokio::test]
async fn a_client_is_found_by_id_or_external_id_but_not_both() {
    each_backend(|app| async move {
        let id = crate::helpers::create_client(&app, "Acme", Some("acme-42")).await;
        let q = "query($id: ID, $ext: String) { client(id: $id, externalId: $ext) { id name } }";
        assert_eq!(app.data(q, json!({ "id": id })).await["client"]["name"], "Acme");
        assert_eq!(app.data(q, json!({ "ext": "acme-42" })).await["client"]["id"], id.as_str());
        assert_eq!(app.data(q, json!({ "ext": "nobody" })).await["client"], Value::Null);
        let body = app.gql(q, json!({ "id": id, "ext": "acme-42" })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    })
    .await;
}

#[tokio::test]
async fn first_above_the_cap_is_a_clear_error() {
    let app = crate::helpers::spawn_app().await;
    let body = app.gql("{ clients(first: 101) { totalCount } }", json!({})).await;
    assert_eq!(error_codes(&body), ["PAGE_SIZE_EXCEEDED"]);
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("100"));
    let body = app.gql("{ clients(first: -1) { totalCount } }", json!({})).await;
    assert_eq!(error_codes(&body), ["PAGE_SIZE_EXCEEDED"]);
}

#[tokio::test]
async fn nested_invitations_paginate_and_filter_per_client() {
    let app = crate::helpers::spawn_app().await;
    app.store.seed_demo(2).await.unwrap();
    let q = "query($after: String, $s: [InvitationStatus!]) { clients { edges { node {
        invitations(first: 1, after: $after, status: $s) { totalCount pageInfo { hasNextPage endCursor } edges { node { status } } }
    } } } }";
    let data = app.data(q, json!({})).await;
    let first = &data["clients"]["edges"][0]["node"]["invitations"];
    assert_eq!(first["totalCount"], 2);
    assert_eq!(first["edges"][0]["node"]["status"], "COMPLETED");
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let data = app.data(q, json!({ "after": first["pageInfo"]["endCursor"] })).await;
    let next = &data["clients"]["edges"][0]["node"]["invitations"];
    assert_eq!(next["edges"][0]["node"]["status"], "PENDING");
    assert_eq!(next["pageInfo"]["hasNextPage"], false);
    let data = app.data(q, json!({ "s": ["PENDING"] })).await;
    assert_eq!(data["clients"]["edges"][1]["node"]["invitations"]["totalCount"], 1);
}

/// Node objects take a shortcut for plain selections (`src/graphql/fast.rs`); fragments,
/// directives, aliases and a key asked twice go through async-graphql's own resolution.
/// Both must give the same answer.
#[tokio::test]
async fn a_page_read_through_fragments_directives_and_aliases_answers_as_the_plain_one() {
    each_backend(|app| async move {
        app.store.seed_demo(4).await.unwrap();
        let plain = "{ clients(first: 4) { nodes { __typename id name
            wabas { id status } projects { id name senders { id status } } invitations(first: 2) { nodes { id status client { id } } } } } }";
        let fancy = "query($no: Boolean = false) { clients(first: 4) { nodes { ...C name name @include(if: true)
            also: name id @skip(if: $no) invitations(first: 2) { nodes { ... on Invitation { id status } client { id } } } } } }
            fragment C on Client { __typename id wabas { ... on Waba { id status } } projects { id name senders { id status } } }";
        let plain = app.data(plain, json!({})).await;
        let fancy = app.data(fancy, json!({})).await;
        let nodes = plain["clients"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 4);
        assert!(nodes.iter().all(|n| n["__typename"] == "Client" && n["wabas"].as_array().is_some_and(|w| !w.is_empty())));
        let mut expected = plain.clone();
        for node in expected["clients"]["nodes"].as_array_mut().unwrap() {
            node["also"] = node["name"].clone();
        }
        assert_eq!(fancy, expected);
    })
    .await;
}
