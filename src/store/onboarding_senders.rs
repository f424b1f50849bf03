//! Senders and WABAs the onboarding flows create or import, keyed by (provider,
//! provider id) and (provider, Meta WABA id). A new row gets its creation event in the
//! same transaction (published after commit); status changes of existing rows go
//! through [`Store::apply_status_change`].

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

use super::changes::append_event;
use super::onboarding::created;
use super::tables::{invitations, senders, wabas};
use super::{unique_violation, Store, StoreError};
use crate::domain::{ChangeSource, Invitation, NodeType, Provider, ProviderSender, ProviderWaba, Sender};

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

impl Store {
    /// Find or insert a sender by (provider, provider id); a new one gets its creation event.
    #[tracing::instrument(skip_all, fields(provider = %provider, sender = %s.id))]
    pub async fn upsert_sender(
        &self,
        provider: Provider,
        owner: Owner,
        s: &ProviderSender,
        source: ChangeSource,
    ) -> Result<(Sender, bool), StoreError> {
        if let Some(found) = self.sender_by_provider_id(provider, &s.id).await? {
            return Ok((found, false));
        }
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
        Ok((Sender::try_from(model)?, true))
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

    /// Find or insert a WABA by (provider, Meta WABA id); a new one gets its creation event.
    #[tracing::instrument(skip_all, fields(provider = %provider))]
    pub async fn upsert_waba(
        &self,
        provider: Provider,
        owner: Owner,
        waba_id: &str,
        w: Option<&ProviderWaba>,
        source: ChangeSource,
    ) -> Result<(crate::domain::Waba, bool), StoreError> {
        let found = wabas::Entity::find()
            .filter(wabas::Column::Provider.eq(provider.as_str()))
            .filter(wabas::Column::WabaId.eq(waba_id))
            .one(self.db())
            .await?;
        if let Some(found) = found {
            return Ok((found.try_into()?, false));
        }
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
        Ok((model.try_into()?, true))
    }

    /// The invitation linked to this sender row.
    pub async fn invitation_of_sender(&self, sender_id: i64) -> Result<Option<Invitation>, StoreError> {
        let row =
            invitations::Entity::find().filter(invitations::Column::SenderId.eq(sender_id)).one(self.db()).await?;
        row.map(Invitation::try_from).transpose()
    }
}
