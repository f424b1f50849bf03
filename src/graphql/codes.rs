//! Stable `extensions.code` values for errors async-graphql raises itself (parse,
//! validation, depth, complexity and directive limits), so every error a client sees
//! has a code. Resolver errors already carry theirs (see `error.rs`).
//!
//! This runs once over a finished response rather than as a schema extension: an
//! extension would wrap every field resolution of every request.

use async_graphql::{Response, ServerError};

/// The document does not parse.
pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
/// The document does not validate.
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
/// The document's text is above the byte limit.
pub const QUERY_TOO_LARGE: &str = "QUERY_TOO_LARGE";
/// Nesting (text, fields, introspection or fragment spreads) above its limit.
pub const QUERY_TOO_DEEP: &str = "QUERY_TOO_DEEP";
/// Selections or cost above their limits.
pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
/// An argument is invalid (here: a string above its length limit).
pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";

/// The code for an error async-graphql raised, from the message it gives each limit
/// (pinned by tests); other errors without a path are validation errors (parse errors
/// are coded where the request is parsed, see `guard`).
fn code_for(err: &ServerError) -> &'static str {
    let message = err.message.as_str();
    if message.contains("nested too deep") || message.contains("recursion") {
        QUERY_TOO_DEEP
    } else if message.contains("too complex") {
        QUERY_TOO_COMPLEX
    } else if message.contains("number of directives") {
        "TOO_MANY_DIRECTIVES"
    } else if !err.path.is_empty() {
        "INTERNAL"
    } else {
        VALIDATION_FAILED
    }
}

/// Give every error of `response` that has no `extensions.code` one.
pub fn add_missing_codes(response: &mut Response) {
    for err in &mut response.errors {
        let has_code = err.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
        if !has_code {
            let code = code_for(err);
            err.extensions.get_or_insert_with(Default::default).set("code", code);
        }
    }
}
