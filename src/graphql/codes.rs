//! Stable `extensions.code` values for errors async-graphql raises itself (parse,
//! validation, depth, complexity, directive limits), so every error a client sees
//! has a code. Resolver errors already carry theirs (see `error.rs`).

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerError, ServerResult, ValidationResult, Variables};

/// Installs [`ErrorCodes`] on every request.
pub struct ErrorCodesFactory;

impl ExtensionFactory for ErrorCodesFactory {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

/// Adds a code to parse and validation errors.
struct ErrorCodes;

fn with_code(mut err: ServerError, code: &'static str) -> ServerError {
    let has_code = err.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
    if !has_code {
        err.extensions.get_or_insert_with(Default::default).set("code", code);
    }
    err
}

/// The code for an error async-graphql raised, from the message it gives each limit
/// (checked by tests), else `fallback`.
fn code_for(message: &str, fallback: &'static str) -> &'static str {
    if message.contains("nested too deep") || message.contains("recursion") {
        "QUERY_TOO_DEEP"
    } else if message.contains("too complex") {
        "QUERY_TOO_COMPLEX"
    } else if message.contains("number of directives") {
        "TOO_MANY_DIRECTIVES"
    } else {
        fallback
    }
}

#[async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables).await.map_err(|e| {
            let code = code_for(&e.message, "GRAPHQL_PARSE_FAILED");
            with_code(e, code)
        })
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| {
                    let code = code_for(&e.message, "GRAPHQL_VALIDATION_FAILED");
                    with_code(e, code)
                })
                .collect()
        })
    }
}
