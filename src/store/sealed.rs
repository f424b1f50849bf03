//! Sealed (encrypted) columns, for `bspgraph secrets rotate`: list them and swap a
//! ciphertext for its re-sealed form. The store never sees plaintext.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::tables::projects;
use super::{Store, StoreError};

impl Store {
    /// Every project's sealed credentials, as (row id, ciphertext).
    pub async fn sealed_credentials(&self) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        let rows: Vec<(i64, Option<Vec<u8>>)> = projects::Entity::find()
            .select_only()
            .column(projects::Column::Id)
            .column(projects::Column::Credentials)
            .filter(projects::Column::Credentials.is_not_null())
            .order_by_asc(projects::Column::Id)
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(rows.into_iter().filter_map(|(id, c)| c.map(|c| (id, c))).collect())
    }

    /// Replace a project's ciphertext only if it is still `old` (a concurrent writer wins).
    pub async fn replace_credentials(&self, id: i64, old: &[u8], new: Vec<u8>) -> Result<bool, StoreError> {
        let result = projects::Entity::update_many()
            .col_expr(projects::Column::Credentials, Expr::value(new))
            .filter(projects::Column::Id.eq(id))
            .filter(projects::Column::Credentials.eq(old.to_vec()))
            .exec(self.db())
            .await?;
        Ok(result.rows_affected == 1)
    }
}
