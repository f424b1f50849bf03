//! The schema reads as documentation for frontend developers: every type, field,
//! argument, input field and enum value has a description, and no description names a
//! type of the implementation. Checked through introspection, as a GraphQL tool sees it.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::helpers::spawn_app;

const INTROSPECT: &str = "{ __schema { types {
  name description
  fields(includeDeprecated: true) { name description args { name description } }
  inputFields { name description }
  enumValues(includeDeprecated: true) { name description }
} } }";

/// Types the GraphQL spec defines; their descriptions are not ours to write.
const BUILT_IN: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

/// Every (path, description) pair of the schema's own types; `None` when undescribed.
fn described(types: &[Value]) -> Vec<(String, Option<String>)> {
    let text = |v: &Value| v["description"].as_str().map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned);
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let mut all = Vec::new();
    for t in types {
        let name = t["name"].as_str().unwrap();
        if name.starts_with("__") || BUILT_IN.contains(&name) {
            continue;
        }
        all.push((name.to_owned(), text(t)));
        for f in list(&t["fields"]) {
            let field = format!("{name}.{}", f["name"].as_str().unwrap());
            for a in list(&f["args"]) {
                all.push((format!("{field}({}:)", a["name"].as_str().unwrap()), text(&a)));
            }
            all.push((field, text(&f)));
        }
        for f in list(&t["inputFields"]) {
            all.push((format!("{name}.{}", f["name"].as_str().unwrap()), text(&f)));
        }
        for v in list(&t["enumValues"]) {
            all.push((format!("{name}.{}", v["name"].as_str().unwrap()), text(&v)));
        }
    }
    all
}

/// Why a description would confuse a frontend developer: a word of the implementation
/// language, or a code-quoted type name the schema does not have (`ClientNode`).
fn leak(description: &str, type_names: &BTreeSet<String>) -> Option<String> {
    let words = description.split(|c: char| !c.is_alphanumeric());
    if let Some(w) = words.into_iter().find(|w| ["Rust", "rustdoc", "struct", "impl", "crate"].contains(w)) {
        return Some(format!("the word {w:?}"));
    }
    for marker in ["::", "Option<", "Vec<", "<Utc>", "[`", "Node`", "Edge`"] {
        if description.contains(marker) {
            return Some(format!("{marker:?}"));
        }
    }
    // Inside backticks, a capitalised camel-case word must be a type of this schema.
    let quoted = description.split('`').skip(1).step_by(2);
    quoted
        .filter(|q| q.chars().next().is_some_and(char::is_uppercase) && q.chars().any(char::is_lowercase))
        .filter(|q| q.chars().all(char::is_alphanumeric))
        .find(|q| !type_names.contains(*q))
        .map(|q| format!("`{q}`, which is not a type of this schema"))
}

#[tokio::test]
async fn every_type_field_argument_and_enum_value_is_described() {
    let app = spawn_app().await;

    let data = app.data(INTROSPECT, json!({})).await;

    let types = data["__schema"]["types"].as_array().unwrap();
    let all = described(types);
    let missing: Vec<&str> = all.iter().filter(|(_, d)| d.is_none()).map(|(path, _)| path.as_str()).collect();
    assert!(all.len() > 300, "introspection saw only {} items", all.len());
    assert!(
        missing.is_empty(),
        "{} of {} items have no description:\n{}",
        missing.len(),
        all.len(),
        missing.join("\n")
    );
}

#[tokio::test]
async fn no_description_names_the_implementation() {
    let app = spawn_app().await;

    let data = app.data(INTROSPECT, json!({})).await;

    let types = data["__schema"]["types"].as_array().unwrap();
    let type_names: BTreeSet<String> = types.iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    let leaks: Vec<String> = described(types)
        .into_iter()
        .filter_map(|(path, d)| leak(d.as_deref()?, &type_names).map(|why| format!("{path}: {why}")))
        .collect();
    assert!(leaks.is_empty(), "descriptions that name the implementation:\n{}", leaks.join("\n"));
}

#[test]
fn the_leak_check_catches_implementation_names() {
    let types: BTreeSet<String> = ["Client".to_owned()].into();
    assert_eq!(leak("One `Client` and its cursor.", &types), None);
    assert!(leak("One `ClientNode` and its cursor.", &types).is_some());
    assert!(leak("Implement the DateTime<Utc> scalar", &types).is_some());
    assert!(leak("Wraps a Rust struct.", &types).is_some());
    assert!(leak("See `ClientEdge`.", &types).is_some());
}
