//! Senders and WABAs the onboarding flows create or import, keyed by (provider,
//! provider id) and (provider, Meta WABA id). A new row gets its creation event in the
//! same transaction (published after commit); status changes of existing rows go
//! through [`Store::apply_status_change`].
//!
//! Each such row belongs to at most one client. Filing a row under an owner never moves
//! it away from another client: a row owned by nobody (imported by a sync) is claimed
//! with a guarded update, a row another client owns comes back as
//! [`Filed::Elsewhere`], untouched, for the flow to refuse or leave alone.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set, TransactionTrait};

use super::changes::append_event;
use super::onboarding::created;
use super::tables::{invitations, senders, wabas};
use super::{unique_violation, Store, StoreError};
use crate::domain::{ChangeSource, Invitation, NodeType, Provider, ProviderSender, ProviderWaba, Sender, Waba};

/// Who a new sender or WABA belongs to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Owner {
    /// Client row.
    pub client_id: Option<i64>,
    /// Project row.
    pub project_id: Option<i64>,
    /// WABA row (senders only).
    pub waba_id: Option<i64>,
}

/// Where a sender or WABA ended up when a flow filed it under an [`Owner`].
#[derive(Debug)]
pub enum Filed<T> {
    /// The owner's: found (already its own, or owned by no client and now claimed; or
    /// any row when the owner names no client) or created (`true`).
    Ours(T, bool),
    /// Another client owns it; nothing was changed.
    Elsewhere(T),
}

enum Settle {
    Keep,
    Claim(i64),
    Elsewhere,
}

/// What filing a row owned by `current` under `wanted` does.
fn settle(current: Option<i64>, wanted: Option<i64>) -> Settle {
    match (current, wanted) {
        (_, None) => Settle::Keep,
        (Some(c), Some(w)) if c == w => Settle::Keep,
        (None, Some(w)) => Settle::Claim(w),
        (Some(_), Some(_)) => Settle::Elsewhere,
    }
}

impl Store {
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
        let event =
            append_event(&txn, created(provider, NodeType::Sender, model.id, owner.client_id, &model.status, source))
                .await?;
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
                senders::Entity::update_many()
                    .col_expr(senders::Column::ClientId, Expr::value(client))
                    .col_expr(senders::Column::UpdatedAt, Expr::value(Utc::now()))
                    .filter(senders::Column::Id.eq(found.id))
                    .filter(senders::Column::ClientId.is_null())
                    .exec(self.db())
                    .await?;
            }
        }
        // Whoever won the guarded update owns it now.
        let now = self.sender(found.id).await?;
        Ok(if now.client_id == wanted { Filed::Ours(now, false) } else { Filed::Elsewhere(now) })
    }

    /// The sender with this provider id.
    pub async fn sender_by_provider_id(&self, provider: Provider, id: &str) -> Result<Option<Sender>, StoreError> {
        let row = senders::Entity::find()
            .filter(senders::Column::Provider.eq(provider.as_str()))
            .filter(senders::Column::ProviderId.eq(id))
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
            either = either.add(senders::Column::ProviderId.eq(id));
        }
        if let Some(id) = phone_number_id {
            either = either.add(senders::Column::PhoneNumberId.eq(id));
        }
        if either.is_empty() {
            return Ok(Vec::new());
        }
        let rows = senders::Entity::find()
            .filter(senders::Column::Provider.eq(provider.as_str()))
            .filter(either)
            .filter(senders::Column::ClientId.is_not_null())
            .all(self.db())
            .await?;
        Ok(rows.into_iter().filter_map(|r| r.client_id).collect())
    }

    /// The client owning the WABA (provider, Meta WABA id), if it is stored and owned.
    pub async fn waba_owner(&self, provider: Provider, waba_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.waba_by_meta_id(provider, waba_id).await?.and_then(|w| w.client_id))
    }

    async fn waba_by_meta_id(&self, provider: Provider, waba_id: &str) -> Result<Option<Waba>, StoreError> {
        let row = wabas::Entity::find()
            .filter(wabas::Column::Provider.eq(provider.as_str()))
            .filter(wabas::Column::WabaId.eq(waba_id))
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
        let status = w.map_or(crate::domain::WabaStatus::Onboarded, |w| w.status);
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
        let event =
            append_event(&txn, created(provider, NodeType::Waba, model.id, owner.client_id, &model.status, source))
                .await?;
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
                wabas::Entity::update_many()
                    .col_expr(wabas::Column::ClientId, Expr::value(client))
                    .col_expr(wabas::Column::UpdatedAt, Expr::value(Utc::now()))
                    .filter(wabas::Column::Id.eq(found.id))
                    .filter(wabas::Column::ClientId.is_null())
                    .exec(self.db())
                    .await?;
            }
        }
        let row = wabas::Entity::find_by_id(found.id).one(self.db()).await?.ok_or(StoreError::NotFound("waba"))?;
        let now = Waba::try_from(row)?;
        Ok(if now.client_id == wanted { Filed::Ours(now, false) } else { Filed::Elsewhere(now) })
    }

    /// The invitation linked to this sender row.
    pub async fn invitation_of_sender(&self, sender_id: i64) -> Result<Option<Invitation>, StoreError> {
        let row =
            invitations::Entity::find().filter(invitations::Column::SenderId.eq(sender_id)).one(self.db()).await?;
        row.map(Invitation::try_from).transpose()
    }
}
