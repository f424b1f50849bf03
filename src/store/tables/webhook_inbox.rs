//! The `webhook_inbox` table: verified deliveries, unique per provider + delivery id.
//! `lease_until` (epoch milliseconds, migration m0003) is when a claim lapses.
#![allow(dead_code)]
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_inbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub provider: String,
    pub delivery_id: String,
    pub received_at: DateTimeUtc,
    pub payload: String,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub processed_at: Option<DateTimeUtc>,
    pub lease_until: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
