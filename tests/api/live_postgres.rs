//! Several instances on one PostgreSQL database (skipped without `TEST_DATABASE_URL`):
//! NOTIFY carries events across instances, a lost listener recovers from the log, and
//! poll leases split the rows.

use std::collections::HashSet;

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::{postgres_for, spawn_live_on, TestApp};
use crate::ws_support::{Ws, STATUS_QUERY};

async fn two_instances(test: &str) -> Option<(TestApp, TestApp)> {
    let url = postgres_for(test).await?;
    let a = spawn_live_on(&url, |_| {}).await;
    let b = spawn_live_on(&url, |_| {}).await;
    Some((a, b))
}

#[tokio::test]
async fn a_subscriber_on_one_instance_gets_a_change_from_a_webhook_sent_to_another() {
    // Arrange
    let Some((a, b)) = two_instances("the cross-instance delivery test").await else { return };
    let client = a.client().await;
    let row = a.register_invitation(client, "inv_pg_cross", "PENDING").await;
    let gid = bspgraph::domain::GlobalId::new(bspgraph::domain::NodeType::Invitation, row).encode();
    let mut ws = Ws::ready(&a.ws_url()).await;
    // From the log position of now: every later event arrives, however soon it happens.
    let after = a.cursor_now().await;
    ws.subscribe("1", STATUS_QUERY, json!({ "filter": { "nodeId": gid }, "after": after })).await;

    // Act
    let status = b.zavu_webhook("evt_pg_cross", "inv_pg_cross", "in_progress", true).await;

    // Assert
    assert_eq!(status, 200);
    assert_eq!(ws.next_status().await["status"], "IN_PROGRESS");
}

#[tokio::test]
async fn no_event_is_lost_when_the_listener_connection_is_cut_and_restored() {
    // Arrange
    let Some((a, b)) = two_instances("the listener reconnect test").await else { return };
    let client = a.client().await;
    let ids: Vec<String> = (0..5).map(|i| format!("inv_pg_cut_{i}")).collect();
    for id in &ids {
        a.register_invitation(client, id, "PENDING").await;
    }
    let mut ws = Ws::ready(&a.ws_url()).await;
    // From the log position of now: every later event arrives, however soon it happens.
    let after = a.cursor_now().await;
    ws.subscribe("1", STATUS_QUERY, json!({ "after": after })).await;

    // Act: cut every LISTEN connection, and change rows through B meanwhile.
    let cut = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
               WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()";
    a.db().await.execute_unprepared(cut).await.unwrap();
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(b.zavu_webhook(&format!("evt_pg_cut_{i}"), id, "in_progress", true).await, 200);
    }

    // Assert: all five, in order, once.
    let mut seqs = Vec::new();
    for _ in 0..5 {
        let e = ws.next_status().await;
        seqs.push(
            bspgraph::domain::decode_cursor(e["cursor"].as_str().unwrap(), bspgraph::domain::CursorKind::Events)
                .unwrap(),
        );
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(seqs.len(), 5);
}

#[tokio::test]
async fn each_non_terminal_row_is_polled_by_exactly_one_instance_per_round() {
    // Arrange: 30 open invitations.
    let Some((a, b)) = two_instances("the poll lease test").await else { return };
    let client = a.client().await;
    let mut rows = HashSet::new();
    for i in 0..30 {
        rows.insert(a.register_invitation(client, &format!("inv_pg_lease_{i}"), "PENDING").await);
    }

    // Act: one round on each instance at the same time.
    let (ra, rb) = tokio::join!(a.state.poller.round(), b.state.poller.round());
    ra.unwrap();
    rb.unwrap();

    // Assert
    let on_a: HashSet<i64> = a.state.poller.last_round().into_iter().map(|(_, id)| id).collect();
    let on_b: HashSet<i64> = b.state.poller.last_round().into_iter().map(|(_, id)| id).collect();
    assert!(on_a.is_disjoint(&on_b));
    assert_eq!(on_a.union(&on_b).copied().collect::<HashSet<_>>(), rows);
}

#[tokio::test]
async fn a_write_on_one_instance_is_read_back_on_another_at_once_with_the_response_cache_on() {
    // Arrange: B has the page cached.
    let Some((a, b)) = two_instances("the cross-instance response cache test").await else { return };
    assert!(b.state.response_cache.is_some(), "the cache is on by default");
    let client = a.client().await;
    let names = "{ clients(first: 10) { edges { node { name } } } }";
    let first = b.gql(names, json!({})).await;
    assert_eq!(b.gql(names, json!({})).await, first);
    assert_eq!(b.state.metrics.response_cache.hits.get(), 1, "served from B's cache");

    // Act: A renames the client through its API.
    let id = bspgraph::domain::GlobalId::new(bspgraph::domain::NodeType::Client, client).encode();
    let rename = "mutation($id: ID!) { updateClient(id: $id, input: { name: \"Renamed on A\" }) { client { name } } }";
    let body = a.gql(rename, json!({ "id": id })).await;
    assert_eq!(body["data"]["updateClient"]["client"]["name"], "Renamed on A", "{body}");

    // Assert: B's very next read shows it.
    assert_eq!(first["data"]["clients"]["edges"][0]["node"]["name"], "Live");
    assert_eq!(b.gql(names, json!({})).await["data"]["clients"]["edges"][0]["node"]["name"], "Renamed on A");
}

#[tokio::test]
async fn a_write_on_one_instance_is_read_back_on_another_at_once_with_the_load_cache_on() {
    // Arrange: B has the client and its projects in its load cache (B's response cache
    // is off, and each read below is another document, so only the load cache can answer).
    let Some(url) = postgres_for("the cross-instance load cache test").await else { return };
    let a = spawn_live_on(&url, |_| {}).await;
    let b = spawn_live_on(&url, |s| s.response_cache_bytes = 0).await;
    assert!(b.state.load_cache.is_some(), "the load cache is on by default");
    let client = a.client().await;
    let id = bspgraph::domain::GlobalId::new(bspgraph::domain::NodeType::Client, client).encode();
    let read = |alias: &str| {
        format!("query($id: ID!) {{ {alias}: node(id: $id) {{ ... on Client {{ name projects {{ id }} }} }} }}")
    };
    let first = b.gql(&read("first"), json!({ "id": id })).await;
    assert_eq!(first["data"]["first"]["name"], "Live", "{first}");
    let hits = b.state.metrics.load_cache.hits.get();
    let again = b.gql(&read("again"), json!({ "id": id })).await;
    assert_eq!(again["data"]["again"], first["data"]["first"]);
    assert_eq!(b.state.metrics.load_cache.hits.get() - hits, 2, "the client and its projects, from B's load cache");

    // Act: A renames the client through its API.
    let rename = "mutation($id: ID!) { updateClient(id: $id, input: { name: \"Renamed on A\" }) { client { name } } }";
    let body = a.gql(rename, json!({ "id": id })).await;
    assert_eq!(body["data"]["updateClient"]["client"]["name"], "Renamed on A", "{body}");

    // Assert: B's very next read shows it.
    assert_eq!(b.gql(&read("after"), json!({ "id": id })).await["data"]["after"]["name"], "Renamed on A");
}
