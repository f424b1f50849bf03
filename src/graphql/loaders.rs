//! The batch keys: every relation between nodes loads through one of these, so one
//! level of a document costs one query per relation (see `batch.rs`).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use super::batch::{BatchKey, BatchResult};
use crate::domain::{Client, Invitation, Project, Sender, SenderStatus, Waba};
use crate::store::{ClientFilter, InvitationFilter, OwnedFilter, Page, PageArgs, SenderFilter, Store};

/// Group `items` into lists keyed by `key_of`, with an empty list for every requested key.
fn group<K: Eq + Hash + Clone, V>(keys: &[K], items: Vec<V>, key_of: impl Fn(&V) -> Option<K>) -> HashMap<K, Vec<V>> {
    let mut map: HashMap<K, Vec<V>> = keys.iter().map(|k| (k.clone(), Vec::new())).collect();
    for item in items {
        if let Some(list) = key_of(&item).and_then(|k| map.get_mut(&k)) {
            list.push(item);
        }
    }
    map
}

/// Rows shared, not copied, by every request that reads them (from the load cache too).
fn shared<T>(rows: Vec<T>) -> Vec<Arc<T>> {
    rows.into_iter().map(Arc::new).collect()
}

/// Defines a key newtype: a node by id, or the list of children by parent id.
macro_rules! key {
    (by_id $key:ident => $value:ty, $fetch:ident) => {
        #[doc = concat!("Key: the row id of a `", stringify!($value), "`.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub i64);

        impl BatchKey for $key {
            type Value = Arc<$value>;
            async fn load(store: &Store, keys: &[Self]) -> BatchResult<HashMap<Self, Arc<$value>>> {
                let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
                let rows = store.$fetch(&ids).await.map_err(Arc::new)?;
                Ok(rows.into_iter().map(|r| ($key(r.id), Arc::new(r))).collect())
            }
        }
    };
    (page $key:ident => $value:ty, $filter:ty, $fetch:ident) => {
        #[doc = concat!("Key: one page of the top-level `", stringify!($value), "` list (one statement, as")]
        /// before; as a key, the load cache can keep it).
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $key(pub $filter, pub PageArgs);

        impl BatchKey for $key {
            type Value = Page<Arc<$value>>;
            async fn load(store: &Store, keys: &[Self]) -> BatchResult<HashMap<Self, Page<Arc<$value>>>> {
                let mut out = HashMap::new();
                for key in keys {
                    let page = store.$fetch(&key.0, key.1).await.map_err(Arc::new)?;
                    out.insert(key.clone(), Page { items: shared(page.items), has_next: page.has_next });
                }
                Ok(out)
            }
            fn rows(value: &Page<Arc<$value>>) -> usize {
                value.items.len()
            }
        }
    };
    (children $key:ident => $value:ty, $fetch:ident, $parent:ident) => {
        #[doc = concat!("Key: a parent row id, loading its `", stringify!($value), "` list.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub i64);

        impl BatchKey for $key {
            type Value = Vec<Arc<$value>>;
            async fn load(store: &Store, keys: &[Self]) -> BatchResult<HashMap<Self, Vec<Arc<$value>>>> {
                let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
                let rows = store.$fetch(&ids).await.map_err(Arc::new)?;
                Ok(group(keys, shared(rows), |r| r.$parent.map($key)))
            }
            fn rows(value: &Vec<Arc<$value>>) -> usize {
                value.len()
            }
        }
    };
}

key!(by_id ClientId => Client, clients_by_ids);
key!(by_id ProjectId => Project, projects_by_ids);
key!(by_id InvitationId => Invitation, invitations_by_ids);
key!(by_id SenderId => Sender, senders_by_ids);
key!(by_id WabaId => Waba, wabas_by_ids);
key!(page ClientsPage => Client, ClientFilter, clients_page);
key!(page InvitationsPage => Invitation, InvitationFilter, invitations_page);
key!(page SendersPage => Sender, SenderFilter, senders_page);
key!(page WabasPage => Waba, OwnedFilter, wabas_page);
key!(page ProjectsPage => Project, OwnedFilter, projects_page);
key!(children ProjectsOfClient => Project, projects_of_clients, client_id);
key!(children WabasOfClient => Waba, wabas_of_clients, client_id);
key!(children SendersOfProject => Sender, senders_of_projects, project_id);
key!(children WabasOfProject => Waba, wabas_of_projects, project_id);
key!(children SendersOfWaba => Sender, senders_of_wabas, waba_id);

/// Key: a client's invitations matching a filter (its `client_id` is the parent).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InvitationsOfClient(pub i64, pub InvitationFilter);

impl BatchKey for InvitationsOfClient {
    type Value = Vec<Arc<Invitation>>;
    async fn load(store: &Store, keys: &[Self]) -> BatchResult<HashMap<Self, Vec<Arc<Invitation>>>> {
        // One query per distinct filter; a page of clients normally shares one.
        let mut by_filter: HashMap<&InvitationFilter, Vec<i64>> = HashMap::new();
        for key in keys {
            by_filter.entry(&key.1).or_default().push(key.0);
        }
        let mut out = HashMap::new();
        for (filter, ids) in by_filter {
            let rows = store.invitations_of_clients(&ids, filter).await.map_err(Arc::new)?;
            for (id, list) in group(&ids, shared(rows), |r| Some(r.client_id)) {
                out.insert(InvitationsOfClient(id, filter.clone()), list);
            }
        }
        Ok(out)
    }
    fn rows(value: &Vec<Arc<Invitation>>) -> usize {
        value.len()
    }
}

/// Key: a client's senders in some statuses (any when empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SendersOfClient(pub i64, pub Vec<SenderStatus>);

impl BatchKey for SendersOfClient {
    type Value = Vec<Arc<Sender>>;
    async fn load(store: &Store, keys: &[Self]) -> BatchResult<HashMap<Self, Vec<Arc<Sender>>>> {
        let mut by_status: HashMap<&[SenderStatus], Vec<i64>> = HashMap::new();
        for key in keys {
            by_status.entry(&key.1).or_default().push(key.0);
        }
        let mut out = HashMap::new();
        for (status, ids) in by_status {
            let rows = store.senders_of_clients(&ids, status).await.map_err(Arc::new)?;
            for (id, list) in group(&ids, shared(rows), |r| r.client_id) {
                out.insert(SendersOfClient(id, status.to_vec()), list);
            }
        }
        Ok(out)
    }
    fn rows(value: &Vec<Arc<Sender>>) -> usize {
        value.len()
    }
}
