//! Spec-conformant responses: field errors become `null` and propagate through
//! non-null fields (HTTP, batches, WebSocket), enum string literals are refused,
//! request errors have no `data` key, bodies without a query are 400, syntax errors
//! read like graphql-js's.

use serde_json::{json, Value};

use crate::helpers::{create_client, error_codes, spawn_app, TestApp};
use crate::ws_support::Ws;

async fn post(app: &TestApp, body: Value, accept: &str) -> (u16, Value) {
    let resp = app.http.post(app.url("/graphql")).header("accept", accept).json(&body).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn paths(body: &Value) -> Vec<Value> {
    body["errors"].as_array().unwrap().iter().map(|e| e["path"].clone()).collect()
}

#[tokio::test]
async fn a_failed_nullable_field_is_null_next_to_the_fields_that_worked() {
    let app = spawn_app().await;

    let body = app.gql(r#"{ providers { provider } a: node(id: "abc") { id } }"#, json!({})).await;

    assert_eq!(body["data"]["a"], Value::Null);
    assert!(body["data"].as_object().unwrap().contains_key("a"), "{body}");
    assert_eq!(body["data"]["providers"].as_array().unwrap().len(), 3);
    assert_eq!(paths(&body), vec![json!(["a"])]);
    assert_eq!(error_codes(&body), ["INVALID_ID"]);
}

#[tokio::test]
async fn a_failed_non_null_field_nulls_its_nearest_nullable_ancestor() {
    let app = spawn_app().await;
    let id = create_client(&app, "Acme", None).await;
    create_client(&app, "Beta", None).await;

    let one = "query($id: ID!) { providers { provider } client(id: $id) { name invitations(after: \"bad\") { totalCount } } }";
    let body = app.gql(one, json!({ "id": id })).await;
    assert_eq!(body["data"]["client"], Value::Null, "{body}");
    assert_eq!(body["data"]["providers"].as_array().unwrap().len(), 3);
    assert_eq!(paths(&body), vec![json!(["client", "invitations"])]);

    let all =
        r#"{ providers { provider } clients { edges { node { name invitations(after: "bad") { totalCount } } } } }"#;
    let body = app.gql(all, json!({})).await;
    assert_eq!(body["data"], Value::Null, "{body}");
    assert_eq!(error_codes(&body), ["BAD_CURSOR", "BAD_CURSOR"], "one error per failed field: {body}");
}

#[tokio::test]
async fn batches_are_shaped_per_operation() {
    let app = spawn_app().await;
    let batch = json!([
        { "query": r#"{ a: node(id: "abc") { id } }"# },
        { "query": "{ providers { provider } }" },
    ]);

    let (status, body) = post(&app, batch, "application/json").await;

    assert_eq!(status, 200);
    assert_eq!(body[0]["data"], json!({ "a": null }));
    assert_eq!(body[1]["data"]["providers"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn websocket_results_are_shaped_too() {
    let app = spawn_app().await;
    let mut ws = Ws::ready(&format!("ws://{}/graphql/ws", app.addr)).await;

    ws.subscribe("1", r#"{ providers { provider } a: node(id: "abc") { id } }"#, json!({})).await;

    let msg = ws.recv().await;
    assert_eq!(msg["type"], "next", "{msg}");
    assert_eq!(msg["payload"]["data"]["a"], Value::Null);
    assert!(msg["payload"]["data"].as_object().unwrap().contains_key("a"), "{msg}");
    assert_eq!(ws.recv().await["type"], "complete");
}

#[tokio::test]
async fn an_enum_written_as_a_string_is_a_validation_error() {
    let app = spawn_app().await;

    let body = app.gql(r#"{ invitations(filter: { status: ["PENDING"] }) { totalCount } }"#, json!({})).await;

    assert_eq!(error_codes(&body), ["GRAPHQL_VALIDATION_FAILED"]);
    assert!(body.get("data").is_none(), "a request error has no data key: {body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert_eq!(message, r#"Enum "InvitationStatus" cannot represent non-enum value: "PENDING"."#);
    let ok = app.data("{ invitations(filter: { status: [PENDING] }) { totalCount } }", json!({})).await;
    assert_eq!(ok["invitations"]["totalCount"], 0);
    let as_variable = "query($s: [InvitationStatus!]) { invitations(filter: { status: $s }) { totalCount } }";
    app.data(as_variable, json!({ "s": ["PENDING"] })).await;
}

#[tokio::test]
async fn a_body_without_a_string_query_is_a_bad_request_whatever_is_accepted() {
    let app = spawn_app().await;
    for accept in ["application/json", "application/graphql-response+json"] {
        for body in [json!({ "notquery": "{ __typename }" }), json!({ "query": 1 }), json!({ "query": ["x"] })] {
            let (status, resp) = post(&app, body.clone(), accept).await;
            assert_eq!(status, 400, "{body} with {accept}");
            assert_eq!(error_codes(&resp), ["BAD_REQUEST"]);
            assert!(resp.get("data").is_none());
        }
    }
    let (status, _) = post(&app, json!({ "query": "{ __typename }", "variables": "x" }), "application/json").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_syntax_error_is_one_line_with_its_location_and_no_data() {
    let app = spawn_app().await;

    let (status, body) = post(&app, json!({ "query": "{" }), "application/json").await;

    assert_eq!(status, 200);
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(body["errors"][0]["message"], "Syntax Error: Expected Name, found <EOF>.");
    assert_eq!(body["errors"][0]["locations"], json!([{ "line": 1, "column": 2 }]));
    assert_eq!(error_codes(&body), ["GRAPHQL_PARSE_FAILED"]);
    let (status, _) = post(&app, json!({ "query": "{" }), "application/graphql-response+json").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn persisted_queries_miss_then_store_then_hit_over_post_and_get() {
    use sha2::{Digest, Sha256};
    let app = spawn_app().await;
    let query = "{ providers { provider } }";
    let hash = hex::encode(Sha256::digest(query.as_bytes()));
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });

    let (status, miss) = post(&app, json!({ "extensions": ext }), "application/graphql-response+json").await;
    assert_eq!(status, 200);
    assert_eq!(miss["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(error_codes(&miss), ["PERSISTED_QUERY_NOT_FOUND"]);
    assert!(miss.get("data").is_none());

    let (status, stored) = post(&app, json!({ "query": query, "extensions": ext }), "application/json").await;
    assert_eq!((status, stored["data"]["providers"].as_array().unwrap().len()), (200, 3));

    let (status, hit) = post(&app, json!({ "extensions": ext }), "application/json").await;
    assert_eq!((status, &hit["data"]), (200, &stored["data"]));
    let url = format!("{}?extensions={}", app.url("/graphql"), urlencode(&ext.to_string()));
    let got: Value = app.http.get(url).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["data"], stored["data"]);

    let wrong = json!({ "query": "{ __typename }", "extensions": ext });
    let (status, refused) = post(&app, wrong, "application/json").await;
    assert_eq!((status, error_codes(&refused)), (400, vec!["PERSISTED_QUERY_HASH_MISMATCH".to_owned()]));
}

#[tokio::test]
async fn persisted_queries_turned_off_answer_not_supported_and_still_run_full_queries() {
    let app = crate::helpers::spawn_app_with(|s| s.persisted_query_cache_bytes = 0).await;
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": "00".repeat(32) } });

    let (status, refused) = post(&app, json!({ "extensions": ext }), "application/json").await;
    let (_, plain) = post(&app, json!({ "query": "{ __typename }" }), "application/json").await;

    assert_eq!(status, 200);
    assert_eq!(refused["errors"][0]["message"], "PersistedQueryNotSupported");
    assert_eq!(error_codes(&refused), ["PERSISTED_QUERY_NOT_SUPPORTED"]);
    assert_eq!(plain["data"]["__typename"], "Query");
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
