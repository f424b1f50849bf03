//! DataLoaders: every relation between nodes resolves through one batched query per
//! level of a GraphQL document, so the number of SQL statements does not grow with
//! page size. A fresh set is made per request (no cache shared between callers).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};

use crate::domain::{Client, Invitation, Project, Sender, SenderStatus, Waba};
use crate::store::{InvitationFilter, Store, StoreError};

/// The batch loader behind every key type below.
pub struct StoreLoader(pub Store);

/// Per-request loaders.
pub type Loaders = DataLoader<StoreLoader>;

/// A new per-request loader set.
pub fn loaders(store: Store) -> Loaders {
    DataLoader::new(StoreLoader(store), tokio::spawn)
}

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<StoreError>>;

/// Group `items` into lists keyed by `key_of`, with an empty list for every requested key.
fn group<K: Eq + Hash + Copy, V>(
    keys: &[K],
    items: Vec<V>,
    key_of: impl Fn(&V) -> Option<K>,
) -> HashMap<K, Vec<V>> {
    let mut map: HashMap<K, Vec<V>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for item in items {
        if let Some(list) = key_of(&item).and_then(|k| map.get_mut(&k)) {
            list.push(item);
        }
    }
    map
}

/// Defines a key newtype and its loader: a node by id, or the list of children by parent id.
macro_rules! loader {
    (by_id $key:ident => $value:ty, $fetch:ident) => {
        #[doc = concat!("Key: the row id of a `", stringify!($value), "`.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub i64);

        impl Loader<$key> for StoreLoader {
            type Value = $value;
            type Error = Arc<StoreError>;
            async fn load(&self, keys: &[$key]) -> LoadResult<$key, $value> {
                let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
                let rows = self.0.$fetch(&ids).await.map_err(Arc::new)?;
                Ok(rows.into_iter().map(|r| ($key(r.id), r)).collect())
            }
        }
    };
    (children $key:ident => $value:ty, $fetch:ident, $parent:ident) => {
        #[doc = concat!("Key: a parent row id, loading its `", stringify!($value), "` list.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub i64);

        impl Loader<$key> for StoreLoader {
            type Value = Vec<$value>;
            type Error = Arc<StoreError>;
            async fn load(&self, keys: &[$key]) -> LoadResult<$key, Vec<$value>> {
                let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
                let rows = self.0.$fetch(&ids).await.map_err(Arc::new)?;
                Ok(group(keys, rows, |r| r.$parent.map($key)))
            }
        }
    };
}

loader!(by_id ClientId => Client, clients_by_ids);
loader!(by_id ProjectId => Project, projects_by_ids);
loader!(by_id InvitationId => Invitation, invitations_by_ids);
loader!(by_id SenderId => Sender, senders_by_ids);
loader!(by_id WabaId => Waba, wabas_by_ids);
loader!(children ProjectsOfClient => Project, projects_of_clients, client_id);
loader!(children WabasOfClient => Waba, wabas_of_clients, client_id);
loader!(children SendersOfProject => Sender, senders_of_projects, project_id);
loader!(children WabasOfProject => Waba, wabas_of_projects, project_id);
loader!(children SendersOfWaba => Sender, senders_of_wabas, waba_id);

/// Key: a client's invitations matching a filter (its `client_id` is the parent).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InvitationsOfClient(pub i64, pub InvitationFilter);

impl Loader<InvitationsOfClient> for StoreLoader {
    type Value = Vec<Invitation>;
    type Error = Arc<StoreError>;
    async fn load(
        &self,
        keys: &[InvitationsOfClient],
    ) -> LoadResult<InvitationsOfClient, Vec<Invitation>> {
        let mut out = HashMap::new();
        // One query per distinct filter; a page of clients normally shares one.
        let mut by_filter: HashMap<&InvitationFilter, Vec<i64>> = HashMap::new();
        for key in keys {
            by_filter.entry(&key.1).or_default().push(key.0);
        }
        for (filter, ids) in by_filter {
            let rows = self
                .0
                .invitations_of_clients(&ids, filter)
                .await
                .map_err(Arc::new)?;
            for (id, list) in group(&ids, rows, |r| Some(r.client_id)) {
                out.insert(InvitationsOfClient(id, filter.clone()), list);
            }
        }
        Ok(out)
    }
}

/// Key: a client's senders in some statuses (any when empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SendersOfClient(pub i64, pub Vec<SenderStatus>);

impl Loader<SendersOfClient> for StoreLoader {
    type Value = Vec<Sender>;
    type Error = Arc<StoreError>;
    async fn load(&self, keys: &[SendersOfClient]) -> LoadResult<SendersOfClient, Vec<Sender>> {
        let mut out = HashMap::new();
        let mut by_status: HashMap<&[SenderStatus], Vec<i64>> = HashMap::new();
        for key in keys {
            by_status.entry(&key.1).or_default().push(key.0);
        }
        for (status, ids) in by_status {
            let rows = self
                .0
                .senders_of_clients(&ids, status)
                .await
                .map_err(Arc::new)?;
            for (id, list) in group(&ids, rows, |r| r.client_id) {
                out.insert(SendersOfClient(id, status.to_vec()), list);
            }
        }
        Ok(out)
    }
}
