//! The `projects` table: lists and counts, the batched lookups DataLoaders use (by id,
//! by client), lookups by provider id, the projects the onboarding flows find or
//! create, and the sealed `credentials` column: read for a flow, and listed and
//! swapped for `bspgraph secrets rotate`. The store only ever sees ciphertext.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::lists::{count, list, load_in, OwnedFilter};
use super::page::{Page, PageArgs};
use super::tables::projects;
use super::{unique_violation, Store, StoreError};
use crate::domain::{Project, Provider, ProviderProject};

use projects::Column as C;

impl Store {
    /// One page of projects, oldest first.
    pub async fn projects_page(&self, f: &OwnedFilter, args: PageArgs) -> Result<Page<Project>, StoreError> {
        list::<projects::Entity, _>(self, f.condition(C::Provider, C::ClientId), C::Id, args).await
    }

    /// How many projects match.
    pub async fn projects_count(&self, f: &OwnedFilter) -> Result<u64, StoreError> {
        count::<projects::Entity>(self, f.condition(C::Provider, C::ClientId), C::Id).await
    }

    /// Projects with these ids.
    pub async fn projects_by_ids(&self, ids: &[i64]) -> Result<Vec<Project>, StoreError> {
        load_in::<projects::Entity, _>(self, C::Id, ids, Condition::all(), C::Id).await
    }

    /// Projects of these clients.
    pub async fn projects_of_clients(&self, ids: &[i64]) -> Result<Vec<Project>, StoreError> {
        load_in::<projects::Entity, _>(self, C::ClientId, ids, Condition::all(), C::Id).await
    }

    /// One project.
    pub async fn project(&self, id: i64) -> Result<Project, StoreError> {
        self.projects_by_ids(&[id]).await?.into_iter().next().ok_or(StoreError::NotFound("project"))
    }

    /// The project with this provider id.
    pub async fn project_by_provider_id(&self, provider: Provider, id: &str) -> Result<Option<Project>, StoreError> {
        let row = projects::Entity::find()
            .filter(C::Provider.eq(provider.as_str()))
            .filter(C::ProviderId.eq(id))
            .one(self.db())
            .await?;
        row.map(Project::try_from).transpose()
    }

    /// The provider-side id of project row `id`.
    pub async fn project_provider_id(&self, id: i64) -> Result<Option<String>, StoreError> {
        let id: Option<Option<String>> =
            projects::Entity::find_by_id(id).select_only().column(C::ProviderId).into_tuple().one(self.db()).await?;
        Ok(id.flatten())
    }

    /// Find or insert a project by (provider, provider id). `seal` turns the new row id
    /// into the credentials ciphertext (bound to that row), inside the insert transaction.
    #[tracing::instrument(skip_all, fields(provider = %provider))]
    pub async fn upsert_project(
        &self,
        provider: Provider,
        client_id: Option<i64>,
        p: &ProviderProject,
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

    /// The sealed credentials of a project.
    pub async fn project_credentials(&self, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let row = projects::Entity::find_by_id(id).one(self.db()).await?.ok_or(StoreError::NotFound("project"))?;
        Ok(row.credentials)
    }

    /// Every project's sealed credentials, as (row id, ciphertext).
    pub async fn sealed_credentials(&self) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        let rows: Vec<(i64, Option<Vec<u8>>)> = projects::Entity::find()
            .select_only()
            .column(C::Id)
            .column(C::Credentials)
            .filter(C::Credentials.is_not_null())
            .order_by_asc(C::Id)
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(rows.into_iter().filter_map(|(id, c)| c.map(|c| (id, c))).collect())
    }

    /// Replace a project's ciphertext only if it is still `old` (a concurrent writer wins).
    pub async fn replace_credentials(&self, id: i64, old: &[u8], new: Vec<u8>) -> Result<bool, StoreError> {
        let result = projects::Entity::update_many()
            .col_expr(C::Credentials, Expr::value(new))
            .filter(C::Id.eq(id))
            .filter(C::Credentials.eq(old.to_vec()))
            .exec(self.db())
            .await?;
        Ok(result.rows_affected == 1)
    }
}
