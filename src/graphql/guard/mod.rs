//! The checks every GraphQL document passes before async-graphql parses, validates
//! or executes it, on every transport (POST, GET, batches, both WebSocket
//! protocols): one entry point, [`admit`], so no transport can skip them.
//!
//! In order: the text's size and bracket nesting (before parsing: the parser
//! recurses without a bound), the parse itself, the work the document asks for
//! (fragments expanded with memoised costs, see `cost`), and the length of every
//! string it passes in. Each refusal carries a stable `extensions.code`. Every step
//! costs about the document's size, so a refusal is quick whatever the document.

mod cost;
mod scan;
mod strings;

use std::collections::HashMap;
use std::sync::OnceLock;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError, Variables};
use async_graphql_value::{ConstValue, Value};

use super::codes;
use super::typemap::TypeMap;
use super::{AppSchema, Limits};
use cost::{CostLimits, CostRefusal};
use scan::TextRefusal;

/// The limits and the schema facts the checks need; kept in the schema's data.
pub struct Guard {
    limits: Limits,
    map: &'static TypeMap,
}

impl Guard {
    /// The checks for `limits` over the served schema.
    pub fn new(limits: Limits) -> Self {
        Self { limits, map: super::typemap::types() }
    }

    fn of(schema: &AppSchema) -> &Guard {
        static DEFAULT: OnceLock<Guard> = OnceLock::new();
        schema.data::<Guard>().unwrap_or_else(|| DEFAULT.get_or_init(|| Guard::new(Limits::default())))
    }

    fn cost_limits(&self) -> CostLimits {
        let l = &self.limits;
        CostLimits {
            max_selections: l.max_selections as u64,
            max_complexity: l.max_complexity as u64,
            max_depth: l.max_depth as u32,
            max_introspection_depth: l.max_introspection_depth as u32,
            max_fragment_depth: l.max_fragment_depth as u32,
        }
    }

    fn parse(&self, text: &str) -> Result<ExecutableDocument, ServerError> {
        scan::scan(text, self.limits.max_document_bytes, self.limits.max_recursive_depth).map_err(|e| match e {
            TextRefusal::TooLarge(max) => {
                refusal(codes::QUERY_TOO_LARGE, format!("the document is larger than {max} bytes"))
            }
            TextRefusal::TooDeep(max) => refusal(
                codes::QUERY_TOO_DEEP,
                format!("brackets, braces and parentheses nest deeper than {max} levels"),
            ),
        })?;
        async_graphql::parser::parse_query(text).map_err(|e| {
            let mut err = ServerError::from(e);
            let code = if err.message.contains("recursion") { codes::QUERY_TOO_DEEP } else { codes::PARSE_FAILED };
            if let (true, Some(pos)) = (err.message.contains('\n'), err.locations.first()) {
                err.message = super::syntax::one_line(&err.message, *pos, text);
            }
            err.extensions.get_or_insert_with(Default::default).set("code", code);
            err
        })
    }

    fn check(&self, doc: &ExecutableDocument, variables: &Variables) -> Result<(), ServerError> {
        let vars = Vars::new(variables, doc);
        cost::check(doc, self.map, &vars, &self.cost_limits()).map_err(cost_refusal)?;
        strings::check(doc, &vars).map_err(|e| {
            refusal(codes::BAD_USER_INPUT, format!("`{}` may be at most {} characters long", e.name, e.max))
        })
    }
}

/// Variable values as the checks read them: the request's, else the default its
/// definition gives.
pub struct Vars<'a> {
    given: &'a Variables,
    defaults: HashMap<&'a str, &'a ConstValue>,
}

impl<'a> Vars<'a> {
    fn new(given: &'a Variables, doc: &'a ExecutableDocument) -> Self {
        let mut defaults = HashMap::new();
        for (_, op) in doc.operations.iter() {
            for def in &op.node.variable_definitions {
                if let Some(value) = &def.node.default_value {
                    defaults.entry(def.node.name.node.as_str()).or_insert(&value.node);
                }
            }
        }
        Self { given, defaults }
    }

    fn get(&self, name: &str) -> Option<&'a ConstValue> {
        self.given.get(name).or_else(|| self.defaults.get(name).copied())
    }
}

/// Reading argument values for costs.
impl Vars<'_> {
    /// An integer argument, inline or through a variable.
    fn int(&self, value: &Value) -> Option<i64> {
        match value {
            Value::Number(n) => n.as_i64(),
            Value::Variable(name) => match self.get(name.as_str())? {
                ConstValue::Number(n) => n.as_i64(),
                _ => None,
            },
            _ => None,
        }
    }

    /// The length of a list argument (a single value counts as one).
    fn list_len(&self, value: &Value) -> usize {
        match value {
            Value::List(items) => items.len(),
            Value::Variable(name) => match self.get(name.as_str()) {
                Some(ConstValue::List(items)) => items.len(),
                _ => 1,
            },
            _ => 1,
        }
    }
}

fn refusal(code: &str, message: String) -> ServerError {
    let mut err = ServerError::new(message, None);
    err.extensions.get_or_insert_with(Default::default).set("code", code);
    err
}

fn cost_refusal(e: CostRefusal) -> ServerError {
    match e {
        CostRefusal::Cycle(name) => {
            refusal(codes::VALIDATION_FAILED, format!("fragment \"{name}\" spreads itself (a cycle)"))
        }
        CostRefusal::FragmentsTooDeep(max) => {
            refusal(codes::QUERY_TOO_DEEP, format!("fragment spreads nest deeper than {max} levels"))
        }
        CostRefusal::TooDeep(max) => {
            refusal(codes::QUERY_TOO_DEEP, format!("the query is nested deeper than {max} fields"))
        }
        CostRefusal::IntrospectionTooDeep(max) => {
            refusal(codes::QUERY_TOO_DEEP, format!("introspection is nested deeper than {max} fields"))
        }
        CostRefusal::TooManySelections(max) => refusal(
            codes::QUERY_TOO_COMPLEX,
            format!("the query selects more than {max} fields once its fragments are expanded"),
        ),
        CostRefusal::TooComplex(max) => {
            refusal(codes::QUERY_TOO_COMPLEX, format!("the query is too complex (its cost is above {max})"))
        }
    }
}

/// Scan and parse `text` as [`admit`] does, for a transport that must look at the
/// document before running it (GET refuses mutations).
pub fn parse(schema: &AppSchema, text: &str) -> Result<ExecutableDocument, ServerError> {
    Guard::of(schema).parse(text)
}

/// Run every check on `request`; on success its parsed document is kept in it, so
/// the schema does not parse it again.
/// The enum-literal rule async-graphql lacks (see `enum_literals`) runs here too, so
/// every transport has it; it may report several errors at once.
pub fn admit(schema: &AppSchema, request: &mut Request) -> Result<(), Vec<ServerError>> {
    let guard = Guard::of(schema);
    let doc = guard.parse(&request.query).map_err(|e| vec![e])?;
    guard.check(&doc, &request.variables).map_err(|e| vec![e])?;
    let errors = super::enum_literals::check(&doc);
    if !errors.is_empty() {
        return Err(errors);
    }
    request.set_parsed_query(doc);
    Ok(())
}

#[cfg(test)]
mod tests;
