//! The `wabas` table: lists and counts, the batched lookups DataLoaders use (by id,
//! client, project), the owner of a Meta WABA id, and the WABAs the onboarding flows
//! create or import, keyed by (provider, Meta WABA id), filed under an owner by the
//! rule in `ownership.rs`. A new row gets its creation event in the same transaction;
//! status changes go through [`Store::apply_status_change`].

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set, TransactionTrait};

use super::events::{append_event, NewEvent};
use super::lists::{count, list, load_in, OwnedFilter};
use super::ownership::{after_claim, claim, settle, Filed, Owner, Settle};
use super::page::{Page, PageArgs};
use super::tables::wabas;
use super::{unique_violation, Store, StoreError};
use crate::domain::{ChangeSource, NodeType, Provider, ProviderWaba, Waba, WabaStatus};

use wabas::Column as C;

impl Store {
    /// One page of wabas, oldest first.
    pub async fn wabas_page(&self, f: &OwnedFilter, args: PageArgs) -> Result<Page<Waba>, StoreError> {
        list::<wabas::Entity, _>(self, f.condition(C::Provider, C::ClientId), C::Id, args).await
    }

    /// How many wabas match.
    pub async fn wabas_count(&self, f: &OwnedFilter) -> Result<u64, StoreError> {
        count::<wabas::Entity>(self, f.condition(C::Provider, C::ClientId), C::Id).await
    }

    /// Wabas with these ids.
    pub async fn wabas_by_ids(&self, ids: &[i64]) -> Result<Vec<Waba>, StoreError> {
        load_in::<wabas::Entity, _>(self, C::Id, ids, Condition::all(), C::Id).await
    }

    /// Wabas of these clients.
    pub async fn wabas_of_clients(&self, ids: &[i64]) -> Result<Vec<Waba>, StoreError> {
        load_in::<wabas::Entity, _>(self, C::ClientId, ids, Condition::all(), C::Id).await
    }

    /// Wabas of these projects.
    pub async fn wabas_of_projects(&self, ids: &[i64]) -> Result<Vec<Waba>, StoreError> {
        load_in::<wabas::Entity, _>(self, C::ProjectId, ids, Condition::all(), C::Id).await
    }

    /// The client owning the WABA (provider, Meta WABA id), if it is stored and owned.
    pub async fn waba_owner(&self, provider: Provider, waba_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.waba_by_meta_id(provider, waba_id).await?.and_then(|w| w.client_id))
    }

    async fn waba_by_meta_id(&self, provider: Provider, waba_id: &str) -> Result<Option<Waba>, StoreError> {
        let row = wabas::Entity::find()
            .filter(C::Provider.eq(provider.as_str()))
            .filter(C::WabaId.eq(waba_id))
            .one(self.db())
            .await?;
        row.map(Waba::try_from).transpose()
    }

    /// Find or insert a WABA by (provider, Meta WABA id) for `owner`; a new one gets its
    /// creation event. A WABA another client owns is returned untouched.
    #[tracing::instrument(skip_all, fields(provider = %provider))]
    pub async fn upsert_waba(
        &self,
        provider: Provider,
        owner: Owner,
        waba_id: &str,
        w: Option<&ProviderWaba>,
        source: ChangeSource,
    ) -> Result<Filed<Waba>, StoreError> {
        if let Some(found) = self.waba_by_meta_id(provider, waba_id).await? {
            return self.settle_waba(found, owner.client_id).await;
        }
        match self.insert_waba(provider, owner, waba_id, w, source).await {
            Ok(row) => Ok(Filed::Ours(row, true)),
            // A concurrent call stored it first: settle with that row.
            Err(StoreError::Duplicate(_)) => {
                let found = self.waba_by_meta_id(provider, waba_id).await?.ok_or(StoreError::NotFound("waba"))?;
                self.settle_waba(found, owner.client_id).await
            }
            Err(e) => Err(e),
        }
    }

    async fn insert_waba(
        &self,
        provider: Provider,
        owner: Owner,
        waba_id: &str,
        w: Option<&ProviderWaba>,
        source: ChangeSource,
    ) -> Result<Waba, StoreError> {
        let status = w.map_or(WabaStatus::Onboarded, |w| w.status);
        let now = Utc::now();
        let txn = self.db().begin().await?;
        let model = wabas::ActiveModel {
            client_id: Set(owner.client_id),
            project_id: Set(owner.project_id),
            provider: Set(provider.as_str().to_owned()),
            provider_id: Set(Some(waba_id.to_owned())),
            status: Set(status.as_str().to_owned()),
            provider_status: Set(w.and_then(|w| w.provider_status.clone())),
            raw: Set(w.map(|w| w.raw.clone())),
            synced_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
            waba_id: Set(waba_id.to_owned()),
            name: Set(w.and_then(|w| w.name.clone())),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| unique_violation(e, "waba"))?;
        let entry = NewEvent::created(provider, NodeType::Waba, model.id, owner.client_id, &model.status, source);
        let event = append_event(&txn, entry).await?;
        txn.commit().await?;
        self.publish([event.seq]);
        model.try_into()
    }

    /// Keep an existing WABA with its owner; claim it for `wanted` only when it has none.
    async fn settle_waba(&self, found: Waba, wanted: Option<i64>) -> Result<Filed<Waba>, StoreError> {
        match settle(found.client_id, wanted) {
            Settle::Keep => return Ok(Filed::Ours(found, false)),
            Settle::Elsewhere => return Ok(Filed::Elsewhere(found)),
            Settle::Claim(client) => {
                claim::<wabas::Entity>(self, [C::Id, C::ClientId, C::UpdatedAt], found.id, client).await?
            }
        }
        let now = self.wabas_by_ids(&[found.id]).await?.into_iter().next().ok_or(StoreError::NotFound("waba"))?;
        let owner = now.client_id;
        Ok(after_claim(now, owner, wanted))
    }
}
