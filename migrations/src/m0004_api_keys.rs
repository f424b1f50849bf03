//! Operator API keys: only a SHA-256 digest of each key is stored, never the key.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_api_keys"
    }
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    Name,
    DisplayPrefix,
    Digest,
    CreatedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ApiKeys::Table)
                .if_not_exists()
                .col(ColumnDef::new(ApiKeys::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(ApiKeys::Name).string_len(100).not_null())
                .col(ColumnDef::new(ApiKeys::DisplayPrefix).string_len(16).not_null())
                .col(ColumnDef::new(ApiKeys::Digest).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(ApiKeys::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(ApiKeys::RevokedAt).timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ApiKeys::Table).if_exists().to_owned()).await
    }
}
