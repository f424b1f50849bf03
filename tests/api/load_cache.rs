//! The load cache: a repeated read of the same rows through another document takes its
//! top-level page, nodes and relation lists from memory (one statement: the generation),
//! a write behind the API is read back at once, and what a client token may see is
//! still decided on every request. Across instances: `live_postgres.rs`.

use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::helpers::{create_client, each_backend_with, without_background, TestApp};

/// Response cache off, so only the load cache can answer; no background writers.
fn load_cache_only(s: &mut bspgraph::config::Settings) {
    without_background(s);
    s.response_cache_bytes = 0;
}

/// The page of clients with their WABAs' names, under `alias` (each alias is another
/// document, never one response cache entry).
fn wabas(alias: &str) -> String {
    format!("{{ {alias}: clients(first: 10) {{ edges {{ node {{ name wabas {{ name }} }} }} }} }}")
}

fn waba_names(data: &Value, alias: &str) -> Vec<String> {
    let edges = data[alias]["edges"].as_array().unwrap();
    edges
        .iter()
        .flat_map(|e| e["node"]["wabas"].as_array().unwrap())
        .map(|w| w["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn counted(app: &TestApp, alias: &str) -> (Vec<String>, u64) {
    let before = app.store.statements();
    let data = app.data(&wabas(alias), json!({})).await;
    (waba_names(&data, alias), app.store.statements() - before)
}

#[tokio::test]
async fn relations_read_again_come_from_memory_and_a_write_behind_the_api_is_read_back_at_once() {
    each_backend_with(load_cache_only, |app| async move {
        // Arrange
        app.store.seed_demo(3).await.unwrap();
        let (first, cold) = counted(&app, "a").await;
        assert_eq!(first.len(), 3);
        assert_eq!(cold, 3, "the generation, the page and the WABAs");

        // Act 1: the same rows through another document.
        let hits = app.state.metrics.load_cache.hits.get();
        let (again, warm) = counted(&app, "b").await;

        // Assert 1: the page and the WABA lists came from the load cache.
        assert_eq!(again, first);
        assert_eq!(warm, 1, "the generation only");
        assert_eq!(app.state.metrics.load_cache.hits.get() - hits, 4, "the page and one list per client");

        // Act 2: a write behind the API (another process on the same database).
        let update = "UPDATE wabas SET name = 'Renamed behind' WHERE id = (SELECT MIN(id) FROM wabas)";
        app.db().await.execute_unprepared(update).await.unwrap();

        // Assert 2: the next read shows it, loaded again.
        let (after, reloaded) = counted(&app, "c").await;
        assert!(after.contains(&"Renamed behind".to_owned()), "{after:?}");
        assert_eq!(reloaded, 3);
        let (kept, warm_again) = counted(&app, "d").await;
        assert_eq!((kept, warm_again), (after, 1), "kept again, at the new generation");
    })
    .await;
}

#[tokio::test]
async fn a_client_token_is_not_shown_another_clients_node_the_operator_loaded_into_the_cache() {
    each_backend_with(load_cache_only, |app| async move {
        // Arrange: the operator loads Ann's client into the cache; Bob has a token.
        let ann = create_client(&app, "Ann", None).await;
        let bob = create_client(&app, "Bob", None).await;
        let issue = "mutation($id: ID!) { issueClientToken(clientId: $id) { token } }";
        let token =
            app.data(issue, json!({ "id": bob })).await["issueClientToken"]["token"].as_str().unwrap().to_owned();
        let read = |alias: &str| format!("query($id: ID!) {{ {alias}: node(id: $id) {{ ... on Client {{ name }} }} }}");
        assert_eq!(app.data(&read("operator"), json!({ "id": ann })).await["operator"]["name"], "Ann");

        // Act: Bob's token asks for Ann's client by id.
        let hits = app.state.metrics.load_cache.hits.get();
        let body = json!({ "query": read("bob"), "variables": { "id": ann } });
        let resp = app.http.post(app.url("/graphql")).bearer_auth(&token).json(&body).send().await.unwrap();
        let seen: Value = resp.json().await.unwrap();

        // Assert: answered from the cache, and as if it did not exist.
        assert_eq!(app.state.metrics.load_cache.hits.get() - hits, 1, "the row came from the cache");
        assert_eq!(seen, json!({ "data": { "bob": null } }));
    })
    .await;
}

#[tokio::test]
async fn the_load_cache_can_be_turned_off_and_its_metrics_are_exported() {
    let app = crate::helpers::spawn_app_with(|s| {
        load_cache_only(s);
        s.load_cache_rows = 0;
    })
    .await;
    app.store.seed_demo(2).await.unwrap();
    assert!(app.state.load_cache.is_none());
    let (_, cold) = counted(&app, "a").await;
    let (_, again) = counted(&app, "b").await;
    assert_eq!((cold, again), (2, 2), "the page and the WABAs each time, no generation read");

    let on = crate::helpers::spawn_app_with(load_cache_only).await;
    on.store.seed_demo(2).await.unwrap();
    counted(&on, "a").await;
    counted(&on, "b").await;
    let text = on.http.get(on.url("/metrics")).send().await.unwrap().text().await.unwrap();
    // The page (two rows) and the two clients' WABA lists (one row each).
    for line in ["bspgraph_load_cache_hits_total 3", "bspgraph_load_cache_misses_total 3", "bspgraph_load_cache_rows 4"]
    {
        assert!(text.lines().any(|l| l == line), "{line} missing from:\n{text}");
    }
}
