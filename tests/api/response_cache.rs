//! The response cache: a repeated query is answered from memory with one statement
//! (the data generation), a write through the API or behind it is read back at once,
//! client tokens never share an entry, and responses with errors, mutations, answers
//! that read no data and in-memory fields are never kept. Across instances:
//! `live_postgres.rs`.

use bspgraph::domain::ClientDraft;
use serde_json::{json, Value};

use crate::helpers::{create_client, each_backend, each_backend_with, without_background, TestApp};

const NAMES: &str = "{ clients(first: 10) { edges { node { name } } } }";

/// The value of the metric line `name` on `/metrics` (0 when absent).
async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0, |v| v.trim().parse().unwrap())
}

async fn hits(app: &TestApp) -> u64 {
    metric(app, "bspgraph_response_cache_hits_total").await
}

fn names(data: &Value) -> Vec<String> {
    data["clients"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
        .collect()
}

/// POST as the bearer of `token` and return the body.
async fn as_bearer(app: &TestApp, token: &str, query: &str) -> Value {
    let body = json!({ "query": query });
    let resp = app.http.post(app.url("/graphql")).bearer_auth(token).json(&body).send().await.unwrap();
    resp.json().await.unwrap()
}

#[tokio::test]
async fn a_repeated_query_is_answered_from_the_cache_and_every_write_is_read_back_at_once() {
    // No poller or inbox sweep: the statement counter sees only the requests.
    each_backend_with(without_background, |app| async move {
        // Arrange
        let id = create_client(&app, "Ann", None).await;
        assert_eq!(names(&app.data(NAMES, json!({})).await), ["Ann"]);

        // Act 1: the same document again.
        let before = app.store.statements();
        let again = app.data(NAMES, json!({})).await;

        // Assert 1: one statement (the generation), a hit, the same answer.
        assert_eq!(app.store.statements() - before, 1, "a hit reads only the generation");
        assert_eq!(names(&again), ["Ann"]);
        assert_eq!(hits(&app).await, 1);
        assert_eq!(metric(&app, "bspgraph_response_cache_misses_total").await, 1);
        assert!(metric(&app, "bspgraph_response_cache_bytes").await > 0);

        // Act 2: a write through the API, then one behind it (as the webhook inbox or
        // another instance writes).
        let rename = "mutation($id: ID!) { updateClient(id: $id, input: { name: \"Bea\" }) { client { name } } }";
        app.data(rename, json!({ "id": id })).await;
        let after_update = app.data(NAMES, json!({})).await;
        let draft = ClientDraft { external_id: None, name: "Cy".into(), email: None, phone: None, labels: None };
        app.store.create_client(draft).await.unwrap();
        let after_insert = app.data(NAMES, json!({})).await;

        // Assert 2: each read shows the write before it; neither was a hit.
        assert_eq!(names(&after_update), ["Bea"]);
        assert_eq!(names(&after_insert), ["Bea", "Cy"]);
        assert_eq!(hits(&app).await, 1);
        assert_eq!(names(&app.data(NAMES, json!({})).await), ["Bea", "Cy"]);
        assert_eq!(hits(&app).await, 2, "cached again once read");
    })
    .await;
}

#[tokio::test]
async fn variables_are_part_of_the_key() {
    each_backend(|app| async move {
        // Arrange
        create_client(&app, "Ann", Some("ext-ann")).await;
        create_client(&app, "Bob", Some("ext-bob")).await;
        let by_ext = "query($e: String!) { client(externalId: $e) { name } }";

        // Act
        let mut seen = Vec::new();
        for ext in ["ext-ann", "ext-bob", "ext-ann", "ext-bob"] {
            seen.push(app.data(by_ext, json!({ "e": ext })).await["client"]["name"].clone());
        }

        // Assert
        assert_eq!(seen, [json!("Ann"), json!("Bob"), json!("Ann"), json!("Bob")]);
        assert_eq!(hits(&app).await, 2);
    })
    .await;
}

#[tokio::test]
async fn client_tokens_never_share_an_entry() {
    each_backend(|app| async move {
        // Arrange: two clients, a token for each.
        let issue = "mutation($id: ID!) { issueClientToken(clientId: $id) { token } }";
        let mut tokens = Vec::new();
        for name in ["Ann", "Bob"] {
            let id = create_client(&app, name, None).await;
            let data = app.data(issue, json!({ "id": id })).await;
            tokens.push(data["issueClientToken"]["token"].as_str().unwrap().to_owned());
        }

        // Act: the same document, twice each, interleaved.
        let mut seen = Vec::new();
        for token in [&tokens[0], &tokens[1], &tokens[0], &tokens[1]] {
            seen.push(names(&as_bearer(&app, token, NAMES).await["data"]));
        }

        // Assert: each sees only its own client, from its own entry.
        assert_eq!(seen, [vec!["Ann"], vec!["Bob"], vec!["Ann"], vec!["Bob"]]);
        assert_eq!(hits(&app).await, 2);
        assert_eq!(names(&app.data(NAMES, json!({})).await), ["Ann", "Bob"], "the operator's own entry");
    })
    .await;
}

#[tokio::test]
async fn errors_mutations_in_memory_fields_and_answers_without_data_are_never_kept() {
    each_backend(|app| async move {
        // Arrange
        let create = "mutation { createClient(input: { name: \"Twice\" }) { client { id } } }";
        let documents = [
            "{ node(id: \"not-an-id\") { id } }", // an error
            "{ providers { provider healthy } }", // health held in memory
            "{ __typename }",                     // reads no data
            create,                               // a mutation
        ];

        // Act
        let mut bodies = Vec::new();
        for doc in documents {
            for _ in 0..2 {
                bodies.push(app.gql(doc, json!({})).await);
            }
        }

        // Assert: nothing served from the cache; the mutation ran twice.
        assert_eq!(hits(&app).await, 0, "{bodies:?}");
        assert_eq!(metric(&app, "bspgraph_response_cache_misses_total").await, 0);
        let twice = app.data("{ clients(filter: { search: \"Twice\" }) { totalCount } }", json!({})).await;
        assert_eq!(twice["clients"]["totalCount"], 2);
    })
    .await;
}

#[tokio::test]
async fn the_cache_can_be_turned_off() {
    let app = crate::helpers::spawn_app_with(|s| {
        without_background(s);
        s.response_cache_bytes = 0;
    })
    .await;
    create_client(&app, "Ann", None).await;
    for _ in 0..3 {
        assert_eq!(names(&app.data(NAMES, json!({})).await), ["Ann"]);
    }
    assert_eq!(hits(&app).await, 0);
    let counted = "{ clients(first: 10) { totalCount edges { node { name } } } }";
    let before = app.store.statements();
    app.data(counted, json!({})).await;
    app.data(counted, json!({})).await;
    // The load cache (on) reads the generation and has the page since the reads above
    // (another document, the same page); counts are not its.
    assert_eq!(app.store.statements() - before, 4, "the generation and the count, twice: executed each time");
}
