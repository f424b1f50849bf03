//! Field errors as the GraphQL spec wants them, for every transport (HTTP, batches,
//! WebSocket `next` payloads). async-graphql 7 leaves a failed field's key out of
//! `data` and never propagates: here, after execution, each failed field becomes
//! `null` (in its document position), and the null of a non-null field moves up to
//! the nearest nullable ancestor (`data: null` at the root). The types come from the
//! schema's [`TypeMap`], the response keys from the document. It runs only when a
//! response has errors with a path, so successful requests pay nothing.

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet, Type,
};
use async_graphql::{Name, PathSegment, Response, Value};

use super::typemap::{named, types, TypeMap};

/// The document of one operation, kept to shape each of its responses (an operation
/// over WebSocket has many). The document is parsed again only when a response needs it.
#[derive(Debug)]
pub struct Shape {
    query: String,
    operation: Option<String>,
    doc: Option<ExecutableDocument>,
}

impl Shape {
    /// Remember what `request` asks (call before the request is executed).
    pub fn of(request: &async_graphql::Request) -> Self {
        Self { query: request.query.clone(), operation: request.operation_name.clone(), doc: None }
    }

    /// Null the failed fields of `response` and propagate those nulls.
    pub fn apply(&mut self, response: &mut Response) {
        if response.errors.iter().all(|e| e.path.is_empty()) {
            return;
        }
        if self.doc.is_none() {
            self.doc = async_graphql::parser::parse_query(&self.query).ok();
        }
        if let Some(doc) = &self.doc {
            propagate(types(), doc, self.operation.as_deref(), response);
        }
    }
}

/// What the schema says about one position of an error path.
struct Step {
    /// May this position be null?
    nullable: bool,
    /// For a field: the response keys of its parent's selection, in document order.
    order: Vec<Name>,
}

/// Null every failed field of `response` and propagate (see the module doc).
pub fn propagate(types: &TypeMap, doc: &ExecutableDocument, operation: Option<&str>, response: &mut Response) {
    let Some(op) = pick_operation(doc, operation) else { return };
    let walked: Vec<(Vec<Step>, usize)> = response
        .errors
        .iter()
        .filter(|e| !e.path.is_empty())
        .map(|e| {
            let steps = walk(types, doc, op, &e.path);
            let depth = restore(&mut response.data, &e.path, &steps, 0);
            (steps, depth)
        })
        .collect();
    let paths = response.errors.iter().filter(|e| !e.path.is_empty()).map(|e| &e.path);
    let mut root_null = false;
    for (path, (steps, depth)) in paths.zip(&walked) {
        match nullable_position(steps, *depth) {
            Some(k) => set_null(&mut response.data, &path[..=k]),
            None => root_null = true,
        }
    }
    if root_null {
        response.data = Value::Null;
    }
}

fn pick_operation<'d>(doc: &'d ExecutableDocument, name: Option<&str>) -> Option<&'d OperationDefinition> {
    match &doc.operations {
        DocumentOperations::Single(op) => Some(&op.node),
        DocumentOperations::Multiple(ops) => match name {
            Some(name) => ops.iter().find(|(n, _)| n.as_str() == name).map(|(_, op)| &op.node),
            None if ops.len() == 1 => ops.values().next().map(|op| &op.node),
            None => None,
        },
    }
}

/// The position (index into the path) that takes the null of a failure at
/// `path[..depth]`: the failed field itself when nullable, else the nearest nullable
/// ancestor; `None` for the root. Positions the walk could not type count as nullable.
fn nullable_position(steps: &[Step], depth: usize) -> Option<usize> {
    let mut k = depth.checked_sub(1)?;
    loop {
        if steps.get(k).is_none_or(|s| s.nullable) {
            return Some(k);
        }
        k = k.checked_sub(1)?;
    }
}

/// Type each position of `path` by walking the operation's selections and the schema.
/// Stops early where it cannot follow (the remaining positions count as nullable).
fn walk(types: &TypeMap, doc: &ExecutableDocument, op: &OperationDefinition, path: &[PathSegment]) -> Vec<Step> {
    let root = match op.ty {
        OperationType::Query => &types.roots[0],
        OperationType::Mutation => &types.roots[1],
        OperationType::Subscription => &types.roots[2],
    };
    let mut ty = Type { base: BaseType::Named(Name::new(root)), nullable: false };
    let mut sets: Vec<&SelectionSet> = vec![&op.selection_set.node];
    let mut steps = Vec::with_capacity(path.len());
    for segment in path {
        match segment {
            PathSegment::Field(key) => {
                let parent = named(&ty).to_owned();
                let mut found = Found { key, order: Vec::new(), field: None, sets: Vec::new() };
                for set in &sets {
                    found.collect(doc, set, &parent, 0);
                }
                let Some((field, owner)) = found.field else { break };
                let Some(info) = types.field(&owner, &field).or_else(|| types.field(&parent, &field)) else { break };
                steps.push(Step { nullable: info.ty.nullable, order: found.order });
                ty = info.ty.clone();
                sets = found.sets;
            }
            PathSegment::Index(_) => {
                let BaseType::List(inner) = &ty.base else { break };
                let inner = (**inner).clone();
                steps.push(Step { nullable: inner.nullable, order: Vec::new() });
                ty = inner;
            }
        }
    }
    steps
}

/// The fields answering one response key in a merged selection, and the key order.
struct Found<'d, 'k> {
    key: &'k str,
    order: Vec<Name>,
    /// The field's name and the type it was selected on (a fragment's type condition).
    field: Option<(String, String)>,
    sets: Vec<&'d SelectionSet>,
}

impl<'d> Found<'d, '_> {
    fn collect(&mut self, doc: &'d ExecutableDocument, set: &'d SelectionSet, owner: &str, depth: usize) {
        if depth > 32 {
            return;
        }
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let key = &field.node.response_key().node;
                    if !self.order.contains(key) {
                        self.order.push(key.clone());
                    }
                    if key.as_str() == self.key {
                        self.field.get_or_insert_with(|| (field.node.name.node.to_string(), owner.to_owned()));
                        self.sets.push(&field.node.selection_set.node);
                    }
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = doc.fragments.get(&spread.node.fragment_name.node) {
                        let on = fragment.node.type_condition.node.on.node.to_string();
                        self.collect(doc, &fragment.node.selection_set.node, &on, depth + 1);
                    }
                }
                Selection::InlineFragment(inline) => {
                    let on = inline.node.type_condition.as_ref().map(|c| c.node.on.node.to_string());
                    self.collect(doc, &inline.node.selection_set.node, on.as_deref().unwrap_or(owner), depth + 1);
                }
            }
        }
    }
}

/// Put a `null` where the failed field of `path` belongs (async-graphql left its key
/// out, or gave `null` for an object all of whose fields failed). Returns the length
/// of the failed position's path: shorter than `path` when an ancestor's key is
/// missing too (a list field that failed as a whole because of one item).
fn restore(cur: &mut Value, path: &[PathSegment], steps: &[Step], depth: usize) -> usize {
    let Some((segment, rest)) = path.split_first() else { return depth };
    match segment {
        PathSegment::Field(key) => {
            if *cur == Value::Null {
                *cur = Value::Object(Default::default());
            }
            let Value::Object(map) = cur else { return depth };
            let name = Name::new(key);
            match map.get_mut(&name) {
                Some(value) if rest.is_empty() => {
                    *value = Value::Null;
                    depth + 1
                }
                Some(value) => restore(value, rest, steps, depth + 1),
                None => {
                    let order = steps.get(depth).map_or(&[][..], |s| s.order.as_slice());
                    insert_ordered(map, name, order);
                    depth + 1
                }
            }
        }
        PathSegment::Index(i) => {
            let Value::List(items) = cur else { return depth };
            let Some(item) = items.get_mut(*i) else { return depth };
            if rest.is_empty() {
                *item = Value::Null;
                return depth + 1;
            }
            restore(item, rest, steps, depth + 1)
        }
    }
}

/// Insert `key: null` where the document order puts it.
fn insert_ordered(map: &mut async_graphql::indexmap::IndexMap<Name, Value>, key: Name, order: &[Name]) {
    let rank = |k: &Name| order.iter().position(|o| o == k).unwrap_or(usize::MAX);
    let at = rank(&key);
    let index = map.keys().position(|k| rank(k) > at).unwrap_or(map.len());
    map.shift_insert(index, key, Value::Null);
}

/// Set the value at `path` to null, unless an ancestor already is.
fn set_null(cur: &mut Value, path: &[PathSegment]) {
    let Some((segment, rest)) = path.split_first() else {
        *cur = Value::Null;
        return;
    };
    let next = match (segment, cur) {
        (PathSegment::Field(key), Value::Object(map)) => map.get_mut(key.as_str()),
        (PathSegment::Index(i), Value::List(items)) => items.get_mut(*i),
        _ => None,
    };
    if let Some(next) = next {
        set_null(next, rest);
    }
}

#[cfg(test)]
#[path = "nulls_tests.rs"]
mod tests;
