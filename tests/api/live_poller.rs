//! The reconciliation poller catches what webhooks miss.

use bspgraph_sandbox::SimAction;
use serde_json::json;

use crate::helpers::spawn_live;
use crate::ws_support::{Ws, STATUS_QUERY};

#[tokio::test]
async fn a_dropped_zavu_completed_webhook_is_picked_up_by_the_poller() {
    // Arrange
    let app = spawn_live(|s| s.live.poll_interval_secs = 0.2).await;
    let (_, zavu_id, gid) = app.tracked_invitation().await;
    let mut ws = Ws::ready(&app.ws_url()).await;
    ws.subscribe("1", STATUS_QUERY, json!({ "filter": { "nodeId": gid } })).await;
    let sandbox = app.state.sandbox.clone().unwrap();

    sandbox.simulate(bspgraph_sandbox::SimProvider::Zavu, &zavu_id, SimAction::Start).unwrap();
    assert_eq!(ws.next_status().await["status"], "IN_PROGRESS");

    // Act: the customer completes, and Zavu's webhook is lost.
    sandbox.zavu.core.webhooks.drop_next(1);
    sandbox.simulate(bspgraph_sandbox::SimProvider::Zavu, &zavu_id, SimAction::Complete).unwrap();
    let event = ws.next_status().await;

    // Assert
    assert_eq!(event["status"], "COMPLETED");
    assert_eq!(event["source"], "POLL");
    let completed: Vec<_> =
        sandbox.zavu.core.webhooks.deliveries().into_iter().filter(|d| d.body.contains("\"completed\"")).collect();
    assert!(!completed.is_empty() && completed.iter().all(|d| d.dropped));
}

#[tokio::test]
async fn a_silent_zavu_expiry_is_picked_up_by_the_poller() {
    // Arrange
    let app = spawn_live(|s| s.live.poll_interval_secs = 0.2).await;
    let (_, zavu_id, gid) = app.tracked_invitation().await;
    let mut ws = Ws::ready(&app.ws_url()).await;
    ws.subscribe("1", STATUS_QUERY, json!({ "filter": { "nodeId": gid } })).await;
    let sandbox = app.state.sandbox.clone().unwrap();

    // Act: the link expires; Zavu sends nothing.
    sandbox.simulate(bspgraph_sandbox::SimProvider::Zavu, &zavu_id, SimAction::Expire).unwrap();
    let event = ws.next_status().await;

    // Assert
    assert_eq!((event["status"].as_str(), event["source"].as_str()), (Some("EXPIRED"), Some("POLL")));
}

#[tokio::test]
async fn terminal_rows_are_not_polled() {
    // Arrange: one open and one completed invitation.
    let app = spawn_live(|_| {}).await;
    let client = app.client().await;
    let open_id = app.zavu_invitation().await;
    let open = app.register_invitation(client, &open_id, "PENDING").await;
    let done_id = app.zavu_invitation().await;
    app.register_invitation(client, &done_id, "COMPLETED").await;

    // Act
    let polled = app.state.poller.round().await.unwrap();

    // Assert
    assert_eq!(polled, 1);
    assert_eq!(app.state.poller.last_round(), vec![(bspgraph::store::NodeTable::Invitations, open)]);
}
