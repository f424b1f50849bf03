//! Zavu webhook signing for tests: the published sandbox secret, an operator's own
//! secret for production tests, and deliveries signed as Zavu signs them.

use serde_json::json;

/// Sandbox Zavu webhook secret (the simulator default, published in the source).
pub const ZAVU_SECRET: &str = "whsec_sandbox_zavu_0123456789abcdef";
/// The Zavu webhook secret an operator configures for a LIVE Zavu in production tests.
pub const OPERATOR_ZAVU_SECRET: &str = "whsec_operator_configured_5f1e2d3c4b5a";

/// The body of a Zavu `invitation.status_changed` delivery for `invitation`.
pub fn zavu_body(event_id: &str, invitation: &str, status: &str) -> String {
    json!({
        "id": event_id, "type": "invitation.status_changed", "timestamp": chrono::Utc::now().timestamp_millis(),
        "projectId": "prj_sandbox",
        "data": { "invitationId": invitation, "previousStatus": "pending", "currentStatus": status },
    })
    .to_string()
}

/// The `X-Zavu-Signature` header for `body` signed with `secret`, timestamped now.
pub fn zavu_signature(secret: &str, body: &str) -> String {
    let t = chrono::Utc::now().timestamp().to_string();
    let sig = bspgraph::providers::signature::sign(secret.as_bytes(), &[t.as_bytes(), b".", body.as_bytes()]);
    format!("t={t},v2={}", hex::encode(sig))
}
