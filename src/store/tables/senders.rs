//! The `senders` table.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "senders")]
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
    pub waba_id: Option<i64>,
    pub phone_number: Option<String>,
    pub phone_number_id: Option<String>,
    pub display_name: Option<String>,
    pub status_reason: Option<String>,
    pub region: Option<String>,
    pub quality_rating: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
