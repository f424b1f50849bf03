//! Multiplexed subscriptions: identical `statusChanged` operations of one scope share
//! one execution per event; scopes never share; a member resuming from a cursor, or
//! falling behind, receives exactly the events it missed; a stalled member holds
//! nobody back.

use secrecy::ExposeSecret;
use serde_json::{json, Value};

use bspgraph::domain::{decode_cursor, CursorKind};

use crate::helpers::{spawn_live, TestApp};
use crate::ws_support::{Ws, STATUS_QUERY};

const WITH_NODE: &str = "subscription($after: String) { \
    statusChanged(after: $after) { cursor status node { ... on Invitation { id } } } }";

fn seq(event: &Value) -> i64 {
    decode_cursor(event["cursor"].as_str().expect("a cursor"), CursorKind::Events).expect("an event cursor")
}

/// A client token for the client owning invitation row `row`.
async fn token_for(app: &TestApp, row: i64) -> String {
    let owner = app.state.store.invitations_by_ids(&[row]).await.unwrap()[0].client_id;
    let expires = chrono::Utc::now() + chrono::Duration::seconds(300);
    app.state.gate.authenticator.signer().issue(owner, expires).expose_secret().to_owned()
}

#[tokio::test]
async fn one_scope_shares_one_execution_and_another_scope_never_sees_it() {
    // Arrange: two sockets of client A, one of client B, the same document and variables.
    let app = spawn_live(|_| {}).await;
    let (a_row, a_zavu, a_gid) = app.tracked_invitation().await;
    let (b_row, b_zavu, b_gid) = app.tracked_invitation().await;
    let (a_token, b_token) = (token_for(&app, a_row).await, token_for(&app, b_row).await);
    let mut a1 = Ws::ready_as(&app.ws_url(), Some(&a_token)).await;
    let mut a2 = Ws::ready_as(&app.ws_url(), Some(&a_token)).await;
    let mut b = Ws::ready_as(&app.ws_url(), Some(&b_token)).await;
    for ws in [&mut a1, &mut a2, &mut b] {
        ws.subscribe("1", WITH_NODE, json!({})).await;
    }
    app.until_members(3).await;

    // Act: B's invitation changes, then A's.
    app.zavu_webhook("evt_mb", &b_zavu, "in_progress", true).await;
    app.zavu_webhook("evt_ma", &a_zavu, "in_progress", true).await;

    // Assert: one execution per scope; each socket's first event is its own client's.
    assert_eq!(app.state.hubs.running(), 2);
    for ws in [&mut a1, &mut a2] {
        assert_eq!(ws.next_status().await["node"]["id"], a_gid.as_str());
    }
    assert_eq!(b.next_status().await["node"]["id"], b_gid.as_str());
}

#[tokio::test]
async fn a_member_resuming_from_a_cursor_gets_exactly_what_it_missed_then_the_shared_stream() {
    // Arrange: a live member sees three changes.
    let app = spawn_live(|_| {}).await;
    let (_, zavu_id, _) = app.tracked_invitation().await;
    let mut first = Ws::ready(&app.ws_url()).await;
    first.subscribe("1", STATUS_QUERY, json!({ "after": app.cursor_now().await })).await;
    app.until_members(1).await;
    let mut seen = Vec::new();
    for (i, status) in ["in_progress", "pending", "in_progress"].iter().enumerate() {
        app.zavu_webhook(&format!("evt_x{i}"), &zavu_id, status, true).await;
        seen.push(first.next_status().await);
    }

    // Act: a second socket resumes after the first of them, then one more change.
    let mut second = Ws::ready(&app.ws_url()).await;
    second.subscribe("7", STATUS_QUERY, json!({ "after": seen[0]["cursor"] })).await;
    let replayed = [second.next_status().await, second.next_status().await];
    app.until_members(2).await;
    app.zavu_webhook("evt_x3", &zavu_id, "completed", true).await;
    let live = [first.next_status().await, second.next_status().await];

    // Assert: the two missed events in order, then the live one, each once; one execution.
    assert_eq!([seq(&replayed[0]), seq(&replayed[1])], [seq(&seen[1]), seq(&seen[2])]);
    assert_eq!(seq(&live[0]), seq(&live[1]));
    assert_eq!(live[1]["status"], "COMPLETED");
    assert_eq!(app.state.hubs.running(), 1);
}

#[tokio::test]
async fn a_stalled_member_delays_nobody_and_then_receives_every_event_once_in_order() {
    // Arrange: a member whose socket is never read while the changes happen, and one
    // that reads; both share one execution, which keeps only 8 results for members that
    // are behind. Each result is about 40 KB (1,500 aliases), so the stalled socket's
    // kernel buffers (a few MB on loopback) fill within the first hundred or so.
    let app = spawn_live(|s| s.live.ws_shared_buffer = 8).await;
    let (_, zavu_id, _) = app.tracked_invitation().await;
    let after = app.cursor_now().await;
    let aliases: Vec<String> = (0..1500).map(|i| format!("c{i}: cursor")).collect();
    let heavy =
        format!("subscription($after: String) {{ statusChanged(after: $after) {{ cursor {} }} }}", aliases.join(" "));
    let mut stalled = Ws::ready_narrow(&app.ws_url()).await;
    stalled.subscribe("s", &heavy, json!({ "after": after })).await;
    let mut reader = Ws::ready(&app.ws_url()).await;
    reader.subscribe("r", &heavy, json!({ "after": after })).await;
    app.until_members(2).await;

    // Act: more changes than the stalled member's socket, queue and hub buffer hold; the
    // reader receives each before the next is sent.
    const CHANGES: usize = 300;
    let mut read = Vec::with_capacity(CHANGES);
    for i in 0..CHANGES {
        let status = if i % 2 == 0 { "in_progress" } else { "pending" };
        assert_eq!(app.zavu_webhook(&format!("evt_st{i}"), &zavu_id, status, true).await, 200);
        read.push(seq(&reader.next_status().await));
    }
    let mut late = Vec::with_capacity(CHANGES);
    for _ in 0..CHANGES {
        late.push(seq(&stalled.next_status().await));
    }

    // Assert: the stalled member got the same events, each once, in log order.
    assert!(read.windows(2).all(|w| w[0] < w[1]), "reader out of order");
    assert_eq!(late, read);
    assert_eq!(app.state.hubs.running(), 1);
}
