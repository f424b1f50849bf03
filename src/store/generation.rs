//! The data generation (`data_generation`, kept by triggers, see migration m0007): a
//! counter every committed write to API-visible data moves forward, read with one
//! statement. The response cache serves a response only while the generation it was
//! computed at is still current.

use sea_orm::{ConnectionTrait, Statement};

use super::{Store, StoreError};

impl Store {
    /// The current data generation.
    pub async fn data_generation(&self) -> Result<i64, StoreError> {
        let backend = self.db().get_database_backend();
        let read = Statement::from_string(backend, "SELECT value FROM data_generation WHERE id = 1");
        let row = self.db().query_one(read).await?.ok_or(StoreError::NotFound("data generation"))?;
        Ok(row.try_get("", "value")?)
    }
}
