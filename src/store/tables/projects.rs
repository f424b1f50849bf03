//! The `projects` table. `credentials` holds AEAD ciphertext only.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub client_id: Option<i64>,
    pub project_id: Option<i64>,
    pub provider: String,
    pub provider_id: Option<String>,
    pub status: String,
    pub provider_status: Option<String>,
    pub raw: Option<Json>,
    pub synced_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub name: Option<String>,
    pub credentials: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
