//! The `wabas` table.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "wabas")]
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
    pub waba_id: String,
    pub name: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
