//! The `clients` table: create, update, look up (by id, external id, webhook token),
//! list and count with filters; the per-client webhook token (SendZen per-client
//! webhooks); and removing a client a failed `startOnboarding` created.

use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, Func, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set,
};

use super::page::{self, Page, PageArgs};
use super::tables::{clients, invitations, projects, senders};
use super::{unique_violation, Clients, Store, StoreError};
use crate::domain::{Client, ClientDraft, InvitationStatus, Provider};

/// Filters of the `clients` list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ClientFilter {
    /// Only these clients (client-scoped callers).
    pub clients: Clients,
    /// Case-insensitive substring of name, email or external id.
    pub search: Option<String>,
    /// Only clients with an invitation, project or sender at this provider.
    pub provider: Option<Provider>,
    /// Only clients with an invitation in one of these statuses.
    pub invitation_status: Vec<InvitationStatus>,
}

impl ClientFilter {
    fn condition(&self) -> Condition {
        let mut cond = Condition::all().add_option(self.clients.condition(clients::Column::Id));
        if let Some(search) = self.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
            let like = |col: clients::Column| -> SimpleExpr {
                Expr::expr(Func::lower(Expr::col(col))).like(sea_orm::sea_query::LikeExpr::new(&pattern).escape('\\'))
            };
            cond = cond.add(
                Condition::any()
                    .add(like(clients::Column::Name))
                    .add(like(clients::Column::Email))
                    .add(like(clients::Column::ExternalId)),
            );
        }
        if let Some(provider) = self.provider {
            let p = provider.as_str();
            cond = cond.add(
                Condition::any()
                    .add(
                        clients::Column::Id.in_subquery(
                            Query::select()
                                .column(invitations::Column::ClientId)
                                .from(invitations::Entity)
                                .and_where(invitations::Column::Provider.eq(p))
                                .to_owned(),
                        ),
                    )
                    .add(
                        clients::Column::Id.in_subquery(
                            Query::select()
                                .column(projects::Column::ClientId)
                                .from(projects::Entity)
                                .and_where(projects::Column::Provider.eq(p))
                                .to_owned(),
                        ),
                    )
                    .add(
                        clients::Column::Id.in_subquery(
                            Query::select()
                                .column(senders::Column::ClientId)
                                .from(senders::Entity)
                                .and_where(senders::Column::Provider.eq(p))
                                .to_owned(),
                        ),
                    ),
            );
        }
        if !self.invitation_status.is_empty() {
            let statuses = self.invitation_status.iter().map(|s| s.as_str());
            cond = cond.add(
                clients::Column::Id.in_subquery(
                    Query::select()
                        .column(invitations::Column::ClientId)
                        .from(invitations::Entity)
                        .and_where(invitations::Column::Status.is_in(statuses))
                        .to_owned(),
                ),
            );
        }
        cond
    }
}

/// The `webhook_token` column is not in the table model (lists never read it).
fn col(name: &'static str) -> Alias {
    Alias::new(name)
}

/// Escape `%`, `_` and the escape character itself for a LIKE pattern.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl Store {
    /// Insert a validated client. A taken `externalId` is [`StoreError::Duplicate`].
    #[tracing::instrument(skip_all)]
    pub async fn create_client(&self, draft: ClientDraft) -> Result<Client, StoreError> {
        let now = Utc::now();
        let row = clients::ActiveModel {
            external_id: Set(draft.external_id),
            name: Set(draft.name),
            email: Set(draft.email),
            phone: Set(draft.phone),
            labels: Set(draft.labels),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        let model = row.insert(self.db()).await.map_err(|e| unique_violation(e, "externalId"))?;
        Ok(model.into())
    }

    /// Replace a client's fields with a validated draft.
    #[tracing::instrument(skip_all, fields(client_id = id))]
    pub async fn update_client(&self, id: i64, draft: ClientDraft) -> Result<Client, StoreError> {
        let row = clients::ActiveModel {
            id: Set(id),
            external_id: Set(draft.external_id),
            name: Set(draft.name),
            email: Set(draft.email),
            phone: Set(draft.phone),
            labels: Set(draft.labels),
            updated_at: Set(Utc::now()),
            ..Default::default()
        };
        match row.update(self.db()).await {
            Ok(model) => Ok(model.into()),
            Err(sea_orm::DbErr::RecordNotUpdated) => Err(StoreError::NotFound("client")),
            Err(e) => Err(unique_violation(e, "externalId")),
        }
    }

    /// Clients with these ids (missing ids are simply absent).
    pub async fn clients_by_ids(&self, ids: &[i64]) -> Result<Vec<Client>, StoreError> {
        let rows =
            clients::Entity::find().filter(clients::Column::Id.is_in(ids.iter().copied())).all(self.db()).await?;
        Ok(rows.into_iter().map(Client::from).collect())
    }

    /// The client with this external id.
    pub async fn client_by_external_id(&self, external_id: &str) -> Result<Option<Client>, StoreError> {
        let row = clients::Entity::find().filter(clients::Column::ExternalId.eq(external_id)).one(self.db()).await?;
        Ok(row.map(Client::from))
    }

    /// One page of clients, oldest first.
    pub async fn clients_page(&self, filter: &ClientFilter, args: PageArgs) -> Result<Page<Client>, StoreError> {
        let select = clients::Entity::find().filter(filter.condition());
        let page = page::fetch(self.db(), select, clients::Column::Id, args).await?;
        Ok(Page { items: page.items.into_iter().map(Client::from).collect(), has_next: page.has_next })
    }

    /// How many clients match `filter`.
    pub async fn clients_count(&self, filter: &ClientFilter) -> Result<u64, StoreError> {
        Ok(clients::Entity::find()
            .filter(filter.condition())
            .order_by_asc(clients::Column::Id)
            .count(self.db())
            .await?)
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

    /// The client whose webhook URL carries `token` (SendZen per-client webhooks).
    pub async fn client_by_webhook_token(&self, token: &str) -> Result<Option<Client>, StoreError> {
        let read = Query::select()
            .column(col("id"))
            .from(col("clients"))
            .and_where(Expr::col(col("webhook_token")).eq(token))
            .to_owned();
        let Some(row) = self.db().query_one(self.db().get_database_backend().build(&read)).await? else {
            return Ok(None);
        };
        let id: i64 = row.try_get("", "id")?;
        Ok(self.clients_by_ids(&[id]).await?.into_iter().next())
    }

    /// Delete a client this very call created, after its provider call failed.
    pub async fn delete_new_client(&self, client_id: i64) -> Result<(), StoreError> {
        clients::Entity::delete_by_id(client_id).exec(self.db()).await?;
        Ok(())
    }
}
