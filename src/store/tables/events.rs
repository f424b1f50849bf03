//! The `events` table: the append-only event log; `seq` is the public cursor.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub at: DateTimeUtc,
    pub provider: String,
    pub node_type: String,
    pub node_id: i64,
    pub client_id: Option<i64>,
    pub field: String,
    pub previous_value: Option<String>,
    pub new_value: String,
    pub source: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
