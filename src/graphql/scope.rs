//! What the caller of this request may see and do. Operator keys (and anonymous
//! callers in dev mode) see everything; a client token sees only its client's
//! objects, and anything else answers as if it did not exist (`NOT_FOUND`, or null
//! for a lookup by id). Every resolver that reads or changes data asks here.

use async_graphql::Context;

use super::error::{ApiError, ApiResult};
use crate::auth::{Caller, TokenSigner};

/// The caller and the mode, added to every request by the HTTP and WebSocket layers.
#[derive(Debug, Clone)]
pub struct Access {
    /// Who is calling.
    pub caller: Caller,
    /// Dev mode: anonymous callers act as operators.
    pub dev: bool,
    /// Signs client tokens (`issueClientToken`).
    pub signer: TokenSigner,
}

fn access<'a>(ctx: &Context<'a>) -> Option<&'a Access> {
    ctx.data_opt::<Access>()
}

/// `Some(client_id)` when the caller may only see that client's objects.
pub fn client_scope(ctx: &Context<'_>) -> Option<i64> {
    match access(ctx) {
        Some(a) => match a.caller.client_scope() {
            Some(id) => Some(id),
            None if !a.caller.is_operator(a.dev) => Some(-1), // sees nothing
            None => None,
        },
        None => None,
    }
}

/// Whether an object owned by `owner` is visible to the caller.
pub fn visible(ctx: &Context<'_>, owner: Option<i64>) -> bool {
    match client_scope(ctx) {
        None => true,
        Some(scope) => owner == Some(scope),
    }
}

/// Refuse (as `NOT_FOUND`) unless the caller is an operator.
pub fn require_operator(ctx: &Context<'_>) -> ApiResult<()> {
    match client_scope(ctx) {
        None => Ok(()),
        Some(_) => Err(ApiError::NotFound),
    }
}

/// Narrow an optional client filter to the caller's scope: a client-scoped caller
/// asking for another client gets a filter that matches nothing.
pub fn narrow(ctx: &Context<'_>, requested: Option<i64>) -> Option<i64> {
    match (client_scope(ctx), requested) {
        (None, r) => r,
        (Some(scope), None) => Some(scope),
        (Some(scope), Some(r)) if r == scope => Some(scope),
        (Some(_), Some(_)) => Some(-1),
    }
}
