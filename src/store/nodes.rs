//! Provider-backed nodes (projects, invitations, senders, wabas): lists with
//! filters, counts, and the batched lookups DataLoaders use (by id and by parent).

use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::convert::all;
use super::page::{self, Page, PageArgs};
use super::tables::{invitations, projects, senders, wabas};
use super::{Clients, Store, StoreError};
use crate::domain::{Invitation, InvitationStatus, Project, Provider, Sender, SenderStatus, Waba};

/// Filters of the `invitations` list and of `Client.invitations`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct InvitationFilter {
    /// Only this provider.
    pub provider: Option<Provider>,
    /// Only these statuses (any when empty).
    pub status: Vec<InvitationStatus>,
    /// Only these clients' rows.
    pub clients: Clients,
}

impl InvitationFilter {
    fn condition(&self) -> Condition {
        use invitations::Column as C;
        Condition::all()
            .add_option(self.provider.map(|p| C::Provider.eq(p.as_str())))
            .add_option((!self.status.is_empty()).then(|| C::Status.is_in(self.status.iter().map(|s| s.as_str()))))
            .add_option(self.clients.condition(C::ClientId))
    }
}

/// Filters of the `senders` list and of `Client.senders`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SenderFilter {
    /// Only this provider.
    pub provider: Option<Provider>,
    /// Only these statuses (any when empty).
    pub status: Vec<SenderStatus>,
    /// Only these clients' rows.
    pub clients: Clients,
}

impl SenderFilter {
    fn condition(&self) -> Condition {
        use senders::Column as C;
        Condition::all()
            .add_option(self.provider.map(|p| C::Provider.eq(p.as_str())))
            .add_option((!self.status.is_empty()).then(|| C::Status.is_in(self.status.iter().map(|s| s.as_str()))))
            .add_option(self.clients.condition(C::ClientId))
    }
}

/// A page of `E` rows matching `cond`, converted to `T`.
async fn list<E, T>(store: &Store, cond: Condition, key: E::Column, args: PageArgs) -> Result<Page<T>, StoreError>
where
    E: EntityTrait,
    T: TryFrom<E::Model, Error = StoreError>,
{
    page::fetch(store.db(), E::find().filter(cond), key, args).await?.try_map(T::try_from)
}

async fn count<E>(store: &Store, cond: Condition, key: E::Column) -> Result<u64, StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
{
    Ok(E::find().filter(cond).order_by_asc(key).count(store.db()).await?)
}

/// Every `E` row whose `col` is one of `ids` and that matches `extra`, ordered by `key`.
async fn load_in<E, T>(
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
    fn condition<C: ColumnTrait>(&self, provider: C, client: C) -> Condition {
        Condition::all()
            .add_option(self.provider.map(|p| provider.eq(p.as_str())))
            .add_option(self.clients.condition(client))
    }
}

impl Store {
    /// One page of invitations, oldest first.
    pub async fn invitations_page(&self, f: &InvitationFilter, args: PageArgs) -> Result<Page<Invitation>, StoreError> {
        list::<invitations::Entity, _>(self, f.condition(), invitations::Column::Id, args).await
    }

    /// How many invitations match.
    pub async fn invitations_count(&self, f: &InvitationFilter) -> Result<u64, StoreError> {
        count::<invitations::Entity>(self, f.condition(), invitations::Column::Id).await
    }

    /// One page of senders, oldest first.
    pub async fn senders_page(&self, f: &SenderFilter, args: PageArgs) -> Result<Page<Sender>, StoreError> {
        list::<senders::Entity, _>(self, f.condition(), senders::Column::Id, args).await
    }

    /// How many senders match.
    pub async fn senders_count(&self, f: &SenderFilter) -> Result<u64, StoreError> {
        count::<senders::Entity>(self, f.condition(), senders::Column::Id).await
    }

    /// One page of wabas, oldest first.
    pub async fn wabas_page(&self, f: &OwnedFilter, args: PageArgs) -> Result<Page<Waba>, StoreError> {
        let cond = f.condition(wabas::Column::Provider, wabas::Column::ClientId);
        list::<wabas::Entity, _>(self, cond, wabas::Column::Id, args).await
    }

    /// How many wabas match.
    pub async fn wabas_count(&self, f: &OwnedFilter) -> Result<u64, StoreError> {
        count::<wabas::Entity>(self, f.condition(wabas::Column::Provider, wabas::Column::ClientId), wabas::Column::Id)
            .await
    }

    /// One page of projects, oldest first.
    pub async fn projects_page(&self, f: &OwnedFilter, args: PageArgs) -> Result<Page<Project>, StoreError> {
        let cond = f.condition(projects::Column::Provider, projects::Column::ClientId);
        list::<projects::Entity, _>(self, cond, projects::Column::Id, args).await
    }

    /// How many projects match.
    pub async fn projects_count(&self, f: &OwnedFilter) -> Result<u64, StoreError> {
        let cond = f.condition(projects::Column::Provider, projects::Column::ClientId);
        count::<projects::Entity>(self, cond, projects::Column::Id).await
    }

    /// Invitations with these ids.
    pub async fn invitations_by_ids(&self, ids: &[i64]) -> Result<Vec<Invitation>, StoreError> {
        use invitations::Column as C;
        load_in::<invitations::Entity, _>(self, C::Id, ids, Condition::all(), C::Id).await
    }

    /// Senders with these ids.
    pub async fn senders_by_ids(&self, ids: &[i64]) -> Result<Vec<Sender>, StoreError> {
        load_in::<senders::Entity, _>(self, senders::Column::Id, ids, Condition::all(), senders::Column::Id).await
    }

    /// Wabas with these ids.
    pub async fn wabas_by_ids(&self, ids: &[i64]) -> Result<Vec<Waba>, StoreError> {
        load_in::<wabas::Entity, _>(self, wabas::Column::Id, ids, Condition::all(), wabas::Column::Id).await
    }

    /// Projects with these ids.
    pub async fn projects_by_ids(&self, ids: &[i64]) -> Result<Vec<Project>, StoreError> {
        load_in::<projects::Entity, _>(self, projects::Column::Id, ids, Condition::all(), projects::Column::Id).await
    }

    /// Invitations of these clients matching `f` (its `clients` is ignored), oldest first.
    pub async fn invitations_of_clients(
        &self,
        ids: &[i64],
        f: &InvitationFilter,
    ) -> Result<Vec<Invitation>, StoreError> {
        use invitations::Column as C;
        let f = InvitationFilter { clients: Clients::All, ..f.clone() };
        load_in::<invitations::Entity, _>(self, C::ClientId, ids, f.condition(), C::Id).await
    }

    /// Senders of these clients in one of `status` (any when empty).
    pub async fn senders_of_clients(&self, ids: &[i64], status: &[SenderStatus]) -> Result<Vec<Sender>, StoreError> {
        let f = SenderFilter { status: status.to_vec(), ..Default::default() };
        load_in::<senders::Entity, _>(self, senders::Column::ClientId, ids, f.condition(), senders::Column::Id).await
    }

    /// Senders of these projects.
    pub async fn senders_of_projects(&self, ids: &[i64]) -> Result<Vec<Sender>, StoreError> {
        use senders::Column as C;
        load_in::<senders::Entity, _>(self, C::ProjectId, ids, Condition::all(), C::Id).await
    }

    /// Senders of these wabas (row ids).
    pub async fn senders_of_wabas(&self, ids: &[i64]) -> Result<Vec<Sender>, StoreError> {
        use senders::Column as C;
        load_in::<senders::Entity, _>(self, C::WabaId, ids, Condition::all(), C::Id).await
    }

    /// Projects of these clients.
    pub async fn projects_of_clients(&self, ids: &[i64]) -> Result<Vec<Project>, StoreError> {
        use projects::Column as C;
        load_in::<projects::Entity, _>(self, C::ClientId, ids, Condition::all(), C::Id).await
    }

    /// Wabas of these clients.
    pub async fn wabas_of_clients(&self, ids: &[i64]) -> Result<Vec<Waba>, StoreError> {
        load_in::<wabas::Entity, _>(self, wabas::Column::ClientId, ids, Condition::all(), wabas::Column::Id).await
    }

    /// Wabas of these projects.
    pub async fn wabas_of_projects(&self, ids: &[i64]) -> Result<Vec<Waba>, StoreError> {
        load_in::<wabas::Entity, _>(self, wabas::Column::ProjectId, ids, Condition::all(), wabas::Column::Id).await
    }
}
