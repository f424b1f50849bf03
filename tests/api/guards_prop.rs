//! Property: whatever nesting, fragments and aliases a document combines, each
//! request is either answered within its budget (at most `max_complexity /
//! STATEMENT_COST` SQL statements) or refused with a stable code, and the process
//! survives to answer the next one.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::guards::{deep_list, doubling_fragments};
use crate::helpers::{error_codes, TestApp};
use crate::hostile::quiet_app;

/// Codes a hostile or odd document may be refused with (`INVALID_ID`: a list shallow
/// enough to pass, whose `"x"` is no global id).
const REFUSALS: [&str; 8] = [
    "INVALID_ID",
    "QUERY_TOO_DEEP",
    "QUERY_TOO_COMPLEX",
    "QUERY_TOO_LARGE",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "BAD_USER_INPUT",
    "TOO_MANY_DIRECTIVES",
];
/// Statements one admitted request may run: 20,000 / 100.
const STATEMENT_BUDGET: u64 = 200;

#[derive(Debug, Clone)]
enum Shape {
    List(usize),
    Object(usize),
    Doubling(usize),
    Aliases(usize, usize),
    Chain(usize),
    Selections(usize),
    Introspection(usize),
}

/// Selections an alias may repeat, cheap to costly.
const FIELDS: [&str; 4] = [
    "__typename",
    "clients(first: 1) { totalCount }",
    "clients { edges { node { id name } } }",
    "providers { provider }",
];

fn document(shape: &Shape) -> String {
    match *shape {
        Shape::List(n) => deep_list(n),
        Shape::Object(n) => {
            format!("{{ clients(filter: {}{}) {{ totalCount }} }}", "{ search: ".repeat(n), "}".repeat(n))
        }
        Shape::Doubling(n) => doubling_fragments(n),
        Shape::Aliases(n, f) => {
            let body: String = (0..n).map(|i| format!("a{i}: {} ", FIELDS[f])).collect();
            format!("{{ {body}}}")
        }
        Shape::Chain(n) => {
            let mut text = String::from("{ ...C0 }\n");
            for i in 0..n {
                text.push_str(&format!("fragment C{i} on Query {{ c{i}: __typename ...C{} }}\n", i + 1));
            }
            text + &format!("fragment C{n} on Query {{ clients {{ totalCount }} }}")
        }
        Shape::Selections(n) => {
            let mut inner = String::from("id");
            for i in 0..n {
                inner = if i % 2 == 0 {
                    format!("projects {{ client {{ {inner} }} }}")
                } else {
                    format!("wabas {{ client {{ {inner} }} }}")
                };
            }
            format!("{{ clients(first: 3) {{ edges {{ node {{ {inner} }} }} }} }}")
        }
        Shape::Introspection(n) => {
            let mut inner = String::from("name");
            for _ in 0..n {
                inner = format!("ofType {{ kind {inner} }}");
            }
            format!("{{ __type(name: \"Client\") {{ fields {{ type {{ {inner} }} }} }} }}")
        }
    }
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        (0usize..3000).prop_map(Shape::List),
        (0usize..3000).prop_map(Shape::Object),
        (0usize..40).prop_map(Shape::Doubling),
        (1usize..4000, 0usize..FIELDS.len()).prop_map(|(n, f)| Shape::Aliases(n, f)),
        (0usize..200).prop_map(Shape::Chain),
        (0usize..12).prop_map(Shape::Selections),
        (0usize..30).prop_map(Shape::Introspection),
    ]
}

/// Send `doc`; panic unless it was answered within budget or refused with a code.
async fn answered_or_refused(app: &TestApp, doc: &str) {
    let before = app.store.statements();
    let resp = app.http.post(app.url("/graphql")).json(&json!({ "query": doc })).send().await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    let ran = app.store.statements() - before;
    let codes = error_codes(&body);
    if body["data"].is_null() {
        assert!(!codes.is_empty() && codes.iter().all(|c| REFUSALS.contains(&c.as_str())), "{codes:?}");
        assert_eq!(ran, 0, "a refused request ran statements");
    } else {
        assert!(codes.is_empty(), "errors beside data: {codes:?}");
        assert!(ran <= STATEMENT_BUDGET, "{ran} statements");
    }
    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK, "the server stopped answering");
}

#[test]
fn every_document_is_answered_within_budget_or_refused_with_a_code() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let app = rt.block_on(quiet_app());
    rt.block_on(app.store.seed_demo(3)).unwrap();
    let config = ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(shape in shape())| {
        rt.block_on(answered_or_refused(&app, &document(&shape)));
    });
}

/// The shallow lists proptest rarely draws (found by it: `List(0)`).
#[test]
fn shallow_lists_are_answered_or_refused_with_a_code() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let app = rt.block_on(quiet_app());
    for n in 0..4 {
        rt.block_on(answered_or_refused(&app, &document(&Shape::List(n))));
    }
}
