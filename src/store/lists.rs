//! What every list of a provider-backed table shares: a page of rows matching a
//! condition, their count, and the batched lookup DataLoaders use (rows whose id or
//! parent id is one of a set). Each table's file (`invitations.rs`, `senders.rs`,
//! `wabas.rs`, `projects.rs`) names its own filters and calls these.

use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::convert::all;
use super::page::{self, Page, PageArgs};
use super::{Clients, Store, StoreError};
use crate::domain::Provider;

/// A page of `E` rows matching `cond`, converted to `T`.
pub(super) async fn list<E, T>(
    store: &Store,
    cond: Condition,
    key: E::Column,
    args: PageArgs,
) -> Result<Page<T>, StoreError>
where
    E: EntityTrait,
    T: TryFrom<E::Model, Error = StoreError>,
{
    page::fetch(store.db(), E::find().filter(cond), key, args).await?.try_map(T::try_from)
}

/// How many `E` rows match `cond`.
pub(super) async fn count<E>(store: &Store, cond: Condition, key: E::Column) -> Result<u64, StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
{
    Ok(E::find().filter(cond).order_by_asc(key).count(store.db()).await?)
}

/// Every `E` row whose `col` is one of `ids` and that matches `extra`, ordered by `key`.
pub(super) async fn load_in<E, T>(
    store: &Store,
    col: E::Column,
    ids: &[i64],
    extra: Condition,
    key: E::Column,
) -> Result<Vec<T>, StoreError>
where
    E: EntityTrait,
    T: TryFrom<E::Model, Error = StoreError>,
{
    let rows = E::find().filter(col.is_in(ids.iter().copied())).filter(extra).order_by_asc(key).all(store.db()).await?;
    all(rows)
}

/// Filters of the `wabas` and `projects` lists: provider and, for client-scoped
/// callers, the owning client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct OwnedFilter {
    /// Only this provider.
    pub provider: Option<Provider>,
    /// Only these clients' rows.
    pub clients: Clients,
}

impl OwnedFilter {
    pub(super) fn condition<C: ColumnTrait>(&self, provider: C, client: C) -> Condition {
        Condition::all()
            .add_option(self.provider.map(|p| provider.eq(p.as_str())))
            .add_option(self.clients.condition(client))
    }
}
