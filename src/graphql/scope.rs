//! What the caller of this request may see and do. Operator keys (and anonymous
//! callers in dev mode) see everything; a client token sees only its client's
//! objects, and anything else answers as if it did not exist (`NOT_FOUND`, or null
//! for a lookup by id). Every resolver that reads or changes data asks here.

use async_graphql::Context;

use super::error::{ApiError, ApiResult};
use crate::auth::{Caller, TokenSigner};
use crate::store::Clients;

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

/// What the caller of a request may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything: an operator key, an anonymous caller in dev mode, or a request the
    /// server runs itself (no caller).
    Operator,
    /// Only this client's objects: a client token.
    Client(i64),
    /// Nothing: an anonymous caller outside dev mode (the gate refuses those first).
    Nobody,
}

/// The caller's scope.
pub fn scope(ctx: &Context<'_>) -> Scope {
    match access(ctx) {
        Some(a) => match a.caller.client_scope() {
            Some(id) => Scope::Client(id),
            None if a.caller.is_operator(a.dev) => Scope::Operator,
            None => Scope::Nobody,
        },
        None => Scope::Operator,
    }
}

/// Whether an object owned by `owner` is visible to the caller.
pub fn visible(ctx: &Context<'_>, owner: Option<i64>) -> bool {
    match scope(ctx) {
        Scope::Operator => true,
        Scope::Client(id) => owner == Some(id),
        Scope::Nobody => false,
    }
}

/// Refuse (as `NOT_FOUND`) unless the caller is an operator.
pub fn require_operator(ctx: &Context<'_>) -> ApiResult<()> {
    match scope(ctx) {
        Scope::Operator => Ok(()),
        Scope::Client(_) | Scope::Nobody => Err(ApiError::NotFound),
    }
}

/// The clients a list may return for the caller, asking for client `requested` (or any):
/// a client-scoped caller asking for another client gets nothing.
pub fn narrow(ctx: &Context<'_>, requested: Option<i64>) -> Clients {
    match (scope(ctx), requested) {
        (Scope::Operator, None) => Clients::All,
        (Scope::Operator, Some(r)) => Clients::One(r),
        (Scope::Client(id), None) => Clients::One(id),
        (Scope::Client(id), Some(r)) if r == id => Clients::One(id),
        (Scope::Client(_), Some(_)) | (Scope::Nobody, _) => Clients::Nothing,
    }
}

/// A row that belongs to (at most) one client: what relation fields check, exactly
/// as `node` does, before they hand a related object to the caller.
pub trait Owned {
    /// The owning client's row id (`None`: owned by no client, operators only).
    fn owner(&self) -> Option<i64>;
}

impl<T: Owned> Owned for std::sync::Arc<T> {
    fn owner(&self) -> Option<i64> {
        T::owner(self)
    }
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
    if scope(ctx) != Scope::Operator {
        items.retain(|i| visible(ctx, i.owner()));
    }
    items
}
