//! Length limits on every string a document passes in, written inline or through a
//! variable, checked before anything runs: a too-long value is a `BAD_USER_INPUT`
//! error naming the argument or input field, never an internal error further down
//! (SQLite refuses a `LIKE` pattern above 50,000 bytes, for one).
//!
//! These limits are an outer bound. Fields with their own rules keep answering with
//! their own userErrors inside it (a client name of 300 characters is still the
//! userError `INVALID_NAME`; `labels` is checked as a whole by `INVALID_LABELS`).

use std::collections::HashSet;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql_value::{ConstValue, Name, Value};

use super::Vars;

/// The longest string any argument or input field takes unless listed below.
pub const DEFAULT_MAX_CHARS: usize = 1_000;

/// Arguments and input fields with their own limit (`None`: checked elsewhere).
const LIMITS: [(&str, Option<usize>); 5] = [
    ("search", Some(200)),
    ("after", Some(200)),
    ("idempotencyKey", Some(200)),
    ("message", Some(2_000)),
    ("labels", None),
];

/// A string above its limit: the argument or input field, and the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLong {
    /// The argument or input field.
    pub name: String,
    /// Its limit in characters.
    pub max: usize,
}

fn limit(name: &str) -> Option<usize> {
    LIMITS.iter().find(|(n, _)| *n == name).map_or(Some(DEFAULT_MAX_CHARS), |(_, max)| *max)
}

/// Check every argument of every field and directive in `doc` (each written
/// selection once; fragments are not expanded).
pub fn check(doc: &ExecutableDocument, vars: &Vars<'_>) -> Result<(), TooLong> {
    let mut checker = Checker { vars, seen: HashSet::new() };
    for (_, op) in doc.operations.iter() {
        checker.set(&op.node.selection_set.node)?;
    }
    for fragment in doc.fragments.values() {
        checker.set(&fragment.node.selection_set.node)?;
    }
    Ok(())
}

struct Checker<'a> {
    vars: &'a Vars<'a>,
    /// Variables already checked under a given argument name.
    seen: HashSet<(Name, String)>,
}

impl Checker<'_> {
    fn set(&mut self, set: &SelectionSet) -> Result<(), TooLong> {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    for (name, value) in &field.node.arguments {
                        self.value(name.node.as_str(), &value.node)?;
                    }
                    for directive in &field.node.directives {
                        for (name, value) in &directive.node.arguments {
                            self.value(name.node.as_str(), &value.node)?;
                        }
                    }
                    self.set(&field.node.selection_set.node)?;
                }
                Selection::InlineFragment(inline) => self.set(&inline.node.selection_set.node)?,
                Selection::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }

    fn value(&mut self, name: &str, value: &Value) -> Result<(), TooLong> {
        let Some(max) = limit(name) else { return Ok(()) };
        match value {
            Value::String(s) => too_long(name, s, max),
            Value::List(items) => items.iter().try_for_each(|v| self.value(name, v)),
            Value::Object(fields) => fields.iter().try_for_each(|(k, v)| self.value(k.as_str(), v)),
            Value::Variable(var) => {
                if !self.seen.insert((var.clone(), name.to_owned())) {
                    return Ok(());
                }
                self.vars.get(var.as_str()).map_or(Ok(()), |v| const_value(name, v))
            }
            _ => Ok(()),
        }
    }
}

fn const_value(name: &str, value: &ConstValue) -> Result<(), TooLong> {
    let Some(max) = limit(name) else { return Ok(()) };
    match value {
        ConstValue::String(s) => too_long(name, s, max),
        ConstValue::List(items) => items.iter().try_for_each(|v| const_value(name, v)),
        ConstValue::Object(fields) => fields.iter().try_for_each(|(k, v)| const_value(k.as_str(), v)),
        _ => Ok(()),
    }
}

fn too_long(name: &str, s: &str, max: usize) -> Result<(), TooLong> {
    // Bytes bound characters from above: count characters only when it matters.
    if s.len() > max && s.chars().count() > max {
        return Err(TooLong { name: name.to_owned(), max });
    }
    Ok(())
}
