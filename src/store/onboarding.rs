//! Onboarding writes: invitations, projects, senders and WABAs created or imported by
//! the onboarding flows, keyed by (provider, provider id) or (provider, Meta WABA id),
//! each creation appending its event in the same transaction (published after commit).
//! Status changes of existing rows never happen here: they go through
//! [`Store::apply_status_change`]. Also the per-client webhook token, the flow input
//! kept on an invitation, and the idempotency keys of `startOnboarding`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::Value as Json;

use super::changes::{append_event, NewEvent};
use super::tables::{invitations, projects};
use super::{unique_violation, Store, StoreError};
use crate::domain::{ChangeSource, Invitation, InvitationStatus, NodeType, OnboardingFlow, Project, Provider};

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

pub(super) fn created(
    provider: Provider,
    node_type: NodeType,
    id: i64,
    client: Option<i64>,
    status: &str,
    source: ChangeSource,
) -> NewEvent {
    NewEvent {
        at: Utc::now(),
        provider: provider.as_str().to_owned(),
        node_type,
        node_id: id,
        client_id: client,
        field: "status",
        previous: None,
        new_value: status.to_owned(),
        source,
    }
}

impl Store {
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
        let entry =
            created(new.provider, NodeType::Invitation, model.id, Some(new.client_id), &model.status, new.source);
        let event = append_event(&txn, entry).await?;
        txn.commit().await?;
        self.publish([event.seq]);
        Invitation::try_from(model)
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
            .filter(invitations::Column::Provider.eq(provider.as_str()))
            .filter(invitations::Column::ProviderId.eq(id))
            .one(self.db())
            .await?;
        row.map(Invitation::try_from).transpose()
    }

    /// The invitations of project `project_id` (a row id) that are not final, newest first.
    pub async fn open_invitations_of_project(&self, project_id: i64) -> Result<Vec<Invitation>, StoreError> {
        self.open_invitations(invitations::Column::ProjectId.eq(project_id)).await
    }

    /// The invitations of client `client_id` at `provider` that are not final, newest first.
    pub async fn open_invitations_of_client(
        &self,
        client_id: i64,
        provider: Provider,
    ) -> Result<Vec<Invitation>, StoreError> {
        let filter =
            invitations::Column::ClientId.eq(client_id).and(invitations::Column::Provider.eq(provider.as_str()));
        self.open_invitations(filter).await
    }

    /// The invitations at `provider` that are not final, newest first.
    pub async fn open_invitations_of_provider(&self, provider: Provider) -> Result<Vec<Invitation>, StoreError> {
        self.open_invitations(invitations::Column::Provider.eq(provider.as_str())).await
    }

    async fn open_invitations(&self, filter: sea_orm::sea_query::SimpleExpr) -> Result<Vec<Invitation>, StoreError> {
        let rows = invitations::Entity::find()
            .filter(filter)
            .filter(invitations::Column::Status.is_not_in(InvitationStatus::TERMINAL.map(InvitationStatus::as_str)))
            .order_by_desc(invitations::Column::Id)
            .all(self.db())
            .await?;
        rows.into_iter().map(Invitation::try_from).collect()
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

    /// Find or insert a project by (provider, provider id). `seal` turns the new row id
    /// into the credentials ciphertext (bound to that row), inside the insert transaction.
    #[tracing::instrument(skip_all, fields(provider = %provider))]
    pub async fn upsert_project(
        &self,
        provider: Provider,
        client_id: Option<i64>,
        p: &crate::domain::ProviderProject,
        seal: Option<&(dyn Fn(i64) -> Option<Vec<u8>> + Send + Sync)>,
    ) -> Result<(Project, bool), StoreError> {
        if let Some(found) = self.project_by_provider_id(provider, &p.id).await? {
            return Ok((found, false));
        }
        let now = Utc::now();
        let txn = self.db().begin().await?;
        let model = projects::ActiveModel {
            client_id: Set(client_id),
            provider: Set(provider.as_str().to_owned()),
            provider_id: Set(Some(p.id.clone())),
            status: Set("ACTIVE".to_owned()),
            raw: Set(Some(p.raw.clone())),
            synced_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
            name: Set(p.name.clone()),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| unique_violation(e, "project"))?;
        let model = match seal {
            Some(seal) => {
                let mut row: projects::ActiveModel = model.into();
                let sealed = seal(*row.id.as_ref())
                    .ok_or_else(|| StoreError::Corrupt("credentials could not be sealed".into()))?;
                row.credentials = Set(Some(sealed));
                row.update(&txn).await?
            }
            None => model,
        };
        txn.commit().await?;
        Ok((Project::try_from(model)?, true))
    }

    /// The project with this provider id.
    pub async fn project_by_provider_id(&self, provider: Provider, id: &str) -> Result<Option<Project>, StoreError> {
        let row = projects::Entity::find()
            .filter(projects::Column::Provider.eq(provider.as_str()))
            .filter(projects::Column::ProviderId.eq(id))
            .one(self.db())
            .await?;
        row.map(Project::try_from).transpose()
    }

    /// The sealed credentials of a project.
    pub async fn project_credentials(&self, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let row = projects::Entity::find_by_id(id).one(self.db()).await?.ok_or(StoreError::NotFound("project"))?;
        Ok(row.credentials)
    }

    /// One sender.
    pub async fn sender(&self, id: i64) -> Result<crate::domain::Sender, StoreError> {
        self.senders_by_ids(&[id]).await?.into_iter().next().ok_or(StoreError::NotFound("sender"))
    }

    /// One project.
    pub async fn project(&self, id: i64) -> Result<Project, StoreError> {
        self.projects_by_ids(&[id]).await?.into_iter().next().ok_or(StoreError::NotFound("project"))
    }
}
