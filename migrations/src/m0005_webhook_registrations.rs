//! Webhook registrations: per provider, the URL bspgraph registered, the signing secret
//! the provider issued for it (sealed with AES-256-GCM, never stored in clear), and the
//! outcome of the last attempt.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_webhook_registrations"
    }
}

#[derive(DeriveIden)]
enum WebhookRegistrations {
    Table,
    Provider,
    Target,
    Secret,
    RegisteredAt,
    LastError,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WebhookRegistrations::Table)
                .if_not_exists()
                .col(ColumnDef::new(WebhookRegistrations::Provider).string_len(16).not_null().primary_key())
                .col(ColumnDef::new(WebhookRegistrations::Target).string_len(1000).not_null())
                .col(ColumnDef::new(WebhookRegistrations::Secret).binary().null())
                .col(ColumnDef::new(WebhookRegistrations::RegisteredAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(WebhookRegistrations::LastError).string_len(500).null())
                .col(ColumnDef::new(WebhookRegistrations::UpdatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(WebhookRegistrations::Table).if_exists().to_owned()).await
    }
}
