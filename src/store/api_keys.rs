//! Operator API keys: create (digest only), look up by digest, list, revoke.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::tables::api_keys;
use super::{Store, StoreError};

/// An operator key as `keys list` shows it (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyInfo {
    /// Row id: what `keys revoke` takes.
    pub id: i64,
    /// Who or what the key is for.
    pub name: String,
    /// The first characters of the key.
    pub display_prefix: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<api_keys::Model> for ApiKeyInfo {
    fn from(m: api_keys::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            display_prefix: m.display_prefix,
            created_at: m.created_at,
            revoked_at: m.revoked_at,
        }
    }
}

impl Store {
    /// Store a new key's digest.
    pub async fn create_api_key(
        &self,
        name: &str,
        display_prefix: &str,
        digest: &str,
    ) -> Result<ApiKeyInfo, StoreError> {
        let row = api_keys::ActiveModel {
            name: Set(name.to_owned()),
            display_prefix: Set(display_prefix.to_owned()),
            digest: Set(digest.to_owned()),
            created_at: Set(Utc::now()),
            revoked_at: Set(None),
            ..Default::default()
        };
        Ok(row.insert(self.db()).await?.into())
    }

    /// The live (not revoked) key with this digest.
    pub async fn api_key_by_digest(&self, digest: &str) -> Result<Option<ApiKeyInfo>, StoreError> {
        let row = api_keys::Entity::find()
            .filter(api_keys::Column::Digest.eq(digest))
            .filter(api_keys::Column::RevokedAt.is_null())
            .one(self.db())
            .await?;
        Ok(row.map(ApiKeyInfo::from))
    }

    /// Every key, oldest first.
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKeyInfo>, StoreError> {
        let rows = api_keys::Entity::find().order_by_asc(api_keys::Column::Id).all(self.db()).await?;
        Ok(rows.into_iter().map(ApiKeyInfo::from).collect())
    }

    /// Revoke a key by id; false when no live key has that id.
    pub async fn revoke_api_key(&self, id: i64) -> Result<bool, StoreError> {
        let result = api_keys::Entity::update_many()
            .col_expr(api_keys::Column::RevokedAt, sea_orm::sea_query::Expr::value(Utc::now()))
            .filter(api_keys::Column::Id.eq(id))
            .filter(api_keys::Column::RevokedAt.is_null())
            .exec(self.db())
            .await?;
        Ok(result.rows_affected == 1)
    }
}
