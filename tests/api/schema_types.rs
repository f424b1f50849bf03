//! The shape frontends code against: closed sets are enums (a bad value is refused before
//! anything runs), a cursor works only in the list that issued it, and every connection
//! has a `nodes` shortcut.

use serde_json::{json, Value};

use crate::helpers::{create_client, error_codes, spawn_app, spawn_app_with, without_webhooks, TestApp};
use crate::onboarding_support::{simulate, start};

/// The named type of a field or input field, through any list and non-null wrappers.
async fn field_type(app: &TestApp, type_name: &str, field: &str) -> String {
    let q = "query($t: String!) { __type(name: $t) {
        fields { name type { name ofType { name ofType { name ofType { name } } } } }
        inputFields { name type { name ofType { name ofType { name ofType { name } } } } } } }";
    let data = app.data(q, json!({ "t": type_name })).await;
    let t = &data["__type"];
    let all = [&t["fields"], &t["inputFields"]].into_iter().filter_map(Value::as_array).flatten();
    let found = all.into_iter().find(|f| f["name"] == field).unwrap_or_else(|| panic!("{type_name}.{field}"));
    let mut ty = &found["type"];
    while ty["name"].is_null() {
        ty = &ty["ofType"];
    }
    ty["name"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn closed_sets_are_enums_in_the_schema() {
    let app = spawn_app().await;

    let mut seen = Vec::new();
    for (t, f) in [
        ("StatusEvent", "status"),
        ("StatusEvent", "previousStatus"),
        ("ProviderInfo", "capabilities"),
        ("CompleteOnboardingInput", "status"),
        ("SinchOnboardingInput", "region"),
        ("SinchOnboardingInput", "phoneNumberProvider"),
        ("RefreshPayload", "node"),
    ] {
        seen.push(field_type(&app, t, f).await);
    }

    let expected = [
        "EntityStatus",
        "EntityStatus",
        "Capability",
        "OnboardingOutcome",
        "SinchRegion",
        "PhoneNumberProvider",
        "Node",
    ];
    assert_eq!(seen, expected);
    let providers = app.data("{ providers { provider capabilities } }", json!({})).await;
    let zavu = providers["providers"].as_array().unwrap().iter().find(|p| p["provider"] == "ZAVU").unwrap();
    assert!(zavu["capabilities"].as_array().unwrap().contains(&json!("CANCEL_INVITATION")), "{providers}");
}

#[tokio::test]
async fn a_value_outside_a_closed_set_is_refused_before_any_provider_call() {
    let app = spawn_app_with(without_webhooks).await;
    let sinch = app.sandbox.clone().unwrap().sinch;
    let q = "mutation($input: StartOnboardingInput!) { startOnboarding(input: $input) { invitation { id } } }";

    let region = json!({ "provider": "SINCH", "client": { "name": "R" }, "sinch": { "region": "eu" } });
    let bad_region = app.gql(q, json!({ "input": region })).await;
    let supplier = json!({ "provider": "SINCH", "client": { "name": "S" },
        "sinch": { "region": "EU", "flow": "ON_BEHALF_OF", "phoneNumberProvider": "ME" } });
    let bad_supplier = app.gql(q, json!({ "input": supplier })).await;
    let complete = "mutation { completeOnboarding(input: { invitationId: \"x\", status: \"completed\" }) { userErrors { code } } }";
    let bad_outcome = app.gql(complete, json!({})).await;

    for (body, name) in
        [(&bad_region, "region"), (&bad_supplier, "phoneNumberProvider"), (&bad_outcome, "OnboardingOutcome")]
    {
        assert_eq!(error_codes(body), ["GRAPHQL_VALIDATION_FAILED"], "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(name), "{body}");
        assert!(body["data"].is_null(), "nothing ran: {body}");
    }
    let creates = sinch.core.requests().into_iter().filter(|r| r.method == "POST" && r.path.contains("subproject"));
    assert_eq!(creates.count(), 0, "no onboarding reached Sinch");
    let clients = app.data("{ clients { totalCount } }", json!({})).await;
    assert_eq!(clients["clients"]["totalCount"], 0);
}

#[tokio::test]
async fn event_statuses_are_typed_values() {
    let app = spawn_app().await;
    let started = start(&app, json!({ "provider": "ZAVU", "client": { "name": "Typed" } })).await;
    simulate(&app, started["invitation"]["id"].as_str().unwrap(), "COMPLETE").await;

    let q = "{ events(first: 10, filter: { provider: ZAVU }) { nodes { previousStatus status node { __typename } } } }";
    let data = app.data(q, json!({})).await;

    let invitation_events: Vec<&Value> = data["events"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["__typename"] == "Invitation")
        .collect();
    assert_eq!(invitation_events[0]["previousStatus"], Value::Null, "{data}");
    assert_eq!(invitation_events[0]["status"], "PENDING");
    assert_eq!(invitation_events.last().unwrap()["status"], "COMPLETED", "{data}");
}

const LISTS: &str = "{
  clients(first: 1) { pageInfo { endCursor } nodes { id } edges { cursor node { id } } }
  invitations(first: 1) { pageInfo { endCursor } }
  events(first: 1) { pageInfo { endCursor } nodes { cursor } edges { cursor } }
  nested: clients(first: 1) { nodes { invitations(first: 1) { pageInfo { endCursor } } } }
}";

/// `list(after: cursor)`: its error codes (empty when the cursor was accepted).
async fn after(app: &TestApp, list: &str, cursor: &Value) -> Vec<String> {
    let q = format!("query($after: String) {{ {list}(first: 1, after: $after) {{ pageInfo {{ hasNextPage }} }} }}");
    error_codes(&app.gql(&q, json!({ "after": cursor })).await)
}

#[tokio::test]
async fn a_cursor_works_only_in_the_list_that_issued_it() {
    let app = spawn_app().await;
    create_client(&app, "First", None).await;
    start(&app, json!({ "provider": "ZAVU", "client": { "name": "Second" } })).await;
    let lists = app.data(LISTS, json!({})).await;
    let clients = &lists["clients"]["pageInfo"]["endCursor"];
    let invitations = &lists["invitations"]["pageInfo"]["endCursor"];
    let events = &lists["events"]["pageInfo"]["endCursor"];
    let nested = &lists["nested"]["nodes"][0]["invitations"]["pageInfo"]["endCursor"];

    let bad = ["BAD_CURSOR"];
    assert_eq!(after(&app, "invitations", clients).await, bad, "a clients cursor in invitations");
    assert_eq!(after(&app, "clients", events).await, bad, "an events cursor in clients");
    assert_eq!(after(&app, "events", invitations).await, bad, "an invitations cursor in events");
    assert_eq!(after(&app, "senders", clients).await, bad, "a clients cursor in senders");
    for (list, cursor) in [("clients", clients), ("invitations", invitations), ("events", events)] {
        assert_eq!(after(&app, list, cursor).await, Vec::<String>::new(), "{list} takes its own cursor");
    }
    assert_eq!(after(&app, "invitations", nested).await, Vec::<String>::new(), "nested and top-level lists agree");
    assert_eq!(lists["events"]["nodes"][0]["cursor"], lists["events"]["edges"][0]["cursor"], "{lists}");
}

#[tokio::test]
async fn connections_list_their_nodes_beside_their_edges() {
    let app = spawn_app().await;
    for name in ["A", "B", "C"] {
        create_client(&app, name, None).await;
    }

    let data = app.data("{ clients(first: 2) { nodes { id name } edges { node { id name } } } }", json!({})).await;

    let nodes = data["clients"]["nodes"].as_array().unwrap();
    let edges: Vec<&Value> = data["clients"]["edges"].as_array().unwrap().iter().map(|e| &e["node"]).collect();
    assert_eq!(nodes.len(), 2, "{data}");
    assert_eq!(nodes.iter().collect::<Vec<_>>(), edges);
    assert_eq!(nodes[0]["name"], "A");
}
