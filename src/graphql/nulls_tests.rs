//! Unit tests of null propagation over a small schema.

use async_graphql::{PathSegment, Response, ServerError, Value};
use serde_json::json;

use super::propagate;
use crate::graphql::typemap::TypeMap;

const SDL: &str = r#"
type Query { a: A  b: A!  list: [A!]!  items: [A]!  name: String }
type A { x: String  y: String!  z: [String!]  child: A }
"#;

fn run(query: &str, data: serde_json::Value, paths: &[&[&str]]) -> Value {
    let types = TypeMap::from_sdl(SDL);
    let doc = async_graphql::parser::parse_query(query).unwrap();
    let mut response = Response::new(Value::from_json(data).unwrap());
    for path in paths {
        let mut err = ServerError::new("boom", None);
        err.path = path
            .iter()
            .map(|s| s.parse().map_or_else(|_| PathSegment::Field((*s).to_owned()), PathSegment::Index))
            .collect();
        response.errors.push(err);
    }
    propagate(&types, &doc, None, &mut response);
    response.data
}

fn shaped(query: &str, data: serde_json::Value, paths: &[&[&str]]) -> serde_json::Value {
    run(query, data, paths).into_json().unwrap()
}

/// The shaped data as JSON text, keys in response order.
fn shaped_text(query: &str, data: serde_json::Value, paths: &[&[&str]]) -> String {
    serde_json::to_string(&run(query, data, paths)).unwrap()
}

#[test]
fn a_failed_nullable_field_is_null_in_document_order() {
    let out = shaped_text("{ name a { x } }", json!({ "name": "n" }), &[&["a"]]);
    assert_eq!(out, r#"{"name":"n","a":null}"#);
    let out = shaped_text("{ first: a { x } name }", json!({ "name": "n" }), &[&["first"]]);
    assert_eq!(out, r#"{"first":null,"name":"n"}"#);
}

#[test]
fn a_non_null_failure_nulls_the_nearest_nullable_ancestor() {
    let out = shaped("{ a { x y } name }", json!({ "a": { "x": "1" }, "name": "n" }), &[&["a", "y"]]);
    assert_eq!(out, json!({ "a": null, "name": "n" }));
    let out = shaped("{ b { y } name }", json!({ "b": null, "name": "n" }), &[&["b", "y"]]);
    assert_eq!(out, json!(null));
}

#[test]
fn nulls_stop_at_nullable_list_items_and_cross_fragments() {
    let q = "{ items { ... on A { y } } }";
    let out = shaped(q, json!({ "items": [{ "y": "1" }, null] }), &[&["items", "1", "y"]]);
    assert_eq!(out, json!({ "items": [{ "y": "1" }, null] }));
    let q = "query { ...F } fragment F on Query { list { child { yy: y } } }";
    let out = shaped(q, json!({ "list": [{ "child": null }] }), &[&["list", "0", "child", "yy"]]);
    assert_eq!(out, json!({ "list": [{ "child": null }] }));
}

#[test]
fn an_object_whose_fields_all_failed_keeps_its_keys() {
    let out = shaped("{ a { x child { x } } }", json!({ "a": null }), &[&["a", "x"], &["a", "child"]]);
    assert_eq!(out, json!({ "a": { "x": null, "child": null } }));
}
