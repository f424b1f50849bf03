//! DataLoader batching: the SQL statements a nested page costs do not grow with its size.

use serde_json::json;

use crate::helpers::{each_backend_with, without_background, TestApp};

const NESTED: &str = "query($first: Int) { clients(first: $first) { totalCount edges { node {
  id name
  projects { id name senders { id } wabas { id } }
  senders { id status waba { id wabaId } project { id } }
  wabas { id status senders { id } }
  invitations(first: 10) { totalCount edges { node { id status url client { id } project { id } sender { id phoneNumber } waba { id } } } }
} } } }";

async fn statements_for(app: &TestApp, first: i64) -> u64 {
    let before = app.store.statements();
    let data = app.data(NESTED, json!({ "first": first })).await;
    let after = app.store.statements();
    assert_eq!(data["clients"]["edges"].as_array().unwrap().len() as i64, first);
    after - before
}

#[tokio::test]
async fn a_nested_page_costs_the_same_statements_for_10_and_100_clients() {
    each_backend_with(without_background, |app| async move {
        app.store.seed_demo(100).await.unwrap();
        let ten = statements_for(&app, 10).await;
        let hundred = statements_for(&app, 100).await;
        assert_eq!(ten, hundred, "statements for 10 clients: {ten}, for 100: {hundred}");
        assert!(ten <= 15, "a nested page should take a handful of statements, took {ten}");
    })
    .await;
}
