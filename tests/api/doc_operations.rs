//! Every operation the README and the walkthrough show runs against the schema: the
//! server validates it, and a spec-strict check refuses a quoted string where the schema
//! wants an enum value (`region: "EU"`), which this server tolerates but standard
//! GraphQL tools and code generators refuse.

use std::collections::HashMap;

use async_graphql::parser::types::{DocumentOperations, OperationType, Selection, SelectionSet};
use async_graphql::Value as GqlValue;
use serde_json::{json, Value};

use crate::helpers::{error_codes, spawn_app_with, without_webhooks};

const TYPES: &str = "{ __schema { types { name kind
  fields { name type { ...T } args { name type { ...T } } }
  inputFields { name type { ...T } } } } }
fragment T on __Type { name ofType { name ofType { name ofType { name } } } }";

/// Named types by name: their kind, and the named type of each field, argument
/// (`field(arg)`) and input field.
struct Types {
    kind: HashMap<String, String>,
    member: HashMap<(String, String), String>,
}

fn named(ty: &Value) -> String {
    let mut ty = ty;
    while ty["name"].is_null() {
        ty = &ty["ofType"];
    }
    ty["name"].as_str().unwrap().to_owned()
}

impl Types {
    fn from_introspection(data: &Value) -> Self {
        let (mut kind, mut member) = (HashMap::new(), HashMap::new());
        for t in data["__schema"]["types"].as_array().unwrap() {
            let name = t["name"].as_str().unwrap().to_owned();
            kind.insert(name.clone(), t["kind"].as_str().unwrap().to_owned());
            for f in t["fields"].as_array().into_iter().chain(t["inputFields"].as_array()).flatten() {
                let field = f["name"].as_str().unwrap();
                member.insert((name.clone(), field.to_owned()), named(&f["type"]));
                for a in f["args"].as_array().into_iter().flatten() {
                    member
                        .insert((name.clone(), format!("{field}({})", a["name"].as_str().unwrap())), named(&a["type"]));
                }
            }
        }
        Self { kind, member }
    }

    /// Quoted strings given where `ty` (or an input field inside it) is an enum.
    fn check_value(&self, value: &GqlValue, ty: &str, at: &str, found: &mut Vec<String>) {
        match value {
            GqlValue::String(s) if self.kind.get(ty).is_some_and(|k| k == "ENUM") => {
                found.push(format!("{at}: \"{s}\" should be the enum value {s}"))
            }
            GqlValue::List(items) => items.iter().for_each(|v| self.check_value(v, ty, at, found)),
            GqlValue::Object(fields) => {
                for (name, v) in fields {
                    if let Some(inner) = self.member.get(&(ty.to_owned(), name.to_string())) {
                        self.check_value(v, inner, &format!("{at}.{name}"), found);
                    }
                }
            }
            _ => {}
        }
    }

    fn check_selection(&self, set: &SelectionSet, parent: &str, found: &mut Vec<String>) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    for (arg, value) in &field.node.arguments {
                        let key = (parent.to_owned(), format!("{name}({})", arg.node));
                        if let Some(ty) = self.member.get(&key) {
                            let value = value.node.clone().into_const().unwrap_or(GqlValue::Null);
                            self.check_value(&value, ty, &format!("{parent}.{name}({})", arg.node), found);
                        }
                    }
                    if let Some(ty) = self.member.get(&(parent.to_owned(), name.to_owned())) {
                        self.check_selection(&field.node.selection_set.node, ty, found);
                    }
                }
                Selection::InlineFragment(f) => {
                    let on = f.node.type_condition.as_ref().map_or(parent, |c| c.node.on.node.as_str());
                    self.check_selection(&f.node.selection_set.node, on, found);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
}

/// Problems of one document under spec-strict enum rules.
fn strict_problems(types: &Types, text: &str) -> Vec<String> {
    let doc = match async_graphql::parser::parse_query(text) {
        Ok(doc) => doc,
        Err(e) => return vec![format!("does not parse: {e}")],
    };
    let mut found = Vec::new();
    let operations: Vec<_> = match &doc.operations {
        DocumentOperations::Single(op) => vec![op],
        DocumentOperations::Multiple(ops) => ops.values().collect(),
    };
    for op in operations {
        let root = match op.node.ty {
            OperationType::Query => "Query",
            OperationType::Mutation => "Mutation",
            OperationType::Subscription => "Subscription",
        };
        types.check_selection(&op.node.selection_set.node, root, &mut found);
    }
    found
}

/// The fenced `graphql` blocks of a document in this repository.
fn graphql_blocks(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    text.split("```graphql\n").skip(1).map(|rest| rest.split("```").next().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn every_documented_operation_is_valid_against_the_schema() {
    let app = spawn_app_with(without_webhooks).await;
    let types = Types::from_introspection(&app.data(TYPES, json!({})).await);
    let blocks: Vec<(&str, String)> = ["README.md", "docs/walkthrough.md"]
        .into_iter()
        .flat_map(|doc| graphql_blocks(doc).into_iter().map(move |b| (doc, b)))
        .collect();

    let mut invalid = Vec::new();
    for (doc, block) in &blocks {
        let body = app.gql(block, json!({})).await;
        let codes = error_codes(&body);
        if codes.iter().any(|c| c == "GRAPHQL_VALIDATION_FAILED" || c == "GRAPHQL_PARSE_FAILED") {
            invalid.push(format!("{doc}:\n{block}=> {}", body["errors"]));
        }
        invalid.extend(strict_problems(&types, block).into_iter().map(|p| format!("{doc}: {p}")));
    }

    assert!(blocks.len() >= 10, "found only {} operations", blocks.len());
    assert!(invalid.is_empty(), "documented operations the schema refuses:\n{}", invalid.join("\n"));
}

#[tokio::test]
async fn the_strict_check_refuses_a_quoted_enum_value() {
    let app = spawn_app_with(without_webhooks).await;
    let types = Types::from_introspection(&app.data(TYPES, json!({})).await);

    let quoted =
        "mutation { startOnboarding(input: { provider: SINCH, sinch: { region: \"EU\" } }) { userErrors { code } } }";
    let bare =
        "mutation { startOnboarding(input: { provider: SINCH, sinch: { region: EU } }) { userErrors { code } } }";
    let nested = "{ clients { nodes { invitations(status: [\"PENDING\"]) { totalCount } } } }";

    assert_eq!(strict_problems(&types, quoted).len(), 1, "{:?}", strict_problems(&types, quoted));
    assert_eq!(strict_problems(&types, bare), Vec::<String>::new());
    assert_eq!(strict_problems(&types, nested).len(), 1);
}
