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

impl Access {
    /// What the caller's view depends on, for the response cache key: a client token
    /// sees its client, an operator key what every operator sees (keyed per key all
    /// the same), an anonymous caller everything in dev mode and nothing otherwise.
    pub fn cache_scope(&self) -> String {
        match &self.caller {
            Caller::Client(claims) => format!("client:{}", claims.client_id),
            Caller::Operator { key_id } => format!("operator:{key_id}"),
            Caller::Anonymous => format!("anonymous:{}", self.dev),
        }
    }
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

/// A row that belongs to (at most) one client: what relation fields check, exactly
/// as `node` does, before they hand a related object to the caller.
pub trait Owned {
    /// The owning client's row id (`None`: owned by no client, operators only).
    fn owner(&self) -> Option<i64>;
}

impl Owned for crate::domain::Client {
    fn owner(&self) -> Option<i64> {
        Some(self.id)
    }
}

impl Owned for crate::domain::Invitation {
    fn owner(&self) -> Option<i64> {
        Some(self.client_id)
    }
}

macro_rules! owned_by_column {
    ($($t:ty),*) => {$(
        impl Owned for $t {
            fn owner(&self) -> Option<i64> {
                self.client_id
            }
        }
    )*};
}
owned_by_column!(crate::domain::Project, crate::domain::Sender, crate::domain::Waba);

/// `item` when the caller may see it, else `None` (a related object of another
/// client reads as if it did not exist).
pub fn visible_one<T: Owned>(ctx: &Context<'_>, item: Option<T>) -> Option<T> {
    item.filter(|i| visible(ctx, i.owner()))
}

/// The items the caller may see, in their order.
pub fn visible_only<T: Owned>(ctx: &Context<'_>, mut items: Vec<T>) -> Vec<T> {
    if client_scope(ctx).is_some() {
        items.retain(|i| visible(ctx, i.owner()));
    }
    items
}
