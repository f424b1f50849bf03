//! A validation rule async-graphql lacks: an enum argument written as a string
//! literal (`status: ["PENDING"]` instead of `status: [PENDING]`) is invalid GraphQL
//! (graphql-js and its tooling refuse such documents), though async-graphql accepts
//! it. This pass looks at every literal argument and variable default against the
//! schema's input types. Variables' JSON values are not literals and stay strings.

use async_graphql::parser::types::{BaseType, ExecutableDocument, Selection, SelectionSet, Type};
use async_graphql::{Pos, ServerError};
use async_graphql_value::Value;

use super::typemap::{named, types, TypeMap};

/// Errors (`GRAPHQL_VALIDATION_FAILED`) for every enum written as a string in `doc`.
pub fn check(doc: &ExecutableDocument) -> Vec<ServerError> {
    let types = types();
    let mut found = Vec::new();
    for (_, op) in doc.operations.iter() {
        let op = &op.node;
        for var in &op.variable_definitions {
            if let Some(default) = &var.node.default_value {
                let value = default.node.clone().into_value();
                literal(types, &var.node.var_type.node, &value, default.pos, &mut found);
            }
        }
        let root = match op.ty {
            async_graphql::parser::types::OperationType::Query => &types.roots[0],
            async_graphql::parser::types::OperationType::Mutation => &types.roots[1],
            async_graphql::parser::types::OperationType::Subscription => &types.roots[2],
        };
        selections(types, &op.selection_set.node, root, &mut found);
    }
    for fragment in doc.fragments.values() {
        let on = fragment.node.type_condition.node.on.node.as_str();
        selections(types, &fragment.node.selection_set.node, on, &mut found);
    }
    found
        .into_iter()
        .map(|(enum_name, text, pos)| {
            let message = format!("Enum \"{enum_name}\" cannot represent non-enum value: \"{text}\".");
            let mut err = ServerError::new(message, Some(pos));
            err.extensions.get_or_insert_with(Default::default).set("code", "GRAPHQL_VALIDATION_FAILED");
            err
        })
        .collect()
}

type Found = Vec<(String, String, Pos)>;

fn selections(types: &TypeMap, set: &SelectionSet, parent: &str, found: &mut Found) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let Some(info) = types.field(parent, &field.node.name.node) else { continue };
                for (name, value) in &field.node.arguments {
                    if let Some(ty) = info.args.get(name.node.as_str()) {
                        literal(types, ty, &value.node, value.pos, found);
                    }
                }
                selections(types, &field.node.selection_set.node, named(&info.ty), found);
            }
            Selection::InlineFragment(inline) => {
                let on = inline.node.type_condition.as_ref().map_or(parent, |c| c.node.on.node.as_str());
                selections(types, &inline.node.selection_set.node, on, found);
            }
            Selection::FragmentSpread(_) => {} // each fragment is checked once, on its own type
        }
    }
}

fn literal(types: &TypeMap, ty: &Type, value: &Value, pos: Pos, found: &mut Found) {
    match (&ty.base, value) {
        (_, Value::Variable(_) | Value::Null) => {}
        (BaseType::List(inner), Value::List(items)) => {
            items.iter().for_each(|item| literal(types, inner, item, pos, found));
        }
        (BaseType::List(inner), single) => literal(types, inner, single, pos, found),
        (BaseType::Named(name), Value::String(text)) if types.enums.contains(name.as_str()) => {
            found.push((name.to_string(), text.clone(), pos));
        }
        (BaseType::Named(name), Value::Object(fields)) => {
            let Some(input) = types.inputs.get(name.as_str()) else { return };
            for (key, value) in fields {
                if let Some(ty) = input.get(key.as_str()) {
                    literal(types, ty, value, pos, found);
                }
            }
        }
        _ => {}
    }
}
