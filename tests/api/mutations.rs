//! createClient / updateClient: stored rows and userErrors with stable codes.

use serde_json::{json, Value};

use crate::helpers::{create_client, each_backend};

const CREATE: &str = "mutation($input: ClientInput!) {
  createClient(input: $input) { client { id name email phone externalId labels } userErrors { field message code } }
}";
const UPDATE: &str = "mutation($id: ID!, $input: ClientInput!) {
  updateClient(id: $id, input: $input) { client { id name phone externalId } userErrors { field code } }
}";

fn codes(payload: &Value) -> Vec<(String, String)> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"][1].as_str().unwrap_or("").to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn a_valid_client_is_stored_normalized() {
    each_backend(|app| async move {
        let input = json!({ "name": "  Acme  ", "email": "ops@ACME.io", "phone": "+14155550123", "externalId": "acme-1", "labels": { "tier": "gold" } });
        let data = app.data(CREATE, json!({ "input": input })).await;
        let client = &data["createClient"]["client"];
        assert_eq!(data["createClient"]["userErrors"], json!([]));
        assert_eq!(client["name"], "Acme");
        assert_eq!(client["email"], "ops@acme.io");
        assert_eq!(client["labels"], json!({ "tier": "gold" }));
        let stored = app.store.client_by_external_id("acme-1").await.unwrap().expect("row stored");
        assert_eq!(stored.phone.as_deref(), Some("+14155550123"));
    })
    .await;
}

#[tokio::test]
async fn invalid_input_is_refused_field_by_field_and_nothing_is_stored() {
    let app = crate::helpers::spawn_app().await;
    let input = json!({ "name": "", "email": "not-an-email", "phone": "0044 1234", "labels": [1, 2] });
    let data = app.data(CREATE, json!({ "input": input })).await;
    assert_eq!(data["createClient"]["client"], Value::Null);
    assert_eq!(
        codes(&data["createClient"]),
        [
            ("name".into(), "INVALID_NAME".into()),
            ("email".into(), "INVALID_EMAIL".into()),
            ("phone".into(), "INVALID_PHONE".into()),
            ("labels".into(), "INVALID_LABELS".into()),
        ]
    );
    assert_eq!(data["createClient"]["userErrors"][0]["field"], json!(["input", "name"]));
    let total = app.data("{ clients { totalCount } }", json!({})).await;
    assert_eq!(total["clients"]["totalCount"], 0);
}

#[tokio::test]
async fn a_duplicate_external_id_is_a_user_error_not_a_500() {
    each_backend(|app| async move {
        create_client(&app, "First", Some("dup")).await;
        let data = app.data(CREATE, json!({ "input": { "name": "Second", "externalId": "dup" } })).await;
        assert_eq!(codes(&data["createClient"]), [("externalId".into(), "DUPLICATE_EXTERNAL_ID".into())]);
        // Updating another client onto a taken externalId is refused the same way.
        let other = create_client(&app, "Other", Some("other")).await;
        let data = app.data(UPDATE, json!({ "id": other, "input": { "name": "Other", "externalId": "dup" } })).await;
        assert_eq!(codes(&data["updateClient"]), [("externalId".into(), "DUPLICATE_EXTERNAL_ID".into())]);
    })
    .await;
}

#[tokio::test]
async fn update_replaces_fields_and_reports_unknown_clients() {
    each_backend(|app| async move {
        let id = create_client(&app, "Before", Some("upd")).await;
        let data = app
            .data(
                UPDATE,
                json!({ "id": id, "input": { "name": "After", "phone": "+442071234567", "externalId": "upd" } }),
            )
            .await;
        assert_eq!(data["updateClient"]["client"]["name"], "After");
        assert_eq!(data["updateClient"]["client"]["phone"], "+442071234567");
        let stored = app.store.client_by_external_id("upd").await.unwrap().unwrap();
        assert_eq!(stored.name, "After");
        assert!(stored.updated_at >= stored.created_at);

        let data = app.data(UPDATE, json!({ "id": "Q2xpZW50Ojk5OTk", "input": { "name": "Ghost" } })).await;
        assert_eq!(data["updateClient"]["userErrors"][0]["code"], "CLIENT_NOT_FOUND");
        let data = app.data(UPDATE, json!({ "id": id, "input": { "name": "x", "phone": "123" } })).await;
        assert_eq!(codes(&data["updateClient"]), [("phone".into(), "INVALID_PHONE".into())]);
    })
    .await;
}
