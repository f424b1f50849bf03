//! Which clients' rows a list may return: every filter that can be narrowed to a client
//! carries one [`Clients`], built from the caller's scope and the client the filter asks
//! for (see `graphql::scope::narrow`). "Nothing" is a value of its own, not a row id that
//! happens not to exist.

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::ColumnTrait;

/// The clients whose rows a query may return.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Clients {
    /// Rows of any client (and rows owned by none).
    #[default]
    All,
    /// Only rows of this client.
    One(i64),
    /// No rows at all (a client-scoped caller asking for another client).
    Nothing,
}

impl Clients {
    /// Whether a row owned by `owner` passes (in memory, e.g. live events).
    pub fn admits(self, owner: Option<i64>) -> bool {
        match self {
            Self::All => true,
            Self::One(id) => owner == Some(id),
            Self::Nothing => false,
        }
    }

    /// The condition on the owning `column`, if any.
    pub fn condition(self, column: impl ColumnTrait) -> Option<SimpleExpr> {
        match self {
            Self::All => None,
            Self::One(id) => Some(column.eq(id)),
            Self::Nothing => Some(Expr::val(1).eq(0)),
        }
    }
}
