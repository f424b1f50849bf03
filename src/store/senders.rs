//! The `senders` table: lists and counts with filters, the batched lookups
//! DataLoaders use (by id, client, project, WABA), lookups by provider id and by owner,
//! and the senders the onboarding flows create or import, keyed by (provider, provider
//! id), filed under an owner by the rule in `ownership.rs`. A new row gets its creation
//! event in the same transaction (published after commit); status changes go through
//! [`Store::apply_status_change`].

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set, TransactionTrait};

use super::events::{append_event, NewEvent};
use super::lists::{count, list, load_in};
use super::ownership::{after_claim, claim, settle, Filed, Owner, Settle};
use super::page::{Page, PageArgs};
use super::tables::senders;
use super::{unique_violation, Clients, Store, StoreError};
use crate::domain::{ChangeSource, NodeType, Provider, ProviderSender, Sender, SenderStatus};

use senders::Column as C;

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
        Condition::all()
            .add_option(self.provider.map(|p| C::Provider.eq(p.as_str())))
            .add_option((!self.status.is_empty()).then(|| C::Status.is_in(self.status.iter().map(|s| s.as_str()))))
            .add_option(self.clients.condition(C::ClientId))
    }
}

impl Store {
    /// One page of senders, oldest first.
    pub async fn senders_page(&self, f: &SenderFilter, args: PageArgs) -> Result<Page<Sender>, StoreError> {
        list::<senders::Entity, _>(self, f.condition(), C::Id, args).await
    }

    /// How many senders match.
    pub async fn senders_count(&self, f: &SenderFilter) -> Result<u64, StoreError> {
        count::<senders::Entity>(self, f.condition(), C::Id).await
    }

    /// Senders with these ids.
    pub async fn senders_by_ids(&self, ids: &[i64]) -> Result<Vec<Sender>, StoreError> {
        load_in::<senders::Entity, _>(self, C::Id, ids, Condition::all(), C::Id).await
    }

    /// Senders of these clients in one of `status` (any when empty).
    pub async fn senders_of_clients(&self, ids: &[i64], status: &[SenderStatus]) -> Result<Vec<Sender>, StoreError> {
        let f = SenderFilter { status: status.to_vec(), ..Default::default() };
        load_in::<senders::Entity, _>(self, C::ClientId, ids, f.condition(), C::Id).await
    }

    /// Senders of these projects.
    pub async fn senders_of_projects(&self, ids: &[i64]) -> Result<Vec<Sender>, StoreError> {
        load_in::<senders::Entity, _>(self, C::ProjectId, ids, Condition::all(), C::Id).await
    }

    /// Senders of these wabas (row ids).
    pub async fn senders_of_wabas(&self, ids: &[i64]) -> Result<Vec<Sender>, StoreError> {
        load_in::<senders::Entity, _>(self, C::WabaId, ids, Condition::all(), C::Id).await
    }

    /// One sender.
    pub async fn sender(&self, id: i64) -> Result<Sender, StoreError> {
        self.senders_by_ids(&[id]).await?.into_iter().next().ok_or(StoreError::NotFound("sender"))
    }

    /// The sender with this provider id.
    pub async fn sender_by_provider_id(&self, provider: Provider, id: &str) -> Result<Option<Sender>, StoreError> {
        let row = senders::Entity::find()
            .filter(C::Provider.eq(provider.as_str()))
            .filter(C::ProviderId.eq(id))
            .one(self.db())
            .await?;
        row.map(Sender::try_from).transpose()
    }

    /// The clients owning a sender at `provider` with this provider id or this Meta
    /// phone-number id (checked before a flow names them to a provider).
    pub async fn sender_owners(
        &self,
        provider: Provider,
        provider_id: Option<&str>,
        phone_number_id: Option<&str>,
    ) -> Result<Vec<i64>, StoreError> {
        let mut either = Condition::any();
        if let Some(id) = provider_id {
            either = either.add(C::ProviderId.eq(id));
        }
        if let Some(id) = phone_number_id {
            either = either.add(C::PhoneNumberId.eq(id));
        }
        if either.is_empty() {
            return Ok(Vec::new());
        }
        let rows = senders::Entity::find()
            .filter(C::Provider.eq(provider.as_str()))
            .filter(either)
            .filter(C::ClientId.is_not_null())
            .all(self.db())
            .await?;
        Ok(rows.into_iter().filter_map(|r| r.client_id).collect())
    }

    /// Find or insert a sender by (provider, provider id) for `owner`; a new one gets
    /// its creation event. A sender another client owns is returned untouched.
    #[tracing::instrument(skip_all, fields(provider = %provider, sender = %s.id))]
    pub async fn upsert_sender(
        &self,
        provider: Provider,
        owner: Owner,
        s: &ProviderSender,
        source: ChangeSource,
    ) -> Result<Filed<Sender>, StoreError> {
        if let Some(found) = self.sender_by_provider_id(provider, &s.id).await? {
            return self.settle_sender(found, owner.client_id).await;
        }
        match self.insert_sender(provider, owner, s, source).await {
            Ok(row) => Ok(Filed::Ours(row, true)),
            // A concurrent call stored it first: settle with that row.
            Err(StoreError::Duplicate(_)) => {
                let found = self.sender_by_provider_id(provider, &s.id).await?.ok_or(StoreError::NotFound("sender"))?;
                self.settle_sender(found, owner.client_id).await
            }
            Err(e) => Err(e),
        }
    }

    async fn insert_sender(
        &self,
        provider: Provider,
        owner: Owner,
        s: &ProviderSender,
        source: ChangeSource,
    ) -> Result<Sender, StoreError> {
        let now = Utc::now();
        let txn = self.db().begin().await?;
        let model = senders::ActiveModel {
            client_id: Set(owner.client_id),
            project_id: Set(owner.project_id),
            waba_id: Set(owner.waba_id),
            provider: Set(provider.as_str().to_owned()),
            provider_id: Set(Some(s.id.clone())),
            status: Set(s.status.as_str().to_owned()),
            provider_status: Set(s.provider_status.clone()),
            raw: Set(Some(s.raw.clone())),
            synced_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
            phone_number: Set(s.phone_number.clone()),
            phone_number_id: Set(s.phone_number_id.clone()),
            display_name: Set(s.display_name.clone()),
            status_reason: Set(s.status_reason.clone()),
            region: Set(s.region.clone()),
            quality_rating: Set(s.quality_rating.clone()),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| unique_violation(e, "sender"))?;
        let entry = NewEvent::created(provider, NodeType::Sender, model.id, owner.client_id, &model.status, source);
        let event = append_event(&txn, entry).await?;
        txn.commit().await?;
        self.publish([event.seq]);
        Sender::try_from(model)
    }

    /// Keep an existing sender with its owner; claim it for `wanted` only when it has none.
    async fn settle_sender(&self, found: Sender, wanted: Option<i64>) -> Result<Filed<Sender>, StoreError> {
        match settle(found.client_id, wanted) {
            Settle::Keep => return Ok(Filed::Ours(found, false)),
            Settle::Elsewhere => return Ok(Filed::Elsewhere(found)),
            Settle::Claim(client) => {
                claim::<senders::Entity>(self, [C::Id, C::ClientId, C::UpdatedAt], found.id, client).await?
            }
        }
        let now = self.sender(found.id).await?;
        let owner = now.client_id;
        Ok(after_claim(now, owner, wanted))
    }
}
