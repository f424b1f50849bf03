//! The `invitations` table.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub client_id: i64,
    pub project_id: Option<i64>,
    pub provider: String,
    pub provider_id: Option<String>,
    pub status: String,
    pub provider_status: Option<String>,
    pub raw: Option<Json>,
    pub synced_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub flow: String,
    pub url: Option<String>,
    pub failure_reason: Option<String>,
    pub expires_at: Option<DateTimeUtc>,
    pub viewed_at: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub sender_id: Option<i64>,
    pub waba_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
