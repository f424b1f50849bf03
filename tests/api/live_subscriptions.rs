//! Resumable subscriptions: reconnect with `after`, bad cursors (slow consumers: see
//! `live_multiplex`).

use serde_json::json;

use bspgraph::domain::CursorKind;

use crate::helpers::spawn_live;
use crate::ws_support::{Ws, STATUS_QUERY};

const EVENTS: CursorKind = CursorKind::Events;

#[tokio::test]
async fn reconnecting_with_after_receives_exactly_the_missed_events_in_order() {
    // Arrange: a subscriber sees the first change, then disconnects.
    let app = spawn_live(|_| {}).await;
    let mut invitations = Vec::new();
    for _ in 0..3 {
        invitations.push(app.tracked_invitation().await);
    }
    let mut ws = Ws::ready(&app.ws_url()).await;
    // From the log position of now: every later event arrives, however soon it happens.
    let after = app.cursor_now().await;
    ws.subscribe("1", STATUS_QUERY, json!({ "after": after })).await;
    app.zavu_webhook("evt_r0", &invitations[0].1, "in_progress", true).await;
    let seen = ws.next_status().await;
    drop(ws);

    // Act: three changes while away, then reconnect after the last cursor seen.
    for (i, (_, zavu_id, _)) in invitations.iter().enumerate() {
        let status = if i == 0 { "completed" } else { "in_progress" };
        assert_eq!(app.zavu_webhook(&format!("evt_r{}", i + 1), zavu_id, status, true).await, 200);
    }
    let seen_seq =
        bspgraph::domain::decode_cursor(seen["cursor"].as_str().unwrap(), bspgraph::domain::CursorKind::Events)
            .unwrap();
    app.until_event(seen_seq + 3).await; // all three stored while nobody listened
    let mut ws = Ws::ready(&app.ws_url()).await;
    ws.subscribe("2", STATUS_QUERY, json!({ "after": seen["cursor"] })).await;
    let missed = [ws.next_status().await, ws.next_status().await, ws.next_status().await];
    app.zavu_webhook("evt_r9", &invitations[1].1, "completed", true).await;
    let live = ws.next_status().await;

    // Assert: the three missed ones in log order, no duplicate of the first, then live.
    let cursors: Vec<&str> = missed.iter().map(|e| e["cursor"].as_str().unwrap()).collect();
    let seqs: Vec<i64> = cursors.iter().map(|c| bspgraph::domain::decode_cursor(c, EVENTS).unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert!(seqs[0] > bspgraph::domain::decode_cursor(seen["cursor"].as_str().unwrap(), EVENTS).unwrap());
    // Deliveries are processed in the background, so their commit order may differ from the send order.
    let mut statuses: Vec<&str> = missed.iter().map(|e| e["status"].as_str().unwrap()).collect();
    statuses.sort();
    assert_eq!(statuses, ["COMPLETED", "IN_PROGRESS", "IN_PROGRESS"]);
    assert_eq!(live["status"], "COMPLETED");
    assert!(bspgraph::domain::decode_cursor(live["cursor"].as_str().unwrap(), EVENTS).unwrap() > seqs[2]);
}

#[tokio::test]
async fn a_forged_unknown_or_other_list_cursor_is_a_bad_cursor_error() {
    let app = spawn_live(|_| {}).await;
    let mut ws = Ws::ready(&app.ws_url()).await;

    ws.subscribe("1", STATUS_QUERY, json!({ "after": "not-a-cursor" })).await;
    let forged = ws.recv().await;
    ws.subscribe("2", STATUS_QUERY, json!({ "after": bspgraph::domain::encode_cursor(EVENTS, 999) })).await;
    let beyond = ws.recv().await;
    let clients_cursor = bspgraph::domain::encode_cursor(CursorKind::Clients, 1);
    ws.subscribe("3", STATUS_QUERY, json!({ "after": clients_cursor })).await;
    let other_list = ws.recv().await;

    for msg in [forged, beyond, other_list] {
        assert_eq!(msg["type"], "error", "{msg}");
        assert_eq!(msg["payload"][0]["extensions"]["code"], "BAD_CURSOR", "{msg}");
    }
}
