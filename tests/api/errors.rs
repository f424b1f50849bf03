//! Internal errors are masked: the client gets a code and a request id, never SQL,
//! table names or stored values; the server log has the detail under that id.

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::{create_client, each_backend, error_codes};

#[tokio::test]
async fn a_corrupt_row_gives_a_masked_internal_error_with_a_request_id() {
    each_backend(|app| async move {
        let client = create_client(&app, "Corrupt", None).await;
        // A row no code path can write: a status outside the enum.
        let raw_id = bspgraph::domain::GlobalId::decode(&client).unwrap().id;
        app.db()
            .await
            .execute_unprepared(&format!(
                "INSERT INTO invitations (client_id, provider, status, flow, created_at, updated_at)
             VALUES ({raw_id}, 'ZAVU', 'SECRET_BOGUS_STATUS', 'HOSTED_LINK', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ))
            .await
            .unwrap();

        let resp = app
            .http
            .post(app.url("/graphql"))
            .header("x-request-id", "req-masked-1")
            .json(&json!({ "query": "{ invitations { edges { node { id status } } } }" }))
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(error_codes(&body), ["INTERNAL"]);
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["requestId"], "req-masked-1");
        assert_eq!(error["message"], "internal error (request id req-masked-1)");
        let text = error.to_string();
        for leak in ["SECRET_BOGUS_STATUS", "SELECT", "corrupt", ".rs", "sqlite", "postgres"] {
            assert!(!text.contains(leak), "{leak} leaked in {text}");
        }
    })
    .await;
}
