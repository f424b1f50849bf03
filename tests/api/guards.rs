//! Documents built to crash or stall the server, exactly as an attack run sent them,
//! are refused with a stable code on every transport before anything runs, and the
//! server keeps answering. (A stack overflow would abort this whole test binary.)

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{error_codes, TestApp};
use crate::hostile::quiet_app;
use crate::ws_support::Ws;

/// `{ nodes(ids: [[[[...]]]]) { id } }` nested 2,000 levels: about 4 KB.
pub fn deep_list(levels: usize) -> String {
    format!("{{ nodes(ids: {}\"x\"{}) {{ id }} }}", "[".repeat(levels), "]".repeat(levels))
}

/// An input object nested `levels` deep.
fn deep_object(levels: usize) -> String {
    format!("{{ clients(filter: {}{}) {{ totalCount }} }}", "{ search: ".repeat(levels), "}".repeat(levels))
}

/// Fragments that each spread the next one twice: 2^levels selections, 1.3 KB at 22.
pub fn doubling_fragments(levels: usize) -> String {
    let mut text = String::from("query { ...F0 }\n");
    for i in 0..levels {
        text.push_str(&format!("fragment F{i} on Query {{ a: __typename ...F{n} ...F{n} }}\n", n = i + 1));
    }
    text.push_str(&format!("fragment F{levels} on Query {{ a: __typename }}\n"));
    text
}

fn aliases(n: usize, selection: &str) -> String {
    let body: String = (0..n).map(|i| format!("a{i}: {selection} ")).collect();
    format!("{{ {body}}}")
}

/// POST `body`; the status and error codes, after checking no statement ran.
async fn post_refused(app: &TestApp, body: Value) -> (StatusCode, Vec<String>, Value) {
    let before = app.store.statements();
    let resp = app.http.post(app.url("/graphql")).json(&body).send().await.unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(app.store.statements(), before, "a resolver ran: {body}");
    (status, error_codes(&body), body)
}

/// The server still answers: `/healthz` and a trivial query.
async fn still_serving(app: &TestApp) {
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(app.data("{ __typename }", json!({})).await["__typename"], "Query");
}

#[tokio::test]
async fn deeply_nested_values_are_refused_on_every_transport() {
    let app = quiet_app().await;
    let list = deep_list(2000);
    assert!(list.len() < 4200, "the attack document is about 4 KB");
    for doc in [&list, &deep_object(2000)] {
        let (status, codes, body) = post_refused(&app, json!({ "query": doc })).await;
        assert_eq!((status, codes), (StatusCode::OK, vec!["QUERY_TOO_DEEP".to_owned()]));
        assert_eq!(body["data"], Value::Null);
    }

    let resp = app.http.get(app.url("/graphql")).query(&[("query", &list)]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(error_codes(&resp.json().await.unwrap()), ["QUERY_TOO_DEEP"]);

    let batch = json!([{ "query": list }, { "query": "{ __typename }" }]);
    let body: Value = app.http.post(app.url("/graphql")).json(&batch).send().await.unwrap().json().await.unwrap();
    assert_eq!(error_codes(&body[0]), ["QUERY_TOO_DEEP"]);
    assert_eq!(body[1]["data"]["__typename"], "Query");

    let mut ws = Ws::ready(&app.ws_url()).await;
    ws.subscribe("deep", &list, json!({})).await;
    let msg = ws.recv().await;
    assert_eq!((msg["type"].as_str(), msg["id"].as_str()), (Some("error"), Some("deep")), "{msg}");
    assert_eq!(msg["payload"][0]["extensions"]["code"], "QUERY_TOO_DEEP");

    let mut legacy = Ws::connect(&app.ws_url(), "graphql-ws").await;
    legacy.send(json!({ "type": "connection_init", "payload": {} })).await;
    assert_eq!(legacy.recv().await["type"], "connection_ack");
    legacy.send(json!({ "type": "start", "id": "deep", "payload": { "query": list } })).await;
    let msg = legacy.recv().await;
    assert_eq!(msg["type"], "error", "{msg}");
    assert_eq!(msg["payload"]["extensions"]["code"], "QUERY_TOO_DEEP");
    still_serving(&app).await;
}

#[tokio::test]
async fn doubling_fragments_are_refused_before_validation() {
    let app = quiet_app().await;
    for levels in [22, 24, 25] {
        let doc = doubling_fragments(levels);
        let (status, codes, _) = post_refused(&app, json!({ "query": doc })).await;
        assert_eq!((status, codes), (StatusCode::OK, vec!["QUERY_TOO_COMPLEX".to_owned()]), "{levels} levels");
        let mut ws = Ws::ready(&app.ws_url()).await;
        ws.subscribe("f", &doc, json!({})).await;
        assert_eq!(ws.recv().await["payload"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");
    }
    assert!(doubling_fragments(22).len() < 1400, "the attack document is about 1.3 KB");
    still_serving(&app).await;
}

#[tokio::test]
async fn alias_floods_are_refused() {
    let app = quiet_app().await;
    let flood = aliases(55_000, "__typename");
    let (_, codes, _) = post_refused(&app, json!({ "query": flood })).await;
    assert_eq!(codes, ["QUERY_TOO_LARGE"], "55,000 aliases are about 800 KB");
    // Within the byte limit, the count after expansion refuses them.
    let (_, codes, _) = post_refused(&app, json!({ "query": aliases(3_000, "__typename") })).await;
    assert_eq!(codes, ["QUERY_TOO_COMPLEX"]);
    let (_, codes, _) =
        post_refused(&app, json!({ "query": aliases(1_000, "clients(first: 1) { totalCount }") })).await;
    assert_eq!(codes, ["QUERY_TOO_COMPLEX"], "1,000 COUNT statements");
    // A handful of counts is an ordinary request.
    let data = app.data(&aliases(10, "clients(first: 1) { totalCount }"), json!({})).await;
    assert_eq!(data["a9"]["totalCount"], 0);
    still_serving(&app).await;
}

#[tokio::test]
async fn the_standard_introspection_query_succeeds_and_deeper_introspection_does_not() {
    let app = quiet_app().await;
    let query = include_str!("../fixtures/introspection_query.graphql");
    let body = app.gql(query, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let types = body["data"]["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Client"), "{body}");
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");

    let mut inner = String::from("name");
    for _ in 0..40 {
        inner = format!("ofType {{ {inner} }}");
    }
    let abuse = format!("{{ __type(name: \"Query\") {{ fields {{ type {{ {inner} }} }} }} }}");
    let (_, codes, _) = post_refused(&app, json!({ "query": abuse })).await;
    assert_eq!(codes, ["QUERY_TOO_DEEP"]);
    let flood = aliases(20, "__schema { types { ...FullType } }") + &query[query.find("fragment FullType").unwrap()..];
    let (_, codes, _) = post_refused(&app, json!({ "query": flood })).await;
    assert_eq!(codes, ["QUERY_TOO_COMPLEX"], "twenty full introspections");
}

#[tokio::test]
async fn long_strings_are_bad_user_input_never_internal() {
    let app = quiet_app().await;
    let search = "x".repeat(100 * 1024);
    let query = "query($s: String) { clients(filter: { search: $s }) { totalCount } }";
    let (_, codes, body) = post_refused(&app, json!({ "query": query, "variables": { "s": search } })).await;
    assert_eq!(codes, ["BAD_USER_INPUT"]);
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("search"), "{body}");
    let inline = format!("{{ clients(filter: {{ search: \"{search}\" }}) {{ totalCount }} }}");
    let (_, codes, _) = post_refused(&app, json!({ "query": inline })).await;
    assert_eq!(codes, ["QUERY_TOO_LARGE"]);

    let long = "y".repeat(5_000);
    let cases = [
        ("query($v: String) { client(externalId: $v) { id } }", json!({ "v": long })),
        ("query($v: String) { clients(after: $v) { totalCount } }", json!({ "v": long })),
        ("query($v: ID!) { node(id: $v) { id } }", json!({ "v": long })),
        (
            "mutation($i: ClientInput!) { createClient(input: $i) { userErrors { code } } }",
            json!({ "i": { "name": long } }),
        ),
        (
            "mutation($i: StartOnboardingInput!) { startOnboarding(input: $i) { userErrors { code } } }",
            json!({ "i": { "provider": "SINCH", "sinch": { "region": "EU", "metaLocalStorage": long } } }),
        ),
    ];
    for (query, variables) in cases {
        let (_, codes, _) = post_refused(&app, json!({ "query": query, "variables": variables })).await;
        assert_eq!(codes, ["BAD_USER_INPUT"], "{query}");
    }
    // Inside the outer bound, a field's own rule still answers with its userError.
    let data = app
        .data(
            "mutation($i: ClientInput!) { createClient(input: $i) { userErrors { code } } }",
            json!({ "i": { "name": "n".repeat(300) } }),
        )
        .await;
    assert_eq!(data["createClient"]["userErrors"][0]["code"], "INVALID_NAME");
}

#[tokio::test]
async fn production_with_introspection_enabled_serves_the_standard_query_and_refuses_attacks() {
    use secrecy::ExposeSecret;
    let app = crate::helpers::spawn_app_with(|s| {
        s.security.mode = bspgraph::modes::Mode::Production;
        s.security.enable_introspection = true;
    })
    .await;
    let key = bspgraph::auth::keys::generate();
    app.store.create_api_key("backend", &key.display_prefix, &key.digest).await.unwrap();
    let post = |query: String| {
        app.http.post(app.url("/graphql")).bearer_auth(key.secret.expose_secret()).json(&json!({ "query": query }))
    };
    let query = include_str!("../fixtures/introspection_query.graphql");
    let body: Value = post(query.to_owned()).send().await.unwrap().json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    for (doc, code) in [(deep_list(2000), "QUERY_TOO_DEEP"), (doubling_fragments(24), "QUERY_TOO_COMPLEX")] {
        let body: Value = post(doc).send().await.unwrap().json().await.unwrap();
        assert_eq!(error_codes(&body), [code]);
    }
}
