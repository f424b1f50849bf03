//! The HTTP surface: GET/POST, content negotiation, body and batch limits, depth and
//! complexity limits, health, GraphiQL and metrics.

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{error_codes, spawn_app, spawn_app_with};

#[tokio::test]
async fn get_runs_queries_and_refuses_mutations() {
    let app = spawn_app().await;
    let resp =
        app.http.get(app.url("/graphql")).query(&[("query", "{ clients { totalCount } }")]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap()["data"]["clients"]["totalCount"], 0);

    let mutation = "mutation { createClient(input: { name: \"Via GET\" }) { client { id } } }";
    let resp = app.http.get(app.url("/graphql")).query(&[("query", mutation)]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()["allow"], "POST");
    assert_eq!(error_codes(&resp.json().await.unwrap()), ["METHOD_NOT_ALLOWED"]);
    // A named mutation hidden behind operationName is refused too.
    let doc =
        "query Q { clients { totalCount } } mutation M { createClient(input: { name: \"x\" }) { client { id } } }";
    let resp = app.http.get(app.url("/graphql")).query(&[("query", doc), ("operationName", "M")]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    let total = app.data("{ clients { totalCount } }", json!({})).await;
    assert_eq!(total["clients"]["totalCount"], 0, "no mutation ran");
}

#[tokio::test]
async fn accept_header_picks_the_media_type_and_status_code() {
    let app = spawn_app().await;
    let bad = json!({ "query": "{ clients { nope } }" });
    let legacy = app.http.post(app.url("/graphql")).json(&bad).send().await.unwrap();
    assert_eq!(legacy.status(), StatusCode::OK);
    assert!(legacy.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    assert_eq!(error_codes(&legacy.json().await.unwrap()), ["GRAPHQL_VALIDATION_FAILED"]);

    let modern = app
        .http
        .post(app.url("/graphql"))
        .header(ACCEPT, "application/graphql-response+json")
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(modern.status(), StatusCode::BAD_REQUEST);
    assert_eq!(modern.headers()[CONTENT_TYPE], "application/graphql-response+json");

    let parse_error = json!({ "query": "{ clients { " });
    let modern = app
        .http
        .post(app.url("/graphql"))
        .header(ACCEPT, "application/graphql-response+json")
        .json(&parse_error)
        .send()
        .await
        .unwrap();
    assert_eq!(modern.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_codes(&modern.json().await.unwrap()), ["GRAPHQL_PARSE_FAILED"]);

    let ok = app
        .http
        .post(app.url("/graphql"))
        .header(ACCEPT, "application/graphql-response+json")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);

    let unacceptable = app
        .http
        .post(app.url("/graphql"))
        .header(ACCEPT, "text/html")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(unacceptable.status(), StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn unsupported_content_types_are_refused_before_execution() {
    let app = spawn_app().await;
    let body = r#"{"query":"mutation { createClient(input: { name: \"csrf\" }) { client { id } } }"}"#;
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
        let resp =
            app.http.post(app.url("/graphql")).header(CONTENT_TYPE, content_type).body(body).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
        assert_eq!(error_codes(&resp.json().await.unwrap()), ["UNSUPPORTED_MEDIA_TYPE"]);
    }
    let total = app.data("{ clients { totalCount } }", json!({})).await;
    assert_eq!(total["clients"]["totalCount"], 0, "no mutation ran");
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let app = spawn_app().await;
    let padding = "x".repeat(1024 * 1024 + 1);
    let resp = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ __typename }", "variables": { "p": padding } }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_codes(&resp.json().await.unwrap()), ["PAYLOAD_TOO_LARGE"]);

    let small = spawn_app_with(|s| s.max_body_bytes = 32).await;
    let resp = small
        .http
        .post(small.url("/graphql"))
        .json(&json!({ "query": "{ clients { totalCount pageInfo { hasNextPage } } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE, "the limit is a setting");
}

#[tokio::test]
async fn batches_run_up_to_the_limit() {
    let app = spawn_app().await;
    let op = json!({ "query": "{ __typename }" });
    let resp = app.http.post(app.url("/graphql")).json(&vec![op.clone(); 3]).send().await.unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body.as_array().unwrap().len(), 3);
    assert_eq!(body[2]["data"]["__typename"], "Query");

    let resp = app.http.post(app.url("/graphql")).json(&vec![op; 11]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_codes(&resp.json().await.unwrap()), ["BATCH_LIMIT_EXCEEDED"]);
}

#[tokio::test]
async fn deep_and_expensive_queries_are_rejected_before_execution() {
    let app = spawn_app().await;
    app.store.seed_demo(1).await.unwrap();
    // Client -> project -> client -> project ... 20 levels.
    let mut deep = String::from("id");
    for i in 0..10 {
        deep = if i % 2 == 0 {
            format!("projects {{ client {{ {deep} }} }}")
        } else {
            format!("wabas {{ client {{ {deep} }} }}")
        };
    }
    let body = app.gql(&format!("{{ clients {{ edges {{ node {{ {deep} }} }} }} }}"), json!({})).await;
    assert_eq!(error_codes(&body), ["QUERY_TOO_DEEP"]);
    assert_eq!(body["data"], Value::Null);

    let body = app.gql("{ clients(first: 99999999) { edges { node { id name } } } }", json!({})).await;
    assert_eq!(error_codes(&body), ["QUERY_TOO_COMPLEX"]);
    let nested = "{ clients(first: 100) { edges { node { invitations(first: 100) { edges { node { id sender { id } waba { id } } } } } } } }";
    assert_eq!(error_codes(&app.gql(nested, json!({})).await), ["QUERY_TOO_COMPLEX"]);
    let directives = format!("{{ __typename {} }}", "@skip(if: false) ".repeat(20));
    assert_eq!(error_codes(&app.gql(&directives, json!({})).await), ["TOO_MANY_DIRECTIVES"]);
}

#[tokio::test]
async fn health_graphiql_and_metrics_answer() {
    let app = spawn_app().await;
    for (path, needle) in [("/healthz", "ok"), ("/readyz", "ready"), ("/", "graphiql")] {
        let resp = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert!(resp.text().await.unwrap().to_lowercase().contains(needle), "{path}");
    }
    app.gql("{ clients(first: 500) { totalCount } }", json!({})).await;
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("bspgraph_http_requests_total{route=\"/graphql\",status=\"200\"} 1"), "{metrics}");
    assert!(metrics.contains("bspgraph_graphql_errors_total{code=\"PAGE_SIZE_EXCEEDED\"} 1"), "{metrics}");
    assert!(metrics.contains("bspgraph_http_request_duration_seconds_count{route=\"/graphql\"}"));
    assert!(metrics.contains("bspgraph_sql_statements "));
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let resp = app.http.get(app.url("/healthz")).header("x-request-id", "trace-me-123").send().await.unwrap();
    assert_eq!(resp.headers()["x-request-id"], "trace-me-123");
    let resp = app.http.get(app.url("/healthz")).header("x-request-id", "bad id with spaces").send().await.unwrap();
    assert_ne!(resp.headers()["x-request-id"], "bad id with spaces");
}
