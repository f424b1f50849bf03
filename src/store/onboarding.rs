//! Onboarding writes: invitations, projects, senders and WABAs created or imported by
//! the onboarding flows, keyed by (provider, provider id) or (provider, Meta WABA id),
//! each creation appending its event in the same transaction (published after commit).
//! Status changes of existing rows never happen here: they go through
//! [`Store::apply_status_change`]. Also the per-client webhook token, the flow input
//! kept on an invitation, and the idempotency keys of `startOnboarding`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde_json::Value as Json;

use super::changes::{append_event, NewEvent};
use super::tables::{clients, invitations, projects, senders, wabas};
use super::{unique_violation, Store, StoreError};
use crate::domain::{
    ChangeSource, Invitation, InvitationStatus, NodeType, OnboardingFlow, Project, Provider, ProviderSender,
    ProviderWaba, Sender,
};

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

/// What an idempotency key already stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClaim {
    /// This call owns the key now.
    Claimed,
    /// Another call holds it: its request hash and, once done, its invitation.
    Held {
        /// Hash of the input the key was first used with.
        request_hash: String,
        /// The invitation, once the first call finished.
        invitation_id: Option<i64>,
    },
}

fn col(name: &'static str) -> Alias {
    Alias::new(name)
}

fn created(
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
    ) -> Result<(), StoreError> {
        let update = Query::update()
            .table(col("invitations"))
            .value(col("url"), url)
            .value(col("expires_at"), expires_at)
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

    /// The client's webhook token, created (unguessable, random) on first use.
    pub async fn client_webhook_token(&self, client_id: i64, fresh: &str) -> Result<String, StoreError> {
        let backend = self.db().get_database_backend();
        let set = Query::update()
            .table(col("clients"))
            .value(col("webhook_token"), fresh)
            .and_where(Expr::col(col("id")).eq(client_id))
            .and_where(Expr::col(col("webhook_token")).is_null())
            .to_owned();
        self.db().execute(backend.build(&set)).await?;
        let read = Query::select()
            .column(col("webhook_token"))
            .from(col("clients"))
            .and_where(Expr::col(col("id")).eq(client_id))
            .to_owned();
        let row = self.db().query_one(backend.build(&read)).await?.ok_or(StoreError::NotFound("client"))?;
        let token: Option<String> = row.try_get("", "webhook_token")?;
        token.ok_or(StoreError::NotFound("client"))
    }

    /// The invitation linked to this sender row.
    pub async fn invitation_of_sender(&self, sender_id: i64) -> Result<Option<Invitation>, StoreError> {
        let row =
            invitations::Entity::find().filter(invitations::Column::SenderId.eq(sender_id)).one(self.db()).await?;
        row.map(Invitation::try_from).transpose()
    }

    /// One sender.
    pub async fn sender(&self, id: i64) -> Result<Sender, StoreError> {
        self.senders_by_ids(&[id]).await?.into_iter().next().ok_or(StoreError::NotFound("sender"))
    }

    /// One project.
    pub async fn project(&self, id: i64) -> Result<Project, StoreError> {
        self.projects_by_ids(&[id]).await?.into_iter().next().ok_or(StoreError::NotFound("project"))
    }

    /// Delete a client this very call created, after its provider call failed.
    pub async fn delete_new_client(&self, client_id: i64) -> Result<(), StoreError> {
        clients::Entity::delete_by_id(client_id).exec(self.db()).await?;
        Ok(())
    }

    /// Claim `key` for a call with `request_hash`, or say who holds it.
    pub async fn claim_idempotency_key(&self, key: &str, request_hash: &str) -> Result<KeyClaim, StoreError> {
        let backend = self.db().get_database_backend();
        let insert = Query::insert()
            .into_table(col("idempotency_keys"))
            .columns([col("key"), col("request_hash"), col("created_at")])
            .values_panic([key.into(), request_hash.into(), Utc::now().into()])
            .to_owned();
        match self.db().execute(backend.build(&insert)).await {
            Ok(_) => return Ok(KeyClaim::Claimed),
            Err(e) => match unique_violation(e, "idempotencyKey") {
                StoreError::Duplicate(_) => {}
                other => return Err(other),
            },
        }
        let read = Query::select()
            .columns([col("request_hash"), col("invitation_id")])
            .from(col("idempotency_keys"))
            .and_where(Expr::col(col("key")).eq(key))
            .to_owned();
        match self.db().query_one(backend.build(&read)).await? {
            Some(row) => Ok(KeyClaim::Held {
                request_hash: row.try_get("", "request_hash")?,
                invitation_id: row.try_get("", "invitation_id")?,
            }),
            // Released between our insert and read: the caller retries.
            None => Ok(KeyClaim::Held { request_hash: request_hash.to_owned(), invitation_id: None }),
        }
    }

    /// Record the invitation a claimed key produced.
    pub async fn finish_idempotency_key(&self, key: &str, invitation_id: i64) -> Result<(), StoreError> {
        self.key_update(key, Some(invitation_id)).await
    }

    /// Give a claimed key back (the call failed; a retry may use it again).
    pub async fn release_idempotency_key(&self, key: &str) -> Result<(), StoreError> {
        self.key_update(key, None).await
    }

    async fn key_update(&self, key: &str, invitation_id: Option<i64>) -> Result<(), StoreError> {
        let backend = self.db().get_database_backend();
        let stmt = match invitation_id {
            Some(id) => backend.build(
                Query::update()
                    .table(col("idempotency_keys"))
                    .value(col("invitation_id"), id)
                    .and_where(Expr::col(col("key")).eq(key)),
            ),
            None => backend
                .build(Query::delete().from_table(col("idempotency_keys")).and_where(Expr::col(col("key")).eq(key))),
        };
        self.db().execute(stmt).await?;
        Ok(())
    }
}

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
