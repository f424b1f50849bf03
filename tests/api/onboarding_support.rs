//! Shared GraphQL operations and readers for the onboarding tests.

use serde_json::{json, Value};

use crate::helpers::TestApp;

pub const INV: &str = "id provider providerId flow status url expiresAt failureReason \
    client { id externalId } project { id providerId hasCredentials } \
    sender { id providerId phoneNumberId status } waba { wabaId }";

/// `startOnboarding`; returns the whole payload.
pub async fn start(app: &TestApp, input: Value) -> Value {
    let q = format!(
        "mutation($input: StartOnboardingInput!) {{ startOnboarding(input: $input) {{ invitation {{ {INV} }} userErrors {{ field code message }} warnings {{ field code message }} }} }}"
    );
    app.data(&q, json!({ "input": input })).await["startOnboarding"].clone()
}

/// A mutation over one invitation id (`cancelInvitation`, `renewInvitation`).
pub async fn on_invitation(app: &TestApp, mutation: &str, id: &str) -> Value {
    let q = format!(
        "mutation($id: ID!) {{ {mutation}(id: $id) {{ invitation {{ {INV} }} userErrors {{ field code message }} warnings {{ field code message }} }} }}"
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

/// `sandboxSimulate`, then learn the result as a partner whose webhooks may not arrive
/// would: `refresh` (Zavu, Sinch: the provider's read API), or for SendZen relaying
/// the iframe's result (`customerSees`) with `completeOnboarding`. Returns that
/// mutation's payload as `{ invitation, userErrors }`, or `sandboxSimulate`'s when it
/// was refused or SendZen showed nothing.
pub async fn simulate(app: &TestApp, id: &str, action: &str) -> Value {
    let played = sandbox_simulate(app, id, action).await;
    if !played["userErrors"].as_array().unwrap().is_empty() {
        return played;
    }
    let seen = &played["customerSees"];
    match played["invitation"]["provider"].as_str() {
        Some("SENDZEN") if seen.is_object() => {
            let status = if seen["status"] == "completed" { "COMPLETED" } else { "FAILED" };
            complete(
                app,
                json!({ "invitationId": id, "status": status, "wabaId": seen["waba_id"],
                "phoneNumberId": seen["phone_number_id"], "message": seen["message"] }),
            )
            .await
        }
        Some("SENDZEN") => played,
        _ => {
            let q = format!(
                "mutation($id: ID!) {{ refresh(id: $id) {{ node {{ ... on Invitation {{ {INV} }} }} userErrors {{ field code message }} }} }}"
            );
            let data = app.data(&q, json!({ "id": id })).await;
            json!({ "invitation": data["refresh"]["node"], "userErrors": data["refresh"]["userErrors"] })
        }
    }
}

/// `sandboxSimulate` alone: the control API's answer and the invitation as stored.
pub async fn sandbox_simulate(app: &TestApp, id: &str, action: &str) -> Value {
    let q = format!(
        "mutation($id: ID!, $a: SandboxAction!) {{ sandboxSimulate(invitationId: $id, action: $a) {{ invitation {{ {INV} }} providerState customerSees userErrors {{ field code message }} }} }}"
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
