//! Shared GraphQL operations and readers for the onboarding tests.

use serde_json::{json, Value};

use crate::helpers::TestApp;

pub const INV: &str = "id provider providerId flow status url expiresAt failureReason \
    client { id externalId } project { id providerId hasCredentials } \
    sender { id providerId phoneNumberId status } waba { wabaId }";

/// `startOnboarding`; returns the whole payload.
pub async fn start(app: &TestApp, input: Value) -> Value {
    let q = format!(
        "mutation($input: StartOnboardingInput!) {{ startOnboarding(input: $input) {{ invitation {{ {INV} }} userErrors {{ field code message }} }} }}"
    );
    app.data(&q, json!({ "input": input })).await["startOnboarding"].clone()
}

/// A mutation over one invitation id (`cancelInvitation`, `renewInvitation`).
pub async fn on_invitation(app: &TestApp, mutation: &str, id: &str) -> Value {
    let q = format!(
        "mutation($id: ID!) {{ {mutation}(id: $id) {{ invitation {{ {INV} }} userErrors {{ field code message }} }} }}"
    );
    app.data(&q, json!({ "id": id })).await[mutation].clone()
}

/// `completeOnboarding`.
pub async fn complete(app: &TestApp, input: Value) -> Value {
    let q = format!(
        "mutation($input: CompleteOnboardingInput!) {{ completeOnboarding(input: $input) {{ invitation {{ {INV} }} userErrors {{ field code message }} }} }}"
    );
    app.data(&q, json!({ "input": input })).await["completeOnboarding"].clone()
}

/// `sandboxSimulate`.
pub async fn simulate(app: &TestApp, id: &str, action: &str) -> Value {
    let q = format!(
        "mutation($id: ID!, $a: SandboxAction!) {{ sandboxSimulate(invitationId: $id, action: $a) {{ invitation {{ {INV} }} userErrors {{ field code message }} }} }}"
    );
    app.data(&q, json!({ "id": id, "a": action })).await["sandboxSimulate"].clone()
}

/// The event log as `Type:previous>status:SOURCE` lines, in order.
pub async fn events(app: &TestApp) -> Vec<String> {
    let q = "{ events(first: 100) { edges { node { source field previousStatus status node { __typename } } } } }";
    let data = app.data(q, json!({})).await;
    data["events"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            format!(
                "{}:{}>{}:{}",
                n["node"]["__typename"].as_str().unwrap(),
                n["previousStatus"].as_str().unwrap_or("-"),
                n["status"].as_str().unwrap(),
                n["source"].as_str().unwrap()
            )
        })
        .collect()
}

/// The codes of a payload's user errors.
pub fn codes(payload: &Value) -> Vec<String> {
    payload["userErrors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap().to_owned()).collect()
}
