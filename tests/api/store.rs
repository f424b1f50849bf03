//! The store's single status-change function: row and event in one transaction.

use bspgraph::domain::{ChangeSource, InvitationStatus, NodeType};
use bspgraph::store::{EventFilter, NewStatus, PageArgs, StatusChange};
use serde_json::json;

use crate::helpers::each_backend;

fn change(node_id: i64, status: InvitationStatus) -> StatusChange {
    StatusChange {
        node_id,
        status: NewStatus::Invitation(status),
        provider_status: Some("failed".into()),
        reason: Some("customer closed the popup".into()),
        raw: Some(json!({ "status": "failed" })),
        source: ChangeSource::Webhook,
    }
}

#[tokio::test]
async fn a_status_change_updates_the_row_and_appends_one_event() {
    each_backend(|app| async move {
        app.store.seed_demo(1).await.unwrap();
        let all = PageArgs { first: 100, after: None };
        let before = app.store.events_page(&EventFilter::default(), all).await.unwrap().items;
        let pending = app.store.invitations_page(&Default::default(), all).await.unwrap().items[1].clone();
        assert_eq!(pending.status, InvitationStatus::Pending);

        let event = app
            .store
            .apply_status_change(change(pending.id, InvitationStatus::Failed))
            .await
            .unwrap()
            .expect("an event");
        assert_eq!(event.previous_value.as_deref(), Some("PENDING"));
        assert_eq!(event.new_value, "FAILED");
        assert_eq!(event.node_type, NodeType::Invitation);
        assert_eq!(event.client_id, Some(pending.client_id));
        assert!(event.seq > before.last().unwrap().seq);

        let row = &app.store.invitations_by_ids(&[pending.id]).await.unwrap()[0];
        assert_eq!(row.status, InvitationStatus::Failed);
        assert_eq!(row.failure_reason.as_deref(), Some("customer closed the popup"));
        assert_eq!(row.provider_status.as_deref(), Some("failed"));
        assert!(row.synced_at.is_some());

        // The same status again is not a change: no second event.
        assert_eq!(app.store.apply_status_change(change(pending.id, InvitationStatus::Failed)).await.unwrap(), None);
        let filter = EventFilter { node: Some((NodeType::Invitation, pending.id)), ..Default::default() };
        let events = app.store.events_page(&filter, all).await.unwrap().items;
        assert_eq!(events.iter().map(|e| e.new_value.as_str()).collect::<Vec<_>>(), ["PENDING", "FAILED"]);
    })
    .await;
}

#[tokio::test]
async fn a_change_to_a_missing_node_writes_nothing() {
    each_backend(|app| async move {
        let err = app.store.apply_status_change(change(4242, InvitationStatus::Completed)).await.unwrap_err();
        assert!(matches!(err, bspgraph::store::StoreError::NotFound(_)), "{err:?}");
        let events = app.store.events_page(&EventFilter::default(), PageArgs { first: 10, after: None }).await.unwrap();
        assert!(events.items.is_empty());
    })
    .await;
}

#[tokio::test]
async fn the_events_query_pages_through_the_log_in_order() {
    each_backend(|app| async move {
        app.store.seed_demo(2).await.unwrap(); // 4 events per client
        let q = "query($after: String, $f: EventFilter) { events(first: 3, after: $after, filter: $f) {
            pageInfo { hasNextPage endCursor } edges { cursor node { cursor provider source field status previousStatus node { __typename } } } } }";
        let first = app.data(q, json!({})).await;
        assert_eq!(first["events"]["edges"].as_array().unwrap().len(), 3);
        assert_eq!(first["events"]["edges"][0]["node"]["source"], "SANDBOX");
        assert_eq!(first["events"]["edges"][0]["node"]["node"]["__typename"], "Waba");
        let next = app.data(q, json!({ "after": first["events"]["pageInfo"]["endCursor"] })).await;
        assert_eq!(next["events"]["edges"].as_array().unwrap().len(), 3);
        let last = app.data(q, json!({ "after": next["events"]["pageInfo"]["endCursor"] })).await;
        assert_eq!(last["events"]["edges"].as_array().unwrap().len(), 2);
        assert_eq!(last["events"]["pageInfo"]["hasNextPage"], false);

        let client = app.data("{ clients(first: 1) { edges { node { id } } } }", json!({})).await;
        let id = client["clients"]["edges"][0]["node"]["id"].clone();
        let mine = app.data(q, json!({ "f": { "clientId": id } })).await;
        assert_eq!(mine["events"]["edges"].as_array().unwrap().len(), 3);
        assert_eq!(mine["events"]["pageInfo"]["hasNextPage"], true);
    })
    .await;
}

#[tokio::test]
async fn an_invitation_step_is_claimed_once_across_servers_until_released_or_its_lease_runs_out() {
    each_backend(|app| async move {
        let lease = std::time::Duration::from_secs(60);
        let racers = (0..8).map(|_| app.store.claim_step(7, lease));
        let claims: Vec<_> = futures_util::future::join_all(racers).await.into_iter().map(Result::unwrap).collect();
        let won: Vec<_> = claims.iter().flatten().collect();
        assert_eq!(won.len(), 1, "exactly one of 8 concurrent claims wins: {claims:?}");
        assert_eq!(app.store.claim_step(8, lease).await.unwrap().map(|c| c.invitation_id), Some(8), "per invitation");

        app.store.release_step(won[0]).await.unwrap();
        let again = app.store.claim_step(7, std::time::Duration::ZERO).await.unwrap().expect("free after release");

        // A holder that died (lease over) is taken over, and its late release frees nothing.
        // The zero lease ends in the millisecond it was claimed in, and a claim sees it over
        // once the clock has passed that millisecond (no other task is waited for).
        let claimed_by = chrono::Utc::now().timestamp_millis();
        crate::helpers::eventually("the clock past the zero lease", || async {
            (chrono::Utc::now().timestamp_millis() > claimed_by).then_some(())
        })
        .await;
        let taken_over = app.store.claim_step(7, lease).await.unwrap().expect("an expired lease is taken over");
        app.store.release_step(&again).await.unwrap();
        assert_eq!(app.store.claim_step(7, lease).await.unwrap(), None, "the new holder still holds it");
        app.store.release_step(&taken_over).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn concurrent_inbox_inserts_are_committed_together_each_once() {
    each_backend(|app| async move {
        // Arrange: 300 deliveries at once, 100 of them sent twice (a provider retrying).
        let ids: Vec<String> = (0..200).map(|i| format!("dlv_group_{i}")).collect();
        let sends: Vec<&String> = ids.iter().chain(ids.iter().take(100)).collect();

        // Act
        let answers = futures_util::future::join_all(sends.iter().map(|id| {
            let store = app.store.clone();
            async move {
                store.inbox_insert(bspgraph::domain::Provider::Zavu, id, format!("{{\"id\":\"{id}\"}}"), 1000).await
            }
        }))
        .await;

        // Assert: one row per delivery id, its id given to exactly one sender; the rest
        // are told "duplicate"; every row stored with its own payload.
        let stored: Vec<i64> = answers.iter().map(|a| a.as_ref().expect("stored")).filter_map(|id| *id).collect();
        assert_eq!(stored.len(), 200, "one insert per delivery id");
        assert_eq!(stored.iter().collect::<std::collections::HashSet<_>>().len(), 200);
        let rows = app.store.inbox_entries(bspgraph::domain::Provider::Zavu).await.unwrap();
        let delivered: std::collections::HashSet<_> =
            rows.iter().map(|r| r.delivery_id.clone()).filter(|d| d.starts_with("dlv_group_")).collect();
        assert_eq!(delivered.len(), 200);
        assert!(ids.iter().all(|id| delivered.contains(id)));
    })
    .await;
}
