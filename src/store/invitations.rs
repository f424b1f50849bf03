//! The `invitations` table: lists and counts with filters, the batched lookups
//! DataLoaders use, lookups by provider id and by sender, the open invitations the
//! flows and syncs walk, and the writes of the onboarding flows (insert with its
//! creation event, links to project/sender/WABA, a renewed link). Status changes go
//! through [`Store::apply_status_change`], never here.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde_json::Value as Json;

use super::events::{append_event, NewEvent};
use super::lists::{count, list, load_in};
use super::page::{Page, PageArgs};
use super::tables::invitations;
use super::{unique_violation, Clients, Store, StoreError};
use crate::domain::{ChangeSource, Invitation, InvitationStatus, NodeType, OnboardingFlow, Provider};

use invitations::Column as C;

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
        Condition::all()
            .add_option(self.provider.map(|p| C::Provider.eq(p.as_str())))
            .add_option((!self.status.is_empty()).then(|| C::Status.is_in(self.status.iter().map(|s| s.as_str()))))
            .add_option(self.clients.condition(C::ClientId))
    }
}

/// An invitation about to be stored.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    /// Owner.
    pub client_id: i64,
    /// Provider project row, if any.
    pub project_id: Option<i64>,
    /// Provider.
    pub provider: Provider,
    /// Provider id (none for local sessions).
    pub provider_id: Option<String>,
    /// Flow.
    pub flow: OnboardingFlow,
    /// Link for the customer.
    pub url: Option<String>,
    /// Initial status.
    pub status: InvitationStatus,
    /// Provider status text.
    pub provider_status: Option<String>,
    /// Link expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// Flow input needed in later steps (never secrets).
    pub params: Option<Json>,
    /// Provider payload.
    pub raw: Option<Json>,
    /// What created it.
    pub source: ChangeSource,
}

fn col(name: &'static str) -> Alias {
    Alias::new(name)
}

impl Store {
    /// One page of invitations, oldest first.
    pub async fn invitations_page(&self, f: &InvitationFilter, args: PageArgs) -> Result<Page<Invitation>, StoreError> {
        list::<invitations::Entity, _>(self, f.condition(), C::Id, args).await
    }

    /// How many invitations match.
    pub async fn invitations_count(&self, f: &InvitationFilter) -> Result<u64, StoreError> {
        count::<invitations::Entity>(self, f.condition(), C::Id).await
    }

    /// Invitations with these ids.
    pub async fn invitations_by_ids(&self, ids: &[i64]) -> Result<Vec<Invitation>, StoreError> {
        load_in::<invitations::Entity, _>(self, C::Id, ids, Condition::all(), C::Id).await
    }

    /// Invitations of these clients matching `f` (its `clients` is ignored), oldest first.
    pub async fn invitations_of_clients(
        &self,
        ids: &[i64],
        f: &InvitationFilter,
    ) -> Result<Vec<Invitation>, StoreError> {
        let f = InvitationFilter { clients: Clients::All, ..f.clone() };
        load_in::<invitations::Entity, _>(self, C::ClientId, ids, f.condition(), C::Id).await
    }

    /// One invitation.
    pub async fn invitation(&self, id: i64) -> Result<Invitation, StoreError> {
        self.invitations_by_ids(&[id]).await?.into_iter().next().ok_or(StoreError::NotFound("invitation"))
    }

    /// The invitation with this provider id.
    pub async fn invitation_by_provider_id(
        &self,
        provider: Provider,
        id: &str,
    ) -> Result<Option<Invitation>, StoreError> {
        let row = invitations::Entity::find()
            .filter(C::Provider.eq(provider.as_str()))
            .filter(C::ProviderId.eq(id))
            .one(self.db())
            .await?;
        row.map(Invitation::try_from).transpose()
    }

    /// The invitation linked to this sender row.
    pub async fn invitation_of_sender(&self, sender_id: i64) -> Result<Option<Invitation>, StoreError> {
        let row = invitations::Entity::find().filter(C::SenderId.eq(sender_id)).one(self.db()).await?;
        row.map(Invitation::try_from).transpose()
    }

    /// The invitations of project `project_id` (a row id) that are not final, newest first.
    pub async fn open_invitations_of_project(&self, project_id: i64) -> Result<Vec<Invitation>, StoreError> {
        self.open_invitations(C::ProjectId.eq(project_id)).await
    }

    /// The invitations of client `client_id` at `provider` that are not final, newest first.
    pub async fn open_invitations_of_client(
        &self,
        client_id: i64,
        provider: Provider,
    ) -> Result<Vec<Invitation>, StoreError> {
        self.open_invitations(C::ClientId.eq(client_id).and(C::Provider.eq(provider.as_str()))).await
    }

    /// The invitations at `provider` that are not final, newest first.
    pub async fn open_invitations_of_provider(&self, provider: Provider) -> Result<Vec<Invitation>, StoreError> {
        self.open_invitations(C::Provider.eq(provider.as_str())).await
    }

    async fn open_invitations(&self, filter: sea_orm::sea_query::SimpleExpr) -> Result<Vec<Invitation>, StoreError> {
        let rows = invitations::Entity::find()
            .filter(filter)
            .filter(C::Status.is_not_in(InvitationStatus::TERMINAL.map(InvitationStatus::as_str)))
            .order_by_desc(C::Id)
            .all(self.db())
            .await?;
        rows.into_iter().map(Invitation::try_from).collect()
    }

    /// The flow input stored with an invitation.
    pub async fn invitation_params(&self, id: i64) -> Result<Json, StoreError> {
        let q = Query::select()
            .column(col("params"))
            .from(col("invitations"))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        let row = self.db().query_one(self.db().get_database_backend().build(&q)).await?;
        let params: Option<Json> = match row {
            Some(r) => r.try_get("", "params")?,
            None => return Err(StoreError::NotFound("invitation")),
        };
        Ok(params.unwrap_or(Json::Null))
    }

    /// Insert an invitation and its creation event.
    #[tracing::instrument(skip_all, fields(provider = %new.provider))]
    pub async fn insert_invitation(&self, new: NewInvitation) -> Result<Invitation, StoreError> {
        let now = Utc::now();
        let txn = self.db().begin().await?;
        let model = invitations::ActiveModel {
            client_id: Set(new.client_id),
            project_id: Set(new.project_id),
            provider: Set(new.provider.as_str().to_owned()),
            provider_id: Set(new.provider_id),
            status: Set(new.status.as_str().to_owned()),
            provider_status: Set(new.provider_status),
            raw: Set(new.raw),
            synced_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
            flow: Set(new.flow.as_str().to_owned()),
            url: Set(new.url),
            expires_at: Set(new.expires_at),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| unique_violation(e, "invitation"))?;
        if let Some(params) = new.params {
            let update = Query::update()
                .table(col("invitations"))
                .value(col("params"), params)
                .and_where(Expr::col(col("id")).eq(model.id))
                .to_owned();
            txn.execute(txn.get_database_backend().build(&update)).await?;
        }
        let entry = NewEvent::created(
            new.provider,
            NodeType::Invitation,
            model.id,
            Some(new.client_id),
            &model.status,
            new.source,
        );
        let event = append_event(&txn, entry).await?;
        txn.commit().await?;
        self.publish([event.seq]);
        Invitation::try_from(model)
    }

    /// Link an invitation to its project, sender and WABA rows (never unlinks).
    pub async fn link_invitation(
        &self,
        id: i64,
        project_id: Option<i64>,
        sender_id: Option<i64>,
        waba_id: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut update = Query::update();
        update.table(col("invitations")).value(col("updated_at"), Utc::now()).and_where(Expr::col(col("id")).eq(id));
        for (name, value) in [("project_id", project_id), ("sender_id", sender_id), ("waba_id", waba_id)] {
            if let Some(v) = value {
                update.value(col(name), v);
            }
        }
        self.db().execute(self.db().get_database_backend().build(&update)).await?;
        Ok(())
    }

    /// A fresh link for an invitation (SendZen renew).
    pub async fn set_invitation_url(
        &self,
        id: i64,
        url: Option<String>,
        expires_at: Option<DateTime<Utc>>,
        raw: Option<Json>,
    ) -> Result<(), StoreError> {
        let update = Query::update()
            .table(col("invitations"))
            .value(col("url"), url)
            .value(col("expires_at"), expires_at)
            .value(col("raw"), raw)
            .value(col("updated_at"), Utc::now())
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        self.db().execute(self.db().get_database_backend().build(&update)).await?;
        Ok(())
    }
}
