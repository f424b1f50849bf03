//! Hostile documents and transports are refused before execution: no resolver runs,
//! which the SQL statement counter shows (every resolver here would query).

use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{error_codes, eventually, spawn_app_with, without_background, TestApp};

async fn refused_before_execution(app: &TestApp, body: Value) -> (StatusCode, Vec<String>) {
    let before = app.store.statements();
    let resp = app.http.post(app.url("/graphql")).json(&body).send().await.unwrap();
    let status = resp.status();
    let codes = error_codes(&resp.json().await.unwrap());
    assert_eq!(app.store.statements(), before, "a resolver ran for {codes:?}");
    (status, codes)
}

/// No background work (poller, inbox sweeps), and startup reads settled (the statement
/// counter unchanged between two looks), so the counter sees only what requests do.
pub(crate) async fn quiet_app() -> TestApp {
    let app = spawn_app_with(without_background).await;
    let mut last = None;
    eventually("the statement counter settled after startup", || {
        let now = app.store.statements();
        let settled = last.replace(now) == Some(now);
        async move { settled.then_some(()) }
    })
    .await;
    app
}

#[tokio::test]
async fn hostile_documents_are_refused_with_stable_codes() {
    let app = quiet_app().await;
    let mut deep = String::from("id");
    for _ in 0..25 {
        deep = format!("projects {{ client {{ {deep} }} }}");
    }
    let depth_50 = format!("{{ clients {{ edges {{ node {{ {deep} }} }} }} }}");
    let aliases: String = (0..1000).map(|i| format!("a{i}: clients {{ totalCount }} ")).collect();
    let directives = format!("{{ clients {{ totalCount {} }} }}", "@include(if: true) ".repeat(100));
    let cases = [
        (json!({ "query": depth_50 }), "QUERY_TOO_DEEP"),
        (json!({ "query": format!("{{ {aliases} }}") }), "QUERY_TOO_COMPLEX"),
        (json!({ "query": "{ clients(first: 99999999) { edges { node { id } } } }" }), "QUERY_TOO_COMPLEX"),
        (json!({ "query": directives }), "TOO_MANY_DIRECTIVES"),
    ];
    for (body, code) in cases {
        let (status, codes) = refused_before_execution(&app, body).await;
        assert_eq!((status, codes), (StatusCode::OK, vec![code.to_owned()]));
    }
    let batch: Vec<Value> = (0..100).map(|_| json!({ "query": "{ clients { totalCount } }" })).collect();
    let (status, codes) = refused_before_execution(&app, json!(batch)).await;
    assert_eq!((status, codes), (StatusCode::BAD_REQUEST, vec!["BATCH_LIMIT_EXCEEDED".to_owned()]));
}

#[tokio::test]
async fn hostile_transports_are_refused_before_execution() {
    let app = quiet_app().await;
    let before = app.store.statements();
    let huge = "x".repeat(10 * 1024 * 1024);
    let resp = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ clients { totalCount } }", "variables": { "pad": huge } }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let resp = app
            .http
            .post(app.url("/graphql"))
            .header(CONTENT_TYPE, content_type)
            .body(r#"{"query":"{ clients { totalCount } }"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    assert_eq!(app.store.statements(), before, "nothing executed");
}
